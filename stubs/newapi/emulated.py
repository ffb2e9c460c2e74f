"""Registers the stub NewAPI with the emulated kubelet (image app name `newapi`)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from stubs.emulator.apps import AppContext, register_app

from .app import ADMIN_SECRET_ENV, SIGNING_KEY_ENV, create_app


@register_app("newapi")
def newapi_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    app = create_app(env)
    missing = [k for k in (ADMIN_SECRET_ENV, SIGNING_KEY_ENV) if not env.get(k)]
    if missing:  # names only, never values
        ctx.log(f"sandbox token bridge disabled (503): unset {', '.join(missing)}")
    return app
