"""`sovereign-e2e report|history|signoff`: output, exit codes, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from e2e.cli import main
from e2e.redact import Redactor
from e2e.report.model import Platform, StepStatus
from e2e.report.store import ReportStore
from tests.report.conftest import BuildReport

PLATFORM = Platform(charts={"flux-system/bp-gitea": "bp-gitea@1.1.2"}, ref="main@sha1:abc")

S = StepStatus


@pytest.fixture
def report_dir(tmp_path: Path, build_report: BuildReport) -> Path:
    store = ReportStore(tmp_path / "reports")
    for report in (build_report("t9", {7: S.FAIL}), build_report("t10"),
                   build_report("t11", {5: S.STUCK, 6: S.BLOCKED})):
        store.save(report, Redactor())
    return store.report_dir


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str, *words: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sovereign-e2e: error: ") and " — " in lines[0]
    for word in words:
        assert word in lines[0]


def test_report_defaults_to_latest_markdown(report_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["report", "--report-dir", str(report_dir)], capsys)
    assert (code, err) == (0, "")
    assert out.startswith("# Cycle t11: ⏸️ STUCK")


def test_report_cycle_and_formats(report_dir: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["report", "--report-dir", str(report_dir), "--cycle", "t9",
                         "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["verdict"] == "FAIL"
    target = tmp_path / "junit.xml"
    code, out, _ = _run(["report", "--report-dir", str(report_dir), "--cycle", "t10",
                         "--format", "junit", "--output", str(target)], capsys)
    assert (code, out) == (0, "")
    assert ET.parse(target).getroot().find("testsuite") is not None


def test_history(report_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["history", "--report-dir", str(report_dir)], capsys)
    assert code == 0
    assert out.splitlines()[-1] == ("cycle log: t9 FAIL: gitea.token-is-password, t10 PASS, "
                                    "t11 STUCK: flux.chart-pin-lag")


def test_signoff_exit_codes(report_dir: Path, tmp_path: Path, build_report: BuildReport,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir)], capsys)
    assert code == 1 and out.startswith("# NO-GO") and "flux.chart-pin-lag" in out
    ReportStore(report_dir).save(build_report("t12", platform=PLATFORM), Redactor())
    # emulated cycles: NO-GO unless allowed, and then the title says so
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir)], capsys)
    assert code == 1 and "emulated Sovereign" in out
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir), "--allow-emulated",
                         "--no-record"], capsys)
    assert code == 0 and out.startswith("# GO") and "emulated targets allowed" in out.split(
        "\n")[0]
    assert not (report_dir / "signoffs").exists()
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir), "--require-passes", "2",
                         "--json", "--allow-emulated"], capsys)
    assert code == 1 and json.loads(out)["decision"] == "NO-GO"


def test_signoff_formats_and_the_record(report_dir: Path, tmp_path: Path,
                                        build_report: BuildReport,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = ReportStore(report_dir)
    store.save(build_report("t12", provider="kubeconfig", platform=PLATFORM), Redactor())
    page = tmp_path / "signoff.html"
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir), "--format", "html",
                         "--output", str(page)], capsys)
    assert (code, out) == (0, "") and "<h1>" in page.read_text()
    record = report_dir / "signoffs" / "t12.json"
    assert json.loads(record.read_text())["decision"] == "GO"
    # the next sign-off compares against it
    store.save(build_report("t13", provider="kubeconfig", platform=PLATFORM), Redactor())
    code, out, _ = _run(["signoff", "--report-dir", str(report_dir), "--json"], capsys)
    assert code == 0 and json.loads(out)["baseline"]["cycles"] == ["t12"]


def test_signoff_without_reports_is_no_go(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for where in (tmp_path / "nope", tmp_path):
        code, out, err = _run(["signoff", "--report-dir", str(where), "--json"], capsys)
        assert code == 1 and json.loads(out)["decision"] == "NO-GO"
        assert len(err.splitlines()) == 1 and str(where) in err


def test_missing_dir_and_empty_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("report", "history"):
        code, out, err = _run([command, "--report-dir", str(tmp_path / "nope")], capsys)
        assert (code, out) == (2, "")
        _one_line_error(err, "does not exist", str(tmp_path / "nope"))
        code, out, err = _run([command, "--report-dir", str(tmp_path)], capsys)
        assert (code, out) == (2, "")
        _one_line_error(err, "no cycle reports")


def test_a_corrupt_file_is_skipped_with_one_warning(report_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (report_dir / "t12.json").write_text('{"apiVersion": "sovereign-e2e/v1alpha1", "kind"')
    for command in ("report", "history", "signoff"):
        code, out, err = _run([command, "--report-dir", str(report_dir)], capsys)
        assert code == (1 if command == "signoff" else 0), command
        assert "t11" in out  # the rest of the record is still read
        (warning,) = err.splitlines()
        assert warning.startswith("warning: skipped ") and str(report_dir / "t12.json") in \
            warning and "not valid JSON" in warning
    # asked for by name, a corrupt report is still an error
    code, out, err = _run(["report", "--report-dir", str(report_dir), "--cycle", "t12"], capsys)
    assert (code, out) == (2, "")
    _one_line_error(err, str(report_dir / "t12.json"), "not valid JSON")


def test_unknown_or_bad_cycle(report_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["report", "--report-dir", str(report_dir), "--cycle", "t99"], capsys)
    assert code == 2
    _one_line_error(err, "no report for cycle t99", "t11")
    code, _, err = _run(["report", "--report-dir", str(report_dir), "--cycle", "../t9"], capsys)
    assert code == 2
    _one_line_error(err, "not a cycle id")


def test_output_into_missing_dir_writes_nothing(report_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "r.md"
    code, out, err = _run(["report", "--report-dir", str(report_dir), "--output", str(target)],
                          capsys)
    assert (code, out) == (2, "")
    _one_line_error(err, "does not exist")
    assert not target.parent.exists()


def test_output_keeps_old_file_when_input_is_bad(report_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "r.md"
    target.write_text("previous")
    code, _, _ = _run(["report", "--report-dir", str(report_dir), "--cycle", "t99",
                       "--output", str(target)], capsys)
    assert code == 2 and target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md", "reports"]


@pytest.mark.parametrize("argv", [
    ["report", "--format", "pdf"],
    ["signoff", "--require-passes", "0"],
    ["signoff", "--require-passes", "two"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_console_entry_point_as_subprocess(report_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "e2e.cli", "signoff", "--report-dir",
                           str(report_dir)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout.startswith("# NO-GO")
    done = subprocess.run([sys.executable, "-m", "e2e.cli", "history", "--report-dir",
                           str(report_dir / "gone")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("sovereign-e2e: error: report dir ")
