"""Root cause by causality, not by the order found.

Each Finding is about an object (its subject). Objects depend on others: a HelmRelease on
the releases it `dependsOn` and on the host its chart source is fetched from; whatever a
release renders on that release; a pod on its workload and on the Secrets and ConfigMaps it
reads; a Service on the pods it selects; an HTTPRoute on its backend Services; a component
that cannot reach a host on that host. The headline is a blocking Finding none of whose
upstream objects also has a blocking Finding; its downstream symptoms follow it (`also`).
A chart that cannot be fetched beats the missing route of the release it would install.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from ..errors import E2EError
from ..kube import gvr
from ..kube.status import name_of, namespace_of
from ..report.model import Finding, Severity, Subject
from ..sovereign import Sovereign
from .owners import release_of, workload_of

Obj = dict[str, Any]
KINDS = {g.kind: g for g in (gvr.HELMRELEASES, gvr.HTTPROUTES, gvr.SERVICES, gvr.DEPLOYMENTS,
                             gvr.STATEFULSETS, gvr.DAEMONSETS, gvr.JOBS, gvr.PODS,
                             gvr.SANDBOXES, gvr.GATEWAYS)}
MAX_DEPTH = 6


def key(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}/{namespace or ''}/{name}"


def _skey(s: Subject) -> str:
    return key(s.kind, s.namespace, s.name)


def _okey(obj: Obj) -> str:
    return key(str(obj.get("kind", "")), namespace_of(obj) or None, name_of(obj))


def _get(sov: Sovereign, kind: str, namespace: str | None, name: str) -> Obj | None:
    g = KINDS.get(kind)
    if g is None:
        return None
    try:
        return sov.informers(g).get(name, namespace)
    except E2EError:
        return None


def _release_key(ref: str | None) -> list[str]:
    if not ref:
        return []
    ns, _, name = ref.partition("/")
    return [key("HelmRelease", ns, name)]


def _pod_sources(pod_spec: Obj, ns: str) -> list[str]:
    out = []
    for v in pod_spec.get("volumes") or []:
        if "secret" in v:
            out.append(key("Secret", ns, str(v["secret"].get("secretName", ""))))
        if "configMap" in v:
            out.append(key("ConfigMap", ns, str(v["configMap"].get("name", ""))))
    for c in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or []):
        for ef in c.get("envFrom") or []:
            for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if field in ef:
                    out.append(key(kind, ns, str(ef[field].get("name", ""))))
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if field in vf:
                    out.append(key(kind, ns, str(vf[field].get("name", ""))))
    return out


def upstream(sov: Sovereign, node: str) -> list[str]:
    """The objects `node` (Kind/ns/name) directly depends on."""
    kind, ns, name = node.split("/", 2)
    obj = _get(sov, kind, ns or None, name)
    if obj is None:
        return []
    spec = obj.get("spec") or {}
    out: list[str] = []
    if kind == "HelmRelease":
        for dep in spec.get("dependsOn") or []:
            out.append(key("HelmRelease", dep.get("namespace") or ns, dep.get("name", "")))
        src = ((spec.get("chart") or {}).get("spec") or {}).get("sourceRef") or {}
        try:
            repo = sov.informers(gvr.HELMREPOSITORIES).get(src.get("name", ""),
                                                           src.get("namespace") or ns)
        except E2EError:
            repo = None
        host = urlparse(str(((repo or {}).get("spec") or {}).get("url", ""))).hostname
        if host:
            out.append(key("Host", None, host))
        return out
    if kind == "Pod":
        # A pod's state explains its workload's, not the other way round; what rendered
        # the workload (its release) is upstream of the pod.
        out += _pod_sources(spec, ns) + _release_key(release_of(workload_of(sov, obj)))
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        out += _pod_sources((spec.get("template") or {}).get("spec") or {}, ns)
        # A rollout's state is its pods' (a pod's failure explains a stalled rollout).
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        for p in sov.informers(gvr.PODS).items(lambda o: namespace_of(o) == ns):
            labels = (p.get("metadata") or {}).get("labels") or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                out.append(_okey(p))
    elif kind == "Service":
        selector = spec.get("selector") or {}
        for p in sov.informers(gvr.PODS).items(lambda o: namespace_of(o) == ns):
            labels = (p.get("metadata") or {}).get("labels") or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                owner = workload_of(sov, p)
                out.append(_okey(owner) if owner is not None else _okey(p))
        # The workloads whose pods it would select, with or without pods (one that cannot
        # create its pods explains a Service without endpoints).
        for g in (gvr.DEPLOYMENTS, gvr.STATEFULSETS, gvr.DAEMONSETS):
            for w in sov.informers(g).items(lambda o: namespace_of(o) == ns):
                tmpl = (((w.get("spec") or {}).get("template") or {}).get("metadata") or {})
                labels = tmpl.get("labels") or {}
                if selector and all(labels.get(k) == v for k, v in selector.items()):
                    out.append(_okey(w))
    elif kind == "HTTPRoute":
        for rule in spec.get("rules") or []:
            for b in rule.get("backendRefs") or []:
                out.append(key("Service", b.get("namespace") or ns, b.get("name", "")))
    out += _release_key(release_of(obj))
    return out


def ancestors(sov: Sovereign, node: str, memo: dict[str, set[str]]) -> set[str]:
    if node in memo:
        return memo[node]
    memo[node] = set()  # cycles end here
    frontier, seen, depth = [node], set(), 0
    while frontier and depth < MAX_DEPTH:
        nxt = []
        for n in frontier:
            for up in upstream(sov, n):
                if up not in seen and up != node:
                    seen.add(up)
                    nxt.append(up)
        frontier, depth = nxt, depth + 1
    memo[node] = seen
    return seen


def _mentions(f: Finding, other: Finding) -> bool:
    """A network Finding names where it was seen (`pod ns/name`, `Job ns/name`)."""
    s = other.subject
    return f.code.startswith("net.") and s is not None and \
        f"{s.namespace}/{s.name}" in f.message


def upstream_first(sov: Sovereign, findings: list[Finding]) -> list[Finding]:
    """Blocking Findings with no blocking Finding upstream of them first (stable)."""
    blocking = [f for f in findings if f.severity == Severity.BLOCKING and f.subject]
    if len(blocking) < 2:
        return findings
    memo: dict[str, set[str]] = {}
    keys = {id(f): _skey(f.subject) for f in blocking if f.subject}

    def waited_on(f: Finding, o: Finding) -> bool:
        """A release whose Helm wait failed is downstream of the objects it rendered."""
        if f.evidence.get("failure") != "wait" or f.subject is None or o.subject is None:
            return False
        obj = _get(sov, o.subject.kind, o.subject.namespace, o.subject.name)
        # An object the release's remediation deleted names its release in its evidence.
        owner = release_of(obj) if obj is not None else o.evidence.get("release")
        return owner == f"{f.subject.namespace}/{f.subject.name}"

    def downstream(f: Finding) -> bool:
        if f.subject is None or f.severity != Severity.BLOCKING:
            return False
        if any(o is not f and waited_on(f, o) for o in blocking):
            return True
        mine = ancestors(sov, keys[id(f)], memo)
        return any(o is not f and (keys[id(o)] in mine or _mentions(o, f))
                   and keys[id(o)] != keys[id(f)] and not waited_on(o, f) for o in blocking)

    try:
        marks = {id(f): downstream(f) for f in findings}
    except E2EError:
        return findings
    return sorted(findings, key=lambda f: marks[id(f)])
