"""Test harness for the cluster controllers: an Emulator with chosen components in a thread,
object helpers that run on its loop, and waits backed by store watches (never sleeps).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from stubs.emulator.runtime import Component, Emulator, EmulatorThread

Obj = dict[str, Any]
Pred = Callable[[Obj], bool]

GVR = {
    "Namespace": ("", "v1", "namespaces"), "Pod": ("", "v1", "pods"),
    "Service": ("", "v1", "services"), "Secret": ("", "v1", "secrets"),
    "ConfigMap": ("", "v1", "configmaps"), "Event": ("", "v1", "events"),
    "Endpoints": ("", "v1", "endpoints"), "Node": ("", "v1", "nodes"),
    "Deployment": ("apps", "v1", "deployments"), "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"), "ReplicaSet": ("apps", "v1", "replicasets"),
    "ResourceQuota": ("", "v1", "resourcequotas"),
    "Job": ("batch", "v1", "jobs"),
    "EndpointSlice": ("discovery.k8s.io", "v1", "endpointslices"),
    "GatewayClass": ("gateway.networking.k8s.io", "v1", "gatewayclasses"),
    "Gateway": ("gateway.networking.k8s.io", "v1", "gateways"),
    "HTTPRoute": ("gateway.networking.k8s.io", "v1", "httproutes"),
    "ReferenceGrant": ("gateway.networking.k8s.io", "v1beta1", "referencegrants"),
    "PersistentVolumeClaim": ("", "v1", "persistentvolumeclaims"),
}


class Cluster:
    def __init__(self, thread: EmulatorThread) -> None:
        self.thread = thread
        self.emulator = thread.emulator
        self.store = thread.emulator.store

    def rt(self, kind: str) -> Any:
        rt = self.store.registry.get(*GVR[kind])
        assert rt is not None, kind
        return rt

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.thread.call(fn, *args)

    def create(self, kind: str, body: Obj, namespace: str | None = None) -> Obj:
        ns = namespace or body.get("metadata", {}).get("namespace")
        return self.call(self.store.create, self.rt(kind), ns, body)

    def get(self, kind: str, namespace: str | None, name: str) -> Obj | None:
        return self.call(self.store.try_get, self.rt(kind), namespace, name)

    def list(self, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[Obj]:
        return self.call(lambda: self.store.list(self.rt(kind), namespace, label_selector)[0])

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        self.call(self.store.delete, self.rt(kind), namespace, name)

    def update(self, kind: str, namespace: str | None, name: str,
               fn: Callable[[Obj], Obj]) -> Obj:
        return self.call(self.store.patch, self.rt(kind), namespace, name, fn)

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        self.create("Namespace", {"metadata": {"name": name, "labels": labels or {}}})

    def wait(self, kind: str, namespace: str | None, pred: Pred, *, name: str | None = None,
             timeout: float = 10.0, what: str = "") -> Obj:
        """The first object of `kind` (optionally named) for which `pred` holds, via a watch."""

        last: list[Obj] = []

        async def watch() -> Obj:
            field = f"metadata.name={name}" if name else None
            sub = self.store.watch(self.rt(kind), namespace, field_selector=field)
            try:
                async with asyncio.timeout(timeout):
                    async for ev in sub:
                        if ev.type == "DELETED":
                            continue
                        last[:] = [ev.obj]
                        if pred(ev.obj):
                            return ev.obj
            finally:
                sub.close()
            raise AssertionError("watch closed")

        fut = asyncio.run_coroutine_threadsafe(watch(), self.thread.loop)
        try:
            return fut.result(timeout + 2)
        except TimeoutError as e:
            raise AssertionError(
                f"timed out waiting for {what or kind} {namespace}/{name}; last seen: "
                f"{last[0].get('status') if last else None}") from e

    def wait_gone(self, kind: str, namespace: str | None, name: str,
                  timeout: float = 10.0) -> None:
        async def watch() -> None:
            sub = self.store.watch(self.rt(kind), namespace,
                                   field_selector=f"metadata.name={name}")
            try:
                if self.store.try_get(self.rt(kind), namespace, name) is None:
                    return
                async with asyncio.timeout(timeout):
                    async for ev in sub:
                        if ev.type == "DELETED":
                            return
            finally:
                sub.close()

        asyncio.run_coroutine_threadsafe(watch(), self.thread.loop).result(timeout + 2)

    def wait_event(self, namespace: str, pred: Pred, timeout: float = 10.0,
                   what: str = "event") -> Obj:
        return self.wait("Event", namespace, pred, timeout=timeout, what=what)


@contextmanager
def cluster(components: Sequence[Component], *, time_scale: float = 0.01,
            cilium_version: str = "1.16.5") -> Iterator[Cluster]:
    emulator = Emulator(components=components, time_scale=time_scale,
                        cilium_version=cilium_version)
    thread = EmulatorThread(emulator)
    thread.start()
    try:
        yield Cluster(thread)
    finally:
        thread.stop()


def condition(obj: Obj, type_: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def container_status(pod: Obj, name: str | None = None) -> Obj:
    statuses = (pod.get("status") or {}).get("containerStatuses") or [{}]
    if name is None:
        return dict(statuses[0])
    return dict(next(s for s in statuses if s.get("name") == name))


def waiting_reason(pod: Obj) -> str | None:
    return (container_status(pod).get("state") or {}).get("waiting", {}).get("reason")


def event_matches(reason: str, message: str | None = None, name: str | None = None) -> Pred:
    def pred(ev: Obj) -> bool:
        if ev.get("reason") != reason:
            return False
        if message is not None and ev.get("message") != message:
            return False
        return name is None or ev["involvedObject"].get("name") == name

    return pred
