"""One palette for every HTML page (cycle report, trend, sign-off): a status reads the same
colour everywhere. GitHub's Primer colours, legible on white and as white text's background.
"""

from __future__ import annotations

from e2e.report.model import StepStatus, Verdict

STATUS_COLOUR = {
    StepStatus.PASS: "#2da44e", StepStatus.FAIL: "#cf222e", StepStatus.STUCK: "#bf8700",
    StepStatus.TIMEOUT: "#bc4c00", StepStatus.BLOCKED: "#8c959f",
    StepStatus.RUNNING: "#0969da", StepStatus.PENDING: "#d0d7de", StepStatus.NOT_RUN: "#eaeef2",
}

VERDICT_COLOUR = {
    Verdict.PASS: "#2da44e", Verdict.FAIL: "#cf222e", Verdict.STUCK: "#bf8700",
    Verdict.TIMEOUT: "#bc4c00", Verdict.IN_FLIGHT: "#0969da", Verdict.INCOMPLETE: "#8c959f",
    Verdict.ERROR: "#8250df", Verdict.ABANDONED: "#57606a",
}
