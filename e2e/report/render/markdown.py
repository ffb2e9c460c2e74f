"""Markdown rendering: what a person reads first. The verdict and where the cycle stopped,
a table of the steps, then for each non-passing step its Findings (code, subject, message,
the fix) and evidence.
"""

from __future__ import annotations

import re

from e2e.report.model import CycleReport, Evidence, Finding, StepResult, StepStatus, Verdict
from e2e.report.render._text import (
    STATUS_ICON,
    VERDICT_ICON,
    abandoned_line,
    duration,
    timestamp,
)

_FENCE_LANG = {"application/json": "json", "text/yaml": "yaml", "text/plain": "text"}


def render(report: CycleReport) -> str:
    lines: list[str] = []
    lines += _header(report)
    lines += _steps_table(report)
    troubled = [s for s in report.steps
                if (s.status.finished and s.status not in (StepStatus.PASS, StepStatus.NOT_RUN))
                or s.findings]
    # A BLOCKED step with nothing of its own to show is one line, not a section each.
    quiet = [s for s in troubled
             if s.status is StepStatus.BLOCKED and not s.findings and not s.evidence]
    if troubled:
        lines += ["", "## What went wrong", ""]
        for step in troubled:
            if step not in quiet:
                lines += _step_detail(step)
        if quiet:
            lines += ["Blocked, not run: " + ", ".join(
                f"`{s.id}` (needs `{s.blocked_by or '?'}`)" for s in quiet), ""]
    if report.platform is not None:
        lines += ["", "## Platform under test", ""]
        if report.platform.ref:
            lines.append(f"- platform repository: `{report.platform.ref}`")
        lines += [f"- {_inline(k)}: `{v}`" for k, v in report.platform.charts.items()]
    if report.harness:
        lines += ["", "## Harness", ""]
        lines += [f"- {_inline(k)}: {_inline(v)}" for k, v in sorted(report.harness.items())]
    return "\n".join(lines).rstrip() + "\n"


def _header(report: CycleReport) -> list[str]:
    verdict = report.verdict
    lines = [f"# Cycle {report.cycle}: {VERDICT_ICON[verdict]} {verdict}", ""]
    stop = report.stopping_step
    if verdict is Verdict.PASS:
        lines.append(f"**{verdict}**: all {len(report.steps)} steps passed.")
    elif verdict is Verdict.ERROR and report.setup_error is not None:
        error = report.setup_error
        lines.append(f"**{verdict}**: the run failed before step 01, while trying to "
                     f"{_inline(error.action)}: {_inline(error.message)}")
        if error.hint:
            lines += ["", f"**Fix:** {_inline(error.hint)}"]
        if error.evidence:
            lines += ["", "Evidence:", ""]
            lines += [f"- {_inline(k)}: `{v}`" for k, v in error.evidence.items()]
    elif verdict is Verdict.ABANDONED:
        where = f" at `{stop.id}` ({_inline(stop.title)})" if stop else ""
        lines.append(f"**{verdict}**{where}: {_inline(abandoned_line(report))}.")
    elif verdict is Verdict.IN_FLIGHT:
        where = f" at `{stop.id}` ({_inline(stop.title)})" if stop else ""
        lines.append(f"**{verdict}**{where}: the cycle has not finished.")
    elif verdict is Verdict.INCOMPLETE:
        ran = sum(1 for s in report.steps if s.status is StepStatus.PASS)
        lines.append(f"**{verdict}**: {ran} step(s) run, all passed; the others were not "
                     "selected in this run.")
    else:
        failure = report.first_failure
        assert failure is not None and stop is not None
        text = f"**{verdict}** at step {stop.number} `{stop.id}` ({_inline(stop.title)})"
        if failure.finding is not None:
            subject = f" on `{failure.finding.subject}`" if failure.finding.subject else ""
            text += f": `{failure.finding.code}`{subject}"
        elif stop.status is StepStatus.BLOCKED and stop.blocked_by:
            text += f": blocked by `{stop.blocked_by}`"
        lines.append(text)
        if failure.finding is not None and failure.finding.hint:
            lines += ["", f"**Fix:** {_inline(failure.finding.hint)}"]
    target = report.target
    api = f" · API `{target.api_server}`" if target.api_server else ""
    lines += ["", f"- Target: {_inline(target.provider)} · `{target.fqdn}`{api}"]
    lines += [f"  - {_inline(k)}: {_inline(v)}" for k, v in sorted(target.details.items())]
    total = None
    if report.started_at and report.ended_at:
        total = (report.ended_at - report.started_at).total_seconds()
    lines.append(f"- Started {timestamp(report.started_at)} · ended "
                 f"{timestamp(report.ended_at)} · took {duration(total)}")
    return lines


def _steps_table(report: CycleReport) -> list[str]:
    lines = ["", "## Steps", "",
             "| # | Step | Status | Duration | Attempts | Note |",
             "|---:|---|---|---:|---:|---|"]
    for step in report.steps:
        lines.append(
            f"| {step.number:02d} | {_cell(step.title)} `{step.id}` "
            f"| {STATUS_ICON[step.status]} {step.status} | {duration(step.duration_s)} "
            f"| {step.attempts} | {_cell(_note(step))} |")
    missing = report.expected_steps - len(report.steps)
    if missing > 0:
        lines += ["", f"_{missing} of {report.expected_steps} steps not reported yet._"]
    return lines


def _note(step: StepResult) -> str:
    if step.status is StepStatus.PASS:
        return ""
    if step.status is StepStatus.BLOCKED:
        return f"blocked by {step.blocked_by}" if step.blocked_by else "blocked"
    cause = step.root_cause
    if cause is not None:
        return cause.code
    if step.status is StepStatus.RUNNING:
        return f"waiting for {step.waiting_for}" if step.waiting_for else "running"
    return step.progress


def _step_detail(step: StepResult) -> list[str]:
    lines = [f"### {step.number:02d} {_inline(step.title)} `{step.id}`: "
             f"{STATUS_ICON[step.status]} {step.status}", ""]
    facts = []
    if step.waiting_for:
        facts.append(f"- Waited for: {_inline(step.waiting_for)}")
    if step.progress:
        facts.append(f"- Last progress: {_inline(step.progress)}")
    if step.blocked_by:
        facts.append(f"- Blocked by: `{step.blocked_by}` (a needed step that did not pass)")
    facts.append(f"- Attempts: {step.attempts} · took {duration(step.duration_s)} · timeout "
                 f"{duration(step.timeout_s)} · stall after {duration(step.stall_after_s)}")
    lines += [*facts, ""]
    for finding in step.findings:
        lines += _finding(finding)
    for evidence in step.evidence:
        lines += _evidence(evidence)
    return lines


def _finding(finding: Finding) -> list[str]:
    subject = f" on `{finding.subject}`" if finding.subject else ""
    lines = [f"#### `{finding.code}` ({finding.severity}){subject}", "",
             _block(finding.message), ""]
    if finding.hint:
        lines += [f"**Fix:** {_block(finding.hint)}", ""]
    for name, text in finding.evidence.items():
        lines += _evidence(Evidence(name=name, text=text))
    return lines


def _evidence(evidence: Evidence) -> list[str]:
    lang = _FENCE_LANG.get(evidence.content_type, "text")
    fence = _fence_for(evidence.text)
    return [f"<details><summary>evidence: {_html(evidence.name)}</summary>", "",
            f"{fence}{lang}", evidence.text.rstrip("\n"), fence, "", "</details>", ""]


def _fence_for(text: str) -> str:
    # A fence longer than any backtick run inside, so evidence cannot close it early.
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _inline(text: str) -> str:
    return text.replace("\n", " ").strip()


def _block(text: str) -> str:
    return text.strip()


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
