"""Walk the steps: wait by watching, fail fast on a confirmed blocking Finding, detect stalls.

For one step the runner loops: evaluate the probe (reads watch-fed caches and HTTP);
DONE -> PASS. Otherwise run the step's diagnosers; a BLOCKING finding seen continuously
for `confirm_after` seconds -> FAIL (a CrashLoopBackOff does not get better by waiting;
the short confirmation absorbs the ordinary races of convergence). No change of the
progress fingerprint for `stall_after` -> STUCK; the deadline -> TIMEOUT. Between
evaluations it blocks on the informers' change signal with a timeout (never a bare sleep),
so it wakes as soon as a watched object changes, and polls HTTP with growing intervals.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import deadline as call_deadline
from ..diagnose import apis, causality, general
from ..diagnose import evidence as fallback
from ..errors import (
    E2EError,
    HarnessBroken,
    HTTPCallError,
    KubeUnauthorized,
    is_reachability_error,
)
from ..report.model import Evidence, Finding, Severity, StepResult, StepStatus
from .model import Progress, State, Step, StepContext

ProgressCallback = Callable[[Step, float, str], None]
log = logging.getLogger("sovereign_e2e.journey")


@dataclass(frozen=True)
class Timing:
    """How long to wait, per step, after config overrides."""

    confirm_after: float = 3.0  # a blocking finding must hold this long before FAIL...
    confirm_share: float = 0.01  # ...but no longer than this share of the step's timeout
    confirm_min: float = 1.0
    diagnose_every: float = 1.0  # diagnosers at most this often while the fingerprint holds
    diagnose_budget: float = 10.0  # seconds for one diagnoser's calls
    poll_min: float = 0.05

    def confirm_for(self, timeout: float) -> float:
        return max(min(self.confirm_after, self.confirm_share * timeout),
                   min(self.confirm_min, self.confirm_after))


def _now() -> datetime:
    return datetime.now(UTC)


class JourneyRunner:
    def __init__(self, steps: Sequence[Step], ctx: StepContext, *,
                 on_update: Callable[[StepResult], None] | None = None,
                 on_progress: ProgressCallback | None = None,
                 timing: Timing = Timing(), stall_cap: float | None = None) -> None:
        self.steps = {s.number: s for s in steps}
        # The target's own ceiling on stall windows (an explicit --step-stall still wins).
        self.stall_cap = stall_cap
        self.ctx = ctx
        self.on_update = on_update or (lambda r: None)
        self.on_progress = on_progress or (lambda s, e, d: None)
        self.timing = timing
        self.results: dict[int, StepResult] = {}

    # ---- public --------------------------------------------------------------------------
    def ensure(self, number: int) -> StepResult:
        """Run step `number` (after its needs, recursively) unless it already ran."""
        if number in self.results and self.results[number].status not in (
                StepStatus.PENDING, StepStatus.RUNNING):
            return self.results[number]
        step = self.steps[number]
        for need in step.needs:
            dep = self.ensure(need)
            if dep.status != StepStatus.PASS:
                return self._finish_blocked(step, dep)
        return self._run(step)

    def pending(self, step: Step) -> StepResult:
        return StepResult(id=step.id, number=step.number, title=step.title,
                          status=StepStatus.PENDING, started_at=None, ended_at=None,
                          attempts=0, waiting_for="", progress="", findings=[], evidence=[],
                          blocked_by=None, timeout_s=self._timeout(step),
                          stall_after_s=self._stall(step))

    # ---- internals -----------------------------------------------------------------------
    def _timeout(self, step: Step) -> float:
        return float(self.ctx.settings.timeout_for(step.id, step.timeout))

    def _stall(self, step: Step) -> float:
        default = step.stall_after if self.stall_cap is None else min(step.stall_after,
                                                                       self.stall_cap)
        return float(self.ctx.settings.stall_for(step.id, default))

    def blocked_text(self, dep: StepResult) -> str:
        """`blocked by 08 (FAIL: gitea.token-is-password)`; when the needed step was itself
        BLOCKED, its real status and the step at the root: `blocked by 09 (BLOCKED by 08,
        STUCK: flux.chart-pin-lag)`."""
        root = dep
        while root.status == StepStatus.BLOCKED and root.blocked_by:
            found = self.results.get(int(root.blocked_by[:2]))
            if found is None:
                break
            root = found
        cause = root.root_cause
        why = f"{root.status.value}: {cause.code}" if cause else root.status.value
        if root is dep:
            return f"blocked by {dep.number:02d} ({why})"
        return f"blocked by {dep.number:02d} (BLOCKED by {root.number:02d}, {why})"

    @staticmethod
    def _settle(step: Step, stall_after: float) -> float:
        """The step's settle window, at most a tenth of its stall window (a target that
        converges in seconds settles in seconds; a real cluster in the step's own time)."""
        return min(step.settle, stall_after / 10)

    def _finish_blocked(self, step: Step, dep: StepResult) -> StepResult:
        result = self.pending(step).model_copy(update={
            "status": StepStatus.BLOCKED, "blocked_by": dep.id,
            "progress": self.blocked_text(dep),
            "started_at": _now(), "ended_at": _now()})
        self.results[step.number] = result
        self.on_update(result)
        return result

    def _publish(self, result: StepResult) -> StepResult:
        self.results[result.number] = result
        self.on_update(result)
        return result

    def _run(self, step: Step) -> StepResult:
        timeout, stall_after = self._timeout(step), self._stall(step)
        started = time.monotonic()
        result = self._publish(self.pending(step).model_copy(update={
            "status": StepStatus.RUNNING, "started_at": _now()}))
        # Every call the step makes (probe, setup, diagnosers, informer syncs) is bounded
        # by its deadline: timeouts are clipped to it and no retry starts past it.
        with call_deadline.deadline(started + timeout):
            return self._wait(step, result, started, timeout, stall_after)

    def _wait(self, step: Step, result: StepResult, started: float, timeout: float,
              stall_after: float) -> StepResult:
        informers = self.ctx.sov.informers
        for gvr in step.watches:
            # Start the watches this step waits on; one not listable yet (a CRD still
            # missing) is the probe's to report.
            with contextlib.suppress(E2EError):
                informers(gvr)

        deadline = started + timeout
        confirm = self.timing.confirm_for(timeout)
        last_fp: str | None = None
        last_change = started
        blocking_since: dict[str, float] = {}
        last_diag = 0.0
        findings: list[Finding] = []
        attempts = 0
        interval = self.timing.poll_min
        watched = tuple(step.watches)
        seen = informers.snapshot(watched)
        progress = Progress.waiting("not evaluated yet")
        settle = self._settle(step, stall_after)
        done_fp: str | None = None
        done_since = started
        set_up = step.setup is None
        # Since when the target has not been reachable (None: it answers), and why.
        unreachable_since: float | None = None
        unreachable: E2EError | None = None
        while True:
            attempts += 1
            now = time.monotonic()
            try:
                if not set_up:
                    assert step.setup is not None
                    try:
                        step.setup(self.ctx)
                    except E2EError as e:
                        if is_reachability_error(e):
                            raise
                        # A kind the action writes may not be served: say so before the
                        # bare refusal.
                        try:
                            served = apis.not_served(self.ctx.sov, step.watches)
                        except Exception:
                            served = []
                        return self._end(result, StepStatus.FAIL, f"setup failed: {e}",
                                         [*served, _setup_finding(step, e)], [], attempts)
                    set_up = True
                progress = step.probe(self.ctx)
                unreachable_since, unreachable = None, None
            except KubeUnauthorized as e:
                progress = Progress.blocked(str(e), _rbac_finding(e))
            except HarnessBroken as e:
                return self._end(result, StepStatus.FAIL, f"harness error: {e}",
                                 [_harness_error(step, e)], [], attempts)
            except E2EError as e:
                if is_reachability_error(e):
                    # The path to the platform failed (after the clients' retries): not
                    # progress, and not the platform's verdict. Its fingerprint is fixed, so
                    # changing error texts cannot look like progress.
                    unreachable = e
                    if unreachable_since is None:
                        unreachable_since = now
                    progress = Progress.waiting(f"unreachable: {e}", fingerprint="unreachable")
                else:
                    # The platform is not answering the way the step needs yet: that is
                    # progress state; its text is the fingerprint.
                    progress = Progress.waiting(f"{type(e).__name__}: {e}")
            except Exception as e:
                # A probe bug must end the step with the cause, never leave it RUNNING.
                return self._end(result, StepStatus.FAIL, f"harness error: {e}",
                                 [_harness_error(step, e)], [], attempts)
            probed_at = time.monotonic()
            if progress.state == State.DONE:
                # A pass must be stable: the same done state for the settle window.
                if progress.fingerprint != done_fp:
                    done_fp, done_since = progress.fingerprint, now
                if now - done_since >= settle:
                    return self._end(result, StepStatus.PASS, progress.description, [],
                                     list(progress.evidence), attempts)
                progress = Progress.waiting(
                    f"settling ({now - done_since:.1f}s of {settle:.1f}s): "
                    f"{progress.description}", fingerprint=f"settle|{done_fp}")
            else:
                done_fp = None
            if progress.fingerprint != last_fp:
                last_fp, last_change = progress.fingerprint, now
                last_diag = 0.0  # new state: diagnose it now
            if unreachable is None and (now - last_diag >= self.timing.diagnose_every or
                                        progress.state == State.BLOCKED):
                findings = _dedupe(list(progress.findings) + self._diagnose(step))
                last_diag = now
            else:
                findings = _dedupe(list(progress.findings) + [
                    f for f in findings if f not in progress.findings])
            now = time.monotonic()  # probes and diagnosers took time: judge by the clock now
            if unreachable is not None and unreachable_since is not None and (
                    now - unreachable_since >= stall_after or now >= deadline):
                # Unreachable past the bound: the step ends, blaming the path, not the
                # platform (a Finding another step's diagnosers made stays as evidence).
                return self._end(result, StepStatus.FAIL,
                                 f"unreachable for {now - unreachable_since:.0f}s: "
                                 f"{unreachable}",
                                 [_unreachable_finding(step, unreachable,
                                                       now - unreachable_since)] +
                                 [f for f in findings if f.severity != Severity.BLOCKING],
                                 list(progress.evidence), attempts)
            blocking = [f for f in findings if f.severity == Severity.BLOCKING]
            keys = {_key(f) for f in blocking}
            blocking_since = {k: blocking_since.get(k, now) for k in keys}
            confirmed = [f for f in blocking
                         if now - blocking_since[_key(f)] >= confirm]
            if confirmed:
                return self._end(result, StepStatus.FAIL, progress.description,
                                 _blocking_first(findings), list(progress.evidence), attempts)
            # Stalled means the probe saw no progress for the window (judged when it ran:
            # slow diagnosers after it must not turn a moving step into STUCK).
            if probed_at - last_change >= stall_after:
                return self._end(result, StepStatus.STUCK,
                                 f"no progress for {stall_after:.0f}s: {progress.description}",
                                 _blocking_first(findings), list(progress.evidence), attempts)
            if now >= deadline:
                return self._end(result, StepStatus.TIMEOUT,
                                 f"timed out after {timeout:.0f}s: {progress.description}",
                                 _blocking_first(findings), list(progress.evidence), attempts)
            self.on_progress(step, now - started, progress.description)
            # Wake on any watched change, or when the next check is due.
            wake_in = min(interval, deadline - now, max(0.0, last_change + stall_after - now))
            if done_fp is not None:
                wake_in = min(wake_in, max(0.01, done_since + settle - now))
            if blocking:
                wake_in = min(wake_in, max(0.01, min(
                    blocking_since[_key(f)] + confirm - now
                    for f in blocking)))
            new = informers.wait_for_change(watched, seen, wake_in)
            if new != seen:
                interval = self.timing.poll_min
                # Debounce: a burst of events (a release applying 20 objects) is one change.
                seen = informers.wait_for_change(watched, new, 0.02)
            else:
                interval = min(step.poll_max, interval * 2)

    def _diagnose(self, step: Step) -> list[Finding]:
        out: list[Finding] = []
        for diagnoser in step.diagnosers:
            try:
                # A diagnoser whose calls cannot get through must not hold the step: its
                # calls share a budget (inside the step's deadline), then it is skipped.
                with call_deadline.deadline(time.monotonic() + self.timing.diagnose_budget):
                    out.extend(diagnoser(self.ctx))
            except Exception as e:  # diagnosers never fail a step; a broken one says why
                log.warning("diagnoser %s of %s failed: %s: %s",
                            getattr(diagnoser, "__name__", diagnoser), step.id,
                            type(e).__name__, self.ctx.sov.redactor.redact_text(str(e)))
        return out

    def _explain(self, step: Step, findings: list[Finding], progress: str) -> list[Finding]:
        """A step that did not pass always names a cause: the cluster-wide diagnosers first
        (evidence may sit outside what the step watches: a failed Job read at step 05), else
        the `stuck.no-progress` fallback with the evidence an on-call engineer reads."""
        sov = self.ctx.sov
        if any(f.severity == Severity.BLOCKING for f in findings):
            try:
                return _blocking_first(causality.upstream_first(sov, findings))
            except Exception as e:  # ordering is a refinement; the findings stand
                log.warning("ordering findings of %s failed: %s", step.id, type(e).__name__)
                return findings
        extra: list[Finding] = []
        try:
            extra = general.cluster_findings(sov, step.watches, progress)
            if not any(f.severity == Severity.BLOCKING for f in extra):
                extra.append(fallback.no_progress(self.ctx.sov, step.watches, progress))
        except Exception as e:  # explaining never fails a step; a broken explainer says why
            log.warning("explaining %s failed: %s: %s", step.id, type(e).__name__,
                        self.ctx.sov.redactor.redact_text(str(e)))
        if not findings and not extra:
            extra = [fallback.bare_no_progress(progress)]
        return _blocking_first(_dedupe(findings + extra))

    def _end(self, result: StepResult, status: StepStatus, progress: str,
             findings: list[Finding], evidence: list[Evidence], attempts: int) -> StepResult:
        if status in (StepStatus.FAIL, StepStatus.STUCK, StepStatus.TIMEOUT):
            step = self.steps[result.number]
            findings = self._explain(step, findings, progress)
        red = self.ctx.sov.redactor
        return self._publish(result.model_copy(update={
            "status": status, "ended_at": _now(), "attempts": attempts,
            "progress": red.redact_text(progress),
            "findings": [f.model_copy(update={
                "message": red.redact_text(f.message), "hint": red.redact_text(f.hint),
                "evidence": red.redact(dict(f.evidence))}) for f in findings],
            "evidence": [e.model_copy(update={"text": red.redact_text(e.text)})
                         for e in evidence]}))


def _key(f: Finding) -> str:
    return f"{f.code}|{f.subject}"


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if _key(f) not in seen:
            seen.add(_key(f))
            out.append(f)
    return out


def _blocking_first(findings: list[Finding]) -> list[Finding]:
    order = {Severity.BLOCKING: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: order.get(f.severity, 3))


def _setup_finding(step: Step, e: E2EError) -> Finding:
    return Finding(code="step.setup-failed", severity=Severity.BLOCKING, subject=None,
                   message=f"step {step.id} could not do its action: {e}",
                   hint="read the message: it names what refused the action (a platform "
                        "endpoint, a missing Secret, the API server)", evidence={})


def _unreachable_finding(step: Step, e: E2EError, seconds: float) -> Finding:
    """The target could not be reached: a net.* Finding, never one that blames the
    platform. Which path failed decides the code."""
    http = isinstance(e, HTTPCallError)
    what = "the Sovereign's gateway (platform HTTP)" if http else "the Kubernetes API"
    return Finding(code="net.gateway-unreachable" if http else "net.api-unreachable",
                   severity=Severity.BLOCKING, subject=None,
                   message=f"{step.id}: {what} did not answer for {seconds:.0f}s, after "
                           f"retries: {e}",
                   hint="check the network path from the harness to the target (VPN, "
                        "proxy, load balancer, API server health) and rerun; this says "
                        "nothing about the platform itself",
                   evidence={"error": type(e).__name__})


def _harness_error(step: Step, e: Exception) -> Finding:
    return Finding(code="harness.probe-error", severity=Severity.BLOCKING, subject=None,
                   message=f"the harness's probe for {step.id} failed: {type(e).__name__}: {e}",
                   hint="a harness bug, not a platform fault: file it with this report",
                   evidence={"exception": type(e).__name__})


def _rbac_finding(e: KubeUnauthorized) -> Finding:
    return Finding(code="kube.rbac-denied", severity=Severity.BLOCKING, subject=None,
                   message=f"the Kubernetes API refused the harness: {e}",
                   hint="give the harness's identity read access (get/list/watch) to the "
                        "resource named in the message, or use an admin kubeconfig",
                   evidence={"path": e.path})
