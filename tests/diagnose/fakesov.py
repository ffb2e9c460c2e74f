"""A Sovereign made of plain objects, for diagnoser tests: informers over lists, pod logs
from a dict, no network. Diagnosers read only through this surface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from e2e.kube import gvr as gvrs
from e2e.kube.gvr import GVR
from e2e.redact import Redactor

Obj = dict[str, Any]
KINDS = {g.kind: g for g in vars(gvrs).values() if isinstance(g, GVR)}


@dataclass
class FakeInformer:
    objs: list[Obj]

    def items(self, predicate: Callable[[Obj], bool] | None = None) -> list[Obj]:
        return [o for o in self.objs if predicate is None or predicate(o)]

    def get(self, name: str, namespace: str | None = None) -> Obj | None:
        for o in self.objs:
            meta = o.get("metadata") or {}
            if meta.get("name") == name and (namespace is None
                                             or meta.get("namespace") == namespace):
                return o
        return None


@dataclass
class FakeKube:
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def pod_log(self, namespace: str, name: str, container: str | None = None,
                tail_lines: int = 50) -> str:
        text = self.logs.get((namespace, name, container or ""), "")
        return "\n".join(text.splitlines()[-tail_lines:])


@dataclass
class FakeSov:
    objects: dict[GVR, list[Obj]] = field(default_factory=dict)
    kube: FakeKube = field(default_factory=FakeKube)
    fqdn: str = "sovereign.test"
    memo: dict[str, Any] = field(default_factory=dict)
    redactor: Redactor = field(default_factory=Redactor)

    def informers(self, g: GVR) -> FakeInformer:
        return FakeInformer(self.objects.setdefault(g, []))

    def add(self, *objs: Obj) -> FakeSov:
        for o in objs:
            self.objects.setdefault(KINDS[o["kind"]], []).append(o)
        return self


def meta(name: str, namespace: str | None = "apps", **extra: Any) -> Obj:
    m: Obj = {"name": name, "uid": f"uid-{name}"}
    if namespace:
        m["namespace"] = namespace
    m.update(extra)
    return m


def pod(name: str, namespace: str = "apps", *, labels: dict[str, str] | None = None,
        containers: list[Obj] | None = None, statuses: list[Obj] | None = None,
        phase: str = "Running", conditions: list[Obj] | None = None,
        volumes: list[Obj] | None = None) -> Obj:
    return {"kind": "Pod", "apiVersion": "v1",
            "metadata": meta(name, namespace, labels=labels or {"app": name}),
            "spec": {"containers": containers or [{"name": "app", "image": "app:1"}],
                     "volumes": volumes or []},
            "status": {"phase": phase, "containerStatuses": statuses or [],
                       "conditions": conditions or []}}


def event(obj: Obj, reason: str, message: str, type_: str = "Warning", count: int = 1,
          stamp: str = "2026-01-01T00:00:00Z") -> Obj:
    m = obj["metadata"]
    return {"kind": "Event", "metadata": meta(f"{m['name']}.{reason}.{count}",
                                               m.get("namespace") or "default"),
            "involvedObject": {"kind": obj["kind"], "name": m["name"],
                               "namespace": m.get("namespace")},
            "reason": reason, "message": message, "type": type_, "count": count,
            "lastTimestamp": stamp}
