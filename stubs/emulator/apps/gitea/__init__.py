"""Gitea stand-in: the REST API subset the platform uses, with Gitea's auth semantics.

`create_app(state, env)` serves a `GiteaDB`; the kubelet runs the `gitea` image through
`gitea_app`, which keeps the database in the emulator's app state per namespace (so it
survives pod restarts) and runs the chart's configure-gitea admin setup on every start.
Env: GITEA_ADMIN_USERNAME, GITEA_ADMIN_PASSWORD, GITEA_ADMIN_PASSWORD_MODE,
GITEA_EMULATED_VERSION (default 1.24.0), GITEA__server__ROOT_URL (optional).
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from .. import AppContext, register_app
from .admin_setup import configure_admin
from .app import create_app
from .db import GiteaDB

__all__ = ["GiteaDB", "configure_admin", "create_app", "gitea_app"]


INIT_CONTAINER = "configure-gitea"  # the chart's init container that sets up the admin


@register_app("gitea")
def gitea_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    db: GiteaDB = ctx.state(f"gitea/{ctx.namespace}", GiteaDB)
    if ctx.container_name == INIT_CONTAINER:
        # The init script: create or re-sync the admin, then exit so Gitea can start.
        configure_admin(db, env, ctx.log)
        ctx.exit(0, "Completed")
        return web.Application()
    if env.get("GITEA_ADMIN_USERNAME"):  # run alone, or a chart that passes them directly
        configure_admin(db, env, ctx.log)
    return create_app(db, env)
