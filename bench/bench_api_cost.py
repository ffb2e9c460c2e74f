"""What HTTPS, validation and field ownership in the emulated API cost the journey.

Issue 11's budget: TLS and validation must not cost more than 30% of the journey's wall
time. Comparing two trees mixes in every other change between them, and on a shared
machine the load moves between runs. So this bench runs one tree in one process and
alternates, run by run, two arms of the same journey (bench_journey.run_once):
  - full: the emulator as it ships (HTTPS API, CRD/built-in validation, managedFields);
  - bare: the same emulator with those three switched off by patching, in this process
    only, `ServingTLS.server_context` (None: plain HTTP), `Store._validate` and
    `Store._track_update` (no-ops). Nothing in the emulator offers these as options; the
    patches exist here so the two arms differ in exactly the cost being measured.
Per run it records the journey's wall time and the process's CPU time (all threads: the
emulator's loop runs in this process), which moves far less with the machine's load.
The first pair is a warm-up (imports, caches) and is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_journey, beside this file
from bench_journey import REPO, ClientCounter, run_once

sys.path.insert(0, str(REPO))


@contextmanager
def bare_api() -> Iterator[None]:
    """Switch HTTPS, validation and field tracking off for the runs inside the block."""
    from stubs.emulator.kubeapi.store import Store
    from stubs.emulator.kubeapi.tls import ServingTLS

    def noop(*_: Any, **__: Any) -> None:
        return None

    saved: list[tuple[type, str, Callable[..., Any]]] = [
        (ServingTLS, "server_context", ServingTLS.server_context),
        (Store, "_validate", Store._validate),
        (Store, "_track_update", Store._track_update),
    ]
    for owner, name, _ in saved:
        setattr(owner, name, noop)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def api_scheme_recorder() -> list[str]:
    """URLs the emulator's kube API is served on, in order: shows each arm's scheme."""
    from stubs.emulator.runtime import Emulator

    seen: list[str] = []
    original = Emulator.start

    async def start(self: Emulator) -> Any:
        info = await original(self)
        seen.append(self.api_url)
        return info

    Emulator.start = start  # type: ignore[method-assign]
    return seen


def timed_run(counter: ClientCounter, bare: bool) -> tuple[float, float, str]:
    """(journey wall seconds, process CPU seconds, verdict) of one journey."""
    cpu0 = time.process_time()
    if bare:
        with bare_api():
            result = run_once(counter)
    else:
        result = run_once(counter)
    return result.journey_s, time.process_time() - cpu0, result.verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Alternate journeys with the emulated API as shipped (HTTPS, validation, "
                    "managedFields) and with those switched off; report the cost as ratios.")
    parser.add_argument("--pairs", type=int, default=6,
                        help="counted full/bare pairs after one warm-up pair (default 6)")
    args = parser.parse_args(argv)
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")

    import e2e.session  # noqa: F401  imports are not part of any run's time
    import stubs.emulator.assemble  # noqa: F401

    counter = ClientCounter()
    counter.install()
    served = api_scheme_recorder()
    wall: dict[str, list[float]] = {"full": [], "bare": []}
    cpu: dict[str, list[float]] = {"full": [], "bare": []}
    print(f"{'pair':>4} {'arm':<5} {'journey':>8} {'cpu':>7} {'verdict':>7} {'load':>5} api")
    for pair in range(args.pairs + 1):
        # Alternate which arm goes first, so a load trend does not favour one of them.
        arms = ("full", "bare") if pair % 2 else ("bare", "full")
        for arm in arms:
            journey, used, verdict = timed_run(counter, bare=arm == "bare")
            load = Path("/proc/loadavg").read_text().split()[0] if Path(
                "/proc/loadavg").exists() else "?"
            tag = "warm" if pair == 0 else str(pair)
            print(f"{tag:>4} {arm:<5} {journey:>7.2f}s {used:>6.2f}s {verdict:>7} {load:>5} "
                  f"{served[-1].split(':')[0] if served else '?'}",
                  flush=True)
            if verdict != "PASS":
                print(f"harness error: a {arm} journey ended {verdict}", file=sys.stderr)
                return 1
            if pair:
                wall[arm].append(journey)
                cpu[arm].append(used)

    def med(values: list[float]) -> float:
        return statistics.median(values)

    w_full, w_bare = med(wall["full"]), med(wall["bare"])
    c_full, c_bare = med(cpu["full"]), med(cpu["bare"])
    print(f"median of {args.pairs}: journey full {w_full:.2f}s, bare {w_bare:.2f}s "
          f"(full/bare {w_full / w_bare:.2f}); CPU full {c_full:.2f}s, bare {c_bare:.2f}s "
          f"(full/bare {c_full / c_bare:.2f})")
    ratios = [f / b for f, b in zip(wall["full"], wall["bare"], strict=True)]
    print(f"per-pair wall ratios: {' '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {med(ratios):.2f} (the budget: at most 1.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
