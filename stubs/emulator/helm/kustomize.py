"""A minimal kustomize-controller: the health of a Kustomization's applied objects.

The emulator applies the bootstrap-kit manifests itself at start (manifests.py labels them
`kustomize.toolkit.fluxcd.io/name|namespace` as kustomize-controller's apply does); this
controller reports what kustomize-controller v1 would with `wait: true`
(internal/controller/kustomization_controller.go `checkHealth`; fluxcd/pkg ssa):
- health checks running: Ready=Unknown/Progressing `Reconciliation in progress`,
  Reconciling=True and Healthy=Unknown/Progressing `Running health checks for revision <rev>
  with a timeout of <t>`;
- every object Current (kstatus): Ready=True/ReconciliationSucceeded `Applied revision:
  <rev>`, Healthy=True/HealthCheckSucceeded;
- an object Failed (a Stalled HelmRelease): fail fast, Ready=False/HealthCheckFailed
  `failed early due to stalled resources: [HelmRelease/<ns>/<name> status: 'Failed']`;
- the timeout (spec.timeout, default the interval, scaled) passes: Ready=False/
  HealthCheckFailed `timeout waiting for: [<Kind>/<ns>/<name> status: 'InProgress', ...]`;
  the next interval starts a new health check.
The revision is the source revision (`<branch>@sha1:<digest>`), here a digest of the
applied objects' specs, so an overlay changes it.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ..controllers.base import Controller, Key
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent
from . import conditions as cond
from .kstatus import CURRENT, FAILED, compute
from .values import format_duration, parse_duration

KS_GVR = ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations")
NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"
HEALTH_GVRS = (("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
               ("source.toolkit.fluxcd.io", "v1", "helmrepositories"))
KIND = "Kustomization"


class KustomizeController(Controller):
    name = "kustomize-controller"

    def __init__(self) -> None:
        super().__init__()
        # (ns, name) -> (revision, loop time the current health check started)
        self._checks: dict[tuple[str, str], tuple[str, float]] = {}

    @property
    def scale(self) -> float:
        return float(getattr(self.emulator, "time_scale", 1.0))

    def watches(self) -> Iterable[ResourceType]:
        yield self.rt(*KS_GVR)
        for gvr in HEALTH_GVRS:
            yield self.rt(*gvr)

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj.get("kind") == KIND:
            yield (KIND, meta.get("namespace", ""), meta["name"])
            return
        labels = meta.get("labels") or {}
        if labels.get(NAME_LABEL):
            yield (KIND, labels.get(NAMESPACE_LABEL, ""), labels[NAME_LABEL])

    def _inventory(self, ns: str, name: str) -> list[dict[str, Any]]:
        selector = f"{NAME_LABEL}={name},{NAMESPACE_LABEL}={ns}"
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for rt in self.store.registry.all():
            if rt.key in seen or "list" not in getattr(rt, "verbs", ("list",)):
                continue
            seen.add(rt.key)
            try:
                items, _ = self.store.list(rt, None, label_selector=selector)
            except Exception:
                continue
            out.extend(items)
        return out

    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        rt = self.rt(*KS_GVR)
        ks = self.store.try_get(rt, ns, name)
        if ks is None:
            self._checks.pop((ns, name), None)
            return None
        spec = ks.get("spec") or {}
        if spec.get("suspend"):
            return None
        interval = parse_duration(spec.get("interval"), 600.0)
        timeout = parse_duration(spec.get("timeout"), interval)
        objects = self._inventory(ns, name)
        revision = _revision(spec, objects)
        status = copy.deepcopy(ks.get("status") or {})
        gen = int(ks["metadata"].get("generation", 1))
        status["lastAttemptedRevision"] = revision
        status["inventory"] = {"entries": [_entry(o) for o in objects]}
        loop = asyncio.get_running_loop()
        again: float | None = interval * self.scale
        if not spec.get("wait") and not spec.get("healthChecks"):
            self._ready(status, revision, gen)
        else:
            started_rev, started = self._checks.get((ns, name), ("", 0.0))
            if started_rev != revision:
                started = loop.time()
                self._checks[(ns, name)] = (revision, started)
            results = [(o, *compute(o)) for o in objects]
            failed = [o for o, st, _ in results if st == FAILED]
            pending = [o for o, st, _ in results if st != CURRENT]
            if failed:
                msg = "failed early due to stalled resources: [" + ", ".join(
                    f"{_id(o)} status: 'Failed'" for o in failed) + "]"
                self._unhealthy(status, msg, gen)
            elif not pending:
                self._ready(status, revision, gen)
                elapsed = max(0.0, (loop.time() - started) / max(self.scale, 1e-9))
                cond.mark(status, "Healthy", "True", "HealthCheckSucceeded",
                          f"Health check passed in {format_duration(elapsed)}", gen)
            elif loop.time() - started >= timeout * self.scale:
                msg = "timeout waiting for: [" + ", ".join(
                    f"{_id(o)} status: 'InProgress'" for o in pending) + "]"
                self._unhealthy(status, msg, gen)
                self._checks.pop((ns, name), None)  # the next interval checks afresh
            else:
                msg = (f"Running health checks for revision {revision} with a timeout of "
                       f"{format_duration(timeout)}")
                cond.mark(status, "Ready", "Unknown", "Progressing",
                          "Reconciliation in progress", gen)
                cond.mark(status, "Reconciling", "True", "Progressing", msg, gen)
                cond.mark(status, "Healthy", "Unknown", "Progressing", msg, gen)
                again = started + timeout * self.scale - loop.time()
        if not cond.same(ks.get("status") or {}, status):
            ks["status"] = status
            ks["metadata"].pop("resourceVersion", None)
            self.store.replace(rt, ns, name, ks, subresource="status")
        return again

    @staticmethod
    def _ready(status: dict[str, Any], revision: str, gen: int) -> None:
        cond.mark(status, "Ready", "True", "ReconciliationSucceeded",
                  f"Applied revision: {revision}", gen)
        cond.delete(status, "Reconciling")
        cond.delete(status, "Stalled")
        status["lastAppliedRevision"] = revision
        status["observedGeneration"] = gen

    @staticmethod
    def _unhealthy(status: dict[str, Any], msg: str, gen: int) -> None:
        cond.mark(status, "Ready", "False", "HealthCheckFailed", msg, gen)
        cond.mark(status, "Healthy", "False", "HealthCheckFailed", msg, gen)
        cond.delete(status, "Reconciling")
        status["observedGeneration"] = gen


def _id(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']}/{ns}{meta['name']}"


def _entry(obj: dict[str, Any]) -> dict[str, str]:
    meta = obj["metadata"]
    group, _, version = obj.get("apiVersion", "").rpartition("/")
    return {"id": f"{meta.get('namespace', '')}_{meta['name']}_{group}_{obj['kind']}",
            "v": version}


def _revision(spec: dict[str, Any], objects: list[dict[str, Any]]) -> str:
    h = hashlib.sha1()
    for o in sorted(objects, key=_id):
        h.update(json.dumps([_id(o), o.get("spec")], sort_keys=True, default=str).encode())
    branch = (spec.get("sourceRef") or {}).get("branch", "main")
    return f"{branch}@sha1:{h.hexdigest()}"
