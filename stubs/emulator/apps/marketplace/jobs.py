"""The provisioning service's HTTP surface (core/services/provisioning/handlers/routes.go).

- `GET /provisioning/status/{id}` and `GET /provisioning/tenant/{tenantId}` (public):
  the Provision record `{id, tenant_id, order_id, plan_id, apps, subdomain, status:
  provisioning|completed|failed, steps[{name, status: pending|running|completed|failed,
  message, started_at, done_at}], progress, created_at}`; 404 until the consumer has
  picked the order up. A Gitea failure is not in the record: a step stays `running`.
- `GET /provisioning/jobs?tenant_id=` (JWT): the tenant's provisions, newest first.
- `POST /provisioning/start` (JWT): what the marketplace calls after a credit checkout;
  it starts another provision with no dedupe (the platform's double provisioning).
"""

from __future__ import annotations

from aiohttp import web

from .http import Req, Router, error, ok
from .state import ProvisionDB, Topic


class ProvisioningAPI:
    def __init__(self, db: ProvisionDB, orders: Topic) -> None:
        self.db = db
        self.orders = orders

    def routes(self, r: Router) -> None:
        r.add("GET", "/provisioning/status/{id}", self.status)
        r.add("GET", "/provisioning/tenant/{tenantId}", self.by_tenant)
        r.add("GET", "/provisioning/jobs", self.jobs)
        r.add("POST", "/provisioning/start", self.start)

    async def status(self, req: Req) -> web.StreamResponse:
        record = self.db.records.get(req.params["id"])
        if record is None:
            return error(404, "provision not found")
        return ok(record)

    async def by_tenant(self, req: Req) -> web.StreamResponse:
        found = self.db.by_tenant(req.params["tenantId"])
        if not found:
            return error(404, "provision not found")
        return ok(found[0])

    async def jobs(self, req: Req) -> web.StreamResponse:
        tenant_id = req.raw.query.get("tenant_id", "")
        if not tenant_id:
            return error(400, "tenant_id is required")
        return ok(self.db.by_tenant(tenant_id))

    async def start(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("tenant_id", "order_id", "plan_id",
                                                "subdomain"))
        if not body.get("tenant_id"):
            return error(400, "tenant_id is required")
        data = {k: body.get(k) for k in ("tenant_id", "order_id", "plan_id", "apps",
                                          "subdomain")}
        self.orders.publish({"type": "provision.start", "data": data})
        return ok({"status": "accepted"}, status=202)
