"""Pure rules of the stub NewAPI: Claims.HasCapability and the mint status classes."""

from __future__ import annotations

import pytest

from stubs.newapi import has_capability
from stubs.newapi.metrics import classify_status


@pytest.mark.parametrize(("granted", "required", "expected"), [
    (["sandbox.db.*"], "sandbox.db.provision", True),
    (["sandbox.db.*"], "sandbox.db", True),
    (["sandbox.db.*"], "sandbox.db.backup.restore", True),
    (["sandbox.db"], "sandbox.db.provision", False),
    (["sandbox.db"], "sandbox.db", True),
    (["sandbox.db.*"], "sandbox.dbx", False),
    (["sandbox.db.*"], "sandbox", False),
    (["sandbox.*"], "sandbox.db.provision", True),
    (["gitea.pr.list"], "gitea.pr.create", False),
    ([], "sandbox.db", False),
    (["*"], "sandbox.db", False),
    ([".*"], "sandbox.db", False),
    (["sandbox.db.*"], "", False),
    (["flux.status", "sandbox.db.*"], "sandbox.db.provision", True),
])
def test_has_capability(granted: list[str], required: str, expected: bool) -> None:
    assert has_capability(granted, required) is expected


@pytest.mark.parametrize(("code", "status"), [
    (200, "ok"), (201, "ok"), (400, "bad_request"), (401, "unauthorized"),
    (405, "method_not_allowed"), (503, "unavailable"), (500, "server_error"),
    (502, "server_error"), (413, "other"), (404, "other"), (302, "other"),
])
def test_status_classes(code: int, status: str) -> None:
    assert classify_status(code) == status
