"""The stub NewAPI aiohttp app: the sandbox token bridge, /metrics, /healthz, /openapi.json.

Check order on the bridge: method (405), configuration (503 while the signing key or the
admin secret is unset), caller auth (401, constant-time compare), body (413 over 1 MiB,
refused while reading; 400 when it is not a JSON object with the fields), mint (200).
Every return path ticks the mint counter once. Errors are `{"error": message}`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .metrics import CONTENT_TYPE, TOOL_HEADER, MintCounter, tool_label
from .openapi import openapi_document
from .tokens import BadRequest, mint_sandbox_token, parse_mint_request, rfc3339

ADMIN_SECRET_ENV = "NEWAPI_ADMIN_SECRET"
SIGNING_KEY_ENV = "NEWAPI_TOKEN_SIGNING_KEY"
BRIDGE_PATH = "/admin/tokens/sandbox"
# The largest mint request read (aiohttp's client_max_size): a real one is well under 1 KiB.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BridgeConfig:
    admin_secret: str
    signing_key: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BridgeConfig:
        return cls(admin_secret=env.get(ADMIN_SECRET_ENV, ""),
                   signing_key=env.get(SIGNING_KEY_ENV, ""))


CONFIG_KEY = web.AppKey("config", BridgeConfig)
COUNTER_KEY = web.AppKey("counter", MintCounter)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def _read_json(request: web.Request) -> Any:
    """The body as JSON whatever its Content-Type (as Go's json decoder reads a body);
    invalid UTF-8 inside a string reads as U+FFFD, nesting past the parser's depth is
    malformed. A body over MAX_BODY_BYTES raises HTTPRequestEntityTooLarge while read."""
    try:
        return json.loads((await request.read()).decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError) as e:
        raise BadRequest("request body is not valid JSON") from e


async def _mint(request: web.Request, config: BridgeConfig) -> web.Response:
    if request.method != "POST":
        return _error(405, "method not allowed", {"Allow": "POST"})
    if not config.signing_key or not config.admin_secret:
        return _error(503, "sandbox token bridge is not configured")
    presented = _bearer(request)
    if presented is None or not hmac.compare_digest(
            presented.encode(), config.admin_secret.encode()):
        return _error(401, "unauthorized")
    try:
        req = parse_mint_request(await _read_json(request))
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "request body too large")
    except BadRequest as e:
        return _error(400, str(e))
    try:
        token, expires = mint_sandbox_token(req, config.signing_key)
    except Exception:  # a signing failure must not leak the key in a traceback body
        return _error(500, "could not sign token")
    return web.json_response({"token": token, "expires_at": rfc3339(expires)})


async def mint_handler(request: web.Request) -> web.Response:
    response = await _mint(request, request.app[CONFIG_KEY])
    request.app[COUNTER_KEY].record(tool_label(request.headers.get(TOOL_HEADER)),
                                    response.status)
    return response


async def metrics_handler(request: web.Request) -> web.Response:
    return web.Response(body=request.app[COUNTER_KEY].exposition().encode(),
                        headers={"Content-Type": CONTENT_TYPE})


async def healthz_handler(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi_handler(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def create_app(env: Mapping[str, str]) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[CONFIG_KEY] = BridgeConfig.from_env(env)
    app[COUNTER_KEY] = MintCounter()
    app.router.add_route("*", BRIDGE_PATH, mint_handler)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz_handler)
    app.router.add_get("/openapi.json", openapi_handler)
    return app
