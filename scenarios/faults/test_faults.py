"""Every failure of the seed, made as a mistake in configuration, found and named right.

Each scenario brings up its own emulated Sovereign with the scenario's overlay, walks the
journey until the first step that does not pass, and checks the cycle report says the
expected step, status and root cause. The clean Sovereign must have no Finding at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.config import Settings
from e2e.faults import FaultExpectation, discover
from e2e.report.model import CycleReport, Verdict
from e2e.report.render.allure import attach_cycle_report
from e2e.session import JourneySession

HERE = Path(__file__).parent
FAULTS = discover(HERE)


def walk(settings: Settings) -> tuple[CycleReport, JourneySession]:
    session = JourneySession(settings)
    try:
        session.start()
        report = session.run_until_failure()
    finally:
        session.close()
    # With --alluredir, the scenario's result carries the cycle it judged (else a no-op).
    attach_cycle_report(report, session.redactor, str(session.report_path))
    return report, session


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_is_found_and_named(fault: FaultExpectation, tmp_path: Path) -> None:
    report, session = walk(Settings(overlays=[fault.overlay], report_dir=tmp_path))
    problems = fault.mismatches(report)
    assert not problems, f"{fault.name}: " + "; ".join(problems) + \
        f"\nreport: {session.report_path}"
    root = report.first_failure.finding if report.first_failure else None
    assert root is not None and root.subject is not None and root.hint
    assert str(root.subject.name) in root.message


def test_clean_sovereign_has_no_finding(tmp_path: Path) -> None:
    report, _ = walk(Settings(report_dir=tmp_path))
    assert report.verdict is Verdict.PASS, report.first_failure
    assert report.findings == []
