"""client-go's flowcontrol.Backoff in virtual time, and Go's Duration.String().

The kubelet keys one Backoff per container (crash loop) and per image (pull). Virtual time
is monotonic time divided by the emulator's time_scale, so a "10s" back-off lasts
10 * time_scale real seconds while messages still say `back-off 10s`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


def go_duration(seconds: float) -> str:
    """Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s, 1h0m0s."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m}m{s}s" if h else f"{m}m{s}s"


@dataclass
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    def __init__(self, initial: float, maximum: float, time_scale: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.time_scale = time_scale
        self._entries: dict[str, _Entry] = {}

    def now(self) -> float:
        """Virtual seconds."""
        return time.monotonic() / self.time_scale

    def _expired(self, event_time: float, entry: _Entry) -> bool:
        return event_time - entry.last_update > 2 * self.maximum

    def next(self, key: str, event_time: float) -> None:
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry):
            self._entries[key] = _Entry(self.initial, event_time)
            return
        entry.backoff = min(entry.backoff * 2, self.maximum)
        entry.last_update = event_time

    def in_backoff_since(self, key: str, event_time: float) -> bool:
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry):
            return False
        return self.now() - event_time < entry.backoff

    def in_backoff_since_update(self, key: str, event_time: float) -> bool:
        entry = self._entries.get(key)
        if entry is None or self._expired(event_time, entry):
            return False
        return event_time - entry.last_update < entry.backoff

    def remaining_since_update(self, key: str) -> float:
        """Real seconds until the back-off counted from the last update ends."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        return max(0.0, (entry.last_update + entry.backoff - self.now()) * self.time_scale)

    def get(self, key: str) -> float:
        entry = self._entries.get(key)
        return entry.backoff if entry else 0.0

    def remaining(self, key: str, event_time: float) -> float:
        """Real seconds until the back-off that started at `event_time` ends."""
        left = event_time + self.get(key) - self.now()
        return max(0.0, left * self.time_scale)

    def forget(self, prefix: str) -> None:
        for key in [k for k in self._entries if k.startswith(prefix)]:
            del self._entries[key]
