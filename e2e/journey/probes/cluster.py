"""Steps 1-3: the cluster answers, the CNI is up, the Gateway is programmed."""

from __future__ import annotations

from ...kube import gvr
from ...kube.status import condition, is_true, name_of, pod_ready, workload_ready
from ...report.model import Evidence
from ..model import Progress, StepContext, await_condition

GATEWAY_NS, GATEWAY_NAME, GATEWAY_CLASS = "kube-system", "cilium-gateway", "cilium"


def cluster_reachable(ctx: StepContext) -> Progress:
    version = ctx.sov.kube.version()
    nodes = ctx.sov.informers(gvr.NODES).items()
    if not nodes:
        return Progress.waiting("the API answers; waiting for a Node to register")
    not_ready = [name_of(n) for n in nodes if not is_true(n, "Ready")]
    if not_ready:
        return Progress.waiting(f"nodes not Ready: {', '.join(not_ready)}",
                                f"not-ready:{sorted(not_ready)}")
    return Progress.done(
        f"API {version.get('gitVersion', '?')}; {len(nodes)} node(s) Ready",
        Evidence(name="version", content_type="text/plain",
                 text=str(version.get("gitVersion", ""))))


def cni_ready(ctx: StepContext) -> Progress:
    daemonsets = ctx.sov.informers(gvr.DAEMONSETS).items(
        lambda o: o["metadata"].get("namespace") == "kube-system"
        and name_of(o) == "cilium")
    if not daemonsets:
        return Progress.waiting("waiting for DaemonSet kube-system/cilium")
    ready, why = workload_ready(daemonsets[0])
    agents = ctx.sov.informers(gvr.PODS).items(
        lambda p: p["metadata"].get("namespace") == "kube-system"
        and (p["metadata"].get("labels") or {}).get("k8s-app") == "cilium")
    ready_agents = [p for p in agents if pod_ready(p)]
    if ready and agents and len(ready_agents) == len(agents):
        return Progress.done(f"cilium agents Ready ({len(ready_agents)}/{len(agents)})")
    return Progress.waiting(f"cilium DaemonSet {why}; agents Ready "
                            f"{len(ready_agents)}/{len(agents)}")


def gateway_programmed(ctx: StepContext) -> Progress:
    gc = ctx.sov.informers(gvr.GATEWAYCLASSES).get(GATEWAY_CLASS)
    if (pending := await_condition(gc, f"GatewayClass {GATEWAY_CLASS}", "Accepted")):
        return pending
    gw = ctx.sov.informers(gvr.GATEWAYS).get(GATEWAY_NAME, GATEWAY_NS)
    if gw is None:
        return Progress.waiting(f"waiting for Gateway {GATEWAY_NS}/{GATEWAY_NAME}")
    cond = condition(gw, "Programmed") or {}
    addresses = [a.get("value") for a in (gw.get("status") or {}).get("addresses") or []]
    # Each listener has its own status: HTTPS can be dead while the Gateway is Programmed.
    unprogrammed = [
        f"{ls.get('name')} ({c.get('reason', '')})" for ls in
        (gw.get("status") or {}).get("listeners") or []
        for c in ls.get("conditions") or []
        if c.get("type") == "Programmed" and c.get("status") != "True"]
    if cond.get("status") == "True" and addresses and unprogrammed:
        return Progress.waiting(f"Gateway {GATEWAY_NS}/{GATEWAY_NAME} Programmed, but not "
                                f"its listener(s) {', '.join(unprogrammed)}",
                                f"listeners:{sorted(unprogrammed)}")
    if cond.get("status") == "True" and addresses:
        return Progress.done(f"Gateway {GATEWAY_NS}/{GATEWAY_NAME} Programmed at "
                             f"{', '.join(str(a) for a in addresses)}")
    return Progress.waiting(f"Gateway {GATEWAY_NS}/{GATEWAY_NAME} Programmed="
                            f"{cond.get('status', 'unset')} {cond.get('reason', '')}: "
                            f"{cond.get('message', '')}")
