"""Where the emulator's store spends CPU during one convergence of the default Sovereign.

Wraps a few `Store` methods with `time.thread_time()` (CPU time of the emulator's thread,
so other load on the machine matters less than for wall-clock numbers) and runs
`bench_emulator.run_once()`; prints per run the convergence time and, per method, calls
and CPU seconds (nested: `_write` includes `_track_update`).

    python bench/bench_store_cpu.py --runs 3
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_emulator import run_once  # noqa: E402
from stubs.emulator.kubeapi.store import Store  # noqa: E402

METHODS = ("_out", "list", "get", "create", "_write", "_track_update", "_validate")


def _instrument(account: dict[str, list[float]]) -> None:
    for name in METHODS:
        original = getattr(Store, name, None)
        if original is None:  # an older tree without field tracking or validation
            continue

        def timed(*args: Any, _orig: Any = original, _name: str = name, **kw: Any) -> Any:
            start = time.thread_time()
            try:
                return _orig(*args, **kw)
            finally:
                entry = account.setdefault(_name, [0, 0.0])
                entry[0] += 1
                entry[1] += time.thread_time() - start

        setattr(Store, name, functools.wraps(original)(timed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    account: dict[str, list[float]] = {}
    _instrument(account)
    for i in range(1, args.runs + 1):
        account.clear()
        result = run_once(120.0)
        cells = "  ".join(f"{name} {int(n)}x {cpu:.3f}s" for name, (n, cpu) in account.items())
        print(f"run {i}: converged {result.converged_s:.2f}s  {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
