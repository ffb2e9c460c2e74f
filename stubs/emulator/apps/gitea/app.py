"""Assemble the Gitea stand-in: routes, the auth middleware, health, version and swagger.

Documents: `/swagger.v1.json` (Swagger 2.0, as Gitea serves it) and `/api/swagger` (a small
HTML page linking it, where Gitea serves its Swagger UI; error bodies point there).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from . import githttp, orgs, tokens, users
from .auth import auth_middleware
from .binding import MAX_BODY_BYTES
from .db import GiteaDB
from .state import CONFIG_KEY, DB_KEY, GiteaConfig
from .swagger import swagger_document

SWAGGER_HTML = """<!DOCTYPE html>
<html><head><title>Gitea API</title></head>
<body><a href="/swagger.v1.json">swagger.v1.json</a></body></html>
"""


async def version_handler(request: web.Request) -> web.Response:
    return web.json_response({"version": request.app[CONFIG_KEY].version.text})


async def healthz_handler(request: web.Request) -> web.Response:
    return web.json_response({"status": "pass", "description": "Gitea: Git with a cup of tea",
                              "checks": {"database:ping": [{"status": "pass"}],
                                         "cache:ping": [{"status": "pass"}]}},
                             content_type="application/health+json")


async def swagger_json(request: web.Request) -> web.Response:
    return web.json_response(swagger_document(request.app[CONFIG_KEY].version))


async def swagger_page(request: web.Request) -> web.Response:
    return web.Response(text=SWAGGER_HTML, content_type="text/html")


def create_app(state: GiteaDB, env: Mapping[str, str]) -> web.Application:
    """The stand-in over `state`; admin setup is the caller's (see admin_setup)."""
    app = web.Application(middlewares=[auth_middleware], client_max_size=MAX_BODY_BYTES)
    app[DB_KEY] = state
    app[CONFIG_KEY] = GiteaConfig.from_env(env)
    app.router.add_get("/api/v1/version", version_handler)
    app.router.add_get("/api/healthz", healthz_handler)
    app.router.add_get("/swagger.v1.json", swagger_json)
    app.router.add_get("/api/swagger", swagger_page)
    users.add_routes(app)
    tokens.add_routes(app)
    orgs.add_routes(app)
    githttp.add_routes(app)
    return app
