"""Flux families: a failed install (Helm's template error), an artifact that cannot be
fetched, a release waiting on a failed ancestor or on one that does not exist, values from a
ConfigMap/Secret that does not exist, and a kit pinned behind its charts.

A remediated release (helm-controller uninstalled it or rolled it back after the failure)
shows Ready=False with the remediation's reason; the failure itself is in its `Released`
condition, and the objects that failed may be gone: their Warning events (which outlive
them) say why, and a failed Job named by Helm's wait error is still named as the root."""

from __future__ import annotations

import difflib
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlparse

from ..errors import E2EError
from ..kube import gvr
from ..kube.status import condition, name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject, subject_of, warning

Obj = dict[str, Any]
FAILED_REASONS = {"InstallFailed", "UpgradeFailed", "ArtifactFailed", "SourceNotReady",
                  "ChartPullFailed", "ChartNotFound", "RetriesExceeded", "TestFailed",
                  "InitFailed"}
# Ready=False reasons of a release helm-controller remediated (its Remediated condition).
REMEDIATED_REASONS = {"RollbackSucceeded", "UninstallSucceeded", "RollbackFailed",
                      "UninstallFailed"}
JOB_FAILED = re.compile(r"job (?P<name>[a-z0-9.-]+) failed: (?P<reason>\w+)")
FAILED_FOR_RELEASE = re.compile(r"failed for release (?P<ns>[a-z0-9-]+)/")
MAX_LOST_EVENTS = 3


def _ready(hr: Obj) -> Obj:
    return condition(hr, "Ready") or {}


def _failed(hr: Obj) -> bool:
    c = _ready(hr)
    return c.get("status") == "False" and c.get("reason") in FAILED_REASONS | \
        REMEDIATED_REASONS


def _failure(hr: Obj) -> tuple[Obj, str]:
    """(the condition that says what failed, what remediation did since, or "")."""
    ready = _ready(hr)
    if ready.get("reason") not in REMEDIATED_REASONS:
        return ready, ""
    released = condition(hr, "Released") or {}
    cause = released if released.get("status") == "False" else ready
    done = f"; then {ready.get('message', '')}"
    stalled = condition(hr, "Stalled") or {}
    if stalled.get("status") == "True":
        done += f" ({stalled.get('reason')}: {stalled.get('message', '')})"
    return cause, done


def _exists(sov: Sovereign, kind: str, namespace: str, name: str) -> bool | None:
    """Whether the object exists; None for kinds the diagnosers do not watch."""
    g = {"Pod": gvr.PODS, "Job": gvr.JOBS, "Deployment": gvr.DEPLOYMENTS,
         "StatefulSet": gvr.STATEFULSETS, "DaemonSet": gvr.DAEMONSETS}.get(kind)
    return None if g is None else sov.informers(g).get(name, namespace) is not None


def lost_warnings(sov: Sovereign, namespace: str, prefix: str = "") -> list[str]:
    """The newest Warning events of objects in `namespace` that no longer exist (an
    uninstall removed them; their events stay): `Kind name Reason: message`."""
    out = []
    events = sov.informers(gvr.EVENTS).items(lambda e: namespace_of(e) == namespace and
                                             e.get("type") == "Warning")
    events.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    for e in events:
        io = e.get("involvedObject") or {}
        name, kind = str(io.get("name", "")), str(io.get("kind", ""))
        if not name.startswith(prefix) or _exists(sov, kind, namespace, name) is not False:
            continue
        line = f"{kind} {name} {e.get('reason')}: {e.get('message', '')}"
        if line not in out:
            out.append(line)
    return out[-MAX_LOST_EVENTS:]


def vanished_job(sov: Sovereign, hr: Obj, message: str) -> Finding | None:
    """job.failed for the Job Helm's wait names (`job <name> failed: <reason>`) when the
    release's remediation deleted it: the Job is still the root, read from what is left."""
    job, where = JOB_FAILED.search(message), FAILED_FOR_RELEASE.search(message)
    if job is None or where is None or _exists(sov, "Job", where["ns"], job["name"]):
        return None
    ns, name = where["ns"], job["name"]
    ref = f"{namespace_of(hr)}/{name_of(hr)}"
    seen = lost_warnings(sov, ns, prefix=name)
    return blocking(
        "job.failed", subject("Job", name, ns),
        f"Job {ns}/{name} failed ({job['reason']}) and HelmRelease {ref}'s remediation "
        f"removed it: {_ready(hr).get('message', '')}"
        + (f"; its last warnings: {' | '.join(seen)}" if seen else ""),
        f"fix what made Job {ns}/{name} fail (its events above; the Job is rendered by "
        f"HelmRelease {ref}), then let Flux retry (flux reconcile helmrelease -n "
        f"{namespace_of(hr)} {name_of(hr)} --force)",
        reason=job["reason"], release=ref, remediated=str(_ready(hr).get("reason")))


def releases(sov: Sovereign) -> dict[tuple[str, str], Obj]:
    return {(namespace_of(h), name_of(h)): h for h in sov.informers(gvr.HELMRELEASES).items()}


def failed_releases(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    for hr in releases(sov).values():
        if not _failed(hr):
            continue
        c, remedied = _failure(hr)
        reason = str(c.get("reason"))
        ref = f"{namespace_of(hr)}/{name_of(hr)}"
        refused = APPLY_REFUSED.search(str(c.get("message", "")))
        if reason in ("InstallFailed", "UpgradeFailed") and refused:
            # Helm rendered, and the API server refused an object: nothing ran, so no
            # object carries the cause; the API's answer is it.
            api_error = refused.group(1)
            missing_ns = NAMESPACE_NOT_FOUND.search(api_error)
            target = (hr.get("spec") or {}).get("targetNamespace") or namespace_of(hr)
            fix = (f"create namespace {missing_ns.group(1)} before the release, or set "
                   f"spec.install.createNamespace: true on HelmRelease {ref}, or correct "
                   f"its spec.targetNamespace (now {target})"
                   if missing_ns else
                   f"the API server refused an object of the release ({api_error}): fix "
                   f"that object in the chart or in HelmRelease {ref}'s values")
            out.append(blocking(
                "flux.install-failed", subject_of(hr),
                f"HelmRelease {ref}: {reason}: {c.get('message', '')}{remedied}", fix,
                reason=reason, failure="apply", api_error=api_error))
        elif reason in ("InstallFailed", "UpgradeFailed") and not _rendered(str(
                c.get("message", ""))):
            # Helm rendered and applied; what it waited for (a Job, a rollout) failed. The
            # Finding on that object is the cause; this one is its consequence. Remediation
            # may have removed those objects: their last warnings say what failed.
            lost = lost_warnings(sov, _target_namespace(hr, str(c.get("message", "")))) \
                if remedied else []
            out.append(blocking(
                "flux.install-failed", subject_of(hr),
                f"HelmRelease {ref}: {reason}: {c.get('message', '')}{remedied}"
                + (f"; warnings of the removed objects: {' | '.join(lost)}" if lost else ""),
                "the release's objects did not become ready (Helm's wait failed): fix the "
                "object the message names (its own Finding says why), then let Flux retry "
                f"(flux reconcile helmrelease -n {namespace_of(hr)} {name_of(hr)} --force)",
                reason=reason, failure="wait",
                **({"remediated": str(_ready(hr).get("reason"))} if remedied else {})))
            if remedied:
                job = vanished_job(sov, hr, str(c.get("message", "")))
                if job is not None:
                    out.append(job)
        elif reason in ("InstallFailed", "UpgradeFailed"):
            msg = str(c.get("message", ""))
            template = msg.split(": ", 1)[1] if "execution error" in msg else msg
            out.append(blocking(
                "flux.install-failed", subject_of(hr),
                f"HelmRelease {ref}: {reason}: {msg}{remedied}",
                "the chart refused to render with these values: fix the value the template "
                "error names (in the HelmRelease values or the chart) and bump the pin",
                helm_error=template, reason=reason))
        else:
            out.append(blocking(
                "flux.artifact-failed", subject_of(hr),
                f"HelmRelease {ref}: {reason}: {c.get('message', '')}",
                _artifact_fix(sov, hr, str(c.get("message", ""))), reason=reason))
    return out


def _artifact_fix(sov: Sovereign, hr: Obj, message: str) -> str:
    """What to change when a chart cannot be fetched: a repository URL unlike every other
    one of the kit (a typo), else a version the repository does not publish."""
    chart = ((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}
    src = chart.get("sourceRef") or {}
    repos = {(namespace_of(r), name_of(r)): r for r in
             sov.informers(gvr.HELMREPOSITORIES).items()}
    key = (src.get("namespace") or namespace_of(hr), str(src.get("name", "")))
    url = str(((repos.get(key) or {}).get("spec") or {}).get("url", ""))
    others = Counter(str((r.get("spec") or {}).get("url", "")) for k, r in repos.items()
                     if k != key)
    if url and len(others) >= 1 and url not in others and sum(others.values()) >= 2:
        common, count = others.most_common(1)[0]
        if count * 2 > sum(others.values()):
            return (f"set the URL of HelmRepository {key[0]}/{key[1]} to {common} (now "
                    f"{url}; {count} of the other {sum(others.values())} HelmRepositories "
                    "use it)")
    pinned = str(chart.get("version", ""))
    if "not found" in message and url:
        versions = published_versions(sov, url, str(chart.get("chart", "")))
        if versions and pinned not in versions:
            shown = ", ".join(sorted(versions, key=_version_key, reverse=True)[:5])
            return (f"pin a version of {chart.get('chart')} the repository publishes ({shown})"
                    f" in spec.chart.spec.version of HelmRelease {namespace_of(hr)}/"
                    f"{name_of(hr)} (now {pinned})")
    return ("the chart cannot be fetched: check the pinned version exists in the "
            "repository and that the HelmRepository URL is reachable")


# Helm's kube client, when the API server refuses an object it creates or patches.
APPLY_REFUSED = re.compile(r"(?:failed to create resource|cannot patch \"[^\"]*\" with kind "
                           r"\w+): (.*)$", re.S)
NAMESPACE_NOT_FOUND = re.compile(r'namespaces "([^"]+)" not found')


def _target_namespace(hr: Obj, message: str) -> str:
    where = FAILED_FOR_RELEASE.search(message)
    if where:
        return where["ns"]
    return str((hr.get("spec") or {}).get("targetNamespace") or namespace_of(hr))


RENDER_ERRORS = ("execution error", "parse error", "YAML parse error", "post render",
                 "error converting YAML", "template:")


def _rendered(message: str) -> bool:
    """True when Helm's failure is a render error (the chart refused these values)."""
    return any(marker in message for marker in RENDER_ERRORS)


def dependency_roots(sov: Sovereign) -> list[Finding]:
    """For a release waiting on DependencyNotReady, name the first failing ancestor."""
    rels = releases(sov)
    out: list[Finding] = []
    for key, hr in rels.items():
        if _ready(hr).get("reason") != "DependencyNotReady":
            continue
        root = _root(rels, key, set())
        if root is None or root == key:
            continue
        rhr = rels[root]
        rc = _ready(rhr)
        out.append(warning(
            "flux.dependency-root", subject_of(hr),
            f"HelmRelease {key[0]}/{key[1]} waits on {root[0]}/{root[1]}, which is "
            f"{rc.get('reason', 'not ready')}: {rc.get('message', '')}"[:600],
            f"fix {root[0]}/{root[1]} first; {key[1]} follows once it is Ready",
            root=f"{root[0]}/{root[1]}"))
    return out


def _root(rels: dict[tuple[str, str], Obj], key: tuple[str, str],
          seen: set[tuple[str, str]]) -> tuple[str, str] | None:
    if key in seen or key not in rels:
        return None
    seen.add(key)
    hr = rels[key]
    if _ready(hr).get("reason") != "DependencyNotReady":
        return key if _ready(hr).get("status") != "True" else None
    for dep in (hr.get("spec") or {}).get("dependsOn") or []:
        dkey = (dep.get("namespace") or key[0], dep.get("name", ""))
        if dkey in rels and _ready(rels[dkey]).get("status") != "True":
            return _root(rels, dkey, seen) or dkey
    return None


def _version_key(v: str) -> tuple[int, ...]:
    parts = []
    for p in v.lstrip("v").split("-")[0].split("."):
        parts.append(int(p) if p.isdigit() else 0)
    return tuple(parts)


NEGATIVE_TTL = 60.0  # seconds an unanswered registry is not asked again


def published_versions(sov: Sovereign, repo_url: str, chart: str) -> list[str]:
    """Chart versions the Sovereign's registry publishes (OCI tags list, through the
    gateway). Pre-cutover sources on an outside registry are looked up in the Sovereign's
    own mirror, Harbor at registry.<fqdn>, which mirrors the same project."""
    parsed = urlparse(repo_url)
    if parsed.scheme != "oci":
        return []
    host = parsed.netloc if parsed.netloc.endswith("." + sov.fqdn) else f"registry.{sov.fqdn}"
    path = f"/v2/{parsed.path.strip('/')}/{chart}/tags/list"
    key = f"tags:{host}{path}"
    cached = sov.memo.get(key)
    if isinstance(cached, float) and time.monotonic() < cached:
        return []  # asked recently and got no answer: do not ask on every pass
    if cached is None or isinstance(cached, float):
        try:
            resp = sov.http.call("GET", host, path)
            body = resp.body if resp.status == 200 and isinstance(resp.body, dict) else {}
            tags = body.get("tags")
        except E2EError:
            tags = None
        if not isinstance(tags, list):
            sov.memo[key] = time.monotonic() + NEGATIVE_TTL
            return []
        sov.memo[key] = [str(t) for t in tags]
    return list(sov.memo[key])


def chart_pin_lag(sov: Sovereign) -> list[Finding]:
    """A release pinned below the newest chart its registry publishes."""
    out: list[Finding] = []
    repos = {(namespace_of(r), name_of(r)): r for r in sov.informers(gvr.HELMREPOSITORIES)
             .items()}
    for hr in releases(sov).values():
        chart = ((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}
        src = chart.get("sourceRef") or {}
        repo = repos.get((src.get("namespace") or namespace_of(hr), src.get("name", "")))
        pinned = str(chart.get("version", ""))
        if repo is None or not pinned or any(c in pinned for c in "*^~><"):
            continue
        versions = published_versions(sov, str((repo.get("spec") or {}).get("url", "")),
                                      str(chart.get("chart", "")))
        if not versions:
            continue
        newest = max(versions, key=_version_key)
        if _version_key(newest) > _version_key(pinned):
            out.append(warning(
                "flux.chart-pin-lag", subject_of(hr),
                f"HelmRelease {namespace_of(hr)}/{name_of(hr)} is pinned to "
                f"{chart.get('chart')}@{pinned}, but {newest} is published: the kit runs a "
                "stale chart (fixes released since do not reach this Sovereign)",
                f"bump the bootstrap-kit pin of {chart.get('chart')} to {newest}",
                pinned=pinned, newest=newest))
    return out


def missing_dependencies(sov: Sovereign) -> list[Finding]:
    """flux.dependency-missing: a HelmRelease's dependsOn names a HelmRelease that does not
    exist (helm-controller: DependencyNotReady `unable to get '<ns>/<name>' dependency`), so
    it waits forever. Names the closest existing release (a typo, most often)."""
    rels = releases(sov)
    out: list[Finding] = []
    for (ns, name), hr in rels.items():
        if _ready(hr).get("reason") != "DependencyNotReady":
            continue
        for dep in (hr.get("spec") or {}).get("dependsOn") or []:
            dkey = (dep.get("namespace") or ns, str(dep.get("name", "")))
            if dkey in rels:
                continue
            near = difflib.get_close_matches(dkey[1], [n for d, n in rels if d == dkey[0]],
                                             n=1)
            out.append(blocking(
                "flux.dependency-missing", subject_of(hr),
                f"HelmRelease {ns}/{name} depends on HelmRelease {dkey[0]}/{dkey[1]}, which "
                f"does not exist: it waits forever ({_ready(hr).get('message', '')})",
                f"correct dependsOn of HelmRelease {ns}/{name}: {dkey[0]}/{dkey[1]} does not "
                "exist" + (f" (did you mean {near[0]}?)" if near else
                           "; add that release to the kit, or drop the dependency"),
                dependency=f"{dkey[0]}/{dkey[1]}", **({"closest": near[0]} if near else {})))
    return out


def missing_values_sources(sov: Sovereign) -> list[Finding]:
    """flux.values-missing: a HelmRelease's valuesFrom names a ConfigMap or Secret (or a key
    in it) that does not exist, so helm-controller cannot compose its values (ValuesError)."""
    out: list[Finding] = []
    for (ns, name), hr in releases(sov).items():
        ready = _ready(hr)
        # helm-controller's own verdict (it may yet be created by something in flight).
        if ready.get("status") == "True" or not (
                ready.get("reason") == "ValuesError"
                or "values reference" in str(ready.get("message", ""))):
            continue
        for ref in (hr.get("spec") or {}).get("valuesFrom") or []:
            if ref.get("optional"):
                continue
            kind = "Secret" if ref.get("kind") == "Secret" else "ConfigMap"
            src, key = str(ref.get("name", "")), str(ref.get("valuesKey") or "values.yaml")
            obj = sov.informers(gvr.SECRETS if kind == "Secret" else gvr.CONFIGMAPS).get(
                src, ns)
            keys = sorted({*((obj or {}).get("data") or {}), *((obj or {}).get("stringData")
                                                                or {})})
            if obj is not None and key in keys:
                continue
            what = f"{kind} {ns}/{src}" + (f", which has no key {key}" if obj is not None
                                           else ", which does not exist")
            fix = (f"add key {key} to {kind} {ns}/{src} (it has: {', '.join(keys) or 'none'})"
                   if obj is not None else f"create {kind} {ns}/{src} with key {key}") + \
                f", or correct the valuesFrom of HelmRelease {ns}/{name} (optional: true if " \
                "the values may be absent)"
            out.append(blocking(
                "flux.values-missing", subject(kind, src, ns),
                f"HelmRelease {ns}/{name} takes values from {what}: "
                f"{_ready(hr).get('reason', '')}: {_ready(hr).get('message', '')}", fix,
                release=f"{ns}/{name}", key=key))
    return out


SUSPENDABLE = (gvr.HELMRELEASES, gvr.HELMREPOSITORIES, gvr.KUSTOMIZATIONS, gvr.GITREPOSITORIES)


def suspended(sov: Sovereign) -> list[Finding]:
    """flux.suspended: a Flux object with `spec.suspend: true` is never reconciled (its
    controller skips it), so whatever waits on it waits forever; the status it shows, if
    any, is from before the suspension."""
    out: list[Finding] = []
    for kind in SUSPENDABLE:
        try:
            objs = sov.informers(kind).items()
        except E2EError:
            continue  # the kind is not served: another rule's business
        for obj in objs:
            if (obj.get("spec") or {}).get("suspend") is not True:
                continue
            ns, name = namespace_of(obj), name_of(obj)
            what = str(obj.get("kind") or kind.kind)
            out.append(blocking(
                "flux.suspended", subject_of(obj),
                f"{what} {ns}/{name} is suspended (spec.suspend: true): Flux does not "
                "reconcile it, so it never becomes Ready and what depends on it waits",
                f"resume it (flux resume {what.lower()} -n {ns} {name}) and remove "
                "spec.suspend from the kit, or take it out of the kit if it is not wanted",
                suspend="true"))
    return out
