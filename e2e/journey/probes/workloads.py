"""Step 6: workloads healthy: no pod failing, and every routed Service has ready endpoints."""

from __future__ import annotations

from typing import Any

from ...diagnose.pods import RESTART_STORM, all_pod_findings
from ...kube import gvr
from ...kube.status import name_of, namespace_of, pod_ready, pod_waiting_reasons
from ...report.model import Finding
from ..model import Progress, StepContext

Obj = dict[str, Any]
BAD_WAITING = {"CrashLoopBackOff", "CreateContainerConfigError", "ImagePullBackOff",
               "ErrImagePull", "CreateContainerError", "InvalidImageName"}


def unhealthy_pods(ctx: StepContext) -> list[tuple[Obj, str]]:
    out = []
    for pod in ctx.sov.informers(gvr.PODS).items():
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Succeeded":
            continue
        reasons = [f"{r}" for _, r, _ in pod_waiting_reasons(pod) if r in BAD_WAITING]
        restarts = max([int(cs.get("restartCount", 0)) for cs in
                        (pod.get("status") or {}).get("containerStatuses") or []] or [0])
        if restarts >= RESTART_STORM and not pod_ready(pod):
            reasons.append(f"{restarts} restarts")
        if phase == "Failed":
            reasons.append("Failed")
        if reasons:
            out.append((pod, ",".join(reasons)))
    return out


def routed_services(ctx: StepContext) -> set[tuple[str, str]]:
    out = set()
    for route in ctx.sov.informers(gvr.HTTPROUTES).items():
        for rule in (route.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") == "Service":
                    out.add((ref.get("namespace") or namespace_of(route), ref.get("name", "")))
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
    return sorted(f"{ns}/{n}" for ns, n in routed_services(ctx) & services if (ns, n)
                  not in ready)


def workloads_healthy(ctx: StepContext) -> Progress:
    bad = unhealthy_pods(ctx)
    empty = services_without_endpoints(ctx)
    if not bad and not empty:
        pods = len(ctx.sov.informers(gvr.PODS).items())
        return Progress.done(f"{pods} pods healthy; every routed Service has ready endpoints")
    parts = [f"{namespace_of(p)}/{name_of(p)}: {why}" for p, why in bad]
    parts += [f"Service {s}: no ready endpoints" for s in empty]
    return Progress.waiting(f"{len(bad)} unhealthy pod(s), {len(empty)} routed Service(s) "
                            f"without ready endpoints; first: {parts[0]}",
                            fingerprint="|".join(sorted(parts)))


def diagnose_workloads(ctx: StepContext) -> list[Finding]:
    pods = [p for p, _ in unhealthy_pods(ctx)]
    pods += [p for p in ctx.sov.informers(gvr.PODS).items()
             if (p.get("status") or {}).get("phase") == "Pending" and p not in pods]
    return all_pod_findings(ctx.sov, pods)
