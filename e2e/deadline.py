"""The deadline of the work in progress, for every call made under it (a contextvar).

The runner sets the running step's deadline around its probe, setup and diagnosers; the
Kubernetes and HTTP clients read it to clip their timeouts and to stop retrying when the
next attempt would start past it. Outside a step (informer threads, cleanup) the clients'
own bounds apply. A thread starts with no deadline: contextvars do not cross threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sovereign_e2e_deadline", default=None)
# A call always gets at least this long, so a probe evaluated at the deadline still gets an
# answer to report (the runner ends the step right after it).
MIN_CALL_TIMEOUT = 1.0


@contextlib.contextmanager
def deadline(at: float | None) -> Iterator[None]:
    """Run the block under the monotonic deadline `at` (an outer, earlier one wins)."""
    outer = _DEADLINE.get()
    effective = at if outer is None or (at is not None and at < outer) else outer
    token = _DEADLINE.set(effective)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the deadline (may be negative), None when there is none."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def clip_timeout(timeout: float) -> float:
    """`timeout`, shortened to the time left (but never below MIN_CALL_TIMEOUT)."""
    left = remaining()
    if left is None:
        return timeout
    return max(MIN_CALL_TIMEOUT, min(timeout, left))


def allows_wait(seconds: float) -> bool:
    """Whether sleeping `seconds` and trying again still starts before the deadline."""
    left = remaining()
    return left is None or seconds < left
