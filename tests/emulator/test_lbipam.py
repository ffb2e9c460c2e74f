"""LB-IPAM for Gateways: addresses from CiliumLoadBalancerIPPools, stable per Gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stubs.emulator.controllers import lbipam
from stubs.emulator.kubeapi.store import Store

CRDS = Path(__file__).resolve().parents[1] / "kind" / "fakes" / "cilium-crds.yaml"


def store_with(pools: list[dict[str, Any]],
               policies: tuple[dict[str, Any], ...] | list[dict[str, Any]] = ()) -> Store:
    store = Store()
    crd_rt = store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    for crd in yaml.safe_load_all(CRDS.read_text()):
        if crd:
            store.create(crd_rt, None, crd)
    pool_rt = store.registry.get(lbipam.GROUP, lbipam.VERSION, "ciliumloadbalancerippools")
    pol_rt = store.registry.get(lbipam.GROUP, lbipam.VERSION, "ciliuml2announcementpolicies")
    for name, spec in enumerate(pools):
        store.create(pool_rt, None, {"apiVersion": "cilium.io/v2alpha1",
                                     "kind": "CiliumLoadBalancerIPPool",
                                     "metadata": {"name": f"p{name}"}, "spec": spec})
    for name, spec in enumerate(policies):
        store.create(pol_rt, None, {"apiVersion": "cilium.io/v2alpha1",
                                    "kind": "CiliumL2AnnouncementPolicy",
                                    "metadata": {"name": f"l{name}"}, "spec": spec})
    return store


def test_no_pool_no_address() -> None:
    assert lbipam.pool_addresses(Store()) == []
    assert lbipam.assign(Store(), [("kube-system", "gw")], {}) == {}


def test_addresses_from_cidr_and_range_blocks() -> None:
    store = store_with([{"blocks": [{"cidr": "172.18.255.224/30"},
                                    {"start": "10.0.0.5", "stop": "10.0.0.6"}]},
                        {"disabled": True, "blocks": [{"cidr": "10.9.9.0/30"}]}])
    assert lbipam.pool_addresses(store) == ["172.18.255.225", "172.18.255.226",
                                            "10.0.0.5", "10.0.0.6"]


def test_a_gateway_keeps_its_address_and_others_get_the_next_free() -> None:
    store = store_with([{"blocks": [{"cidr": "172.18.255.224/30"}]}])
    a, b, c = ("ns", "a"), ("ns", "b"), ("ns", "c")
    first = lbipam.assign(store, [a, b], {})
    assert first == {a: "172.18.255.225", b: "172.18.255.226"}
    # b keeps its address when a goes; c takes the freed one; a third has none left
    assert lbipam.assign(store, [b, c], first) == {b: "172.18.255.226", c: "172.18.255.225"}
    assert lbipam.assign(store, [a, b, c], first) == {a: "172.18.255.225",
                                                      b: "172.18.255.226"}


def test_announced_only_with_a_policy_for_lb_ips() -> None:
    assert not lbipam.announced(store_with([], [{"externalIPs": True}]))
    assert lbipam.announced(store_with([], [{"loadBalancerIPs": True}]))
