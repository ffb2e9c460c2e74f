"""Route families: a parent Gateway that does not exist, a route not accepted, a missing
backend, and a public URL whose host no accepted route serves.

Gateway API lets an implementation write no status at all for a parent it cannot resolve
(newer Cilium does exactly that), so parent-missing is decided from the objects, not only
from the route's status.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import E2EError
from ..kube import gvr
from ..kube.status import name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject, subject_of

Obj = dict[str, Any]
GATEWAY_GROUP = "gateway.networking.k8s.io"


def parent_refs(route: Obj) -> list[tuple[str, str, Obj]]:
    out = []
    for ref in (route.get("spec") or {}).get("parentRefs") or []:
        if ref.get("kind", "Gateway") == "Gateway" and ref.get("group", GATEWAY_GROUP) == \
                GATEWAY_GROUP:
            out.append((ref.get("namespace") or namespace_of(route), ref.get("name", ""), ref))
    return out


def parent_status(route: Obj, ns: str, name: str) -> Obj | None:
    for p in (route.get("status") or {}).get("parents") or []:
        ref = p.get("parentRef") or {}
        if ref.get("name") == name and (ref.get("namespace") or namespace_of(route)) == ns:
            return p  # type: ignore[no-any-return]
    return None


def cond(parent: Obj | None, ctype: str) -> Obj | None:
    for c in (parent or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c  # type: ignore[no-any-return]
    return None


def gateways(sov: Sovereign) -> set[tuple[str, str]]:
    return {(namespace_of(g), name_of(g)) for g in sov.informers(gvr.GATEWAYS).items()}


def route_findings(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    existing = gateways(sov)
    services = {(namespace_of(s), name_of(s)): s for s in sov.informers(gvr.SERVICES).items()}
    known = ", ".join(f"{ns}/{n}" for ns, n in sorted(existing)) or "none"
    for route in sov.informers(gvr.HTTPROUTES).items():
        rref = f"{namespace_of(route)}/{name_of(route)}"
        for ns, name, _ in parent_refs(route):
            status = parent_status(route, ns, name)
            accepted = cond(status, "Accepted")
            if (ns, name) not in existing:
                seen = f"Accepted=False {accepted.get('reason')}" if accepted else \
                    "no status for this parent (the controller ignores it)"
                out.append(blocking(
                    "route.parent-missing", subject_of(route),
                    f"HTTPRoute {rref} is parented on Gateway {ns}/{name}, which does not "
                    f"exist ({seen}); the route is not served",
                    f"set the route's parentRef to the Gateway that exists ({known}) in the "
                    "chart values that render it",
                    parent=f"{ns}/{name}", existing_gateways=known,
                    status=str(accepted.get("message", "")) if accepted else ""))
                continue
            if accepted and accepted.get("status") == "False":
                out.append(blocking(
                    "route.not-accepted", subject_of(route),
                    f"HTTPRoute {rref} is not accepted by Gateway {ns}/{name}: "
                    f"{accepted.get('reason')}: {accepted.get('message', '')}",
                    "make the route fit a listener of the Gateway (hostname, namespace, "
                    "sectionName/port) or fix the Gateway's listeners",
                    reason=str(accepted.get("reason", ""))))
            resolved = cond(status, "ResolvedRefs")
            if resolved and resolved.get("status") == "False":
                out.append(blocking(
                    "route.backend-missing" if resolved.get("reason") == "BackendNotFound"
                    else "route.refs-unresolved", subject_of(route),
                    f"HTTPRoute {rref}: ResolvedRefs=False {resolved.get('reason')}: "
                    f"{resolved.get('message', '')}",
                    "point backendRefs at a Service that exists (or add a ReferenceGrant for "
                    "a cross-namespace backend)", reason=str(resolved.get("reason", ""))))
        for rule in (route.get("spec") or {}).get("rules") or []:
            for b in rule.get("backendRefs") or []:
                key = (b.get("namespace") or namespace_of(route), b.get("name", ""))
                if b.get("kind", "Service") == "Service" and key not in services and not any(
                        f.code == "route.backend-missing" and f.subject == subject_of(route)
                        for f in out):
                    out.append(blocking(
                        "route.backend-missing", subject_of(route),
                        f"HTTPRoute {rref} sends traffic to Service {key[0]}/{key[1]}, which "
                        "does not exist", "create the Service or fix the backendRef",
                        backend=f"{key[0]}/{key[1]}"))
                elif b.get("kind", "Service") == "Service" and key in services:
                    out.extend(_backend_port_missing(route, b, services[key]))
    return out


def _backend_port_missing(route: Obj, ref: Obj, service: Obj) -> list[Finding]:
    """A backendRef port the Service does not expose. Cilium accepts the route and
    resolves the reference (it checks that the Service exists, not its ports), and Envoy
    answers 503 for a cluster with no endpoints: only the objects say why."""
    ports = list((service.get("spec") or {}).get("ports") or [])
    if ref.get("port") is None or any(p.get("port") == ref.get("port") for p in ports):
        return []
    rref = f"{namespace_of(route)}/{name_of(route)}"
    sref = f"{namespace_of(service)}/{name_of(service)}"
    shown = ", ".join(f"{p.get('port')}" + (f"/{p['name']}" if p.get("name") else "")
                      for p in ports) or "none"
    return [blocking(
        "route.backend-port-missing", subject_of(route),
        f"HTTPRoute {rref} sends traffic to port {ref.get('port')} of Service {sref}, which "
        f"exposes no such port (it has: {shown}); the gateway has no endpoint for it",
        f"set the backendRef port of HTTPRoute {rref} to a port of Service {sref} "
        f"({shown}), or add port {ref.get('port')} to the Service",
        backend=sref, port=str(ref.get("port")), service_ports=shown)]


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and "." not in host[: -len(suffix)]
    return pattern == host


def served_hosts(sov: Sovereign) -> list[str]:
    """Hostname patterns of routes Accepted on an existing Gateway."""
    existing = gateways(sov)
    out: list[str] = []
    for route in sov.informers(gvr.HTTPROUTES).items():
        ok = any((ns, n) in existing and (cond(parent_status(route, ns, n), "Accepted") or {})
                 .get("status") == "True" for ns, n, _ in parent_refs(route))
        if ok:
            out.extend((route.get("spec") or {}).get("hostnames") or [])
    return out


def host_is_served(sov: Sovereign, host: str) -> bool:
    return any(_host_matches(p, host) for p in served_hosts(sov))


URL_RE = re.compile(r"((?:https?|oci)://([a-z0-9.-]+)\S*)", re.I)
REGISTRY_HEADER = "docker-distribution-api-version"


def configured_hosts(sov: Sovereign) -> dict[str, list[tuple[str, str]]]:
    """host -> [(URL, where it is configured)], for hosts under the Sovereign's FQDN.

    Values (what an operator sets) come first: a HelmRepository URL rewritten from a
    value is a consequence, the value is the cause."""
    found: dict[str, list[tuple[str, str]]] = {}

    def scan(text: str, where: str) -> None:
        for m in URL_RE.finditer(text):
            url, host = m.group(1).rstrip("'\",}"), m.group(2).lower()
            if host.endswith("." + sov.fqdn):
                found.setdefault(host, []).append((url, where))

    for hr in sov.informers(gvr.HELMRELEASES).items():
        for path, value in _leaves((hr.get("spec") or {}).get("values") or {}):
            scan(str(value), f"HelmRelease {namespace_of(hr)}/{name_of(hr)} values.{path}")
    for cm in sov.informers(gvr.CONFIGMAPS).items():
        for k, v in ((cm.get("data") or {}).items()):
            scan(str(v), f"ConfigMap {namespace_of(cm)}/{name_of(cm)} {k}")
    for d in sov.informers(gvr.DEPLOYMENTS).items():
        for c in (((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
                "containers") or []:
            for env in c.get("env") or []:
                if env.get("value"):
                    scan(str(env["value"]), f"Deployment {namespace_of(d)}/{name_of(d)} env "
                                            f"{env.get('name')}")
    for repo in sov.informers(gvr.HELMREPOSITORIES).items():
        scan(str((repo.get("spec") or {}).get("url", "")),
             f"HelmRepository {namespace_of(repo)}/{name_of(repo)} spec.url")
    return found


def _leaves(values: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        return [leaf for k, v in values.items()
                for leaf in _leaves(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(values, list):
        return [leaf for i, v in enumerate(values) for leaf in _leaves(v, f"{prefix}[{i}]")]
    return [(prefix, values)]


def registry_hosts(sov: Sovereign, candidates: list[str]) -> list[str]:
    """Published hosts that answer the OCI distribution API's version check (`GET /v2/`)."""
    out = []
    for host in candidates:
        key = f"registry:{host}"
        if key not in sov.memo:
            try:
                resp = sov.http.call("GET", host, "/v2/")
                sov.memo[key] = resp.status in (200, 401) and REGISTRY_HEADER in resp.headers
            except E2EError:
                sov.memo[key] = False
        if sov.memo[key]:
            out.append(host)
    return out


def unrouted_hosts(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    patterns = served_hosts(sov)
    for host, places in sorted(configured_hosts(sov).items()):
        if any(_host_matches(p, host) for p in patterns):
            continue
        url, where = places[0]
        others = len(places) - 1
        also = f" ({others} more place(s) use it, e.g. {places[-1][1]})" if others else ""
        published = sorted(p for p in patterns if not p.startswith("*"))
        if any(u.lower().startswith("oci://") for u, _ in places):  # used as a registry
            registries = registry_hosts(sov, published)
            suggestion = f"the registry the Sovereign publishes ({', '.join(registries)})" \
                if registries else "a host an HTTPRoute publishes"
        else:
            suggestion = f"a host an HTTPRoute publishes ({', '.join(published[:8])})"
        out.append(blocking(
            "route.host-unrouted", subject("Host", host),
            f"{where} is {url}{also}, but no accepted HTTPRoute serves {host}: every "
            "request to it ends at the gateway (404, or EOF for a registry client)",
            f"use {suggestion} in {where}, or publish {host} with an HTTPRoute",
            configured_in=where, url=url, places=str(len(places))))
    return out


def findings_for_host(sov: Sovereign, host: str) -> list[Finding]:
    """Why requests for `host` may not reach a backend: its routes' problems, or no route."""
    mine = []
    for route in sov.informers(gvr.HTTPROUTES).items():
        if any(_host_matches(p, host) for p in (route.get("spec") or {}).get("hostnames") or []):
            mine.append(subject_of(route))
    found = [f for f in route_findings(sov) if f.subject in mine]
    if not found and not host_is_served(sov, host):
        found.append(blocking(
            "route.host-unrouted", subject("Host", host),
            f"no accepted HTTPRoute serves {host}: the platform's clients cannot reach it",
            f"publish {host} with an HTTPRoute on the Sovereign's Gateway"))
    return found
