"""The report store: one JSON file per cycle, `<report_dir>/<cycle>.json`.

Writes are atomic (a temp file in the same dir, fsync, os.replace), so a reader or a crash
never sees half a report: the previous version stays until the new one is complete.
Different cycles are different files, so concurrent writers (pytest-xdist workers) never
touch each other's files; `start_cycle` takes a file lock only to pick the next cycle id.

Every write passes the whole serialised text through a Redactor as its last step.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from filelock import FileLock

from e2e.errors import HarnessBroken
from e2e.redact import Redactor
from e2e.report.errors import CorruptReport, NoReports, ReportError, ReportNotFound
from e2e.report.model import CycleReport, Verdict, cycle_id, cycle_number

__all__ = ["HEARTBEAT_STALE", "Loaded", "ReportStore", "atomic_write_text", "judge_writer",
           "next_cycle_id"]

# A running journey rewrites its report at least every few seconds while it waits (and on
# every step change); a report whose heartbeat is older than this has no live writer.
HEARTBEAT_STALE = timedelta(minutes=10)

_FILE_RE = re.compile(r"^(t[1-9][0-9]*)\.json$")
_LOCK_NAME = ".cycles.lock"


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` all at once; on any error the old file stays untouched."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    # Make the rename itself durable; not every platform can open a directory.
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _cycles_in(report_dir: Path) -> list[str]:
    if not report_dir.is_dir():
        return []
    found = [m.group(1) for p in report_dir.iterdir() if (m := _FILE_RE.match(p.name))]
    return sorted(found, key=cycle_number)


def next_cycle_id(report_dir: Path | str) -> str:
    """One after the highest `t<N>.json` in the dir; `t1` for an empty or missing dir."""
    cycles = _cycles_in(Path(report_dir))
    return cycle_id(cycle_number(cycles[-1]) + 1) if cycles else "t1"


class ReportStore:
    def __init__(self, report_dir: Path | str) -> None:
        self.report_dir = Path(report_dir)

    def path_for(self, cycle: str) -> Path:
        cycle_number(cycle)  # validates: no path tricks through a cycle id
        return self.report_dir / f"{cycle}.json"

    # -- writing --------------------------------------------------------------------------

    def save(self, report: CycleReport, redactor: Redactor) -> Path:
        """Write (or replace) the cycle's file atomically, redacted."""
        self.report_dir.mkdir(parents=True, exist_ok=True)
        path = self.path_for(report.cycle)
        atomic_write_text(path, serialise(report, redactor))
        return path

    def start_cycle(self, build: Callable[[str], CycleReport], redactor: Redactor) -> CycleReport:
        """Claim the next cycle id and write its first report, under a lock across processes.

        `build(cycle)` makes the initial report (all steps PENDING); writing it is the claim.
        """
        self.report_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.report_dir / _LOCK_NAME)):
            report = build(next_cycle_id(self.report_dir))
            self.save(report, redactor)
        return report

    # -- reading --------------------------------------------------------------------------

    def cycles(self) -> list[str]:
        """Cycle ids with a report, in cycle order (t9 before t10)."""
        return _cycles_in(self.report_dir)

    def load(self, cycle: str) -> CycleReport:
        try:
            path = self.path_for(cycle)
        except ValueError:
            raise ReportError(f"{cycle!r} is not a cycle id",
                              "pass t<N>, e.g. --cycle t23") from None
        if not path.is_file():
            self._require_dir()
            known = ", ".join(self.cycles()[-5:]) or "none"
            raise ReportNotFound(f"no report for cycle {cycle} in {self.report_dir}",
                                 f"pick one of the cycles found (latest: {known})")
        return load_file(path)

    def load_all(self) -> list[CycleReport]:
        return [self.load(c) for c in self.require_cycles()]

    def load_readable(self) -> Loaded:
        """Every report that reads; a corrupt file is skipped with one warning line naming
        it (one bad file must not hide the rest of the record)."""
        loaded = Loaded()
        for cycle in self.require_cycles():
            try:
                loaded.reports.append(self.load(cycle))
            except CorruptReport as e:
                loaded.skipped.append(f"warning: skipped {e.problem} — {e.fix}")
        return loaded

    def latest(self) -> CycleReport:
        return self.load(self.require_cycles()[-1])

    def require_cycles(self) -> list[str]:
        self._require_dir()
        cycles = self.cycles()
        if not cycles:
            raise NoReports(f"no cycle reports (t<N>.json) in {self.report_dir}",
                            "run the journey first, or pass --report-dir DIR")
        return cycles

    def _require_dir(self) -> None:
        if not self.report_dir.is_dir():
            raise NoReports(f"report dir {self.report_dir} does not exist",
                            "run the journey first, or pass --report-dir DIR")


def serialise(report: CycleReport, redactor: Redactor) -> str:
    """The report's JSON: values redacted structurally, then the whole text (defence in depth).

    Fails rather than writing text that no longer parses.
    """
    data = redactor.redact(report.to_dict())
    text = redactor.redact_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    try:
        CycleReport.from_json(text)  # what we write must read back
    except ValueError as e:
        raise HarnessBroken(f"redacting cycle {report.cycle} broke its JSON: {e}") from None
    return text


@dataclass
class Loaded:
    reports: list[CycleReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one warning line per unreadable file


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def judge_writer(report: CycleReport, *, now: datetime | None = None,
                 host: str | None = None) -> CycleReport:
    """An IN-FLIGHT report whose writer is gone reads as ABANDONED: on this host its pid no
    longer runs; on any host its heartbeat is older than HEARTBEAT_STALE."""
    writer = report.writer
    if writer is None or report.abandoned or report.verdict is not Verdict.IN_FLIGHT:
        return report
    now = now or datetime.now(UTC)
    age = now - writer.heartbeat_at
    if writer.host == (host or socket.gethostname()) and not _pid_alive(writer.pid):
        why = f"process {writer.pid} no longer runs on {writer.host}"
    elif age > HEARTBEAT_STALE:
        why = f"no heartbeat for {int(age.total_seconds() // 60)} min"
    else:
        return report
    return report.with_updates(abandoned=why)


def load_file(path: Path) -> CycleReport:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CorruptReport(f"cannot read {path}: {type(e).__name__}",
                            "check the file's permissions, or delete it") from None
    try:
        report = CycleReport.from_json(text)
    except ValueError as e:
        raise CorruptReport(f"{path} is not a sovereign-e2e/v1alpha1 CycleReport: {e}",
                            "delete or move the file, then rerun") from None
    expected = path.name.removesuffix(".json")
    if report.cycle != expected:
        raise CorruptReport(f"{path} holds cycle {report.cycle}, not {expected}",
                            "rename the file after the cycle it holds") from None
    return judge_writer(report)
