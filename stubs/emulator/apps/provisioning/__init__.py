"""The provisioning stand-in: app `provisioning` (the SME provisioning service, :8084).

It consumes `sme/orders` (see ../marketplace/state.py) and provisions each tenant (see
worker.py); it serves the provisioning HTTP API on the same state (../marketplace/jobs.py)
and keeps Organization status current (status.py). Env: `GITEA_URL` (default
`http://gitea-http.gitea.svc:3000`, reached through cluster DNS), `SOVEREIGN_FQDN`
(optional, for the public Gitea org URL in Organization status).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from ...clusterdns import cluster_client
from .. import AppContext, register_app
from ..marketplace.http import Req, Router
from ..marketplace.jobs import ProvisioningAPI
from ..marketplace.state import ORDERS, PROVISIONS, ProvisionDB, Topic
from .status import OrganizationStatus
from .worker import Provisioner

__all__ = ["provisioning_app"]


@register_app("provisioning")
def provisioning_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    router = Router()
    ProvisioningAPI(ctx.state(PROVISIONS, ProvisionDB), ctx.state(ORDERS, Topic)).routes(router)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def api(request: web.Request) -> web.StreamResponse:
        return await router.dispatch(Req(request, request.path))

    async def background(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        client = cluster_client(ctx.emulator, default_namespace=ctx.namespace, timeout=10.0)
        worker = Provisioner(env, ctx, client, stop)
        status = OrganizationStatus(worker, stop)
        tasks = [asyncio.create_task(worker.run(), name="provisioning-consumer"),
                 asyncio.create_task(status.run(), name="provisioning-org-status")]
        ctx.log("provisioning service listening on :8084")
        yield
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await client.aclose()

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", api)
    app.cleanup_ctx.append(background)
    return app
