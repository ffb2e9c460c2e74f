"""What `sovereign-e2e report|history|signoff` do, apart from argument parsing.

Each function returns text (or a decision) and raises ReportError for bad input; the CLI
prints and picks the exit code. Nothing here writes a file except `write_output`, atomically.
"""

from __future__ import annotations

from pathlib import Path

from e2e.redact import Redactor
from e2e.report.errors import ReportError
from e2e.report.history import format_history, history
from e2e.report.render import ReportFormat, render
from e2e.report.render.trend import render_trend
from e2e.report.signoff import Signoff, signoff
from e2e.report.store import ReportStore, atomic_write_text

DEFAULT_REPORT_DIR = Path("reports")


def report_text(report_dir: Path, cycle: str | None, fmt: ReportFormat) -> str:
    store = ReportStore(report_dir)
    report = store.load(cycle) if cycle else store.latest()
    # Stored reports were redacted on write; the render boundary redacts shapes again.
    return render(report, fmt, Redactor())


def history_text(report_dir: Path, fmt: str = "text") -> str:
    reports = ReportStore(report_dir).load_all()
    if fmt == "html":
        # Stored reports were redacted on write; the page passes the boundary again.
        return Redactor().redact_text(render_trend(reports))
    return format_history(history(reports))


def signoff_decision(report_dir: Path, require_passes: int) -> Signoff:
    return signoff(ReportStore(report_dir).load_all(), require_passes=require_passes)


def write_output(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise ReportError(f"cannot write {path}: directory {path.parent} does not exist",
                          "create it first or pick another --output")
    if path.is_dir():
        raise ReportError(f"cannot write {path}: it is a directory",
                          "pass a file name to --output")
    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or type(e).__name__}",
                          "check the path and its permissions") from None
