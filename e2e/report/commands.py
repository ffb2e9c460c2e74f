"""What `sovereign-e2e report|history|signoff` do, apart from argument parsing.

Each function returns text (or a decision) and raises ReportError for bad input; the CLI
prints and picks the exit code. Nothing here writes a file except `write_output`, atomically.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from e2e.redact import Redactor
from e2e.report.errors import NoReports, ReportError
from e2e.report.history import format_history, history
from e2e.report.render import ReportFormat, render
from e2e.report.render.trend import render_trend
from e2e.report.signoff import DEFAULT_THRESHOLD, Signoff, signoff
from e2e.report.signoff_records import previous_signoff
from e2e.report.store import ReportStore, atomic_write_text

DEFAULT_REPORT_DIR = Path("reports")
Warn = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def report_text(report_dir: Path, cycle: str | None, fmt: ReportFormat,
                warn: Warn = _stderr) -> str:
    store = ReportStore(report_dir)
    if cycle:
        report = store.load(cycle)
    else:  # the latest that reads: a corrupt newest file must not hide the one before
        loaded = store.load_readable()
        for line in loaded.skipped:
            warn(line)
        if not loaded.reports:
            raise NoReports(f"no readable cycle report in {report_dir}",
                            "fix or remove the files named above, or run the journey")
        report = loaded.reports[-1]
    # Stored reports were redacted on write; the render boundary redacts shapes again.
    return render(report, fmt, Redactor())


def history_text(report_dir: Path, fmt: str = "text", warn: Warn = _stderr,
                 link: str | None = None) -> str:
    loaded = ReportStore(report_dir).load_readable()
    for line in loaded.skipped:
        warn(line)
    if fmt == "html":
        # Stored reports were redacted on write; the page passes the boundary again.
        return Redactor().redact_text(render_trend(loaded.reports, link=link))
    return format_history(history(loaded.reports))


def signoff_decision(report_dir: Path, require_passes: int, *, allow_emulated: bool = False,
                     threshold: float = DEFAULT_THRESHOLD, warn: Warn = _stderr) -> Signoff:
    """The decision; no reports at all is a NO-GO with that reason (exit 1), not an error."""
    from e2e.provenance import harness_info

    warnings: list[str] = []
    try:
        loaded = ReportStore(report_dir).load_readable()
        reports, warnings = loaded.reports, list(loaded.skipped)
    except NoReports as e:
        reports, warnings = [], [str(e)]
    previous = None
    if reports:
        numbers = sorted(r.number for r in reports)
        first = numbers[-require_passes] if len(numbers) >= require_passes else numbers[0]
        previous = previous_signoff(report_dir, f"t{first}", warnings)
    for line in warnings:
        warn(line)
    signed_by = {k: v for k, v in harness_info({}).items() if k in ("version", "commit")}
    return signoff(reports, require_passes=require_passes, allow_emulated=allow_emulated,
                   previous=previous, threshold=threshold, warnings=warnings,
                   signed_by=signed_by)


def write_cycle_pages(report_dir: Path, out_dir: Path, warn: Warn = _stderr) -> list[Path]:
    """Each readable cycle's HTML report as `<cycle>.html` in `out_dir` (the trend links)."""
    loaded = ReportStore(report_dir).load_readable()
    written = []
    for report in loaded.reports:
        path = out_dir / f"{report.cycle}.html"
        write_output(path, render(report, ReportFormat.HTML, Redactor()))
        written.append(path)
    return written


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
