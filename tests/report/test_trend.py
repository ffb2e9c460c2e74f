"""`sovereign-e2e history --format html`: one bar per cycle (steps passed, verdict colour),
hover text with the stopping step and code, the cycle log below, nothing unescaped."""

from __future__ import annotations

import re
from pathlib import Path

from e2e.cli import main
from e2e.redact import Redactor
from e2e.report.model import StepStatus
from e2e.report.render.trend import render_trend
from e2e.report.store import ReportStore


def test_one_bar_per_cycle_in_cycle_order(build_report) -> None:  # type: ignore[no-untyped-def]
    reports = [build_report("t10", {5: StepStatus.STUCK}, codes={5: "flux.chart-pin-lag"}),
               build_report("t9"),
               build_report("t11", {8: StepStatus.FAIL}, codes={8: "gitea.token-is-password"})]
    page = render_trend(reports)
    labels = re.findall(r'text-anchor="middle">(t\d+)</text>', page)
    assert labels == ["t9", "t10", "t11"]
    assert len(re.findall(r"<rect ", page)) == 3
    assert "t10 STUCK: 15/16 passed, stopped at 05-step-5 (flux.chart-pin-lag)" in page
    assert "t11 FAIL at 08-step-8: gitea.token-is-password" in page  # the cycle log
    assert "<script" not in page


def test_cli_writes_the_page(tmp_path: Path, build_report) -> None:  # type: ignore[no-untyped-def]
    store = ReportStore(tmp_path)
    store.save(build_report("t1"), Redactor())
    store.save(build_report("t2", {3: StepStatus.FAIL}, codes={3: "route.parent-missing"}),
               Redactor())
    out = tmp_path / "trend.html"
    assert main(["history", "--report-dir", str(tmp_path), "--format", "html",
                 "--output", str(out)]) == 0
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "route.parent-missing" in page
