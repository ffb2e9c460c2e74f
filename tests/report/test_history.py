"""The cycle log: grouping of consecutive cycles by verdict, stopping step and root cause."""

from __future__ import annotations

from e2e.report.history import cycle_log, format_history, history
from e2e.report.model import StepStatus, Verdict
from tests.report.conftest import BuildReport

S = StepStatus


def test_platform_cycle_log(build_report: BuildReport) -> None:
    reports = [
        build_report("t13", {7: S.FAIL}),
        build_report("t14", {7: S.FAIL}),
        build_report("t15"),
        *[build_report(f"t{n}", {5: S.STUCK, 6: S.BLOCKED}) for n in (16, 17, 18, 19)],
        build_report("t20", {1: S.PASS, 2: S.PASS, 3: S.RUNNING}, default=S.PENDING),
    ]
    entries = history(list(reversed(reports)))  # any input order
    assert cycle_log(entries) == ("t13-t14 FAIL: gitea.token-is-password, t15 PASS, "
                                  "t16-t19 STUCK: flux.chart-pin-lag, t20 IN-FLIGHT")
    assert [e.long for e in entries] == [
        "t13-t14 FAIL at 07-step-7: gitea.token-is-password",
        "t15 PASS",
        "t16-t19 STUCK at 05-step-5: flux.chart-pin-lag",
        "t20 IN-FLIGHT at 03-step-3",
    ]


def test_same_verdict_different_cause_is_not_grouped(build_report: BuildReport) -> None:
    entries = history([
        build_report("t1", {7: S.FAIL}),
        build_report("t2", {7: S.FAIL}, codes={7: "pod.secret-missing"}),
        build_report("t3", {9: S.FAIL}, codes={9: "pod.secret-missing"}),
        build_report("t4", {9: S.FAIL}, codes={9: "pod.secret-missing"}),
    ])
    assert cycle_log(entries) == ("t1 FAIL: gitea.token-is-password, t2 FAIL: pod.secret-missing,"
                                  " t3-t4 FAIL: pod.secret-missing")
    assert [e.step for e in entries] == ["07-step-7", "07-step-7", "09-step-9"]


def test_gaps_in_cycle_numbers_are_not_hidden(build_report: BuildReport) -> None:
    entries = history([build_report(c, {5: S.STUCK}) for c in ("t9", "t10", "t12")])
    assert len(entries) == 1 and entries[0].label == "t9,t10,t12"
    assert entries[0].verdict is Verdict.STUCK


def test_stuck_without_a_named_cause(build_report: BuildReport) -> None:
    report = build_report("t3", {5: S.STUCK})
    step = report.step("05-step-5").model_copy(update={"findings": []})
    entries = history([report.with_step(step)])
    assert entries[0].short == "t3 STUCK" and entries[0].long == "t3 STUCK at 05-step-5"


def test_format_history(build_report: BuildReport) -> None:
    text = format_history(history([build_report("t9"), build_report("t10", {4: S.TIMEOUT})]))
    assert text.splitlines() == [
        "t9   PASS       -",
        "t10  TIMEOUT    04-step-4  pod.probe-404",
        "",
        "cycle log: t9 PASS, t10 TIMEOUT: pod.probe-404",
    ]
