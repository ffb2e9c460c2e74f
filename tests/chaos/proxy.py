"""A seeded TCP chaos proxy for the harness's own tests: loopback only, bounded, reproducible.

It sits between the harness and one emulated server (the Kubernetes API, the gateway) and
forwards bytes, so it works the same under TLS. Per accepted connection it draws a fate
from `random.Random(f"{seed}/{n}")`, `n` being the connection's accept order, so a seed
fixes the fault plan: the same seed gives the same faults on the same connection numbers.
(Which request rides on connection n depends on the client's threads; the plan does not.)

Fates (a `ChaosProfile` sets their shares):
- reset at accept: RST before a byte reaches the server (the request never arrives);
- reset mid-way: RST after some bytes of the answer (the request did arrive: an
  ambiguous failure for the client);
- cut: a long-lived connection (a watch) closed after a random lifetime;
- stall: the connection goes silent both ways and stays open (half-open);
- latency: an answer to a new burst of request bytes is held 0..`latency` seconds (a
  `latency_share` of answers; the draws come from the connection's own seeded stream).

Bounds: at most `max_faults` faults, none after `fault_window` seconds, then it is a plain
pipe; every connection it holds is closed when the proxy stops. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

LOOPBACK = "127.0.0.1"
CHUNK = 16384


class Fate(Enum):
    CLEAN = "clean"
    RESET_AT_ACCEPT = "reset-at-accept"
    RESET_MIDWAY = "reset-midway"
    CUT = "cut"
    STALL = "stall"


@dataclass(frozen=True)
class ChaosProfile:
    """Shares of connections per fate, latency and bounds."""

    reset_at_accept: float = 0.0
    reset_midway: float = 0.0
    cut: float = 0.0  # share of connections closed after `cut_after` seconds
    cut_after: tuple[float, float] = (0.3, 3.0)
    stall: float = 0.0
    stall_after_bytes: tuple[int, int] = (0, 2048)
    midway_bytes: tuple[int, int] = (1, 4096)
    latency: float = 0.0  # upper bound of the per-burst delay (seconds)
    latency_share: float = 1.0  # share of answers delayed
    max_faults: int = 50
    fault_window: float = 120.0

    def with_(self, **changes: object) -> ChaosProfile:
        return replace(self, **changes)  # type: ignore[arg-type]


# The observation: about 5% of connections reset, 0-300 ms latency, watch streams
# cut mid-way (the API server), answers cut mid-way (the gateway).
# The gateway's clients keep connections alive (one pool per virtual host, ~16 in all), so
# its mid-way resets may land after up to 256 KiB: on a later answer of a kept connection.
KUBE_API = ChaosProfile(reset_at_accept=0.05, reset_midway=0.05, cut=0.3, latency=0.3,
                        latency_share=0.25)
GATEWAY = ChaosProfile(reset_at_accept=0.05, reset_midway=0.25, midway_bytes=(1, 262144),
                       latency=0.3, latency_share=0.25)
# Half-open: every connection goes silent (for "no hang" tests, not for journeys).
BLACKHOLE = ChaosProfile(stall=1.0, stall_after_bytes=(0, 0), max_faults=10_000)


@dataclass(frozen=True)
class Plan:
    fate: Fate
    latency: float  # the connection's delay bound
    after_bytes: int = 0
    after_seconds: float = 0.0
    latency_share: float = 1.0
    stream: str = ""  # seeds this connection's per-answer draws

    def delays(self) -> random.Random:
        return random.Random(self.stream)


def plan_for(profile: ChaosProfile, seed: int, n: int) -> Plan:
    """The fault plan of connection `n`: a pure function of (profile, seed, n)."""
    rng = random.Random(f"{seed}/{n}")
    latency = rng.uniform(0.0, profile.latency) if profile.latency > 0 else 0.0
    roll = rng.random()
    common = {"latency_share": profile.latency_share, "stream": f"{seed}/{n}/latency"}
    edges = [(Fate.RESET_AT_ACCEPT, profile.reset_at_accept),
             (Fate.RESET_MIDWAY, profile.reset_midway), (Fate.STALL, profile.stall),
             (Fate.CUT, profile.cut)]
    acc = 0.0
    for fate, share in edges:
        acc += share
        if roll < acc:
            if fate is Fate.RESET_MIDWAY:
                return Plan(fate, latency, after_bytes=rng.randint(*profile.midway_bytes),
                            **common)  # type: ignore[arg-type]
            if fate is Fate.STALL:
                return Plan(fate, latency, after_bytes=rng.randint(*profile.stall_after_bytes),
                            **common)  # type: ignore[arg-type]
            if fate is Fate.CUT:
                return Plan(fate, latency, after_seconds=rng.uniform(*profile.cut_after),
                            **common)  # type: ignore[arg-type]
            return Plan(fate, latency, **common)  # type: ignore[arg-type]
    return Plan(Fate.CLEAN, latency, **common)  # type: ignore[arg-type]


@dataclass
class ChaosLog:
    """What the proxy did: connections seen and faults injected (fate per connection)."""

    connections: int = 0
    faults: list[tuple[int, str]] = field(default_factory=list)

    def count(self, fate: Fate) -> int:
        return sum(1 for _, f in self.faults if f == fate.value)


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a peer that crashed or a middlebox does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class ChaosProxy:
    """`with ChaosProxy(upstream_port, KUBE_API, seed=7) as proxy: proxy.port ...`"""

    def __init__(self, upstream_port: int, profile: ChaosProfile, *, seed: int,
                 upstream_host: str = LOOPBACK,
                 schedule: Callable[[int], Plan] | None = None) -> None:
        """`schedule(n)`, when given, is connection n's plan instead of the seeded draw
        (for tests that need one fault on one connection)."""
        self.upstream = (upstream_host, upstream_port)
        self.profile = profile
        self.schedule = schedule
        self.seed = seed
        self.log = ChaosLog()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"chaos-proxy-{seed}")
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._started = 0.0
        self._lock = threading.Lock()

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> ChaosProxy:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._started = time.monotonic()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def __enter__(self) -> ChaosProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url_host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    # ---- the pipe ------------------------------------------------------------------------
    def _draw(self) -> tuple[int, Plan]:
        with self._lock:
            n = self.log.connections
            self.log.connections += 1
            plan = self.schedule(n) if self.schedule else plan_for(self.profile, self.seed, n)
            in_window = time.monotonic() - self._started < self.profile.fault_window
            if plan.fate is not Fate.CLEAN:
                if in_window and len(self.log.faults) < self.profile.max_faults:
                    self.log.faults.append((n, plan.fate.value))
                else:
                    plan = replace(plan, fate=Fate.CLEAN)
            return n, plan

    async def _handle(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        _, plan = self._draw()
        up_writer: asyncio.StreamWriter | None = None
        try:
            if plan.fate is Fate.RESET_AT_ACCEPT:
                _rst(writer)
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(up_writer)
            burst = asyncio.Event()  # set when the client sent bytes: the answer is delayed
            pumps = [asyncio.ensure_future(self._pump(reader, up_writer, plan, burst, False)),
                     asyncio.ensure_future(self._pump(up_reader, writer, plan, burst, True))]
            if plan.fate is Fate.CUT:
                pumps.append(asyncio.ensure_future(asyncio.sleep(plan.after_seconds)))
            done, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                if isinstance(task.exception(), _Midway):
                    _rst(writer)
                    return
            if plan.fate is Fate.CUT:
                _rst(writer)
                return
        except (OSError, asyncio.IncompleteReadError):
            _rst(writer)
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    self._writers.discard(w)
                    with contextlib.suppress(Exception):
                        w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, plan: Plan,
                    burst: asyncio.Event, downstream: bool) -> None:
        sent = 0
        draws = plan.delays()
        while True:
            data = await src.read(CHUNK)
            if not data:
                with contextlib.suppress(OSError):
                    if dst.can_write_eof():
                        dst.write_eof()
                # Half-close: keep reading the other way until it ends too.
                await asyncio.Event().wait() if not downstream else None
                return
            if not downstream:
                burst.set()
            elif burst.is_set():
                burst.clear()
                if plan.latency and draws.random() < plan.latency_share:
                    await asyncio.sleep(draws.uniform(0.0, plan.latency))
            if downstream and plan.fate in (Fate.RESET_MIDWAY, Fate.STALL) and \
                    sent + len(data) >= plan.after_bytes:
                keep = max(0, plan.after_bytes - sent)
                if keep:
                    dst.write(data[:keep])
                    await dst.drain()
                if plan.fate is Fate.STALL:
                    await asyncio.Event().wait()  # silent both ways until the client gives up
                raise _Midway
            if not downstream and plan.fate is Fate.STALL and plan.after_bytes == 0:
                await asyncio.Event().wait()  # the request goes nowhere
            dst.write(data)
            await dst.drain()
            sent += len(data)


class _Midway(Exception):
    """The connection's planned fault point was reached."""
