"""The capability rule (Claims.HasCapability): wildcards cover below, stems cover only self."""

from __future__ import annotations

import pytest

from stubs.newapi import has_capability


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
