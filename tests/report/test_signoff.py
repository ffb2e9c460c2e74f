"""The release sign-off: GO only on clean passes of a real target, and a report that says
what was signed (target, platform, harness), how fast, what flaked, and why not."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from e2e.report.model import CycleReport, Platform, Severity, StepStatus, Verdict, Writer
from e2e.report.render.signoff import render_html, render_markdown
from e2e.report.signoff import signoff
from tests.report.conftest import T0, BuildReport, make_finding

S = StepStatus
V1 = Platform(charts={"flux-system/bp-gitea": "bp-gitea@1.1.2",
                      "flux-system/bp-newapi": "bp-newapi@1.4.11"}, ref="main@sha1:abc")
V2 = Platform(charts={"flux-system/bp-gitea": "bp-gitea@1.1.2",
                      "flux-system/bp-newapi": "bp-newapi@1.4.12"}, ref="main@sha1:def")


@pytest.fixture
def real(build_report: BuildReport) -> BuildReport:
    """Cycles against a real cluster (kubeconfig) that reported platform V1."""
    def build(*args: object, **kwargs: object) -> CycleReport:
        kwargs.setdefault("provider", "kubeconfig")
        kwargs.setdefault("platform", V1)
        return build_report(*args, **kwargs)
    return build


def slower(report: CycleReport, step_id: str, seconds: float) -> CycleReport:
    step = report.step(step_id)
    assert step.started_at is not None
    return report.with_step(step.model_copy(update={
        "ended_at": step.started_at + timedelta(seconds=seconds)}))


def test_go_on_a_clean_pass_names_what_was_signed(real: BuildReport) -> None:
    decision = signoff([real("t14", {7: S.FAIL}), real("t15")],
                       signed_by={"version": "0.1.0", "commit": "abc123"})
    assert decision.go and decision.exit_code == 0 and decision.cycles == ("t15",)
    assert decision.title.startswith("GO: release sign-off") and "emulated" not in decision.title
    assert decision.targets == ["kubeconfig"] and decision.platform == V1
    # 07 failed in t14 and passed in t15 on the same versions: listed, not a reason.
    assert [(f.step, f.failed_in, f.passed_in) for f in decision.flaky] == \
        [("07-step-7", ["t14"], ["t15"])]
    md = render_markdown(decision)
    for expected in ("# GO: release sign-off", "bp-newapi@1.4.11", "main@sha1:abc",
                     "signed by: commit `abc123`", "## Convergence per step (p50)",
                     "| `05-step-5` | 35.0s |", "## Flaky steps",
                     "`07-step-7`: failed in t14, passed in t15"):
        assert expected in md, expected


def test_incomplete_in_flight_and_error_cycles_do_not_count(real: BuildReport) -> None:
    # The reported bug: t6 INCOMPLETE (13/16) and t7 PASS was GO with --require-passes 2.
    t6 = real("t6", {14: S.NOT_RUN, 15: S.NOT_RUN, 16: S.NOT_RUN})
    assert t6.verdict is Verdict.INCOMPLETE
    decision = signoff([t6, real("t7")], require_passes=2)
    assert not decision.go and decision.exit_code == 1
    assert [(r.cycle, r.kind) for r in decision.reasons] == [("t6", "cycle")]
    assert "INCOMPLETE" in decision.reasons[0].message

    from e2e.report.model import SetupError
    error = real("t8", default=S.NOT_RUN).with_updates(setup_error=SetupError(
        action="attach to the cluster", message="API unreachable", hint="check --kubeconfig"))
    flight = real("t9", {1: S.PASS, 2: S.RUNNING}, default=S.PENDING).with_updates(
        writer=Writer(pid=1, host="h", heartbeat_at=T0))
    gone = flight.with_updates(cycle="t10", abandoned="no heartbeat for 99 min")
    decision = signoff([error, flight, gone], require_passes=3)
    messages = [r.message for r in decision.reasons if r.kind == "cycle"]
    assert messages[0].startswith("ERROR: setup failed while trying to attach to the cluster")
    assert messages[1].startswith("IN-FLIGHT") and messages[2].startswith("ABANDONED")
    assert decision.reasons[0].hint == "check --kubeconfig"


def test_every_root_cause_once_with_its_cycles(real: BuildReport) -> None:
    reports = [real("t16", {5: S.STUCK, 6: S.BLOCKED}), real("t17", {5: S.STUCK}),
               real("t18", {8: S.FAIL})]
    decision = signoff(reports, require_passes=3)
    by_code = {r.code: r for r in decision.reasons if r.kind == "root-cause"}
    assert set(by_code) == {"flux.chart-pin-lag", "gitea.token-is-password"}
    assert by_code["flux.chart-pin-lag"].cycles == ["t16", "t17"]
    assert by_code["flux.chart-pin-lag"].step == "05-step-5"
    assert by_code["flux.chart-pin-lag"].hint == "fix for flux.chart-pin-lag"
    assert render_markdown(decision).count("`flux.chart-pin-lag`") == 1


def test_emulated_cycles_need_allow_emulated_and_the_title_says_so(
        build_report: BuildReport) -> None:
    report = build_report("t3", platform=V1)
    refused = signoff([report])
    assert not refused.go and [r.kind for r in refused.reasons] == ["target"]
    allowed = signoff([report], allow_emulated=True)
    assert allowed.go and "emulated targets allowed" in allowed.title


def test_platform_must_be_known_and_one_version(real: BuildReport) -> None:
    unknown = signoff([real("t1", platform=None)])
    assert not unknown.go and unknown.reasons[0].kind == "platform"
    mixed = signoff([real("t1"), real("t2", platform=V2)], require_passes=2)
    assert not mixed.go
    (reason,) = mixed.reasons
    assert reason.kind == "platform" and "flux-system/bp-newapi" in reason.message


def test_p50_against_the_previous_signoff_names_regressions(real: BuildReport) -> None:
    previous = signoff([real("t1"), real("t2")], require_passes=2)
    assert previous.go
    now = [slower(real("t3"), "05-step-5", 120), slower(real("t4"), "05-step-5", 100),
           slower(real("t5"), "06-step-6", 37.5)]  # +1.5 s: under the 5 s floor
    decision = signoff(now, require_passes=3,
                       previous=previous)
    assert decision.baseline is not None and decision.baseline.cycles == ["t1", "t2"]
    timing = {t.step: t for t in decision.timings}
    assert timing["05-step-5"].p50_s == 100 and timing["05-step-5"].previous_p50_s == 35
    assert timing["05-step-5"].regression and not timing["06-step-6"].regression
    (reason,) = decision.reasons
    assert reason.kind == "regression" and reason.step == "05-step-5"
    assert "p50 100.0s against 35.0s" in reason.message
    # A looser threshold accepts it.
    assert signoff(now, require_passes=3, previous=previous, threshold=3.0).go


def test_without_a_record_the_passing_cycles_before_are_the_baseline(
        real: BuildReport) -> None:
    decision = signoff([real("t1"), real("t2", {3: S.FAIL}), slower(real("t3"), "02-step-2", 90)])
    assert decision.baseline is not None and decision.baseline.cycles == ["t1"]
    assert [r.step for r in decision.reasons] == ["02-step-2"]


def test_flaky_steps_fail_then_pass_on_the_same_versions(real: BuildReport) -> None:
    reports = [real("t1", {4: S.TIMEOUT}), real("t2"), real("t3", {6: S.FAIL}, platform=V2),
               real("t4", platform=V2)]
    decision = signoff(reports)
    flaky = {f.step: f for f in decision.flaky}
    assert set(flaky) == {"04-step-4", "06-step-6"}
    assert flaky["04-step-4"].failed_in == ["t1"] and flaky["04-step-4"].passed_in == ["t2"]
    assert not flaky["04-step-4"].on_signed_platform and flaky["06-step-6"].on_signed_platform
    assert decision.go  # listed for the release driver, not a reason by itself
    # A version change between the failure and the pass is not flakiness.
    assert signoff([real("t1", {6: S.FAIL}), real("t2", platform=V2)]).flaky == []


def test_pass_with_blocking_finding_is_no_go(real: BuildReport) -> None:
    report = real("t3")
    step = report.step("10-step-10")
    report = report.with_step(step.model_copy(update={"findings": [
        make_finding("pod.probe-404"), make_finding("pod.restarts", severity=Severity.WARNING)]}))
    decision = signoff([report])
    assert [(r.step, r.code) for r in decision.reasons] == [("10-step-10", "pod.probe-404")]


def test_too_few_cycles_and_bad_require_passes(real: BuildReport) -> None:
    too_few = signoff([real("t2"), real("t3")], require_passes=3)
    assert not too_few.go and "3 passing cycles required" in too_few.format()
    with pytest.raises(ValueError):
        signoff([real("t1")], require_passes=0)


def test_no_reports_is_no_go_in_every_format() -> None:
    decision = signoff([])
    assert not decision.go and decision.exit_code == 1
    assert json.loads(decision.to_json())["decision"] == "NO-GO"
    assert "no cycle reports" in render_markdown(decision)
    assert "no cycle reports" in render_html(decision)


def test_json_keeps_the_old_fields_and_round_trips(real: BuildReport) -> None:
    decision = signoff([real("t4", {2: S.BLOCKED})])
    data = json.loads(decision.to_json())
    assert data["decision"] == "NO-GO" and data["cycles"] == ["t4"]
    assert data["reasons"][0]["step"] == "02-step-2"
    assert "blocked by 01-step-1" in data["reasons"][0]["message"]
    assert {"platform", "harness", "timings", "flaky", "targets", "cycle_details"} <= set(data)
    assert type(decision).from_json(decision.to_json()).p50() == decision.p50()


def test_html_colours_the_decision_and_verdicts(real: BuildReport) -> None:
    page = render_html(signoff([real("t1", {5: S.STUCK})]))
    assert 'style="background:#cf222e">NO-GO' in page
    assert 'style="background:#bf8700">STUCK' in page
    assert "<script" not in page
