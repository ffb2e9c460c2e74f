"""Renderings: what each format shows, that it is well-formed, and that no secret leaks."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from e2e.redact import Redactor
from e2e.report.model import CycleReport, Evidence, StepStatus
from e2e.report.render import ReportFormat, render
from e2e.report.store import ReportStore
from tests.report.conftest import SECRETS, BuildReport

S = StepStatus


def _registered() -> Redactor:
    redactor = Redactor()
    for label, value in SECRETS.items():
        redactor.add(value, label)
    return redactor


def _forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode(), json.dumps(value)[1:-1]]


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_no_planted_secret_in_any_artifact(fmt: ReportFormat, secret_report: CycleReport,
                                           tmp_path: Path) -> None:
    # Through the store (as the runner writes) and straight from the model (as the CLI reads).
    ReportStore(tmp_path).save(secret_report, _registered())
    from_store = ReportStore(tmp_path).load("t7")
    for text in (render(secret_report, fmt, _registered()), render(from_store, fmt)):
        for value in SECRETS.values():
            for form in _forms(value):
                assert form not in text, f"{fmt}: secret form {form!r} leaked"
        assert "[redacted:" in text


def test_unregistered_shapes_are_still_masked_in_every_format(secret_report: CycleReport) -> None:
    for fmt in ReportFormat:
        text = render(secret_report, fmt)  # default Redactor: patterns only
        assert SECRETS["gitea-token"] not in text


def test_markdown_reads_like_a_report(build_report: BuildReport) -> None:
    report = build_report("t16", {5: S.STUCK, 6: S.BLOCKED}, default=S.PASS)
    step = report.step("05-step-5")
    report = report.with_step(step.model_copy(update={"evidence": [
        Evidence(name="helmrelease", content_type="text/yaml",
                 text="status:\n  conditions: ```odd```\n")]}))
    text = render(report, ReportFormat.MARKDOWN)
    assert text.startswith("# Cycle t16: ⏸️ STUCK\n")
    assert "**STUCK** at step 5 `05-step-5` (Step number 5): `flux.chart-pin-lag` on " \
           "`Secret/gitea/gitea-admin-secret`" in text
    assert "**Fix:** fix for flux.chart-pin-lag" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == 16
    assert "| 05 | Step number 5 `05-step-5` | ⏸️ STUCK | 35.0s | 1 | flux.chart-pin-lag |" in rows
    assert "| 06 | Step number 6 `06-step-6` | ⛔ BLOCKED | 36.0s | 1 | blocked by 05-step-5 |" \
        in rows
    assert "#### `flux.chart-pin-lag` (BLOCKING) on `Secret/gitea/gitea-admin-secret`" in text
    assert "### 06" not in text  # BLOCKED steps with nothing of their own: one line
    assert "Blocked, not run: `06-step-6` (needs `05-step-5`)" in text
    assert "````yaml\nstatus:\n  conditions: ```odd```\n````" in text  # fence outlasts evidence


def test_markdown_in_flight_and_pass(build_report: BuildReport) -> None:
    running = render(build_report("t20", {1: S.PASS, 2: S.RUNNING}, default=S.PENDING),
                     ReportFormat.MARKDOWN)
    assert "**IN-FLIGHT** at `02-step-2` (Step number 2): the cycle has not finished." in running
    assert "| 02 | Step number 2 `02-step-2` | 🔄 RUNNING | — | 1 | flux.chart-pin-lag |" \
        not in running
    passed = render(build_report("t15"), ReportFormat.MARKDOWN)
    assert "**PASS**: all 16 steps passed." in passed and "What went wrong" not in passed


def test_markdown_table_cells_cannot_break_the_table(build_report: BuildReport) -> None:
    report = build_report(steps=1).with_updates(expected_steps=1)
    report = report.with_step(report.steps[0].model_copy(update={"title": "a | b\nc"}))
    text = render(report, ReportFormat.MARKDOWN)
    assert "| 01 | a \\| b c `01-step-1` |" in text


def test_junit_one_testcase_per_step(build_report: BuildReport) -> None:
    report = build_report("t9", {3: S.FAIL, 4: S.BLOCKED, 5: S.STUCK, 6: S.TIMEOUT,
                                 7: S.RUNNING}, default=S.PASS)
    root = ET.fromstring(render(report, ReportFormat.JUNIT))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("16", "3", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert len(cases) == 16
    failure = cases["03-step-3"].find("failure")
    assert failure is not None and failure.get("type") == "FAIL"
    assert failure.get("message") == \
        "FAIL: gitea.token-is-password: gitea.token-is-password: Gitea answered 401 Unauthorized"
    assert "fix: fix for gitea.token-is-password" in (failure.text or "")
    skipped = cases["04-step-4"].find("skipped")
    assert skipped is not None and "03-step-3" in (skipped.get("message") or "")
    for name, kind in (("05-step-5", "STUCK"), ("06-step-6", "TIMEOUT")):
        node = cases[name].find("failure")
        assert node is not None and node.get("type") == kind
    assert cases["07-step-7"].find("skipped") is not None
    assert list(cases["01-step-1"]) == []
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == "FAIL" and props["cycle"] == "t9"


def test_junit_survives_control_characters(build_report: BuildReport) -> None:
    report = build_report("t1", {1: S.FAIL}, steps=1).with_updates(expected_steps=1)
    step = report.steps[0].model_copy(update={"progress": "bell\x07 and nul\x00"})
    ET.fromstring(render(report.with_step(step), ReportFormat.JUNIT))


def test_json_rendering_round_trips(secret_report: CycleReport) -> None:
    text = render(secret_report, ReportFormat.JSON, _registered())
    back = CycleReport.from_json(text)
    assert back.verdict is secret_report.verdict
    assert [s.status for s in back.steps] == [s.status for s in secret_report.steps]


def test_html_is_self_contained(secret_report: CycleReport) -> None:
    text = render(secret_report, ReportFormat.HTML, _registered())
    assert text.startswith("<!doctype html>") and "<script" not in text
    assert "Cycle t7: FAIL" in text and "gitea.token-is-password" in text
    assert text.count('class="bar"') == 16


def test_every_format_shows_a_setup_error(build_report: BuildReport) -> None:
    from e2e.report.model import SetupError

    report = build_report("t9", default=StepStatus.NOT_RUN).with_updates(
        setup_error=SetupError(action="attach to the cluster",
                               message="Kubernetes API https://10.0.0.1 unreachable",
                               hint="check --kubeconfig", evidence={"kubeconfig": "t9.yaml"}))
    for fmt in ReportFormat:
        text = render(report, fmt)
        assert "ERROR" in text and "attach to the cluster" in text, fmt
        assert "unreachable" in text and "check --kubeconfig" in text, fmt
        assert "t9.yaml" in text, fmt
