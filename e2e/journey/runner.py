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

from ..diagnose import apis, causality, general
from ..diagnose import evidence as fallback
from ..errors import E2EError, HarnessBroken, KubeUnauthorized
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

    @staticmethod
    def _settle(step: Step, stall_after: float) -> float:
        """The step's settle window, at most a tenth of its stall window (a target that
        converges in seconds settles in seconds; a real cluster in the step's own time)."""
        return min(step.settle, stall_after / 10)

    def root_code(self, result: StepResult) -> str:
        """The code that explains a non-passing step, following BLOCKED chains."""
        if result.status == StepStatus.BLOCKED and result.blocked_by:
            dep = self.results.get(int(result.blocked_by[:2]))
            if dep is not None:
                return self.root_code(dep)
        cause = result.root_cause
        return cause.code if cause else result.status.value

    def _finish_blocked(self, step: Step, dep: StepResult) -> StepResult:
        code = self.root_code(dep)
        result = self.pending(step).model_copy(update={
            "status": StepStatus.BLOCKED, "blocked_by": dep.id,
            "progress": f"blocked by {dep.number:02d} ({code})",
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
        informers = self.ctx.sov.informers
        for gvr in step.watches:
            # Start the watches this step waits on; one not listable yet (a CRD still
            # missing) is the probe's to report.
            with contextlib.suppress(E2EError):
                informers(gvr)
        try:
            if step.setup is not None:
                step.setup(self.ctx)
        except E2EError as e:
            # A kind the action writes may not be served: say so before the bare refusal.
            try:
                served = apis.not_served(self.ctx.sov, step.watches)
            except Exception:
                served = []
            return self._end(result, StepStatus.FAIL, f"setup failed: {e}",
                             [*served, _setup_finding(step, e)], [], 0)
        except Exception as e:
            return self._end(result, StepStatus.FAIL, f"harness error in setup: {e}",
                             [_harness_error(step, e)], [], 0)

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
        while True:
            attempts += 1
            now = time.monotonic()
            try:
                progress = step.probe(self.ctx)
            except KubeUnauthorized as e:
                progress = Progress.blocked(str(e), _rbac_finding(e))
            except HarnessBroken as e:
                return self._end(result, StepStatus.FAIL, f"harness error: {e}",
                                 [_harness_error(step, e)], [], attempts)
            except E2EError as e:
                # The platform (or the path to it) is not answering yet: that is progress
                # state, not a harness failure; its text is the fingerprint.
                progress = Progress.waiting(f"{type(e).__name__}: {e}")
            except Exception as e:
                # A probe bug must end the step with the cause, never leave it RUNNING.
                return self._end(result, StepStatus.FAIL, f"harness error: {e}",
                                 [_harness_error(step, e)], [], attempts)
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
            if now - last_diag >= self.timing.diagnose_every or \
                    progress.state == State.BLOCKED:
                findings = _dedupe(list(progress.findings) + self._diagnose(step))
                last_diag = now
            else:
                findings = _dedupe(list(progress.findings) + [
                    f for f in findings if f not in progress.findings])
            now = time.monotonic()  # probes and diagnosers took time: judge by the clock now
            blocking = [f for f in findings if f.severity == Severity.BLOCKING]
            keys = {_key(f) for f in blocking}
            blocking_since = {k: blocking_since.get(k, now) for k in keys}
            confirmed = [f for f in blocking
                         if now - blocking_since[_key(f)] >= confirm]
            if confirmed:
                return self._end(result, StepStatus.FAIL, progress.description,
                                 _blocking_first(findings), list(progress.evidence), attempts)
            if now - last_change >= stall_after and blocking:
                # A named blocking cause that flickered (a controller retrying) while nothing
                # else moved: the cause is known, so the step failed; it is not stuck.
                return self._end(result, StepStatus.FAIL,
                                 f"no progress for {stall_after:.0f}s: {progress.description}",
                                 _blocking_first(findings), list(progress.evidence), attempts)
            if now - last_change >= stall_after:
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
