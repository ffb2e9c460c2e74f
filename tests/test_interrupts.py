"""Interrupts: SIGINT, SIGTERM and a second SIGINT at early, middle and late steps end the
cycle INTERRUPTED at the running step, with the exit code saying so and nothing left
running; SIGKILL leaves a valid report. Each run is the real CLI in its own process group,
signalled once the report shows the chosen step RUNNING (a fault overlay keeps that step
waiting for its 3 s confirmation window, long enough to be caught there)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.config import Settings
from e2e.kube import gvr
from e2e.report.model import StepStatus, Verdict
from e2e.report.store import ReportStore
from e2e.session import JourneySession

REPO = Path(__file__).resolve().parents[1]
FAULTS = REPO / "scenarios" / "faults"
# A step that waits a few seconds before its verdict, per stage of the journey.
EARLY = ("05-bootstrap-kit-converged", "empty-mcp-image")
MIDDLE = ("08-cutover-complete", "gitea-token-is-password")
LATE = ("16-sandbox-token-minted", "free-plan-ent-capability")


def _start(report_dir: Path, fault: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "e2e.cli", "run", "-k", "journey", "-q",
         "-p", "no:cacheprovider", str(REPO / "scenarios" / "test_journey.py"),
         "--overlay", str(FAULTS / fault / "overlay"), "--report-dir", str(report_dir)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_running(proc: subprocess.Popen[bytes], report: Path, step: str,
                  timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {step} ran: {proc.stdout.read().decode()}")  # type: ignore[union-attr]
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            data = {}
        running = [s["id"] for s in data.get("steps", []) if s["status"] == "RUNNING"]
        if running == [step]:
            return
        time.sleep(0.03)
    pytest.fail(f"{step} never ran within {timeout:.0f}s")


def _finish(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the run did not stop within {timeout:.0f}s of the signal")
    with pytest.raises(ProcessLookupError):  # nothing of the run's process group is left
        os.killpg(proc.pid, 0)
    return proc.returncode, out.decode(errors="replace")


@pytest.mark.parametrize(("stage", "signals", "code"), [
    (EARLY, [signal.SIGINT], 130),
    (MIDDLE, [signal.SIGTERM], 143),
    (LATE, [signal.SIGINT, signal.SIGINT], 130),
], ids=["sigint-early", "sigterm-middle", "double-sigint-late"])
def test_a_signal_ends_the_cycle_interrupted_at_the_running_step(
        tmp_path: Path, stage: tuple[str, str], signals: list[signal.Signals],
        code: int) -> None:
    step, fault = stage
    proc = _start(tmp_path, fault)
    _wait_running(proc, tmp_path / "t1.json", step)
    for sig in signals:
        os.killpg(proc.pid, sig)
        time.sleep(0.2)
    returncode, out = _finish(proc)
    assert returncode == code, out[-2000:]
    report = ReportStore(tmp_path).load("t1")
    assert report.verdict is Verdict.INTERRUPTED, out[-2000:]
    ff = report.first_failure
    assert ff is not None and ff.step == step and ff.status is StepStatus.INTERRUPTED
    assert ff.code == "harness.interrupted"
    assert signal.Signals(signals[0]).name in (ff.finding.message if ff.finding else "")
    assert report.ended_at is not None


def test_sigkill_leaves_a_valid_report(tmp_path: Path) -> None:
    step, fault = MIDDLE
    proc = _start(tmp_path, fault)
    _wait_running(proc, tmp_path / "t1.json", step)
    os.killpg(proc.pid, signal.SIGKILL)
    _finish(proc)
    report = ReportStore(tmp_path).load("t1")  # parses and validates: writes are atomic
    # A killed run cannot say anything more; its writer is gone, so readers say ABANDONED.
    assert report.stopping_step is not None and report.stopping_step.id == step
    assert report.verdict is Verdict.ABANDONED
    history = subprocess.run([sys.executable, "-m", "e2e.cli", "history", "--report-dir",
                              str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert history.returncode == 0 and "t1" in history.stdout
    assert "ABANDONED" in history.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_interrupted_journey_deletes_what_it_created(tmp_path: Path) -> None:
    """In-process: the interrupt lands while step 16 waits, after its Sandbox was made."""
    step, fault = LATE

    def interrupt(s: object, elapsed: float, waiting_for: str) -> None:
        if getattr(s, "id", "") == step:
            raise KeyboardInterrupt

    session = JourneySession(Settings(report_dir=tmp_path,
                                      overlays=[FAULTS / fault / "overlay"]),
                             on_progress=interrupt)
    session.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            session.run_all()
        report = session.finish()
        assert session.runner is not None and session.sov is not None
        created = list(session.runner.ctx.state.created)
        assert [(g.plural, name) for g, _, name in created] == [("sandboxes", "e2e-sandbox")]
        assert session.cleanup() == []
        _, ns, name = created[0]
        assert session.sov.kube.try_get(gvr.SANDBOXES, name, ns) is None
    finally:
        session.close()
    assert report.verdict is Verdict.INTERRUPTED
    assert report.first_failure is not None and report.first_failure.step == step
