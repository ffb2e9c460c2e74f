"""The sandbox controller (core/controllers/sandbox), app name `sandbox-controller`.

A Deployment container that watches Sandbox CRs and mints each one a NewAPI token through
the bridge. Its admin bearer comes from an *optional* secretKeyRef: when the reflected
Secret is missing the variable is simply absent, the controller logs one line at start and
runs in gitops-only mode, never minting (the platform's silent degrade).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx
from aiohttp import web

from .. import AppContext, register_app
from .config import ConfigError, ControllerConfig
from .newapi_client import NewAPIClient
from .reconciler import SandboxReconciler

DEFAULT_TIME_SCALE = 0.02
HTTP_TIMEOUT = 10.0
GITOPS_ONLY_LINE = "NEWAPI_ADMIN_SECRET not set; token minting disabled (gitops-only mode)"


def time_scale(ctx: AppContext) -> float:
    scale = getattr(ctx.emulator, "time_scale", None)
    return float(scale) if isinstance(scale, int | float) and scale > 0 else DEFAULT_TIME_SCALE


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(env: Mapping[str, str], ctx: AppContext,
               transport: httpx.AsyncBaseTransport | None = None) -> web.Application:
    """`transport` None means plain httpx (tests point NEWAPI_BASE_URL at loopback)."""
    try:
        config = ControllerConfig.from_env(env)
    except ConfigError as e:  # a bad values override crashes the container at start
        ctx.log(f"sandbox-controller: invalid configuration: {e}")
        ctx.exit(1, "Error")
        return web.Application()

    async def controller(_app: web.Application) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT) as http:
            client = None
            if config.admin_secret is None:
                ctx.log(GITOPS_ONLY_LINE)
            elif not config.newapi_base_url:
                ctx.log("NEWAPI_BASE_URL not set; token minting disabled (gitops-only mode)")
            else:
                client = NewAPIClient(config.newapi_base_url, config.admin_secret, http)
                ctx.log(f"token minting enabled: bridge {config.newapi_base_url}, "
                        f"channels {','.join(config.default_channels) or '<none>'}")
            reconciler = SandboxReconciler(config, client, ctx.log, time_scale(ctx))
            await reconciler.start(ctx.emulator)
            try:
                yield
            finally:
                await reconciler.stop()

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", healthz)
    app.cleanup_ctx.append(controller)
    return app


@register_app("sandbox-controller")
def sandbox_controller_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    from ...clusterdns import ClusterTransport

    return create_app(env, ctx, ClusterTransport(ctx.emulator, ctx.namespace))
