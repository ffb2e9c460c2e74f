"""The generic app: an image the emulator has no stand-in for, serving its known paths.

It answers 200 on the path prefixes the app model lists for the image (a web app's context
path, a health endpoint) and 404 elsewhere, the way Tomcat answers 404 on `/` when the
webapp lives under `/guacamole/`. That is enough for probes and the gateway to behave as
they do against the real image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from . import AppContext, AppFactory


def generic_app(paths: Sequence[str]) -> AppFactory:
    """An app factory answering 200 under `paths`, 404 otherwise."""
    prefixes = tuple(paths) or ("/",)

    def factory(env: Mapping[str, str], ctx: AppContext) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            path = request.path
            if any(path == p.rstrip("/") or path.startswith(p) for p in prefixes):
                return web.Response(text="OK\n")
            return web.Response(status=404, text="404 page not found\n")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app

    return factory
