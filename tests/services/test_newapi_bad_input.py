"""Bad input to the stub NewAPI's sandbox token bridge: each row is a request it refuses,
with the status and `{"error": ...}` body its contract (stubs/newapi/openapi.py) names;
after each, the bridge still mints for a good request.

The bridge authenticates callers with the shared admin secret only: a JWT, even one
signed with the bridge's own signing key (a sandbox token), is not a credential.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

from stubs.newapi import create_app
from tests.services.conftest import _ServedApp

ADMIN = "adm1n" + "A" * 59
KEY = "s1gn" + "k" * 60
PATH = "/admin/tokens/sandbox"
MiB = 1024 * 1024
GOOD = b'{"org_id": "acme", "user_id": "ada", "sandbox_id": "sb-1", "allowed_channels": ["q"]}'
NOT_JSON = "request body is not valid JSON"


def _jwt(alg: str, key: str | None, exp_in: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "sb-1", "typ": "sandbox", "iat": now, "exp": now + exp_in},
                      key, algorithm=alg)


def _twenty_mb() -> Iterator[bytes]:
    yield b'{"org_id": "'
    for _ in range(20):
        yield b"o" * MiB
    yield b'", "user_id": "u", "sandbox_id": "s", "allowed_channels": ["q"]}'


@dataclass(frozen=True)
class Row:
    body: bytes | None
    code: int
    error: str
    authorization: str | None = f"Bearer {ADMIN}"
    content_type: str | None = "application/json"
    method: str = "POST"
    streamed: bool = False


ROWS: dict[str, Row] = {
    "malformed-json": Row(b'{"org_id": ', 400, NOT_JSON),
    "not-json": Row(b"not json", 400, NOT_JSON),
    "empty-body": Row(b"", 400, NOT_JSON),
    "deep-nesting": Row(b'{"org_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400,
                        NOT_JSON),
    "non-utf8-outside-a-string": Row(b"\xff" + GOOD, 400, NOT_JSON),
    "json-array": Row(b"[1, 2]", 400, "request body must be a JSON object"),
    "missing-field": Row(b'{"org_id": "acme"}', 400, "user_id is required"),
    "blank-name": Row(GOOD.replace(b'"acme"', b'"  "'), 400, "org_id is required"),
    "channels-not-names": Row(GOOD.replace(b'["q"]', b"[1]"), 400,
                              "allowed_channels must be an array of strings"),
    "no-channel-left": Row(GOOD.replace(b'["q"]', b'["", " "]'), 400,
                           "allowed_channels must contain at least one channel"),
    "20MB-body": Row(None, 413, "request body too large", streamed=True),
    "wrong-method": Row(None, 405, "method not allowed", method="GET"),
    "no-credentials": Row(GOOD, 401, "unauthorized", authorization=None),
    "wrong-secret": Row(GOOD, 401, "unauthorized", authorization="Bearer not-the-secret"),
    "basic-auth": Row(GOOD, 401, "unauthorized", authorization="Basic YWRtaW46YWRtaW4="),
    "jwt-alg-none": Row(GOOD, 401, "unauthorized",
                        authorization=f"Bearer {_jwt('none', None, 600)}"),
    "jwt-signed-with-the-signing-key": Row(GOOD, 401, "unauthorized",
                                           authorization=f"Bearer {_jwt('HS256', KEY, 600)}"),
    "jwt-expired": Row(GOOD, 401, "unauthorized",
                       authorization=f"Bearer {_jwt('HS256', KEY, -600)}"),
    "unauthenticated-20MB-body": Row(None, 401, "unauthorized", authorization=None,
                                     streamed=True),
}


@pytest.fixture(scope="module")
def bridge() -> Iterator[httpx.Client]:
    """One server for the whole table, on purpose: it must keep serving across the rows."""
    served = _ServedApp(create_app({"NEWAPI_ADMIN_SECRET": ADMIN,
                                    "NEWAPI_TOKEN_SIGNING_KEY": KEY}))
    with httpx.Client(base_url=served.start(), timeout=30) as client:
        yield client
    served.stop()


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_bad_input_answers_the_bridges_status_and_error(bridge: httpx.Client,
                                                        row: Row) -> None:
    headers = {}
    if row.authorization is not None:
        headers["Authorization"] = row.authorization
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    content = _twenty_mb() if row.streamed else row.body
    r = bridge.request(row.method, PATH, content=content, headers=headers)

    assert r.status_code == row.code, r.text[:300]
    assert r.json() == {"error": row.error}
    assert ADMIN not in r.text and KEY not in r.text
    good = bridge.post(PATH, content=GOOD, headers={"Authorization": f"Bearer {ADMIN}"})
    assert good.status_code == 200 and set(good.json()) == {"token", "expires_at"}


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_the_body_is_read_as_json_whatever_its_content_type(bridge: httpx.Client,
                                                            content_type: str | None) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    if content_type:
        headers["Content-Type"] = content_type
    r = bridge.post(PATH, content=GOOD, headers=headers)
    assert r.status_code == 200, r.text


def test_non_utf8_in_a_name_reads_as_the_replacement_character(bridge: httpx.Client) -> None:
    r = bridge.post(PATH, content=GOOD.replace(b"acme", b"ac\xffme"),
                    headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200, r.text
    assert jwt.decode(r.json()["token"], KEY, algorithms=["HS256"])["org"] == "ac\ufffdme"
