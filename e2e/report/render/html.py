"""HTML: a self-contained page (no scripts, no external assets) with the verdict, a step
timeline (bars placed by start time and sized by duration) and the findings.
"""

from __future__ import annotations

from html import escape

from e2e.report.model import CycleReport, StepResult, StepStatus
from e2e.report.render._text import abandoned_line, duration, timestamp
from e2e.report.render.colours import STATUS_COLOUR, VERDICT_COLOUR

_COLOUR = STATUS_COLOUR
_STYLE = """body{font:14px system-ui,sans-serif;margin:2em;max-width:72em}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}.bar{height:.9em;border-radius:2px;min-width:2px}
.track{position:relative;width:24em;background:#f6f8fa}pre{background:#f6f8fa;padding:.6em;
overflow:auto}code{background:#f6f8fa}.badge{color:#fff;padding:.1em .5em;border-radius:.3em;
font-weight:600;white-space:nowrap}.badge.light{color:#1f2328}.reason{border-left:4px solid;
padding:.2em .8em;margin:.5em 0}"""

# Statuses whose colour is too pale for white text.
_LIGHT = (StepStatus.PENDING, StepStatus.NOT_RUN)


def _badge(text: str, colour: str, *, light: bool = False) -> str:
    cls = "badge light" if light else "badge"
    return f'<span class="{cls}" style="background:{colour}">{escape(text)}</span>'


def _status(status: StepStatus) -> str:
    return _badge(str(status), _COLOUR[status], light=status in _LIGHT)


def render(report: CycleReport) -> str:
    e = escape
    verdict = report.verdict
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Cycle {e(report.cycle)}: {e(str(verdict))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Cycle {e(report.cycle)}: "
        f"{_badge(str(verdict), VERDICT_COLOUR.get(verdict, '#57606a'))}</h1>",
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
        else:  # no diagnoser named a cause: the reader still learns why, at the top
            progress = report.step(failure.step).progress
            if progress:
                line += f": {e(progress)}"
        parts.append(f"<p>{line}</p>")
    parts.append(f"<p>Target {e(report.target.provider)} <code>{e(report.target.fqdn)}</code>"
                 f" · started {e(timestamp(report.started_at))}"
                 f" · ended {e(timestamp(report.ended_at))}</p>")
    parts += ["<table><tr><th>#</th><th>Step</th><th>Status</th><th>Duration</th>"
              "<th>Timeline</th></tr>"]
    parts += [_row(report, step) for step in report.steps]
    parts.append("</table>")
    # A BLOCKED step with nothing of its own to show is one line, not a section each.
    quiet = [s for s in report.steps if s.status is StepStatus.BLOCKED and not s.findings
             and not s.evidence]
    for step in report.steps:
        if step in quiet:
            continue
        if not step.findings and not (step.status.finished and step.status not in (
                StepStatus.PASS, StepStatus.NOT_RUN)):
            continue
        parts.append(f"<h2>{step.number:02d} {e(step.title)} <code>{e(step.id)}</code>: "
                     f"{_status(step.status)}</h2>")
        # Why it ended so: STUCK/TIMEOUT carry it in `progress` ("no progress for 60s: ...")
        # even when no diagnoser named a cause; never a heading with nothing under it.
        if step.progress:
            parts.append(f'<p class="reason" style="border-color:{_COLOUR[step.status]}">'
                         f"<b>{e(str(step.status))}:</b> {e(step.progress)}</p>")
        if step.waiting_for and step.waiting_for not in step.progress:
            parts.append(f"<p>Last waited for: {e(step.waiting_for)}</p>")
        if step.status in (StepStatus.STUCK, StepStatus.TIMEOUT):
            parts.append(f"<p>Deadline {e(duration(step.timeout_s))}, stall window "
                         f"{e(duration(step.stall_after_s))}, {step.attempts} "
                         "evaluation(s).</p>")
        if step.blocked_by:
            parts.append(f"<p>Blocked by <code>{e(step.blocked_by)}</code></p>")
        if not step.findings and step.status in (StepStatus.STUCK, StepStatus.TIMEOUT):
            parts.append("<p>No diagnoser named a root cause: read the evidence below and "
                         "the target's events.</p>")
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
    if quiet:
        parts.append("<h2>Blocked, not run</h2><ul>" + "".join(
            f"<li><code>{e(q.id)}</code> {_status(q.status)} {e(q.progress)}</li>"
            for q in quiet) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(report: CycleReport, step: StepResult) -> str:
    e = escape
    return (f"<tr><td>{step.number:02d}</td><td>{e(step.title)}<br><code>{e(step.id)}</code></td>"
            f"<td>{_status(step.status)}</td><td>{e(duration(step.duration_s))}</td>"
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
