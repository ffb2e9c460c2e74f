"""Acting calls (issue a voucher, create an org, check out) made at most once in effect.

A POST whose answer was lost (the connection reset after the request went out) may or may
not have landed. The caller looks for the call's effect first (the voucher in the list,
the org among the tenant's) on every evaluation; only when the effect is absent and no
earlier call was answered is the call sent again, at most MAX_SENDS times. An answered
call is never repeated. The record lives in JourneyState.values (identifiers and
summaries, never credentials).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clients.result import CallResult
from ..errors import HTTPCallError
from .model import StepContext

MAX_SENDS = 3


def _record(ctx: StepContext, key: str) -> dict[str, Any]:
    rec: dict[str, Any] = ctx.state.values.setdefault(
        key, {"sends": 0, "answer": None, "status": None, "lost": ""})
    return rec


def act(ctx: StepContext, key: str, send: Callable[[], CallResult]) -> CallResult | None:
    """Send unless an earlier send of `key` was answered (then None: read `answer`).
    Call only after looking for the effect. A lost answer raises HTTPCallError (a
    reachability error: the step waits, then looks again)."""
    rec = _record(ctx, key)
    if rec["answer"] is not None:
        return None
    if rec["sends"] >= MAX_SENDS:
        raise HTTPCallError(f"{key}: no answer after {rec['sends']} sends, and its effect "
                            f"is not visible; last: {rec['lost']}")
    rec["sends"] += 1
    try:
        res = send()
    except HTTPCallError as e:
        rec["lost"] = str(e)
        raise
    rec.update(answer=res.summary(), status=res.status, ok=res.ok)
    return res


def answer(ctx: StepContext, key: str) -> str:
    """What the call got: its answer, or why there is none yet."""
    rec = _record(ctx, key)
    if rec["answer"] is not None:
        return str(rec["answer"])
    return f"answer lost ({rec['lost']})" if rec["lost"] else "not sent"


def status(ctx: StepContext, key: str) -> int | None:
    return _record(ctx, key)["status"]  # type: ignore[no-any-return]


def was_lost(ctx: StepContext, key: str) -> bool:
    """Whether an earlier send's answer was lost: a later 409/refusal may be our own."""
    return bool(_record(ctx, key)["lost"])
