"""The release sign-off: what a release driver attaches to a release.

From the latest N cycle reports it decides GO or NO-GO and says what was signed: the
target of every cycle (GO is refused on the emulated Sovereign unless allowed: the
emulator proves the harness, not a release), the platform under test (chart versions as
the cluster reported them, the platform repository's ref), the harness (version, commit),
per step the p50 convergence time against the previous sign-off's, flaky steps, and every
distinct root cause once with its fix.

Only PASS counts: an INCOMPLETE, IN-FLIGHT, ABANDONED or ERROR cycle among the N is a
reason, as is a failed one. Flaky steps are listed, not reasons: the failed cycle already
was one while it was among the N, and a later fix of configuration (not of versions) must not
block every release after it. Pure: the caller loads reports and the previous sign-off.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from e2e.report.model import (
    CycleReport,
    Platform,
    Severity,
    StepStatus,
    Verdict,
)

__all__ = ["DEFAULT_THRESHOLD", "Baseline", "Flaky", "Reason", "Signoff", "StepTiming",
           "signoff"]

DEFAULT_THRESHOLD = 0.5  # a step whose p50 grew by more than 50%...
REGRESSION_FLOOR_S = 5.0  # ...and by at least 5 s (fast steps jitter by fractions of one)
_FAILED = (StepStatus.FAIL, StepStatus.STUCK, StepStatus.TIMEOUT)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reason(_Model):
    """One distinct reason for NO-GO, with every cycle it showed in."""

    kind: Literal["root-cause", "cycle", "target", "platform", "regression", "record"]
    cycle: str  # the first cycle it showed in ("-" when none)
    cycles: list[str] = Field(default_factory=list)
    step: str | None = None
    code: str | None = None
    message: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = ", ".join(self.cycles) or self.cycle
        at = f" at {self.step}" if self.step else ""
        head = f"`{self.code}`" if self.code else self.kind
        text = f"{head} ({where}{at}): {self.message}" if self.message else \
            f"{head} ({where}{at})"
        return f"{text} — fix: {self.hint}" if self.hint else text


class CycleLine(_Model):
    cycle: str
    verdict: Verdict
    target: str
    fqdn: str
    started_at: datetime | None = None
    harness_version: str | None = None
    harness_commit: str | None = None
    platform_ref: str | None = None
    note: str = ""  # where it stopped / why it does not count


class StepTiming(_Model):
    step: str
    p50_s: float | None
    previous_p50_s: float | None = None
    change: float | None = None  # (p50 - previous) / previous
    regression: bool = False


class Flaky(_Model):
    step: str
    failed_in: list[str]
    passed_in: list[str]
    on_signed_platform: bool


class Baseline(_Model):
    label: str
    cycles: list[str]
    p50_s: dict[str, float]


class Signoff(_Model):
    decision: Literal["GO", "NO-GO"]
    cycle_ids: list[str] = Field(alias="cycles", serialization_alias="cycles")
    reasons: list[Reason] = Field(default_factory=list)
    require_passes: int = 1
    allow_emulated: bool = False
    targets: list[str] = Field(default_factory=list)
    cycle_details: list[CycleLine] = Field(default_factory=list)
    platform: Platform | None = None
    harness: dict[str, str] = Field(default_factory=dict)  # of the latest cycle considered
    signed_by: dict[str, str] = Field(default_factory=dict)  # the harness that signed
    baseline: Baseline | None = None
    timings: list[StepTiming] = Field(default_factory=list)
    threshold: float = DEFAULT_THRESHOLD
    flaky: list[Flaky] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    @property
    def go(self) -> bool:
        return self.decision == "GO"

    @property
    def cycles(self) -> tuple[str, ...]:
        return tuple(self.cycle_ids)

    @property
    def exit_code(self) -> int:
        return 0 if self.go else 1

    @property
    def title(self) -> str:
        scope = " (emulated targets allowed: proves the harness, not a release)" \
            if self.allow_emulated and "emulated" in self.targets else ""
        looked = ", ".join(self.cycle_ids) or "none"
        return f"{self.decision}: release sign-off{scope} — cycles considered: {looked}"

    def p50(self) -> dict[str, float]:
        return {t.step: t.p50_s for t in self.timings if t.p50_s is not None}

    def format(self) -> str:
        """Plain text: the title, then one line per reason (the Markdown report has more)."""
        return "\n".join([self.title, *[f"  - {r}" for r in self.reasons]]) + "\n"

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Signoff:
        return cls.model_validate_json(text)


# -- the decision ---------------------------------------------------------------------------

def signoff(reports: Sequence[CycleReport], *, require_passes: int = 1,
            allow_emulated: bool = False, previous: Signoff | None = None,
            threshold: float = DEFAULT_THRESHOLD, warnings: Sequence[str] = (),
            signed_by: dict[str, str] | None = None) -> Signoff:
    if require_passes < 1:
        raise ValueError("require_passes must be at least 1")
    ordered = sorted(reports, key=lambda r: r.number)
    common: dict[str, Any] = {"require_passes": require_passes, "allow_emulated": allow_emulated,
              "threshold": threshold, "warnings": list(warnings),
              "signed_by": dict(signed_by or {})}
    if not ordered:
        return Signoff(decision="NO-GO", cycles=[], reasons=[Reason(
            kind="record", cycle="-", message="no cycle reports",
            hint="run the journey against the release's target and sign off on its reports")],
            **common)
    considered = ordered[-require_passes:]
    raw: list[Reason] = []
    for report in considered:
        raw += _cycle_reasons(report)
    if len(considered) < require_passes:
        raw.append(Reason(kind="record", cycle=considered[0].cycle,
                          message=f"{require_passes} passing cycles required, only "
                                  f"{len(considered)} cycle(s) on record",
                          hint="run more cycles"))
    targets = sorted({r.target.provider for r in considered})
    emulated = [r.cycle for r in considered if r.target.provider == "emulated"]
    if emulated and not allow_emulated:
        raw.append(Reason(kind="target", cycle=emulated[0], cycles=emulated,
                          message="ran against the emulated Sovereign: it proves the "
                                  "harness, not a release",
                          hint="sign off on cycles against the release's cluster (--sovereign "
                               "kubeconfig or kind); --allow-emulated signs the emulator off "
                               "and says so"))
    platform = considered[-1].platform
    raw += _platform_reasons(considered)
    baseline = _baseline(ordered, considered, previous)
    timings = _timings(considered, baseline, threshold)
    raw += [Reason(kind="regression", cycle=considered[0].cycle,
                   cycles=[r.cycle for r in considered], step=t.step,
                   message=f"p50 {t.p50_s:.1f}s against {t.previous_p50_s:.1f}s at "
                           f"{baseline.label if baseline else 'the baseline'} "
                           f"(+{(t.change or 0) * 100:.0f}%)",
                   hint="find what slowed the step (its evidence, the platform's changes) "
                        "before releasing")
            for t in timings if t.regression and t.p50_s is not None
            and t.previous_p50_s is not None]
    flaky = _flaky(ordered, considered[-1])
    reasons = _distinct(raw)
    return Signoff(
        decision="NO-GO" if reasons else "GO", cycles=[r.cycle for r in considered],
        reasons=reasons, targets=targets,
        cycle_details=[_line(r) for r in considered], platform=platform,
        harness=dict(considered[-1].harness), baseline=baseline, timings=timings,
        flaky=flaky, **common)


def _line(report: CycleReport) -> CycleLine:
    verdict = report.verdict
    note = ""
    if report.setup_error is not None:
        note = f"setup: {report.setup_error.action}"
    elif verdict is not Verdict.PASS and (stop := report.stopping_step) is not None:
        ff = report.first_failure
        note = f"{stop.id}" + (f" {ff.code}" if ff and ff.code else "")
    return CycleLine(cycle=report.cycle, verdict=verdict, target=report.target.provider,
                     fqdn=report.target.fqdn, started_at=report.started_at,
                     harness_version=report.harness.get("version"),
                     harness_commit=report.harness.get("commit"),
                     platform_ref=report.platform.ref if report.platform else None, note=note)


def _cycle_reasons(report: CycleReport) -> list[Reason]:
    """Why this cycle does not count as a clean pass."""
    verdict, cycle = report.verdict, report.cycle
    reasons: list[Reason] = []
    stop = report.stopping_step
    if verdict is Verdict.ERROR and report.setup_error is not None:
        error = report.setup_error
        reasons.append(Reason(kind="cycle", cycle=cycle, code=None,
                              message=f"ERROR: setup failed while trying to {error.action}: "
                                      f"{error.message}", hint=error.hint))
    elif verdict in (Verdict.IN_FLIGHT, Verdict.ABANDONED):
        why = f" ({report.abandoned})" if report.abandoned else ""
        reasons.append(Reason(
            kind="cycle", cycle=cycle, step=stop.id if stop else None,
            message=f"{verdict}{why}: the cycle did not finish",
            hint="wait for it to finish" if verdict is Verdict.IN_FLIGHT else
                 "rerun the cycle; the run that wrote it was killed"))
    elif verdict is Verdict.INCOMPLETE:
        reasons.append(Reason(kind="cycle", cycle=cycle,
                              message="INCOMPLETE: only some steps ran",
                              hint="sign off on a full journey: pytest -k journey"))
    elif verdict is not Verdict.PASS:
        failure = report.first_failure
        if failure is not None and failure.finding is not None:
            reasons.append(Reason(kind="root-cause", cycle=cycle, step=failure.step,
                                  code=failure.finding.code, message=failure.finding.message,
                                  hint=failure.finding.hint))
        elif failure is not None:
            blocked = f", blocked by {failure.blocked_by}" if failure.blocked_by else ""
            reasons.append(Reason(
                kind="cycle", cycle=cycle, step=failure.step,
                message=f"{verdict}: step {failure.status}{blocked}, no root cause named",
                hint="read the step's evidence in the cycle report"))
    for step in report.steps:  # a PASS with a BLOCKING finding is not a clean pass either
        for finding in step.findings:
            if finding.severity is Severity.BLOCKING:
                reasons.append(Reason(kind="root-cause", cycle=cycle, step=step.id,
                                      code=finding.code, message=finding.message,
                                      hint=finding.hint))
    return reasons


def _distinct(raw: list[Reason]) -> list[Reason]:
    """Every root cause once (by code), with every cycle and step it showed in."""
    merged: dict[tuple[str, str], Reason] = {}
    for reason in raw:
        key = (reason.kind, reason.code or f"{reason.step}|{reason.message}")
        cycles = reason.cycles or [reason.cycle]
        if key not in merged:
            merged[key] = reason.model_copy(update={"cycles": list(dict.fromkeys(cycles))})
            continue
        old = merged[key]
        steps = dict.fromkeys([*(old.step or "").split(", "), reason.step or ""])
        merged[key] = old.model_copy(update={
            "cycles": list(dict.fromkeys(old.cycles + cycles)),
            "step": ", ".join(s for s in steps if s) or None})
    return list(merged.values())


# -- the platform ---------------------------------------------------------------------------

def _platform_reasons(considered: Sequence[CycleReport]) -> list[Reason]:
    unknown = [r.cycle for r in considered
               if r.platform is None and r.verdict is not Verdict.ERROR]
    reasons = []
    if unknown:
        reasons.append(Reason(kind="platform", cycle=unknown[0], cycles=unknown,
                              message="the report names no platform versions (the cluster "
                                      "did not report its HelmReleases)",
                              hint="give the harness read access to HelmReleases, or rerun "
                                   "with a harness that records them"))
    known = [r for r in considered if r.platform is not None]
    if len({_fingerprint(r.platform) for r in known}) > 1:
        first, last = known[0].platform, known[-1].platform
        assert first is not None and last is not None
        changed = sorted(k for k in set(first.charts) | set(last.charts)
                         if first.charts.get(k) != last.charts.get(k))
        if first.ref != last.ref:
            changed.append(f"ref {first.ref} -> {last.ref}")
        reasons.append(Reason(kind="platform", cycle=known[0].cycle,
                              cycles=[r.cycle for r in known],
                              message="the cycles ran different platform versions: "
                                      + ", ".join(changed[:8]),
                              hint="sign off on cycles of one platform version (rerun on the "
                                   "version being released)"))
    return reasons


def _fingerprint(platform: Platform | None) -> str | None:
    if platform is None:
        return None
    return json.dumps([platform.charts, platform.ref], sort_keys=True)


# -- convergence times ----------------------------------------------------------------------

def _step_p50(reports: Sequence[CycleReport]) -> dict[str, float]:
    durations: dict[str, list[float]] = {}
    for report in reports:
        if report.verdict is not Verdict.PASS:
            continue
        for step in report.steps:
            if step.status is StepStatus.PASS and step.duration_s is not None:
                durations.setdefault(step.id, []).append(step.duration_s)
    return {step: round(statistics.median(values), 3) for step, values in durations.items()}


def _baseline(ordered: Sequence[CycleReport], considered: Sequence[CycleReport],
              previous: Signoff | None) -> Baseline | None:
    if previous is not None and previous.timings:
        return Baseline(label=f"the previous sign-off ({', '.join(previous.cycle_ids)})",
                        cycles=list(previous.cycle_ids), p50_s=previous.p50())
    # No recorded sign-off: the passing cycles just before these, on the same target kind.
    first = considered[0].number
    kinds = {r.target.provider for r in considered}
    before = [r for r in ordered if r.number < first and r.verdict is Verdict.PASS
              and r.target.provider in kinds][-len(considered):]
    if not before:
        return None
    ids = [r.cycle for r in before]
    return Baseline(label=f"the passing cycles before ({', '.join(ids)}; no recorded "
                          "sign-off)", cycles=ids, p50_s=_step_p50(before))


def _timings(considered: Sequence[CycleReport], baseline: Baseline | None,
             threshold: float) -> list[StepTiming]:
    now = _step_p50(considered)
    ids = list(dict.fromkeys(s.id for r in considered for s in r.steps))
    out = []
    for step in ids:
        p50, before = now.get(step), (baseline.p50_s.get(step) if baseline else None)
        change = (p50 - before) / before if p50 is not None and before else None
        regression = change is not None and p50 is not None and before is not None and \
            change > threshold and p50 - before >= REGRESSION_FLOOR_S
        out.append(StepTiming(step=step, p50_s=p50, previous_p50_s=before,
                              change=round(change, 3) if change is not None else None,
                              regression=regression))
    return out


# -- flaky steps ----------------------------------------------------------------------------

def _flaky(ordered: Sequence[CycleReport], latest: CycleReport) -> list[Flaky]:
    """Steps that failed in one cycle and passed in a later one, with the same platform
    versions on the same target kind (nothing changed, yet the outcome did)."""
    signed = (latest.target.provider, _fingerprint(latest.platform))
    groups: dict[tuple[str, str], list[CycleReport]] = {}
    for report in ordered:
        fp = _fingerprint(report.platform)
        if fp is not None and report.setup_error is None:
            groups.setdefault((report.target.provider, fp), []).append(report)
    found: list[Flaky] = []
    for key, reports in groups.items():
        for step_id in dict.fromkeys(s.id for r in reports for s in r.steps):
            failed: list[str] = []
            passed: list[str] = []
            for report in reports:
                status = next((s.status for s in report.steps if s.id == step_id), None)
                if status in _FAILED:
                    failed.append(report.cycle)
                elif status is StepStatus.PASS and failed:
                    passed.append(report.cycle)
            if failed and passed:
                found.append(Flaky(step=step_id, failed_in=failed, passed_in=passed,
                                   on_signed_platform=key == signed))
    return found
