"""The provider protocol (after e2e-framework's E2EClusterProvider, kept small)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Attachment:
    """How to reach a Sovereign. `gateway_url` None means: resolve `<name>.<fqdn>` by DNS."""

    kubeconfig: Path | None
    context: str | None
    fqdn: str
    gateway_url: str | None
    details: dict[str, str] = field(default_factory=dict)
    # No progress for this long means stuck, on this target (an emulator converges in about
    # a second; a real cluster pulls images for minutes). None: the steps' own defaults.
    stall_after: float | None = None
    # Bring-up actions, each {name, status, seconds, detail}, for the report's target.
    setup: list[dict[str, str]] = field(default_factory=list)


class Provider(Protocol):
    name: str

    def create_or_attach(self) -> Attachment:
        """Idempotent: bring the target up (or find it) and say how to reach it."""
        ...

    def destroy(self) -> None:
        """Tear down what create_or_attach brought up; a no-op when attached."""
        ...


@runtime_checkable
class LogExporter(Protocol):
    def export_logs(self, dest: Path) -> None: ...


@runtime_checkable
class Planner(Protocol):
    def plan(self) -> str:
        """Every command and manifest bring-up would run, without running any."""
        ...
