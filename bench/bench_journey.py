"""Benchmark the whole journey against the default emulated Sovereign: wall time and API cost.

Per run: `JourneySession(Settings(report_dir=<temp dir>))`, `start()` (brings the emulator
up in-process), `run_all()` (the 16 steps), `close()`. Measures the wall time of start +
run_all (the journey; close is reported apart) and the Kubernetes API requests it made:
  - server side: the emulator's request log (`emulator.kube.request_log`) read before
    run_all and after it, by verb as the API server sees it (HTTP method; `watch` for
    ?watch=true);
  - client side: every request the harness's `KubeClient` sent, counted in this process
    and split into list / get / watch / post / delete by URL shape.
The emulator's own controllers and apps work on its store in-process and never reach the
request log; the two counts agreeing shows the log holds the harness's requests only.
Not a test: the aims (under 10 s, under 300 requests) are reported, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python bench/bench_journey.py`

AIM_S = 10.0
AIM_REQUESTS = 300


def client_verb(method: str, path: str, query: dict[str, Any] | None) -> str:
    """list/get/watch/post/... from a KubeClient call: a GET of a collection is a list."""
    if (query or {}).get("watch") in ("true", True, "1"):
        return "watch"
    if method != "GET":
        return method.lower()
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        parts = parts[2:]  # api, v1
    elif parts[:1] == ["apis"]:
        parts = parts[3:]  # apis, group, version
    else:
        return "get"  # /version and the like
    collection = len(parts) == 1 or (len(parts) == 3 and parts[0] == "namespaces")
    return "list" if collection else "get"


class ClientCounter:
    """Counts the harness's Kubernetes requests by wrapping `KubeClient._call`."""

    def __init__(self) -> None:
        self.by_verb: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self) -> None:
        from e2e.kube.client import KubeClient

        original = KubeClient._call
        counter = self

        def counted(self: KubeClient, method: str, path: str, **kw: Any) -> Any:
            with counter._lock:
                counter.by_verb[client_verb(method, path, kw.get("query"))] += 1
            return original(self, method, path, **kw)

        KubeClient._call = counted  # type: ignore[method-assign]

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.by_verb)


@dataclass
class RunResult:
    start_s: float
    steps_s: float
    close_s: float
    verdict: str
    server: Counter[str] = field(default_factory=Counter)
    client: Counter[str] = field(default_factory=Counter)
    server_before: int = 0
    step_s: dict[str, float] = field(default_factory=dict)

    @property
    def journey_s(self) -> float:
        return self.start_s + self.steps_s

    @property
    def slowest(self) -> str:
        sid, secs = max(self.step_s.items(), key=lambda kv: kv[1])
        return f"{sid} {secs:.2f}s"


def run_once(counter: ClientCounter) -> RunResult:
    from e2e.config import Settings
    from e2e.session import JourneySession

    with tempfile.TemporaryDirectory(prefix="bench-journey-") as tmp:
        session = JourneySession(Settings(report_dir=Path(tmp)))
        try:
            t0 = time.perf_counter()
            session.start()
            t1 = time.perf_counter()
            emulator = session.provider.emulator_thread.emulator  # type: ignore[attr-defined]
            log = emulator.kube.request_log
            # Read without the loop: counters only grow, and a stale read of a Counter is
            # harmless here (the read after run_all is what counts).
            before_total, before = log.total, Counter(log.by_verb)
            client_before = counter.snapshot()
            report = session.run_all()
            t2 = time.perf_counter()
            client_after = counter.snapshot()
            server = Counter(log.by_verb)
            server.subtract(before)
        finally:
            t3 = time.perf_counter()
            session.close()
            t4 = time.perf_counter()
        client_after.subtract(client_before)
        steps = {s.id: s.duration_s or 0.0 for s in report.steps}
        return RunResult(t1 - t0, t2 - t1, t4 - t3, report.verdict.value,
                         +server, +client_after, before_total, steps)


def fmt_verbs(c: Counter[str]) -> str:
    return " ".join(f"{v}={n}" for v, n in sorted(c.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time the whole 16-step journey against the default emulated Sovereign "
                    "and count its Kubernetes API requests.")
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5); the median "
                        "is reported")
    parser.add_argument("--steps", action="store_true",
                        help="also print the median duration of every step")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    import e2e.session  # noqa: F401  imports are not part of the journey's time
    import stubs.emulator.assemble  # noqa: F401

    counter = ClientCounter()
    counter.install()
    results: list[RunResult] = []
    print(f"{'run':>3} {'start':>6} {'steps':>6} {'journey':>8} {'close':>6} {'verdict':>7} "
          f"{'reqs':>5} {'client':>6}  {'slowest step':<33} server requests by verb "
          "(client split)")
    for i in range(1, args.runs + 1):
        r = run_once(counter)
        results.append(r)
        print(f"{i:>3} {r.start_s:>5.2f}s {r.steps_s:>5.2f}s {r.journey_s:>7.2f}s "
              f"{r.close_s:>5.2f}s {r.verdict:>7} {r.server.total():>5} {r.client.total():>6}"
              f"  {r.slowest:<33} {fmt_verbs(r.server)}  ({fmt_verbs(r.client)})", flush=True)

    failed = [r for r in results if r.verdict != "PASS"]
    before = {r.server_before for r in results}
    mismatched = [r for r in results if r.server.total() != r.client.total()]

    def med(values: list[float]) -> float:
        return statistics.median(values)

    journey = med([r.journey_s for r in results])
    requests = med([r.server.total() for r in results])
    verbs = sorted({v for r in results for v in r.client})
    print(f"med {med([r.start_s for r in results]):>5.2f}s "
          f"{med([r.steps_s for r in results]):>5.2f}s {journey:>7.2f}s "
          f"{med([r.close_s for r in results]):>5.2f}s")
    print("median requests by verb (client split): " + " ".join(
        f"{v}={med([r.client[v] for r in results]):g}" for v in verbs))
    if args.steps:
        for sid in results[0].step_s:
            print(f"  {sid:<32} {med([r.step_s[sid] for r in results]):>6.2f}s")
    agreement = ("agree in every run" if not mismatched
                 else f"DIFFER in {len(mismatched)} run(s)")
    print(f"request log when start() returned: {sorted(before)} request(s); server log "
          f"and harness client counts {agreement} (the emulator's in-process controllers "
          "add nothing to the log)")
    verdicts = ", ".join(f"{v} x{n}" for v, n in Counter(r.verdict for r in results).items())
    print(f"journey {journey:.2f}s ({'meets' if journey < AIM_S else 'misses'} the "
          f"{AIM_S:.0f}s aim), {requests:g} Kubernetes API requests "
          f"({'meets' if requests < AIM_REQUESTS else 'misses'} the {AIM_REQUESTS} aim); "
          f"median of {len(results)}, verdicts {verdicts}")
    if failed:
        print(f"harness error: {len(failed)} journey(s) against the clean emulator did not "
              "pass", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
