"""Client for the NewAPI sandbox token bridge: POST /admin/tokens/sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

BRIDGE_PATH = "/admin/tokens/sandbox"
TOOL_HEADER = "X-Catalyst-Tool"
TOOL_NAME = "sandbox-controller"


@dataclass(frozen=True)
class MintRequest:
    org_id: str
    user_id: str
    sandbox_id: str
    allowed_channels: tuple[str, ...]
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True)
class MintedToken:
    token: str
    expires_at: datetime


class MintError(Exception):
    """The bridge refused or could not be reached; the message is safe to show (it never
    carries the admin secret or a token)."""


class NewAPIClient:
    def __init__(self, base_url: str, admin_secret: str, http: httpx.AsyncClient) -> None:
        self.url = base_url.rstrip("/") + BRIDGE_PATH
        self._admin_secret = admin_secret
        self.http = http

    async def mint(self, req: MintRequest) -> MintedToken:
        body: dict[str, object] = {
            "org_id": req.org_id, "user_id": req.user_id, "sandbox_id": req.sandbox_id,
            "allowed_channels": list(req.allowed_channels),
        }
        if req.capabilities:
            body["capabilities"] = list(req.capabilities)
        headers = {"Authorization": f"Bearer {self._admin_secret}", TOOL_HEADER: TOOL_NAME}
        try:
            r = await self.http.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as e:
            raise MintError(f"POST {self.url}: {type(e).__name__}: {e}") from None
        data = _json(r)
        if r.status_code != 200:
            text = str(data.get("error") or r.text.strip() or r.reason_phrase)
            raise MintError(f"POST {BRIDGE_PATH}: HTTP {r.status_code}: "
                            f"{self._scrub(text, str(data.get('token') or ''))}")
        token = str(data.get("token") or "")
        try:
            expires = datetime.fromisoformat(str(data.get("expires_at") or ""))
        except ValueError:
            expires = None
        if not token or expires is None or expires.tzinfo is None:
            raise MintError(f"POST {BRIDGE_PATH}: HTTP 200 without token/expires_at")
        return MintedToken(token, expires)

    def _scrub(self, text: str, *more: str) -> str:
        for s in (self._admin_secret, *more):
            if s:
                text = text.replace(s, "<redacted>")
        return text[:300]


def _json(r: httpx.Response) -> dict[str, object]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
