"""Cilium LB-IPAM plus L2 announcements, as far as a Gateway's address goes.

Cilium gives a Gateway a LoadBalancer Service (`cilium-gateway-<name>`); LB-IPAM assigns
it an address from a `CiliumLoadBalancerIPPool` (cilium.io/v2alpha1), and the Gateway's
`status.addresses` carries that address. A `CiliumL2AnnouncementPolicy` with
`loadBalancerIPs: true` makes the node answer ARP for it, so machines on the node's
network reach the Gateway there. Here: the address is the pool's next free one, and when
an announcement policy covers load-balancer IPs, the emulated gateway proxy also listens
on that address at each listener's port (the node's network is loopback). Without a pool
the emulated Sovereign keeps its loopback address (its proxy's own port).
"""

from __future__ import annotations

import ipaddress
from typing import Any

Obj = dict[str, Any]
GROUP, VERSION = "cilium.io", "v2alpha1"


def pool_addresses(store: Any) -> list[str]:
    """Every assignable address of every pool (by pool name, then block order)."""
    rt = store.registry.get(GROUP, VERSION, "ciliumloadbalancerippools")
    if rt is None:
        return []
    out: list[str] = []
    for pool in sorted(store.list(rt)[0], key=lambda p: p["metadata"]["name"]):
        spec = pool.get("spec") or {}
        if spec.get("disabled"):
            continue
        for block in spec.get("blocks") or []:
            if block.get("cidr"):
                try:
                    net = ipaddress.ip_network(str(block["cidr"]), strict=False)
                except ValueError:
                    continue
                out += [str(a) for a in net.hosts()]
            elif block.get("start"):
                start = ipaddress.ip_address(str(block["start"]))
                stop = ipaddress.ip_address(str(block.get("stop") or block["start"]))
                out += [str(ipaddress.ip_address(n)) for n in range(int(start), int(stop) + 1)]
    return out


def announced(store: Any) -> bool:
    """An L2 announcement policy announces load-balancer IPs."""
    rt = store.registry.get(GROUP, VERSION, "ciliuml2announcementpolicies")
    if rt is None:
        return False
    return any((p.get("spec") or {}).get("loadBalancerIPs") for p in store.list(rt)[0])


def assign(store: Any, gateways: list[tuple[str, str]],
           held: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Gateway -> address: a Gateway keeps the address it holds while it is in the pool;
    the others get the next free ones in order. A Gateway without one is left out."""
    free = pool_addresses(store)
    out: dict[tuple[str, str], str] = {}
    for key in gateways:
        if held.get(key) in free:
            out[key] = held[key]
    taken = set(out.values())
    rest = [a for a in free if a not in taken]
    for key in gateways:
        if key not in out and rest:
            out[key] = rest.pop(0)
    return out
