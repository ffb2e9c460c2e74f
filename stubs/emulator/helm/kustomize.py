"""A minimal kustomize-controller: apply a fetched source, report its objects' health.

A Kustomization whose GitRepository the emulator's source-controller fetched
(gitrepository.py) is built (kustomize_build.py), `postBuild.substitute`d, labelled
`kustomize.toolkit.fluxcd.io/name|namespace` and applied, once per revision and
generation (no pruning). The emulated Sovereign's own source is on the internet: there
the emulator applies the bootstrap-kit manifests itself at start (manifests.py labels
them the same way). Either way this controller then reports what kustomize-controller v1
would with `wait: true`
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
from pathlib import Path
from typing import Any

from ..controllers.base import Controller, Key
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent
from ..manifests import apply_docs, substitute_doc
from ..overlays import OverlayError
from . import conditions as cond
from .gitrepository import GR_GVR, artifacts, on_the_internet
from .kstatus import CURRENT, FAILED, compute
from .kustomize_build import build
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
        # (ns, name) -> (source revision, generation) last applied from a fetched artifact
        self._applied: dict[tuple[str, str], tuple[str, int]] = {}

    @property
    def scale(self) -> float:
        return float(getattr(self.emulator, "time_scale", 1.0))

    def watches(self) -> Iterable[ResourceType]:
        yield self.rt(*KS_GVR)
        for gvr in HEALTH_GVRS:
            yield self.rt(*gvr)
        source = self.store.registry.get(*GR_GVR)
        if source is not None:
            yield source

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj.get("kind") == KIND:
            yield (KIND, meta.get("namespace", ""), meta["name"])
            return
        if event.obj.get("kind") == "GitRepository":  # its Kustomizations
            for ks in self.store.list(self.rt(*KS_GVR))[0]:
                ref = (ks.get("spec") or {}).get("sourceRef") or {}
                if ref.get("kind") == "GitRepository" and ref.get("name") == meta["name"] \
                        and (ref.get("namespace") or ks["metadata"]["namespace"]) == \
                        meta.get("namespace"):
                    yield (KIND, ks["metadata"]["namespace"], ks["metadata"]["name"])
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
        status = copy.deepcopy(ks.get("status") or {})
        gen = int(ks["metadata"].get("generation", 1))
        source = self._source(ns, spec)
        if source is not None:  # fetched by the emulator's source-controller: build, apply
            problem = self._apply_source(ns, name, spec, gen, *source)
            if problem is not None:
                reason, msg = problem
                cond.mark(status, "Ready", "False", reason, msg, gen)
                cond.delete(status, "Reconciling")
                status["observedGeneration"] = gen
                status["lastAttemptedRevision"] = source[0]
                self._write(rt, ks, status)
                return interval * self.scale
        objects = self._inventory(ns, name)
        if source is None and not objects and self._source_is_fetched_here(ns, spec):
            # Nothing applied yet and no artifact to apply from.
            cond.mark(status, "Ready", "False", "ArtifactFailed",
                      "Source artifact not found, retrying in 30s", gen)
            self._write(rt, ks, status)
            return 30.0 * self.scale
        revision = source[0] if source is not None else _revision(spec, objects)
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
        self._write(rt, ks, status)
        return again

    def _write(self, rt: ResourceType, ks: dict[str, Any], status: dict[str, Any]) -> None:
        if not cond.same(ks.get("status") or {}, status):
            ks["status"] = status
            ks["metadata"].pop("resourceVersion", None)
            meta = ks["metadata"]
            self.store.replace(rt, meta["namespace"], meta["name"], ks, subresource="status")

    # ---- a source the emulator fetched (helm/gitrepository.py) ------------------------------
    def _source_ref(self, ns: str, spec: dict[str, Any]) -> tuple[str, str] | None:
        ref = spec.get("sourceRef") or {}
        if ref.get("kind") != "GitRepository":
            return None
        return (ref.get("namespace") or ns, str(ref.get("name")))

    def _source(self, ns: str, spec: dict[str, Any]) -> tuple[str, Path] | None:
        """(revision, checkout) of the sourceRef's artifact, when the emulator fetched it."""
        key = self._source_ref(ns, spec)
        if key is None or self.store.registry.get(*GR_GVR) is None:
            return None
        repo = self.store.try_get(self.rt(*GR_GVR), *key)
        artifact = ((repo or {}).get("status") or {}).get("artifact") or {}
        fetched = artifacts(self.emulator).get(key)
        if fetched is None or artifact.get("revision") != fetched[0]:
            return None
        return fetched

    def _source_is_fetched_here(self, ns: str, spec: dict[str, Any]) -> bool:
        """The sourceRef exists and the emulator's source-controller fetches it (it does
        not fetch from the internet; the emulated Sovereign's own source is applied at
        start instead)."""
        key = self._source_ref(ns, spec)
        if key is None or self.store.registry.get(*GR_GVR) is None:
            return False
        repo = self.store.try_get(self.rt(*GR_GVR), *key)
        assert self.emulator is not None
        if key in getattr(self.emulator, "preapplied_sources", set()):
            return False
        return repo is not None and not on_the_internet(
            str((repo.get("spec") or {}).get("url", "")), self.emulator.fqdn)

    def _apply_source(self, ns: str, name: str, spec: dict[str, Any], gen: int,
                      revision: str, checkout: Path) -> tuple[str, str] | None:
        """Build spec.path of the artifact, substitute, label and apply (once per revision
        and generation). Returns (reason, message) when that fails."""
        if self._applied.get((ns, name)) == (revision, gen):
            return None
        path = checkout / str(spec.get("path") or "./")
        try:
            docs = build(path, checkout)
        except OverlayError as e:
            return "BuildFailed", f"kustomize build failed: {e}"
        variables = {str(k): str(v) for k, v in
                     ((spec.get("postBuild") or {}).get("substitute") or {}).items()}
        docs = [substitute_doc(d, variables) for d in docs]
        for d in docs:
            labels = d.setdefault("metadata", {}).setdefault("labels", {})
            labels[NAME_LABEL], labels[NAMESPACE_LABEL] = name, ns
            if spec.get("targetNamespace") and "namespace" in d["metadata"]:
                d["metadata"]["namespace"] = spec["targetNamespace"]
        # Namespaces and CRDs first, as kustomize-controller's apply stages them.
        first = ("Namespace", "CustomResourceDefinition")
        docs.sort(key=lambda d: d.get("kind") not in first)
        try:
            apply_docs(self.store, docs)
        except OverlayError as e:
            return "ReconciliationFailed", f"{e}"
        self._applied[(ns, name)] = (revision, gen)
        return None

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
