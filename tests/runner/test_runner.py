"""The runner's contract: PASS, FAIL on a confirmed blocking finding, STUCK, TIMEOUT,
BLOCKED, without waiting out timeouts, and waking on watched changes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from e2e.config import Settings
from e2e.journey.model import JourneyState, Progress, Step, StepContext
from e2e.journey.runner import JourneyRunner, Timing
from e2e.kube.gvr import EVENTS, PODS
from e2e.kube.informer import Changes
from e2e.redact import Redactor
from e2e.report.model import Finding, Severity, StepStatus


@dataclass
class FakeInformers:
    changes: Changes = field(default_factory=Changes)

    def __call__(self, gvr: Any) -> None:
        return None

    def snapshot(self, gvrs: tuple[Any, ...]) -> tuple[int, ...]:
        return self.changes.snapshot(gvrs)

    def wait_for_change(self, gvrs: tuple[Any, ...], seen: tuple[int, ...],
                        timeout: float) -> tuple[int, ...]:
        return self.changes.wait(gvrs, seen, timeout)


@dataclass
class FakeSov:
    informers: FakeInformers = field(default_factory=FakeInformers)
    redactor: Redactor = field(default_factory=Redactor)


def ctx() -> StepContext:
    return StepContext(FakeSov(), JourneyState(), Settings())  # type: ignore[arg-type]


FAST = Timing(confirm_after=0.2, diagnose_every=0.05, poll_min=0.01)


def finding(code: str = "pod.crashloop") -> Finding:
    return Finding(code=code, severity=Severity.BLOCKING, subject=None, message="broken",
                   hint="fix it", evidence={})


def test_pass_after_progress() -> None:
    calls = {"n": 0}

    def probe(c: StepContext) -> Progress:
        calls["n"] += 1
        return Progress.done("ok") if calls["n"] >= 3 else Progress.waiting(f"n={calls['n']}")

    step = Step(1, "one", "t", probe, timeout=5, stall_after=5, poll_max=0.02)
    result = JourneyRunner([step], ctx(), timing=FAST).ensure(1)
    assert result.status is StepStatus.PASS
    assert result.attempts == 3


def test_blocking_finding_fails_fast_after_confirmation() -> None:
    step = Step(1, "one", "t", lambda c: Progress.waiting("waiting"), timeout=60,
                stall_after=60, diagnosers=(lambda c: [finding()],), poll_max=0.02)
    started = time.monotonic()
    result = JourneyRunner([step], ctx(), timing=FAST).ensure(1)
    elapsed = time.monotonic() - started
    assert result.status is StepStatus.FAIL
    assert result.findings[0].code == "pod.crashloop"
    assert 0.2 <= elapsed < 2.0  # confirmed, not the 60 s timeout


def test_transient_blocking_finding_does_not_fail() -> None:
    seen = {"n": 0}

    def diag(c: StepContext) -> list[Finding]:
        seen["n"] += 1
        return [finding()] if seen["n"] <= 2 else []

    calls = {"n": 0}

    def probe(c: StepContext) -> Progress:
        calls["n"] += 1
        return Progress.done("ok") if calls["n"] > 20 else Progress.waiting(str(calls["n"]))

    step = Step(1, "one", "t", probe, timeout=30, stall_after=30, diagnosers=(diag,),
                poll_max=0.01)
    assert JourneyRunner([step], ctx(), timing=FAST).ensure(1).status is StepStatus.PASS


def test_no_progress_is_stuck() -> None:
    step = Step(1, "one", "t", lambda c: Progress.waiting("same"), timeout=60,
                stall_after=0.3, poll_max=0.05)
    result = JourneyRunner([step], ctx(), timing=FAST).ensure(1)
    assert result.status is StepStatus.STUCK
    assert "no progress" in result.progress
    # No diagnoser named a cause: the fallback does, with the step's last state.
    assert result.root_cause is not None and result.root_cause.code == "stuck.no-progress"
    assert "same" in result.root_cause.message


def test_deadline_is_timeout() -> None:
    n = {"i": 0}

    def probe(c: StepContext) -> Progress:
        n["i"] += 1
        return Progress.waiting(f"moving {n['i']}")  # always progressing, never done

    step = Step(1, "one", "t", probe, timeout=0.3, stall_after=10, poll_max=0.02)
    result = JourneyRunner([step], ctx(), timing=FAST).ensure(1)
    assert result.status is StepStatus.TIMEOUT
    assert [f.code for f in result.findings] == ["stuck.no-progress"]


def test_failed_need_blocks_dependents_with_code() -> None:
    failing = Step(1, "one", "t", lambda c: Progress.waiting("x"), timeout=30, stall_after=30,
                   diagnosers=(lambda c: [finding("gitea.token-is-password")],), poll_max=0.02)
    after = Step(2, "two", "t", lambda c: Progress.done("never"), needs=(1,))
    runner = JourneyRunner([failing, after], ctx(), timing=FAST)
    result = runner.ensure(2)
    assert result.status is StepStatus.BLOCKED
    assert result.blocked_by == "01-one"
    assert result.progress == "blocked by 01 (FAIL: gitea.token-is-password)"


def test_a_step_blocked_by_a_blocked_step_names_the_real_status_and_the_root() -> None:
    stuck = Step(1, "one", "t", lambda c: Progress.waiting("same"), timeout=30,
                 stall_after=0.1, poll_max=0.02)
    middle = Step(2, "two", "t", lambda c: Progress.done("never"), needs=(1,))
    last = Step(3, "three", "t", lambda c: Progress.done("never"), needs=(2,))
    runner = JourneyRunner([stuck, middle, last], ctx(), timing=FAST)
    assert runner.ensure(3).progress == "blocked by 02 (BLOCKED by 01, STUCK)"
    assert runner.results[2].progress == "blocked by 01 (STUCK)"


def test_wakes_on_watched_change_not_on_poll() -> None:
    c = ctx()
    flag = {"ready": False}

    def probe(_: StepContext) -> Progress:
        return Progress.done("ok") if flag["ready"] else Progress.waiting("not yet")

    def flip() -> None:
        time.sleep(0.3)
        flag["ready"] = True
        c.sov.informers.changes.bump(PODS)  # type: ignore[attr-defined]

    step = Step(1, "one", "t", probe, timeout=30, stall_after=30, poll_max=10.0,
                watches=(PODS,))
    threading.Thread(target=flip).start()
    started = time.monotonic()
    result = JourneyRunner([step], c, timing=Timing(poll_min=5.0)).ensure(1)
    assert result.status is StepStatus.PASS
    assert time.monotonic() - started < 2.0  # woke on the change, not after a 5 s poll


def test_results_are_redacted() -> None:
    c = ctx()
    c.sov.redactor.add("s3cr3t-value-123", "planted")
    step = Step(1, "one", "t", lambda _: Progress.waiting("token s3cr3t-value-123 refused"),
                timeout=30, stall_after=0.2, poll_max=0.02,
                diagnosers=(lambda _: [Finding(code="x", severity=Severity.WARNING,
                                               subject=None, message="s3cr3t-value-123",
                                               hint="h", evidence={"v": "s3cr3t-value-123"})],))
    result = JourneyRunner([step], c, timing=FAST).ensure(1)
    assert "s3cr3t-value-123" not in result.model_dump_json()


def test_unwatched_churn_does_not_wake_the_step() -> None:
    c = ctx()
    calls = {"n": 0}
    stop = threading.Event()

    def probe(_: StepContext) -> Progress:
        calls["n"] += 1
        return Progress.waiting(f"poll {calls['n']}")  # fingerprint moves: never stuck

    def churn() -> None:
        while not stop.is_set():
            c.sov.informers.changes.bump(EVENTS)  # type: ignore[attr-defined]
            stop.wait(0.005)

    threading.Thread(target=churn, daemon=True).start()
    step = Step(1, "one", "t", probe, timeout=1.0, stall_after=30, poll_max=0.5,
                watches=(PODS,))
    try:
        result = JourneyRunner([step], c, timing=FAST).ensure(1)
    finally:
        stop.set()
    assert result.status is StepStatus.TIMEOUT
    assert calls["n"] < 15  # ~200 unrelated events did not make ~200 probe calls


def test_a_probe_bug_fails_the_step_with_the_cause_not_running() -> None:
    def probe(_: StepContext) -> Progress:
        return {}.get("x").get("y")  # type: ignore[no-any-return, union-attr]

    after = Step(2, "two", "t", lambda _: Progress.done("x"), needs=(1,))
    runner = JourneyRunner([Step(1, "one", "t", probe), after], ctx(), timing=FAST)
    assert runner.ensure(2).status is StepStatus.BLOCKED
    first = runner.results[1]
    assert first.status is StepStatus.FAIL
    assert first.findings[0].code == "harness.probe-error"
    assert "AttributeError" in first.findings[0].message


def test_a_diagnoser_bug_is_not_a_step_failure() -> None:
    def broken(_: StepContext) -> list[Finding]:
        raise KeyError("boom")

    n = {"i": 0}

    def probe(_: StepContext) -> Progress:
        n["i"] += 1
        return Progress.done("ok") if n["i"] > 3 else Progress.waiting(str(n["i"]))

    step = Step(1, "one", "t", probe, diagnosers=(broken,), poll_max=0.01)
    assert JourneyRunner([step], ctx(), timing=FAST).ensure(1).status is StepStatus.PASS


def test_an_explicit_stall_window_beats_the_targets_cap() -> None:
    c = ctx()
    c.settings.step_stalls = {"01": 600.0}
    step = Step(1, "one", "t", lambda _: Progress.done("x"), stall_after=300)
    other = Step(2, "two", "t", lambda _: Progress.done("x"), stall_after=300)
    runner = JourneyRunner([step, other], c, stall_cap=15.0)
    assert runner.pending(step).stall_after_s == 600.0
    assert runner.pending(other).stall_after_s == 15.0
