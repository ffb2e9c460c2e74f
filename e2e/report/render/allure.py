"""Allure output for the journey: categories.json (Allure 2) and allurerc.json (Allure 3),
one category per Finding code; environment.properties (the target, the platform's versions,
the cycle); each step's evidence and findings attached to its test result.

allure-pytest's own listener writes the test results; this module only adds to them through
allure's public API (`allure.attach`, `allure.dynamic`) and writes the two launch-level
files Allure reads from the results directory. Everything written or attached passes through
the session's Redactor first.

Category matching: Allure 2 puts a failed/broken result in every category whose
`messageRegex` matches its whole status message (Java, full match); Allure 3 puts it in the
first category whose regex finds a match (JavaScript `RegExp.test`). The regexes are
anchored and flag-free so both read them alike. The
status message is pytest's exception line, `Failed: <code> <step> <STATUS>: ...`, so each
code's regex anchors on the code after that optional prefix; the catch-all takes messages
that start with no known code, so every failure lands in exactly one category.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import allure
from allure_commons.types import AttachmentType

from e2e.redact import Redactor
from e2e.report.categories import CODES
from e2e.report.model import CycleReport, StepResult

__all__ = [
    "ALLURERC_FILE",
    "CATCH_ALL",
    "CATEGORIES_FILE",
    "ENVIRONMENT_FILE",
    "MATCHED_STATUSES",
    "allurerc",
    "attach_cycle_report",
    "attach_step",
    "categories",
    "environment",
    "message_regex",
    "properties_text",
    "write_launch_files",
]

CATEGORIES_FILE = "categories.json"
ALLURERC_FILE = "allurerc.json"
ENVIRONMENT_FILE = "environment.properties"
MATCHED_STATUSES = ("failed", "broken")
CATCH_ALL = "No known Finding code (unexplained failure)"

# pytest's exception line before the message: "Failed: ", or a qualified exception name.
_EXC_PREFIX = r"(?:[\w.]+: )?"

_CONTENT_TYPES = {
    "text/plain": AttachmentType.TEXT,
    "application/json": AttachmentType.JSON,
    "text/yaml": AttachmentType.YAML,
}


# -- categories.json (Allure 2, "classic") and allurerc.json (Allure 3) ------------------------
# The same regexes must work in Java (Allure 2: Pattern.matches, the whole message) and in
# JavaScript (Allure 3: RegExp.test, a search): no inline flags (`(?s)` is a SyntaxError in
# JavaScript), `[\s\S]` for "any character, newlines too", and anchored at both ends so a
# search behaves as a whole match.

def _code_re(code: str) -> str:
    # Codes are [a-z0-9] with '.' and '-': only '.' is special (Java and JavaScript alike).
    return code.replace(".", r"\.")


def message_regex(code: str) -> str:
    """Allure `messageRegex` for failures whose message starts with `code`."""
    return rf"^{_EXC_PREFIX}{_code_re(code)}(?:\s[\s\S]*)?$"


def _catch_all_regex(codes: Iterable[str]) -> str:
    known = "|".join(_code_re(c) for c in codes)
    return rf"^(?!{_EXC_PREFIX}(?:{known})(?:\s|$))[\s\S]*$"


def categories(codes: Mapping[str, str] = CODES) -> list[dict[str, Any]]:
    """The categories document: one category per code, then the catch-all. Allure 2 reads
    it as categories.json; Allure 3 takes the same rules in its config (`categories`)."""
    out: list[dict[str, Any]] = [
        {"name": f"{code}: {title}", "messageRegex": message_regex(code),
         "matchedStatuses": list(MATCHED_STATUSES)}
        for code, title in codes.items()]
    out.append({"name": CATCH_ALL, "messageRegex": _catch_all_regex(codes),
                "matchedStatuses": list(MATCHED_STATUSES)})
    return out


def allurerc(report_name: str = "Sovereign journey") -> dict[str, Any]:
    """Allure 3's config (allurerc.json): its default report (awesome) groups failures by
    the categories of its config, not by categories.json. Use it with
    `npx allure generate --config <alluredir>/allurerc.json <alluredir>`."""
    return {"name": report_name, "categories": {"rules": categories()}}


# -- environment.properties -----------------------------------------------------------------

def environment(report: CycleReport | None, *, provider: str, fqdn: str | None,
                cycle: str | None, version: str) -> dict[str, str]:
    """What the launch ran against: the report's target, verdict, the platform's versions
    (each chart as the cluster reported it) and the harness; else the settings."""
    env = {"target.provider": provider, "target.fqdn": fqdn or "", "cycle": cycle or "",
           "harness.version": version}
    if report is not None:
        target = report.target
        env = {"target.provider": target.provider, "target.fqdn": target.fqdn,
               "target.api_server": target.api_server or "", "cycle": report.cycle,
               "cycle.verdict": str(report.verdict),
               "harness.version": report.harness.get("version", version),
               "harness.commit": report.harness.get("commit", "")}
        if report.platform is not None:
            env["platform.ref"] = report.platform.ref or ""
            env.update({f"chart.{name}": v for name, v in report.platform.charts.items()})
    return {k: v for k, v in env.items() if v}


_SPECIAL = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def _escape(text: str, *, key: bool) -> str:
    """Java .properties escaping; non-ASCII as \\uXXXX (Properties.load reads ISO 8859-1)."""
    out = []
    for i, ch in enumerate(text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif (key and ch in " =:#!") or (i == 0 and ch == " "):
            out.append("\\" + ch)  # separators in a key; a value's leading blank
        elif not " " <= ch <= "~":
            data = ch.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(data[j:j + 2], 'big'):04x}"
                       for j in range(0, len(data), 2))
        else:
            out.append(ch)
    return "".join(out)


def properties_text(env: Mapping[str, str]) -> str:
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n"
                   for k, v in env.items())


# -- writing --------------------------------------------------------------------------------

def _write_atomic(path: Path, text: str) -> None:
    # xdist workers may write the same launch files at once: never leave a torn file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_launch_files(alluredir: Path, env: Mapping[str, str] | None,
                       redactor: Redactor) -> None:
    """categories.json and (unless `env` is None) environment.properties into the Allure
    results directory."""
    alluredir.mkdir(parents=True, exist_ok=True)
    _write_atomic(alluredir / CATEGORIES_FILE,
                  redactor.redact_text(json.dumps(categories(), indent=2)) + "\n")
    _write_atomic(alluredir / ALLURERC_FILE,
                  redactor.redact_text(json.dumps(allurerc(), indent=2)) + "\n")
    if env is None:
        return
    redacted = {k: redactor.redact_text(v) for k, v in env.items()}
    _write_atomic(alluredir / ENVIRONMENT_FILE, redactor.redact_text(properties_text(redacted)))


# -- per-step attachments -------------------------------------------------------------------

def _json(value: Any, redactor: Redactor) -> str:
    return redactor.redact_text(json.dumps(redactor.redact(value), indent=2,
                                           ensure_ascii=False))


def attach_step(result: StepResult, redactor: Redactor) -> None:
    """Attach a step's evidence and findings to the running Allure test result.

    A no-op when no Allure listener is active (allure's hooks have no implementation then).
    """
    red = redactor.redact_text
    status = f"{result.status.value}: {result.progress}" if result.progress else \
        result.status.value
    allure.dynamic.description(red(f"{result.title}\n\n{status}"))
    for finding in result.findings:
        allure.dynamic.tag(finding.code)
    # The step's timing and verdict; findings and evidence follow as their own attachments.
    summary = result.model_dump(mode="json", exclude={"findings", "evidence"})
    allure.attach(_json(summary, redactor), name="step", attachment_type=AttachmentType.JSON)
    if result.findings:
        allure.attach(_json([f.model_dump(mode="json") for f in result.findings], redactor),
                      name="findings", attachment_type=AttachmentType.JSON)
    for finding in result.findings:
        lines = [f"{finding.code} [{finding.severity.value}] {finding.subject or ''}".rstrip(),
                 finding.message]
        if finding.hint:
            lines.append(f"fix: {finding.hint}")
        lines.extend(f"{name}: {text}" for name, text in finding.evidence.items())
        allure.attach(red("\n".join(lines)), name=f"finding {finding.code}",
                      attachment_type=AttachmentType.TEXT)
    for ev in result.evidence:
        kind = _CONTENT_TYPES.get(ev.content_type, AttachmentType.TEXT)
        allure.attach(red(ev.text), name=red(ev.name), attachment_type=kind)



def attach_cycle_report(report: CycleReport, redactor: Redactor, path: str | None = None) -> None:
    """Attach a whole cycle report (Markdown to read, JSON to reuse) to the running test:
    a fault scenario's test result then carries the cycle it judged."""
    from e2e.report.render import render

    name = f"cycle {report.cycle} {report.verdict}" + (f" ({path})" if path else "")
    allure.attach(render(report, "markdown", redactor), name=name,
                  attachment_type=AttachmentType.TEXT)
    allure.attach(render(report, "json", redactor), name=f"{report.cycle}.json",
                  attachment_type=AttachmentType.JSON)
