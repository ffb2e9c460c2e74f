"""HS256 access tokens as the SME auth service mints them and every service checks them.

Claims `{sub, email, role, iat, exp}`, 15 minutes, signed with `JWT_SECRET`
(core/services/auth; shared/middleware/jwt.go). Roles issued: `member`, `superadmin`.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

ACCESS_TTL = 15 * 60


def mint(secret: str, sub: str, email: str, role: str, ttl: int = ACCESS_TTL) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "email": email, "role": role, "iat": now, "exp": now + ttl},
                      secret, algorithm="HS256")


def verify(secret: str, authorization: str | None) -> dict[str, Any] | None:
    """Claims of a valid `Bearer` token (HMAC only, exp checked), else None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    try:
        return jwt.decode(authorization[len("Bearer "):], secret,
                          algorithms=["HS256", "HS384", "HS512"])
    except jwt.PyJWTError:
        return None
