"""Benchmark the emulated Kubernetes API through the official `kubernetes` client.

Starts the emulated API server in its own process (so server and client do not share a
GIL): by default the bare API server with the shipped CRDs (`Emulator()` with no
components), with `--full` the whole emulated Sovereign (`sovereign-e2e emulator up`,
whose controllers also react to every write). Then per run, in a fresh namespace:
  creates  - N ConfigMap creates, one request each;
  lists    - N label-selector lists over those objects (each matches 1/10 of them);
  fan-out  - W watchers (one thread and ApiClient each) receive E ConfigMap ADDED events.
Prints per-run numbers and the median over runs. Not a test: nothing here asserts speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config, watch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the --serve process imports stubs from the checkout
GROUPS = 10


@dataclass
class RunResult:
    create_s: float
    create_p50_ms: float
    list_s: float
    list_p50_ms: float
    fanout_s: float


async def serve_bare(kubeconfig: Path) -> None:
    """The server process of the default mode: API server and CRDs, until SIGTERM/SIGINT."""
    from stubs.emulator.runtime import Emulator

    emulator = Emulator()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        (await emulator.start()).write_kubeconfig(kubeconfig)
        print(json.dumps({"kubeconfig": str(kubeconfig)}), flush=True)
        await stop.wait()
    finally:
        await emulator.stop()


def start_emulator(workdir: Path, full: bool) -> tuple[subprocess.Popen[str], Path]:
    kubeconfig = workdir / "kubeconfig"
    cmd = (["-m", "e2e.cli", "emulator", "up", "--kubeconfig"] if full
           else [str(Path(__file__).resolve()), "--serve"])
    proc = subprocess.Popen(
        [sys.executable, *cmd, str(kubeconfig)],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        raise SystemExit("emulator did not start within 60s")
    json.loads(proc.stdout.readline())
    return proc, kubeconfig


def timed(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    """Total seconds and median per-call milliseconds of fn(0..n-1)."""
    lat = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        lat.append(time.perf_counter() - t0)
    return time.perf_counter() - start, statistics.median(lat) * 1000


def fanout(kubeconfig: Path, ns: str, watchers: int, events: int) -> float:
    """Seconds from the first write until every watcher has seen all `events` ADDED events."""
    core = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "sentinel", "labels": {"bench": "fanout"}}})
    ready = threading.Barrier(watchers + 1)
    done: list[float] = []
    lock = threading.Lock()

    def watcher() -> None:
        api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
        w, seen = watch.Watch(), 0
        # No resourceVersion: the stream opens with the sentinel, which proves it is live.
        for ev in w.stream(api.list_namespaced_config_map, ns, label_selector="bench=fanout",
                           timeout_seconds=120):
            if ev["object"].metadata.name == "sentinel":
                ready.wait()
                continue
            seen += 1
            if seen == events:
                with lock:
                    done.append(time.perf_counter())
                w.stop()

    threads = [threading.Thread(target=watcher, daemon=True) for _ in range(watchers)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    for i in range(events):
        core.create_namespaced_config_map(
            ns, {"metadata": {"name": f"fan-{i}", "labels": {"bench": "fanout"}}})
    for t in threads:
        t.join(120)
    if len(done) != watchers:
        raise SystemExit(f"only {len(done)}/{watchers} watchers saw all events")
    return max(done) - start


def one_run(kubeconfig: Path, creates: int, lists: int, watchers: int,
            events: int) -> RunResult:
    core = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": ns}})

    def create(i: int) -> object:
        return core.create_namespaced_config_map(ns, {
            "metadata": {"name": f"cm-{i}", "labels": {"group": f"g{i % GROUPS}"}},
            "data": {"i": str(i)}})

    def list_(i: int) -> object:
        return core.list_namespaced_config_map(
            ns, label_selector=f"group in (g{i % GROUPS}),group!=none")

    create_s, create_p50 = timed(create, creates)
    list_s, list_p50 = timed(list_, lists)
    fan_s = fanout(kubeconfig, ns, watchers, events)
    core.delete_namespace(ns)
    return RunResult(create_s, create_p50, list_s, list_p50, fan_s)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--creates", type=int, default=1000)
    p.add_argument("--lists", type=int, default=1000)
    p.add_argument("--watchers", type=int, default=20)
    p.add_argument("--events", type=int, default=100)
    p.add_argument("--full", action="store_true",
                   help="benchmark against the whole emulated Sovereign (emulator up)")
    p.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: server process
    a = p.parse_args()
    if a.serve:
        asyncio.run(serve_bare(a.serve))
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc, kubeconfig = start_emulator(Path(tmp), a.full)
        try:
            results = []
            for r in range(a.runs):
                res = one_run(kubeconfig, a.creates, a.lists, a.watchers, a.events)
                results.append(res)
                print(f"run {r + 1}: creates {res.create_s:.2f}s (p50 {res.create_p50_ms:.2f}ms)"
                      f"  lists {res.list_s:.2f}s (p50 {res.list_p50_ms:.2f}ms)"
                      f"  fan-out {res.fanout_s:.2f}s", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)

    def med(get: Callable[[RunResult], float]) -> float:
        return statistics.median(get(r) for r in results)

    delivered = a.watchers * a.events
    target = "whole emulated Sovereign" if a.full else "bare API server"
    print(f"\nmedian of {a.runs} runs ({target}):")
    print(f"  {a.creates} creates: {med(lambda r: r.create_s):.2f}s "
          f"({a.creates / med(lambda r: r.create_s):.0f}/s, "
          f"p50 {med(lambda r: r.create_p50_ms):.2f}ms)")
    print(f"  {a.lists} label-selector lists ({a.creates // GROUPS} items each): "
          f"{med(lambda r: r.list_s):.2f}s ({a.lists / med(lambda r: r.list_s):.0f}/s, "
          f"p50 {med(lambda r: r.list_p50_ms):.2f}ms)")
    print(f"  watch fan-out {a.watchers} watchers x {a.events} events: "
          f"{med(lambda r: r.fanout_s):.2f}s "
          f"({delivered / med(lambda r: r.fanout_s):.0f} events delivered/s)")


if __name__ == "__main__":
    main()
