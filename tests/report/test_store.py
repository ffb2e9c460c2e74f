"""The store: one file per cycle, atomic writes, redaction on write, clear errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from e2e.redact import Redactor
from e2e.report import store as store_module
from e2e.report.errors import CorruptReport, NoReports, ReportNotFound
from e2e.report.model import CycleReport, StepStatus, Verdict, Writer
from e2e.report.render import render
from e2e.report.store import ReportStore, judge_writer, next_cycle_id
from tests.report.conftest import SECRETS, BuildReport


def test_save_and_load(tmp_path: Path, build_report: BuildReport) -> None:
    store = ReportStore(tmp_path / "reports")
    report = build_report("t3", {4: StepStatus.STUCK})
    path = store.save(report, Redactor())
    assert path == tmp_path / "reports" / "t3.json"
    assert store.load("t3") == report
    assert [p.name for p in path.parent.iterdir()] == ["t3.json"]  # no temp files left


def test_list_and_latest_in_cycle_order(tmp_path: Path, build_report: BuildReport) -> None:
    store = ReportStore(tmp_path)
    for cycle in ("t10", "t9", "t2"):
        store.save(build_report(cycle), Redactor())
    (tmp_path / "notes.json").write_text("{}")  # not a cycle file: ignored
    (tmp_path / ".t11.json.abc.tmp").write_text("half")  # a crashed writer's temp: ignored
    assert store.cycles() == ["t2", "t9", "t10"]
    assert store.latest().cycle == "t10"
    assert [r.cycle for r in store.load_all()] == ["t2", "t9", "t10"]


def test_next_cycle_id(tmp_path: Path, build_report: BuildReport) -> None:
    assert next_cycle_id(tmp_path / "missing") == "t1"
    assert next_cycle_id(tmp_path) == "t1"
    ReportStore(tmp_path).save(build_report("t9"), Redactor())
    ReportStore(tmp_path).save(build_report("t10"), Redactor())
    assert next_cycle_id(tmp_path) == "t11"


def test_start_cycle_claims_the_next_id(tmp_path: Path, build_report: BuildReport) -> None:
    store = ReportStore(tmp_path)
    first = store.start_cycle(lambda c: build_report(c, default=StepStatus.PENDING), Redactor())
    second = store.start_cycle(lambda c: build_report(c, default=StepStatus.PENDING), Redactor())
    assert (first.cycle, second.cycle) == ("t1", "t2")
    assert store.load("t2").verdict is Verdict.IN_FLIGHT


def test_crash_mid_write_leaves_old_file(tmp_path: Path, build_report: BuildReport,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = ReportStore(tmp_path)
    store.save(build_report("t5", {3: StepStatus.RUNNING}, default=StepStatus.PENDING), Redactor())
    before = (tmp_path / "t5.json").read_bytes()

    def explode(report: CycleReport, redactor: Redactor) -> str:
        raise RuntimeError("serializer died")

    monkeypatch.setattr(store_module, "serialise", explode)
    with pytest.raises(RuntimeError):
        store.save(build_report("t5"), Redactor())
    assert (tmp_path / "t5.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t5.json"]


def test_crash_during_file_write_leaves_old_file(tmp_path: Path, build_report: BuildReport,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = ReportStore(tmp_path)
    store.save(build_report("t5", default=StepStatus.PENDING), Redactor())
    before = (tmp_path / "t5.json").read_bytes()

    def fail_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OSError):
        store.save(build_report("t5"), Redactor())
    assert (tmp_path / "t5.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t5.json"]


def test_written_file_is_redacted(tmp_path: Path, secret_report: CycleReport) -> None:
    redactor = Redactor()
    for label, value in SECRETS.items():
        redactor.add(value, label)
    path = ReportStore(tmp_path).save(secret_report, redactor)
    text = path.read_text()
    for value in SECRETS.values():
        assert value not in text
    assert "[redacted:gitea-admin-password]" in text
    loaded = ReportStore(tmp_path).load("t7")
    assert loaded.verdict is Verdict.FAIL
    assert loaded.harness["commit"] == "a" * 40  # a commit id is not a token


def test_store_write_path_redacts_shapes_without_registration(
        tmp_path: Path, secret_report: CycleReport) -> None:
    # Nobody registered the values: the pattern layer still catches the token and key=value.
    text = ReportStore(tmp_path).save(secret_report, Redactor()).read_text()
    assert SECRETS["gitea-token"] not in text
    assert "Authorization: token [redacted" in text


@pytest.mark.parametrize(("content", "problem"), [
    ("{half a report", "not valid JSON"),
    ('{"apiVersion": "sovereign-e2e/v9", "kind": "CycleReport"}', "unknown schema"),
    ("", "not valid JSON"),
])
def test_corrupt_file_is_one_clear_line(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "t4.json").write_text(content)
    with pytest.raises(CorruptReport, match=problem) as info:
        ReportStore(tmp_path).load("t4")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "t4.json") in message and " — " in message


def test_file_named_for_another_cycle_is_corrupt(tmp_path: Path, build_report: BuildReport) -> None:
    (tmp_path / "t4.json").write_text(build_report("t3").to_json())
    with pytest.raises(CorruptReport, match="holds cycle t3"):
        ReportStore(tmp_path).load("t4")


def test_missing_dir_and_cycle(tmp_path: Path, build_report: BuildReport) -> None:
    with pytest.raises(NoReports, match="does not exist"):
        ReportStore(tmp_path / "nope").latest()
    with pytest.raises(NoReports, match="no cycle reports"):
        ReportStore(tmp_path).latest()
    ReportStore(tmp_path).save(build_report("t1"), Redactor())
    with pytest.raises(ReportNotFound, match=r"no report for cycle t2.*latest: t1"):
        ReportStore(tmp_path).load("t2")


def test_concurrent_writers_of_different_cycles(tmp_path: Path) -> None:
    # Separate processes (as xdist workers are) each claim cycles and rewrite them repeatedly.
    script = textwrap.dedent(f"""
        import sys
        from e2e.redact import Redactor
        from e2e.report.model import CycleReport, StepResult, StepStatus, Target
        from e2e.report.store import ReportStore
        store = ReportStore({str(tmp_path)!r})
        def build(cycle):
            steps = [StepResult(id=f"{{n:02d}}-s", number=n, title="s") for n in range(1, 17)]
            return CycleReport(cycle=cycle, target=Target(provider="emulated", fqdn="x"),
                               steps=steps)
        for _ in range(3):
            report = store.start_cycle(build, Redactor())
            for step in report.steps:
                report = report.with_step(step.model_copy(update={{"status": StepStatus.PASS}}))
                store.save(report, Redactor())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    store = ReportStore(tmp_path)
    assert store.cycles() == [f"t{n}" for n in range(1, 13)]
    assert all(r.verdict is Verdict.PASS for r in store.load_all())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    json.loads((tmp_path / "t12.json").read_text())



# -- a killed run: IN-FLIGHT with its writer gone reads as ABANDONED -----------------------

def _in_flight(build_report: BuildReport, writer: Writer) -> CycleReport:
    return build_report("t4", {1: StepStatus.PASS, 2: StepStatus.RUNNING},
                        default=StepStatus.PENDING).with_updates(writer=writer)


def test_a_dead_writer_on_this_host_is_abandoned(build_report: BuildReport,
                                                  tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)  # a pid that just exited
    store = ReportStore(tmp_path)
    store.save(_in_flight(build_report, Writer(pid=dead, host=socket.gethostname(),
                                               heartbeat_at=datetime.now(UTC))), Redactor())
    report = store.load("t4")
    assert report.verdict is Verdict.ABANDONED
    assert report.abandoned == f"process {dead} no longer runs on {socket.gethostname()}"
    assert "ABANDONED" in render(report, "markdown") and str(dead) in render(report, "markdown")


def test_a_live_writer_stays_in_flight_and_a_stale_heartbeat_is_abandoned(
        build_report: BuildReport) -> None:
    now = datetime.now(UTC)
    alive = _in_flight(build_report, Writer(pid=os.getpid(), host=socket.gethostname(),
                                            heartbeat_at=now))
    assert judge_writer(alive).verdict is Verdict.IN_FLIGHT
    elsewhere = _in_flight(build_report, Writer(pid=1, host="ci-runner-7",
                                                heartbeat_at=now - timedelta(minutes=11)))
    judged = judge_writer(elsewhere, now=now)
    assert judged.verdict is Verdict.ABANDONED and judged.abandoned == "no heartbeat for 11 min"
    recent = elsewhere.with_updates(writer=Writer(pid=1, host="ci-runner-7", heartbeat_at=now))
    assert judge_writer(recent, now=now).verdict is Verdict.IN_FLIGHT
    finished = build_report("t5").with_updates(writer=elsewhere.writer)
    assert judge_writer(finished, now=now).verdict is Verdict.PASS


def test_load_readable_skips_corrupt_files_with_one_line_each(build_report: BuildReport,
                                                               tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    store.save(build_report("t1"), Redactor())
    (tmp_path / "t2.json").write_text("not json")
    (tmp_path / "t3.json").write_bytes(b"\xff\xfe")
    store.save(build_report("t4"), Redactor())
    loaded = store.load_readable()
    assert [r.cycle for r in loaded.reports] == ["t1", "t4"]
    assert len(loaded.skipped) == 2
    assert all(line.startswith("warning: skipped ") and "\n" not in line
               for line in loaded.skipped)
    assert str(tmp_path / "t2.json") in loaded.skipped[0]
