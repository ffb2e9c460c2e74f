"""Cluster DNS: in-cluster URLs reach a pod only through Service -> ready EndpointSlice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from stubs.emulator.clusterdns import cluster_client, parse_service_host
from stubs.emulator.runtime import Emulator


def rt(em: Emulator, group: str, version: str, plural: str) -> Any:
    r = em.store.registry.get(group, version, plural)
    assert r is not None
    return r


def tag_app(tag: str) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"tag": tag, "host": request.headers.get("Host"),
                                  "path": request.path_qs})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


async def pod(em: Emulator, port: int, tag: str) -> str:
    ip = em.network.allocate_ip()
    em.network.register(ip, port, await em.serve(tag_app(tag)))
    return ip


def service(em: Emulator, ns: str, name: str, ports: list[dict[str, Any]]) -> None:
    if ns not in em.store.namespaces():
        em.store.create(rt(em, "", "v1", "namespaces"), None, {"metadata": {"name": ns}})
    em.store.create(rt(em, "", "v1", "services"), ns,
                    {"metadata": {"name": name}, "spec": {"ports": ports}})


def slice_(em: Emulator, ns: str, svc: str, name: str, endpoints: list[tuple[str, bool | None]],
           ports: list[dict[str, Any]] | None) -> None:
    body: dict[str, Any] = {
        "metadata": {"name": name, "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], **({"conditions": {"ready": r}} if r is not None
                                              else {})} for ip, r in endpoints]}
    if ports is not None:
        body["ports"] = ports
    em.store.create(rt(em, "discovery.k8s.io", "v1", "endpointslices"), ns, body)


def run(body: Callable[[Emulator], Awaitable[None]]) -> None:
    async def main() -> None:
        em = Emulator(fqdn="sovereign.test")
        await em.start()
        try:
            await body(em)
        finally:
            await em.stop()

    asyncio.run(main())


def test_parse_service_host_forms() -> None:
    assert parse_service_host("gitea-http.gitea.svc").namespace == "gitea"  # type: ignore[union-attr]
    assert parse_service_host("gitea-http.gitea.svc.cluster.local").name == "gitea-http"  # type: ignore[union-attr]
    assert parse_service_host("gitea-http.gitea") is None
    assert parse_service_host("provisioning", "sme").namespace == "sme"  # type: ignore[union-attr]
    assert parse_service_host("api.github.com") is None


def test_named_target_port_via_slice_and_round_robin() -> None:
    async def body(em: Emulator) -> None:
        a, b = await pod(em, 3000, "a"), await pod(em, 3000, "b")
        service(em, "gitea", "gitea-http", [{"name": "http", "port": 3000, "targetPort": "http"}])
        slice_(em, "gitea", "gitea-http", "gitea-http-1", [(a, True), (b, None)],
               [{"name": "http", "port": 3000}])
        async with cluster_client(em) as c:
            seen = []
            for _ in range(4):
                r = await c.get("http://gitea-http.gitea.svc:3000/api/v1/version?x=1")
                assert r.status_code == 200
                assert r.json()["host"] == "gitea-http.gitea.svc:3000"
                assert r.json()["path"] == "/api/v1/version?x=1"
                seen.append(r.json()["tag"])
            assert sorted(seen) == ["a", "a", "b", "b"]

    run(body)


def test_numeric_target_port_and_cluster_local_suffix() -> None:
    async def body(em: Emulator) -> None:
        ip = await pod(em, 8084, "prov")
        service(em, "sme", "provisioning", [{"port": 80, "targetPort": 8084}])
        slice_(em, "sme", "provisioning", "prov-1", [(ip, True)], None)
        async with cluster_client(em, default_namespace="sme") as c:
            r = await c.get("http://provisioning.sme.svc.cluster.local/healthz")
            assert r.json()["tag"] == "prov"
            r = await c.get("http://provisioning/healthz")  # search path of a pod in sme
            assert r.json()["tag"] == "prov"

    run(body)


def test_unknown_service_is_dns_failure() -> None:
    async def body(em: Emulator) -> None:
        async with cluster_client(em) as c:
            with pytest.raises(httpx.ConnectError, match="no such host"):
                await c.get("http://gitea-http.gitea.svc:3000/")
            with pytest.raises(httpx.ConnectError, match="no such host"):
                await c.get("https://api.github.com/repos")

    run(body)


def test_no_ready_endpoint_or_wrong_port_is_connection_refused() -> None:
    async def body(em: Emulator) -> None:
        ip = await pod(em, 3000, "a")
        service(em, "gitea", "gitea-http", [{"name": "http", "port": 3000, "targetPort": 3000}])
        slice_(em, "gitea", "gitea-http", "s1", [(ip, False)], [{"name": "http", "port": 3000}])
        async with cluster_client(em) as c:
            with pytest.raises(httpx.ConnectError, match="connection refused"):
                await c.get("http://gitea-http.gitea.svc:3000/")
            with pytest.raises(httpx.ConnectError, match="connection refused"):
                await c.get("http://gitea-http.gitea.svc:80/")

    run(body)


def test_public_names_go_to_the_gateway() -> None:
    async def body(em: Emulator) -> None:
        em.gateway_url = await em.serve(tag_app("gw"))
        async with cluster_client(em) as c:
            r = await c.get("http://gitea.sovereign.test/api/v1/version")
            assert r.json() == {"tag": "gw", "host": "gitea.sovereign.test",
                                "path": "/api/v1/version"}

    run(body)


def test_https_to_a_plain_http_pod_fails_the_handshake() -> None:
    """The client really starts TLS with the pod; a pod that answers in plain HTTP fails it
    (net/http's wording), while public names keep the gateway's TLS termination."""
    async def body(em: Emulator) -> None:
        ip = await pod(em, 3000, "newapi")
        service(em, "newapi", "newapi", [{"port": 3000, "targetPort": 3000}])
        slice_(em, "newapi", "newapi", "s1", [(ip, True)], None)
        em.gateway_url = await em.serve(tag_app("gw"))
        async with cluster_client(em) as c:
            assert (await c.get("http://newapi.newapi.svc:3000/x")).json()["tag"] == "newapi"
            with pytest.raises(httpx.ConnectError,
                               match=r"^http: server gave HTTP response to HTTPS client$"):
                await c.get("https://newapi.newapi.svc:3000/x")
            r = await c.get("https://newapi.sovereign.test/x")
            assert r.json()["tag"] == "gw"

    run(body)


def test_ip_literals_cluster_ip_pod_ip_and_nobodys_ip() -> None:
    """A Service's ClusterIP routes to it, a pod IP to the pod; an IP nobody has is
    dropped: the client waits out its connect timeout (scaled) and gets an i/o timeout."""
    async def body(em: Emulator) -> None:
        ip = await pod(em, 3000, "newapi")
        service(em, "newapi", "newapi", [{"port": 3000, "targetPort": 3000}])
        slice_(em, "newapi", "newapi", "s1", [(ip, True)], None)
        cluster_ip = em.store.get(rt(em, "", "v1", "services"), "newapi", "newapi")[
            "spec"]["clusterIP"]
        async with cluster_client(em, timeout=10.0) as c:
            r = await c.get(f"http://{cluster_ip}:3000/x")
            assert r.json()["tag"] == "newapi"
            with pytest.raises(httpx.ConnectTimeout, match=r"^dial tcp 10\.96\.9\.9:3000: "
                                                           r"i/o timeout$"):
                await c.get("http://10.96.9.9:3000/x")

    run(body)
