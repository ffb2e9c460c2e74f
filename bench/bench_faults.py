"""Benchmark time to verdict for every fault scenario (scenarios/faults/<name>/).

Per fault and run: `JourneySession(Settings(overlays=[fault.overlay], report_dir=<temp>))`,
`start()`, `run_until_failure()`, `close()`. From the cycle report's stopping step it takes
  - step: that step's duration (StepResult started_at -> ended_at): from the moment the
    harness began waiting on the step to its FAIL/STUCK verdict;
  - whole: the wall time of start() + run_until_failure(), emulator start included;
and sets both against the step's timeout (StepResult.timeout_s: the real-cluster budget a
harness that only waits would sit out before saying TIMEOUT). The aim: every fault
diagnosed within 3% of its step's timeout. `--real-stall` runs with the stall windows a
real cluster gets (the kubeconfig target: each step's own, not the emulated target's 15 s
cap), so STUCK-prone faults show what they would cost there; the settle window of step 06
grows with it (a tenth of the stall window). Each run also checks the report names the
expected step, status and Finding; a mismatch is a harness error (exit 1). A missed aim is
reported, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout: `python bench/bench_faults.py`

AIM_RATIO = 0.03
FAULTS_DIR = REPO / "scenarios" / "faults"


@dataclass
class RunResult:
    step: str
    status: str
    finding: str
    step_s: float
    whole_s: float
    timeout_s: float
    mismatches: list[str]


@dataclass
class FaultSummary:
    name: str
    step: str
    status: str
    finding: str
    timeout_s: float
    step_s: float  # medians over runs
    whole_s: float
    spread: tuple[float, float]  # min/max of the step time
    errors: list[str]

    @property
    def step_ratio(self) -> float:
        return self.step_s / self.timeout_s

    @property
    def whole_ratio(self) -> float:
        return self.whole_s / self.timeout_s


def run_once(fault: object, real_stall: bool = False) -> RunResult:
    from e2e.config import Settings
    from e2e.faults import FaultExpectation
    from e2e.journey.steps import STEPS
    from e2e.session import JourneySession

    assert isinstance(fault, FaultExpectation)
    # Explicit per-step stall windows beat the emulated target's cap (Settings.stall_for).
    stalls = {s.id: s.stall_after for s in STEPS} if real_stall else {}
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        session = JourneySession(Settings(overlays=[fault.overlay], report_dir=Path(tmp),
                                          step_stalls=stalls))
        try:
            t0 = time.perf_counter()
            session.start()
            report = session.run_until_failure()
            whole = time.perf_counter() - t0
        finally:
            session.close()
    ff = report.first_failure
    if ff is None:
        return RunResult("-", report.verdict.value, "-", 0.0, whole, 0.0,
                         fault.mismatches(report))
    step = report.step(ff.step)
    return RunResult(ff.step, ff.status.value, ff.code or "-", step.duration_s or 0.0, whole,
                     step.timeout_s, fault.mismatches(report))


def summarise(name: str, runs: list[RunResult]) -> FaultSummary:
    last = runs[-1]
    steps = [r.step_s for r in runs]
    errors = [f"run {i}: {'; '.join(r.mismatches)}" for i, r in enumerate(runs, 1)
              if r.mismatches]
    return FaultSummary(name, last.step, last.status, last.finding,
                        max(r.timeout_s for r in runs) or float("nan"),
                        statistics.median(steps), statistics.median(r.whole_s for r in runs),
                        (min(steps), max(steps)), errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time to verdict for every fault scenario, against its step's timeout.")
    parser.add_argument("--runs", type=int, default=3, help="runs per fault (default 3); "
                        "the median is reported")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this fault (repeatable)")
    parser.add_argument("--real-stall", action="store_true",
                        help="use each step's real-cluster stall window (the kubeconfig "
                             "target's) instead of the emulated target's 15 s cap")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    import stubs.emulator.assemble  # noqa: F401  imports are not part of any run's time
    from e2e.faults import discover

    faults = [f for f in discover(FAULTS_DIR) if not args.only or f.name in args.only]
    if not faults:
        parser.error(f"no fault matches {args.only}")
    print(f"{len(faults)} faults x {args.runs} runs"
          + (" (real-cluster stall windows)" if args.real_stall else ""), flush=True)
    summaries: list[FaultSummary] = []
    t_all = time.perf_counter()
    for fault in faults:
        runs = []
        for i in range(args.runs):
            r = run_once(fault, args.real_stall)
            runs.append(r)
            print(f"  {fault.name} run {i + 1}: {r.status} at {r.step} ({r.finding}) "
                  f"step {r.step_s:.2f}s whole {r.whole_s:.2f}s"
                  + (f"  MISMATCH: {'; '.join(r.mismatches)}" if r.mismatches else ""),
                  flush=True)
        summaries.append(summarise(fault.name, runs))
    total = time.perf_counter() - t_all

    name_w = max(len(s.name) for s in summaries)
    step_w = max(len(s.step) for s in summaries)
    print()
    print(f"{'fault':<{name_w}}  {'stopping step':<{step_w}}  {'status':<6} {'step':>6} "
          f"{'whole':>6} {'timeout':>7} {'step/to':>7} {'whole/to':>8}  aim  finding")
    for s in summaries:
        ok = "ok" if s.step_ratio < AIM_RATIO else "MISS"
        print(f"{s.name:<{name_w}}  {s.step:<{step_w}}  {s.status:<6} {s.step_s:>5.2f}s "
              f"{s.whole_s:>5.2f}s {s.timeout_s:>6.0f}s {s.step_ratio:>7.2%} "
              f"{s.whole_ratio:>8.2%}  {ok:<4} {s.finding}"
              + ("  (!) " + " | ".join(s.errors) if s.errors else ""))
    worst = max(summaries, key=lambda s: s.step_ratio)
    worst_whole = max(summaries, key=lambda s: s.whole_ratio)
    met = sum(s.step_ratio < AIM_RATIO for s in summaries)
    errors = [s for s in summaries if s.errors]
    print(f"{met}/{len(summaries)} faults diagnosed within {AIM_RATIO:.0%} of their step's "
          f"timeout (median of {args.runs}; worst {worst.name} {worst.step_ratio:.2%} of "
          f"{worst.timeout_s:.0f}s; worst whole run {worst_whole.name} "
          f"{worst_whole.whole_ratio:.2%}); {len(errors)} mismatched; "
          f"total bench time {total:.0f}s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
