"""The tenant service's org endpoints (`/tenant/orgs`, `/tenant/check-slug/{slug}`).

`POST /tenant/orgs` creates the tenant with `status: provisioning`, `subdomain = slug`
and the caller as owner (201); a taken slug is 409 (the marketplace retries), a slug
outside `[a-z][a-z0-9-]{2,30}` is 400.
"""

from __future__ import annotations

import re

from aiohttp import web

from .http import Req, Router, error, ok
from .state import TenantDB, new_id, now_iso

SLUG = re.compile(r"[a-z][a-z0-9-]{2,30}")


class TenantService:
    def __init__(self, db: TenantDB) -> None:
        self.db = db

    def routes(self, r: Router) -> None:
        r.add("POST", "/tenant/orgs", self.create)
        r.add("GET", "/tenant/orgs", self.mine)
        r.add("GET", "/tenant/orgs/{id}", self.get)
        r.add("GET", "/tenant/check-slug/{slug}", self.check_slug)

    async def create(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("slug", "name", "plan_id"))
        slug = str(body.get("slug") or "")
        name = str(body.get("name") or "")
        if not SLUG.fullmatch(slug):
            return error(400, "slug must match [a-z][a-z0-9-]{2,30}")
        if not name:
            return error(400, "name is required")
        if self.db.by_slug(slug) is not None:
            return error(409, "slug already taken")
        tenant = {"id": new_id(), "slug": slug, "name": name,
                  "plan_id": str(body.get("plan_id") or ""),
                  "apps": list(body.get("apps") or []), "addons": list(body.get("addons") or []),
                  "org_type": body.get("org_type") or "", "industry": body.get("industry") or "",
                  "status": "provisioning", "subdomain": slug, "owner_id": req.user_id,
                  "owner_email": req.email,
                  "members": [{"user_id": req.user_id, "email": req.email, "role": "owner"}],
                  "created_at": now_iso()}
        self.db.tenants[tenant["id"]] = tenant
        return ok(tenant, status=201)

    async def mine(self, req: Req) -> web.StreamResponse:
        return ok([t for t in self.db.tenants.values()
                   if any(m["user_id"] == req.user_id for m in t["members"])])

    async def get(self, req: Req) -> web.StreamResponse:
        tenant = self.db.tenants.get(req.params["id"])
        if tenant is None or not any(m["user_id"] == req.user_id for m in tenant["members"]):
            return error(404, "tenant not found")
        return ok(tenant)

    async def check_slug(self, req: Req) -> web.StreamResponse:
        slug = req.params["slug"]
        return ok({"slug": slug, "available": bool(SLUG.fullmatch(slug))
                   and self.db.by_slug(slug) is None})
