"""expect.yaml's `subject:` (Kind/namespace/name, globs allowed) is checked against the
root Finding's subject; a malformed one is refused with the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.errors import ConfigError
from e2e.faults import load
from e2e.report.model import (
    CycleReport,
    Finding,
    StepResult,
    StepStatus,
    Subject,
    Target,
)


def fault(tmp_path: Path, subject: str) -> Path:
    (tmp_path / "overlay").mkdir()
    (tmp_path / "expect.yaml").write_text(
        "apiVersion: sovereign-e2e/v1alpha1\nkind: FaultExpectation\n"
        "step: 06-workloads-healthy\nstatus: FAIL\nfinding: pod.unschedulable\n"
        f"subject: {subject}\n")
    return tmp_path


def report(pod: str) -> CycleReport:
    f = Finding(code="pod.unschedulable", subject=Subject(kind="Pod", namespace="grafana",
                                                          name=pod), message=pod, hint="x")
    step = StepResult(id="06-workloads-healthy", number=6, title="t",
                      status=StepStatus.FAIL, findings=[f])
    return CycleReport(cycle="t1", target=Target(provider="emulated", fqdn="s.test"),
                       steps=[step])


def test_subject_glob_matches_the_root(tmp_path: Path) -> None:
    exp = load(fault(tmp_path, "Pod/grafana/grafana-*"))
    assert exp.mismatches(report("grafana-abc12")) == []
    assert exp.mismatches(report("keycloak-abc12")) == [
        "root subject Pod/grafana/keycloak-abc12, expected Pod/grafana/grafana-*"]


def test_a_malformed_subject_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="subject must be Kind/namespace/name"):
        load(fault(tmp_path, "grafana"))


def test_fix_words_are_checked_against_the_root_hint(tmp_path: Path) -> None:
    path = fault(tmp_path, "Pod/grafana/grafana-*")
    (path / "expect.yaml").write_text((path / "expect.yaml").read_text() + "fix: x\n")
    assert load(path).mismatches(report("grafana-abc12")) == []
    (path / "expect.yaml").write_text((path / "expect.yaml").read_text().replace(
        "fix: x", "fix: raise the limit"))
    assert load(path).mismatches(report("grafana-abc12")) == [
        "root fix 'x' does not say 'raise the limit'"]
