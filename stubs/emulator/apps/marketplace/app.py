"""`sme-gateway`: the SME public gateway on :8080 with the services behind it in-process.

The gateway (core/services/gateway) matches the longest path prefix of its route table,
answers 404 `no route matched` for anything else, checks the HS256 JWT on non-public
prefixes (401 `invalid or missing token`), sets `X-User-ID`/`X-User-Role`, strips `/api`
and hands the request to the service. The services' state lives in `ctx.state` (see
state.py), so the provisioning stand-in sees the same orders, tenants and provisions.

Env: `JWT_SECRET` (Go default `dev-secret` when unset, as the platform's getEnv does),
`ADMIN_EMAIL`/`ADMIN_PASSWORD` (seeded superadmin), `SMTP_HOST`/`SMTP_PORT`/`SMTP_FROM`.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from .. import AppContext, register_app
from .auth import AuthService
from .billing import BillingService
from .catalog import CatalogService, seed_plans
from .http import MAX_BODY_BYTES, Req, Router, error
from .jobs import ProvisioningAPI
from .state import (
    AUTH,
    BILLING,
    ORDERS,
    PROVISIONS,
    TENANTS,
    VALKEY,
    AuthDB,
    BillingDB,
    ProvisionDB,
    TenantDB,
    Topic,
    Valkey,
)
from .tenants import TenantService
from .tokens import verify

# (prefix, public) as in the gateway's route table; redeem-preview is public since the
# D29 fix (2026-05-16), the seed's era.
GATEWAY_ROUTES: tuple[tuple[str, bool], ...] = tuple(sorted((
    ("/api/auth/", True),
    ("/api/catalog/apps", True), ("/api/catalog/industries", True),
    ("/api/catalog/bundles", True), ("/api/catalog/plans", True),
    ("/api/catalog/addons", True), ("/api/catalog/admin/", False),
    ("/api/tenant/check-slug/", True), ("/api/tenant/", False),
    ("/api/provisioning/status/", True), ("/api/provisioning/tenant/", True),
    ("/api/provisioning/", False),
    ("/api/billing/webhook", True), ("/api/billing/vouchers/redeem-preview", True),
    ("/api/billing/", False),
    ("/api/domain/", False), ("/api/notification/", False),
), key=lambda r: -len(r[0])))


def build_router(env: Mapping[str, str], ctx: AppContext, secret: str) -> Router:
    billing_db: BillingDB = ctx.state(BILLING, BillingDB)
    if not billing_db.plans:
        billing_db.plans = seed_plans()
    tenants: TenantDB = ctx.state(TENANTS, TenantDB)
    orders: Topic = ctx.state(ORDERS, Topic)
    router = Router()
    AuthService(env, ctx.state(AUTH, AuthDB), ctx.state(VALKEY, Valkey), secret).routes(router)
    CatalogService(billing_db.plans).routes(router)
    TenantService(tenants).routes(router)
    BillingService(env, billing_db, tenants, orders, ctx.log).routes(router)
    ProvisioningAPI(ctx.state(PROVISIONS, ProvisionDB), orders).routes(router)
    return router


@register_app("sme-gateway")
def sme_gateway(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    secret = env.get("JWT_SECRET") or "dev-secret"
    router = build_router(env, ctx, secret)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def gateway(request: web.Request) -> web.StreamResponse:
        path = request.path
        route = next((r for r in GATEWAY_ROUTES if path.startswith(r[0])), None)
        if route is None:
            return error(404, "no route matched")
        claims = verify(secret, request.headers.get("Authorization"))
        if not route[1] and claims is None:
            return error(401, "invalid or missing token")
        if claims is not None:
            # What the upstream sees: identity headers set by the gateway.
            headers = request.headers.copy()
            headers["X-User-ID"] = str(claims.get("sub", ""))
            headers["X-User-Role"] = str(claims.get("role", ""))
            request = request.clone(headers=headers)
        return await router.dispatch(Req(request, path[len("/api"):], claims=claims))

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{tail:.*}", gateway)
    ctx.log("gateway listening on :8080")
    return app
