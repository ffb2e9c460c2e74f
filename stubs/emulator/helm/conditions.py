"""Status conditions as fluxcd/pkg/runtime/conditions sets them (transition time kept)."""

from __future__ import annotations

from typing import Any

from ..kubeapi.store import now_iso

Status = dict[str, Any]


def get(status: Status, type_: str) -> dict[str, Any] | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def is_true(status: Status, type_: str) -> bool:
    c = get(status, type_)
    return c is not None and c.get("status") == "True"


def mark(status: Status, type_: str, value: str, reason: str, message: str,
         generation: int | None = None) -> None:
    conds: list[dict[str, Any]] = status.setdefault("conditions", [])
    old = get(status, type_)
    new: dict[str, Any] = {"type": type_, "status": value, "reason": reason,
                           "message": message}
    if generation is not None:
        new["observedGeneration"] = generation
    new["lastTransitionTime"] = (old["lastTransitionTime"] if old and
                                 old.get("status") == value and old.get("lastTransitionTime")
                                 else now_iso())
    if old is None:
        conds.append(new)
    else:
        conds[conds.index(old)] = new
    # Flux keeps Ready first, then Reconciling/Stalled, then the rest.
    order = {"Ready": 0, "Reconciling": 1, "Stalled": 2}
    conds.sort(key=lambda c: order.get(c.get("type", ""), 3))


def delete(status: Status, type_: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != type_]


def same(a: Status, b: Status) -> bool:
    """Equal ignoring transition times (to skip no-op status writes)."""
    def strip(s: Status) -> Any:
        out = dict(s)
        out["conditions"] = sorted(
            ({k: v for k, v in c.items() if k != "lastTransitionTime"}
             for c in s.get("conditions") or []), key=lambda c: c.get("type", ""))
        return out
    return bool(strip(a) == strip(b))
