"""The billing service (core/services/billing): vouchers, checkout, balance.

Faithful details that matter to a journey:
- issue/revoke/preview upper-case and trim the code; checkout's redemption looks the code
  up exactly as sent (no upper-casing), so a lower-case `promo_code` is "not found";
- an issued voucher's `active` is what the request says (omitted = false, Go's zero value);
- the voucher is redeemed, the order written and `order.placed` published in one step on
  the loop (the platform's transaction): concurrent checkouts consume a capped voucher
  at most its cap times, and once per customer;
- a voucher smaller than the order with Stripe unset is consumed and the call still
  answers 503 (the snapshot's behaviour);
- `credit_balance` is omitted from the response when 0 (Go `omitempty`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from .http import Req, Router, error, ok
from .state import BillingDB, TenantDB, Topic, new_id, now_iso

VOUCHER_ROLES = ("superadmin", "sovereign-admin")
STRIPE_UNSET = ("payment processor is not configured yet. Please contact support or use a "
                "promo code that covers the full amount.")


def _public(promo: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in promo.items() if k != "deleted_at" or v is not None}


class BillingService:
    def __init__(self, env: Mapping[str, str], db: BillingDB, tenants: TenantDB,
                 orders: Topic, log: Callable[[str], None]) -> None:
        self.env = env
        self.db = db
        self.tenants = tenants
        self.orders = orders
        self.log = log

    def routes(self, r: Router) -> None:
        r.add("POST", "/billing/vouchers/issue", self.issue)
        r.add("GET", "/billing/vouchers/list", self.list)
        r.add("DELETE", "/billing/vouchers/revoke/{code}", self.revoke)
        r.add("POST", "/billing/vouchers/redeem-preview", self.preview)
        r.add("POST", "/billing/checkout", self.checkout)
        r.add("GET", "/billing/balance", self.balance)

    # ---- vouchers ---------------------------------------------------------------------------
    async def issue(self, req: Req) -> web.StreamResponse:
        if req.role not in VOUCHER_ROLES:
            return error(403, "superadmin or sovereign-admin role required")
        body = await req.json(strings=("code", "description"))
        code = str(body.get("code") or "").strip().upper()
        credit = body.get("credit_omr") or 0
        if not code or not isinstance(credit, int) or credit <= 0:
            return error(400, "code and credit_omr are required")
        old = self.db.promos.get(code)
        promo = {"code": code, "credit_omr": credit,
                 "description": str(body.get("description") or ""),
                 "active": bool(body.get("active", False)),
                 "max_redemptions": int(body.get("max_redemptions") or 0),
                 "times_redeemed": old["times_redeemed"] if old else 0,
                 "created_at": old["created_at"] if old else now_iso(),
                 "deleted_at": None}  # re-issuing revives a revoked code
        self.db.promos[code] = promo
        return ok(_public(promo))

    async def list(self, req: Req) -> web.StreamResponse:
        if req.role not in VOUCHER_ROLES:
            return error(403, "superadmin or sovereign-admin role required")
        live = [_public(p) for p in self.db.promos.values() if p["deleted_at"] is None]
        return ok(sorted(live, key=lambda p: p["created_at"], reverse=True))

    async def revoke(self, req: Req) -> web.StreamResponse:
        if req.role not in VOUCHER_ROLES:
            return error(403, "superadmin or sovereign-admin role required")
        promo = self.db.promos.get(req.params["code"].upper())
        if promo is None or promo["deleted_at"] is not None:
            return error(404, "voucher not found")
        promo["deleted_at"] = now_iso()
        promo["active"] = False
        return ok({"ok": True})

    async def preview(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("code",))
        code = str(body.get("code") or "").strip().upper()
        if not code:
            return error(400, "code is required")
        promo = self.db.promos.get(code)
        if promo is None or promo["deleted_at"] is not None:
            return error(404, "voucher not valid")
        accepting = promo["active"] and (promo["max_redemptions"] == 0
                                         or promo["times_redeemed"] < promo["max_redemptions"])
        out = {"code": promo["code"], "credit_omr": promo["credit_omr"],
               "description": promo["description"], "active": promo["active"],
               "accepting_redemptions": accepting}
        return ok(out, status=200 if accepting else 410)

    # ---- checkout ---------------------------------------------------------------------------
    def _redeem(self, customer_id: str, code: str) -> str | None:
        """Redeem `code` (exact match) for the customer; an error message or None."""
        promo = self.db.promos.get(code)
        if promo is None or promo["deleted_at"] is not None:
            return "promo code not found"
        if not promo["active"]:
            return "promo code is not active"
        if promo["max_redemptions"] > 0 and promo["times_redeemed"] >= promo["max_redemptions"]:
            return "promo code has reached its redemption limit"
        if (customer_id, code) in self.db.redemptions:
            return "promo code already redeemed by this customer"
        self.db.redemptions.add((customer_id, code))
        promo["times_redeemed"] += 1
        self.db.ledger.append({"id": new_id(), "customer_id": customer_id,
                               "amount_omr": promo["credit_omr"], "reason": f"promo:{code}",
                               "created_at": now_iso()})
        return None

    def _total(self, plan_id: str, addons: list[str]) -> tuple[int, str | None]:
        plan = next((p for p in self.db.plans if p["id"] == plan_id), None)
        if plan is None:
            return 0, f"plan {plan_id} not found"
        if addons:
            return 0, f"addon {addons[0]} not found"  # the catalog sells no add-ons here
        return int(plan["price_omr"]), None

    async def checkout(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("plan_id", "tenant_id", "promo_code"))
        plan_id = str(body.get("plan_id") or "")
        tenant_id = str(body.get("tenant_id") or "")
        if not plan_id or not tenant_id:
            return error(400, "plan_id and tenant_id are required")
        if not req.user_id:
            return error(401, "missing user identity")
        apps = list(body.get("apps") or [])
        addons = list(body.get("addons") or [])
        promo_code = str(body.get("promo_code") or "")
        # From here to the end there is no await: one transaction on the loop.
        cust = self.db.customers.get(req.user_id)
        if cust is None:
            cust = {"id": new_id(), "user_id": req.user_id, "tenant_id": tenant_id,
                    "email": req.email}
            self.db.customers[req.user_id] = cust
        total, err = self._total(plan_id, addons)
        if err is not None:
            return error(400, f"failed to compute order total: {err}")
        if promo_code:
            err = self._redeem(cust["id"], promo_code)
            if err is not None:
                self.log(f"checkout: promo not redeemed customer_id={cust['id']} reason={err}")
                return error(400, f"invalid promo code: {err}")
        credit = self.db.balance(cust["id"])
        if total - credit > 0:
            # Stripe keys live in the billing settings table, empty on a fresh Sovereign.
            return error(503, STRIPE_UNSET)
        order = {"id": new_id(), "customer_id": cust["id"], "tenant_id": tenant_id,
                 "plan_id": plan_id, "apps": apps, "addons": addons, "amount_omr": total,
                 "status": "completed", "promo_code": promo_code or None,
                 "created_at": now_iso()}
        self.db.orders[order["id"]] = order
        if total > 0:
            self.db.ledger.append({"id": new_id(), "customer_id": cust["id"],
                                   "amount_omr": -total, "reason": "order-payment",
                                   "order_id": order["id"], "created_at": now_iso()})
        self.db.subscriptions.append({"id": new_id(), "customer_id": cust["id"],
                                      "tenant_id": tenant_id, "plan_id": plan_id,
                                      "status": "active", "created_at": now_iso()})
        tenant = self.tenants.tenants.get(tenant_id)
        self.orders.publish({"type": "order.placed", "data": {
            **{k: order[k] for k in ("id", "customer_id", "tenant_id", "plan_id", "apps",
                                     "addons", "amount_omr", "status")},
            "subdomain": tenant["subdomain"] if tenant else ""}})
        self.log(f"checkout: settled from credit order_id={order['id']} total_omr={total}")
        out: dict[str, Any] = {"order_id": order["id"], "paid_by_credit": True}
        if credit - total:
            out["credit_balance"] = credit - total
        return ok(out)

    async def balance(self, req: Req) -> web.StreamResponse:
        cust = self.db.customers.get(req.user_id)
        if cust is None:
            return ok({"credit_omr": 0, "credit_baisa": 0, "entries": []})
        entries = [e for e in self.db.ledger if e["customer_id"] == cust["id"]][-20:][::-1]
        bal = self.db.balance(cust["id"])
        return ok({"credit_omr": bal, "credit_baisa": bal * 1000,
                   "entries": [{k: v for k, v in e.items() if k != "customer_id"}
                               for e in entries]})
