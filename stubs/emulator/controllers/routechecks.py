"""Cilium's Gateway API route checks (operator/pkg/gateway-api/routechecks), in Python.

Gateway checks run per parentRef in Cilium's order and stop at the first that rejects:
namespace allowed, route kind allowed, matching port, matching hostname, matching
section. Backend checks run for the whole route and set ResolvedRefs on every parent:
cross-namespace reference grants, backend kind/port, the Service existing. Conditions and
messages are Cilium's (platform-facts §2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..kubeapi.selectors import parse_label_selector

Obj = dict[str, Any]
GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass
class RouteInput:
    route: Obj
    gateways: dict[tuple[str, str], Obj]
    namespaces: dict[str, Obj]
    services: set[tuple[str, str]]
    grants: list[Obj]
    # parent key -> {condition type -> (status, reason, message)}
    conditions: dict[tuple[Any, ...], dict[str, tuple[str, str, str]]] = field(
        default_factory=dict)

    @property
    def namespace(self) -> str:
        return str(self.route["metadata"]["namespace"])

    @property
    def hostnames(self) -> list[str]:
        return list((self.route.get("spec") or {}).get("hostnames") or [])

    def set_parent(self, key: tuple[Any, ...], type_: str, status: str, reason: str,
                   message: str) -> None:
        self.conditions.setdefault(key, {})[type_] = (status, reason, message)

    def set_all(self, type_: str, status: str, reason: str, message: str) -> None:
        for key in self.conditions:
            self.set_parent(key, type_, status, reason, message)


def parent_key(ref: Obj, route_ns: str) -> tuple[Any, ...]:
    return (ref.get("group", GATEWAY_GROUP), ref.get("kind", "Gateway"),
            ref.get("namespace") or route_ns, ref["name"], ref.get("sectionName"),
            ref.get("port"))


# ---- hostnames (Gateway API hostname intersection) ------------------------------------------
def _wild_match(wildcard: str, host: str) -> bool:
    """`*.example.com` matches one or more labels in front of `example.com`."""
    suffix = wildcard[1:]  # ".example.com"
    return host.endswith(suffix) and len(host) > len(suffix)


def host_intersection(listener_host: str | None, route_hosts: list[str]) -> list[str]:
    if not listener_host:
        return route_hosts or ["*"]
    if not route_hosts:
        return [listener_host]
    out = []
    wild_listener = listener_host.startswith("*.")
    for h in route_hosts:
        if h.startswith("*."):
            # Both wildcards: the route's must be as or more specific than the listener's.
            if h == listener_host or (wild_listener and _wild_match(listener_host, h[2:])):
                out.append(h)
            elif not wild_listener and _wild_match(h, listener_host):
                out.append(listener_host)
        elif h == listener_host or (wild_listener and _wild_match(listener_host, h)):
            out.append(h)
    return out


def compute_hosts(gateway: Obj, route_hosts: list[str]) -> list[str]:
    hosts: list[str] = []
    for listener in (gateway.get("spec") or {}).get("listeners") or []:
        hosts.extend(host_intersection(listener.get("hostname"), route_hosts))
    return hosts


# ---- namespaces and grants -----------------------------------------------------------------
def selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return parse_label_selector(",".join(parts) or None)(labels)


def grant_allows(grants: Iterable[Obj], *, from_group: str, from_kind: str, from_ns: str,
                 to_group: str, to_kind: str, to_ns: str, to_name: str) -> bool:
    """A ReferenceGrant in `to_ns` lets (from_group, from_kind, from_ns) refer to the target."""
    for grant in grants:
        if grant["metadata"]["namespace"] != to_ns:
            continue
        spec = grant.get("spec") or {}
        from_ok = any(f.get("group", "") == from_group and f.get("kind") == from_kind
                      and f.get("namespace") == from_ns for f in spec.get("from") or [])
        to_ok = any(t.get("group", "") == to_group and t.get("kind") == to_kind
                    and t.get("name") in (None, "", to_name) for t in spec.get("to") or [])
        if from_ok and to_ok:
            return True
    return False


# ---- gateway checks (per parent) -------------------------------------------------------------
def _gateway(i: RouteInput, ref: Obj) -> Obj | None:
    return i.gateways.get((ref.get("namespace") or i.namespace, ref["name"]))


def missing_gateway_message(ref: Obj) -> str:
    name = ref["name"]
    return (f'gateway "{name}" does not exist: gateways.gateway.networking.k8s.io '
            f'"{name}" not found')


def check_allowed_for_namespace(i: RouteInput, ref: Obj, key: tuple[Any, ...]) -> bool:
    gw = _gateway(i, ref)
    if gw is None:
        i.set_parent(key, "Accepted", "False", "InvalidHTTPRoute", missing_gateway_message(ref))
        return False
    gw_ns = gw["metadata"]["namespace"]
    has_restriction = False
    for listener in (gw.get("spec") or {}).get("listeners") or []:
        if ref.get("sectionName") is not None and listener.get("name") != ref["sectionName"]:
            continue
        if ref.get("port") is not None and listener.get("port") != ref["port"]:
            continue
        if listener.get("hostname") and not host_intersection(listener["hostname"], i.hostnames):
            continue
        # The CRD defaults allowedRoutes.namespaces.from to Same.
        namespaces = ((listener.get("allowedRoutes") or {}).get("namespaces")
                      or {"from": "Same"})
        has_restriction = True
        origin = namespaces.get("from", "Same")
        if origin == "All":
            return True
        if origin == "Same" and i.namespace == gw_ns:
            return True
        if origin == "Selector":
            labels = (i.namespaces.get(i.namespace, {}).get("metadata") or {}).get("labels") or {}
            if selector_matches(namespaces.get("selector") or {}, labels):
                return True
            i.set_parent(key, "Accepted", "False", "NotAllowedByListeners",
                         "HTTPRoute is not allowed to attach to this Gateway due to namespace "
                         "selector restrictions")
            return False
    if has_restriction:
        i.set_parent(key, "Accepted", "False", "NotAllowedByListeners",
                     "HTTPRoute is not allowed to attach to this Gateway due to namespace "
                     "restrictions")
        return False
    # No listener applied (port, section or hostname mismatch): the later checks name the
    # reason (NoMatchingParent / NoMatchingListenerHostname), as Gateway API conformance
    # requires of Cilium.
    return True


def check_route_kind_allowed(i: RouteInput, ref: Obj, key: tuple[Any, ...]) -> bool:
    gw = _gateway(i, ref)
    assert gw is not None
    for listener in (gw.get("spec") or {}).get("listeners") or []:
        kinds = (listener.get("allowedRoutes") or {}).get("kinds") or []
        if not kinds:
            continue
        if not any(k.get("kind") == "HTTPRoute" and k.get("group", GATEWAY_GROUP) == GATEWAY_GROUP
                   for k in kinds):
            i.set_parent(key, "Accepted", "False", "NotAllowedByListeners",
                         "HTTPRoute is not allowed to attach to this Gateway due to route kind "
                         "restrictions")
            return False
    return True


def check_matching_ports(i: RouteInput, ref: Obj, key: tuple[Any, ...]) -> bool:
    gw = _gateway(i, ref)
    assert gw is not None
    port = ref.get("port")
    if port is None:
        return True
    if any(listener.get("port") == port for listener in gw["spec"].get("listeners") or []):
        return True
    i.set_parent(key, "Accepted", "False", "NoMatchingParent",
                 f"No matching listener with port {port}")
    return False


def check_matching_hostnames(i: RouteInput, ref: Obj, key: tuple[Any, ...]) -> bool:
    gw = _gateway(i, ref)
    assert gw is not None
    if compute_hosts(gw, i.hostnames):
        return True
    i.set_parent(key, "Accepted", "False", "NoMatchingListenerHostname",
                 "No matching listener hostname")
    return False


def check_matching_section(i: RouteInput, ref: Obj, key: tuple[Any, ...]) -> bool:
    gw = _gateway(i, ref)
    assert gw is not None
    section = ref.get("sectionName")
    if section is None:
        return True
    if any(listener.get("name") == section for listener in gw["spec"].get("listeners") or []):
        return True
    i.set_parent(key, "Accepted", "False", "NoMatchingParent",
                 f"No matching listener with sectionName {section}")
    return False


GATEWAY_CHECKS: tuple[Callable[[RouteInput, Obj, tuple[Any, ...]], bool], ...] = (
    check_allowed_for_namespace, check_route_kind_allowed, check_matching_ports,
    check_matching_hostnames, check_matching_section)


# ---- backend checks (all parents) ------------------------------------------------------------
def _backend_refs(i: RouteInput) -> list[Obj]:
    refs: list[Obj] = []
    for rule in (i.route.get("spec") or {}).get("rules") or []:
        refs.extend(rule.get("backendRefs") or [])
    return refs


def _is_service(be: Obj) -> bool:
    return be.get("group", "") == "" and be.get("kind", "Service") == "Service"


def check_cross_namespace(i: RouteInput) -> bool:
    ok = True
    for be in _backend_refs(i):
        ns = be.get("namespace") or i.namespace
        if ns != i.namespace and not grant_allows(
                i.grants, from_group=GATEWAY_GROUP, from_kind="HTTPRoute", from_ns=i.namespace,
                to_group=be.get("group", ""), to_kind=be.get("kind", "Service"), to_ns=ns,
                to_name=be.get("name", "")):
            i.set_all("ResolvedRefs", "False", "RefNotPermitted",
                      "Cross namespace references are not allowed")
            ok = False
    return ok


def check_backend(i: RouteInput) -> bool:
    ok = True
    for be in _backend_refs(i):
        if not _is_service(be):
            i.set_all("ResolvedRefs", "False", "InvalidKind",
                      f"Unsupported backend kind {be.get('kind', 'Service')}")
            ok = False
            continue
        if be.get("port") is None:
            i.set_all("ResolvedRefs", "False", "InvalidKind",
                      "Must have port for backend object reference")
            ok = False
    return ok


def check_backend_is_existing_service(i: RouteInput) -> bool:
    for be in _backend_refs(i):
        if not _is_service(be):
            continue
        ns = be.get("namespace") or i.namespace
        if (ns, be.get("name", "")) not in i.services:
            # The Kubernetes client's NotFound error text.
            i.set_all("ResolvedRefs", "False", "BackendNotFound",
                      f'services "{be.get("name", "")}" not found')
    return True


BACKEND_CHECKS: tuple[Callable[[RouteInput], bool], ...] = (
    check_cross_namespace, check_backend, check_backend_is_existing_service)
