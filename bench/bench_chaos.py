"""Benchmark the journey under seeded network chaos: pass counts and the wall-time cost.

Per seed: an emulated Sovereign in-process, the journey (`run_until_failure`) through two
chaos proxies (tests/chaos/proxy.py: KUBE_API in front of the Kubernetes API, GATEWAY in
front of the gateway), then the same seed's journey with clean proxies (plain pipes, the
same hop) for the baseline. Prints one line per run, the pass counts, the faults met and
the median wall times. Not a test: nothing is asserted; it exits non-zero only when a
clean-proxy journey does not pass (a harness error).

    python bench/bench_chaos.py [--runs 10] [--first-seed 0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python bench/bench_chaos.py`

from tests.chaos.journeys import ChaosRun, start_emulator, walk_with_chaos  # noqa: E402
from tests.chaos.proxy import GATEWAY, KUBE_API, ChaosProfile  # noqa: E402

PLAIN = ChaosProfile()


def one(seed: int, kube: ChaosProfile, gateway: ChaosProfile) -> ChaosRun:
    emulator = start_emulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return walk_with_chaos(emulator, seed, kube=kube, gateway=gateway,
                                   report_dir=Path(tmp))
    finally:
        emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    chaos_s, plain_s, passes, faults = [], [], 0, []
    for seed in range(args.first_seed, args.first_seed + args.runs):
        run = one(seed, KUBE_API, GATEWAY)
        base = one(seed, PLAIN, PLAIN)
        ok = run.report.verdict.value == "PASS"
        passes += ok
        chaos_s.append(run.seconds)
        plain_s.append(base.seconds)
        faults.append((len(run.kube.faults), len(run.gateway.faults)))
        ff = run.report.first_failure
        print(f"seed {seed}: chaos {run.report.verdict.value} {run.seconds:5.1f}s "
              f"(api faults {len(run.kube.faults)}/{run.kube.connections} conns, gateway "
              f"faults {len(run.gateway.faults)}/{run.gateway.connections} conns)"
              f"{'' if ok else f' stopped at {ff.step} {ff.code}' if ff else ''}; "
              f"plain {base.report.verdict.value} {base.seconds:5.1f}s", flush=True)
        if base.report.verdict.value != "PASS":
            print("harness error: a journey through plain proxies did not pass")
            return 1
    med_c, med_p = statistics.median(chaos_s), statistics.median(plain_s)
    print(f"{passes}/{args.runs} chaos journeys PASS (the clean verdict); median journey "
          f"{med_c:.1f}s under chaos vs {med_p:.1f}s plain (+{med_c - med_p:.1f}s, "
          f"x{med_c / med_p:.2f}); faults met per run (api, gateway): {faults}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
