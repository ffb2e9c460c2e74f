"""A level-triggered controller on the store's watch streams, in the controller-runtime style.

Subclasses name the resource types they watch and implement `reconcile(key)`. Events are
mapped to keys and queued; a key is reconciled at most once at a time; `requeue_after`
schedules a later reconcile with loop.call_later (a timer, not a sleep loop). Errors in a
reconcile are logged and retried with back-off, like a real controller's workqueue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..kubeapi.resources import ResourceType
from ..kubeapi.store import Store, WatchEvent

if TYPE_CHECKING:
    from ..runtime import Emulator

Key = tuple[str, str, str]  # (kind tag, namespace, name)
log = logging.getLogger("sovereign.emulator")


class Controller:
    name = "controller"
    max_backoff = 5.0

    def __init__(self) -> None:
        self.emulator: Emulator | None = None
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._tasks: list[asyncio.Task[Any]] = []
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._failures: dict[Key, int] = {}

    # ---- for subclasses ------------------------------------------------------------------
    @property
    def store(self) -> Store:
        assert self.emulator is not None
        return self.emulator.store

    def rt(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.store.registry.get(group, version, plural)
        if rt is None:
            raise LookupError(f"{self.name}: resource {group}/{version}/{plural} is not served")
        return rt

    def watches(self) -> Iterable[ResourceType]:
        """Resource types whose events trigger reconciles."""
        return ()

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        """Map an event to the keys to reconcile (default: the object itself)."""
        meta = event.obj["metadata"]
        yield (event.obj["kind"], meta.get("namespace", ""), meta["name"])

    async def reconcile(self, key: Key) -> float | None:
        """Bring the world closer to the desired state; return seconds to requeue, or None."""
        raise NotImplementedError

    async def setup(self) -> None:
        """Called once before the watches start."""

    # ---- machinery -----------------------------------------------------------------------
    def enqueue(self, key: Key) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: Key, delay: float) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(delay, self._fire_timer, key)

    def _fire_timer(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    async def start(self, emulator: Emulator) -> None:
        self.emulator = emulator
        await self.setup()
        self._watched: set[tuple[str, str]] = set()
        self._watch_new_types()
        # A type that a CRD serves later (Cilium's operator registering its CRDs, Flux
        # installed into a bare cluster) is watched from then on, as an informer started
        # by a controller on "CRD established" would.
        crds = self.store.registry.get("apiextensions.k8s.io", "v1",
                                       "customresourcedefinitions")
        if crds is not None:
            self._tasks.append(asyncio.create_task(self._pump_crds(self.store.watch(crds)),
                                                   name=f"{self.name}-crds"))
        self._tasks.append(asyncio.create_task(self._worker(), name=f"{self.name}-worker"))

    def _watch_new_types(self) -> None:
        try:
            types = list(self.watches())
        except LookupError:  # a type it needs is not served yet: wait for its CRD
            return
        for rt in types:
            if rt.key in self._watched:
                continue
            self._watched.add(rt.key)
            sub = self.store.watch(rt)
            self._tasks.append(asyncio.create_task(self._pump(sub), name=f"{self.name}-watch"))

    async def _pump_crds(self, sub: Any) -> None:
        async for _event in sub:
            self._watch_new_types()

    async def _pump(self, sub: Any) -> None:
        async for event in sub:
            for key in self.keys_for(event):
                self.enqueue(key)

    async def _worker(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            try:
                again = await self.reconcile(key)
                self._failures.pop(key, None)
            except asyncio.CancelledError:
                raise
            except Exception:
                n = self._failures.get(key, 0) + 1
                self._failures[key] = n
                log.exception("%s: reconcile %s failed (attempt %d)", self.name, key, n)
                again = min(self.max_backoff, 0.05 * 2**n)
            if again is not None:
                self.enqueue_after(key, again)

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        # Collect the cancelled tasks; their exceptions were logged by the worker already.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
