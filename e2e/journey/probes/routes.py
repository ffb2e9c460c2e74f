"""Step 15: every HTTPRoute accepted and resolved on its parents, and answering through
the gateway.

"Answering" means the gateway handed the request to a backend: Envoy (Cilium's data
plane) marks proxied responses with `x-envoy-upstream-service-time`; its own replies
(404 no route, 503 no healthy upstream) do not carry it. The app's own status (a 404 on
`/` from an app served under a context path) is the app's business.
"""

from __future__ import annotations

from typing import Any

from ...diagnose.routes import cond, parent_refs, parent_status
from ...kube import gvr
from ...kube.status import name_of, namespace_of
from ..model import Progress, StepContext
from .cluster import GATEWAY_NAME, GATEWAY_NS

Obj = dict[str, Any]
UPSTREAM_HEADER = "x-envoy-upstream-service-time"
WILDCARD_PROBE_LABEL = "e2e-probe"


def _first_path(route: Obj) -> str:
    for rule in (route.get("spec") or {}).get("rules") or []:
        for match in rule.get("matches") or []:
            path = (match.get("path") or {}).get("value")
            if path:
                return str(path)
    return "/"


def route_problems(route: Obj) -> list[str]:
    problems = []
    for ns, name, _ in parent_refs(route):
        status = parent_status(route, ns, name)
        for ctype in ("Accepted", "ResolvedRefs"):
            c = cond(status, ctype)
            if not c or c.get("status") != "True":
                state = f"{c.get('status')} {c.get('reason')}" if c else "no status"
                problems.append(f"{ctype}={state} on {ns}/{name}")
    return problems


def routes_accepted(ctx: StepContext) -> Progress:
    routes = ctx.sov.informers(gvr.HTTPROUTES).items()
    if not routes:
        return Progress.waiting("no HTTPRoutes yet")
    pending = []
    for route in routes:
        problems = route_problems(route)
        if problems:
            pending.append(f"{namespace_of(route)}/{name_of(route)}: {problems[0]}")
    if pending:
        return Progress.waiting(f"{len(routes) - len(pending)}/{len(routes)} HTTPRoutes "
                                f"accepted; first pending: {pending[0]}",
                                fingerprint="|".join(sorted(pending)))
    silent = []
    for route in routes:
        if (GATEWAY_NS, GATEWAY_NAME) not in {(ns, n) for ns, n, _ in parent_refs(route)}:
            continue  # served by another Gateway: not this gateway address's to answer
        for host in (route.get("spec") or {}).get("hostnames") or []:
            host = host.replace("*", WILDCARD_PROBE_LABEL, 1)
            resp = ctx.sov.http.call("GET", host, _first_path(route))
            if UPSTREAM_HEADER not in resp.headers:
                silent.append(f"{host}{_first_path(route)} -> {resp.status} from the "
                              f"gateway ({namespace_of(route)}/{name_of(route)})")
    if silent:
        return Progress.waiting(f"{len(silent)} route host(s) not answering through the "
                                f"gateway; first: {silent[0]}",
                                fingerprint="|".join(sorted(silent)))
    return Progress.done(f"all {len(routes)} HTTPRoutes Accepted and ResolvedRefs on their "
                         "parents, each answering through the gateway")
