"""Recorded sign-offs: `<report_dir>/signoffs/<last cycle>.json`, one per GO.

The next sign-off compares its convergence times with the previous one's, so a release
driver sees "05 took 2x as long as at the last release" without keeping notes.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from e2e.report.model import cycle_number
from e2e.report.signoff import Signoff
from e2e.report.store import atomic_write_text

__all__ = ["RECORD_DIR", "previous_signoff", "record_signoff"]

RECORD_DIR = "signoffs"
_RECORD_RE = re.compile(r"^(t[1-9][0-9]*)\.json$")


def record_signoff(report_dir: Path, decision: Signoff) -> Path | None:
    """Keep a GO (a NO-GO signs nothing off); named by its latest cycle, so signing the same
    cycles again replaces the record instead of piling up copies."""
    if not decision.go or not decision.cycle_ids:
        return None
    directory = Path(report_dir) / RECORD_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{decision.cycle_ids[-1]}.json"
    atomic_write_text(path, decision.to_json())
    return path


def previous_signoff(report_dir: Path, before: str,
                     warnings: list[str] | None = None) -> Signoff | None:
    """The latest recorded sign-off whose cycles all come before cycle `before`."""
    directory = Path(report_dir) / RECORD_DIR
    if not directory.is_dir():
        return None
    limit = cycle_number(before)
    found = sorted((cycle_number(m.group(1)), p) for p in directory.iterdir()
                   if (m := _RECORD_RE.match(p.name)) and cycle_number(m.group(1)) < limit)
    for _, path in reversed(found):
        try:
            return Signoff.from_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValidationError, ValueError):
            if warnings is not None:
                warnings.append(f"warning: skipped {path}: not a readable sign-off record "
                                "— delete or move it")
    return None
