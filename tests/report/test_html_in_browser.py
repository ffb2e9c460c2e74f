"""The three HTML pages as a reader sees them, rendered by headless Chromium.

A STUCK cycle's page, the history page with its trend chart, the sign-off report: each is
written by the CLI, opened in Debian's `chromium-headless-shell` driven by Playwright, and
checked for what is on screen (the reason under a STUCK step, the computed colour of status
cells, chart bars that lead to cycle pages that exist). Screenshots go to tmp_path only.

Skipped, with the reason, without Playwright (`pip install playwright`) or the browser
(`apt-get install chromium-headless-shell`); Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.cli import main
from e2e.redact import Redactor
from e2e.report.model import Evidence, Platform, StepStatus, Verdict
from e2e.report.render.colours import STATUS_COLOUR, VERDICT_COLOUR
from e2e.report.store import ReportStore

from .conftest import BuildReport

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: "
                               "pip install playwright")

CHROMIUM = os.environ.get("SOVEREIGN_E2E_CHROMIUM") or \
    shutil.which("chromium-headless-shell") or "/usr/lib/chromium/chromium-headless-shell"

STUCK_PROGRESS = "no progress for 900s: 13/15 HelmReleases Ready (cilium, gitea not Ready)"


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no headless Chromium at {CHROMIUM}: apt-get install "
                    "chromium-headless-shell (or set SOVEREIGN_E2E_CHROMIUM)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


@pytest.fixture
def reports(tmp_path: Path, build_report: BuildReport) -> Path:
    """t1 PASS, t2 STUCK at 05 (no diagnoser named a cause), t3 TIMEOUT at 06 with a
    Finding, t4 and t5 PASS on versioned platforms."""
    S = StepStatus
    store, redactor = ReportStore(tmp_path / "reports"), Redactor()
    platform = Platform(charts={"bp-cilium": "1.16.5", "bp-gitea": "1.24.0"},
                        ref="main@abc1234")
    store.save(build_report("t1", platform=platform), redactor)
    # as a journey leaves them: the steps after the stopping one BLOCKED
    stuck = build_report("t2", {n: S.PASS for n in range(1, 5)} | {5: S.STUCK},
                         default=S.BLOCKED)
    step = stuck.step("05-step-5").model_copy(update={
        "findings": [], "progress": STUCK_PROGRESS,
        "evidence": [Evidence(name="helmreleases", content_type="text/plain",
                              text="bp-cilium  False  install retries exhausted")]})
    store.save(stuck.with_step(step), redactor)
    store.save(build_report("t3", {n: S.PASS for n in range(1, 6)} | {6: S.TIMEOUT},
                            default=S.BLOCKED), redactor)
    store.save(build_report("t4", platform=platform), redactor)
    store.save(build_report("t5", platform=platform), redactor)
    return tmp_path / "reports"


def _show(page: Any, path: Path, shot: Path) -> None:
    page.goto(path.as_uri())
    page.screenshot(path=str(shot), full_page=True)


def _badge_colour(locator: Any) -> str:
    return str(locator.evaluate("el => getComputedStyle(el).backgroundColor"))


def test_a_stuck_cycle_page_shows_why_and_colours_statuses(
        page: Any, reports: Path, tmp_path: Path) -> None:
    out = tmp_path / "t2.html"
    assert main(["report", "--report-dir", str(reports), "--cycle", "t2", "--format", "html",
                 "--output", str(out)]) == 0
    _show(page, out, tmp_path / "t2.png")

    top = page.locator("p", has_text="Stopped at").first
    assert top.inner_text() == f"Stopped at 05-step-5 (STUCK): {STUCK_PROGRESS}"
    heading = page.locator("h2", has_text="05-step-5")
    assert heading.is_visible()
    reason = page.locator("p.reason").first  # the first thing under the heading
    assert reason.is_visible()
    assert reason.inner_text() == f"STUCK: {STUCK_PROGRESS}"
    assert page.get_by_text("No diagnoser named a root cause").is_visible()
    evidence = page.locator("summary", has_text="helmreleases")
    assert evidence.is_visible()

    def status_cell(step: str) -> Any:
        return page.locator("tr", has_text=step).locator("td").nth(2).locator(".badge")

    assert status_cell("04-step-4").inner_text() == "PASS"
    assert _badge_colour(status_cell("04-step-4")) == _rgb(STATUS_COLOUR[StepStatus.PASS])
    assert _badge_colour(status_cell("05-step-5")) == _rgb(STATUS_COLOUR[StepStatus.STUCK])
    assert _badge_colour(status_cell("06-step-6")) == _rgb(STATUS_COLOUR[StepStatus.BLOCKED])
    # white text on a coloured badge, readable: not the page's black
    assert status_cell("05-step-5").evaluate("el => getComputedStyle(el).color") == \
        "rgb(255, 255, 255)"


def test_a_timeout_step_shows_its_reason_and_finding(
        page: Any, reports: Path, tmp_path: Path) -> None:
    out = tmp_path / "t3.html"
    assert main(["report", "--report-dir", str(reports), "--cycle", "t3", "--format", "html",
                 "--output", str(out)]) == 0
    _show(page, out, tmp_path / "t3.png")
    reason = page.locator("p.reason").first
    assert reason.inner_text() == "TIMEOUT: progress 6"
    assert page.locator("h3", has_text="pod.probe-404").is_visible()
    assert page.get_by_text("Fix: fix for pod.probe-404").first.is_visible()


def test_history_chart_bars_lead_to_cycle_pages_that_exist(
        page: Any, reports: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    assert main(["history", "--report-dir", str(reports), "--format", "html",
                 "--output", str(site / "history.html")]) == 0
    _show(page, site / "history.html", tmp_path / "history.png")

    bars = page.locator("svg a")
    assert bars.count() == 5
    for i in range(5):
        bar = bars.nth(i)
        rect = bar.locator("rect")
        box = rect.bounding_box()
        assert box is not None and box["height"] > 0 and box["width"] > 0
        href = bar.get_attribute("href")
        target = site / href
        assert target.is_file(), f"bar {i} links to {href}, not written"
    stuck_bar = page.locator("svg a", has_text="t2").locator("rect")
    assert stuck_bar.evaluate("el => getComputedStyle(el).fill") == \
        _rgb(VERDICT_COLOUR[Verdict.STUCK])
    # a reader clicks the STUCK cycle's bar and lands on its page
    stuck_bar.click()
    page.wait_for_load_state()
    assert page.url.endswith("/t2.html")
    assert page.locator("p.reason").first.inner_text() == f"STUCK: {STUCK_PROGRESS}"


def test_the_signoff_report_renders_its_decision_and_reasons(
        page: Any, reports: Path, tmp_path: Path) -> None:
    out = tmp_path / "signoff.html"
    code = main(["signoff", "--report-dir", str(reports), "--require-passes", "3",
                 "--format", "html", "--output", str(out), "--no-record"])
    assert code == 1  # emulated cycles, and t2/t3 among the latest: NO-GO
    _show(page, out, tmp_path / "signoff.png")
    title = page.locator("h1")
    assert "NO-GO" in title.inner_text()
    body = page.locator("body").inner_text()
    assert "ran against the emulated Sovereign" in body
    considered = page.locator("tr", has_text="t3").locator(".badge")
    assert considered.inner_text() == "TIMEOUT"
    assert _badge_colour(considered) == _rgb(VERDICT_COLOUR[Verdict.TIMEOUT])
    assert page.locator("li", has_text="pod.probe-404 in t3 at 06-step-6").is_visible()
