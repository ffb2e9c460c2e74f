"""Small HTTP plumbing shared by the SME services: a method+pattern router (the Go
`http.ServeMux` patterns the services use) and the `respond` helpers (`{"error": msg}`)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Req:
    """A request as a service behind the SME gateway sees it (path without `/api`)."""

    raw: web.Request
    path: str
    params: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] | None = None

    async def json(self) -> dict[str, Any]:
        """The body decoded into an object; raises `BadJSON` where Go's json.Decoder into a
        struct fails (empty body, malformed, not an object); `null` is the zero value."""
        try:
            body = json.loads(await self.raw.read())
        except ValueError as e:
            raise BadJSON from e
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise BadJSON
        return body

    @property
    def user_id(self) -> str:
        return str((self.claims or {}).get("sub") or "")

    @property
    def role(self) -> str:
        return str((self.claims or {}).get("role") or "")

    @property
    def email(self) -> str:
        return str((self.claims or {}).get("email") or "")


class BadJSON(Exception):
    pass


Handler = Callable[[Req], Awaitable[web.StreamResponse]]


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@dataclass
class Router:
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` uses Go ServeMux wildcards: `/billing/vouchers/revoke/{code}`."""
        rx = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self.routes.append((method, re.compile(rx + "$"), handler))

    async def dispatch(self, req: Req) -> web.StreamResponse:
        path_matched = False
        for method, rx, handler in self.routes:
            m = rx.match(req.path)
            if m is None:
                continue
            path_matched = True
            if method == req.raw.method or (method == "GET" and req.raw.method == "HEAD"):
                req.params = m.groupdict()
                try:
                    return await handler(req)
                except BadJSON:
                    return error(400, "invalid JSON body")
        if path_matched:
            return web.Response(status=405, text="Method Not Allowed\n")
        return web.Response(status=404, text="404 page not found\n")
