"""The harness names the commit it runs from (a sign-off says which harness it trusted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.provenance import _read_head, harness_info

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_reads_a_branch_a_worktree_and_packed_refs(tmp_path: Path) -> None:
    main = tmp_path / "repo" / ".git"
    (main / "refs" / "heads").mkdir(parents=True)
    (main / "HEAD").write_text("ref: refs/heads/main\n")
    (main / "refs" / "heads" / "main").write_text(SHA + "\n")
    assert _read_head(main) == SHA

    # a worktree: .git is a file pointing at .git/worktrees/<name>, refs in the common dir
    wt = main / "worktrees" / "w"
    wt.mkdir(parents=True)
    (wt / "HEAD").write_text("ref: refs/heads/topic\n")
    (wt / "commondir").write_text("../..\n")
    (main / "packed-refs").write_text(f"# pack-refs\n{SHA[::-1]} refs/heads/topic\n")
    checkout = tmp_path / "wt"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {wt}\n")
    assert _read_head(checkout / ".git") == SHA[::-1]
    assert _read_head(tmp_path / "nowhere" / ".git") is None


def test_info_has_commit_and_only_non_default_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    from e2e import provenance

    provenance.harness_commit.cache_clear()
    monkeypatch.setenv("SOVEREIGN_E2E_HARNESS_COMMIT", SHA)
    try:
        info = harness_info({"report_dir": "--report-dir", "fqdn": "default"})
    finally:
        provenance.harness_commit.cache_clear()
    assert info["commit"] == SHA and info["sources"] == "report_dir=--report-dir"
    assert "sources" not in harness_info({"fqdn": "default"})
