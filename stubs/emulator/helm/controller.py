"""The emulated Flux helm-controller (with the part of source-controller that pulls charts).

Per HelmRelease, as helm-controller v1.1 (Flux v2.4) does it
(internal/controller/helmrelease_controller.go, internal/reconcile/*.go):
1. dependsOn: every dependency must have Ready=True at its current generation, else
   Ready=False/DependencyNotReady `dependency '<ns>/<name>' is not ready` (or `unable to get
   '<ns>/<name>' dependency: ...`), requeued every 30s (scaled);
2. source: the HelmChart `<repo-ns>/<hr-ns>-<hr-name>` is pulled from the HelmRepository URL
   (see source.py); a failed pull sets the HelmChart Ready=False/ChartPullError and the
   release Ready=False/SourceNotReady `HelmChart '<ns>/<name>' is not ready: <msg>`. A pulled
   version is cached like source-controller's artifact, so a repository URL change does not
   re-pull a version already pulled;
3. values: chart values.yaml <- valuesFrom <- spec.values;
4. install (no deployed release) or upgrade (chart version or values changed): render, apply,
   prune. A render failure stores no release: failures+1, no remediation, retried with
   back-off. An apply failure or a wait that ends in a timeout/failed Job stores a failed
   release, counts toward the action's `remediation.retries` (installFailures /
   upgradeFailures) and is remediated in the same pass (see remediation.py): install
   failures are uninstalled (objects deleted, history entry `uninstalled`), upgrade
   failures rolled back to the last good release (re-applied as a new version, the failed
   one `superseded`) or uninstalled; Remediated=True/<Rollback|Uninstall>Succeeded and Ready
   False with the same reason until the next attempt, Reconciling=ProgressingWithRetry.
   Past the retries: Stalled=True/RetriesExceeded `Failed to <action> after <n>
   attempt(s)`, the last failure left in place unless `remediateLastFailure`; a stalled
   release moves again only on a new generation. A rollback does not wait for readiness
   (Flux's rollback waits unless `rollback.disableWait`);
5. wait (unless `disableWait`): Ready=Unknown/Progressing `Running '<action>' action with
   timeout of <t>` until every Deployment/StatefulSet/DaemonSet/Job/Pod of the release is
   Current by kstatus; the timeout (spec.timeout, default 5m, times the emulator's
   time_scale) ends in `... : context deadline exceeded`.
Messages keep real (unscaled) durations.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..controllers.base import Controller, Key
from ..controllers.events import EventRecorder, object_ref
from ..kubeapi.errors import ApiError
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent, now_iso
from . import conditions as cond
from . import remediation as rem
from .apply import (
    HR_NAME,
    HR_NAMESPACE,
    ApplyError,
    ObjRef,
    Resolved,
    apply_release,
    prune,
    resolve,
)
from .charts import DEFAULT_CHARTS_DIR, Chart, ChartIndex
from .kstatus import CURRENT, WAITED_KINDS, compute, job_failure
from .postrender import post_render
from .render import RenderError, render_chart
from .source import ChartPullError, ChartSource
from .values import digest, format_duration, merge_values, parse_duration

log = logging.getLogger("sovereign.emulator.helm")

HR_GVR = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")
REPO_GVR = ("source.toolkit.fluxcd.io", "v1", "helmrepositories")
CHART_GVR = ("source.toolkit.fluxcd.io", "v1", "helmcharts")
WORKLOAD_GVRS = (("apps", "v1", "deployments"), ("apps", "v1", "statefulsets"),
                 ("apps", "v1", "daemonsets"), ("batch", "v1", "jobs"))
REQUEUE_DEPENDENCY = 30.0  # --requeue-dependency
DEFAULT_TIMEOUT = 300.0
DEFAULT_INTERVAL = 600.0
MAX_HISTORY = 5
KIND = "HelmRelease"


@dataclass
class _Pending:
    """A release applied and waiting for its workloads (Helm's --wait)."""

    generation: int
    action: str
    chart: Chart
    config_digest: str
    version: int
    objects: list[ObjRef]
    deadline: float
    timeout: float


@dataclass
class _Release:
    """What Helm's storage and source-controller's artifact cache hold for one release."""

    chart: Chart | None = None
    chart_url: str = ""
    name: str = ""
    inventory: list[ObjRef] = field(default_factory=list)
    version: int = 0
    pending: _Pending | None = None
    # Helm's storage: the manifest of each stored version (what a rollback re-applies).
    manifests: dict[int, list[Resolved]] = field(default_factory=dict)


class _Failed(Exception):
    """A step failed; the status was already filled in."""

    def __init__(self, requeue: float | None) -> None:
        super().__init__("reconcile step failed")
        self.requeue = requeue


class HelmController(Controller):
    name = "helm-controller"

    def __init__(self, *, charts_dir: Path | None = None,
                 gateway_url: Callable[[], str | None] | None = None) -> None:
        super().__init__()
        self._charts_dir = charts_dir
        self._gateway_url = gateway_url
        self._releases: dict[tuple[str, str], _Release] = {}
        self.source: ChartSource | None = None
        self.events: EventRecorder | None = None

    # ---- wiring ----------------------------------------------------------------------------
    async def setup(self) -> None:
        em = self.emulator
        assert em is not None
        charts_dir = self._charts_dir or getattr(em, "charts_dir", None) or DEFAULT_CHARTS_DIR
        gateway = self._gateway_url or (lambda: em.gateway_url)
        self.source = ChartSource(ChartIndex(Path(charts_dir)), em.fqdn, gateway)
        self.events = EventRecorder(self.store, self.name)

    @property
    def scale(self) -> float:
        return float(getattr(self.emulator, "time_scale", 1.0))

    def _hr_rt(self) -> ResourceType:
        return self.rt(*HR_GVR)

    def watches(self) -> Iterable[ResourceType]:
        yield self._hr_rt()
        yield self.rt(*REPO_GVR)
        for gvr in WORKLOAD_GVRS:
            yield self.rt(*gvr)

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        obj, meta = event.obj, event.obj["metadata"]
        kind = obj.get("kind")
        if kind == KIND:
            ns, name = meta.get("namespace", ""), meta["name"]
            yield (KIND, ns, name)
            for hr in self.store.list(self._hr_rt())[0]:
                for dep in (hr.get("spec") or {}).get("dependsOn") or []:
                    dep_ns = dep.get("namespace") or hr["metadata"]["namespace"]
                    if (dep_ns, dep.get("name")) == (ns, name):
                        yield (KIND, hr["metadata"]["namespace"], hr["metadata"]["name"])
        elif kind == "HelmRepository":
            for hr in self.store.list(self._hr_rt())[0]:
                ref = _source_ref(hr)
                if (ref[0], ref[1]) == (meta.get("namespace"), meta["name"]):
                    yield (KIND, hr["metadata"]["namespace"], hr["metadata"]["name"])
        else:
            labels = meta.get("labels") or {}
            hr_key = (labels.get(HR_NAMESPACE, ""), labels.get(HR_NAME, ""))
            rel = self._releases.get(hr_key)
            if rel is not None and rel.pending is not None:
                yield (KIND, *hr_key)

    # ---- reconcile -----------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        hr = self.store.try_get(self._hr_rt(), ns, name)
        rel = self._releases.setdefault((ns, name), _Release())
        if hr is None:
            prune(self.store, rel.inventory)
            self._releases.pop((ns, name), None)
            return None
        spec = hr.get("spec") or {}
        if spec.get("suspend"):
            return None
        status = copy.deepcopy(hr.get("status") or {})
        try:
            again = await self._reconcile(hr, status, rel)
        except _Failed as f:
            again = f.requeue
        self._write_status(hr, status)
        return again

    async def _reconcile(self, hr: dict[str, Any], status: dict[str, Any],
                         rel: _Release) -> float | None:
        spec, gen = hr.get("spec") or {}, int(hr["metadata"].get("generation", 1))
        interval = parse_duration(spec.get("interval"), DEFAULT_INTERVAL) * self.scale
        if rel.pending is not None and rel.pending.generation == gen:
            return self._check_wait(hr, status, rel)
        rel.pending = None
        if cond.is_true(status, "Stalled") and status.get("observedGeneration") == gen:
            return None  # a terminal error: only a new generation moves it again
        self._check_dependencies(hr, status)
        chart = await self._chart(hr, status, rel)
        values = self._values(hr, status, chart)
        config_digest = digest(values)
        if status.get("lastAttemptedGeneration") != gen or \
                status.get("lastAttemptedRevision") != chart.version or \
                status.get("lastAttemptedConfigDigest") != config_digest:
            for counter in ("failures", "installFailures", "upgradeFailures"):
                status.pop(counter, None)  # action.MustResetFailures
        status.update({
            "lastAttemptedGeneration": gen, "lastAttemptedRevision": chart.version,
            "lastAttemptedRevisionDigest": chart.digest,
            "lastAttemptedConfigDigest": config_digest, "storageNamespace": _target_ns(hr)})
        # The decision table of AtomicRelease.actionForState, on the latest release.
        history = status.get("history") or []
        latest = history[0] if history else None
        state = str(latest.get("status")) if latest else "absent"
        if state == "deployed" and latest is not None and \
                latest.get("chartName") == chart.name and \
                latest.get("chartVersion") == chart.version and \
                latest.get("configDigest") == config_digest:
            if not cond.is_true(status, "Ready"):  # in sync (e.g. the values rolled back to)
                self._succeeded(hr, status, rel, "upgrade" if cond.get(status, "Remediated")
                                else latest.get("action", "install"),
                                chart, int(latest.get("version", rel.version)))
            status["observedGeneration"] = gen
            return interval
        if state == "failed":
            remediation = rem.active(spec, status)
            if remediation is not None and remediation.failures(status) > 0:
                return self._remediate(hr, status, rel, remediation)
            action = "upgrade"  # conditions changed since the failure: try again
        else:
            action = "install" if state in ("absent", "uninstalled") else "upgrade"
            remediation = rem.Remediation.of(spec, action)
            if remediation.exhausted(status):
                status["lastAttemptedReleaseAction"] = action
                return self._stall(hr, status, remediation)
        status["lastAttemptedReleaseAction"] = action
        return self._release(hr, status, rel, action, chart, values, config_digest)

    # ---- steps ---------------------------------------------------------------------------
    def _check_dependencies(self, hr: dict[str, Any], status: dict[str, Any]) -> None:
        ns = hr["metadata"]["namespace"]
        for dep in (hr.get("spec") or {}).get("dependsOn") or []:
            dep_ns, dep_name = dep.get("namespace") or ns, dep.get("name", "")
            other = self.store.try_get(self._hr_rt(), dep_ns, dep_name)
            if other is None:
                msg = (f"unable to get '{dep_ns}/{dep_name}' dependency: helmreleases."
                       f'helm.toolkit.fluxcd.io "{dep_name}" not found')
            else:
                ost = other.get("status") or {}
                ready = cond.is_true(ost, "Ready") and ost.get("observedGeneration") == \
                    other["metadata"].get("generation")
                if ready:
                    continue
                msg = f"dependency '{dep_ns}/{dep_name}' is not ready"
            cond.mark(status, "Ready", "False", "DependencyNotReady", msg)
            cond.mark(status, "Reconciling", "True", "Progressing", "Fulfilling prerequisites")
            self._event(hr, "Normal", "DependencyNotReady", msg)
            raise _Failed(REQUEUE_DEPENDENCY * self.scale)
        if (cond.get(status, "Ready") or {}).get("reason") == "DependencyNotReady":
            cond.mark(status, "Ready", "Unknown", "Progressing", "reconciliation in progress")

    async def _chart(self, hr: dict[str, Any], status: dict[str, Any],
                     rel: _Release) -> Chart:
        chart_spec = ((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}
        chart_name = str(chart_spec.get("chart", ""))
        version = str(chart_spec.get("version") or "")
        if version == "*":  # the CRD's default: any version, so the newest
            version = ""
        repo_ns, repo_name, _ = _source_ref(hr)
        hc_name = f"{hr['metadata']['namespace']}-{hr['metadata']['name']}"
        status["helmChart"] = f"{repo_ns}/{hc_name}"
        interval = parse_duration(chart_spec.get("interval") or hr["spec"].get("interval"),
                                  DEFAULT_INTERVAL) * self.scale
        repo = self.store.try_get(self.rt(*REPO_GVR), repo_ns, repo_name)
        error: str | None = None
        reason = "ChartPullError"
        if repo is None:
            reason = "SourceUnavailable"
            error = (f'failed to get source: HelmRepository.source.toolkit.fluxcd.io '
                     f'"{repo_name}" not found')
        elif rel.chart is None or rel.chart.name != chart_name or (
                version and rel.chart.version != version):
            assert self.source is not None
            url = str((repo.get("spec") or {}).get("url", ""))
            if not version:
                versions = self.source.index.versions(chart_name)
                version = versions[-1] if versions else "0.0.0"
            try:
                rel.chart = await self.source.pull(url, chart_name, version)
                rel.chart_url = url
            except ChartPullError as e:
                error = ("chart pull error: failed to download chart for remote reference: "
                         f"{e}")
        self._write_helmchart(hr, repo_ns, hc_name, chart_spec, repo_name, rel.chart,
                              reason, error)
        if error is not None or rel.chart is None:
            msg = f"HelmChart '{repo_ns}/{hc_name}' is not ready: {error}"
            cond.mark(status, "Ready", "False", "SourceNotReady", msg)
            cond.mark(status, "Reconciling", "True", "Progressing", "Fulfilling prerequisites")
            raise _Failed(interval)
        if (cond.get(status, "Ready") or {}).get("reason") in ("SourceNotReady",
                                                                "ArtifactFailed"):
            cond.mark(status, "Ready", "Unknown", "Progressing", "reconciliation in progress")
        return rel.chart

    def _values(self, hr: dict[str, Any], status: dict[str, Any],
                chart: Chart) -> dict[str, Any]:
        spec = hr.get("spec") or {}
        values = chart.default_values
        for ref in spec.get("valuesFrom") or []:
            values = merge_values(values, self._values_from(hr, status, ref))
        return merge_values(values, spec.get("values") or {})

    def _values_from(self, hr: dict[str, Any], status: dict[str, Any],
                     ref: dict[str, Any]) -> dict[str, Any]:
        ns = hr["metadata"]["namespace"]
        kind, name = ref.get("kind", "ConfigMap"), ref.get("name", "")
        key = ref.get("valuesKey") or "values.yaml"
        optional = "optional " if ref.get("optional") else ""
        plural = "secrets" if kind == "Secret" else "configmaps"
        obj = self.store.try_get(self.rt("", "v1", plural), ns, name)
        err = None
        if obj is None:
            err = f'{plural} "{name}" not found'
        else:
            raw = (obj.get("data") or {}).get(key)
            if raw is None:
                err = f"missing key '{key}'"
            else:
                text = base64.b64decode(raw).decode() if kind == "Secret" else str(raw)
                if ref.get("targetPath"):
                    out: dict[str, Any] = {}
                    cur = out
                    parts = str(ref["targetPath"]).split(".")
                    for p in parts[:-1]:
                        cur = cur.setdefault(p, {})
                    cur[parts[-1]] = text
                    return out
                loaded = yaml.safe_load(text) or {}
                return loaded if isinstance(loaded, dict) else {}
        if ref.get("optional"):
            return {}
        msg = (f"could not resolve {optional}{kind} chart values reference '{ns}/{name}' with "
               f"key '{key}': {err}")
        cond.mark(status, "Ready", "False", "ValuesError", msg)
        self._event(hr, "Warning", "ValuesError", msg)
        raise _Failed(REQUEUE_DEPENDENCY * self.scale)

    def _release(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release,
                 action: str, chart: Chart, values: dict[str, Any],
                 config_digest: str) -> float | None:
        spec = hr.get("spec") or {}
        target_ns, release = _target_ns(hr), _release_name(hr)
        if action == "install":
            status.pop("history", None)  # Install starts from a clean history
        cond.delete(status, "TestSuccess")
        cond.delete(status, "Remediated")
        try:
            manifests = render_chart(chart, values, release_name=release, namespace=target_ns,
                                     lookup=self._lookup, is_upgrade=action == "upgrade",
                                     revision=rel.version + 1)
            manifests = post_render(manifests, spec.get("postRenderers") or [], target_ns)
        except RenderError as e:
            # Nothing is stored: no remediation, retried with back-off, never stalls.
            status["failures"] = int(status.get("failures", 0)) + 1
            self._failed(hr, status, action, chart, str(e))
            backoff = min(DEFAULT_INTERVAL * self.scale, 0.05 * 2 ** status["failures"])
            cond.mark(status, "Reconciling", "True", "ProgressingWithRetry",
                      f"retrying after {format_duration(max(1.0, backoff / self.scale))}")
            raise _Failed(backoff) from None
        rel.version += 1
        rel.name = release
        if action == "install" and (spec.get("install") or {}).get("createNamespace"):
            self._create_namespace(target_ns)
        try:
            resolved = resolve(self.store, manifests, target_ns)
            rel.manifests = {v: m for v, m in rel.manifests.items()
                             if v > rel.version - MAX_HISTORY}
            rel.manifests[rel.version] = resolved
            rel.inventory = apply_release(
                self.store, resolved, release=release,
                release_ns=target_ns, hr_name=hr["metadata"]["name"],
                hr_ns=hr["metadata"]["namespace"], previous=rel.inventory)
        except ApplyError as e:
            rel.inventory = list(dict.fromkeys([*rel.inventory, *e.applied]))
            return self._stored_failure(hr, status, rel, action, chart, config_digest, str(e))
        timeout = parse_duration(spec.get("timeout"), DEFAULT_TIMEOUT)
        if (spec.get(action) or {}).get("disableWait"):
            self._record(status, rel, action, chart, config_digest, "deployed")
            self._succeeded(hr, status, rel, action, chart, rel.version)
            return parse_duration(spec.get("interval"), DEFAULT_INTERVAL) * self.scale
        loop = asyncio.get_running_loop()
        rel.pending = _Pending(int(hr["metadata"].get("generation", 1)), action, chart,
                               config_digest, rel.version, list(rel.inventory),
                               loop.time() + timeout * self.scale, timeout)
        msg = f"Running '{action}' action with timeout of {format_duration(timeout)}"
        cond.mark(status, "Ready", "Unknown", "Progressing", msg)
        cond.mark(status, "Reconciling", "True", "Progressing", msg)
        return self._check_wait(hr, status, rel)

    def _check_wait(self, hr: dict[str, Any], status: dict[str, Any],
                    rel: _Release) -> float | None:
        pending = rel.pending
        assert pending is not None
        problem: str | None = None
        waiting = False
        for ref in pending.objects:
            if ref.kind not in WAITED_KINDS:
                continue
            rt = self.store.registry.by_kind(ref.api_version, ref.kind)
            obj = self.store.try_get(rt, ref.namespace or None, ref.name) if rt else None
            if obj is None:
                waiting = True
                continue
            if ref.kind == "Job" and job_failure(obj):
                problem = job_failure(obj)
                break
            if compute(obj)[0] != CURRENT:
                waiting = True
        remaining = pending.deadline - asyncio.get_running_loop().time()
        if problem is None and not waiting:
            rel.pending = None
            self._record(status, rel, pending.action, pending.chart, pending.config_digest,
                         "deployed")
            self._succeeded(hr, status, rel, pending.action, pending.chart, pending.version)
            spec = hr.get("spec") or {}
            return parse_duration(spec.get("interval"), DEFAULT_INTERVAL) * self.scale
        if problem is None and remaining > 0:
            return remaining
        rel.pending = None
        return self._stored_failure(hr, status, rel, pending.action, pending.chart,
                                    pending.config_digest,
                                    problem or "context deadline exceeded", recorded=False)

    def _create_namespace(self, name: str) -> None:
        """`install.createNamespace`: Helm's install creates the target namespace when it is
        missing, labelled `name: <namespace>` (pkg/action/install.go)."""
        rt = self.store.registry.get("", "v1", "namespaces")
        assert rt is not None
        if self.store.try_get(rt, None, name) is None:
            self.store.create(rt, None, {"apiVersion": "v1", "kind": "Namespace",
                                         "metadata": {"name": name,
                                                      "labels": {"name": name}}})

    # ---- outcomes ------------------------------------------------------------------------
    def _stored_failure(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release,
                        action: str, chart: Chart, config_digest: str, err: str,
                        recorded: bool = False) -> float | None:
        """A failed release was stored: it counts toward the action's remediation retries,
        and is remediated at once (AtomicRelease runs the remediation in the same pass)."""
        if not recorded:
            self._record(status, rel, action, chart, config_digest, "failed")
        remediation = rem.Remediation.of(hr.get("spec") or {}, action)
        status[remediation.counter] = remediation.failures(status) + 1
        status["failures"] = int(status.get("failures", 0)) + 1
        self._failed(hr, status, action, chart, err)
        return self._remediate(hr, status, rel, remediation)

    def _remediate(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release,
                   remediation: rem.Remediation) -> float | None:
        """The latest release failed: uninstall or roll back between attempts; past the
        retries, stall (remediating that last failure only if `remediateLastFailure`)."""
        exhausted = remediation.exhausted(status)
        if exhausted and not remediation.remediate_last:
            return self._stall(hr, status, remediation)
        history = status.get("history") or []
        if remediation.strategy == rem.ROLLBACK:
            target = rem.rollback_target(history)
            if target is None or int(target.get("version", 0)) not in rel.manifests:
                cond.mark(status, "Stalled", "True", "MissingRollbackTarget",
                          "Failed to perform remediation: missing target release for "
                          "rollback: cannot remediate failed release")
                cond.delete(status, "Reconciling")
                status["observedGeneration"] = int(hr["metadata"].get("generation", 1))
                return None
            self._rollback(hr, status, rel, target)
        else:
            self._uninstall(hr, status, rel)
        _summarize(status)
        if exhausted:
            return self._stall(hr, status, remediation)
        ready = cond.get(status, "Ready") or {}
        cond.mark(status, "Reconciling", "True", "ProgressingWithRetry",
                  str(ready.get("message", "")))
        # ErrMustRequeue: controller-runtime's per-item rate limiter (5ms doubling).
        return min(DEFAULT_INTERVAL, 0.005 * 2 ** int(status.get("failures", 1))) * self.scale

    def _stall(self, hr: dict[str, Any], status: dict[str, Any],
               remediation: rem.Remediation) -> float | None:
        """Out of retries: a terminal error, no requeue (returns None)."""
        cond.mark(status, "Stalled", "True", "RetriesExceeded",
                  f"Failed to {status.get('lastAttemptedReleaseAction', remediation.action)} "
                  f"after {remediation.failures(status)} attempt(s)")
        cond.delete(status, "Reconciling")
        status["observedGeneration"] = int(hr["metadata"].get("generation", 1))
        return None

    def _uninstall(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release) -> None:
        """Uninstall remediation: delete the release's objects; Helm's records go too
        (`uninstall.keepHistory` false), the snapshot reads `uninstalled`."""
        history = [dict(h) for h in status.get("history") or []]
        prune(self.store, rel.inventory)
        rel.inventory, rel.manifests, rel.version = [], {}, 0
        cur = history[0] if history else {}
        if history:
            history[0]["status"] = "uninstalled"
            status["history"] = history
        msg = (f"Helm uninstall remediation for release {_full_name(cur)} with chart "
               f"{cur.get('chartName')}@{cur.get('chartVersion')} succeeded")
        cond.mark(status, "Remediated", "True", "UninstallSucceeded", msg)
        self._event(hr, "Normal", "UninstallSucceeded", msg)

    def _rollback(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release,
                  target: dict[str, Any]) -> None:
        """Rollback remediation: re-apply the target release's manifest as a new version;
        the failed release is superseded (Helm's rollback action)."""
        label = (f"Helm rollback to previous release {_full_name(target)} with chart "
                 f"{target.get('chartName')}@{target.get('chartVersion')}")
        try:
            rel.inventory = apply_release(
                self.store, rel.manifests[int(target["version"])], release=rel.name,
                release_ns=_target_ns(hr), hr_name=hr["metadata"]["name"],
                hr_ns=hr["metadata"]["namespace"], previous=rel.inventory)
        except ApplyError as e:
            status["failures"] = int(status.get("failures", 0)) + 1
            msg = f"{label} failed: {e}"
            cond.mark(status, "Remediated", "False", "RollbackFailed", msg)
            self._event(hr, "Warning", "RollbackFailed", msg)
            return
        rel.version += 1
        rel.manifests[rel.version] = rel.manifests[int(target["version"])]
        history = [dict(h) for h in status.get("history") or []]
        for h in history:
            if h.get("status") in ("deployed", "failed"):
                h["status"] = "superseded"
        stamp = now_iso()
        snapshot = {**target, "version": rel.version, "status": "deployed",
                    "lastDeployed": stamp, "action": "rollback",
                    "digest": digest({"chart": target.get("digest"), "version": rel.version})}
        status["history"] = [snapshot, *history][:MAX_HISTORY]
        msg = f"{label} succeeded"
        cond.mark(status, "Remediated", "True", "RollbackSucceeded", msg)
        self._event(hr, "Normal", "RollbackSucceeded", msg)

    def _failed(self, hr: dict[str, Any], status: dict[str, Any], action: str,
                chart: Chart, err: str) -> None:
        verb = "install" if action == "install" else "upgrade"
        reason = "InstallFailed" if action == "install" else "UpgradeFailed"
        msg = (f"Helm {verb} failed for release {_target_ns(hr)}/{_release_name(hr)} with "
               f"chart {chart.name}@{chart.version}: {err}")
        cond.mark(status, "Released", "False", reason, msg)
        cond.mark(status, "Ready", "False", reason, msg)
        self._event(hr, "Warning", reason, msg)

    def _succeeded(self, hr: dict[str, Any], status: dict[str, Any], rel: _Release,
                   action: str, chart: Chart, version: int) -> None:
        verb = "install" if action == "install" else "upgrade"
        reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
        msg = (f"Helm {verb} succeeded for release {_target_ns(hr)}/{_release_name(hr)}.v"
               f"{version} with chart {chart.name}@{chart.version}")
        gen = int(hr["metadata"].get("generation", 1))
        cond.mark(status, "Released", "True", reason, msg)
        cond.mark(status, "Ready", "True", reason, msg)
        cond.delete(status, "Remediated")
        cond.delete(status, "Reconciling")
        cond.delete(status, "Stalled")
        status["observedGeneration"] = gen
        status["lastAttemptedGeneration"] = gen
        self._event(hr, "Normal", reason, msg)

    def _record(self, status: dict[str, Any], rel: _Release, action: str, chart: Chart,
                config_digest: str, state: str) -> None:
        """Prepend a release snapshot to status.history (newest first, like Flux)."""
        history = [dict(h) for h in status.get("history") or []]
        if state == "deployed":
            for h in history:
                if h.get("status") == "deployed":
                    h["status"] = "superseded"
        stamp = now_iso()
        first = history[-1].get("firstDeployed", stamp) if history else stamp
        snapshot = {
            "name": rel.name, "namespace":
                status.get("storageNamespace", ""), "version": rel.version,
            "status": state, "chartName": chart.name, "chartVersion": chart.version,
            "appVersion": chart.app_version, "configDigest": config_digest,
            "digest": digest({"chart": chart.digest, "config": config_digest,
                              "version": rel.version}),
            "firstDeployed": first, "lastDeployed": stamp, "action": action,
        }
        status["history"] = [snapshot, *history][:MAX_HISTORY]

    # ---- store helpers -------------------------------------------------------------------
    def _lookup(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """Helm's lookup (pkg/engine/lookup_func.go): the object, `{}` when absent, the
        list when `name` is empty (all namespaces when `namespace` is too); an API group
        version the server does not serve is an error, an unknown kind in a served one a
        404 that Helm turns into `{}`."""
        rt = self.store.registry.by_kind(api_version, kind)
        if rt is None:
            group, _, version = api_version.rpartition("/")
            if not self.store.registry.in_group_version(group, version):
                raise LookupError(f"unable to get apiresource from unstructured: {group}/"
                                  f"{version}, Kind={kind}: the server could not find the "
                                  f"requested resource")
            return {}
        ns = namespace if rt.namespaced and namespace else None
        if name:
            if rt.namespaced and ns is None:
                return {}  # a namespaced name asked cluster-wide: the server's 404
            return self.store.try_get(rt, ns, name) or {}
        items, rv = self.store.list(rt, ns)
        return {"apiVersion": api_version, "kind": f"{kind}List",
                "metadata": {"resourceVersion": str(rv)}, "items": items}

    def _write_status(self, hr: dict[str, Any], status: dict[str, Any]) -> None:
        if cond.same(hr.get("status") or {}, status):
            return
        rt = self._hr_rt()
        live = self.store.try_get(rt, hr["metadata"]["namespace"], hr["metadata"]["name"])
        if live is None:
            return
        live["status"] = status
        live["metadata"].pop("resourceVersion", None)
        self.store.replace(rt, hr["metadata"]["namespace"], hr["metadata"]["name"], live,
                           subresource="status")

    def _write_helmchart(self, hr: dict[str, Any], ns: str, name: str,
                         chart_spec: dict[str, Any], repo_name: str, chart: Chart | None,
                         reason: str, error: str | None) -> None:
        """Keep the HelmChart object source-controller would own in step with the pull."""
        try:
            rt = self.rt(*CHART_GVR)
        except LookupError:
            return
        spec = {"chart": chart_spec.get("chart", ""), "version": chart_spec.get("version", "*"),
                "sourceRef": {"kind": "HelmRepository", "name": repo_name},
                "interval": chart_spec.get("interval") or hr["spec"].get("interval", "10m"),
                "reconcileStrategy": chart_spec.get("reconcileStrategy", "ChartVersion")}
        live = self.store.try_get(rt, ns, name)
        try:
            if live is None:
                live = self.store.create(rt, ns, {"metadata": {"name": name, "namespace": ns},
                                                  "spec": spec})
            elif live.get("spec") != spec:
                live["spec"] = spec
                live["metadata"].pop("resourceVersion", None)
                live = self.store.replace(rt, ns, name, live)
        except ApiError:
            return
        status = copy.deepcopy(live.get("status") or {})
        gen = int(live["metadata"].get("generation", 1))
        status["observedGeneration"] = gen
        if error is not None:
            cond.mark(status, "Ready", "False", reason, error, gen)
            cond.mark(status, "FetchFailed", "True", reason, error, gen)
        elif chart is not None:
            msg = f"pulled '{chart.name}' chart with version '{chart.version}'"
            cond.mark(status, "Ready", "True", "ChartPullSucceeded", msg, gen)
            cond.delete(status, "FetchFailed")
            status["artifact"] = {"revision": chart.version, "digest": chart.digest,
                                  "path": f"helmchart/{ns}/{name}/{chart.name}-"
                                          f"{chart.version}.tgz",
                                  "lastUpdateTime": now_iso()}
        if cond.same(live.get("status") or {}, status):
            return
        live["status"] = status
        live["metadata"].pop("resourceVersion", None)
        self.store.replace(rt, ns, name, live, subresource="status")

    def _event(self, hr: dict[str, Any], type_: str, reason: str, message: str) -> None:
        if self.events is not None:
            with contextlib.suppress(ApiError):
                self.events.record(object_ref(hr), type_, reason, message)


def _summarize(status: dict[str, Any]) -> None:
    """Ready mirrors the newest of Remediated and Released; any remediation is a failure
    (internal/reconcile/release.go `summarize`)."""
    pick = cond.get(status, "Remediated") or cond.get(status, "Released")
    if pick is None:
        return
    value = "False" if pick["type"] == "Remediated" else str(pick["status"])
    cond.mark(status, "Ready", value, str(pick["reason"]), str(pick["message"]))


def _full_name(snapshot: dict[str, Any]) -> str:
    """Snapshot.FullReleaseName: `<namespace>/<name>.v<version>`."""
    return f"{snapshot.get('namespace')}/{snapshot.get('name')}.v{snapshot.get('version')}"


def _source_ref(hr: dict[str, Any]) -> tuple[str, str, str]:
    chart_spec = ((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}
    ref = chart_spec.get("sourceRef") or {}
    return (ref.get("namespace") or hr["metadata"]["namespace"], ref.get("name", ""),
            ref.get("kind", "HelmRepository"))


def _target_ns(hr: dict[str, Any]) -> str:
    return str((hr.get("spec") or {}).get("targetNamespace") or hr["metadata"]["namespace"])


def _release_name(hr: dict[str, Any]) -> str:
    spec = hr.get("spec") or {}
    if spec.get("releaseName"):
        return str(spec["releaseName"])
    if spec.get("targetNamespace"):
        return f"{spec['targetNamespace']}-{hr['metadata']['name']}"
    return str(hr["metadata"]["name"])
