"""Over-deep request bodies answer 400 with a Status, and the server keeps serving."""

from __future__ import annotations

import httpx
import pytest

DEEP = b"[" * 100_000 + b"]" * 100_000
CASES = {
    "deep-nesting": b'{"metadata": {"name": "x"}, "data": ' + DEEP + b"}",
}


@pytest.mark.parametrize("body", CASES.values(), ids=list(CASES))
def test_undecodable_body_is_a_400_status(raw: httpx.Client, ns: str, body: bytes) -> None:
    url = f"/api/v1/namespaces/{ns}/configmaps"
    r = raw.post(url, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    status = r.json()
    assert status["kind"] == "Status" and status["reason"] == "BadRequest"
    good = raw.post(url, json={"metadata": {"name": "after"}})
    assert good.status_code == 201
