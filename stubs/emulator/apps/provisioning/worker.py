"""The provisioning consumer: orders from `sme/orders` -> Gitea org + repo -> namespace
`tenant-<slug>` -> Organization CR, one message at a time, retried until it succeeds.

Each attempt re-reads `GITHUB_TOKEN` from Secret `provisioning-github-token` in the pod's
namespace (as a mounted Secret would be seen). A failing attempt is logged (status and
Gitea's message, never the token) and retried with exponential back-off capped at
`MAX_BACKOFF`; the wait is on the stop event with a timeout, so stopping is immediate.
The Provision record does not carry the error: its Gitea step just stays `running`, as
the platform's record does (the stall is silent at the service level).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Mapping
from typing import Any

import httpx

from .. import AppContext
from ..marketplace.state import (
    BILLING,
    ORDERS,
    PROVISIONS,
    TENANTS,
    BillingDB,
    ProvisionDB,
    TenantDB,
    Topic,
    new_id,
    now_iso,
)
from .gitea import GiteaClient, GiteaError
from .organization import ensure_namespace, ensure_organization, set_ready

GROUP = "provisioning"
TOKEN_SECRET, TOKEN_KEY = "provisioning-github-token", "GITHUB_TOKEN"
DEFAULT_GITEA_URL = "http://gitea-http.gitea.svc:3000"
TENANT_REPO = "gitops"
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
STEPS = ("Creating Gitea organization", "Creating tenant namespace", "Creating Organization")


class Provisioner:
    def __init__(self, env: Mapping[str, str], ctx: AppContext, client: httpx.AsyncClient,
                 stop: asyncio.Event) -> None:
        self.env = env
        self.ctx = ctx
        self.client = client
        self.stop = stop
        self.gitea_url = env.get("GITEA_URL") or DEFAULT_GITEA_URL
        self.orders: Topic = ctx.state(ORDERS, Topic)
        self.db: ProvisionDB = ctx.state(PROVISIONS, ProvisionDB)
        self.tenants: TenantDB = ctx.state(TENANTS, TenantDB)
        self.billing: BillingDB = ctx.state(BILLING, BillingDB)

    @property
    def store(self) -> Any:
        return self.ctx.emulator.store

    def read_token(self) -> str | None:
        rt = self.store.registry.get("", "v1", "secrets")
        secret = self.store.try_get(rt, self.ctx.namespace, TOKEN_SECRET)
        if secret is None:
            self.ctx.log(f'secret "{TOKEN_SECRET}" not found')
            return None
        raw = (secret.get("data") or {}).get(TOKEN_KEY)
        if raw is None:
            self.ctx.log(f"couldn't find key {TOKEN_KEY} in Secret "
                         f"{self.ctx.namespace}/{TOKEN_SECRET}")
            return None
        return base64.b64decode(raw).decode().strip()

    # ---- the consumer loop -------------------------------------------------------------------
    async def run(self) -> None:
        while not self.stop.is_set():
            offset, message = await self.orders.next(GROUP)
            if message.get("type") in ("order.placed", "provision.start"):
                record = self._record(offset, message)
                await self._until_done(record)
                if self.stop.is_set():
                    return  # uncommitted: the next pod resumes this message
            self.orders.commit(GROUP, offset)

    def _record(self, offset: int, message: dict[str, Any]) -> dict[str, Any]:
        existing = self.db.by_offset.get(offset)
        if existing is not None:
            return self.db.records[existing]
        data = message.get("data") or {}
        order_id = data.get("order_id") or (data.get("id") if message["type"] ==
                                            "order.placed" else "")
        record = {"id": new_id(), "tenant_id": data.get("tenant_id", ""),
                  "order_id": order_id or "", "plan_id": data.get("plan_id", ""),
                  "apps": list(data.get("apps") or []), "subdomain": data.get("subdomain", ""),
                  "status": "provisioning", "progress": 0, "created_at": now_iso(),
                  "steps": [{"name": n, "status": "pending", "message": "", "started_at": None,
                             "done_at": None} for n in STEPS]}
        self.db.by_offset[offset] = record["id"]
        self.ctx.log(f"provision started id={record['id']} tenant_id={record['tenant_id']}")
        return self.db.insert(record)

    async def _until_done(self, record: dict[str, Any]) -> None:
        delay, attempt = INITIAL_BACKOFF, 0
        while not self.stop.is_set():
            attempt += 1
            if await self.attempt(record, attempt, delay):
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=delay)
            delay = min(delay * 2, MAX_BACKOFF)

    # ---- one attempt ------------------------------------------------------------------------
    def _step(self, record: dict[str, Any], idx: int, status: str) -> None:
        step = record["steps"][idx]
        if status == "running" and step["status"] != "running":
            step["started_at"] = now_iso()
        if status == "completed":
            step["done_at"] = now_iso()
        step["status"] = status
        done = sum(s["status"] == "completed" for s in record["steps"])
        record["progress"] = int(100 * done / len(record["steps"]))

    def _tenant(self, record: dict[str, Any]) -> tuple[str, str, str]:
        tenant = self.tenants.tenants.get(record["tenant_id"]) or {}
        slug = record["subdomain"] or tenant.get("slug", "")
        return slug, tenant.get("name") or slug, tenant.get("owner_email", "")

    def _plan_slug(self, plan_id: str) -> str:
        plan = next((p for p in self.billing.plans if p["id"] == plan_id), None)
        return str(plan["slug"]) if plan else plan_id

    def org_url(self, org: str) -> str:
        fqdn = self.env.get("SOVEREIGN_FQDN")
        return f"https://gitea.{fqdn}/{org}" if fqdn else f"{self.gitea_url.rstrip('/')}/{org}"

    async def attempt(self, record: dict[str, Any], attempt: int, delay: float) -> bool:
        slug, name, owner = self._tenant(record)
        if not slug:
            self.ctx.log(f"provision {record['id']}: tenant {record['tenant_id']} has no slug")
            return False
        self._step(record, 0, "running")
        token = self.read_token()
        if token is None:
            return False
        gitea = GiteaClient(self.client, self.gitea_url, token)
        try:
            await gitea.ensure_org(slug, name)
            await gitea.ensure_repo(slug, TENANT_REPO)
        except GiteaError as e:
            self._log_failure(f"gitea {e.call} returned {e.status}: {e.message}", token,
                              attempt, delay)
            return False
        except httpx.HTTPError as e:
            self._log_failure(f"gitea {self.gitea_url}: {e}", token, attempt, delay)
            return False
        self._step(record, 0, "completed")
        self._step(record, 1, "running")
        try:
            ensure_namespace(self.store, f"tenant-{slug}", record["tenant_id"])
            self._step(record, 1, "completed")
            self._step(record, 2, "running")
            ensure_organization(self.store, slug, {
                "displayName": name, "planId": self._plan_slug(record["plan_id"]),
                "ownerEmail": owner, "giteaOrg": slug}, record["tenant_id"])
        except Exception as e:  # an API error: retry like any other failure
            self._log_failure(f"kubernetes: {e}", token, attempt, delay)
            return False
        set_ready(self.store, slug, True, "Provisioned", f"Gitea organization {slug} is ready",
                  self.org_url(slug))
        self._step(record, 2, "completed")
        record["status"] = "completed"
        record["progress"] = 100
        self.ctx.log(f"provision completed id={record['id']} org={slug}")
        return True

    def _log_failure(self, what: str, token: str, attempt: int, delay: float) -> None:
        line = f"provisioning failed (attempt {attempt}), retrying in {delay:g}s: {what}"
        self.ctx.log(line.replace(token, "[redacted]") if token else line)
