"""Benchmark the oracle: building it (tools/build-oracle) and starting it.

Measures, each a median of --runs:
  - warm build: `tools/build-oracle` with its cache present (a cache hit: what .ci/run pays),
  - rebuild:   `tools/build-oracle` into an empty oracle cache with the Go module and build
               caches warm (--rebuild; what a version bump of etcd alone, or a wiped
               oracle cache, costs),
  - cold:      `tools/build-oracle` with empty, private GOMODCACHE, GOCACHE and oracle cache
               (--cold; downloads every module and compiles everything; about 7 minutes on
               2 cores, so one run unless --runs says otherwise),
  - start:     OracleServer().start() until /readyz answers, then stop().
Not a test: nothing is asserted; it exits non-zero only when a build or a start fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python bench/bench_oracle.py`

BUILD = REPO / "tools" / "build-oracle"


def _build(env: dict[str, str] | None = None) -> float:
    start = time.monotonic()
    subprocess.run([str(BUILD)], check=True, env={**os.environ, **(env or {})},
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def _fresh_dirs_build(cold: bool) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="oracle-bench-"))
    env = {"SOVEREIGN_E2E_ORACLE_CACHE": str(tmp / "oracle")}
    if cold:
        env |= {"GOMODCACHE": str(tmp / "gomod"), "GOCACHE": str(tmp / "gocache")}
    try:
        return _build(env)
    finally:
        # The module cache is read-only by design; make it removable first.
        subprocess.run(["chmod", "-R", "u+w", str(tmp)], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _start_stop() -> float:
    from e2e.oracle import OracleServer

    start = time.monotonic()
    server = OracleServer().start()
    ready = time.monotonic() - start
    server.stop()
    return ready


def _report(name: str, times: list[float]) -> None:
    runs = " ".join(f"{t:.2f}s" for t in times)
    print(f"{name:<12} median {statistics.median(times):8.2f}s  ({len(times)} runs: {runs})",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="also time a rebuild")
    parser.add_argument("--cold", action="store_true", help="also time a cold build")
    parser.add_argument("--cold-runs", type=int, default=1)
    args = parser.parse_args()
    _build()  # make sure the cache is there: the warm runs measure a hit
    _report("warm build", [_build() for _ in range(args.runs)])
    _report("start", [_start_stop() for _ in range(args.runs)])
    if args.rebuild:
        _report("rebuild", [_fresh_dirs_build(cold=False) for _ in range(args.runs)])
    if args.cold:
        _report("cold build", [_fresh_dirs_build(cold=True) for _ in range(args.cold_runs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
