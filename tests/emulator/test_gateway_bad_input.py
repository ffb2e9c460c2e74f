"""Bad input through the emulated Cilium Gateway (Envoy): its own replies for what it
cannot route, and for everything it routes the upstream's answer, relayed as is. Envoy
neither parses nor limits request bodies nor checks credentials on these listeners, so a
malformed body, a 20 MB body or an `alg: none` JWT reach the upstream (here the NewAPI
stub) and its 400/401/413 comes back; the gateway never answers 500 for them and keeps
routing.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest
from aiohttp import web

from stubs.emulator.gateway import GatewayProxy
from stubs.emulator.runtime import Emulator, EmulatorThread
from stubs.newapi import create_app
from tests.emulator.test_gateway import FQDN, backend, expose, gateway, route

ADMIN = "adm1n" + "A" * 59
KEY = "s1gn" + "k" * 60
BRIDGE = "/admin/tokens/sandbox"
NEWAPI_HOST = f"newapi.{FQDN}"
SINK_HOST = f"sink.{FQDN}"
MiB = 1024 * 1024
GOOD = b'{"org_id": "acme", "user_id": "ada", "sandbox_id": "sb-1", "allowed_channels": ["q"]}'
NOT_JSON = {"error": "request body is not valid JSON"}
UNAUTHORIZED = {"error": "unauthorized"}


def _jwt(alg: str, key: str | None, exp_in: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "admin", "iat": now, "exp": now + exp_in}, key, algorithm=alg)


def _chunks(size: int, first: bytes = b"") -> Iterator[bytes]:
    yield first
    for _ in range(size // MiB):
        yield b"x" * MiB


def sink_app() -> web.Application:
    """Counts the body as it streams in, never holding it."""
    async def handler(request: web.Request) -> web.Response:
        size = 0
        async for chunk in request.content.iter_any():
            size += len(chunk)
        return web.json_response({"received": size})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@dataclass(frozen=True)
class Row:
    host: str
    path: str
    body: bytes | None
    code: int
    json: dict[str, object] | None  # None: Envoy's own reply, an empty body
    authorization: str | None = f"Bearer {ADMIN}"
    content_type: str | None = "application/json"
    streamed: int = 0

    @property
    def relayed(self) -> bool:
        return self.json is not None


ROWS: dict[str, Row] = {
    "malformed-json": Row(NEWAPI_HOST, BRIDGE, b'{"org_id": ', 400, NOT_JSON),
    "deep-nesting": Row(NEWAPI_HOST, BRIDGE, b"[" * 100_000 + b"]" * 100_000, 400, NOT_JSON),
    "non-utf8": Row(NEWAPI_HOST, BRIDGE, b"\xff\xfe" + GOOD, 400, NOT_JSON),
    "20MB-body": Row(NEWAPI_HOST, BRIDGE, None, 413, {"error": "request body too large"},
                     streamed=20 * MiB),
    "no-credentials": Row(NEWAPI_HOST, BRIDGE, GOOD, 401, UNAUTHORIZED, authorization=None),
    "jwt-alg-none": Row(NEWAPI_HOST, BRIDGE, GOOD, 401, UNAUTHORIZED,
                        authorization=f"Bearer {_jwt('none', None, 600)}"),
    "jwt-expired": Row(NEWAPI_HOST, BRIDGE, GOOD, 401, UNAUTHORIZED,
                       authorization=f"Bearer {_jwt('HS256', KEY, -600)}"),
    "jwt-wrongly-signed": Row(NEWAPI_HOST, BRIDGE, GOOD, 401, UNAUTHORIZED,
                              authorization=f"Bearer {_jwt('HS256', 'x' * 32, 600)}"),
    "unknown-host": Row(f"nothing.{FQDN}", BRIDGE, GOOD, 404, None),
    "host-outside-the-listener": Row("newapi.elsewhere.test", BRIDGE, GOOD, 404, None),
    "undecodable-path": Row(f"nothing.{FQDN}", "/%ff%fe", None, 404, None),
}


@pytest.fixture(scope="module")
def gw() -> Iterator[httpx.Client]:
    """One emulator and gateway for the whole table: it must keep routing across rows."""
    em = Emulator(fqdn=FQDN, components=[GatewayProxy()])
    thread = EmulatorThread(em)
    thread.start()

    async def setup() -> None:
        gateway(em)
        await expose(em, "newapi", "newapi", 80, create_app({
            "NEWAPI_ADMIN_SECRET": ADMIN, "NEWAPI_TOKEN_SIGNING_KEY": KEY}))
        route(em, "newapi", "newapi", [NEWAPI_HOST], [{"backendRefs": [backend("newapi")]}])
        await expose(em, "sink", "sink", 80, sink_app())
        route(em, "sink", "sink", [SINK_HOST], [{"backendRefs": [backend("sink")]}])

    asyncio.run_coroutine_threadsafe(setup(), thread.loop).result(10)
    assert em.gateway_url
    with httpx.Client(base_url=em.gateway_url, timeout=30) as client:
        yield client
    thread.stop()


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_bad_input_gets_envoys_reply_or_the_upstreams(gw: httpx.Client, row: Row) -> None:
    headers = {"Host": row.host}
    if row.authorization is not None:
        headers["Authorization"] = row.authorization
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    content = _chunks(row.streamed, b'{"org_id": "') if row.streamed else row.body
    r = gw.request("POST", row.path, content=content, headers=headers)

    assert r.status_code == row.code, r.text[:300]
    if row.relayed:
        assert r.json() == row.json
        assert "x-envoy-upstream-service-time" in r.headers  # the upstream answered
    else:
        assert r.content == b"" and "x-envoy-upstream-service-time" not in r.headers
    good = gw.post(BRIDGE, content=GOOD, headers={"Host": NEWAPI_HOST,
                                                   "Authorization": f"Bearer {ADMIN}"})
    assert good.status_code == 200 and set(good.json()) == {"token", "expires_at"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_20MB_body_is_streamed_to_the_upstream_whole(gw: httpx.Client, chunked: bool) -> None:
    size = 20 * MiB
    headers = {"Host": SINK_HOST, "Content-Type": "application/octet-stream"}
    if not chunked:
        headers["Content-Length"] = str(size)
    tracemalloc.start()
    try:
        r = gw.post("/upload", content=_chunks(size), headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 200 and r.json() == {"received": size}
    # Streamed, not read whole: the process never held anything near the body's size
    # (buffering it costs at least 20 MiB, one copy).
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB while proxying a 20 MiB body"
