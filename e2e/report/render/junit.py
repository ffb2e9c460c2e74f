"""JUnit XML: one testcase per step, for CI dashboards.

FAIL/STUCK/TIMEOUT are failures (message: the root-cause Finding); BLOCKED is skipped with
the step it waited on; steps not run yet (cycle in flight) are skipped too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from e2e.report.model import CycleReport, StepResult, StepStatus
from e2e.report.render._text import setup_error_lines

_FAILED = (StepStatus.FAIL, StepStatus.STUCK, StepStatus.TIMEOUT)
# XML 1.0 cannot carry these at all, not even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: CycleReport) -> str:
    failures = sum(s.status in _FAILED for s in report.steps)
    skipped = sum(not (s.status is StepStatus.PASS or s.status in _FAILED) for s in report.steps)
    total = sum(s.duration_s or 0.0 for s in report.steps)
    suites = ET.Element("testsuites", name="sovereign-e2e")
    suite = ET.SubElement(suites, "testsuite", {
        "name": f"sovereign-e2e.journey.{report.cycle}",
        "tests": str(len(report.steps)), "failures": str(failures), "errors": "0",
        "skipped": str(skipped), "time": f"{total:.3f}",
        **({"timestamp": report.started_at.isoformat()} if report.started_at else {}),
    })
    props = ET.SubElement(suite, "properties")
    for name, value in [("cycle", report.cycle), ("verdict", str(report.verdict)),
                        ("target.provider", report.target.provider),
                        ("target.fqdn", report.target.fqdn),
                        *sorted((f"harness.{k}", v) for k, v in report.harness.items())]:
        ET.SubElement(props, "property", name=name, value=_clean(value))
    if report.setup_error is not None:
        # The run never reached a step: one errored case carries the setup failure.
        suite.set("errors", "1")
        suite.set("tests", str(len(report.steps) + 1))
        case = ET.SubElement(suite, "testcase", {
            "classname": f"sovereign-e2e.journey.{report.cycle}", "name": "setup",
            "time": "0.000"})
        error = ET.SubElement(case, "error", type="ERROR", message=_clean(
            f"setup failed while trying to {report.setup_error.action}: "
            f"{report.setup_error.message}"))
        error.text = _clean("\n".join(setup_error_lines(report)))
    for step in report.steps:
        _testcase(suite, report.cycle, step, setup_failed=report.setup_error is not None)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, cycle: str, step: StepResult, *,
              setup_failed: bool = False) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": f"sovereign-e2e.journey.{cycle}", "name": step.id,
        "time": f"{step.duration_s or 0.0:.3f}"})
    if step.status in _FAILED:
        cause = step.root_cause
        message = (f"{step.status}: {cause.code}: {cause.message}" if cause
                   else f"{step.status}: {step.progress or step.waiting_for or step.title}")
        failure = ET.SubElement(case, "failure", message=_clean(message), type=str(step.status))
        failure.text = _clean(_details(step))
    elif step.status is StepStatus.BLOCKED:
        ET.SubElement(case, "skipped",
                      message=f"BLOCKED: needed step {step.blocked_by or '?'} did not pass")
    elif step.status is StepStatus.NOT_RUN:
        why = "setup failed" if setup_failed else "not selected in this run"
        ET.SubElement(case, "skipped", message=f"NOT-RUN: {why}")
    elif step.status is not StepStatus.PASS:
        ET.SubElement(case, "skipped", message=f"{step.status}: cycle still in flight")
    evidence = [f"--- {e.name} ({e.content_type})\n{e.text}" for e in step.evidence]
    if evidence:
        ET.SubElement(case, "system-out").text = _clean("\n".join(evidence))


def _details(step: StepResult) -> str:
    lines = [f"step {step.id}: {step.title}"]
    if step.waiting_for:
        lines.append(f"waited for: {step.waiting_for}")
    if step.progress:
        lines.append(f"last progress: {step.progress}")
    for f in step.findings:
        subject = f" on {f.subject}" if f.subject else ""
        lines += ["", f"[{f.severity}] {f.code}{subject}", f.message]
        if f.hint:
            lines.append(f"fix: {f.hint}")
        lines += [f"--- {name}\n{text}" for name, text in f.evidence.items()]
    return "\n".join(lines)


def _clean(text: str) -> str:
    return _INVALID_XML.sub("?", text)
