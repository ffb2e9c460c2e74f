"""Which harness wrote a report: its version, the git commit it runs from, the Python, and
where non-default settings came from. A sign-off names the harness it trusted."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from . import __version__

# CI systems export the commit they build; a wheel installed outside a checkout has no .git.
COMMIT_ENV = ("SOVEREIGN_E2E_HARNESS_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT")


@cache
def harness_commit() -> str | None:
    """The commit of the checkout this package runs from, read from `.git` (no `git`
    process: the harness starts no programs), or the CI's commit variable."""
    for name in COMMIT_ENV:
        if os.environ.get(name):
            return os.environ[name]
    try:
        return _read_head(Path(__file__).resolve().parent.parent / ".git")
    except (OSError, UnicodeDecodeError):
        return None


def _read_head(dot_git: Path) -> str | None:
    if dot_git.is_file():  # a worktree or submodule: `gitdir: <path>`
        text = dot_git.read_text().strip()
        if not text.startswith("gitdir:"):
            return None
        dot_git = (dot_git.parent / text.removeprefix("gitdir:").strip()).resolve()
    if not dot_git.is_dir():
        return None
    head = (dot_git / "HEAD").read_text().strip()
    if not head.startswith("ref:"):
        return head or None  # detached
    ref = head.removeprefix("ref:").strip()
    common = dot_git
    if (dot_git / "commondir").is_file():  # worktrees keep refs in the main .git
        common = (dot_git / (dot_git / "commondir").read_text().strip()).resolve()
    for base in (dot_git, common):
        if (base / ref).is_file():
            return (base / ref).read_text().strip() or None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return None


def harness_info(sources: Mapping[str, str]) -> dict[str, str]:
    info = {"version": __version__, "python": platform.python_version()}
    commit = harness_commit()
    if commit:
        info["commit"] = commit
    where = ", ".join(f"{k}={v}" for k, v in sorted(sources.items()) if v != "default")
    if where:  # only settings that did not come from defaults
        info["sources"] = where
    return info
