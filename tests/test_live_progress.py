"""Live 'waiting for' lines: a live status at a terminal, quiet in a CI log."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from e2e.journey.steps import STEPS
from e2e.plugin import _LiveProgress

STEP = STEPS[4]  # 05-bootstrap-kit-converged


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def progress(tty: bool) -> tuple[_LiveProgress, list[str], Clock]:
    lines: list[str] = []
    reporter = SimpleNamespace(write_line=lines.append)
    plugins: dict[str, Any] = {"terminalreporter": reporter, "capturemanager": None}
    config = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=plugins.get),
                             get_verbosity=lambda: 0)
    clock = Clock()
    return _LiveProgress(config, tty=tty, clock=clock), lines, clock  # type: ignore[arg-type]


def wait(live: _LiveProgress, clock: Clock, seconds: float, text: str | None = None) -> None:
    """A step waiting `seconds`, evaluated every 0.5 s, on the same text (or `text` + i)."""
    for i in range(int(seconds * 2)):
        clock.now += 0.5
        live(STEP, clock.now, text or f"moving {i}")


def test_without_a_terminal_a_20_minute_wait_is_about_40_lines_not_600() -> None:
    live, lines, clock = progress(tty=False)
    wait(live, clock, 20 * 60, text="3/15 HelmReleases Ready")
    assert 38 <= len(lines) <= 41, len(lines)  # one per 30 s
    assert all(line.startswith("  [05-bootstrap-kit-converged]") for line in lines)


def test_without_a_terminal_a_change_is_printed_at_once() -> None:
    live, lines, clock = progress(tty=False)
    wait(live, clock, 10, text="3/15 HelmReleases Ready")
    before = len(lines)
    clock.now += 0.5
    live(STEP, clock.now, "4/15 HelmReleases Ready")
    assert len(lines) == before + 1 and lines[-1].endswith("4/15 HelmReleases Ready")


def test_at_a_terminal_a_line_every_two_seconds() -> None:
    live, lines, clock = progress(tty=True)
    wait(live, clock, 60, text="same")
    assert 28 <= len(lines) <= 30, len(lines)
