"""Watch-fed caches (informers): list once, then watch from the list's resourceVersion.

Probes read these caches instead of listing on every evaluation, so waiting costs one list
and one long-lived watch per resource type, however long the wait. Any change bumps a
shared generation counter and wakes waiters (`Informers.wait_for_change`).
Protocol details (client-go's reflector does the same): watch from the list's
resourceVersion with bookmarks; a watch that ends or breaks (a cut stream, a proxy
timeout, a half-open connection caught by the idle timeout) resumes from the last
resourceVersion seen (an event's or a bookmark's), so nothing is missed and nothing is
listed again; only 410 Expired (that version is gone from the server's history) relists.
Failures back off with jitter (0.1 s doubling to 5 s); a stopped informer ends its thread.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import deadline
from ..errors import E2EError, HarnessBroken, KubeAPIError
from .client import KubeClient
from .gvr import GVR

Obj = dict[str, Any]
log = logging.getLogger("sovereign_e2e.kube")


class Changes:
    """Change counters (one per resource type, and a total) with a condition variable.

    A waiter names the resource types it cares about, so churn elsewhere in the cluster
    (Events, say) does not wake a step that waits on Gitea."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = 0
        self._by_key: dict[object, int] = {}

    def bump(self, key: object = None) -> None:
        with self._cond:
            self.generation += 1
            if key is not None:
                self._by_key[key] = self._by_key.get(key, 0) + 1
            self._cond.notify_all()

    def _snapshot(self, keys: tuple[object, ...]) -> tuple[int, ...]:
        return tuple(self._by_key.get(k, 0) for k in keys)

    def snapshot(self, keys: tuple[object, ...]) -> tuple[int, ...]:
        with self._cond:
            return self._snapshot(keys)

    def wait(self, keys: tuple[object, ...], seen: tuple[int, ...],
             timeout: float) -> tuple[int, ...]:
        """Block until a counter of `keys` moves past `seen`, or `timeout`; with no keys,
        this is a plain timer (for steps that poll HTTP)."""
        with self._cond:
            self._cond.wait_for(lambda: self._snapshot(keys) != seen,
                                timeout=max(0.0, timeout))
            return self._snapshot(keys)


class Informer:
    # The server ends each watch after this long (the informer resumes at once), and a
    # stream silent for IDLE_TIMEOUT is broken off (bookmarks come every few seconds on the
    # emulator, about a minute on a real API server; a resume costs one request).
    WATCH_SECONDS = 30
    IDLE_TIMEOUT = 75.0

    def __init__(self, kube: KubeClient, gvr: GVR, changes: Changes,
                 namespace: str | None = None) -> None:
        self.kube = kube
        self.watch_seconds = self.WATCH_SECONDS
        self.idle_timeout = self.IDLE_TIMEOUT
        self.resumes = 0  # watches resumed from a resourceVersion (not relisted)
        self.relists = 0
        self.rv = ""  # the last resourceVersion seen
        self.gvr = gvr
        self.namespace = namespace
        self.changes = changes
        self._items: dict[tuple[str, str], Obj] = {}
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._first_attempt = threading.Event()  # set after the first list, ok or not
        self._stop = threading.Event()
        self.error: E2EError | None = None
        self._thread = threading.Thread(target=self._run, name=f"informer-{gvr}", daemon=True)
        self._resp: Any = None  # the open watch response, closed by stop()

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread: close its open watch (a quiet watch may not return for a
        minute), then wait for it briefly."""
        self._stop.set()
        resp = self._resp
        if resp is not None:
            with contextlib.suppress(Exception):
                if hasattr(resp, "shutdown"):  # urllib3 >= 2.3 unblocks a pending read
                    resp.shutdown()
                else:
                    resp.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wait_synced(self, timeout: float) -> bool:
        """Wait for the first list; False when it failed (see `error`) or took too long."""
        self._first_attempt.wait(timeout)
        return self._synced.is_set()

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    # ---- reads ---------------------------------------------------------------------------
    def items(self, predicate: Callable[[Obj], bool] | None = None) -> list[Obj]:
        with self._lock:
            # Predicates only read; copy what they select (a big cluster has many objects).
            hits = [o for _, o in sorted(self._items.items())
                    if predicate is None or predicate(o)]
            return [copy.deepcopy(o) for o in hits]

    def get(self, name: str, namespace: str | None = None) -> Obj | None:
        with self._lock:
            obj = self._items.get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    # ---- machinery -----------------------------------------------------------------------
    @staticmethod
    def _key(obj: Obj) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return (meta.get("namespace") or "", meta.get("name") or "")

    def _relist(self) -> str:
        self.relists += 1
        items, rv = self.kube.list(self.gvr, self.namespace)
        api_version = f"{self.gvr.group}/{self.gvr.version}" if self.gvr.group else \
            self.gvr.version
        for item in items:  # list items carry no kind; watch events do
            item.setdefault("kind", self.gvr.kind)
            item.setdefault("apiVersion", api_version)
        with self._lock:
            self._items = {self._key(o): o for o in items}
        self._synced.set()
        self._first_attempt.set()
        self.changes.bump(self.gvr)
        return rv

    def _run(self) -> None:
        backoff = 0.1
        self.rv = ""
        while not self._stop.is_set():
            opened = time.monotonic()
            try:
                if not self.rv:
                    self.rv = self._relist()
                    self.error = None
                else:
                    self.resumes += 1
                self._watch()
                if time.monotonic() - opened >= 1.0:
                    backoff = 0.1
                    continue  # the server ended the watch (timeoutSeconds): resume at once
                # A watch that ends at once, again and again, must not spin: back off.
            except KubeAPIError as e:
                if e.status == 410:
                    self.rv = ""  # expired: relist, at once
                    continue
                self._record_failure(e)
            except E2EError as e:  # a broken stream, an unreachable API: resume from rv
                self._record_failure(e)
            except Exception as e:  # a bug must surface, not kill the thread
                self._record_failure(HarnessBroken(f"informer {self.gvr}: "
                                                   f"{type(e).__name__}: {e}"))
                self.rv = ""
            # Retry after a jittered back-off; Event.wait is a stoppable timer.
            if self._stop.wait(backoff * random.uniform(0.5, 1.0)):
                return
            backoff = min(backoff * 2, 5.0)

    def _watch(self) -> None:
        """Apply one watch's events, keeping `rv` at the last resourceVersion seen (an
        event's or a bookmark's), so a break anywhere resumes right after it."""
        for event in self.kube.watch_lines(self.gvr, self.rv, namespace=self.namespace,
                                           timeout_seconds=self.watch_seconds,
                                           idle_timeout=self.idle_timeout,
                                           on_open=self._set_resp):
            if self._stop.is_set():
                return
            etype, obj = event.get("type"), event.get("object") or {}
            if etype == "ERROR":
                raise KubeAPIError(int(obj.get("code") or 500), str(obj.get("reason", "")),
                                   str(obj.get("message", "")))
            if etype != "BOOKMARK":
                with self._lock:
                    if etype == "DELETED":
                        self._items.pop(self._key(obj), None)
                    else:
                        self._items[self._key(obj)] = obj
                self.changes.bump(self.gvr)
            self.rv = str((obj.get("metadata") or {}).get("resourceVersion") or self.rv)

    def _set_resp(self, resp: Any) -> None:
        self._resp = resp

    def _record_failure(self, e: E2EError) -> None:
        self.error = e
        self._first_attempt.set()
        log.debug("informer %s: %s", self.gvr, e)
        self.changes.bump(self.gvr)


class Informers:
    """One informer per resource type, started on first use and shared by all steps."""

    def __init__(self, kube: KubeClient, sync_timeout: float = 30.0) -> None:
        self.kube = kube
        self.changes = Changes()
        self.sync_timeout = sync_timeout
        self._informers: dict[GVR, Informer] = {}
        self._lock = threading.Lock()

    def __call__(self, gvr: GVR) -> Informer:
        with self._lock:
            inf = self._informers.get(gvr)
            if inf is None:
                inf = Informer(self.kube, gvr, self.changes).start()
                self._informers[gvr] = inf
        # Waiting for the first list is bounded by the running step's deadline too.
        left = deadline.remaining()
        wait = self.sync_timeout if left is None else max(0.0, min(self.sync_timeout, left))
        if not inf.synced and not inf.wait_synced(wait):
            error = inf.error  # read once: the thread may retry and clear it meanwhile
            if inf.synced:
                return inf
            if error is not None:
                raise error
            raise KubeAPIError(504, "Timeout", f"no initial list of {gvr} within "
                               f"{wait:.0f}s")
        return inf

    def snapshot(self, gvrs: tuple[GVR, ...]) -> tuple[int, ...]:
        return self.changes.snapshot(gvrs)

    def wait_for_change(self, gvrs: tuple[GVR, ...], seen: tuple[int, ...],
                        timeout: float) -> tuple[int, ...]:
        return self.changes.wait(gvrs, seen, timeout)

    def stop(self) -> None:
        for inf in self._informers.values():
            inf._stop.set()  # signal all first, then close and join each
        for inf in self._informers.values():
            inf.stop()
