"""The one cycle-report model: pure data, no I/O. Renderers, the store, history and signoff
read it; the journey runner fills it.

Derived values (a cycle's verdict, its first failure, all findings, a step's duration) are
computed from the steps, never stored independently of them; they are serialised so that
readers of the JSON need not re-derive them, and ignored when the JSON is read back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
)

__all__ = [
    "API_VERSION",
    "EXPECTED_STEPS",
    "KIND",
    "CycleReport",
    "Evidence",
    "Finding",
    "FirstFailure",
    "Platform",
    "SetupError",
    "Severity",
    "StepResult",
    "StepStatus",
    "Subject",
    "Target",
    "Verdict",
    "Writer",
    "cycle_id",
    "cycle_number",
    "is_cycle_id",
    "sort_cycle_ids",
]

API_VERSION: Final = "sovereign-e2e/v1alpha1"
KIND: Final = "CycleReport"
EXPECTED_STEPS = 16

_CYCLE_RE = re.compile(r"^t([1-9][0-9]*)$")


# -- cycle ids ------------------------------------------------------------------------------

def is_cycle_id(text: str) -> bool:
    return _CYCLE_RE.match(text) is not None


def cycle_number(cycle: str) -> int:
    """`"t23"` -> 23. Raises ValueError for anything that is not a cycle id."""
    match = _CYCLE_RE.match(cycle)
    if match is None:
        raise ValueError(f"not a cycle id: {cycle!r} (expected t<N>, e.g. t23)")
    return int(match.group(1))


def cycle_id(number: int) -> str:
    if number < 1:
        raise ValueError(f"cycle numbers start at 1, got {number}")
    return f"t{number}"


def sort_cycle_ids(cycles: list[str]) -> list[str]:
    """Numeric order: t9 before t10."""
    return sorted(cycles, key=cycle_number)


# -- enums ----------------------------------------------------------------------------------

class StepStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PASS = "PASS"
    FAIL = "FAIL"
    STUCK = "STUCK"
    TIMEOUT = "TIMEOUT"
    BLOCKED = "BLOCKED"
    NOT_RUN = "NOT-RUN"  # not selected in a partial run (e.g. `-k "journey and routes"`)
    INTERRUPTED = "INTERRUPTED"  # the run was stopped (SIGINT, SIGTERM) while it ran

    @property
    def finished(self) -> bool:
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)



class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    STUCK = "STUCK"
    TIMEOUT = "TIMEOUT"
    IN_FLIGHT = "IN-FLIGHT"
    INCOMPLETE = "INCOMPLETE"  # the run ended with steps not run and none failed
    INTERRUPTED = "INTERRUPTED"  # stopped by a signal at the step that was running
    # Not a platform verdict: the harness could not set the run up (bad kubeconfig, bad
    # overlay, unreachable cluster, a taken --cycle); no step ran. See CycleReport.setup_error.
    ERROR = "ERROR"
    # Judged by a reader, never written: IN-FLIGHT, but its writer is gone (a killed run).
    ABANDONED = "ABANDONED"

    @property
    def completed(self) -> bool:
        """The run is over (whatever its outcome): not still running."""
        return self is not Verdict.IN_FLIGHT

    @property
    def platform_verdict(self) -> bool:
        """Says something about the platform (the steps ran to an outcome); ERROR,
        ABANDONED and IN-FLIGHT say only that the run itself did not finish."""
        return self not in (Verdict.IN_FLIGHT, Verdict.ERROR, Verdict.ABANDONED)



class Severity(StrEnum):
    BLOCKING = "BLOCKING"
    WARNING = "WARNING"
    INFO = "INFO"



_STEP_TO_VERDICT = {
    StepStatus.FAIL: Verdict.FAIL,
    StepStatus.BLOCKED: Verdict.FAIL,  # a needed step did not pass: the cycle failed
    StepStatus.STUCK: Verdict.STUCK,
    StepStatus.TIMEOUT: Verdict.TIMEOUT,
    StepStatus.NOT_RUN: Verdict.INCOMPLETE,
    StepStatus.INTERRUPTED: Verdict.INTERRUPTED,
}


# -- timestamps -----------------------------------------------------------------------------

def _aware(value: Any) -> Any:
    # Reports compare and subtract times across processes: keep every timestamp in UTC.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


Timestamp = Annotated[datetime, BeforeValidator(_aware)]


# -- parts ----------------------------------------------------------------------------------

class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class Subject(_Frozen):
    """The object a Finding is about."""

    kind: str
    namespace: str | None = None
    name: str

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


class Finding(_Frozen):
    """A named root cause (or warning) with the fix in `hint`."""

    code: str = Field(pattern=r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$",
                      description="root-cause class, e.g. gitea.token-is-password")
    severity: Severity = Severity.BLOCKING
    subject: Subject | None = None
    message: str
    hint: str = ""
    evidence: dict[str, str] = Field(default_factory=dict,
                                     description="already redacted text, by name")


class Evidence(_Frozen):
    name: str
    content_type: Literal["text/plain", "application/json", "text/yaml"] = "text/plain"
    text: str


class StepResult(_Frozen):
    id: str = Field(pattern=r"^[0-9]{2}-[a-z0-9-]+$",
                    description="the step id, number included: 05-bootstrap-kit-converged")
    number: int = Field(ge=1)
    title: str
    status: StepStatus = StepStatus.PENDING
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    attempts: int = Field(default=0, ge=0)
    waiting_for: str = ""
    progress: str = ""
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    blocked_by: str | None = None
    timeout_s: float = 0.0
    stall_after_s: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 3)

    @property
    def blocking_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCKING]

    @property
    def root_cause(self) -> Finding | None:
        """The first blocking Finding, else the first Finding of any severity."""
        blocking = self.blocking_findings
        if blocking:
            return blocking[0]
        return self.findings[0] if self.findings else None


class SetupAction(_Frozen):
    """One timed action of bringing the target up (the kind target's plan actions)."""

    name: str
    status: str
    seconds: float
    detail: str = ""


class Target(_Frozen):
    provider: str
    fqdn: str
    api_server: str | None = None
    details: dict[str, str] = Field(default_factory=dict)
    setup: list[SetupAction] = Field(default_factory=list)


class FirstFailure(_Frozen):
    """Where a cycle stopped and, when a diagnoser named it, why."""

    step: str
    number: int
    title: str
    status: StepStatus
    finding: Finding | None = None
    blocked_by: str | None = None

    @property
    def code(self) -> str | None:
        return self.finding.code if self.finding else None


class SetupError(_Frozen):
    """Why a run never reached step 01: the setup action that failed and its evidence."""

    action: str = Field(description="what the harness was doing, e.g. 'load the kubeconfig'")
    message: str = Field(description="the problem, one line (redacted)")
    hint: str = Field(default="", description="the fix")
    evidence: dict[str, str] = Field(default_factory=dict,
                                     description="already redacted text, by name")


class Writer(_Frozen):
    """The process writing an IN-FLIGHT report: readers tell a killed run from a running
    one by it (same host: is the pid alive; any host: is the heartbeat recent)."""

    pid: int
    host: str
    heartbeat_at: Timestamp = Field(description="refreshed on every write of the report")


class Platform(_Frozen):
    """What was under test, as the cluster reported it."""

    charts: dict[str, str] = Field(
        default_factory=dict,
        description="HelmRelease (namespace/name) -> chart@version the cluster installed")
    ref: str | None = Field(default=None,
                            description="the platform repository ref (GitRepository), "
                                        "when known")


# -- the report -----------------------------------------------------------------------------

class CycleReport(_Frozen):
    api_version: Literal["sovereign-e2e/v1alpha1"] = Field(default=API_VERSION,
                                                           alias="apiVersion")
    kind: Literal["CycleReport"] = KIND
    cycle: str = Field(pattern=_CYCLE_RE.pattern, description="t<N>, e.g. t23")
    target: Target
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    steps: list[StepResult] = Field(default_factory=list)
    harness: dict[str, str] = Field(default_factory=dict)
    expected_steps: int = Field(
        default=EXPECTED_STEPS, ge=1,
        description="how many steps the journey has; PASS needs all of them PASS")
    setup_error: SetupError | None = Field(
        default=None, description="set when the run failed before step 01 (verdict ERROR)")
    writer: Writer | None = Field(
        default=None, description="the process that writes this report while it runs")
    abandoned: str | None = Field(
        default=None, description="set by a reader that found the writer gone (why); "
                                  "an IN-FLIGHT report with it reads as ABANDONED")
    platform: Platform | None = Field(
        default=None, description="chart versions and platform ref the cluster reported")

    @field_validator("steps")
    @classmethod
    def _unique_ordered_steps(cls, steps: list[StepResult]) -> list[StepResult]:
        ids = [s.id for s in steps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate step ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        return sorted(steps, key=lambda s: s.number)

    # -- derived ------------------------------------------------------------------------

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        if self.setup_error is not None:
            return Verdict.ERROR
        verdict = self._step_verdict()
        if verdict is Verdict.IN_FLIGHT and self.abandoned:
            return Verdict.ABANDONED
        return verdict

    def _step_verdict(self) -> Verdict:
        for step in self.steps:  # ordered by number; a step not run hides no later failure
            if step.status in (StepStatus.PASS, StepStatus.NOT_RUN) or not step.status.finished:
                continue
            return _STEP_TO_VERDICT[step.status]
        if any(not s.status.finished for s in self.steps):
            return Verdict.IN_FLIGHT
        if len(self.steps) >= self.expected_steps and all(
                s.status is StepStatus.PASS for s in self.steps):
            return Verdict.PASS
        if any(s.status is StepStatus.NOT_RUN for s in self.steps):
            return Verdict.INCOMPLETE
        return Verdict.IN_FLIGHT

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_failure(self) -> FirstFailure | None:
        step = self.stopping_step
        if step is None or not step.status.finished:
            return None
        return FirstFailure(step=step.id, number=step.number, title=step.title,
                            status=step.status, finding=step.root_cause,
                            blocked_by=step.blocked_by)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def findings(self) -> list[Finding]:
        return [f for step in self.steps for f in step.findings]

    # -- helpers ------------------------------------------------------------------------

    @property
    def stopping_step(self) -> StepResult | None:
        """The first finished non-passing step; while in flight, the step being worked on."""
        for step in self.steps:
            if step.status.finished and step.status not in (StepStatus.PASS,
                                                            StepStatus.NOT_RUN):
                return step
        for step in self.steps:
            if step.status is StepStatus.RUNNING:
                return step
        for step in self.steps:
            if step.status is StepStatus.PENDING:
                return step
        return None

    @property
    def number(self) -> int:
        return cycle_number(self.cycle)

    def step(self, step_id: str) -> StepResult:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def with_step(self, result: StepResult) -> CycleReport:
        """A copy with `result` replacing the step of the same id (or added)."""
        steps = [s for s in self.steps if s.id != result.id] + [result]
        return self.model_validate({**self._fields(), "steps": steps})

    def with_updates(self, **changes: Any) -> CycleReport:
        """A validated copy with top-level fields replaced (e.g. ended_at)."""
        return self.model_validate({**self._fields(), **changes})

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}

    # -- JSON -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> CycleReport:
        """Parse a report; raises ValueError naming the problem (bad JSON, unknown schema)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as e:
            raise ValueError(_describe(e)) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CycleReport:
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ValueError(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    """One line: the first problem, with where it is. Never echo input values (redaction)."""
    first = error.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "document"
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['msg']})"
    if where in ("apiVersion", "kind"):
        return f"unknown schema: {where} must be {API_VERSION if where == 'apiVersion' else KIND}"
    more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"
