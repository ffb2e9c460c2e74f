"""Pinned: under seeded network chaos the journey's verdict is the clean verdict.

20 seeded journeys, each with a chaos proxy in front of the Kubernetes API (resets, cut
watch streams, latency) and another in front of the gateway (resets, answers cut mid-way,
latency): 16 on the clean Sovereign must PASS; 4 with a fault overlay must stop at the
fault's step with its root Finding, as without chaos. Each journey has its own emulator
(a shared one slows later journeys: every tenant adds routes that step 15 probes); two run
at a time, which adds load and removes no chaos. Each run must have met faults, or it
proved nothing. Pass counts and the wall-time cost: bench/bench_chaos.py.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from e2e.faults import FaultExpectation, discover
from e2e.report.model import Verdict
from tests.chaos.journeys import ChaosRun, start_emulator, walk_with_chaos
from tests.chaos.proxy import GATEWAY, KUBE_API

REPO = Path(__file__).resolve().parents[2]
CLEAN_SEEDS = range(16)
FAULTS = ("gitea-token-is-password", "stale-chart-pin", "routes-parent-missing",
          "free-plan-ent-capability")
FAULT_SEED = 1000


def _describe(run: ChaosRun) -> str:
    ff = run.report.first_failure
    where = f" at {ff.step} {ff.status.value} {ff.code}" if ff else ""
    message = ff.finding.message[:200] if ff and ff.finding else ""
    return (f"seed {run.seed}: {run.report.verdict.value}{where} {message} "
            f"(kube faults {run.kube.faults[:8]}, gateway faults {run.gateway.faults[:8]})")


def walk(seed: int, report_dir: Path, overlays: tuple[Path, ...] = ()) -> ChaosRun:
    emulator = start_emulator(overlays)
    try:
        return walk_with_chaos(emulator, seed, kube=KUBE_API, gateway=GATEWAY,
                               report_dir=report_dir)
    finally:
        emulator.stop()


def test_clean_journeys_pass_under_chaos(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda seed: walk(seed, tmp_path), CLEAN_SEEDS))
    failed = [_describe(r) for r in runs if r.report.verdict is not Verdict.PASS]
    assert not failed, "\n".join(failed)
    assert all(r.kube.faults for r in runs), "a run met no API fault: it proved nothing"
    assert sum(len(r.gateway.faults) for r in runs) >= len(runs)
    # Two journeys at a time wrote one report dir: distinct cycles, all complete.
    assert sorted(r.report.cycle for r in runs) == sorted(f"t{i + 1}" for i in CLEAN_SEEDS)


def _fault(name: str) -> FaultExpectation:
    return next(f for f in discover(REPO / "scenarios" / "faults") if f.name == name)


def test_fault_verdicts_hold_under_chaos(tmp_path: Path) -> None:
    def walk_fault(index: int) -> tuple[FaultExpectation, ChaosRun]:
        fault = _fault(FAULTS[index])
        return fault, walk(FAULT_SEED + index, tmp_path / fault.name, (fault.overlay,))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(walk_fault, range(len(FAULTS))))
    wrong = [f"{fault.name}: {'; '.join(fault.mismatches(run.report))} ({_describe(run)})"
             for fault, run in results if fault.mismatches(run.report)]
    assert not wrong, "\n".join(wrong)
    assert all(run.kube.faults for _, run in results)
