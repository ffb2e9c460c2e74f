"""Service and workload families: a Service the journey needs without ready endpoints (its
selector matches no pod, its pods are not ready, its targetPort is exposed by no container),
a workload scaled to zero, and a rollout that stopped progressing.

Decided from the objects (Service spec, pods' labels and ports, EndpointSlices,
Deployment conditions), as the endpointslice and deployment controllers decide them.
"""

from __future__ import annotations

import re
from typing import Any

from ..kube import gvr
from ..kube.status import condition, name_of, namespace_of, pod_ready
from ..report.model import Finding
from ..sovereign import Sovereign
from .evidence import pod_state
from .findings import blocking, subject_of
from .owners import release_of

Obj = dict[str, Any]
SCALABLE = (gvr.DEPLOYMENTS, gvr.STATEFULSETS)


def routed_services(sov: Sovereign) -> set[tuple[str, str]]:
    """(namespace, name) of every Service an HTTPRoute sends traffic to."""
    out = set()
    for route in sov.informers(gvr.HTTPROUTES).items():
        for rule in (route.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                if ref.get("kind", "Service") == "Service":
                    out.add((ref.get("namespace") or namespace_of(route), ref.get("name", "")))
    return out


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _labels(obj: Obj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def ready_endpoints(sov: Sovereign, ns: str, name: str) -> int:
    n = 0
    for eps in sov.informers(gvr.ENDPOINTSLICES).items(lambda o: namespace_of(o) == ns):
        if _labels(eps).get("kubernetes.io/service-name") != name:
            continue
        n += sum(1 for e in eps.get("endpoints") or [] if (e.get("conditions") or {}).get(
            "ready"))
    return n


def _exposes(pod: Obj, target: Any) -> bool:
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if str(target) in (str(p.get("containerPort")), str(p.get("name"))):
                return True
    return False


def _declared_ports(pod: Obj) -> list[str]:
    return [f"{p.get('containerPort')}" + (f"/{p['name']}" if p.get("name") else "")
            for c in (pod.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or []]


def _workload_for(sov: Sovereign, ns: str, selector: dict[str, str]) -> Obj | None:
    for kind in SCALABLE:
        for w in sov.informers(kind).items(lambda o: namespace_of(o) == ns):
            tmpl = ((w.get("spec") or {}).get("template") or {}).get("metadata") or {}
            if _selects(selector, dict(tmpl.get("labels") or {})):
                return w
    return None


def _scaled_to_zero(sov: Sovereign, w: Obj, why: str) -> Finding:
    rel = release_of(w)
    ref = f"{w.get('kind')} {namespace_of(w)}/{name_of(w)}"
    return blocking(
        "workload.scaled-to-zero", subject_of(w),
        f"{ref} is scaled to 0 replicas: {why}",
        f"set replicas >= 1 for {ref}" + (f" (in the values of HelmRelease {rel})" if rel
                                          else "") + ", or remove what scales it down "
        "(an HPA, a manual `kubectl scale`)", replicas="0")


def service_findings(sov: Sovereign, services: set[tuple[str, str]] | None = None
                     ) -> list[Finding]:
    """service.no-endpoints (or the workload behind it scaled to zero) for the Services the
    journey needs (by default, every routed Service)."""
    wanted = routed_services(sov) if services is None else services
    out: list[Finding] = []
    for svc in sov.informers(gvr.SERVICES).items():
        ns, name = namespace_of(svc), name_of(svc)
        spec = svc.get("spec") or {}
        selector = dict(spec.get("selector") or {})
        if (ns, name) not in wanted or not selector:
            continue
        served = ready_endpoints(sov, ns, name) > 0
        ref = f"Service {ns}/{name}"
        sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        in_ns = [p for p in sov.informers(gvr.PODS).items() if namespace_of(p) == ns]
        pods = [p for p in in_ns if _selects(selector, _labels(p))
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        workload = _workload_for(sov, ns, selector)
        if served and not pods:
            continue
        if not pods and workload is not None and \
                int((workload.get("spec") or {}).get("replicas", 1)) == 0:
            out.append(_scaled_to_zero(sov, workload, f"{ref} selects its pods and has no "
                                                      "endpoint"))
            continue
        if not pods and workload is not None:
            # The selector is right (it matches the workload's template): no pod exists
            # because the workload cannot create one, which its own rules name.
            wref = f"{workload.get('kind')} {namespace_of(workload)}/{name_of(workload)}"
            refused = create_refusal(sov, workload)
            out.append(blocking(
                "service.no-endpoints", subject_of(svc),
                f"{ref} selects {sel}, the pods of {wref}, which has none"
                + (f": pods cannot be created ({refused})" if refused else "")
                + ": the Service has no endpoint, every request to it fails (503)",
                f"fix what keeps {wref} from creating its pods (its conditions and "
                "FailedCreate events name it)", selector=sel))
            continue
        if not pods:
            others = sorted({f"{k}={v}" for p in in_ns for k, v in _labels(p).items()
                             if k.startswith("app")})[:6]
            out.append(blocking(
                "service.no-endpoints", subject_of(svc),
                f"{ref} selects {sel}, which matches no pod in {ns}"
                + (f" (pods there carry {', '.join(others)})" if others else "")
                + ": the Service has no endpoint, every request to it fails (503)",
                f"make the selector of {ref} match the pod template's labels (or the "
                "template's labels match the selector) in "
                + (f"HelmRelease {release_of(svc)}, which renders them" if release_of(svc)
                   else "the manifests that define them"),
                selector=sel))
            continue
        ports = spec.get("ports") or []
        missing = [p.get("targetPort", p.get("port")) for p in ports
                   if not any(_exposes(pod, p.get("targetPort", p.get("port")))
                              for pod in pods)]
        declared = sorted({d for pod in pods for d in _declared_ports(pod)})
        if missing and declared:
            out.append(blocking(
                "service.no-endpoints", subject_of(svc),
                f"{ref} targets port {', '.join(str(m) for m in missing)}, which no container "
                f"of its {len(pods)} pod(s) exposes (they declare {', '.join(declared)})",
                f"set targetPort of {ref} to the port the container listens on "
                f"({declared[0].split('/')[0]})", target_port=str(missing[0]),
                declared=", ".join(declared)))
            continue
        unready = [p for p in pods if not pod_ready(p)]
        if unready and not served:
            out.append(blocking(
                "service.no-endpoints", subject_of(svc),
                f"{ref} has no ready endpoint: its {len(pods)} pod(s) are not Ready: "
                + pod_state(unready[0]),
                f"fix what keeps the pods of {ref} from Ready (the pod's state above names it)",
                pods="\n".join(pod_state(p) for p in unready[:3])))
    return out


def create_refusal(sov: Sovereign, workload: Obj) -> str:
    """Why the API refuses the workload's pods: its ReplicaFailure condition (Deployment,
    ReplicaSet), else the newest FailedCreate event on it or its ReplicaSets (empty: none)."""
    fail = condition(workload, "ReplicaFailure") or {}
    if fail.get("status") == "True":
        return str(fail.get("message", ""))
    ns, name, kind = namespace_of(workload), name_of(workload), str(workload.get("kind"))

    def about(io: Obj) -> bool:
        # A Deployment's pods are created by its ReplicaSets, named `<deployment>-<hash>`.
        return (io.get("kind") == kind and io.get("name") == name) or (
            kind == "Deployment" and io.get("kind") == "ReplicaSet"
            and str(io.get("name", "")).rpartition("-")[0] == name)

    events = [e for e in sov.informers(gvr.EVENTS).items(lambda o: namespace_of(o) == ns)
              if e.get("reason") == "FailedCreate" and about(e.get("involvedObject") or {})]
    events.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return str(events[-1].get("message", "")) if events else ""


QUOTA_NAME = re.compile(r"(?:exceeded quota|failed quota): ([^,:\s]+)")
MUST_SPECIFY = re.compile(r"must specify (.+)$")
SA_MISSING = re.compile(r'serviceaccount "([^"]+)" not found')


def refusal_fix(ref: str, rel: str | None, ns: str, message: str) -> str:
    """The fix for an API refusal of a workload's pods, from the refusal's words."""
    where = f"in the values of HelmRelease {rel}" if rel else "in its manifest"
    quota = QUOTA_NAME.search(message)
    must = MUST_SPECIFY.search(message)
    if quota and must:
        # `limits.memory for: a; requests.cpu for: a,b` -> what, and for which containers.
        pairs = [part.partition(" for: ") for part in must.group(1).split("; ")]
        what = ", ".join(r for r, _, _ in pairs)
        containers = sorted({c for _, _, cs in pairs for c in cs.split(",") if c})
        return (f"set resources {what} for container(s) {', '.join(containers)} of {ref} "
                f"({where}): ResourceQuota {ns}/{quota.group(1)} requires them; or drop those "
                "resources from the quota")
    if quota:
        return (f"raise the hard limits of ResourceQuota {ns}/{quota.group(1)}, or lower what "
                f"{ref} requests ({where}); the refusal says requested, used and limited")
    sa = SA_MISSING.search(message)
    if sa:
        return (f"create ServiceAccount {ns}/{sa.group(1)} (the chart's serviceAccount.create), "
                f"or point {ref}'s serviceAccountName at one that exists")
    return f"fix what the API server refuses in {ref}'s pods ({where}), then roll it out again"


def not_progressing(sov: Sovereign) -> list[Finding]:
    """workload.not-progressing: a Deployment past ProgressDeadlineExceeded or with
    ReplicaFailure, or any workload whose pods the API refuses (FailedCreate)."""
    out: list[Finding] = []
    for d in sov.informers(gvr.DEPLOYMENTS).items():
        prog = condition(d, "Progressing") or {}
        fail = condition(d, "ReplicaFailure") or {}
        refused = create_refusal(sov, d) if fail.get("status") == "True" else ""
        if refused:
            why = f"ReplicaFailure {fail.get('reason', '')}: {refused}"
        elif prog.get("reason") == "ProgressDeadlineExceeded" and \
                prog.get("status") == "False":
            why = f"Progressing=False ProgressDeadlineExceeded: {prog.get('message', '')}"
        else:
            continue
        ref = f"Deployment {namespace_of(d)}/{name_of(d)}"
        selector = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pods = [p for p in sov.informers(gvr.PODS).items()
                if namespace_of(p) == namespace_of(d)
                and _selects(dict(selector), _labels(p)) and not pod_ready(p)]
        fix = refusal_fix(ref, release_of(d), namespace_of(d), refused) if refused else (
            f"fix what keeps the new pods of {ref} from becoming available (the pod state "
            "names it), then roll it out again")
        out.append(blocking(
            "workload.not-progressing", subject_of(d),
            f"{ref} stopped progressing ({why})"
            + (f"; its pods: {pod_state(pods[0])}" if pods else ""), fix, condition=why,
            pods="\n".join(pod_state(p) for p in pods[:3])))
    for kind in (gvr.STATEFULSETS, gvr.DAEMONSETS, gvr.JOBS):
        for w in sov.informers(kind).items():
            refused = create_refusal(sov, w)
            if not refused or (kind == gvr.JOBS and condition(w, "Complete")):
                continue
            ref = f"{w.get('kind')} {namespace_of(w)}/{name_of(w)}"
            out.append(blocking(
                "workload.not-progressing", subject_of(w),
                f"{ref} cannot create its pods (FailedCreate: {refused})",
                refusal_fix(ref, release_of(w), namespace_of(w), refused),
                condition=f"FailedCreate: {refused}"))
    return out


def scaled_to_zero(sov: Sovereign, needed: set[tuple[str, str, str]]) -> list[Finding]:
    """Workloads the journey needs by name ((kind, ns, name)) that run 0 replicas."""
    out = []
    for kind in SCALABLE:
        for w in sov.informers(kind).items():
            if (str(w.get("kind")), namespace_of(w), name_of(w)) in needed and \
                    int((w.get("spec") or {}).get("replicas", 1)) == 0:
                out.append(_scaled_to_zero(sov, w, "the journey needs it running"))
    return out


def with_workload_causes(sov: Sovereign, found: list[Finding]) -> list[Finding]:
    """Service findings plus what stops the workloads behind them (a rollout that cannot
    create its pods, past its deadline): a route's 503 is then named by its root."""
    wanted = set()
    for f in found:
        if f.code != "service.no-endpoints" or f.subject is None:
            continue
        svc = sov.informers(gvr.SERVICES).get(f.subject.name, f.subject.namespace)
        selector = dict(((svc or {}).get("spec") or {}).get("selector") or {})
        w = _workload_for(sov, f.subject.namespace or "", selector) if selector else None
        if w is not None:
            wanted.add((str(w.get("kind")), namespace_of(w), name_of(w)))
    if not wanted:
        return found
    return found + [f for f in not_progressing(sov) if f.subject and (
        f.subject.kind, f.subject.namespace, f.subject.name) in wanted]
