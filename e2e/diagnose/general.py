"""Every general rule, over the whole cluster: what a step that did not pass is checked
against when its own diagnosers named nothing (rule: no failed step without a Finding)."""

from __future__ import annotations

from ..kube import gvr
from ..report.model import Finding
from ..sovereign import Sovereign
from . import pods


def failing_pods(sov: Sovereign) -> list[dict]:
    return [p for p in sov.informers(gvr.PODS).items()
            if (p.get("status") or {}).get("phase") != "Succeeded"]


def cluster_findings(sov: Sovereign) -> list[Finding]:
    return pods.all_pod_findings(sov, failing_pods(sov))
