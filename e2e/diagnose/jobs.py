"""job.failed: a Job that gave up (BackoffLimitExceeded, DeadlineExceeded), with the failed
pod's log tail and whatever the Job publishes about its progress.

A Job that reports progress names where in its env (e.g. the cutover's
`CUTOVER_STATUS_CONFIGMAP=<ns>/<name>`); any env value naming an existing ConfigMap whose
data marks a step `failed` is read, so the Finding says which step failed and why.
"""

from __future__ import annotations

from typing import Any

from ..kube import gvr
from ..kube.status import condition, name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .evidence import log_tail
from .findings import blocking, subject_of
from .net import network_findings_in
from .owners import release_of

Obj = dict[str, Any]


def _template_env(job: Obj) -> list[Obj]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [e for c in spec.get("containers") or [] for e in c.get("env") or []]


def progress_configmaps(sov: Sovereign, job: Obj) -> list[Obj]:
    """ConfigMaps the Job's env names (`ns/name` or `name` in the Job's namespace)."""
    out = []
    for env in _template_env(job):
        value = str(env.get("value") or "")
        if not value or " " in value or value.count("/") > 1:
            continue
        ns, _, name = value.rpartition("/")
        cm = sov.informers(gvr.CONFIGMAPS).get(name, ns or namespace_of(job))
        if cm is not None and cm not in out:
            out.append(cm)
    return out


def failed_steps(cm: Obj) -> list[tuple[str, str]]:
    """(key, state) of entries the Job marked failed, e.g. (`step-04`, `failed: ...`)."""
    return [(k, str(v)) for k, v in sorted((cm.get("data") or {}).items())
            if str(v).startswith("failed")]


def job_pods(sov: Sovereign, job: Obj) -> list[Obj]:
    uid = (job.get("metadata") or {}).get("uid")
    return [p for p in sov.informers(gvr.PODS).items(lambda o: namespace_of(o) == namespace_of(
        job)) if any(r.get("uid") == uid for r in (p.get("metadata") or {}).get(
            "ownerReferences") or []) or ((p.get("metadata") or {}).get("labels") or {}).get(
            "job-name") == name_of(job)]


def failed_jobs(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    for job in sov.informers(gvr.JOBS).items():
        failed = condition(job, "Failed") or {}
        if failed.get("status") != "True":
            continue
        ref = f"Job {namespace_of(job)}/{name_of(job)}"
        pods = [p for p in job_pods(sov, job) if (p.get("status") or {}).get("phase") ==
                "Failed"]
        pods.sort(key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp", "")))
        tail = ""
        if pods:
            containers = (pods[-1].get("spec") or {}).get("containers") or [{}]
            tail = log_tail(sov, pods[-1], str(containers[0].get("name", "")), lines=20)
        published = [(cm, k, v) for cm in progress_configmaps(sov, job)
                     for k, v in failed_steps(cm)]
        where = ""
        if published:
            cm, k, v = published[-1]
            where = f"; ConfigMap {namespace_of(cm)}/{name_of(cm)} says {k} {v}"
        last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
        rel = release_of(job)
        net = network_findings_in(sov, tail + "\n" + "\n".join(v for _, _, v in published),
                                  where=ref)
        cause = f"; the network: {net[0].message}" if net else ""
        out.append(blocking(
            "job.failed", subject_of(job),
            f"{ref} failed ({failed.get('reason', '')}: {failed.get('message', '')}, "
            f"{(job.get('status') or {}).get('failed', 0)} failed pod(s)){where}"
            + (f"; last log line: {last}" if last and not published else "") + cause,
            (net[0].hint if net else "fix what the failed step says")
            + (f" (the Job is rendered by HelmRelease {rel})" if rel else "")
            + f"; then delete {ref} so it runs again",
            reason=str(failed.get("reason", "")), log_tail=tail,
            published="\n".join(f"{k}: {v}" for _, k, v in published)))
    return out
