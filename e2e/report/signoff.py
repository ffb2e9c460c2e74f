"""Go/no-go for the release driver, from the latest cycle reports.

GO only when the latest completed cycle is PASS with no BLOCKING finding (and, with
`require_passes=N`, the latest N completed cycles all are). NO-GO otherwise, with reasons
that say which cycle, which step, which root cause and what to fix. A cycle still in flight
is NO-GO too: the release driver signs off on a finished cycle, not a hopeful one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from e2e.report.model import CycleReport, Severity, Verdict


@dataclass(frozen=True)
class Reason:
    cycle: str
    step: str | None
    code: str | None
    hint: str
    message: str = ""

    def __str__(self) -> str:
        where = f" at {self.step}" if self.step else ""
        code = f": {self.code}" if self.code else ""
        text = f"{self.cycle}{where}{code}"
        if self.message:
            text += f" ({self.message})"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(frozen=True)
class Signoff:
    go: bool
    cycles: tuple[str, ...]  # the cycles the decision looked at, oldest first
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return 0 if self.go else 1

    def format(self) -> str:
        looked = ", ".join(self.cycles) or "none"
        lines = [f"{'GO' if self.go else 'NO-GO'} (cycles considered: {looked})"]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps({"decision": "GO" if self.go else "NO-GO", "cycles": self.cycles,
                           "reasons": [asdict(r) for r in self.reasons]}, indent=2) + "\n"


def signoff(reports: Sequence[CycleReport], *, require_passes: int = 1) -> Signoff:
    if require_passes < 1:
        raise ValueError("require_passes must be at least 1")
    ordered = sorted(reports, key=lambda r: r.number)
    if not ordered:
        return Signoff(go=False, cycles=(), reasons=(
            Reason(cycle="-", step=None, code=None, message="no cycle reports",
                   hint="run the journey and sign off on its report"),))
    latest = ordered[-1]
    if latest.verdict is Verdict.IN_FLIGHT:
        stop = latest.stopping_step
        return Signoff(go=False, cycles=(latest.cycle,), reasons=(
            Reason(cycle=latest.cycle, step=stop.id if stop else None, code=None,
                   message="the latest cycle is IN-FLIGHT",
                   hint="wait for it to finish (or for the run to be rerun), then sign off"),))
    if latest.verdict is Verdict.INCOMPLETE:
        return Signoff(go=False, cycles=(latest.cycle,), reasons=(
            Reason(cycle=latest.cycle, step=None, code=None,
                   message="the latest cycle ran only some steps (INCOMPLETE)",
                   hint="sign off on a full journey: pytest -k journey"),))
    completed = [r for r in ordered if r.verdict.completed]
    considered = completed[-require_passes:]
    reasons = [reason for r in considered for reason in _reasons(r)]
    if len(considered) < require_passes:
        reasons.append(Reason(
            cycle=considered[0].cycle if considered else "-", step=None, code=None,
            message=f"{require_passes} consecutive passing cycles required, "
                    f"only {len(considered)} completed cycle(s) on record",
            hint="run more cycles"))
    return Signoff(go=not reasons, cycles=tuple(r.cycle for r in considered),
                   reasons=tuple(reasons))


def _reasons(report: CycleReport) -> list[Reason]:
    """Why this completed cycle cannot be signed off: its root cause, then any other
    blocking finding (a PASS with a BLOCKING finding is not a clean pass)."""
    reasons: list[Reason] = []
    failure = report.first_failure
    if report.verdict is not Verdict.PASS and failure is not None:
        if failure.finding is not None:
            reasons.append(Reason(cycle=report.cycle, step=failure.step,
                                  code=failure.finding.code, hint=failure.finding.hint,
                                  message=f"{report.verdict}"))
        else:
            blocked = f", blocked by {failure.blocked_by}" if failure.blocked_by else ""
            reasons.append(Reason(
                cycle=report.cycle, step=failure.step, code=None,
                message=f"{report.verdict}: step {failure.status}{blocked}, no root cause named",
                hint="read the step's evidence in the cycle report"))
    seen = {(r.step, r.code) for r in reasons}
    for step in report.steps:
        for finding in step.findings:
            if finding.severity is Severity.BLOCKING and (step.id, finding.code) not in seen:
                seen.add((step.id, finding.code))
                reasons.append(Reason(cycle=report.cycle, step=step.id, code=finding.code,
                                      hint=finding.hint, message="blocking finding"))
    return reasons
