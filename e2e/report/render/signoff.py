"""The sign-off report as Markdown (to paste into a release) and as a self-contained HTML
page. Both show the same sections in the same order: the decision and its reasons, the
cycles considered, the platform under test, the harness, convergence per step against the
baseline, flaky steps, and warnings about the record itself.
"""

from __future__ import annotations

from html import escape

from e2e.report.render._text import VERDICT_ICON, duration, timestamp
from e2e.report.render.colours import VERDICT_COLOUR
from e2e.report.signoff import Signoff, StepTiming

__all__ = ["render_html", "render_markdown"]


def _change(t: StepTiming) -> str:
    if t.change is None:
        return "—"
    sign = "+" if t.change >= 0 else ""
    mark = " ⚠ regression" if t.regression else ""
    return f"{sign}{t.change * 100:.0f}%{mark}"


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(s: Signoff) -> str:
    lines = [f"# {s.title}", ""]
    if s.go:
        lines.append(f"**GO**: the latest {len(s.cycle_ids)} cycle(s) passed with no blocking "
                     "finding.")
    else:
        lines.append(f"**NO-GO**: {len(s.reasons)} reason(s).")
        lines += ["", "## Reasons", ""]
        for i, r in enumerate(s.reasons, 1):
            head = f"`{r.code}`" if r.code else r.kind
            at = f" at `{_md(r.step)}`" if r.step else ""
            lines.append(f"{i}. **{head}** in {', '.join(r.cycles) or r.cycle}{at}: "
                         f"{_md(r.message)}")
            if r.hint:
                lines.append(f"   - **Fix:** {_md(r.hint)}")
    lines += ["", "## Cycles considered", "",
              f"Required: the latest {s.require_passes} cycle(s), each PASS. Targets: "
              f"{', '.join(s.targets) or 'none'}.", ""]
    if s.cycle_details:
        lines += ["| cycle | verdict | target | started | harness commit | note |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {c.cycle} | {VERDICT_ICON.get(c.verdict, '')} {c.verdict} | {c.target} "
                  f"`{c.fqdn}` | {timestamp(c.started_at)} | `{(c.harness_commit or '—')[:12]}` "
                  f"| {_md(c.note)} |" for c in s.cycle_details]
    lines += ["", "## Platform under test", ""]
    if s.platform is None:
        lines.append("Not recorded: the latest cycle's report names no platform versions.")
    else:
        lines.append(f"- platform repository: `{s.platform.ref or 'unknown'}`")
        lines += [f"- {_md(name)}: `{version}`" for name, version in s.platform.charts.items()]
    lines += ["", "## Harness", ""]
    lines += [f"- ran the cycles: {_md(k)} `{v}`" for k, v in sorted(s.harness.items())
              if k in ("version", "commit")]
    lines += [f"- signed by: {_md(k)} `{v}`" for k, v in sorted(s.signed_by.items())]
    lines += ["", "## Convergence per step (p50)", ""]
    lines.append(f"Baseline: {s.baseline.label}." if s.baseline else
                 "Baseline: none (no recorded sign-off and no earlier passing cycle).")
    lines.append(f"A regression is a p50 more than {s.threshold * 100:.0f}% (and 5 s) slower.")
    lines += ["", "| step | p50 | baseline p50 | change |", "|---|---:|---:|---|"]
    lines += [f"| `{t.step}` | {duration(t.p50_s)} | {duration(t.previous_p50_s)} | "
              f"{_change(t)} |" for t in s.timings]
    lines += ["", "## Flaky steps", ""]
    if not s.flaky:
        lines.append("None: no step failed and then passed on the same platform versions.")
    for f in s.flaky:
        where = " (on the platform being signed)" if f.on_signed_platform else ""
        lines.append(f"- `{f.step}`: failed in {', '.join(f.failed_in)}, passed in "
                     f"{', '.join(f.passed_in)}{where}")
    if s.warnings:
        lines += ["", "## Warnings", ""] + [f"- {_md(w)}" for w in s.warnings]
    lines += ["", f"_Generated {timestamp(s.generated_at)}._"]
    return "\n".join(lines) + "\n"


_STYLE = """body{font:14px system-ui,sans-serif;margin:2em;max-width:72em;color:#1f2328}
table{border-collapse:collapse}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}code{background:#f6f8fa}.badge{color:#fff;
padding:.1em .5em;border-radius:.3em;font-weight:600}.regression{color:#cf222e;
font-weight:600}.decision{font-size:1.3em}li{margin:.3em 0}"""


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{escape(text)}</span>'


def render_html(s: Signoff) -> str:
    e = escape
    go_colour = "#2da44e" if s.go else "#cf222e"
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{e(s.title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_badge(s.decision, go_colour)} Release sign-off</h1>",
             f'<p class="decision">{e(s.title)}</p>']
    if s.reasons:
        parts.append("<h2>Reasons</h2><ol>")
        for r in s.reasons:
            head = f"<code>{e(r.code)}</code>" if r.code else e(r.kind)
            at = f" at <code>{e(r.step)}</code>" if r.step else ""
            fix = f"<br><b>Fix:</b> {e(r.hint)}" if r.hint else ""
            parts.append(f"<li><b>{head}</b> in {e(', '.join(r.cycles) or r.cycle)}{at}: "
                         f"{e(r.message)}{fix}</li>")
        parts.append("</ol>")
    parts.append(f"<h2>Cycles considered</h2><p>Required: the latest {s.require_passes} "
                 f"cycle(s), each PASS. Targets: {e(', '.join(s.targets) or 'none')}.</p>")
    parts.append("<table><tr><th>cycle</th><th>verdict</th><th>target</th><th>started</th>"
                 "<th>harness commit</th><th>note</th></tr>")
    for c in s.cycle_details:
        parts.append(f"<tr><td>{e(c.cycle)}</td><td>"
                     f"{_badge(str(c.verdict), VERDICT_COLOUR.get(c.verdict, '#57606a'))}</td>"
                     f"<td>{e(c.target)} <code>{e(c.fqdn)}</code></td>"
                     f"<td>{e(timestamp(c.started_at))}</td>"
                     f"<td><code>{e((c.harness_commit or '—')[:12])}</code></td>"
                     f"<td>{e(c.note)}</td></tr>")
    parts.append("</table><h2>Platform under test</h2>")
    if s.platform is None:
        parts.append("<p>Not recorded: the latest cycle's report names no platform "
                     "versions.</p>")
    else:
        parts.append(f"<p>Platform repository: <code>{e(s.platform.ref or 'unknown')}</code>"
                     "</p><table><tr><th>HelmRelease</th><th>chart@version</th></tr>")
        parts += [f"<tr><td>{e(k)}</td><td><code>{e(v)}</code></td></tr>"
                  for k, v in s.platform.charts.items()]
        parts.append("</table>")
    parts.append("<h2>Harness</h2><ul>")
    parts += [f"<li>ran the cycles: {e(k)} <code>{e(v)}</code></li>"
              for k, v in sorted(s.harness.items()) if k in ("version", "commit")]
    parts += [f"<li>signed by: {e(k)} <code>{e(v)}</code></li>"
              for k, v in sorted(s.signed_by.items())]
    parts.append("</ul><h2>Convergence per step (p50)</h2>")
    parts.append(f"<p>Baseline: {e(s.baseline.label) if s.baseline else 'none'}. A regression "
                 f"is a p50 more than {s.threshold * 100:.0f}% (and 5 s) slower.</p>")
    parts.append("<table><tr><th>step</th><th>p50</th><th>baseline p50</th><th>change</th>"
                 "</tr>")
    for t in s.timings:
        cls = ' class="regression"' if t.regression else ""
        parts.append(f"<tr><td><code>{e(t.step)}</code></td><td>{e(duration(t.p50_s))}</td>"
                     f"<td>{e(duration(t.previous_p50_s))}</td><td{cls}>{e(_change(t))}</td>"
                     "</tr>")
    parts.append("</table><h2>Flaky steps</h2>")
    if not s.flaky:
        parts.append("<p>None: no step failed and then passed on the same platform "
                     "versions.</p>")
    else:
        parts.append("<ul>" + "".join(
            f"<li><code>{e(f.step)}</code>: failed in {e(', '.join(f.failed_in))}, passed in "
            f"{e(', '.join(f.passed_in))}"
            + (" (on the platform being signed)" if f.on_signed_platform else "") + "</li>"
            for f in s.flaky) + "</ul>")
    if s.warnings:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{e(w)}</li>" for w in s.warnings)
                     + "</ul>")
    parts.append(f"<p><small>Generated {e(timestamp(s.generated_at))}.</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
