"""Cycle reports: one JSON model per t-prov cycle and what reads it.

Rules: `model` is pure data (no I/O) and the only thing the journey runner fills; `store`
is the only writer of report files and redacts everything it writes; renderers, `history`
and `signoff` read models and never write files themselves.
"""

from e2e.report.errors import CorruptReport, NoReports, ReportError, ReportNotFound
from e2e.report.model import (
    API_VERSION,
    EXPECTED_STEPS,
    CycleReport,
    Evidence,
    Finding,
    FirstFailure,
    Severity,
    StepResult,
    StepStatus,
    Subject,
    Target,
    Verdict,
    cycle_id,
    cycle_number,
    is_cycle_id,
    sort_cycle_ids,
)
from e2e.report.render import ReportFormat, render
from e2e.report.store import ReportStore, atomic_write_text, next_cycle_id

__all__ = [
    "API_VERSION",
    "EXPECTED_STEPS",
    "CorruptReport",
    "CycleReport",
    "Evidence",
    "Finding",
    "FirstFailure",
    "NoReports",
    "ReportError",
    "ReportFormat",
    "ReportNotFound",
    "ReportStore",
    "Severity",
    "StepResult",
    "StepStatus",
    "Subject",
    "Target",
    "Verdict",
    "atomic_write_text",
    "cycle_id",
    "cycle_number",
    "is_cycle_id",
    "next_cycle_id",
    "render",
    "sort_cycle_ids",
]
