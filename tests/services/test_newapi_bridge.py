"""Contract tests for the stub NewAPI's sandbox token bridge over a loopback socket."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from aiohttp import web

from stubs.newapi import create_app

ADMIN = "adm1n" + "A" * 59  # 64 characters, as the chart generates
KEY = "s1gn" + "k" * 60
PATH = "/admin/tokens/sandbox"
BODY = {"org_id": "acme", "user_id": "ada@acme.test", "sandbox_id": "uid-1",
        "allowed_channels": ["qwen", "", "qwen", "llama"]}
METRIC = "newapi_admin_token_mint_requests_total"


def counter(client: httpx.Client, tool: str, status: str) -> float:
    text = client.get("/metrics").text
    m = re.search(rf'^{METRIC}\{{tool="{re.escape(tool)}",status="{status}"\}} (\S+)$', text,
                  re.MULTILINE)
    return float(m[1]) if m else 0.0


def assert_no_secret(resp: httpx.Response) -> None:
    assert ADMIN not in resp.text and KEY not in resp.text


@pytest.fixture
def client(serve_app: Callable[[web.Application], str]) -> httpx.Client:
    env = {"NEWAPI_ADMIN_SECRET": ADMIN, "NEWAPI_TOKEN_SIGNING_KEY": KEY}
    return httpx.Client(base_url=serve_app(create_app(env)), timeout=5)


def mint(client: httpx.Client, body: object, *, bearer: str | None = ADMIN,
         tool: str | None = "sandbox-controller") -> httpx.Response:
    headers = {}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    if tool is not None:
        headers["X-Catalyst-Tool"] = tool
    return client.post(PATH, json=body, headers=headers)


def test_mint_returns_signed_sandbox_token(client: httpx.Client) -> None:
    before = counter(client, "sandbox-controller", "ok")
    started = datetime.now(UTC).replace(microsecond=0)
    resp = mint(client, {**BODY, "capabilities": ["sandbox.db.*", "sandbox.db.*", ""]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"token", "expires_at"}
    claims = jwt.decode(body["token"], KEY, algorithms=["HS256"])
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    assert claims["sub"] == "uid-1" and claims["org"] == "acme"
    assert claims["user"] == "ada@acme.test" and claims["typ"] == "sandbox"
    assert claims["channels"] == ["qwen", "llama"]
    assert claims["capabilities"] == ["sandbox.db.*"]
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert claims["iat"] >= int(started.timestamp())
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert int(expires.timestamp()) == claims["exp"]
    assert expires - started >= timedelta(days=7)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(body["token"], "k" * 64, algorithms=["HS256"])
    assert counter(client, "sandbox-controller", "ok") == before + 1
    assert_no_secret(resp)


def test_capabilities_claim_omitted_when_empty(client: httpx.Client) -> None:
    for extra in ({}, {"capabilities": []}, {"capabilities": [""]}):
        resp = mint(client, {**BODY, **extra})
        claims = jwt.decode(resp.json()["token"], KEY, algorithms=["HS256"])
        assert "capabilities" not in claims


@pytest.mark.parametrize("bearer", [None, "wrong", ADMIN + "x", ADMIN[:-1], "Bearer"])
def test_wrong_or_missing_bearer_is_401(client: httpx.Client, bearer: str | None) -> None:
    before = counter(client, "sandbox-controller", "unauthorized")
    resp = mint(client, BODY, bearer=bearer)
    assert resp.status_code == 401
    assert resp.json() == {"error": "unauthorized"}
    assert counter(client, "sandbox-controller", "unauthorized") == before + 1
    assert_no_secret(resp)


@pytest.mark.parametrize("authorization", ["Bearer", f"Token {ADMIN}", f"Basic {ADMIN}"])
def test_malformed_authorization_is_401(client: httpx.Client, authorization: str) -> None:
    resp = client.post(PATH, json=BODY, headers={"Authorization": authorization})
    assert resp.status_code == 401
    assert_no_secret(resp)


@pytest.mark.parametrize("body", [
    {k: v for k, v in BODY.items() if k != "org_id"},
    {k: v for k, v in BODY.items() if k != "user_id"},
    {k: v for k, v in BODY.items() if k != "sandbox_id"},
    {**BODY, "sandbox_id": ""},
    {**BODY, "allowed_channels": []},
    {**BODY, "allowed_channels": ["", "  "]},
    {k: v for k, v in BODY.items() if k != "allowed_channels"},
    {**BODY, "allowed_channels": "qwen"},
    {**BODY, "capabilities": "sandbox.db.*"},
    ["not", "an", "object"],
])
def test_bad_body_is_400(client: httpx.Client, body: object) -> None:
    before = counter(client, "sandbox-controller", "bad_request")
    resp = mint(client, body)
    assert resp.status_code == 400
    assert set(resp.json()) == {"error"}
    assert counter(client, "sandbox-controller", "bad_request") == before + 1


def test_non_json_body_is_400(client: httpx.Client) -> None:
    resp = client.post(PATH, content=b"{nope", headers={"Authorization": f"Bearer {ADMIN}"})
    assert resp.status_code == 400


def test_oversized_body_is_counted_as_other(client: httpx.Client) -> None:
    before = counter(client, "unknown", "other")
    big = {**BODY, "org_id": "x" * (2 * 1024 * 1024)}
    resp = mint(client, big, tool=None)
    assert resp.status_code == 413
    assert counter(client, "unknown", "other") == before + 1


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    before = counter(client, "cli", "method_not_allowed")
    resp = client.request(method, PATH, headers={"X-Catalyst-Tool": "cli"})
    assert resp.status_code == 405
    assert resp.headers["Allow"] == "POST"
    assert resp.json() == {"error": "method not allowed"}
    assert counter(client, "cli", "method_not_allowed") == before + 1


@pytest.mark.parametrize("env", [
    {},
    {"NEWAPI_ADMIN_SECRET": ADMIN},
    {"NEWAPI_TOKEN_SIGNING_KEY": KEY},
    {"NEWAPI_ADMIN_SECRET": "", "NEWAPI_TOKEN_SIGNING_KEY": KEY},
])
def test_unset_secret_or_key_is_503(serve_app: Callable[[web.Application], str],
                                    env: dict[str, str]) -> None:
    client = httpx.Client(base_url=serve_app(create_app(env)), timeout=5)
    resp = mint(client, BODY)
    assert resp.status_code == 503
    assert set(resp.json()) == {"error"}
    assert counter(client, "sandbox-controller", "unavailable") == 1
    assert_no_secret(resp)


@pytest.mark.parametrize(("header", "label"), [
    (None, "unknown"), ("", "unknown"), ("sandbox-controller", "sandbox-controller"),
    ('bad"label\\', "invalid"), ("x" * 100, "invalid"),
])
def test_tool_label_from_header(client: httpx.Client, header: str | None,
                                label: str) -> None:
    before = counter(client, label, "ok")
    assert mint(client, BODY, tool=header).status_code == 200
    assert counter(client, label, "ok") == before + 1


def test_metrics_exposition_and_health(client: httpx.Client) -> None:
    mint(client, BODY)
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert f"# TYPE {METRIC} counter" in resp.text
    assert_no_secret(resp)
    assert client.get("/healthz").status_code == 200


def test_openapi_documents_every_bridge_status(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    bridge = doc["paths"][PATH]
    assert set(bridge["post"]["responses"]) == {"200", "400", "401", "413", "500", "503"}
    for method in ("get", "put", "patch", "delete"):
        assert set(bridge[method]["responses"]) == {"405"}
