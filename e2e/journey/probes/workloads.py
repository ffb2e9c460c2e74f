"""Step 6: workloads healthy: every pod Ready (Pending and ContainerCreating are not), no
restart since the step began, and every routed Service has ready endpoints. The runner
holds the pass for the step's settle window: a restart inside it changes the done
fingerprint (restart counts are part of it) and the diagnoser names it."""

from __future__ import annotations

from typing import Any

from ...diagnose import general
from ...diagnose.evidence import pod_state
from ...diagnose.findings import blocking, subject_of
from ...diagnose.owners import describe_owner
from ...diagnose.services import routed_services
from ...kube import gvr
from ...kube.status import name_of, namespace_of, pod_ready, pod_waiting_reasons
from ...report.model import Finding, Severity
from ..model import Progress, State, StepContext

Obj = dict[str, Any]
BASELINE = "06.restarts"  # JourneyState key: restart counts when step 06 first looked


def _restarts(pod: Obj) -> int:
    return sum(int(cs.get("restartCount", 0)) for cs in
               (pod.get("status") or {}).get("containerStatuses") or [])


def _uid(pod: Obj) -> str:
    return str((pod.get("metadata") or {}).get("uid") or f"{namespace_of(pod)}/{name_of(pod)}")


def _owned_by_job(pod: Obj) -> bool:
    return any(r.get("kind") == "Job" for r in (pod.get("metadata") or {}).get(
        "ownerReferences") or [])


def live_pods(ctx: StepContext) -> list[Obj]:
    """Pods that should be serving: not Succeeded, and not a Job's failed attempt (the Job's
    own status judges those)."""
    return [p for p in ctx.sov.informers(gvr.PODS).items()
            if (p.get("status") or {}).get("phase") != "Succeeded"
            and not ((p.get("status") or {}).get("phase") == "Failed" and _owned_by_job(p))]


def baseline(ctx: StepContext, pods: list[Obj]) -> dict[str, int]:
    seen: dict[str, int] = ctx.state.values.setdefault(BASELINE, {})
    for p in pods:
        seen.setdefault(_uid(p), _restarts(p))
    return seen


def restarted(ctx: StepContext, pods: list[Obj]) -> list[tuple[Obj, int]]:
    """(pod, restarts since the step began) for pods that restarted meanwhile."""
    base = baseline(ctx, pods)
    return [(p, _restarts(p) - base[_uid(p)]) for p in pods
            if _restarts(p) > base[_uid(p)]]


def unhealthy_pods(ctx: StepContext) -> list[tuple[Obj, str]]:
    out = []
    pods = live_pods(ctx)
    since = {_uid(p): n for p, n in restarted(ctx, pods)}
    for pod in pods:
        reasons = [r for _, r, _ in pod_waiting_reasons(pod) if r]
        phase = (pod.get("status") or {}).get("phase")
        if not pod_ready(pod):
            reasons.append(f"{phase}, not Ready")
        if _uid(pod) in since:
            reasons.append(f"{since[_uid(pod)]} restart(s) during the step")
        if reasons:
            out.append((pod, ",".join(dict.fromkeys(reasons))))
    return out


def services_without_endpoints(ctx: StepContext) -> list[str]:
    services = {(namespace_of(s), name_of(s)) for s in ctx.sov.informers(gvr.SERVICES).items()}
    ready: set[tuple[str, str]] = set()
    for eps in ctx.sov.informers(gvr.ENDPOINTSLICES).items():
        svc = ((eps.get("metadata") or {}).get("labels") or {}).get(
            "kubernetes.io/service-name")
        if any((e.get("conditions") or {}).get("ready") for e in eps.get("endpoints") or []):
            ready.add((namespace_of(eps), str(svc)))
    # A routed Service that does not exist is a route problem (step 15), not a workload one.
    return sorted(f"{ns}/{n}" for ns, n in routed_services(ctx.sov)
                  & services if (ns, n) not in ready)


def workloads_healthy(ctx: StepContext) -> Progress:
    bad = unhealthy_pods(ctx)
    empty = services_without_endpoints(ctx)
    if not bad and not empty:
        pods = live_pods(ctx)
        restarts = ",".join(f"{_uid(p)}={_restarts(p)}" for p in sorted(pods, key=_uid))
        return Progress(State.DONE, f"{len(pods)} pods Ready without restarts; every routed "
                        "Service has ready endpoints", f"done|{restarts}")
    parts = [f"{namespace_of(p)}/{name_of(p)}: {why}" for p, why in bad]
    parts += [f"Service {s}: no ready endpoints" for s in empty]
    return Progress.waiting(f"{len(bad)} pod(s) not healthy, {len(empty)} routed Service(s) "
                            f"without ready endpoints; first: {parts[0]}",
                            fingerprint="|".join(sorted(parts)))


def restart_findings(ctx: StepContext, named: set[str]) -> list[Finding]:
    out = []
    for pod, n in restarted(ctx, live_pods(ctx)):
        if f"{namespace_of(pod)}/{name_of(pod)}" in named:
            continue
        out.append(blocking(
            "pod.restarted", subject_of(pod),
            f"pod {namespace_of(pod)}/{name_of(pod)} restarted {n} time(s) while step 06 "
            f"watched it: {pod_state(pod)}",
            "a healthy pod does not restart: read the last exit of "
            f"{describe_owner(ctx.sov, pod)} (the state above) and its previous container's "
            "log", restarts=str(n)))
    return out


def diagnose_workloads(ctx: StepContext) -> list[Finding]:
    found = general.workload_findings(ctx.sov)
    named = {f"{f.subject.namespace}/{f.subject.name}" for f in found
             if f.subject and f.severity == Severity.BLOCKING}
    return found + restart_findings(ctx, named)
