"""Several journeys at once on one report directory: each claims its own cycle id and
writes a valid report, and `history` reads the directory while they write."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from e2e.report.commands import history_text
from e2e.report.errors import NoReports
from e2e.report.model import Verdict
from e2e.report.store import ReportStore

REPO = Path(__file__).resolve().parents[1]
WRITERS = 4


def test_four_journeys_share_a_report_dir(tmp_path: Path) -> None:
    # A short walk each (steps 01-03 and what they need), so the four overlap.
    runs = [subprocess.Popen(
        [sys.executable, "-m", "e2e.cli", "run", "-q", "-p", "no:cacheprovider",
         "-k", "journey and (cluster or cni or gateway)",
         str(REPO / "scenarios" / "test_journey.py"), "--report-dir", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(WRITERS)]
    reads = 0
    skipped: list[str] = []  # a report history could not read (half-written, say)
    try:
        while any(r.poll() is None for r in runs):
            try:
                text = history_text(tmp_path, "text", warn=skipped.append)
                reads += 1
                assert "t" in text
            except NoReports:
                pass
            time.sleep(0.02)
        outputs = [r.stdout.read().decode() if r.stdout else "" for r in runs]
    finally:
        for r in runs:
            if r.poll() is None:
                r.kill()
                r.wait(10)
    assert all(r.returncode == 0 for r in runs), "\n".join(o[-1500:] for o in outputs)
    store = ReportStore(tmp_path)
    assert store.cycles() == [f"t{i}" for i in range(1, WRITERS + 1)]
    reports = store.load_all()
    assert all(r.verdict is Verdict.INCOMPLETE for r in reports)
    assert reads > 0 and not skipped, skipped
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
