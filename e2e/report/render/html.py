"""HTML: a self-contained page (no scripts, no external assets) with the verdict, a step
timeline (bars placed by start time and sized by duration) and the findings.
"""

from __future__ import annotations

from html import escape

from e2e.report.model import CycleReport, StepResult, StepStatus
from e2e.report.render._text import abandoned_line, duration, timestamp

_COLOUR = {
    StepStatus.PASS: "#2da44e", StepStatus.FAIL: "#cf222e", StepStatus.STUCK: "#bf8700",
    StepStatus.TIMEOUT: "#bc4c00", StepStatus.BLOCKED: "#8c959f",
    StepStatus.RUNNING: "#0969da", StepStatus.PENDING: "#d0d7de", StepStatus.NOT_RUN: "#eaeef2",
}
_STYLE = """body{font:14px system-ui,sans-serif;margin:2em;max-width:72em}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}.bar{height:.9em;border-radius:2px;min-width:2px}
.track{position:relative;width:24em;background:#f6f8fa}pre{background:#f6f8fa;padding:.6em;
overflow:auto}code{background:#f6f8fa}"""


def render(report: CycleReport) -> str:
    e = escape
    verdict = report.verdict
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Cycle {e(report.cycle)}: {e(str(verdict))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Cycle {e(report.cycle)}: {e(str(verdict))}</h1>",
    ]
    if report.setup_error is not None:
        error = report.setup_error
        parts.append(f"<p>The run failed before step 01, while trying to "
                     f"<b>{e(error.action)}</b>: {e(error.message)}"
                     + (f"<br><b>Fix:</b> {e(error.hint)}" if error.hint else "") + "</p>")
        parts += [f"<details open><summary>{e(n)}</summary><pre>{e(t)}</pre></details>"
                  for n, t in error.evidence.items()]
    if report.abandoned:
        parts.append(f"<p>{e(abandoned_line(report))}</p>")
    failure = report.first_failure
    if failure is not None:
        line = f"Stopped at <code>{e(failure.step)}</code> ({e(str(failure.status))})"
        if failure.finding is not None:
            line += f": <code>{e(failure.finding.code)}</code>"
            if failure.finding.hint:
                line += f"<br><b>Fix:</b> {e(failure.finding.hint)}"
        parts.append(f"<p>{line}</p>")
    parts.append(f"<p>Target {e(report.target.provider)} <code>{e(report.target.fqdn)}</code>"
                 f" · started {e(timestamp(report.started_at))}"
                 f" · ended {e(timestamp(report.ended_at))}</p>")
    parts += ["<table><tr><th>#</th><th>Step</th><th>Status</th><th>Duration</th>"
              "<th>Timeline</th></tr>"]
    parts += [_row(report, step) for step in report.steps]
    parts.append("</table>")
    for step in report.steps:
        if not step.findings and not (step.status.finished and step.status is not StepStatus.PASS):
            continue
        parts.append(f"<h2>{step.number:02d} {e(step.title)} <code>{e(step.id)}</code>: "
                     f"{e(str(step.status))}</h2>")
        if step.blocked_by:
            parts.append(f"<p>Blocked by <code>{e(step.blocked_by)}</code></p>")
        for f in step.findings:
            subject = f" on <code>{e(str(f.subject))}</code>" if f.subject else ""
            parts.append(f"<h3><code>{e(f.code)}</code> ({e(str(f.severity))}){subject}</h3>"
                         f"<p>{e(f.message)}</p>")
            if f.hint:
                parts.append(f"<p><b>Fix:</b> {e(f.hint)}</p>")
            parts += [f"<details><summary>{e(n)}</summary><pre>{e(t)}</pre></details>"
                      for n, t in f.evidence.items()]
        parts += [f"<details><summary>{e(ev.name)}</summary><pre>{e(ev.text)}</pre></details>"
                  for ev in step.evidence]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(report: CycleReport, step: StepResult) -> str:
    e = escape
    return (f"<tr><td>{step.number:02d}</td><td>{e(step.title)}<br><code>{e(step.id)}</code></td>"
            f"<td>{e(str(step.status))}</td><td>{e(duration(step.duration_s))}</td>"
            f"<td>{_bar(report, step)}</td></tr>")


def _bar(report: CycleReport, step: StepResult) -> str:
    starts = [s.started_at for s in report.steps if s.started_at]
    ends = [s.ended_at for s in report.steps if s.ended_at]
    if not step.started_at or not starts or not ends:
        return ""
    origin, last = min(starts), max(max(ends), max(starts))
    span = max((last - origin).total_seconds(), 1e-3)
    left = (step.started_at - origin).total_seconds() / span * 100
    width = ((step.duration_s or 0.0) / span) * 100
    return (f'<div class="track"><div class="bar" style="margin-left:{left:.1f}%;'
            f'width:{width:.1f}%;background:{_COLOUR[step.status]}"></div></div>')
