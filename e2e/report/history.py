"""The cycle log, like the platform's own: `t13 FAIL, t14 FAIL, t15 PASS, t16-t19 STUCK:
flux.chart-pin-lag, t20 IN-FLIGHT`.

Consecutive cycles with the same verdict, stopping step and root-cause code form one entry;
each entry names where the cycles stopped and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from e2e.report.model import CycleReport, Verdict, cycle_number


@dataclass(frozen=True)
class HistoryEntry:
    cycles: tuple[str, ...]
    verdict: Verdict
    step: str | None  # the stopping step (the step in flight for IN-FLIGHT); None for PASS
    code: str | None  # the root-cause Finding code, when a diagnoser named one

    @property
    def label(self) -> str:
        """`t16-t19` for a contiguous run, `t16,t18` when cycles are missing in between."""
        first, last = self.cycles[0], self.cycles[-1]
        if len(self.cycles) == 1:
            return first
        numbers = [cycle_number(c) for c in self.cycles]
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{first}-{last}"
        return ",".join(self.cycles)

    @property
    def short(self) -> str:
        """The cycle-log form: `t16-t19 STUCK: flux.chart-pin-lag`."""
        text = f"{self.label} {self.verdict}"
        return f"{text}: {self.code}" if self.code else text

    @property
    def long(self) -> str:
        """With the stopping step: `t16-t19 STUCK at 05-bootstrap-kit: flux.chart-pin-lag`."""
        text = f"{self.label} {self.verdict}"
        if self.step:
            text += f" at {self.step}"
        return f"{text}: {self.code}" if self.code else text


def _key(report: CycleReport) -> tuple[Verdict, str | None, str | None]:
    verdict = report.verdict
    if verdict is Verdict.PASS:
        return verdict, None, None
    if verdict is Verdict.ERROR and report.setup_error is not None:
        return verdict, f"setup: {report.setup_error.action}", None
    stop = report.stopping_step
    failure = report.first_failure
    return verdict, stop.id if stop else None, failure.code if failure else None


def history(reports: Sequence[CycleReport]) -> list[HistoryEntry]:
    """Entries in cycle order; `reports` may come in any order."""
    entries: list[HistoryEntry] = []
    for report in sorted(reports, key=lambda r: r.number):
        verdict, step, code = _key(report)
        last = entries[-1] if entries else None
        if last is not None and (last.verdict, last.step, last.code) == (verdict, step, code):
            entries[-1] = HistoryEntry(cycles=(*last.cycles, report.cycle), verdict=verdict,
                                       step=step, code=code)
        else:
            entries.append(HistoryEntry(cycles=(report.cycle,), verdict=verdict, step=step,
                                        code=code))
    return entries


def cycle_log(entries: Sequence[HistoryEntry]) -> str:
    return ", ".join(e.short for e in entries)


def format_history(entries: Sequence[HistoryEntry]) -> str:
    """One line per entry (with the stopping step), then the one-line cycle log."""
    width = max((len(e.label) for e in entries), default=0)
    lines = [f"{e.label:<{width}}  {e.verdict!s:<9}  {e.step or '-'}"
             + (f"  {e.code}" if e.code else "") for e in entries]
    lines += ["", f"cycle log: {cycle_log(entries)}"]
    return "\n".join(lines) + "\n"
