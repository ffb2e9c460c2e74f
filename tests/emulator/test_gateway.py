"""The gateway proxy over real loopback sockets: routing by Host and path, only through
HTTPRoutes the Cilium controller accepted, Envoy's 404/500/503 replies, pass-through of
status, headers and bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from aiohttp import web

from stubs.emulator.gateway import CILIUM_CONTROLLER, GatewayProxy, hostname_matches
from stubs.emulator.runtime import Emulator

FQDN = "sovereign.test"


def rt(em: Emulator, group: str, version: str, plural: str) -> Any:
    r = em.store.registry.get(group, version, plural)
    assert r is not None
    return r


def ensure_ns(em: Emulator, name: str) -> None:
    if name not in em.store.namespaces():
        em.store.create(rt(em, "", "v1", "namespaces"), None, {"metadata": {"name": name}})


def echo_app(tag: str) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/redirect":
            raise web.HTTPFound("/elsewhere", headers={"X-Tag": tag})
        body = await request.read()
        return web.json_response(
            {"tag": tag, "method": request.method, "path": request.path,
             "query": request.query_string, "host": request.headers.get("Host"),
             "xff": request.headers.get("X-Forwarded-For"),
             "xfp": request.headers.get("X-Forwarded-Proto"), "body": body.decode()},
            status=201 if request.method == "POST" else 200, headers={"X-Tag": tag})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


async def expose(em: Emulator, ns: str, svc: str, port: int, app: web.Application | None,
                 ready: bool = True, target_port: int = 8080) -> str:
    """Serve `app` as a pod behind Service `svc:port` (EndpointSlice written by hand)."""
    ensure_ns(em, ns)
    ip = em.network.allocate_ip()
    if app is not None:
        em.network.register(ip, target_port, await em.serve(app))
    em.store.create(rt(em, "", "v1", "services"), ns, {
        "metadata": {"name": svc},
        "spec": {"ports": [{"name": "http", "port": port, "targetPort": "http"}]}})
    em.store.create(rt(em, "discovery.k8s.io", "v1", "endpointslices"), ns, {
        "metadata": {"name": f"{svc}-abcde", "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": target_port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}}]})
    return ip


def gateway(em: Emulator, ns: str = "kube-system", name: str = "cilium-gateway") -> None:
    ensure_ns(em, ns)
    em.store.create(rt(em, "gateway.networking.k8s.io", "v1", "gateways"), ns, {
        "metadata": {"name": name},
        "spec": {"gatewayClassName": "cilium", "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80, "hostname": f"*.{FQDN}"}]}})


def route(em: Emulator, ns: str, name: str, hostnames: list[str], rules: list[dict[str, Any]],
          accepted: bool | None = True, parent: tuple[str, str] = ("kube-system",
                                                                   "cilium-gateway")) -> None:
    ensure_ns(em, ns)
    route_rt = rt(em, "gateway.networking.k8s.io", "v1", "httproutes")
    ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway",
           "namespace": parent[0], "name": parent[1]}
    em.store.create(route_rt, ns, {"metadata": {"name": name},
                                   "spec": {"parentRefs": [ref], "hostnames": hostnames,
                                            "rules": rules}})
    if accepted is None:
        return  # no controller status at all, as for a parentRef to a missing Gateway
    status = {"parents": [{"parentRef": ref, "controllerName": CILIUM_CONTROLLER,
                           "conditions": [{"type": "Accepted",
                                           "status": "True" if accepted else "False",
                                           "reason": "Accepted" if accepted
                                           else "NoMatchingListenerHostname"}]}]}
    em.store.patch(route_rt, ns, name, lambda o: {**o, "status": status}, subresource="status")


def backend(svc: str, port: int = 80, **extra: Any) -> dict[str, Any]:
    return {"name": svc, "port": port, **extra}


def run(body: Callable[[Emulator, httpx.AsyncClient], Awaitable[None]]) -> None:
    async def main() -> None:
        em = Emulator(fqdn=FQDN, components=[GatewayProxy()])
        await em.start()
        try:
            assert em.gateway_url
            async with httpx.AsyncClient(base_url=em.gateway_url) as client:
                await body(em, client)
        finally:
            await em.stop()

    asyncio.run(main())


def test_hostname_matching_follows_gateway_api_rules() -> None:
    assert hostname_matches("*.sovereign.test", "gitea.sovereign.test")
    assert hostname_matches("*.sovereign.test", "a.b.sovereign.test")
    assert not hostname_matches("*.sovereign.test", "sovereign.test")
    assert not hostname_matches("*.sovereign.test", "gitea.sovereign.testx")
    assert hostname_matches("Gitea.Sovereign.Test", "gitea.sovereign.test")


def test_routes_by_host_and_forwards_request() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "gitea", "gitea-http", 3000, echo_app("gitea"))
        await expose(em, "sme", "gateway", 8080, echo_app("sme"))
        route(em, "gitea", "gitea", [f"gitea.{FQDN}"],
              [{"backendRefs": [backend("gitea-http", 3000)]}])
        route(em, "sme", "marketplace", [f"marketplace.{FQDN}"],
              [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                "backendRefs": [backend("gateway", 8080)]}])

        r = await c.post("/api/v1/orgs?x=1", content=b"hello",
                         headers={"Host": f"gitea.{FQDN}", "X-Forwarded-For": "10.0.0.9"})
        assert r.status_code == 201 and r.headers["X-Tag"] == "gitea"
        got = r.json()
        assert got["path"] == "/api/v1/orgs" and got["query"] == "x=1"
        assert got["host"] == f"gitea.{FQDN}" and got["body"] == "hello"
        assert got["xff"].startswith("10.0.0.9, ") and got["xfp"] == "http"

        r = await c.get("/api/billing/balance", headers={"Host": f"marketplace.{FQDN}"})
        assert r.status_code == 200 and r.json()["tag"] == "sme"
        # /apix is not under the /api prefix; / has no rule on this host.
        assert (await c.get("/apix", headers={"Host": f"marketplace.{FQDN}"})).status_code == 404
        assert (await c.get("/", headers={"Host": f"marketplace.{FQDN}"})).status_code == 404

    run(body)


def test_redirects_pass_through_unfollowed() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "gateway", 8080, echo_app("sme"))
        route(em, "sme", "m", [f"marketplace.{FQDN}"],
              [{"backendRefs": [backend("gateway", 8080)]}])
        r = await c.get("/redirect", headers={"Host": f"marketplace.{FQDN}"})
        assert r.status_code == 302 and r.headers["Location"] == "/elsewhere"
        assert r.headers["X-Tag"] == "sme"

    run(body)


def test_longest_prefix_and_exact_win() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "ui", 8080, echo_app("ui"))
        await expose(em, "sme", "api", 8080, echo_app("api"))
        await expose(em, "sme", "health", 8080, echo_app("health"))
        route(em, "sme", "m", [f"marketplace.{FQDN}"], [
            {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
             "backendRefs": [backend("ui", 8080)]},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/api/"}}],
             "backendRefs": [backend("api", 8080)]},
            {"matches": [{"path": {"type": "Exact", "value": "/api/healthz"}}],
             "backendRefs": [backend("health", 8080)]}])
        h = {"Host": f"marketplace.{FQDN}"}
        assert (await c.get("/plans", headers=h)).json()["tag"] == "ui"
        assert (await c.get("/api/auth/login", headers=h)).json()["tag"] == "api"
        assert (await c.get("/api/healthz", headers=h)).json()["tag"] == "health"
        assert (await c.get("/api/healthz/x", headers=h)).json()["tag"] == "api"

    run(body)


def test_header_match_selects_rule() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "a", 8080, echo_app("a"))
        await expose(em, "sme", "b", 8080, echo_app("b"))
        route(em, "sme", "m", [f"m.{FQDN}"], [
            {"backendRefs": [backend("a", 8080)]},
            {"matches": [{"headers": [{"name": "X-Canary", "value": "yes"}]}],
             "backendRefs": [backend("b", 8080)]}])
        h = {"Host": f"m.{FQDN}"}
        assert (await c.get("/", headers=h)).json()["tag"] == "a"
        assert (await c.get("/", headers={**h, "X-Canary": "yes"})).json()["tag"] == "b"

    run(body)


def test_only_accepted_routes_to_our_gateway_are_served() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "catalyst-system", "guac", 8080, echo_app("guac"))
        # Refused by the controller, never reconciled, or attached to another Gateway.
        route(em, "catalyst-system", "refused", [f"refused.{FQDN}"],
              [{"backendRefs": [backend("guac", 8080)]}], accepted=False)
        route(em, "catalyst-system", "nostatus", [f"guacamole.{FQDN}"],
              [{"backendRefs": [backend("guac", 8080)]}], accepted=None,
              parent=("gateway-system", "cilium-gateway"))
        gateway(em, "kube-system", "catalyst-gateway")
        route(em, "catalyst-system", "other-gw", [f"flow.{FQDN}"],
              [{"backendRefs": [backend("guac", 8080)]}], parent=("kube-system",
                                                                 "catalyst-gateway"))
        for host in ("refused", "guacamole", "flow", "nothing"):
            r = await c.get("/", headers={"Host": f"{host}.{FQDN}"})
            assert r.status_code == 404, host
            assert r.content == b""

    run(body)


def test_listener_hostname_bounds_what_is_served() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "a", 8080, echo_app("a"))
        # Accepted status notwithstanding, example.org is outside the listener's *.<fqdn>.
        route(em, "sme", "outside", ["app.example.org"], [{"backendRefs": [backend("a", 8080)]}])
        assert (await c.get("/", headers={"Host": "app.example.org"})).status_code == 404

    run(body)


def test_no_gateway_object_means_nothing_routes() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        await expose(em, "sme", "a", 8080, echo_app("a"))
        route(em, "sme", "m", [f"m.{FQDN}"], [{"backendRefs": [backend("a", 8080)]}])
        assert (await c.get("/", headers={"Host": f"m.{FQDN}"})).status_code == 404

    run(body)


def test_wildcard_route_and_inherited_hostnames() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "tenant-acme", "wild", 8080, echo_app("wild"))
        await expose(em, "gitea", "gitea-http", 3000, echo_app("gitea"))
        await expose(em, "sme", "catchall", 8080, echo_app("catchall"))
        route(em, "tenant-acme", "tenant-wildcard", [f"*.acme.{FQDN}"],
              [{"backendRefs": [backend("wild", 8080)]}])
        route(em, "gitea", "gitea", [f"gitea.{FQDN}"],
              [{"backendRefs": [backend("gitea-http", 3000)]}])
        route(em, "sme", "no-hostnames", [], [{"backendRefs": [backend("catchall", 8080)]}])
        assert (await c.get("/", headers={"Host": f"wp.acme.{FQDN}"})).json()["tag"] == "wild"
        assert (await c.get("/", headers={"Host": f"a.b.acme.{FQDN}"})).json()["tag"] == "wild"
        # acme.<fqdn> itself is not covered by *.acme.<fqdn>: the hostname-less route
        # (inheriting the listener's *.<fqdn>) takes it.
        assert (await c.get("/", headers={"Host": f"acme.{FQDN}"})).json()["tag"] == "catchall"
        # An exact hostname beats the hostname-less route.
        assert (await c.get("/", headers={"Host": f"gitea.{FQDN}:80"})).json()["tag"] == "gitea"

    run(body)


def test_no_ready_endpoint_is_503_no_healthy_upstream() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "catalyst-system", "guac", 8080, echo_app("guac"), ready=False)
        route(em, "catalyst-system", "g", [f"guacamole.{FQDN}"],
              [{"backendRefs": [backend("guac", 8080)]}])
        r = await c.get("/guacamole/", headers={"Host": f"guacamole.{FQDN}"})
        assert r.status_code == 503 and r.text == "no healthy upstream"

    run(body)


def test_ready_endpoint_with_nothing_listening_is_connect_failure() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "ghost", 8080, None)
        route(em, "sme", "g", [f"ghost.{FQDN}"], [{"backendRefs": [backend("ghost", 8080)]}])
        r = await c.get("/", headers={"Host": f"ghost.{FQDN}"})
        assert r.status_code == 503 and r.text.startswith("upstream connect error")

    run(body)


def test_missing_backend_service_is_500() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        route(em, "sme", "g", [f"x.{FQDN}"], [{"backendRefs": [backend("nope", 8080)]}])
        assert (await c.get("/", headers={"Host": f"x.{FQDN}"})).status_code == 500

    run(body)


def test_weights_split_and_zero_weight_excluded() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "a", 8080, echo_app("a"))
        await expose(em, "sme", "b", 8080, echo_app("b"))
        route(em, "sme", "w", [f"w.{FQDN}"], [{"backendRefs": [
            backend("a", 8080, weight=1), backend("b", 8080, weight=0)]}])
        tags = {(await c.get("/", headers={"Host": f"w.{FQDN}"})).json()["tag"]
                for _ in range(10)}
        assert tags == {"a"}

    run(body)


def test_endpoint_readiness_change_takes_effect_on_next_request() -> None:
    async def body(em: Emulator, c: httpx.AsyncClient) -> None:
        gateway(em)
        await expose(em, "sme", "a", 8080, echo_app("a"), ready=False)
        route(em, "sme", "m", [f"m.{FQDN}"], [{"backendRefs": [backend("a", 8080)]}])
        h = {"Host": f"m.{FQDN}"}
        assert (await c.get("/", headers=h)).status_code == 503
        es_rt = rt(em, "discovery.k8s.io", "v1", "endpointslices")

        def make_ready(o: dict[str, Any]) -> dict[str, Any]:
            o["endpoints"][0]["conditions"]["ready"] = True
            return o

        em.store.patch(es_rt, "sme", "a-abcde", make_ready)
        assert (await c.get("/", headers=h)).status_code == 200

    run(body)
