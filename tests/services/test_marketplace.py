"""Contract tests for the `sme-gateway` stand-in over real loopback sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from stubs.emulator.apps import APP_FACTORIES, AppContext
from stubs.emulator.apps.marketplace import sme_gateway
from stubs.emulator.apps.marketplace.state import ORDERS, VALKEY, Topic, Valkey
from stubs.emulator.apps.marketplace.tokens import mint
from stubs.emulator.runtime import Emulator

SECRET = "test-jwt-secret-0123456789abcdef0123"
ADMIN = ("admin@sovereign.test", "admin-password-1")


@dataclass
class Env:
    em: Emulator
    ctx: AppContext
    c: httpx.AsyncClient

    def member(self, email: str = "ahmed@example.om", sub: str = "user-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(SECRET, sub, email, 'member')}"}

    def admin(self, role: str = "superadmin") -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(SECRET, 'admin-1', ADMIN[0], role)}"}

    async def plan(self, slug: str) -> dict[str, Any]:
        plans = (await self.c.get("/api/catalog/plans")).json()
        return next(p for p in plans if p["slug"] == slug)

    async def issue(self, code: str, credit: int = 100, max_redemptions: int = 1,
                    active: bool = True) -> httpx.Response:
        return await self.c.post("/api/billing/vouchers/issue", headers=self.admin(), json={
            "code": code, "credit_omr": credit, "description": "launch",
            "active": active, "max_redemptions": max_redemptions})

    async def tenant(self, slug: str, headers: dict[str, str], plan_id: str = "") -> str:
        r = await self.c.post("/api/tenant/orgs", headers=headers,
                              json={"slug": slug, "name": slug.title(), "plan_id": plan_id,
                                    "apps": ["wordpress"], "addons": []})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def run(body: Callable[[Env], Awaitable[None]], **env: str) -> None:
    async def main() -> None:
        em = Emulator()
        await em.start()
        ctx = AppContext(em, "sme", "gateway-7d9f-abcde", "gateway")
        app = sme_gateway({"JWT_SECRET": SECRET, "ADMIN_EMAIL": ADMIN[0],
                           "ADMIN_PASSWORD": ADMIN[1], **env}, ctx)
        url = await em.serve(app)
        try:
            async with httpx.AsyncClient(base_url=url) as c:
                await body(Env(em, ctx, c))
        finally:
            await em.stop()

    asyncio.run(main())


def test_registered_under_its_image_name() -> None:
    assert APP_FACTORIES["sme-gateway"] is sme_gateway


def test_gateway_table_auth_and_404() -> None:
    async def body(e: Env) -> None:
        assert (await e.c.get("/healthz")).status_code == 200
        r = await e.c.get("/nothing")
        assert r.status_code == 404 and r.json() == {"error": "no route matched"}
        r = await e.c.get("/api/billing/balance")
        assert r.status_code == 401 and r.json() == {"error": "invalid or missing token"}
        forged = jwt.encode({"sub": "x", "email": "x@y", "role": "superadmin",
                             "exp": int(time.time()) + 60}, "another-secret-0123456789abcdef-xyz",
                            algorithm="HS256")
        r = await e.c.get("/api/billing/balance", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401
        expired = mint(SECRET, "u", "u@x", "member", ttl=-10)
        r = await e.c.get("/api/billing/balance", headers={"Authorization": f"Bearer {expired}"})
        assert r.status_code == 401
        r = await e.c.get("/api/billing/balance", headers=e.member())
        assert r.status_code == 200 and r.json()["credit_omr"] == 0
        # Public prefixes need no token.
        assert (await e.c.get("/api/catalog/plans")).status_code == 200
        assert (await e.c.get("/api/tenant/check-slug/acme")).json()["available"] is True

    run(body)


def test_admin_login_issues_hs256_superadmin_token() -> None:
    async def body(e: Env) -> None:
        r = await e.c.post("/api/auth/login", json={"email": ADMIN[0], "password": "nope"})
        assert r.status_code == 401 and r.json() == {"error": "invalid credentials"}
        r = await e.c.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        assert r.status_code == 200
        got = r.json()
        assert jwt.get_unverified_header(got["token"])["alg"] == "HS256"
        claims = jwt.decode(got["token"], SECRET, algorithms=["HS256"])
        assert claims["email"] == ADMIN[0] and claims["role"] == "superadmin"
        assert claims["sub"] == got["user"]["id"]
        assert claims["exp"] - claims["iat"] == 15 * 60
        r = await e.c.post("/api/auth/refresh", json={"refresh_token": got["refresh_token"]})
        assert r.status_code == 200
        r = await e.c.post("/api/auth/refresh", json={"refresh_token": got["refresh_token"]})
        assert r.status_code == 401  # rotated
        assert (await e.c.post("/api/auth/login", content=b"{")).status_code == 400

    run(body)


def test_magic_link_without_smtp_is_500_but_code_verifies() -> None:
    async def body(e: Env) -> None:
        r = await e.c.post("/api/auth/magic-link", json={"email": "Ahmed@Example.om"})
        assert r.status_code == 500 and r.json() == {"error": "failed to send magic link"}
        # The code is in Valkey (magic:<email>) nonetheless; read it as a harness would.
        valkey: Valkey = e.ctx.state(VALKEY, Valkey)
        code = valkey.get("magic:ahmed@example.om")["code"]
        assert len(code) == 6 and code.isdigit()
        wrong = "000000" if code != "000000" else "111111"
        r = await e.c.post("/api/auth/verify", json={"email": "ahmed@example.om", "code": wrong})
        assert r.status_code == 401
        r = await e.c.post("/api/auth/verify", json={"email": "ahmed@example.om", "code": code})
        assert r.status_code == 200
        claims = jwt.decode(r.json()["token"], SECRET, algorithms=["HS256"])
        assert claims["role"] == "member" and claims["email"] == "ahmed@example.om"
        me = await e.c.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
        assert me.json()["id"] == claims["sub"]
        # Single use.
        r = await e.c.post("/api/auth/verify", json={"email": "ahmed@example.om", "code": code})
        assert r.status_code == 401

    run(body)


def test_magic_code_burns_after_five_wrong_attempts() -> None:
    async def body(e: Env) -> None:
        await e.c.post("/api/auth/send-pin", json={"email": "a@b.om"})
        code = e.ctx.state(VALKEY, Valkey).get("magic:a@b.om")["code"]
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            await e.c.post("/api/auth/verify-pin", json={"email": "a@b.om", "code": wrong})
        r = await e.c.post("/api/auth/verify-pin", json={"email": "a@b.om", "code": code})
        assert r.status_code == 401

    run(body)


def test_voucher_issue_list_revoke_roles_and_case() -> None:
    async def body(e: Env) -> None:
        payload = {"code": "launch-omantel-2026", "credit_omr": 100, "active": True,
                   "max_redemptions": 1}
        r = await e.c.post("/api/billing/vouchers/issue", headers=e.member(), json=payload)
        assert r.status_code == 403
        assert r.json() == {"error": "superadmin or sovereign-admin role required"}
        r = await e.c.post("/api/billing/vouchers/issue", headers=e.admin("sovereign-admin"),
                           json=payload)
        assert r.status_code == 200
        promo = r.json()
        assert promo["code"] == "LAUNCH-OMANTEL-2026" and promo["times_redeemed"] == 0
        assert {"credit_omr", "description", "active", "max_redemptions",
                "created_at"} <= promo.keys()
        r = await e.c.post("/api/billing/vouchers/issue", headers=e.admin(),
                           json={"code": "X", "credit_omr": 0})
        assert r.status_code == 400
        listed = (await e.c.get("/api/billing/vouchers/list", headers=e.admin())).json()
        assert [p["code"] for p in listed] == ["LAUNCH-OMANTEL-2026"]
        assert (await e.c.get("/api/billing/vouchers/list", headers=e.member())).status_code == 403
        r = await e.c.delete("/api/billing/vouchers/revoke/launch-omantel-2026",
                             headers=e.admin())
        assert r.status_code == 200 and r.json() == {"ok": True}
        r = await e.c.delete("/api/billing/vouchers/revoke/LAUNCH-OMANTEL-2026",
                             headers=e.admin())
        assert r.status_code == 404 and r.json() == {"error": "voucher not found"}
        assert (await e.c.get("/api/billing/vouchers/list", headers=e.admin())).json() == []
        r = await e.c.post("/api/billing/vouchers/redeem-preview",
                           json={"code": "LAUNCH-OMANTEL-2026"})
        assert r.status_code == 404 and r.json() == {"error": "voucher not valid"}
        # Re-issuing revives the revoked code.
        assert (await e.issue("LAUNCH-OMANTEL-2026")).status_code == 200
        r = await e.c.post("/api/billing/vouchers/redeem-preview",
                           json={"code": "LAUNCH-OMANTEL-2026"})
        assert r.status_code == 200

    run(body)


def test_redeem_preview_statuses() -> None:
    async def body(e: Env) -> None:
        await e.issue("WELCOME-2026-ABC", credit=100)
        await e.issue("DORMANT-2026-XYZ", active=False)
        r = await e.c.post("/api/billing/vouchers/redeem-preview",
                           json={"code": "  welcome-2026-abc "})
        assert r.status_code == 200
        assert r.json() == {"code": "WELCOME-2026-ABC", "credit_omr": 100,
                            "description": "launch", "active": True,
                            "accepting_redemptions": True}
        r = await e.c.post("/api/billing/vouchers/redeem-preview",
                           json={"code": "DORMANT-2026-XYZ"})
        assert r.status_code == 410 and r.json()["accepting_redemptions"] is False
        r = await e.c.post("/api/billing/vouchers/redeem-preview", json={"code": ""})
        assert r.status_code == 400 and r.json() == {"error": "code is required"}
        r = await e.c.post("/api/billing/vouchers/redeem-preview", json={"code": "NOPE"})
        assert r.status_code == 404

    run(body)


def test_checkout_with_voucher_publishes_order_and_records_plan() -> None:
    async def body(e: Env) -> None:
        await e.issue("LAUNCH-OMANTEL-2026", credit=100)
        pro = await e.plan("pro")
        tenant_id = await e.tenant("kestrel", e.member(), pro["id"])
        r = await e.c.post("/api/billing/checkout", headers=e.member(), json={
            "plan_id": pro["id"], "tenant_id": tenant_id, "apps": ["wordpress"], "addons": [],
            "promo_code": "LAUNCH-OMANTEL-2026"})
        assert r.status_code == 200, r.text
        got = r.json()
        assert got["paid_by_credit"] is True and got["credit_balance"] == 100 - 9
        assert "session_url" not in got
        topic: Topic = e.ctx.state(ORDERS, Topic)
        assert topic.messages[-1]["type"] == "order.placed"
        data = topic.messages[-1]["data"]
        assert data["id"] == got["order_id"] and data["plan_id"] == pro["id"]
        assert data["tenant_id"] == tenant_id and data["subdomain"] == "kestrel"
        assert data["status"] == "completed" and data["amount_omr"] == 9
        bal = (await e.c.get("/api/billing/balance", headers=e.member())).json()
        assert bal["credit_omr"] == 91
        listed = (await e.c.get("/api/billing/vouchers/list", headers=e.admin())).json()
        assert listed[0]["times_redeemed"] == 1
        # Capped at one: preview now says 410.
        r = await e.c.post("/api/billing/vouchers/redeem-preview",
                           json={"code": "LAUNCH-OMANTEL-2026"})
        assert r.status_code == 410

    run(body)


def test_checkout_code_is_matched_exactly() -> None:
    async def body(e: Env) -> None:
        await e.issue("launch-omantel-2026")  # stored upper-case
        free = await e.plan("free")
        tenant_id = await e.tenant("acme", e.member())
        r = await e.c.post("/api/billing/checkout", headers=e.member(), json={
            "plan_id": free["id"], "tenant_id": tenant_id, "promo_code": "launch-omantel-2026"})
        assert r.status_code == 400
        assert r.json() == {"error": "invalid promo code: promo code not found"}
        assert e.ctx.state(ORDERS, Topic).messages == []

    run(body)


def test_checkout_errors() -> None:
    async def body(e: Env) -> None:
        ent = await e.plan("ent")
        tenant_id = await e.tenant("acme", e.member())
        r = await e.c.post("/api/billing/checkout", headers=e.member(), json={"plan_id": ""})
        assert r.status_code == 400
        assert r.json() == {"error": "plan_id and tenant_id are required"}
        r = await e.c.post("/api/billing/checkout", headers=e.member(),
                           json={"plan_id": "s", "tenant_id": tenant_id})
        assert r.status_code == 400 and r.json()["error"].startswith(
            "failed to compute order total: ")
        r = await e.c.post("/api/billing/checkout", headers=e.member(), content=b"not json")
        assert r.status_code == 400 and r.json() == {"error": "invalid JSON body"}
        assert (await e.c.post("/api/billing/checkout", json={})).status_code == 401
        # A 5 OMR voucher does not cover Ent (16): consumed, then 503 (no Stripe).
        await e.issue("SMALL-VOUCHER-2026", credit=5)
        r = await e.c.post("/api/billing/checkout", headers=e.member(), json={
            "plan_id": ent["id"], "tenant_id": tenant_id, "promo_code": "SMALL-VOUCHER-2026"})
        assert r.status_code == 503 and "payment processor is not configured" in r.json()["error"]
        listed = (await e.c.get("/api/billing/vouchers/list", headers=e.admin())).json()
        assert listed[0]["times_redeemed"] == 1
        assert e.ctx.state(ORDERS, Topic).messages == []

    run(body)


def test_free_plan_checkout_without_voucher_omits_zero_balance() -> None:
    async def body(e: Env) -> None:
        free = await e.plan("free")
        tenant_id = await e.tenant("acme", e.member())
        r = await e.c.post("/api/billing/checkout", headers=e.member(),
                           json={"plan_id": free["id"], "tenant_id": tenant_id})
        assert r.status_code == 200
        assert set(r.json()) == {"order_id", "paid_by_credit"}

    run(body)


def test_voucher_consumed_once_under_concurrent_checkouts() -> None:
    async def body(e: Env) -> None:
        await e.issue("ONE-SEAT-2026-QRS", credit=100, max_redemptions=1)
        pro = await e.plan("pro")
        users = [e.member(f"u{i}@example.om", f"user-{i}") for i in range(8)]
        tenants = [await e.tenant(f"tenant-{i}", h) for i, h in enumerate(users)]

        async def buy(h: dict[str, str], t: str) -> httpx.Response:
            return await e.c.post("/api/billing/checkout", headers=h, json={
                "plan_id": pro["id"], "tenant_id": t, "promo_code": "ONE-SEAT-2026-QRS"})

        results = await asyncio.gather(*(buy(h, t) for h, t in zip(users, tenants,
                                                                    strict=True)))
        codes = sorted(r.status_code for r in results)
        assert codes == [200] + [400] * 7
        assert all(r.json()["error"] == "invalid promo code: promo code has reached its "
                   "redemption limit" for r in results if r.status_code == 400)
        assert len(e.ctx.state(ORDERS, Topic).messages) == 1
        # Same customer twice on an uncapped code: once per customer.
        await e.issue("OPEN-SEAT-2026-TUV", credit=100, max_redemptions=0)
        first, second = await asyncio.gather(
            e.c.post("/api/billing/checkout", headers=users[1], json={
                "plan_id": pro["id"], "tenant_id": tenants[1],
                "promo_code": "OPEN-SEAT-2026-TUV"}),
            e.c.post("/api/billing/checkout", headers=users[1], json={
                "plan_id": pro["id"], "tenant_id": tenants[1],
                "promo_code": "OPEN-SEAT-2026-TUV"}))
        assert sorted([first.status_code, second.status_code]) == [200, 400]

    run(body)


def test_tenant_slug_rules() -> None:
    async def body(e: Env) -> None:
        await e.tenant("acme", e.member())
        r = await e.c.post("/api/tenant/orgs", headers=e.member(),
                           json={"slug": "acme", "name": "Acme"})
        assert r.status_code == 409
        r = await e.c.post("/api/tenant/orgs", headers=e.member(),
                           json={"slug": "9x", "name": "Bad"})
        assert r.status_code == 400
        assert (await e.c.get("/api/tenant/check-slug/acme")).json()["available"] is False
        assert (await e.c.post("/api/tenant/orgs", json={})).status_code == 401

    run(body)


def test_provisioning_status_endpoints_and_start() -> None:
    async def body(e: Env) -> None:
        r = await e.c.get("/api/provisioning/status/nope")
        assert r.status_code == 404 and r.json() == {"error": "provision not found"}
        assert (await e.c.get("/api/provisioning/tenant/nope")).status_code == 404
        assert (await e.c.get("/api/provisioning/jobs?tenant_id=x")).status_code == 401
        r = await e.c.get("/api/provisioning/jobs", headers=e.member())
        assert r.status_code == 400
        r = await e.c.post("/api/provisioning/start", headers=e.member(),
                           json={"tenant_id": "t1", "order_id": "o1", "plan_id": "p",
                                 "apps": [], "subdomain": "acme"})
        assert r.status_code == 202
        assert e.ctx.state(ORDERS, Topic).messages[-1]["type"] == "provision.start"

    run(body)
