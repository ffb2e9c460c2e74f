"""The catalog's plans. IDs are assigned when the catalog is seeded (so clients fetch them
from `GET /catalog/plans`); `slug` is the plan ladder the Sandbox capabilities use
(Free/Pro/Ent, seed commit on plan-derived capabilities). Prices in OMR: Free 0, Pro 9,
Ent 16 (the snapshot's seeded m/l prices; the platform's own Free/Pro/Ent prices are not
in the reference)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .http import Req, Router, ok
from .state import new_id

PLAN_LADDER = (("free", "Free", 0), ("pro", "Pro", 9), ("ent", "Ent", 16))


def seed_plans() -> list[dict[str, Any]]:
    return [{"id": new_id(), "slug": slug, "name": name, "price_omr": price, "currency": "OMR",
             "interval": "month", "active": True} for slug, name, price in PLAN_LADDER]


class CatalogService:
    def __init__(self, plans: list[dict[str, Any]]) -> None:
        self.plans = plans

    def routes(self, r: Router) -> None:
        r.add("GET", "/catalog/plans", self.list_plans)
        r.add("GET", "/catalog/addons", self.list_addons)

    async def list_plans(self, req: Req) -> web.StreamResponse:
        return ok(self.plans)

    async def list_addons(self, req: Req) -> web.StreamResponse:
        return ok([])
