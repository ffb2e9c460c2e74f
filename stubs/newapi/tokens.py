"""Sandbox token minting: request validation and the HS256 JWT the bridge returns.

Claim shape (platform/newapi sandbox_token.go): sub=sandbox_id, org, user, channels, iat,
exp=iat+7d, typ="sandbox", and `capabilities` only when the request carried some.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

TOKEN_TTL = timedelta(days=7)
TOKEN_TYPE = "sandbox"
ALGORITHM = "HS256"
REQUIRED_FIELDS = ("org_id", "user_id", "sandbox_id")


class BadRequest(ValueError):
    """The request body cannot be minted from; the message is safe to return."""


@dataclass(frozen=True)
class MintRequest:
    org_id: str
    user_id: str
    sandbox_id: str
    allowed_channels: tuple[str, ...]
    capabilities: tuple[str, ...] = ()


def _clean_names(value: Any, field: str) -> tuple[str, ...]:
    """De-duplicate (first wins) and drop empty names, so [""] never means "no restriction"."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{field} must be an array of strings")
    seen: dict[str, None] = {}
    for v in value:
        name = v.strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


def parse_mint_request(body: Any) -> MintRequest:
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    values: dict[str, str] = {}
    for field in REQUIRED_FIELDS:
        v = body.get(field)
        if not isinstance(v, str) or not v.strip():
            raise BadRequest(f"{field} is required")
        values[field] = v.strip()
    channels = _clean_names(body.get("allowed_channels"), "allowed_channels")
    if not channels:
        raise BadRequest("allowed_channels must contain at least one channel")
    capabilities = _clean_names(body.get("capabilities"), "capabilities")
    return MintRequest(allowed_channels=channels, capabilities=capabilities, **values)


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mint_sandbox_token(req: MintRequest, signing_key: str,
                       now: datetime | None = None) -> tuple[str, datetime]:
    """Signed token and its expiry (whole seconds, as JWT NumericDate)."""
    if not signing_key:
        raise ValueError("signing key is empty")
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + TOKEN_TTL
    claims: dict[str, Any] = {
        "sub": req.sandbox_id,
        "org": req.org_id,
        "user": req.user_id,
        "channels": list(req.allowed_channels),
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "typ": TOKEN_TYPE,
    }
    if req.capabilities:
        claims["capabilities"] = list(req.capabilities)
    return jwt.encode(claims, signing_key, algorithm=ALGORITHM), expires
