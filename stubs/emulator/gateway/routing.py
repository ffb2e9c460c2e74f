"""Route selection for the emulated Cilium Gateway: which HTTPRoute rule serves a request.

Pure functions over Gateway and HTTPRoute objects (no I/O), following the Gateway API:
- a route takes part only if its `status.parents` has an entry, written by the Cilium
  controller, for a parentRef naming one of our Gateways with `Accepted=True` (the status
  is the controller's verdict; routes to a missing Gateway get no entry at all);
- the request Host must match a listener hostname of that Gateway (none = any) and one of
  the route's hostnames (none = the listener's); `*.example.com` matches any name with at
  least one more label in front, never `example.com` itself;
- among matching rules: an exact hostname beats a wildcard (longer wildcard first), then
  Exact path beats PathPrefix, longer prefix first, then more header matches, then the
  older route, then namespace/name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CILIUM_CONTROLLER = "io.cilium/gateway-controller"


@dataclass(frozen=True)
class GatewayRef:
    namespace: str
    name: str


@dataclass
class RouteMatch:
    route: dict[str, Any]
    rule: dict[str, Any]
    backend_refs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return str(self.route["metadata"].get("namespace", ""))


def hostname_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def _host_rank(pattern: str | None) -> tuple[int, int]:
    """Sort key, higher is more specific: exact > longer wildcard > no hostname."""
    if pattern is None:
        return (0, 0)
    if pattern.startswith("*."):
        return (1, len(pattern))
    return (2, len(pattern))


def listener_hostnames(gateway: Mapping[str, Any]) -> list[str | None]:
    return [lst.get("hostname") for lst in (gateway.get("spec") or {}).get("listeners") or []]


def gateway_serves(gateway: Mapping[str, Any], host: str) -> bool:
    return any(h is None or hostname_matches(h, host) for h in listener_hostnames(gateway))


def accepted_by(route: Mapping[str, Any], gateways: Iterable[GatewayRef]) -> bool:
    """True if the Cilium controller accepted the route for one of `gateways`."""
    route_ns = route["metadata"].get("namespace", "")
    wanted = set(gateways)
    for parent in (route.get("status") or {}).get("parents") or []:
        if parent.get("controllerName") != CILIUM_CONTROLLER:
            continue
        ref = parent.get("parentRef") or {}
        if ref.get("kind", "Gateway") != "Gateway":
            continue
        if GatewayRef(ref.get("namespace") or route_ns, ref.get("name", "")) not in wanted:
            continue
        for cond in parent.get("conditions") or []:
            if cond.get("type") == "Accepted" and cond.get("status") == "True":
                return True
    return False


def _path_score(match: Mapping[str, Any], path: str) -> tuple[int, int] | None:
    """(kind, length) if the path matches: Exact=2, PathPrefix=1; None if not."""
    pm = match.get("path") or {"type": "PathPrefix", "value": "/"}
    ptype, value = pm.get("type", "PathPrefix"), pm.get("value", "/")
    if ptype == "Exact":
        return (2, len(value)) if path == value else None
    if ptype == "RegularExpression":
        return (1, len(value)) if re.fullmatch(value, path) else None
    prefix = value.rstrip("/")
    # Element-wise prefix: /api matches /api and /api/x, not /apix.
    if prefix == "" or path == prefix or path.startswith(prefix + "/"):
        return (1, len(prefix))
    return None


def _headers_match(match: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    for hm in match.get("headers") or []:
        got = lowered.get(str(hm.get("name", "")).lower())
        if got is None:
            return False
        if hm.get("type") == "RegularExpression":
            if not re.fullmatch(hm.get("value", ""), got):
                return False
        elif got != hm.get("value"):
            return False
    return True


def select_route(routes: Iterable[dict[str, Any]], gateways: Mapping[GatewayRef, dict[str, Any]],
                 host: str, path: str, headers: Mapping[str, str]) -> RouteMatch | None:
    """The best rule for the request among routes accepted by `gateways`, or None."""
    serving = [ref for ref, gw in gateways.items() if gateway_serves(gw, host)]
    if not serving:
        return None
    best: tuple[Any, ...] | None = None
    chosen: RouteMatch | None = None
    for route in routes:
        if not accepted_by(route, serving):
            continue
        hostnames = (route.get("spec") or {}).get("hostnames") or []
        matched_host: str | None = None
        if hostnames:
            fitting = [h for h in hostnames if hostname_matches(h, host)]
            if not fitting:
                continue
            matched_host = max(fitting, key=_host_rank)
        meta = route["metadata"]
        for rule in (route.get("spec") or {}).get("rules") or [{}]:
            for match in rule.get("matches") or [{}]:
                score = _path_score(match, path)
                if score is None or not _headers_match(match, headers):
                    continue
                key = (_host_rank(matched_host), score, len(match.get("headers") or []),
                       _neg_ts(meta.get("creationTimestamp", "")),
                       _neg_str(f'{meta.get("namespace", "")}/{meta.get("name", "")}'))
                if best is None or key > best:
                    best = key
                    chosen = RouteMatch(route, rule, list(rule.get("backendRefs") or []))
    return chosen


def _neg_str(s: str) -> tuple[int, ...]:
    # Invert so that "larger" means earlier (older timestamp, smaller name); the trailing
    # 1 makes a string beat its own extensions ("a/b" before "a/bc").
    return (*(-ord(c) for c in s), 1)


_neg_ts = _neg_str
