"""Bad input to the Gitea stand-in: each row is a request Gitea refuses, with Gitea's
status and APIError body `{"message", "url"}`; after each, the server still serves.

Sources (Gitea v1.24): routers/api/v1/api.go `bind` (422 `[Fields]: Message`, the first
binding error), gitea.com/go-chi/binding (Content-Type picks the binder; a decode error's
message is encoding/json's), services/auth (oauth2 then basic; the first error is the 401
message), reqToken ("token is required"). Gitea has no API body limit of its own, so a
20 MB body is answered by the field rules (see stubs/emulator/apps/gitea/binding.py).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

from stubs.emulator.apps.gitea import GiteaDB, configure_admin, create_app
from tests.services.conftest import _ServedApp

ADMIN = "gitea_admin"
PASSWORD = "pw-" + "Q" * 21 + "ChxCejmH"
USERS = "/api/v1/admin/users"
MiB = 1024 * 1024
JSON = "application/json"
GOOD_USER = b'{"username": "bob", "email": "bob@example.test", "password": "pw-long-enough-1"}'


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _jwt(alg: str, key: str | None, exp_in: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "1", "iat": now, "exp": now + exp_in}, key, algorithm=alg)


def _huge_full_name() -> Iterator[bytes]:
    """A 20 MB create-user body, streamed: the name is far over FullName's MaxSize(100)."""
    yield b'{"username": "huge", "email": "huge@example.test", "password": "pw-long-1", '
    yield b'"full_name": "'
    for _ in range(20):
        yield b"n" * MiB
    yield b'"}'


@dataclass(frozen=True)
class Row:
    content_type: str | None
    body: bytes | None
    code: int
    message: str  # the APIError message starts with this
    authorization: str | None = None  # None: the site admin's good basic credentials
    method: str = "POST"
    streamed: bool = False


ADMIN_AUTH = _basic(ADMIN, PASSWORD)
NO_AUTH = ""  # send no Authorization header at all

ROWS: dict[str, Row] = {
    "truncated-json": Row(JSON, b'{"username": ', 422, "[]: unexpected EOF"),
    "not-json": Row(JSON, b"not json", 422, "[]: invalid character "),
    "json-array": Row(JSON, b"[1, 2]", 422, "[]: json: cannot unmarshal array"),
    "deep-nesting": Row(JSON, b'{"username": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                        422, "[]: invalid character '[' exceeded max depth"),
    "non-utf8-in-the-name": Row(JSON, GOOD_USER.replace(b"bob", b"b\xffb", 1), 422,
                                "[Username]: invalid username"),
    "empty-body-fails-the-field-rules": Row(JSON, b"", 422, "[Username]: Required"),
    "text-plain": Row("text/plain", GOOD_USER, 422, "[]: Unsupported Content-Type"),
    "no-content-type": Row(None, GOOD_USER, 422, "[]: Empty Content-Type"),
    "20MB-body": Row(JSON, None, 422, "[FullName]: MaxSize", streamed=True),
    "invalid-name": Row(JSON, GOOD_USER.replace(b"bob", b"bob/../x", 1), 422,
                        "[Username]: invalid username"),
    "name-ending-in-a-dot": Row(JSON, GOOD_USER.replace(b"bob", b"bob.", 1), 422,
                                "[Username]: invalid username"),
    "reserved-name": Row(JSON, GOOD_USER.replace(b"bob", b"api", 1), 422,
                         "name is reserved [name: api]"),
    "no-credentials": Row(JSON, GOOD_USER, 401, "token is required", authorization=NO_AUTH),
    "wrong-token": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: ]",
                       authorization="token " + "0" * 40),
    "wrong-password": Row(JSON, GOOD_USER, 401, "user's password is invalid [uid: 1, "
                          f"name: {ADMIN}]", authorization=_basic(ADMIN, "wrong")),
    "unknown-user": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: nobody]",
                        authorization=_basic("nobody", "x")),
    "basic-not-base64": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: ]",
                            authorization="Basic %%%not-base64"),
    "jwt-alg-none": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: ]",
                        authorization=f"Bearer {_jwt('none', None, 600)}"),
    "jwt-wrongly-signed": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: ]",
                              authorization=f"Bearer {_jwt('HS256', 'k' * 32, 600)}"),
    "jwt-expired": Row(JSON, GOOD_USER, 401, "user does not exist [uid: 0, name: ]",
                       authorization=f"Bearer {_jwt('HS256', 'k' * 32, -600)}"),
}


@pytest.fixture(scope="module")
def gitea() -> Iterator[httpx.Client]:
    """One server for the whole table, on purpose: it must keep serving across the rows."""
    env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": PASSWORD}
    db = GiteaDB()
    configure_admin(db, env, lambda line: None)
    served = _ServedApp(create_app(db, env))
    with httpx.Client(base_url=served.start(), timeout=30) as client:
        yield client
    served.stop()


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_bad_input_answers_giteas_status_and_error(gitea: httpx.Client, row: Row) -> None:
    headers = {"Authorization": ADMIN_AUTH if row.authorization is None else row.authorization}
    if not headers["Authorization"]:
        del headers["Authorization"]
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    content = _huge_full_name() if row.streamed else row.body
    r = gitea.request(row.method, USERS, content=content, headers=headers)

    assert r.status_code == row.code, r.text[:300]
    body = r.json()
    assert set(body) == {"message", "url"} and body["url"].endswith("/api/swagger"), body
    assert body["message"].startswith(row.message), body["message"][:300]
    _still_serves(gitea)


def _still_serves(gitea: httpx.Client) -> None:
    assert gitea.get("/api/v1/version").status_code == 200
    me = gitea.get("/api/v1/user", headers={"Authorization": ADMIN_AUTH})
    assert me.status_code == 200 and me.json()["login"] == ADMIN
    users = gitea.get(USERS, headers={"Authorization": ADMIN_AUTH})
    assert "bob" not in [u["login"] for u in users.json()]  # no refused request made one


def test_a_good_request_after_the_table_is_served(gitea: httpx.Client) -> None:
    r = gitea.post(USERS, content=GOOD_USER.replace(b"bob", b"carol"),
                   headers={"Authorization": ADMIN_AUTH, "Content-Type": JSON})
    assert r.status_code == 201, r.text
    assert r.json()["login"] == "carol"

