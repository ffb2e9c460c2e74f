"""The emulated Cilium Gateway: one loopback port that proxies by Host through HTTPRoutes.

It stands for `kube-system/cilium-gateway` (Envoy behind the load balancer). Every request
reads the Gateway, the HTTPRoutes, the Services and the EndpointSlices from the Store, so
what it routes is exactly what the cluster objects say at that moment; no cache to go
stale. Responses it makes itself follow Envoy's local replies:
- no listener/route for the host or path: 404, empty body;
- a rule with no usable backendRef (none, weight 0 only, not a Service, Service missing):
  500, empty body, as the Gateway API requires for invalid backends;
- a backend Service without ready endpoints: 503 `no healthy upstream`;
- a ready endpoint where nothing listens: 503 `upstream connect error or disconnect/reset
  before headers. reset reason: connection failure`.
Request bodies are streamed to the upstream as they arrive, whatever their size or
content: Envoy neither parses nor limits them (no buffering filter on Cilium's listeners),
so bad JSON, a wrong Content-Type or a 20 MB body get the upstream's own answer, and
credentials (JWTs included) are the upstream's to check.
HTTPRoute filters are not applied (none of the Sovereign's routes use them).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web

from ..clusterdns import ClusterDNS, ConnectionRefused, NoSuchHost
from .routing import GatewayRef, RouteMatch, select_route

if TYPE_CHECKING:
    from ..runtime import Emulator

log = logging.getLogger("sovereign.emulator.gateway")

LOOPBACK_HOST = "127.0.0.1"  # the emulator serves on loopback
DEFAULT_GATEWAY = GatewayRef("kube-system", "cilium-gateway")
NO_HEALTHY_UPSTREAM = "no healthy upstream"
CONNECT_FAILURE = ("upstream connect error or disconnect/reset before headers. "
                   "reset reason: connection failure")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"})


class GatewayProxy:
    """Component: serves the Gateway on loopback and sets `emulator.gateway_url`."""

    def __init__(self, gateways: Sequence[GatewayRef] = (DEFAULT_GATEWAY,), port: int = 0,
                 timeout: float = 30.0) -> None:
        self.gateways = list(gateways)
        self.port = port
        self.timeout = timeout
        self.emulator: Emulator | None = None
        self.dns: ClusterDNS | None = None
        self.client: httpx.AsyncClient | None = None
        self._runner: web.AppRunner | None = None
        self._extra: set[tuple[str, int]] = set()  # load-balancer addresses served too

    async def start(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.dns = ClusterDNS(emulator)
        self.client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        app = web.Application()  # bodies are streamed through, never read whole here
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        emulator.gateway_url = await self._site(LOOPBACK_HOST, self.port)

    async def _site(self, host: str, port: int) -> str:
        assert self._runner is not None
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
        return f"http://{host}:{bound[1]}"

    async def listen(self, address: str, port: int) -> None:
        """Serve the Gateway also at a load-balancer address (LB-IPAM plus an L2
        announcement, controllers/lbipam.py). Idempotent; a port this process may not bind
        (below 1024 without the privilege) is logged and the address stays unreachable,
        as an address nobody announces would."""
        if (address, port) in self._extra:
            return
        self._extra.add((address, port))
        try:
            await self._site(address, port)
        except OSError as e:
            log.warning("gateway: cannot listen on %s:%d: %s", address, port, e)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._extra.clear()

    # ---- routing ----------------------------------------------------------------------------
    def _rt(self, group: str, version: str, plural: str) -> Any:
        assert self.emulator is not None
        rt = self.emulator.store.registry.get(group, version, plural)
        if rt is None:
            raise LookupError(f"{group}/{version}/{plural} is not served")
        return rt

    def route_for(self, host: str, path: str, headers: dict[str, str]) -> RouteMatch | None:
        assert self.emulator is not None
        store = self.emulator.store
        try:
            gw_rt = self._rt("gateway.networking.k8s.io", "v1", "gateways")
            route_rt = self._rt("gateway.networking.k8s.io", "v1", "httproutes")
        except LookupError:
            return None  # no Gateway API CRDs: nothing can be routed
        gateways = {}
        for ref in self.gateways:
            gw = store.try_get(gw_rt, ref.namespace, ref.name)
            if gw is not None:
                gateways[ref] = gw
        if not gateways:
            return None
        routes, _ = store.list(route_rt)
        return select_route(routes, gateways, host, path, headers)

    @staticmethod
    def pick_backend(match: RouteMatch) -> dict[str, Any] | None:
        refs = [r for r in match.backend_refs if int(r.get("weight", 1)) > 0]
        if not refs:
            return None
        return random.choices(refs, weights=[int(r.get("weight", 1)) for r in refs])[0]

    # ---- the request path -------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").rsplit(":", 1)[0] if request.host else ""
        headers = dict(request.headers)
        match = self.route_for(host, request.path, headers)
        if match is None:
            return web.Response(status=404)
        backend = self.pick_backend(match)
        if backend is None or backend.get("kind", "Service") != "Service" \
                or backend.get("group", "") not in ("", "core") or backend.get("port") is None:
            return web.Response(status=500)
        ns = backend.get("namespace") or match.namespace
        assert self.dns is not None
        try:
            base = self.dns.resolve(ns, backend["name"], int(backend["port"]))
        except NoSuchHost:
            return web.Response(status=500)
        except ConnectionRefused:
            if not self.dns.backends(ns, backend["name"], int(backend["port"])):
                return web.Response(status=503, text=NO_HEALTHY_UPSTREAM)
            return web.Response(status=503, text=CONNECT_FAILURE)
        return await self.forward(request, base)

    async def forward(self, request: web.Request, base: str) -> web.StreamResponse:
        assert self.client is not None
        # Envoy streams the request body to the upstream (no size limit of its own; the
        # upstream's answer to a body it refuses is relayed): Content-Length kept when
        # the client sent one, else chunked.
        out_headers = [(k, v) for k, v in request.headers.items()
                       if k.lower() not in HOP_BY_HOP]
        peer = request.remote or ""
        xff = request.headers.get("X-Forwarded-For")
        out_headers = [(k, v) for k, v in out_headers
                       if k.lower() not in ("x-forwarded-for", "x-forwarded-proto")]
        out_headers.append(("X-Forwarded-For", f"{xff}, {peer}" if xff else peer))
        out_headers.append(("X-Forwarded-Proto", request.scheme))
        body = request.content.iter_any() if request.body_exists else None
        upstream = self.client.build_request(request.method, base + request.raw_path,
                                             headers=out_headers, content=body)
        started = time.monotonic()
        try:
            resp = await self.client.send(upstream, stream=True)
        except httpx.TransportError:
            return web.Response(status=503, text=CONNECT_FAILURE)
        try:
            out = web.StreamResponse(status=resp.status_code, reason=resp.reason_phrase)
            for k, v in resp.headers.multi_items():
                if k.lower() not in HOP_BY_HOP:
                    out.headers.add(k, v)
            # Envoy stamps proxied responses (never its own local replies) with this.
            out.headers["x-envoy-upstream-service-time"] = str(
                int((time.monotonic() - started) * 1000))
            await out.prepare(request)
            async for chunk in resp.aiter_raw():
                await out.write(chunk)
            await out.write_eof()
            return out
        finally:
            await resp.aclose()
