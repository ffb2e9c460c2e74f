"""The model: verdict derivation, first failure, JSON round trip, cycle ids."""

from __future__ import annotations

import json

import pytest

from e2e.report.model import (
    CycleReport,
    Severity,
    StepStatus,
    Subject,
    Verdict,
    cycle_number,
    sort_cycle_ids,
)
from tests.report.conftest import BuildReport, make_finding

S = StepStatus


@pytest.mark.parametrize(("statuses", "default", "verdict"), [
    ({}, S.PASS, Verdict.PASS),
    ({}, S.PENDING, Verdict.IN_FLIGHT),
    ({5: S.RUNNING}, S.PENDING, Verdict.IN_FLIGHT),
    ({16: S.RUNNING}, S.PASS, Verdict.IN_FLIGHT),
    ({5: S.FAIL}, S.PASS, Verdict.FAIL),
    ({5: S.STUCK, 6: S.BLOCKED}, S.PASS, Verdict.STUCK),
    ({5: S.TIMEOUT}, S.PENDING, Verdict.TIMEOUT),
    # BLOCKED as the first non-passing step counts as FAIL.
    ({5: S.BLOCKED}, S.PASS, Verdict.FAIL),
    # The first non-passing step by number decides, in-flight steps ignored.
    ({3: S.RUNNING, 7: S.STUCK, 9: S.FAIL}, S.PASS, Verdict.STUCK),
    ({3: S.PENDING, 9: S.TIMEOUT, 10: S.FAIL}, S.PASS, Verdict.TIMEOUT),
])
def test_verdict_derivation(build_report: BuildReport, statuses: dict[int, StepStatus],
                            default: StepStatus, verdict: Verdict) -> None:
    assert build_report("t1", statuses, default=default).verdict is verdict


def test_pass_needs_every_expected_step(build_report: BuildReport) -> None:
    assert build_report(steps=15).verdict is Verdict.IN_FLIGHT
    assert build_report(steps=0).verdict is Verdict.IN_FLIGHT
    short = build_report(steps=3).with_updates(expected_steps=3)
    assert short.verdict is Verdict.PASS


def test_first_failure_names_step_and_blocking_finding(build_report: BuildReport) -> None:
    report = build_report("t4", {6: S.RUNNING, 9: S.FAIL, 10: S.BLOCKED}, default=S.PASS)
    warning = make_finding("pod.restart-count", severity=Severity.WARNING)
    step = report.step("09-step-9")
    report = report.with_step(step.model_copy(update={"findings": [warning, *step.findings]}))
    failure = report.first_failure
    assert failure is not None
    assert (failure.step, failure.status) == ("09-step-9", S.FAIL)
    assert failure.finding is not None and failure.finding.code == "gitea.token-is-password"
    assert [f.code for f in report.findings] == ["pod.restart-count", "gitea.token-is-password"]


def test_first_failure_of_blocked_step_names_what_it_waited_on(
        build_report: BuildReport) -> None:
    failure = build_report("t1", {4: S.BLOCKED}).first_failure
    assert failure is not None and failure.finding is None
    assert failure.blocked_by == "03-step-3"


def test_no_first_failure_while_in_flight_or_passed(build_report: BuildReport) -> None:
    assert build_report().first_failure is None
    in_flight = build_report("t2", {1: S.PASS, 2: S.RUNNING}, default=S.PENDING)
    assert in_flight.first_failure is None
    assert in_flight.stopping_step is not None and in_flight.stopping_step.id == "02-step-2"


def test_json_round_trip_keeps_everything(build_report: BuildReport) -> None:
    report = build_report("t23", {5: S.STUCK, 6: S.BLOCKED}, default=S.PASS)
    text = report.to_json()
    data = json.loads(text)
    assert data["apiVersion"] == "sovereign-e2e/v1alpha1" and data["kind"] == "CycleReport"
    assert data["verdict"] == "STUCK"
    assert data["first_failure"]["finding"]["code"] == "flux.chart-pin-lag"
    assert data["steps"][0]["duration_s"] == 31.0
    back = CycleReport.from_json(text)
    assert back == report
    assert back.to_json() == text


def test_derived_fields_in_json_are_not_trusted(build_report: BuildReport) -> None:
    data = json.loads(build_report("t3", {2: S.FAIL}).to_json())
    data["verdict"] = "PASS"
    data["first_failure"] = None
    back = CycleReport.from_dict(data)
    assert back.verdict is Verdict.FAIL


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "not valid JSON"),
    ('{"apiVersion": "sovereign-e2e/v2", "kind": "CycleReport"}', "unknown schema: apiVersion"),
    ('{"apiVersion": "sovereign-e2e/v1alpha1", "kind": "Other"}', "unknown schema: kind"),
    ('{"apiVersion": "sovereign-e2e/v1alpha1", "kind": "CycleReport", "cycle": "t01"}', "cycle"),
])
def test_from_json_rejects_with_one_line(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        CycleReport.from_json(text)
    assert "\n" not in str(info.value)


def test_models_are_frozen(build_report: BuildReport) -> None:
    report = build_report()
    with pytest.raises(ValueError):
        report.cycle = "t2"  # type: ignore[misc]
    with pytest.raises(ValueError):
        report.steps[0].status = S.FAIL  # type: ignore[misc]


def test_duplicate_step_ids_rejected(build_report: BuildReport) -> None:
    report = build_report(steps=2)
    with pytest.raises(ValueError, match="duplicate step ids"):
        report.with_updates(steps=[report.steps[0], report.steps[0]])


def test_steps_kept_in_number_order(build_report: BuildReport) -> None:
    report = build_report(steps=3)
    shuffled = report.with_updates(steps=list(reversed(report.steps)))
    assert [s.number for s in shuffled.steps] == [1, 2, 3]


def test_naive_timestamps_are_utc(build_report: BuildReport) -> None:
    data = {**build_report().to_dict(), "started_at": "2026-01-01T00:00:00"}
    report = CycleReport.from_dict(data)
    assert report.started_at is not None and report.started_at.utcoffset() is not None


def test_subject_str() -> None:
    assert str(Subject(kind="Secret", namespace="gitea", name="admin")) == "Secret/gitea/admin"
    assert str(Subject(kind="Organization", name="acme")) == "Organization/acme"


def test_cycle_ids_sort_numerically() -> None:
    assert sort_cycle_ids(["t10", "t9", "t100", "t1"]) == ["t1", "t9", "t10", "t100"]
    assert cycle_number("t23") == 23
    for bad in ("23", "t", "t0", "t01", "T3", "t3.json", "../t3"):
        with pytest.raises(ValueError):
            cycle_number(bad)


def test_verdict_value_is_hyphenated() -> None:
    assert Verdict.IN_FLIGHT.value == "IN-FLIGHT" and str(Verdict.IN_FLIGHT) == "IN-FLIGHT"
    # Multi-word values are hyphenated like the verdict; single words equal their names.
    assert {s.value for s in StepStatus} == {s.name.replace("_", "-") for s in StepStatus}
    assert StepStatus.NOT_RUN.value == "NOT-RUN"


def test_a_step_not_run_hides_no_later_failure() -> None:
    from datetime import UTC, datetime

    from e2e.report.model import CycleReport, StepResult, Target

    now = datetime.now(UTC)

    def step(n: int, status: StepStatus) -> StepResult:
        return StepResult(id=f"{n:02d}-s{n}", number=n, title="t", status=status,
                          started_at=now, ended_at=now)

    base = CycleReport(cycle="t1", target=Target(provider="p", fqdn="f"), started_at=now,
                       steps=[step(1, StepStatus.PASS), step(2, StepStatus.NOT_RUN),
                              step(3, StepStatus.FAIL)], expected_steps=3)
    assert base.verdict is Verdict.FAIL
    assert base.first_failure is not None and base.first_failure.step == "03-s3"
    partial = base.with_step(step(3, StepStatus.PASS))
    assert partial.verdict is Verdict.INCOMPLETE


def test_a_setup_error_makes_the_verdict_error_whatever_the_steps(
        build_report: BuildReport) -> None:
    from e2e.report.model import SetupError

    report = build_report("t5", default=StepStatus.NOT_RUN).with_updates(
        setup_error=SetupError(action="attach to the cluster", message="unreachable",
                               hint="check --kubeconfig", evidence={"kubeconfig": "kc"}))
    assert report.verdict is Verdict.ERROR
    assert report.first_failure is None
    assert not report.verdict.platform_verdict and report.verdict.completed
    again = CycleReport.from_json(report.to_json())
    assert again.setup_error == report.setup_error and again.verdict is Verdict.ERROR
