"""Report errors: each message is one line, `<problem> — <fix>`, naming the file or dir."""

from __future__ import annotations

from e2e.errors import E2EError


class ReportError(E2EError):
    """A report could not be read or written; the CLI prints it as one line and exits 2."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} — {fix}")
        self.problem = problem
        self.fix = fix


class NoReports(ReportError):
    """The report dir is missing or holds no cycle reports."""


class ReportNotFound(ReportError):
    """The asked-for cycle has no report."""


class CorruptReport(ReportError):
    """A report file is not valid JSON or not a sovereign-e2e/v1alpha1 CycleReport."""
