"""Service and workload families: a Service the journey needs without ready endpoints (its
selector matches no pod, its pods are not ready, its targetPort is exposed by no container),
a workload scaled to zero, and a rollout that stopped progressing.

Decided from the objects (Service spec, pods' labels and ports, EndpointSlices,
Deployment conditions), as the endpointslice and deployment controllers decide them.
"""

from __future__ import annotations

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
        if (ns, name) not in wanted or not selector or ready_endpoints(sov, ns, name):
            continue
        ref = f"Service {ns}/{name}"
        sel = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        in_ns = [p for p in sov.informers(gvr.PODS).items() if namespace_of(p) == ns]
        pods = [p for p in in_ns if _selects(selector, _labels(p))
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        workload = _workload_for(sov, ns, selector)
        if not pods and workload is not None and \
                int((workload.get("spec") or {}).get("replicas", 1)) == 0:
            out.append(_scaled_to_zero(sov, workload, f"{ref} selects its pods and has no "
                                                      "endpoint"))
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
                "template's labels match the selector) in the chart that renders them",
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
        if unready:
            out.append(blocking(
                "service.no-endpoints", subject_of(svc),
                f"{ref} has no ready endpoint: its {len(pods)} pod(s) are not Ready: "
                + pod_state(unready[0]),
                f"fix what keeps the pods of {ref} from Ready (the pod's state above names it)",
                pods="\n".join(pod_state(p) for p in unready[:3])))
    return out


def not_progressing(sov: Sovereign) -> list[Finding]:
    """workload.not-progressing: ProgressDeadlineExceeded or ReplicaFailure on a Deployment."""
    out: list[Finding] = []
    for d in sov.informers(gvr.DEPLOYMENTS).items():
        prog = condition(d, "Progressing") or {}
        fail = condition(d, "ReplicaFailure") or {}
        if prog.get("reason") == "ProgressDeadlineExceeded" and prog.get("status") == "False":
            why = f"Progressing=False ProgressDeadlineExceeded: {prog.get('message', '')}"
        elif fail.get("status") == "True":
            why = f"ReplicaFailure {fail.get('reason', '')}: {fail.get('message', '')}"
        else:
            continue
        ref = f"Deployment {namespace_of(d)}/{name_of(d)}"
        selector = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pods = [p for p in sov.informers(gvr.PODS).items()
                if namespace_of(p) == namespace_of(d)
                and _selects(dict(selector), _labels(p)) and not pod_ready(p)]
        out.append(blocking(
            "workload.not-progressing", subject_of(d),
            f"{ref} stopped progressing ({why})"
            + (f"; its pods: {pod_state(pods[0])}" if pods else ""),
            f"fix what keeps the new pods of {ref} from becoming available (the pod state "
            "names it), then roll it out again", condition=why,
            pods="\n".join(pod_state(p) for p in pods[:3])))
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
