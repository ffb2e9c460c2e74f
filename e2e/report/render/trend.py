"""The cycle trend as one self-contained HTML page: how far each cycle got, and why it
stopped, for the release driver reading the history of t-prov cycles.

One bar per cycle: its height is the number of steps that passed (0..16), its colour the
verdict; hovering shows the stopping step and the root-cause code. Below, the cycle log.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from e2e.report.history import history
from e2e.report.model import CycleReport, StepStatus, Verdict, cycle_number
from e2e.report.render.colours import VERDICT_COLOUR

COLOURS = VERDICT_COLOUR
BAR, GAP, HEIGHT, TOP, LEFT = 28, 10, 220, 20, 40


def _links(cycles: Sequence[str], link: str | None) -> str:
    if not link:
        return ""
    return " — " + ", ".join(
        f'<a href="{escape(link.replace("{cycle}", c), quote=True)}">{escape(c)}</a>'
        for c in cycles)


def _passed(report: CycleReport) -> int:
    return sum(1 for s in report.steps if s.status is StepStatus.PASS)


def _tooltip(report: CycleReport) -> str:
    text = f"{report.cycle} {report.verdict}: {_passed(report)}/{len(report.steps)} passed"
    ff = report.first_failure
    if report.setup_error is not None:
        text += f", setup failed: {report.setup_error.action}"
    elif ff is not None and report.verdict is not Verdict.PASS:
        text += f", stopped at {ff.step}" + (f" ({ff.code})" if ff.code else "")
    return text


def render_trend(reports: Sequence[CycleReport], link: str | None = "{cycle}.html") -> str:
    """`link` formats each bar's target (`{cycle}` is replaced); None: no links."""
    ordered = sorted(reports, key=lambda r: cycle_number(r.cycle))
    steps = max((len(r.steps) for r in ordered), default=16) or 16
    width = LEFT + len(ordered) * (BAR + GAP) + GAP
    bars = []
    for i, report in enumerate(ordered):
        passed = _passed(report)
        h = max(2, round(HEIGHT * passed / steps))
        x = LEFT + GAP + i * (BAR + GAP)
        y = TOP + HEIGHT - h
        bar = (
            f'<g><title>{escape(_tooltip(report))}</title>'
            f'<rect x="{x}" y="{y}" width="{BAR}" height="{h}" '
            f'fill="{COLOURS.get(report.verdict, "#8c959f")}"></rect>'
            f'<text x="{x + BAR / 2}" y="{TOP + HEIGHT + 14}" text-anchor="middle">'
            f'{escape(report.cycle)}</text></g>')
        if link:
            href = escape(link.replace("{cycle}", report.cycle), quote=True)
            bar = f'<a href="{href}">{bar}</a>'
        bars.append(bar)
    grid = "".join(
        f'<line x1="{LEFT}" x2="{width}" y1="{TOP + HEIGHT - HEIGHT * n / steps}" '
        f'y2="{TOP + HEIGHT - HEIGHT * n / steps}" stroke="#d0d7de"></line>'
        f'<text x="{LEFT - 6}" y="{TOP + HEIGHT - HEIGHT * n / steps + 4}" '
        f'text-anchor="end">{n}</text>' for n in (0, steps // 2, steps))
    log = "".join(f"<li><code>{escape(e.long)}</code>{_links(e.cycles, link)}</li>"
                  for e in history(ordered))
    legend = " ".join(f'<span style="color:{c}">&#9632; {escape(str(v))}</span>'
                      for v, c in COLOURS.items())
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        "<title>Sovereign cycle trend</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}"
        "svg text{font-size:11px;fill:#57606a}</style></head><body>"
        f"<h1>Cycle trend</h1><p>Steps passed per cycle ({len(ordered)} cycles). {legend}</p>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{TOP + HEIGHT + 24}" role="img" aria-label="steps passed per cycle">'
        f"{grid}{''.join(bars)}</svg>"
        f"<h2>Cycle log</h2><ul>{log}</ul></body></html>\n")
