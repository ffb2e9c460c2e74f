"""JSON rendering: the stored form of the report (apiVersion, derived fields included)."""

from __future__ import annotations

from e2e.report.model import CycleReport


def render(report: CycleReport) -> str:
    return report.to_json(indent=2) + "\n"
