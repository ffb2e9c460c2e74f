"""Every general rule, over the whole cluster: what a step that did not pass is checked
against when its own diagnosers named nothing (no failed step ends without a Finding), and
what steps that wait on workloads run while they wait (a failed Job is read where it is
seen, not only at the step that waits for its result)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..kube import gvr
from ..kube.gvr import GVR
from ..kube.status import name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from . import apis, causality, conditions, jobs, net, pods, services
from .evidence import failing_containers, log_tail

Obj = dict[str, Any]


def live_pods(sov: Sovereign) -> list[Obj]:
    return [p for p in sov.informers(gvr.PODS).items()
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def pod_network(sov: Sovereign, candidates: list[Obj]) -> list[Finding]:
    """net.*: a restarting container whose last log lines are a network error."""
    out: list[Finding] = []
    for pod in candidates:
        for c in failing_containers(pod):
            tail = log_tail(sov, pod, c)
            out.extend(net.network_findings_in(
                sov, tail, where=f"container {c} of pod {namespace_of(pod)}/{name_of(pod)}"))
    return out


def workload_findings(sov: Sovereign) -> list[Finding]:
    """Pods, Jobs, Services the journey routes to, rollouts: what step 05/06 wait on."""
    live = live_pods(sov)
    return (jobs.failed_jobs(sov) + pod_network(sov, live) + pods.all_pod_findings(sov, live)
            + services.not_progressing(sov) + services.service_findings(sov))


def cluster_findings(sov: Sovereign, watches: Sequence[GVR] = (),
                     progress: str = "") -> list[Finding]:
    found = (apis.not_served(sov, watches) + workload_findings(sov)
             + net.harness_call_findings(sov, progress)
             + conditions.condition_false(sov, watches))
    return causality.upstream_first(sov, found)
