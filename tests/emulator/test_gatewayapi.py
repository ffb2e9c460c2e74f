"""Cilium Gateway API status: class, Gateway, listeners and HTTPRoute parents (facts §2)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from stubs.emulator.controllers.gatewayapi import GatewayAPIController
from tests.emulator.cluster_harness import Cluster, cluster, condition

CONTROLLER = "io.cilium/gateway-controller"
PEM = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").decode()
KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n").decode()


@contextmanager
def sovereign(version: str) -> Iterator[Cluster]:
    with cluster([GatewayAPIController()], cilium_version=version) as c:
        for ns in ("kube-system", "apps", "backend"):
            c.namespace(ns)
        # What Cilium's chart renders with gatewayAPI.enabled: the operator's switch.
        c.create("ConfigMap", {"metadata": {"name": "cilium-config", "namespace": "kube-system"},
                               "data": {"enable-gateway-api": "true"}})
        c.create("Secret", {"metadata": {"name": "wildcard-tls", "namespace": "kube-system"},
                            "type": "kubernetes.io/tls", "data": {"tls.crt": PEM, "tls.key": KEY}})
        c.create("GatewayClass", {"metadata": {"name": "cilium"},
                                  "spec": {"controllerName": CONTROLLER}})
        c.create("Gateway", gateway("cilium-gateway"))
        yield c


@pytest.fixture
def c() -> Iterator[Cluster]:
    with sovereign("1.16.5") as cl:
        yield cl


def gateway(name: str) -> dict[str, Any]:
    allowed = {"namespaces": {"from": "All"}}
    return {"metadata": {"name": name, "namespace": "kube-system"},
            "spec": {"gatewayClassName": "cilium", "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP",
                 "hostname": "*.sovereign.test", "allowedRoutes": allowed},
                {"name": "https", "port": 443, "protocol": "HTTPS",
                 "hostname": "*.sovereign.test", "allowedRoutes": allowed,
                 "tls": {"mode": "Terminate",
                         "certificateRefs": [{"kind": "Secret", "name": "wildcard-tls"}]}}]}}


def route(name: str, *, gateway_name: str = "cilium-gateway", host: str = "app.sovereign.test",
          backend: dict[str, Any] | None = None) -> dict[str, Any]:
    be = backend or {"name": "web", "port": 8080}
    return {"metadata": {"name": name, "namespace": "apps"},
            "spec": {"parentRefs": [{"name": gateway_name, "namespace": "kube-system"}],
                     "hostnames": [host], "rules": [{"backendRefs": [be]}]}}


def service(name: str, ns: str = "apps") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [{"port": 8080}]}}


def parent_cond(r: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for p in (r.get("status") or {}).get("parents") or []:
        for cond in p["conditions"]:
            if cond["type"] == type_:
                return dict(cond)
    return None


def has(type_: str, status: str, reason: str) -> Callable[[dict[str, Any]], bool]:
    def pred(r: dict[str, Any]) -> bool:
        cond = parent_cond(r, type_) or {}
        return cond.get("status") == status and cond.get("reason") == reason
    return pred


def test_class_and_gateway_status(c: Cluster) -> None:
    gwc = c.wait("GatewayClass", None, lambda o: (condition(o, "Accepted") or {}).get("status")
                 == "True", name="cilium")
    assert condition(gwc, "Accepted")["message"] == "Valid GatewayClass"  # type: ignore[index]
    gw = c.wait("Gateway", "kube-system", lambda o: (condition(o, "Programmed") or {})
                .get("status") == "True", name="cilium-gateway")
    accepted = condition(gw, "Accepted")
    assert accepted is not None
    assert (accepted["reason"], accepted["message"]) == ("Accepted",
                                                         "Gateway successfully scheduled")
    assert accepted["observedGeneration"] == 1
    assert gw["status"]["addresses"] == [{"type": "IPAddress", "value": "127.0.0.1"}]
    https = next(ls for ls in gw["status"]["listeners"] if ls["name"] == "https")
    assert {x["type"]: x["status"] for x in https["conditions"]} == {
        "Programmed": "True", "Accepted": "True", "ResolvedRefs": "True"}
    assert https["supportedKinds"] == [{"group": "gateway.networking.k8s.io",
                                        "kind": "HTTPRoute"}]


def test_nothing_is_reconciled_until_cilium_config_enables_gateway_api() -> None:
    """cilium-operator starts its Gateway API controllers only with enable-gateway-api."""
    with cluster([GatewayAPIController()], cilium_version="1.16.5") as c:
        c.namespace("kube-system")
        c.create("ConfigMap", {"metadata": {"name": "cilium-config", "namespace": "kube-system"},
                               "data": {"kube-proxy-replacement": "true"}})
        c.create("GatewayClass", {"metadata": {"name": "cilium"},
                                  "spec": {"controllerName": CONTROLLER}})
        with pytest.raises(AssertionError):
            c.wait("GatewayClass", None, lambda o: (condition(o, "Accepted") or {}).get(
                "status") == "True", name="cilium", timeout=1.0)
        # Only the API's default status ("Waiting for controller"), nothing from Cilium.
        untouched = c.get("GatewayClass", None, "cilium")
        assert untouched is not None and "supportedFeatures" not in untouched.get("status", {})
        cm = c.get("ConfigMap", "kube-system", "cilium-config")
        assert cm is not None
        cm["data"]["enable-gateway-api"] = "true"
        cm["metadata"].pop("resourceVersion")
        c.call(c.store.replace, c.rt("ConfigMap"), "kube-system", "cilium-config", cm)
        c.wait("GatewayClass", None, lambda o: (condition(o, "Accepted") or {}).get("status")
               == "True", name="cilium")


def test_accepted_route_counts_as_attached(c: Cluster) -> None:
    c.create("Service", service("web"))
    c.create("HTTPRoute", route("app"))
    r = c.wait("HTTPRoute", "apps", has("ResolvedRefs", "True", "ResolvedRefs"), name="app")
    parent = r["status"]["parents"][0]
    assert parent["controllerName"] == CONTROLLER
    assert parent["parentRef"]["name"] == "cilium-gateway"
    acc = parent_cond(r, "Accepted")
    assert acc is not None and (acc["status"], acc["reason"], acc["message"]) == (
        "True", "Accepted", "Accepted HTTPRoute")
    assert acc["observedGeneration"] == 1
    assert parent_cond(r, "ResolvedRefs")["message"] == "Service reference is valid"  # type: ignore[index]
    c.wait("Gateway", "kube-system", lambda o: [ls["attachedRoutes"] for ls in
                                                 o["status"].get("listeners") or []] == [1, 1],
           name="cilium-gateway")


def test_missing_gateway_on_cilium_1_16(c: Cluster) -> None:
    c.create("Service", service("web"))
    c.create("HTTPRoute", route("guac", gateway_name="catalyst-gateway"))
    r = c.wait("HTTPRoute", "apps", has("Accepted", "False", "InvalidHTTPRoute"), name="guac")
    assert parent_cond(r, "Accepted")["message"] == (  # type: ignore[index]
        'gateway "catalyst-gateway" does not exist: gateways.gateway.networking.k8s.io '
        '"catalyst-gateway" not found')
    # Creating the Gateway re-evaluates the route.
    c.create("Gateway", gateway("catalyst-gateway"))
    c.wait("HTTPRoute", "apps", has("Accepted", "True", "Accepted"), name="guac")


def test_missing_gateway_on_cilium_1_18_has_no_status() -> None:
    with sovereign("1.18.0") as c:
        c.create("Service", service("web"))
        c.create("HTTPRoute", route("guac", gateway_name="catalyst-gateway"))
        c.create("HTTPRoute", route("ok"))
        # The pass that accepted `ok` (created after `guac`) has seen `guac` too.
        c.wait("HTTPRoute", "apps", has("Accepted", "True", "Accepted"), name="ok")
        orphan = c.get("HTTPRoute", "apps", "guac")
        assert orphan is not None
        assert not (orphan.get("status") or {}).get("parents")
        gw = c.get("Gateway", "kube-system", "cilium-gateway")
        assert gw is not None
        assert condition(gw, "Programmed")["message"] == "Gateway Programmed"  # type: ignore[index]


def test_route_from_another_namespace_needs_listener_permission(c: Cluster) -> None:
    gw = gateway("same-only")
    for listener in gw["spec"]["listeners"]:
        del listener["allowedRoutes"]  # the CRD default: from Same
    c.create("Gateway", gw)
    c.create("Service", service("web"))
    c.create("HTTPRoute", route("denied", gateway_name="same-only"))
    r = c.wait("HTTPRoute", "apps", has("Accepted", "False", "NotAllowedByListeners"),
               name="denied")
    assert parent_cond(r, "Accepted")["message"] == (  # type: ignore[index]
        "HTTPRoute is not allowed to attach to this Gateway due to namespace restrictions")


def test_hostname_no_listener_admits(c: Cluster) -> None:
    c.create("Service", service("web"))
    c.create("HTTPRoute", route("other", host="app.example.com"))
    r = c.wait("HTTPRoute", "apps", has("Accepted", "False", "NoMatchingListenerHostname"),
               name="other")
    assert parent_cond(r, "Accepted")["message"] == "No matching listener hostname"  # type: ignore[index]


def test_missing_backend_then_created(c: Cluster) -> None:
    c.create("HTTPRoute", route("nobackend", backend={"name": "ghost", "port": 8080}))
    r = c.wait("HTTPRoute", "apps", has("ResolvedRefs", "False", "BackendNotFound"),
               name="nobackend")
    assert parent_cond(r, "ResolvedRefs")["message"] == 'services "ghost" not found'  # type: ignore[index]
    assert parent_cond(r, "Accepted")["status"] == "True"  # type: ignore[index]
    c.create("Service", service("ghost"))
    c.wait("HTTPRoute", "apps", has("ResolvedRefs", "True", "ResolvedRefs"), name="nobackend")


def test_cross_namespace_backend_needs_a_reference_grant(c: Cluster) -> None:
    c.create("Service", service("api", "backend"))
    c.create("HTTPRoute", route("cross", backend={"name": "api", "namespace": "backend",
                                                  "port": 8080}))
    r = c.wait("HTTPRoute", "apps", has("ResolvedRefs", "False", "RefNotPermitted"),
               name="cross")
    assert parent_cond(r, "ResolvedRefs")["message"] == \
        "Cross namespace references are not allowed"  # type: ignore[index]
    c.create("ReferenceGrant", {"metadata": {"name": "from-apps", "namespace": "backend"},
                                "spec": {"from": [{"group": "gateway.networking.k8s.io",
                                                   "kind": "HTTPRoute", "namespace": "apps"}],
                                         "to": [{"group": "", "kind": "Service"}]}})
    c.wait("HTTPRoute", "apps", has("ResolvedRefs", "True", "ResolvedRefs"), name="cross")


def test_missing_certificate_makes_the_listener_invalid(c: Cluster) -> None:
    c.delete("Secret", "kube-system", "wildcard-tls")
    gw = c.wait("Gateway", "kube-system", lambda o: any(
        x["type"] == "ResolvedRefs" and x["status"] == "False"
        for ls in o["status"].get("listeners") or [] for x in ls["conditions"]),
        name="cilium-gateway")
    https = next(ls for ls in gw["status"]["listeners"] if ls["name"] == "https")
    refs = next(x for x in https["conditions"] if x["type"] == "ResolvedRefs")
    assert (refs["reason"], refs["message"]) == ("InvalidCertificateRef", "Invalid CertificateRef")
