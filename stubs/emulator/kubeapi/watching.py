"""Watch events and subscriptions: what the store fans out and HTTP watches stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from .resources import ResourceType

Obj = dict[str, Any]


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    rt_key: tuple[str, str]
    obj: Obj


@dataclass
class Subscription:
    """A live watch: events arrive on `queue`; `None` on the queue means the store closed it."""

    rt: ResourceType
    namespace: str | None
    matches: Callable[[Obj], bool]
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)
    # Set by the store: unregisters this subscription (called once, on close).
    _on_close: Callable[[Subscription], None] | None = None

    def close(self) -> None:
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close(self)

    def __hash__(self) -> int:
        return id(self)

    def __aiter__(self) -> AsyncIterator[WatchEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[WatchEvent]:
        try:
            while True:
                ev = await self.queue.get()
                if ev is None:
                    return
                yield ev
        finally:
            self.close()
