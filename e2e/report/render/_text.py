"""Small text helpers shared by the renderers."""

from __future__ import annotations

from datetime import datetime

from e2e.report.model import CycleReport, StepStatus, Verdict

STATUS_ICON = {
    StepStatus.PASS: "✅",
    StepStatus.FAIL: "❌",
    StepStatus.STUCK: "⏸️",
    StepStatus.TIMEOUT: "⌛",
    StepStatus.BLOCKED: "⛔",
    StepStatus.RUNNING: "🔄",
    StepStatus.PENDING: "·",
    StepStatus.NOT_RUN: "⊘",
}

VERDICT_ICON = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.STUCK: "⏸️",
    Verdict.TIMEOUT: "⌛",
    Verdict.IN_FLIGHT: "🔄",
    Verdict.INCOMPLETE: "◐",
    Verdict.ERROR: "⚠️",
    Verdict.ABANDONED: "🪦",
}


def setup_error_lines(report: CycleReport) -> list[str]:
    """Plain lines for an ERROR report: the failed action, the problem, the fix, evidence."""
    error = report.setup_error
    if error is None:
        return []
    lines = [f"setup failed while trying to {error.action}: {error.message}"]
    if error.hint:
        lines.append(f"fix: {error.hint}")
    lines += [f"{name}: {text}" for name, text in error.evidence.items()]
    return lines


def abandoned_line(report: CycleReport) -> str:
    writer = report.writer
    who = f" (pid {writer.pid} on {writer.host}, last heartbeat " \
          f"{timestamp(writer.heartbeat_at)})" if writer else ""
    return f"the run that wrote this report is gone{who}: {report.abandoned}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def timestamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "—"
