"""Contract tests for the Gitea stand-in: auth order, access tokens, versioned messages.

All over a loopback socket. The t22 symptom is here: a "provisioning token" that is really
the admin password is an unknown token (401) while Basic auth with it succeeds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from stubs.emulator.apps.gitea import GiteaDB, configure_admin, create_app

ADMIN = "gitea_admin"
PASSWORD = "pw-" + "Q" * 21 + "ChxCejmH"
ALL_WRITE = [f"write:{c}" for c in ("activitypub", "admin", "misc", "notification",
                                     "organization", "package", "issue", "repository",
                                     "user")]


@dataclass
class Gitea:
    client: httpx.Client
    db: GiteaDB
    seen: list[str]

    def request(self, method: str, path: str, **kw: object) -> httpx.Response:
        resp = self.client.request(method, path, **kw)  # type: ignore[arg-type]
        self.seen.append(resp.text)
        return resp

    def token(self, scopes: list[str], user: str = ADMIN, password: str = PASSWORD,
              name: str | None = None) -> str:
        name = name or f"t{len(self.db.tokens) + 1}"
        resp = self.request("POST", f"/api/v1/users/{user}/tokens", auth=(user, password),
                            json={"name": name, "scopes": scopes})
        assert resp.status_code == 201, resp.text
        return str(resp.json()["sha1"])


GiteaFactory = Callable[..., Gitea]


@pytest.fixture
def make_gitea(serve_app: Callable[[web.Application], str]) -> GiteaFactory:
    def make(version: str | None = None, db: GiteaDB | None = None,
             mode: str | None = None) -> Gitea:
        env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": PASSWORD}
        if version:
            env["GITEA_EMULATED_VERSION"] = version
        if mode:
            env["GITEA_ADMIN_PASSWORD_MODE"] = mode
        db = db if db is not None else GiteaDB()
        configure_admin(db, env, lambda line: None)
        url = serve_app(create_app(db, env))
        return Gitea(httpx.Client(base_url=url, timeout=5), db, [])
    return make


@pytest.fixture
def gitea(make_gitea: GiteaFactory) -> Gitea:
    return make_gitea()


def message(resp: httpx.Response) -> str:
    body = resp.json()
    assert set(body) - {"errors"} == {"message", "url"}, body
    assert body["url"].endswith("/api/swagger")
    return str(body["message"])


# --- the t22 symptom ---------------------------------------------------------------------

@pytest.mark.parametrize("style", ["token", "Bearer", "query-token", "query-access_token"])
def test_admin_password_as_token_is_an_unknown_token(gitea: Gitea, style: str) -> None:
    headers, params = {}, {}
    if style.startswith("query-"):
        params[style.removeprefix("query-")] = PASSWORD
    else:
        headers["Authorization"] = f"{style} {PASSWORD}"
    resp = gitea.request("GET", "/api/v1/user", headers=headers, params=params)
    assert resp.status_code == 401
    assert message(resp) == "user does not exist [uid: 0, name: ]"
    ok = gitea.request("GET", "/api/v1/user", auth=(ADMIN, PASSWORD))
    assert ok.status_code == 200
    assert ok.json()["login"] == ADMIN and ok.json()["is_admin"] is True
    assert all(PASSWORD not in text for text in gitea.seen)


@pytest.mark.parametrize(("version", "expected"), [
    ("1.21.11", "user does not exist [uid: 0, name: , keyid: 0]"),
    ("1.22.0", "user does not exist [uid: 0, name: ]"),
    ("1.25.1", "user does not exist [uid: 0, name: ]"),
    ("1.25.2", "invalid username, password or token"),
])
def test_unknown_token_message_follows_version(make_gitea: GiteaFactory, version: str,
                                               expected: str) -> None:
    g = make_gitea(version)
    resp = g.request("GET", "/api/v1/user", headers={"Authorization": f"token {'a' * 40}"})
    assert resp.status_code == 401 and message(resp) == expected


@pytest.mark.parametrize(("version", "expected"), [
    ("1.24.0", f"user's password is invalid [uid: 1, name: {ADMIN}]"),
    ("1.25.2", "invalid username, password or token"),
])
def test_wrong_basic_password_message(make_gitea: GiteaFactory, version: str,
                                      expected: str) -> None:
    g = make_gitea(version)
    resp = g.request("GET", "/api/v1/user", auth=(ADMIN, "not-the-password"))
    assert resp.status_code == 401 and message(resp) == expected
    nobody = g.request("GET", "/api/v1/user", auth=("nobody", "x"))
    assert nobody.status_code == 401
    if version == "1.24.0":
        assert message(nobody) == "user does not exist [uid: 0, name: nobody]"


def test_unknown_token_fails_even_routes_without_auth(gitea: Gitea) -> None:
    resp = gitea.request("GET", "/api/v1/version", params={"token": "nope"})
    assert resp.status_code == 401
    assert gitea.request("GET", "/api/v1/version").json() == {"version": "1.24.0"}


def test_a_later_method_finding_a_user_wins(gitea: Gitea) -> None:
    # The query token fails first, but Basic finds the user, so the error is dropped
    # (services/auth/group.go: the first error is returned only when no user is found).
    resp = gitea.request("GET", "/api/v1/user", params={"token": PASSWORD},
                         auth=(ADMIN, PASSWORD))
    assert resp.status_code == 200


# --- creating and using tokens -----------------------------------------------------------

def test_token_is_shown_once_and_stored_hashed(gitea: Gitea) -> None:
    resp = gitea.request("POST", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, PASSWORD),
                         json={"name": "catalyst-platform-bootstrap", "scopes": ["all"]})
    assert resp.status_code == 201
    body = resp.json()
    raw = body["sha1"]
    assert re.fullmatch(r"[0-9a-f]{40}", raw)
    assert body["token_last_eight"] == raw[-8:]
    assert body["scopes"] == ["all"] and body["name"] == "catalyst-platform-bootstrap"
    assert body["created_at"] == body["last_used_at"] == "0001-01-01T00:00:00Z"
    stored = gitea.db.tokens[body["id"]]
    assert raw not in repr(stored) and stored.last_eight == raw[-8:]

    listed = gitea.request("GET", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, PASSWORD))
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "1"
    assert listed.json()[0]["sha1"] == "" and raw not in listed.text

    me = gitea.request("GET", "/api/v1/user", headers={"Authorization": f"token {raw}"})
    assert me.status_code == 200 and me.json()["login"] == ADMIN
    assert sum(raw in text for text in gitea.seen) == 1


@pytest.mark.parametrize(("version", "scheme", "ok"), [
    ("1.24.0", "token", True), ("1.24.0", "Token", False), ("1.24.0", "TOKEN", False),
    ("1.25.0", "Token", True), ("1.24.0", "Bearer", True), ("1.24.0", "bearer", True),
])
def test_header_scheme_case(make_gitea: GiteaFactory, version: str, scheme: str,
                            ok: bool) -> None:
    g = make_gitea(version)
    raw = g.token(["read:user"])
    resp = g.request("GET", "/api/v1/user", headers={"Authorization": f"{scheme} {raw}"})
    if ok:
        assert resp.status_code == 200
    else:  # not recognised as a credential at all: anonymous, so reqToken refuses
        assert resp.status_code == 401 and message(resp) == "token is required"


@pytest.mark.parametrize("param", ["token", "access_token"])
def test_query_token(gitea: Gitea, param: str) -> None:
    raw = gitea.token(["read:user"])
    assert gitea.request("GET", "/api/v1/user", params={param: raw}).status_code == 200
    upper = gitea.request("GET", "/api/v1/user", params={param: raw.upper()})
    assert upper.status_code == 401


def test_token_endpoints_need_basic_auth(gitea: Gitea) -> None:
    raw = gitea.token(["all"])
    path = f"/api/v1/users/{ADMIN}/tokens"
    for headers in ({"Authorization": f"token {raw}"}, {"Authorization": f"Bearer {raw}"}):
        resp = gitea.request("POST", path, headers=headers, json={"name": "x",
                                                                  "scopes": ["all"]})
        assert resp.status_code == 401 and message(resp) == "auth required"
    resp = gitea.request("GET", path, params={"token": raw})
    assert resp.status_code == 401 and message(resp) == "auth required"
    anonymous = gitea.request("POST", path, json={"name": "x", "scopes": ["all"]})
    assert anonymous.status_code == 403
    assert message(anonymous) == ("doer should be the site admin or be same as the "
                                  "contextUser")
    # Basic auth carrying the token (user=token, empty password) is basic auth.
    via_basic = gitea.request("POST", path, auth=(raw, ""), json={"name": "y",
                                                                  "scopes": ["read:user"]})
    assert via_basic.status_code == 201


def test_token_in_basic_keeps_its_scopes(gitea: Gitea) -> None:
    raw = gitea.token(["read:user"])
    resp = gitea.request("POST", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, raw),
                         json={"name": "z", "scopes": ["all"]})
    assert resp.status_code == 403
    assert message(resp) == ("token does not have at least one of required scope(s), "
                             "required=[write:user], token scope=read:user")


def test_other_user_needs_admin(gitea: Gitea) -> None:
    gitea.db.create_user("bob", "bob@x.test", "bob-password")
    gitea.db.create_user("eve", "eve@x.test", "eve-password")
    resp = gitea.request("GET", "/api/v1/users/bob/tokens", auth=("eve", "eve-password"))
    assert resp.status_code == 403
    by_admin = gitea.request("POST", "/api/v1/users/bob/tokens", auth=(ADMIN, PASSWORD),
                             json={"name": "for-bob", "scopes": ["read:user"]})
    assert by_admin.status_code == 201
    missing = gitea.request("GET", "/api/v1/users/nobody/tokens", auth=(ADMIN, PASSWORD))
    assert missing.status_code == 404
    assert message(missing) == "user does not exist [uid: 0, name: nobody]"


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"name": "n", "scopes": []}, 400, "access token must have a scope"),
    ({"name": "n"}, 400, "access token must have a scope"),
    ({"name": "n", "scopes": ["write:org"]}, 400,
     "invalid access token scope provided: invalid access token scope: write:org"),
    ({"name": "n", "scopes": ["repo"]}, 400,
     "invalid access token scope provided: invalid access token scope: repo"),
    ({"scopes": ["all"]}, 422, "[Name]: Required"),
])
def test_create_token_rejections(gitea: Gitea, body: dict[str, object], status: int,
                                 text: str) -> None:
    resp = gitea.request("POST", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, PASSWORD),
                         json=body)
    assert resp.status_code == status and message(resp) == text


def test_duplicate_token_name_is_400(gitea: Gitea) -> None:
    gitea.token(["all"], name="dup")
    resp = gitea.request("POST", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, PASSWORD),
                         json={"name": "dup", "scopes": ["all"]})
    assert resp.status_code == 400
    assert message(resp) == "access token name has been used already"


def test_scopes_normalise(gitea: Gitea) -> None:
    path = f"/api/v1/users/{ADMIN}/tokens"
    resp = gitea.request("POST", path, auth=(ADMIN, PASSWORD),
                         json={"name": "w", "scopes": ALL_WRITE})
    assert resp.json()["scopes"] == ["all"]
    resp = gitea.request("POST", path, auth=(ADMIN, PASSWORD),
                         json={"name": "r", "scopes": ["read:user", "write:user",
                                                       "read:organization"]})
    assert resp.json()["scopes"] == ["read:organization", "write:user"]


def test_old_versions_allow_empty_scopes_and_hide_them(make_gitea: GiteaFactory) -> None:
    g = make_gitea("1.22.0")
    resp = g.request("POST", f"/api/v1/users/{ADMIN}/tokens", auth=(ADMIN, PASSWORD),
                     json={"name": "legacy"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["scopes"] is None and "created_at" not in body
    # A token with no scope authenticates but has no permission on scoped routes.
    me = g.request("GET", "/api/v1/user", headers={"Authorization": f"token {body['sha1']}"})
    assert me.status_code == 403


def test_delete_token_by_id_and_name(gitea: Gitea) -> None:
    path = f"/api/v1/users/{ADMIN}/tokens"
    gitea.token(["all"], name="by-name")
    first = gitea.request("GET", path, auth=(ADMIN, PASSWORD)).json()[0]
    assert gitea.request("DELETE", f"{path}/by-name",
                         auth=(ADMIN, PASSWORD)).status_code == 204
    assert gitea.db.tokens.get(first["id"]) is None
    gitea.token(["all"], name="by-id")
    tid = gitea.request("GET", path, auth=(ADMIN, PASSWORD)).json()[0]["id"]
    assert gitea.request("DELETE", f"{path}/{tid}", auth=(ADMIN, PASSWORD)).status_code == 204
    for ref in ("by-id", "999", "catalyst-platform-bootstrap"):
        resp = gitea.request("DELETE", f"{path}/{ref}", auth=(ADMIN, PASSWORD))
        assert resp.status_code == 404
        assert message(resp) == "The target couldn't be found."


def test_delete_ambiguous_name_is_422(gitea: Gitea) -> None:
    admin = gitea.db.user(ADMIN)
    assert admin is not None
    from stubs.emulator.apps.gitea.scopes import Scope
    for _ in range(2):  # only possible outside the API (the CLI), so seed the database
        gitea.db.create_token(admin, "twin", Scope.parse("all"))
    resp = gitea.request("DELETE", f"/api/v1/users/{ADMIN}/tokens/twin",
                         auth=(ADMIN, PASSWORD))
    assert resp.status_code == 422
    assert message(resp) == "multiple matches for token name 'twin'"


def test_not_found_message_on_1_25(make_gitea: GiteaFactory) -> None:
    g = make_gitea("1.25.0")
    resp = g.request("DELETE", f"/api/v1/users/{ADMIN}/tokens/none", auth=(ADMIN, PASSWORD))
    assert resp.status_code == 404 and message(resp) == "not found"


def test_revoked_token_is_unknown(gitea: Gitea) -> None:
    raw = gitea.token(["all"], name="gone")
    gitea.request("DELETE", f"/api/v1/users/{ADMIN}/tokens/gone", auth=(ADMIN, PASSWORD))
    resp = gitea.request("GET", "/api/v1/user", headers={"Authorization": f"token {raw}"})
    assert resp.status_code == 401
    assert message(resp) == "user does not exist [uid: 0, name: ]"
