"""Sandbox status: phase and metav1.Condition-shaped conditions (Ready, TokenMinted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Cond:
    type: str
    status: bool
    reason: str
    message: str


def desired_status(current: Obj, generation: int, phase: str, conds: list[Cond],
                   extra: Obj | None = None, drop: tuple[str, ...] = ()) -> Obj:
    """The status to write: `conds` replace conditions of their type (lastTransitionTime kept
    while the status value is unchanged, so a steady reconcile writes nothing); condition
    types in `drop` are removed."""
    old = {c.get("type"): c for c in current.get("conditions") or []}
    now = rfc3339(datetime.now(UTC))
    out: list[Obj] = [c for t, c in old.items()
                      if t not in drop and t not in {x.type for x in conds}]
    for c in conds:
        value = "True" if c.status else "False"
        prev = old.get(c.type)
        since = prev["lastTransitionTime"] if prev and prev.get("status") == value else now
        out.append({"type": c.type, "status": value, "reason": c.reason, "message": c.message,
                    "lastTransitionTime": since, "observedGeneration": generation})
    out.sort(key=lambda c: c["type"] != "Ready")  # Ready first, as kubectl columns read it
    status: Obj = {k: v for k, v in current.items() if k not in ("conditions", "phase")}
    status.update(extra or {})
    status.update({"phase": phase, "observedGeneration": generation, "conditions": out})
    return status
