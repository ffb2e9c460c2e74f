"""The marketplace's public API (the SME gateway at marketplace.<fqdn>/api)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from .http import PlatformHTTP
from .result import CallResult


def mint_session_token(secret: str, *, user_id: str, email: str, role: str,
                       ttl: int = 3600) -> str:
    """An HS256 session token as the platform's auth service mints it (its own tests do
    this where sign-up needs mail)."""
    now = int(time.time())
    return jwt.encode({"sub": user_id, "email": email, "role": role, "iat": now,
                       "exp": now + ttl}, secret, algorithm="HS256")


class MarketplaceClient:
    def __init__(self, http: PlatformHTTP, host: str = "marketplace") -> None:
        self.http = http
        self.host = host

    def _call(self, method: str, path: str, token: str | None = None,
              json: Any = None) -> CallResult:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return CallResult.of(self.http.request(method, self.host, "/api" + path,
                                               headers=headers, json=json))

    def login(self, email: str, password: str) -> CallResult:
        return self._call("POST", "/auth/login", json={"email": email, "password": password})

    def plans(self) -> CallResult:
        return self._call("GET", "/catalog/plans")

    def issue_voucher(self, token: str, code: str, credit: int, description: str) -> CallResult:
        return self._call("POST", "/billing/vouchers/issue", token, {
            "code": code, "credit_omr": credit, "description": description, "active": True,
            "max_redemptions": 1})

    def vouchers(self, token: str) -> CallResult:
        return self._call("GET", "/billing/vouchers/list", token)

    def redeem_preview(self, code: str) -> CallResult:
        return self._call("POST", "/billing/vouchers/redeem-preview", json={"code": code})

    def create_org(self, token: str, slug: str, name: str, plan_id: str) -> CallResult:
        return self._call("POST", "/tenant/orgs", token, {"slug": slug, "name": name,
                                                           "plan_id": plan_id})

    def my_orgs(self, token: str) -> CallResult:
        return self._call("GET", "/tenant/orgs", token)

    def checkout(self, token: str, plan_id: str, tenant_id: str, promo_code: str) -> CallResult:
        return self._call("POST", "/billing/checkout", token, {
            "plan_id": plan_id, "tenant_id": tenant_id, "promo_code": promo_code})

    def job_for_tenant(self, tenant_id: str) -> CallResult:
        return self._call("GET", f"/provisioning/tenant/{tenant_id}")

    def job(self, job_id: str) -> CallResult:
        return self._call("GET", f"/provisioning/status/{job_id}")


def new_identity(prefix: str = "e2e") -> tuple[str, str]:
    uid = str(uuid.uuid4())
    return uid, f"{prefix}-{uid[:8]}@e2e.invalid"
