"""Go/no-go from the latest cycles."""

from __future__ import annotations

import json

import pytest

from e2e.report.model import Severity, StepStatus
from e2e.report.signoff import signoff
from tests.report.conftest import BuildReport, make_finding

S = StepStatus


def test_go_on_clean_latest_pass(build_report: BuildReport) -> None:
    decision = signoff([build_report("t14", {7: S.FAIL}), build_report("t15")])
    assert decision.go and decision.exit_code == 0 and decision.cycles == ("t15",)
    assert decision.format() == "GO (cycles considered: t15)\n"


def test_no_go_names_cycle_step_code_and_hint(build_report: BuildReport) -> None:
    decision = signoff([build_report("t15"), build_report("t16", {5: S.STUCK, 6: S.BLOCKED})])
    assert not decision.go and decision.exit_code == 1
    (reason,) = decision.reasons
    assert (reason.cycle, reason.step, reason.code, reason.hint) == \
        ("t16", "05-step-5", "flux.chart-pin-lag", "fix for flux.chart-pin-lag")
    assert "t16 at 05-step-5: flux.chart-pin-lag (STUCK) — fix for flux.chart-pin-lag" \
        in decision.format()


def test_no_go_while_latest_in_flight(build_report: BuildReport) -> None:
    decision = signoff([build_report("t19"),
                        build_report("t20", {1: S.PASS, 2: S.RUNNING}, default=S.PENDING)])
    assert not decision.go
    (reason,) = decision.reasons
    assert reason.cycle == "t20" and reason.step == "02-step-2"
    assert "IN-FLIGHT" in reason.message


def test_pass_with_blocking_finding_is_no_go(build_report: BuildReport) -> None:
    report = build_report("t3")
    step = report.step("10-step-10")
    report = report.with_step(step.model_copy(update={"findings": [
        make_finding("pod.probe-404"), make_finding("pod.restarts", severity=Severity.WARNING)]}))
    decision = signoff([report])
    assert not decision.go
    assert [(r.step, r.code) for r in decision.reasons] == [("10-step-10", "pod.probe-404")]


def test_warnings_do_not_block(build_report: BuildReport) -> None:
    report = build_report("t3")
    step = report.step("10-step-10").model_copy(update={"findings": [
        make_finding("pod.restarts", severity=Severity.WARNING)]})
    assert signoff([report.with_step(step)]).go


def test_require_consecutive_passes(build_report: BuildReport) -> None:
    reports = [build_report("t1", {3: S.FAIL}), build_report("t2"), build_report("t3")]
    assert signoff(reports, require_passes=2).go
    no = signoff(reports, require_passes=3)
    assert not no.go and no.cycles == ("t1", "t2", "t3")
    assert [r.cycle for r in no.reasons] == ["t1"]
    too_few = signoff(reports[1:], require_passes=3)
    assert not too_few.go and "3 consecutive passing cycles required" in too_few.format()
    with pytest.raises(ValueError):
        signoff(reports, require_passes=0)


def test_blocked_without_cause_and_json(build_report: BuildReport) -> None:
    decision = signoff([build_report("t4", {2: S.BLOCKED})])
    data = json.loads(decision.to_json())
    assert data["decision"] == "NO-GO"
    assert data["reasons"][0]["step"] == "02-step-2"
    assert "blocked by 01-step-1" in data["reasons"][0]["message"]


def test_no_reports_is_no_go() -> None:
    assert not signoff([]).go
