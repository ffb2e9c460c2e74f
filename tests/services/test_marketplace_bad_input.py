"""Bad input to the SME gateway and the services behind it (the marketplace API): each row
is a request they refuse, with the status and `{"error": ...}` body
(core/services/shared/respond) the platform answers; after each, they still serve.

Sources: core/services/gateway/proxy.go (404 `no route matched`; non-public prefixes need
`Authorization: Bearer <HS256 JWT>`, parsed by golang-jwt/v5 with HMAC methods only and
`exp` checked, else 401 `invalid or missing token`), the services' handlers
(`json.NewDecoder(r.Body).Decode` into a struct: a body that does not decode is 400; no
body size limit and no Content-Type check).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

from stubs.emulator.apps import AppContext
from stubs.emulator.apps.marketplace import sme_gateway
from stubs.emulator.apps.marketplace.tokens import mint
from stubs.emulator.runtime import Emulator
from tests.services.conftest import _ServedApp

SECRET = "test-jwt-secret-0123456789abcdef0123"
LOGIN = "/api/auth/login"
BALANCE = "/api/billing/balance"
ORGS = "/api/tenant/orgs"
MiB = 1024 * 1024
BAD_JSON = "invalid JSON body"
NO_TOKEN = "invalid or missing token"


def _jwt(alg: str, key: str | None, exp_in: int, role: str = "member") -> str:
    now = int(time.time())
    return jwt.encode({"sub": "user-1", "email": "a@example.om", "role": role, "iat": now,
                       "exp": now + exp_in}, key, algorithm=alg)


MEMBER = f"Bearer {mint(SECRET, 'user-1', 'a@example.om', 'member')}"


def _twenty_mb_password() -> Iterator[bytes]:
    yield b'{"email": "a@example.om", "password": "'
    for _ in range(20):
        yield b"p" * MiB
    yield b'"}'


@dataclass(frozen=True)
class Row:
    path: str
    body: bytes | None
    code: int
    error: str
    authorization: str | None = None
    method: str = "POST"
    content_type: str | None = "application/json"
    streamed: bool = False


ROWS: dict[str, Row] = {
    "malformed-json": Row(LOGIN, b'{"email": ', 400, BAD_JSON),
    "not-json": Row(LOGIN, b"not json", 400, BAD_JSON),
    "empty-body": Row(LOGIN, b"", 400, BAD_JSON),
    "json-array": Row(LOGIN, b"[1, 2]", 400, BAD_JSON),
    "wrong-field-type": Row(LOGIN, b'{"email": 1, "password": 2}', 400, BAD_JSON),
    "deep-nesting": Row(LOGIN, b'{"email": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400,
                        BAD_JSON),
    "non-utf8-outside-a-string": Row(LOGIN, b'\xff{"email": "a"}', 400, BAD_JSON),
    "non-utf8-in-a-string": Row(LOGIN, b'{"email": "a\xff@x.om", "password": "p"}', 401,
                                "invalid credentials"),
    "trailing-bytes-after-the-value": Row(LOGIN, b'{"email": "a@x.om", "password": "p"} xx',
                                          401, "invalid credentials"),
    "text-plain-is-still-read-as-json": Row(LOGIN, b'{"email": "a@x.om", "password": "p"}',
                                            401, "invalid credentials",
                                            content_type="text/plain"),
    "20MB-body": Row(LOGIN, None, 401, "invalid credentials", streamed=True),
    "invalid-slug": Row(ORGS, b'{"slug": "Acme!", "name": "Acme"}', 400,
                        "slug must match [a-z][a-z0-9-]{2,30}", authorization=MEMBER),
    "unknown-route": Row("/api/nothing", b"{}", 404, "no route matched"),
    "no-token": Row(BALANCE, None, 401, NO_TOKEN, method="GET"),
    "token-scheme": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                        authorization=MEMBER.replace("Bearer", "Token")),
    "lowercase-bearer": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                            authorization=MEMBER.replace("Bearer", "bearer")),
    "not-a-jwt": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                     authorization="Bearer not.a.jwt"),
    "jwt-alg-none": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                        authorization=f"Bearer {_jwt('none', None, 600, 'superadmin')}"),
    "jwt-wrongly-signed": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                              authorization=f"Bearer {_jwt('HS256', 'x' * 32, 600)}"),
    "jwt-expired": Row(BALANCE, None, 401, NO_TOKEN, method="GET",
                       authorization=f"Bearer {_jwt('HS256', SECRET, -600)}"),
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[httpx.Client]:
    """One server for the whole table, on purpose: it must keep serving across the rows."""
    em = Emulator()
    ctx = AppContext(em, "sme", "gateway-7d9f-abcde", "gateway")
    served = _ServedApp(sme_gateway({"JWT_SECRET": SECRET}, ctx))
    with httpx.Client(base_url=served.start(), timeout=30) as client:
        yield client
    served.stop()


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_bad_input_answers_the_platforms_status_and_error(gateway: httpx.Client,
                                                          row: Row) -> None:
    headers = {}
    if row.authorization is not None:
        headers["Authorization"] = row.authorization
    if row.content_type is not None and row.method != "GET":
        headers["Content-Type"] = row.content_type
    content = _twenty_mb_password() if row.streamed else row.body
    r = gateway.request(row.method, row.path, content=content, headers=headers)

    assert r.status_code == row.code, r.text[:300]
    assert r.json() == {"error": row.error}
    good = gateway.get(BALANCE, headers={"Authorization": MEMBER})
    assert good.status_code == 200 and "credit_omr" in good.json(), good.text
    assert gateway.get("/api/catalog/plans").status_code == 200
