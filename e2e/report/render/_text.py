"""Small text helpers shared by the renderers."""

from __future__ import annotations

from datetime import datetime

from e2e.report.model import StepStatus, Verdict

STATUS_ICON = {
    StepStatus.PASS: "✅",
    StepStatus.FAIL: "❌",
    StepStatus.STUCK: "⏸️",
    StepStatus.TIMEOUT: "⌛",
    StepStatus.BLOCKED: "⛔",
    StepStatus.RUNNING: "🔄",
    StepStatus.PENDING: "·",
    StepStatus.NOT_RUN: "⊘",
    StepStatus.INTERRUPTED: "✋",
}

VERDICT_ICON = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.STUCK: "⏸️",
    Verdict.TIMEOUT: "⌛",
    Verdict.IN_FLIGHT: "🔄",
    Verdict.INCOMPLETE: "◐",
    Verdict.INTERRUPTED: "✋",
}


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
