"""Root-cause attribution across families.

A symptom (a route to a Service that no longer exists, say) whose object was rendered by a
HelmRelease pinned behind its registry is first of all a stale pin: the fix already
shipped and never reached this Sovereign. Then the pin lag is the blocking root cause,
and the symptom stays in the report as its evidence.
"""

from __future__ import annotations

from ..kube import gvr
from ..kube.gvr import GVR
from ..report.model import Finding, Severity
from ..sovereign import Sovereign
from .findings import blocking
from .flux import chart_pin_lag
from .owners import release_of

KINDS: dict[str, GVR] = {g.kind: g for g in (
    gvr.HTTPROUTES, gvr.SERVICES, gvr.DEPLOYMENTS, gvr.STATEFULSETS, gvr.DAEMONSETS,
    gvr.JOBS, gvr.CONFIGMAPS, gvr.SECRETS, gvr.PODS)}


def stale_roots(sov: Sovereign, findings: list[Finding]) -> list[Finding]:
    """Blocking chart-pin-lag findings for blocking symptoms of lagging releases."""
    symptoms = [f for f in findings if f.severity == Severity.BLOCKING and f.subject]
    if not symptoms:
        return []
    lagging = {f"{f.subject.namespace}/{f.subject.name}": f for f in chart_pin_lag(sov)
               if f.subject}
    out: list[Finding] = []
    for symptom in symptoms:
        assert symptom.subject is not None
        kind = KINDS.get(symptom.subject.kind)
        if kind is None:
            continue
        obj = sov.informers(kind).get(symptom.subject.name, symptom.subject.namespace)
        rel = release_of(obj)
        lag = lagging.get(rel or "")
        if lag is None or any(f.subject == lag.subject for f in out):
            continue
        out.append(blocking(
            "flux.chart-pin-lag", lag.subject,
            f"{lag.message}; the stale chart is what breaks here: {symptom.message}",
            lag.hint, symptom=symptom.code, **dict(lag.evidence)))
    return out


def with_stale_roots(sov: Sovereign, findings: list[Finding]) -> list[Finding]:
    roots = stale_roots(sov, findings)
    return roots + findings if roots else findings
