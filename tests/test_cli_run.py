"""`sovereign-e2e run`: pytest with the plugin, its exit code, and the default arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import e2e
from e2e.cli import _default_run_args

REPO = Path(e2e.__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "sovereign-e2e"
JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "e2e.cli"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


def test_help_says_it_is_pytest(tmp_path: Path) -> None:
    proc = cli("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("usage: sovereign-e2e run [PYTEST ARGS...]")
    assert "Every argument goes to pytest unchanged" in out
    assert "pytest --help" in out
    for option in ("--sovereign", "--kubeconfig", "--report-dir", "--step-timeout"):
        assert f"  {option} " in out
    assert not (tmp_path / "reports").exists()  # help runs nothing


def test_default_args_point_at_the_repo_scenarios() -> None:
    assert _default_run_args() == ["-k", "journey", str(REPO / "scenarios")]


def test_setup_failure_exits_4_with_the_plugin_loaded(tmp_path: Path) -> None:
    (tmp_path / "test_journey.py").write_text(JOURNEY)
    proc = cli("run", "-p", "no:cacheprovider", "-k", "journey and cluster", "--sovereign",
               "kind", cwd=tmp_path, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--sovereign kind needs Docker" in proc.stderr  # the plugin's own words


def test_usage_error_exits_4(tmp_path: Path) -> None:
    proc = cli("run", "-p", "no:cacheprovider", "--sovereign", "minikube", cwd=tmp_path)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "minikube" in proc.stderr


def test_no_args_runs_the_main_job_with_allure(tmp_path: Path) -> None:
    """The default run, end to end: the 16 steps against the emulated Sovereign from a
    foreign cwd (reports land there), with Allure via PYTEST_ADDOPTS."""
    alluredir = tmp_path / "allure"
    proc = cli("run", cwd=tmp_path, timeout=300,
               env={"PYTEST_ADDOPTS": f"-p no:cacheprovider --alluredir={alluredir}"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "16 passed" in proc.stdout
    assert "cycle t1 PASS: 16/16 steps passed" in proc.stdout
    assert (tmp_path / "reports" / "t1.json").is_file()

    env = dict(line.split("=", 1) for line in
               (alluredir / "environment.properties").read_text().splitlines())
    assert env["target.provider"] == "emulated"
    assert env["target.fqdn"] == "sovereign.test"
    assert env["cycle"] == "t1"
    assert env["target.api_server"].startswith("http")
    assert json.loads((alluredir / "categories.json").read_text())
    results = [json.loads(p.read_text()) for p in alluredir.glob("*-result.json")]
    assert sorted(r["status"] for r in results) == ["passed"] * 16
    for r in results:
        names = [a["name"] for a in r["attachments"]]
        assert "step" in names, r["name"]
        step = json.loads((alluredir / r["attachments"][names.index("step")]["source"])
                          .read_text())
        assert step["status"] == "PASS" and r["name"].endswith(f"[{step['id']}]")
