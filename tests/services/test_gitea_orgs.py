"""Gitea stand-in: orgs, repos, admin endpoints, admin setup and persistence across restarts."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest
from aiohttp import web

from stubs.emulator.apps import APP_FACTORIES, AppContext
from stubs.emulator.apps.gitea import GiteaDB, configure_admin, create_app

ADMIN, PASSWORD = "gitea_admin", "first-admin-password-ChxCejmH"
AUTH = (ADMIN, PASSWORD)


@pytest.fixture
def client(serve_app: Callable[[web.Application], str]) -> httpx.Client:
    env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": PASSWORD}
    db = GiteaDB()
    configure_admin(db, env, lambda line: None)
    return httpx.Client(base_url=serve_app(create_app(db, env)), timeout=5)


def token(client: httpx.Client, scopes: list[str], name: str) -> dict[str, str]:
    resp = client.post(f"/api/v1/users/{ADMIN}/tokens", auth=AUTH,
                       json={"name": name, "scopes": scopes})
    assert resp.status_code == 201
    return {"Authorization": f"token {resp.json()['sha1']}"}


def test_org_and_repo_lifecycle(client: httpx.Client) -> None:
    write = token(client, ["write:organization"], "prov")
    org = client.post("/api/v1/orgs", headers=write, json={"username": "acme"})
    assert org.status_code == 201 and org.json()["name"] == "acme"
    dup = client.post("/api/v1/orgs", headers=write, json={"username": "ACME"})
    assert dup.status_code == 422
    assert dup.json()["message"] == "user already exists [name: ACME]"
    clash = client.post("/api/v1/orgs", headers=write, json={"username": ADMIN})
    assert clash.status_code == 422
    assert clash.json()["message"] == f"user already exists [name: {ADMIN}]"
    assert client.get("/api/v1/orgs/acme").json()["username"] == "acme"

    repo = client.post("/api/v1/orgs/acme/repos", headers=write, json={"name": "tenant"})
    assert repo.status_code == 201 and repo.json()["full_name"] == "acme/tenant"
    again = client.post("/api/v1/orgs/acme/repos", headers=write, json={"name": "tenant"})
    assert again.status_code == 409
    assert again.json()["message"] == "The repository with the same name already exists."
    assert client.get("/api/v1/repos/acme/tenant").status_code == 200


def test_missing_things(client: httpx.Client) -> None:
    resp = client.post("/api/v1/orgs/ghost-org/repos", auth=AUTH, json={"name": "r"})
    assert resp.status_code == 404 and resp.json()["message"] == "GetOrgByName"
    assert resp.json()["errors"] == ["org does not exist [id: 0, name: ghost-org]"]
    deprecated = client.post("/api/v1/org/ghost-org/repos", auth=AUTH, json={"name": "r"})
    assert deprecated.status_code == 422
    assert deprecated.json()["message"] == "org does not exist [id: 0, name: ghost-org]"
    assert client.get("/api/v1/orgs/ghost-org").status_code == 404
    repo = client.get(f"/api/v1/repos/{ADMIN}/nothing")
    assert repo.status_code == 404
    assert repo.json()["message"] == "The target couldn't be found."
    owner = client.get("/api/v1/repos/nobody/nothing")
    assert owner.status_code == 404 and owner.json()["message"] == "GetUserByName"


def test_write_needs_write_scope(client: httpx.Client) -> None:
    read = token(client, ["read:organization", "read:user"], "ro")
    resp = client.post("/api/v1/orgs", headers=read, json={"username": "acme"})
    assert resp.status_code == 403
    assert resp.json()["message"] == (
        "token does not have at least one of required scope(s), "
        "required=[write:organization], token scope=read:organization,read:user")
    anonymous = client.post("/api/v1/orgs", json={"username": "acme"})
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "token is required"
    assert client.get("/api/v1/user", headers=read).status_code == 200


def test_bind_and_name_errors(client: httpx.Client) -> None:
    assert client.post("/api/v1/orgs", auth=AUTH, json={}).json()["message"] == (
        "[UserName]: Required")
    long = client.post("/api/v1/orgs", auth=AUTH, json={"username": "x" * 41})
    assert long.status_code == 422
    reserved = client.post("/api/v1/orgs", auth=AUTH, json={"username": "admin"})
    assert reserved.status_code == 422
    assert reserved.json()["message"] == "name is reserved [name: admin]"


def test_repo_creation_needs_org_owner(client: httpx.Client) -> None:
    client.post("/api/v1/orgs", auth=AUTH, json={"username": "acme"})
    client.post("/api/v1/admin/users", auth=AUTH, json={
        "username": "bob", "email": "bob@acme.test", "password": "bob-password-1",
        "must_change_password": False})
    resp = client.post("/api/v1/orgs/acme/repos", auth=("bob", "bob-password-1"),
                       json={"name": "r"})
    assert resp.status_code == 403
    assert resp.json()["message"] == ("Given user is not allowed to create repository in "
                                      "organization acme.")


def test_admin_endpoints(client: httpx.Client) -> None:
    created = client.post("/api/v1/admin/users", auth=AUTH, json={
        "username": "carol", "email": "carol@acme.test", "password": "carol-password",
        "must_change_password": False})
    assert created.status_code == 201 and created.json()["login"] == "carol"
    assert "carol-password" not in created.text
    dup = client.post("/api/v1/admin/users", auth=AUTH, json={
        "username": "Carol", "email": "c2@acme.test", "password": "carol-password"})
    assert dup.status_code == 422
    assert dup.json()["message"] == "user already exists [name: Carol]"
    short = client.post("/api/v1/admin/users", auth=AUTH, json={
        "username": "dave", "email": "d@acme.test", "password": "short"})
    assert short.status_code == 400 and short.json()["message"] == "PasswordIsRequired"
    listed = client.get("/api/v1/admin/users", auth=AUTH)
    assert listed.headers["X-Total-Count"] == "2"
    assert [u["login"] for u in listed.json()] == [ADMIN, "carol"]
    org = client.post("/api/v1/admin/users/carol/orgs", auth=AUTH, json={"username": "c-org"})
    assert org.status_code == 201
    missing = client.post("/api/v1/admin/users/nobody/orgs", auth=AUTH,
                          json={"username": "n-org"})
    assert missing.status_code == 404
    not_admin = client.get("/api/v1/admin/users", auth=("carol", "carol-password"))
    assert not_admin.status_code == 403
    assert not_admin.json()["message"] == "user should be the site admin"


def test_must_change_password_blocks_the_api(client: httpx.Client) -> None:
    client.post("/api/v1/admin/users", auth=AUTH, json={
        "username": "erin", "email": "erin@acme.test", "password": "erin-password"})
    resp = client.get("/api/v1/user", auth=("erin", "erin-password"))
    assert resp.status_code == 403
    assert resp.json()["message"].startswith("You must change your password.")


def test_version_health_and_swagger(client: httpx.Client) -> None:
    assert client.get("/api/v1/version").json() == {"version": "1.24.0"}
    assert client.get("/api/healthz").status_code == 200
    doc = client.get("/swagger.v1.json").json()
    assert doc["swagger"] == "2.0" and doc["basePath"] == "/api/v1"
    assert "/users/{username}/tokens" in doc["paths"]
    assert client.get("/api/swagger").status_code == 200


class _Emulator(SimpleNamespace):
    def __init__(self) -> None:
        logs: list[str] = []
        super().__init__(app_states={}, logs=logs, store=SimpleNamespace(
            append_log=lambda ns, pod, container, line: logs.append(line)))


def _start(emulator: _Emulator, env: dict[str, str]) -> web.Application:
    ctx = AppContext(emulator=emulator, namespace="gitea", pod_name="gitea-0",  # type: ignore[arg-type]
                     container_name="gitea")
    return APP_FACTORIES["gitea"](env, ctx)


@pytest.mark.parametrize(("mode", "new_password_works"), [
    (None, True), ("keepUpdated", True), ("initialOnlyNoReset", False),
])
def test_state_survives_restart_and_password_mode(
        serve_app: Callable[[web.Application], str], mode: str | None,
        new_password_works: bool) -> None:
    emulator = _Emulator()
    env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": PASSWORD}
    first = httpx.Client(base_url=serve_app(_start(emulator, env)))
    assert first.post("/api/v1/orgs", auth=AUTH, json={"username": "acme"}).status_code == 201
    assert "gitea/gitea" in emulator.app_states

    rotated = {**env, "GITEA_ADMIN_PASSWORD": "rotated-password-1"}
    if mode:
        rotated["GITEA_ADMIN_PASSWORD_MODE"] = mode
    second = httpx.Client(base_url=serve_app(_start(emulator, rotated)))
    assert second.get("/api/v1/orgs/acme").status_code == 200  # the database survived
    new = second.get("/api/v1/user", auth=(ADMIN, "rotated-password-1")).status_code
    old = second.get("/api/v1/user", auth=AUTH).status_code
    assert (new, old) == ((200, 401) if new_password_works else (401, 200))
    assert not any(PASSWORD in line or "rotated-password-1" in line
                   for line in emulator.logs)


def test_require_reset_mode_creates_admin_that_must_change(
        serve_app: Callable[[web.Application], str]) -> None:
    env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": PASSWORD,
           "GITEA_ADMIN_PASSWORD_MODE": "initialOnlyRequireReset"}
    c = httpx.Client(base_url=serve_app(_start(_Emulator(), env)))
    assert c.get("/api/v1/user", auth=AUTH).status_code == 403
