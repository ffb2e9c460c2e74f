"""The Finding-code registry is complete, and the Allure categories put every failure in
exactly one group: its code's, or the catch-all."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import e2e
from e2e.faults import discover
from e2e.plugin import expect_pass
from e2e.report.categories import CODES, title
from e2e.report.model import Finding, StepResult, StepStatus
from e2e.report.render.allure import CATCH_ALL, allurerc, categories, message_regex

E2E = Path(e2e.__file__).parent
REPO = E2E.parent
EMITTERS = {"blocking", "warning", "Finding"}  # e2e.diagnose.findings + the model itself
CODE_SHAPE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:[.-][a-z0-9]+)*$")


LOGGERS = {"log", "logger", "logging"}  # `log.warning(...)` is a log line, not a Finding


def _callee(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        base = f.value.id if isinstance(f.value, ast.Name) else None
        return None if base in LOGGERS else f.attr
    return None


def _code_arg(node: ast.Call) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == "code":
            return kw.value
    return node.args[0] if node.args and _callee(node) != "Finding" else None


def _literals(expr: ast.expr) -> list[str]:
    """The codes an argument can be: a string literal, or `a if cond else b` of those."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        body, orelse = _literals(expr.body), _literals(expr.orelse)
        return body + orelse if body and orelse else []
    return []


def emitted_codes() -> dict[str, list[str]]:
    """Every code literal passed to blocking()/warning()/Finding(code=) in e2e/, by code,
    with where; a code that is not a literal (or a choice of literals) is reported too."""
    found: dict[str, list[str]] = {}
    for path in sorted(E2E.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _callee(node) not in EMITTERS:
                continue
            arg = _code_arg(node)
            if arg is None:
                continue
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            literals = _literals(arg)
            if isinstance(arg, ast.Name) and path.name == "findings.py":
                continue  # the constructors themselves pass their `code` parameter on
            if not literals:
                found.setdefault(f"<not a literal: {ast.unparse(arg)}>", []).append(where)
            for code in literals:
                found.setdefault(code, []).append(where)
    return found


def test_the_scan_sees_the_diagnosers() -> None:
    codes = emitted_codes()
    # A scan that finds nothing would pass the next test vacuously.
    assert {"flux.install-failed", "gitea.token-is-password", "route.refs-unresolved",
            "step.setup-failed"} <= codes.keys()
    assert len(codes) >= 20


def test_every_emitted_code_is_registered() -> None:
    missing = {code: where for code, where in emitted_codes().items() if code not in CODES}
    assert not missing, ("Finding codes emitted but not in e2e/report/categories.py CODES "
                         f"(add them with a title): {missing}")


def test_every_registered_code_is_emitted_somewhere() -> None:
    dead = sorted(set(CODES) - set(emitted_codes()))
    assert not dead, f"codes in CODES that nothing emits any more: {dead}"


def test_registered_codes_are_well_formed() -> None:
    for code, text in CODES.items():
        assert CODE_SHAPE.match(code), code
        Finding(code=code, message="x")  # the model accepts it
        assert text and "\n" not in text and title(code) == text
    assert title("no.such-code") != ""


def test_fault_expectations_name_registered_codes() -> None:
    faults = discover(REPO / "scenarios" / "faults")
    assert faults
    assert {f.finding for f in faults} <= set(CODES)


# -- categories.json ------------------------------------------------------------------------

def allure_matches(message: str) -> list[str]:
    """Allure 2's rule: every category whose messageRegex matches the whole message
    (Pattern.DOTALL + matches(); the regexes use only syntax Java and Python share)."""
    return [c["name"] for c in categories()
            if re.fullmatch(c["messageRegex"], message, re.DOTALL)]


def failure_message(result: StepResult) -> str:
    """The status message allure-pytest records: the exception line of expect_pass's fail."""
    with pytest.raises(pytest.fail.Exception) as info:
        expect_pass(result)
    return info.exconly()


def step(status: StepStatus, *findings: Finding) -> StepResult:
    return StepResult(id="05-bootstrap-kit-converged", number=5, title="the kit converges",
                      status=status, progress="2/40 HelmReleases Ready",
                      findings=list(findings))


def test_one_category_per_code_then_the_catch_all() -> None:
    doc = categories()
    assert [c["name"].split(":")[0] for c in doc[:-1]] == list(CODES)
    assert doc[-1]["name"] == CATCH_ALL
    for c in doc:
        assert c["matchedStatuses"] == ["failed", "broken"]
        re.compile(c["messageRegex"])
    json.dumps(doc)  # serialisable as is


@pytest.mark.parametrize("code", list(CODES))
def test_a_coded_failure_lands_in_its_category_only(code: str) -> None:
    finding = Finding(code=code, message="what broke\nover two lines", hint="the fix")
    message = failure_message(step(StepStatus.FAIL, finding))
    assert message.startswith(f"Failed: {code} 05-bootstrap-kit-converged FAIL")
    assert allure_matches(message) == [f"{code}: {CODES[code]}"]


def test_the_root_cause_not_a_warning_names_the_category() -> None:
    warn = Finding(code="flux.chart-pin-lag", severity="WARNING", message="stale")
    root = Finding(code="pod.crashloop", message="crashes")
    message = failure_message(step(StepStatus.STUCK, warn, root))
    assert allure_matches(message) == [f"pod.crashloop: {CODES['pod.crashloop']}"]


@pytest.mark.parametrize("message", [
    "Failed: 05-bootstrap-kit-converged STUCK: no progress for 60s: 2/40 Ready",
    "Failed: sovereign-e2e: cannot bring up the target: connection refused",
    "Failed: flux.install-failed-later 05-x FAIL: an unregistered code that extends one",
    "Failed: brand.new-code 05-x FAIL: a code not (yet) registered",
    "AssertionError: assert 1 == 2",
    "",
])
def test_failures_without_a_known_code_land_in_the_catch_all(message: str) -> None:
    assert allure_matches(message) == [CATCH_ALL]


def test_uncoded_step_failure_from_expect_pass_is_caught_all() -> None:
    assert allure_matches(failure_message(step(StepStatus.TIMEOUT))) == [CATCH_ALL]


def test_message_regex_escapes_the_dot() -> None:
    assert not re.fullmatch(message_regex("pod.crashloop"), "podXcrashloop 05 FAIL", re.S)


def allure3_category(message: str) -> str | None:
    """Allure 3's rule: the first category whose regex finds a match (RegExp.test: a
    search, no flags)."""
    for c in allurerc()["categories"]["rules"]:
        if re.search(c["messageRegex"], message):
            return str(c["name"])
    return None


@pytest.mark.parametrize("code", ["gitea.token-is-password", "pod.crashloop",
                                  "flux.chart-pin-lag"])
def test_allure3_search_semantics_pick_the_same_category(code: str) -> None:
    message = failure_message(step(StepStatus.FAIL, Finding(code=code, message="a\nb")))
    assert allure3_category(message) == f"{code}: {CODES[code]}"
    assert allure3_category("Failed: 05-x STUCK: no code") == CATCH_ALL
    # a code inside the text is not a code at the start
    assert allure3_category(f"Failed: 05-x STUCK: mentions {code} later") == CATCH_ALL


def test_regexes_carry_no_inline_flags_and_compile_in_javascript() -> None:
    doc = categories()
    assert all("(?s)" not in c["messageRegex"] and "(?" + "i)" not in c["messageRegex"]
               for c in doc)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript check needs it")
    message = failure_message(step(StepStatus.FAIL, Finding(code="pod.crashloop",
                                                            message="two\nlines")))
    script = ("const [doc, msg] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "const hit = doc.find(c => new RegExp(c.messageRegex).test(msg));"
              "console.log(hit ? hit.name : '');")
    done = subprocess.run([node, "-e", script], input=json.dumps([doc, message]),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # every regex compiled
    assert done.stdout.strip() == f"pod.crashloop: {CODES['pod.crashloop']}"


def test_allurerc_holds_the_same_rules() -> None:
    rc = allurerc()
    assert rc["categories"]["rules"] == categories()
    assert set(rc) == {"name", "categories"}
