"""The self-sovereign cutover Job (chart bp-self-sovereign-cutover), app name `cutover`.

The container runs steps 01..N once (N from CUTOVER_STEPS), records them in the
cutover-status ConfigMap and exits: 0 when every step passed, 1 at the first failure (the
reason is in the pod log and the ConfigMap). Cluster objects are read and written through
the store as the Job's kubectl would; HTTP to `*.svc` names goes through cluster DNS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx
from aiohttp import web

from .. import AppContext, register_app
from .config import ConfigError, CutoverConfig
from .context import StepContext
from .kube import StepFailed
from .runner import run_cutover
from .status import StatusRecorder

HTTP_TIMEOUT = 10.0


async def run_job(env: Mapping[str, str], ctx: AppContext,
                  transport: httpx.AsyncBaseTransport | None) -> int:
    """The container's main: returns the exit code."""
    try:
        config = CutoverConfig.from_env(env)
    except ConfigError as e:
        ctx.log(f"cutover: {e}")
        return 1
    async with httpx.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT) as http:
        sc = StepContext(ctx.emulator.store, config, http, ctx.log)
        try:
            ok = await run_cutover(sc, StatusRecorder(ctx.emulator.store, config.status_configmap))
        except (StepFailed, RuntimeError) as e:
            ctx.log(f"cutover: {e}")
            return 1
    return 0 if ok else 1


def create_app(env: Mapping[str, str], ctx: AppContext,
               transport: httpx.AsyncBaseTransport | None = None) -> web.Application:
    """`transport` None means plain httpx (tests point GITEA_URL at a loopback server)."""

    async def job(_app: web.Application) -> AsyncIterator[None]:
        async def main() -> None:
            try:
                code = await run_job(env, ctx, transport)
            except Exception as e:  # a crash is still an exit; type only, no message text
                ctx.log(f"cutover: unexpected {type(e).__name__}")
                code = 1
            ctx.exit(code, "Completed" if code == 0 else "Error")

        task = asyncio.create_task(main(), name=f"cutover-{ctx.pod_name}")
        yield
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = web.Application()
    app.cleanup_ctx.append(job)
    return app


@register_app("cutover")
def cutover_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    from ...clusterdns import ClusterTransport

    return create_app(env, ctx, ClusterTransport(ctx.emulator, ctx.namespace))
