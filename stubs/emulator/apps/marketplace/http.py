"""Small HTTP plumbing shared by the SME services: a method+pattern router (the Go
`http.ServeMux` patterns the services use) and the `respond` helpers (`{"error": msg}`)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# The SME services read bodies with json.NewDecoder(r.Body) and no size limit; the
# emulator bounds what it reads (its memory, not the platform's rule) and answers 413
# `{"error": "request body too large"}` beyond it.
MAX_BODY_BYTES = 32 * 1024 * 1024


@dataclass
class Req:
    """A request as a service behind the SME gateway sees it (path without `/api`)."""

    raw: web.Request
    path: str
    params: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] | None = None

    async def json(self, strings: tuple[str, ...] = ()) -> dict[str, Any]:
        """The body decoded into an object; raises `BadJSON` where Go's json.Decoder into a
        struct fails (empty body, malformed, nested past its depth limit, not an object);
        `null` is the zero value. As there: the Content-Type is not looked at, only the
        first JSON value is read (what follows it is ignored), and an invalid UTF-8 byte
        inside a string reads as U+FFFD. `strings` names the struct's string fields: any
        other JSON type there (but null) fails the decode, as Go's UnmarshalTypeError does."""
        text = (await self.raw.read()).decode("utf-8", errors="replace")
        try:
            body, _ = json.JSONDecoder().raw_decode(text.lstrip(" \t\r\n"))
        except (ValueError, RecursionError) as e:
            raise BadJSON from e
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise BadJSON
        if any(body.get(k) is not None and not isinstance(body[k], str) for k in strings):
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
                except web.HTTPRequestEntityTooLarge:  # the emulator's bound, MAX_BODY_BYTES
                    return error(413, "request body too large")
        if path_matched:
            return web.Response(status=405, text="Method Not Allowed\n")
        return web.Response(status=404, text="404 page not found\n")
