"""Benchmark the emulated Sovereign's convergence: start to "everything is up".

Per run: build the default emulated Sovereign (no overlay), start it in its own thread
(`EmulatorThread`), and measure from just before `EmulatorThread.start()` to the moment
the store shows all of
  - every HelmRelease Ready=True,
  - every HTTPRoute Accepted=True on each of its Gateway parents,
  - ConfigMap catalyst-system/cutover-status has `completed` (the cutover finished).
The waiting is a watch on the emulator's own loop (in-process `Store.watch` subscriptions,
state updated per event; no polling). Also reports when each of the three got true, and
the emulator's Kubernetes API request count, which must stay 0: its controllers work on
the store in-process, only HTTP clients reach the request log.
Not a test: the aim (converged within 3 s of start) is reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python bench/bench_emulator.py`

AIM_S = 3.0
HELMRELEASES = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")
HTTPROUTES = ("gateway.networking.k8s.io", "v1", "httproutes")
CONFIGMAPS = ("", "v1", "configmaps")
CUTOVER = ("catalyst-system", "cutover-status")

Obj = dict[str, Any]


@dataclass
class RunResult:
    started_s: float  # EmulatorThread.start() returned (servers up, components started)
    # Since when each part held without a break up to convergence:
    releases_s: float  # every HelmRelease Ready
    routes_s: float  # every HTTPRoute Accepted on its parents
    cutover_s: float  # cutover-status has `completed`
    converged_s: float  # all three at once
    releases: int  # HelmReleases / HTTPRoutes present at convergence
    routes: int
    api_requests: int  # the emulator's request log: 0 unless something spoke HTTP to it


def _condition_true(conditions: list[Obj] | None, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in conditions or [])


def release_ready(hr: Obj) -> bool:
    return _condition_true((hr.get("status") or {}).get("conditions"), "Ready")


def route_accepted(route: Obj) -> bool:
    """Accepted=True in the status entry of every Gateway parentRef of the route."""
    ns = route["metadata"].get("namespace", "")
    refs = [r for r in (route.get("spec") or {}).get("parentRefs") or []
            if r.get("kind", "Gateway") == "Gateway"]
    parents = (route.get("status") or {}).get("parents") or []
    for ref in refs:
        want = (ref.get("namespace") or ns, ref.get("name"))
        entry = next((p for p in parents
                      if ((p.get("parentRef") or {}).get("namespace") or ns,
                          (p.get("parentRef") or {}).get("name")) == want), None)
        if entry is None or not _condition_true(entry.get("conditions"), "Accepted"):
            return False
    return bool(refs)


class Convergence:
    """Watches the store (on the emulator's loop) until all three conditions hold."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.releases: dict[tuple[str, str], bool] = {}
        self.routes: dict[tuple[str, str], bool] = {}
        self.cutover_done = False
        self.marks: dict[str, float] = {}
        self.counts: dict[str, int] = {}  # objects seen at convergence
        self.done = asyncio.Event()

    def _rt(self, coords: tuple[str, str, str]) -> Any:
        rt = self.store.registry.get(*coords)
        if rt is None:
            raise RuntimeError(f"the emulator serves no {'/'.join(coords)}")
        return rt

    def _check(self) -> None:
        """Each part's mark is when it last became true (it may turn false again: a route
        created later starts unaccepted); converged is when all three hold at once."""
        now = time.perf_counter()
        held = {"releases": bool(self.releases) and all(self.releases.values()),
                "routes": bool(self.routes) and all(self.routes.values()),
                "cutover": self.cutover_done}
        for part, ok in held.items():
            if not ok:
                self.marks.pop(part, None)
            elif part not in self.marks:
                self.marks[part] = now
        if all(held.values()):
            self.marks["converged"] = now
            self.counts = {"releases": len(self.releases), "routes": len(self.routes)}
            self.done.set()

    async def _follow(self, coords: tuple[str, str, str], namespace: str | None,
                      table: dict[tuple[str, str], bool] | None) -> None:
        async for ev in self.store.watch(self._rt(coords), namespace):
            meta = ev.obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            if table is not None:
                if ev.type == "DELETED":
                    table.pop(key, None)
                else:
                    table[key] = (release_ready if table is self.releases
                                  else route_accepted)(ev.obj)
            elif key == CUTOVER:
                self.cutover_done = ev.type != "DELETED" and bool(
                    (ev.obj.get("data") or {}).get("completed"))
            self._check()

    async def wait(self, timeout: float) -> dict[str, float]:
        tasks = [asyncio.ensure_future(self._follow(HELMRELEASES, None, self.releases)),
                 asyncio.ensure_future(self._follow(HTTPROUTES, None, self.routes)),
                 asyncio.ensure_future(self._follow(CONFIGMAPS, CUTOVER[0], None))]
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.marks


def run_once(timeout: float) -> RunResult:
    from stubs.emulator.assemble import build_emulator
    from stubs.emulator.runtime import EmulatorThread

    emulator = build_emulator()
    thread = EmulatorThread(emulator)
    t0 = time.perf_counter()
    thread.start()
    started = time.perf_counter() - t0
    try:
        conv = Convergence(emulator.store)
        # Subscribed right after start: a watch without resourceVersion replays the
        # current objects first, so nothing that happened during start() is missed.
        fut = asyncio.run_coroutine_threadsafe(conv.wait(timeout), thread.loop)
        try:
            marks = fut.result(timeout + 5)
        except TimeoutError as e:
            raise SystemExit(
                f"harness error: not converged within {timeout:.0f}s: "
                f"releases ready {sum(conv.releases.values())}/{len(conv.releases)}, "
                f"routes accepted {sum(conv.routes.values())}/{len(conv.routes)}, "
                f"cutover completed {conv.cutover_done}") from e
        requests = thread.call(lambda: emulator.kube.request_log.total)
        return RunResult(started, marks["releases"] - t0, marks["routes"] - t0,
                         marks["cutover"] - t0, marks["converged"] - t0,
                         conv.counts["releases"], conv.counts["routes"], requests)
    finally:
        thread.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time the default emulated Sovereign from start until every HelmRelease "
                    "is Ready, every HTTPRoute Accepted and the cutover completed.")
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5); the median "
                        "is reported")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a run may take before it counts as a harness error")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    import stubs.emulator.assemble  # noqa: F401  imports are not part of start-up time

    results: list[RunResult] = []
    print(f"{'run':>3} {'started':>8} {'releases':>9} {'routes':>8} {'cutover':>8} "
          f"{'converged':>10} {'HRs':>4} {'routes':>6} {'API reqs':>8}")
    for i in range(1, args.runs + 1):
        r = run_once(args.timeout)
        results.append(r)
        print(f"{i:>3} {r.started_s:>7.2f}s {r.releases_s:>8.2f}s {r.routes_s:>7.2f}s "
              f"{r.cutover_s:>7.2f}s {r.converged_s:>9.2f}s {r.releases:>4} {r.routes:>6} "
              f"{r.api_requests:>8}", flush=True)

    def med(attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results)

    print(f"med {med('started_s'):>7.2f}s {med('releases_s'):>8.2f}s {med('routes_s'):>7.2f}s "
          f"{med('cutover_s'):>7.2f}s {med('converged_s'):>9.2f}s")
    conv = med("converged_s")
    verdict = "meets" if conv <= AIM_S else "misses"
    print(f"emulator converged in {conv:.2f}s (median of {len(results)}; spread "
          f"{min(r.converged_s for r in results):.2f}-{max(r.converged_s for r in results):.2f}s)"
          f": {verdict} the {AIM_S:.0f}s aim; emulator API requests during convergence: "
          f"{max(r.api_requests for r in results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
