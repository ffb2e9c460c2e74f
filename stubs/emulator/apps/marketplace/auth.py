"""The auth service (core/services/auth): magic-link/PIN sign-in, password login, refresh.

- `POST /auth/magic-link` (alias `/auth/send-pin`) stores a 6-digit code in Valkey key
  `magic:<email>` for 5 minutes, then mails it over SMTP (`SMTP_HOST`/`SMTP_PORT`); when no
  SMTP server is configured or reachable it answers 500, the code stays stored, as the
  platform does. There is no endpoint that reveals the code: a harness either reads Valkey
  (in-process: `ctx.state("sme/valkey")`) or mints a token with `JWT_SECRET`, as the
  snapshot's §9 suggests.
- `POST /auth/verify` (alias `/auth/verify-pin`): 5 wrong attempts burn the code; a new
  user gets role `member`; answers `{token, refresh_token, user}`.
- `POST /auth/login`: the superadmin seeded from `ADMIN_EMAIL`/`ADMIN_PASSWORD`.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage

from aiohttp import web

from .http import Req, Router, error, ok
from .state import AuthDB, Valkey, new_id, now_iso
from .tokens import mint, verify

MAGIC_TTL = 5 * 60
MAX_ATTEMPTS = 5


class AuthService:
    def __init__(self, env: Mapping[str, str], db: AuthDB, valkey: Valkey, secret: str) -> None:
        self.env = env
        self.db = db
        self.valkey = valkey
        self.secret = secret
        admin_email = env.get("ADMIN_EMAIL", "").strip().lower()
        if admin_email and admin_email not in db.users:
            db.users[admin_email] = {"id": new_id(), "email": admin_email, "role": "superadmin",
                                     "name": "Admin", "created_at": now_iso()}

    def routes(self, r: Router) -> None:
        r.add("POST", "/auth/magic-link", self.send_magic_link)
        r.add("POST", "/auth/send-pin", self.send_magic_link)
        r.add("POST", "/auth/verify", self.verify)
        r.add("POST", "/auth/verify-pin", self.verify)
        r.add("POST", "/auth/login", self.login)
        r.add("POST", "/auth/refresh", self.refresh)
        r.add("GET", "/auth/me", self.me)
        r.add("POST", "/auth/logout", self.logout)

    def _session(self, user: dict[str, object]) -> web.Response:
        refresh = new_id()
        self.db.refresh_tokens[refresh] = str(user["email"])
        token = mint(self.secret, str(user["id"]), str(user["email"]), str(user["role"]))
        return ok({"token": token, "refresh_token": refresh, "user": user})

    async def send_magic_link(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("email",))
        email = str(body.get("email") or "").strip().lower()
        if not email or "@" not in email:
            return error(400, "valid email is required")
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.valkey.set(f"magic:{email}", {"code": code, "attempts": 0}, MAGIC_TTL)
        if not await self._mail(email, code):
            return error(500, "failed to send magic link")
        return ok({"message": "magic link sent"})

    async def _mail(self, to: str, code: str) -> bool:
        host = self.env.get("SMTP_HOST", "")
        if not host:
            return False
        msg = EmailMessage()
        msg["From"] = self.env.get("SMTP_FROM", "noreply@openova.io")
        msg["To"] = to
        msg["Subject"] = "Your sign-in code"
        msg.set_content(f"Your sign-in code is {code}. It expires in 5 minutes.")

        def send() -> None:
            with smtplib.SMTP(host, int(self.env.get("SMTP_PORT", "587")), timeout=5) as s:
                s.send_message(msg)

        try:
            await asyncio.to_thread(send)
        except (OSError, smtplib.SMTPException):
            return False
        return True

    async def verify(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("email", "code"))
        email = str(body.get("email") or "").strip().lower()
        code = str(body.get("code") or "")
        if not email or not code:
            return error(400, "email and code are required")
        key = f"magic:{email}"
        stored = self.valkey.get(key)
        if stored is None:
            return error(401, "invalid or expired code")
        if not hmac.compare_digest(stored["code"], code):
            stored["attempts"] += 1
            if stored["attempts"] >= MAX_ATTEMPTS:
                self.valkey.delete(key)
            return error(401, "invalid or expired code")
        self.valkey.delete(key)
        user = self.db.users.get(email)
        if user is None:
            user = {"id": new_id(), "email": email, "role": "member", "name": "",
                    "created_at": now_iso()}
            self.db.users[email] = user
        return self._session(user)

    async def login(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("email", "password"))
        email = str(body.get("email") or "").strip().lower()
        password = str(body.get("password") or "")
        admin_email = self.env.get("ADMIN_EMAIL", "").strip().lower()
        admin_password = self.env.get("ADMIN_PASSWORD", "")
        if not (admin_email and admin_password and email == admin_email
                and hmac.compare_digest(password.encode(), admin_password.encode())):
            return error(401, "invalid credentials")
        return self._session(self.db.users[admin_email])

    async def refresh(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("refresh_token",))
        email = self.db.refresh_tokens.pop(str(body.get("refresh_token") or ""), None)
        if email is None or email not in self.db.users:
            return error(401, "invalid refresh token")
        return self._session(self.db.users[email])

    async def me(self, req: Req) -> web.StreamResponse:
        claims = verify(self.secret, req.raw.headers.get("Authorization"))
        if claims is None:
            return error(401, "invalid token")
        user = next((u for u in self.db.users.values() if u["id"] == claims.get("sub")), None)
        if user is None:
            return error(404, "user not found")
        return ok(user)

    async def logout(self, req: Req) -> web.StreamResponse:
        body = await req.json(strings=("refresh_token",))
        self.db.refresh_tokens.pop(str(body.get("refresh_token") or ""), None)
        return ok({"ok": True})

