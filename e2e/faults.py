"""Fault scenarios: an overlay that makes a seed mistake plus what the report must say.

    scenarios/faults/<name>/overlay/kustomization.yaml   the mistake, as a user makes it
    scenarios/faults/<name>/expect.yaml                  step, status and Finding code

expect.yaml:
    apiVersion: sovereign-e2e/v1alpha1
    kind: FaultExpectation
    description: what went wrong on which cycle
    step: 08-cutover-complete
    status: FAIL            # or STUCK
    finding: gitea.token-is-password
    also: [flux.dependency-root]   # optional: codes the stopping step must also report
    subject: Deployment/grafana/grafana   # optional: the root Finding's subject,
                                          # Kind/namespace/name (glob: Pod/grafana/grafana-*)
    fix: raise the memory limit           # optional: words the root Finding's fix contains
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ConfigError
from .journey.steps import STEP_IDS
from .report.model import CycleReport, StepStatus


@dataclass(frozen=True)
class FaultExpectation:
    name: str
    directory: Path
    description: str
    step: str
    status: StepStatus
    finding: str
    also: tuple[str, ...] = ()
    subject: str = ""
    fix: str = ""

    @property
    def overlay(self) -> Path:
        return self.directory / "overlay"

    def mismatches(self, report: CycleReport) -> list[str]:
        """What the report says that differs from the expectation (empty: it matches)."""
        ff = report.first_failure
        if ff is None:
            return [f"the cycle did not stop anywhere (verdict {report.verdict.value})"]
        out = []
        if ff.step != self.step:
            out.append(f"stopped at {ff.step}, expected {self.step}")
        if ff.status != self.status:
            out.append(f"status {ff.status.value}, expected {self.status.value}")
        if ff.code != self.finding:
            out.append(f"root cause {ff.code}, expected {self.finding}")
        root = ff.finding.subject if ff.finding else None
        if self.subject and not (root and fnmatch.fnmatchcase(str(root), self.subject)):
            out.append(f"root subject {root}, expected {self.subject}")
        hint = ff.finding.hint if ff.finding else ""
        if self.fix and self.fix not in hint:
            out.append(f"root fix {hint!r} does not say {self.fix!r}")
        reported = {f.code for f in report.step(ff.step).findings}
        missing = [code for code in self.also if code not in reported]
        if missing:
            out.append(f"{ff.step} does not also report {', '.join(missing)}")
        return out


def load(directory: Path) -> FaultExpectation:
    path = directory / "expect.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read the expectation ({e})") from e
    if not isinstance(data, dict) or data.get("kind") != "FaultExpectation":
        raise ConfigError(f"{path}: not a FaultExpectation (kind: FaultExpectation)")
    step = str(data.get("step", ""))
    if step not in STEP_IDS:
        raise ConfigError(f"{path}: step {step!r} is not one of {', '.join(STEP_IDS)}")
    status = str(data.get("status", ""))
    if status not in ("FAIL", "STUCK", "TIMEOUT"):
        raise ConfigError(f"{path}: status must be FAIL, STUCK or TIMEOUT, got {status!r}")
    if not (directory / "overlay").is_dir():
        raise ConfigError(f"{directory}: has no overlay/ directory")
    also = data.get("also") or []
    if not isinstance(also, list):
        raise ConfigError(f"{path}: also must be a list of Finding codes")
    subject = data.get("subject") or ""
    if not isinstance(subject, str) or (subject and subject.count("/") not in (1, 2)):
        raise ConfigError(f"{path}: subject must be Kind/namespace/name (or Kind/name)")
    fix = data.get("fix") or ""
    if not isinstance(fix, str):
        raise ConfigError(f"{path}: fix must be a string the root Finding's fix contains")
    return FaultExpectation(directory.name, directory, str(data.get("description", "")),
                            step, StepStatus(status), str(data.get("finding", "")),
                            tuple(str(c) for c in also), subject, fix)


def discover(root: Path) -> list[FaultExpectation]:
    return [load(d) for d in sorted(root.iterdir()) if (d / "expect.yaml").exists()]
