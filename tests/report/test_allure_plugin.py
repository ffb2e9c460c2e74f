"""`pytest --alluredir DIR` with the journey: launch files, per-step attachments, and no
secret anywhere in DIR.

The journey here is a fake, fast session (step 01 passes, 02 fails with a Finding, the rest
are blocked) so the run takes a second; the real emulated journey with Allure runs once in
tests/test_cli_run.py.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from e2e.redact import Redactor
from e2e.report.model import CycleReport, Target
from e2e.report.render.allure import categories, environment, properties_text

SECRET = "Planted-S3cret-Value-7781"

FAKE_SESSION = f'''
import json

import e2e.plugin
from e2e.journey.steps import STEPS
from e2e.redact import Redactor
from e2e.report.model import (CycleReport, Evidence, Finding, StepResult, StepStatus,
                              Subject, Target)

SECRET = {SECRET!r}


class FakeSession:
    """Stands in for JourneySession: same surface the plugin uses, canned results."""

    def __init__(self, settings, on_progress=None):
        self.settings = settings
        self.redactor = Redactor()
        self.report = None
        self.report_path = None

    def start(self):
        self.redactor.add(SECRET, "planted")  # as the real run registers what it reads
        target = Target(provider="emulated", fqdn="sovereign.test",
                        api_server=f"https://admin:{{SECRET}}@127.0.0.1:6443")
        steps = [StepResult(id=s.id, number=s.number, title=s.title) for s in STEPS]
        self.report = CycleReport(cycle="t7", target=target, steps=steps,
                                  harness={{"version": "9.9.9"}})

    def run_step(self, number):
        step = STEPS[number - 1]
        base = dict(id=step.id, number=step.number, title=step.title)
        if number == 1:
            result = StepResult(**base, status=StepStatus.PASS, progress="1 node Ready",
                                evidence=[
                Evidence(name="nodes", text=f"node-1 Ready (joined with {{SECRET}})"),
                Evidence(name="kubeconfig user", content_type="application/json",
                         text=json.dumps({{"user": "admin", "pass": SECRET}}))])
        elif number == 2:
            result = StepResult(**base, status=StepStatus.FAIL, progress="0/1 agents Ready",
                                findings=[Finding(
                code="pod.crashloop", subject=Subject(kind="Pod", namespace="kube-system",
                                                      name="cilium-x1"),
                message="container cilium-agent of pod kube-system/cilium-x1 crashes",
                hint="read its log", evidence={{"last_log": f"auth failed for {{SECRET}}"}})])
        else:
            result = StepResult(**base, status=StepStatus.BLOCKED, blocked_by="02-cni-ready",
                                progress="blocked by 02 (pod.crashloop)")
        self.report = self.report.with_step(result)
        return result

    def finish(self):
        return self.report

    def close(self):
        pass


e2e.plugin.JourneySession = FakeSession
'''

JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""


def _results(alluredir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in alluredir.glob("*-result.json"):
        data = json.loads(path.read_text())
        out[data["name"]] = data
    return out


def _attachments(alluredir: Path, result: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: (alluredir / a["source"]).read_text() for a in result["attachments"]}


@dataclass(frozen=True)
class Run:
    ret: int
    stdout: str
    alluredir: Path


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One fake journey with --alluredir (steps 01-03), shared by the tests below."""
    where = tmp_path_factory.mktemp("allure-fake")
    (where / "conftest.py").write_text(FAKE_SESSION)
    (where / "test_journey.py").write_text(JOURNEY)
    alluredir = where / "allure-results"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--alluredir",
         str(alluredir), "-k", "cluster or cni or gateway", "--report-dir", str(where / "r")],
        cwd=where, capture_output=True, text=True, timeout=120, check=False)
    return Run(proc.returncode, proc.stdout + proc.stderr, alluredir)


def test_no_secret_in_any_allure_file(fake_run: Run) -> None:
    assert "1 failed, 1 passed, 1 skipped" in fake_run.stdout, fake_run.stdout
    alluredir = fake_run.alluredir
    files = [p for p in alluredir.rglob("*") if p.is_file()]
    assert len(files) > 5
    forms = {SECRET, base64.b64encode(SECRET.encode()).decode()}
    leaks = [(p.name, f) for p in files for f in forms if f in p.read_text(errors="replace")]
    assert not leaks
    # ...and not because nothing was attached: the planted values are there, masked.
    steps = _results(alluredir)
    one = _attachments(alluredir, steps["test_journey[01-cluster-reachable]"])
    assert one["nodes"] == "node-1 Ready (joined with [redacted:planted])"
    assert json.loads(one["kubeconfig user"])["pass"].startswith("[redacted")
    two = _attachments(alluredir, steps["test_journey[02-cni-ready]"])
    assert "last_log: auth failed for [redacted:planted]" in two["finding pod.crashloop"]
    env = (alluredir / "environment.properties").read_text()
    assert re.search(r"^target\.api_server=https://admin:\[redacted[^\]]*\]@127", env, re.M)


def test_attachments_categories_and_environment(fake_run: Run) -> None:
    alluredir = fake_run.alluredir
    steps = _results(alluredir)
    passed = steps["test_journey[01-cluster-reachable]"]
    failed = steps["test_journey[02-cni-ready]"]
    blocked = steps["test_journey[03-gateway-programmed]"]
    assert (passed["status"], failed["status"], blocked["status"]) == \
        ("passed", "failed", "skipped")

    one = _attachments(alluredir, passed)
    assert set(one) == {"step", "nodes", "kubeconfig user"}
    assert json.loads(one["step"])["status"] == "PASS"
    types = {a["name"]: a["type"] for a in passed["attachments"]}
    assert types == {"step": "application/json", "nodes": "text/plain",
                     "kubeconfig user": "application/json"}

    two = _attachments(alluredir, failed)
    assert [f["code"] for f in json.loads(two["findings"])] == ["pod.crashloop"]
    assert {"name": "tag", "value": "pod.crashloop"} in failed["labels"]
    message = failed["statusDetails"]["message"]
    assert message.startswith("Failed: pod.crashloop 02-cni-ready FAIL")
    # The category Allure will put it in: its code's, and only that one.
    doc = json.loads((alluredir / "categories.json").read_text())
    assert doc == categories()
    hits = [c["name"] for c in doc if re.fullmatch(c["messageRegex"], message, re.S)]
    assert hits == ["pod.crashloop: a container is in CrashLoopBackOff"]

    env = (alluredir / "environment.properties").read_text().splitlines()
    assert env[:2] == ["target.provider=emulated", "target.fqdn=sovereign.test"]
    assert env[3:] == ["cycle=t7", "harness.version=9.9.9"]


def test_target_that_never_came_up_still_gets_launch_files(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    alluredir = pytester.path / "allure-results"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir",
                                           str(alluredir), "--sovereign", "kind", "-k",
                                           "cluster", f"--report-dir={pytester.path / 'r'}")
    # A setup failure is a usage error before any test runs: no test result, but the
    # launch files still say what the launch targeted (and the cycle report says ERROR).
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (alluredir / "categories.json").is_file()
    env = (alluredir / "environment.properties").read_text()
    assert "target.provider=kind\n" in env
    assert _results(alluredir) == {}


# -- the pure parts -------------------------------------------------------------------------

def test_properties_escaping() -> None:
    text = properties_text({"target.fqdn": "sovereign.test", "odd key=x": " lead\\n\nnext",
                            "name": "Sövereign ☃ 𝄞", "url": "https://h:6443/p?a=b#c"})
    assert text.splitlines() == [
        "target.fqdn=sovereign.test",
        "odd\\ key\\=x=\\ lead\\\\n\\nnext",
        "name=S\\u00f6vereign \\u2603 \\ud834\\udd1e",
        "url=https://h:6443/p?a=b#c",
    ]
    assert text.isascii()


def test_environment_prefers_the_report_over_settings() -> None:
    report = CycleReport(cycle="t3", target=Target(provider="kubeconfig", fqdn="a.example",
                                                   api_server="https://api:6443"),
                         harness={"version": "1.2.3"})
    assert environment(report, provider="emulated", fqdn=None, cycle=None, version="0") == {
        "target.provider": "kubeconfig", "target.fqdn": "a.example",
        "target.api_server": "https://api:6443", "cycle": "t3", "harness.version": "1.2.3"}
    assert environment(None, provider="emulated", fqdn=None, cycle=None, version="0") == {
        "target.provider": "emulated", "harness.version": "0"}


def test_launch_files_are_redacted(tmp_path: Path) -> None:
    from e2e.report.render.allure import write_launch_files

    red = Redactor()
    red.add(SECRET, "planted")
    write_launch_files(tmp_path, {"target.fqdn": f"{SECRET}.example"}, red)
    assert (tmp_path / "environment.properties").read_text() == \
        "target.fqdn=[redacted:planted].example\n"
    write_launch_files(tmp_path / "ctl", None, red)  # the xdist controller: categories only
    assert [p.name for p in (tmp_path / "ctl").iterdir()] == ["categories.json"]
