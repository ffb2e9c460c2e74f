"""What a step is (data) and what a probe answers (Progress)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..kube.gvr import GVR
from ..report.model import Evidence, Finding

if TYPE_CHECKING:
    from ..sovereign import Sovereign


class State(Enum):
    DONE = "done"
    PROGRESSING = "progressing"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Progress:
    """A probe's answer. `fingerprint` must change whenever the platform makes progress."""

    state: State
    description: str
    fingerprint: str = ""
    findings: tuple[Finding, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    @classmethod
    def done(cls, description: str, *evidence: Evidence) -> Progress:
        return cls(State.DONE, description, "done", (), tuple(evidence))

    @classmethod
    def waiting(cls, description: str, fingerprint: str | None = None,
                findings: tuple[Finding, ...] = (), evidence: tuple[Evidence, ...] = ()
                ) -> Progress:
        return cls(State.PROGRESSING, description,
                   description if fingerprint is None else fingerprint, findings, evidence)

    @classmethod
    def blocked(cls, description: str, *findings: Finding) -> Progress:
        return cls(State.BLOCKED, description, description, tuple(findings))


@dataclass
class JourneyState:
    """Facts steps hand to later steps (the voucher code, the tenant, the job id...).

    Values here are identifiers, never secrets; tokens live in `secrets` and are redacted.
    """

    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    # Kubernetes objects the journey created, oldest first (deleted newest first at the end).
    created: list[tuple[GVR, str | None, str]] = field(default_factory=list)


@dataclass
class StepContext:
    sov: Sovereign
    state: JourneyState
    settings: Any  # e2e.config.Settings (kept loose to avoid an import cycle)


Probe = Callable[[StepContext], Progress]
Diagnoser = Callable[[StepContext], list[Finding]]
Action = Callable[[StepContext], None]


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: str
    probe: Probe
    needs: tuple[int, ...] = ()
    timeout: float = 300.0
    stall_after: float = 120.0
    watches: tuple[GVR, ...] = ()
    diagnosers: tuple[Diagnoser, ...] = ()
    # Steps that act (issue a voucher, check out) do it once before probing.
    setup: Action | None = None
    # Upper bound between probe evaluations when no watched object changes (HTTP probes).
    poll_max: float = 1.0
    # A pass must hold this long unchanged (same done fingerprint) before it counts; the
    # runner caps it at a tenth of the stall window.
    settle: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.number:02d}-{self.slug}"


def await_condition(obj: dict[str, Any] | None, what: str, ctype: str) -> Progress | None:
    """None when `obj` exists with condition `ctype` True; otherwise what the step waits for
    (shared by every probe that waits on an object's condition)."""
    if obj is None:
        return Progress.waiting(f"waiting for {what}")
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            if cond.get("status") == "True":
                return None
            return Progress.waiting(f"{what} {ctype}={cond.get('status')} "
                                    f"{cond.get('reason', '')}: {cond.get('message', '')}")
    return Progress.waiting(f"{what} {ctype}=unset")
