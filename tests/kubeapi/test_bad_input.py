"""Bad input to the API server: each row is a request the server must refuse with the real
kube-apiserver's status code, Status reason and message start; after each, the server
still serves. This module also runs unchanged against the real kube-apiserver
(tests/oracle/probes), which is where every expectation here was taken from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

MiB = 1024 * 1024
JSON = "application/json"
MERGE = "application/merge-patch+json"
DEEP = b"[" * 100_000 + b"]" * 100_000
ISSUER = "https://kubernetes.default.svc.cluster.local"
UNRECOGNIZED = "the object provided is unrecognized (must be of type ConfigMap)"
UNKNOWN_FORMAT = ("the body of the request was in an unknown format - accepted media types "
                  "include: application/json, application/yaml")
TOO_LARGE = "Request entity too large: limit is 3145728"


def _big(size: int) -> Iterator[bytes]:
    """A ConfigMap of about `size` bytes, streamed in 1 MiB chunks (never held whole)."""
    yield b'{"metadata": {"name": "big"}, "data": {"k": "'
    for _ in range(size // MiB):
        yield b"a" * MiB
    yield b'"}}'


def _jwt(alg: str, key: str | None, exp_in: int) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": [ISSUER], "sub": "system:serviceaccount:default:default",
              "iat": now, "exp": now + exp_in}
    return jwt.encode(claims, key, algorithm=alg)


@dataclass(frozen=True)
class Row:
    method: str
    on_object: bool  # the request names the object (PUT/PATCH) or the collection (POST)
    content_type: str | None
    body: bytes | None
    code: int
    reason: str
    message: str  # the answer's message starts with this
    authorization: str | None = None  # replaces the good bearer token when set ("": none)
    streamed: int = 0  # a body of this many bytes, streamed instead of `body`


ROWS: dict[str, Row] = {
    "malformed-json": Row("POST", False, JSON, b'{"metadata": {', 400, "BadRequest",
                          UNRECOGNIZED),
    "not-json": Row("POST", False, JSON, b"not json", 400, "BadRequest", UNRECOGNIZED),
    "not-an-object": Row("POST", False, JSON, b"[1, 2]", 400, "BadRequest", UNRECOGNIZED),
    "empty-body": Row("POST", False, JSON, b"", 400, "BadRequest", UNRECOGNIZED),
    "deep-nesting": Row("POST", False, JSON,
                        b'{"metadata": {"name": "x"}, "data": ' + DEEP + b"}", 400,
                        "BadRequest", UNRECOGNIZED),
    "non-utf8-outside-a-string": Row("POST", False, JSON, b'\xff{"metadata": {"name": "x"}}',
                                     400, "BadRequest", UNRECOGNIZED),
    "create-as-text-plain": Row("POST", False, "text/plain", b'{"metadata": {"name": "x"}}',
                                415, "UnsupportedMediaType", UNKNOWN_FORMAT),
    "create-as-form": Row("POST", False, "application/x-www-form-urlencoded", b"a=b", 415,
                          "UnsupportedMediaType", UNKNOWN_FORMAT),
    "update-as-xml": Row("PUT", True, "application/xml", b"<ConfigMap/>", 415,
                         "UnsupportedMediaType", UNKNOWN_FORMAT),
    "patch-as-application-json": Row("PATCH", True, JSON, b'{"data": {"x": "y"}}', 415,
                                     "UnsupportedMediaType", "415: Unsupported Media Type"),
    "patch-as-text-plain": Row("PATCH", True, "text/plain", b'{"data": {"x": "y"}}', 415,
                               "UnsupportedMediaType", "415: Unsupported Media Type"),
    "malformed-merge-patch": Row("PATCH", True, MERGE, b'{"data":', 400, "BadRequest",
                                 "error decoding patch: "),
    "deep-merge-patch": Row("PATCH", True, MERGE, b'{"data": ' + DEEP + b"}", 400,
                            "BadRequest", "error decoding patch: "),
    "malformed-json-patch": Row("PATCH", True, "application/json-patch+json", b'[{"op":',
                                400, "BadRequest", "error decoding patch: "),
    "malformed-apply": Row("PATCH", True, "application/apply-patch+yaml", b"metadata: [",
                           400, "BadRequest", "error decoding YAML: "),
    "create-just-over-3MiB": Row("POST", False, JSON, None, 413, "RequestEntityTooLarge",
                                 TOO_LARGE, streamed=3 * MiB + 1),
    "create-20MB": Row("POST", False, JSON, None, 413, "RequestEntityTooLarge", TOO_LARGE,
                       streamed=20 * MiB),
    "patch-20MB": Row("PATCH", True, MERGE, None, 413, "RequestEntityTooLarge", TOO_LARGE,
                      streamed=20 * MiB),
    "no-credentials-get": Row("GET", True, None, None, 403, "Forbidden",
                              'configmaps "target" is forbidden: User "system:anonymous" '
                              'cannot get resource "configmaps" in API group "" in the '
                              "namespace", authorization=""),
    "no-credentials-create": Row("POST", False, JSON, b'{"metadata": {"name": "x"}}', 403,
                                 "Forbidden", 'configmaps is forbidden: User '
                                 '"system:anonymous" cannot create resource "configmaps"',
                                 authorization=""),
    "basic-auth-is-anonymous": Row("PATCH", True, MERGE, b'{"data": {"x": "y"}}', 403,
                                   "Forbidden", 'configmaps "target" is forbidden: User '
                                   '"system:anonymous" cannot patch resource',
                                   authorization="Basic YWRtaW46YWRtaW4="),
    "bearer-without-a-token": Row("DELETE", False, None, None, 403, "Forbidden",
                                     'configmaps is forbidden: User "system:anonymous" '
                                     'cannot deletecollection resource "configmaps"',
                                     authorization="Bearer"),
    "wrong-bearer-token": Row("GET", True, None, None, 401, "Unauthorized", "Unauthorized",
                              authorization="Bearer not-the-token"),
    "jwt-alg-none": Row("GET", True, None, None, 401, "Unauthorized", "Unauthorized",
                        authorization=f"Bearer {_jwt('none', None, 600)}"),
    "jwt-wrongly-signed": Row("GET", True, None, None, 401, "Unauthorized", "Unauthorized",
                              authorization=f"Bearer {_jwt('HS256', 'k' * 32, 600)}"),
    "jwt-expired": Row("GET", True, None, None, 401, "Unauthorized", "Unauthorized",
                       authorization=f"Bearer {_jwt('HS256', 'k' * 32, -600)}"),
}


@pytest.mark.parametrize("row", ROWS.values(), ids=list(ROWS))
def test_bad_input_answers_the_real_status(raw: httpx.Client, ns: str, row: Row) -> None:
    collection = f"/api/v1/namespaces/{ns}/configmaps"
    created = raw.post(collection, json={"metadata": {"name": "target"}})
    assert created.status_code == 201
    headers = {}
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    if row.authorization:
        headers["Authorization"] = row.authorization
    url = f"{collection}/target" if row.on_object else collection
    if row.method == "PATCH" and row.content_type == "application/apply-patch+yaml":
        url += "?fieldManager=bad-input"
    content = _big(row.streamed) if row.streamed else row.body
    request = raw.build_request(row.method, url, content=content, headers=headers)
    if row.authorization == "":
        del request.headers["Authorization"]
    r = raw.send(request)

    assert r.status_code == row.code, r.text[:300]
    status = r.json()
    assert status["kind"] == "Status" and status["status"] == "Failure"
    assert status["code"] == row.code and status["reason"] == row.reason
    assert status["message"].startswith(row.message), status["message"][:300]
    # The server keeps serving, and the refused request changed nothing.
    after = raw.get(f"{collection}/target")
    assert after.status_code == 200
    assert after.json()["metadata"]["resourceVersion"] == \
        created.json()["metadata"]["resourceVersion"]


def test_non_utf8_in_a_string_is_read_as_the_replacement_character(
        raw: httpx.Client, ns: str) -> None:
    """Go's encoding/json reads an invalid UTF-8 byte inside a string as U+FFFD."""
    collection = f"/api/v1/namespaces/{ns}/configmaps"
    assert raw.post(collection, json={"metadata": {"name": "target"}}).status_code == 201
    r = raw.patch(f"{collection}/target", content=b'{"data": {"k": "a\xffb"}}',
                  headers={"Content-Type": MERGE})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["data"] == {"k": "a\ufffdb"}


@pytest.mark.parametrize("path", ["/version", "/healthz", "/readyz", "/livez"])
def test_anonymous_reads_the_public_info_paths(raw: httpx.Client, path: str) -> None:
    """system:public-info-viewer: the only paths RBAC opens to system:anonymous."""
    request = raw.build_request("GET", path)
    del request.headers["Authorization"]
    assert raw.send(request).status_code == 200


def test_anonymous_discovery_is_forbidden_by_path(raw: httpx.Client) -> None:
    request = raw.build_request("GET", "/apis")
    del request.headers["Authorization"]
    r = raw.send(request)
    assert r.status_code == 403
    assert r.json()["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis"'
    assert r.json()["details"] == {}
