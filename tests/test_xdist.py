"""pytest-xdist: `-n 2` runs two journeys at once, each on its own emulated Sovereign.

The journey session is a session fixture, so each worker that runs journey items brings up
its own emulated Sovereign (its own loopback ports) and claims its own cycle id under the
report store's lock. What must hold a journey together is that its 16 steps stay on one
worker: `--dist loadfile` does it (one journey module, one worker); the plugin also marks
every step `xdist_group("sovereign-journey:<module>")` for `--dist loadgroup`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""
OTHER = """
import pytest
@pytest.mark.parametrize("n", range(4))
def test_trivial(n):
    assert n >= 0
"""
# A stand-in for the real step fixture: the plugin still parametrizes and marks the items,
# but nothing is brought up, so only the scheduling is under test.
FAKE_STEPS = """
import pytest
@pytest.fixture
def journey_step(request):
    return request.param
def test_journey(journey_step):
    assert journey_step
"""
# A plugin for the count check: workers report each item they are handed as passed without
# running it (no fixture, no Sovereign), the controller writes the node ids it got back.
DISPATCH_ONLY = """
import json, os
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if not hasattr(item.config, "workerinput"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    report = pytest.TestReport(item.nodeid, item.location, {}, "passed", None, "call")
    item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True

RAN = []

def pytest_runtest_logreport(report):
    RAN.append(report.nodeid)

def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):
        with open(os.environ["DISPATCHED_IDS"], "w") as f:
            json.dump(RAN, f)
"""
REPO = Path(__file__).resolve().parents[1]
WORKER_LINE = re.compile(r"^\[(gw\d+)\] .*?(PASSED|FAILED|SKIPPED|ERROR) (\S+?)::(\S+)")

def workers_by_module(lines: list[str]) -> dict[str, set[str]]:
    """Which workers ran the tests of each module, from `-v` lines `[gw0] ... PASSED m::t`."""
    seen: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        m = WORKER_LINE.match(line)
        if m:
            seen[m.group(3)].add(m.group(1))
    return seen


def test_two_cycles_on_two_workers_each_with_its_own_sovereign(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_journey_a=JOURNEY, test_journey_b=JOURNEY, test_other=OTHER)
    reports = tmp_path / "r"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile", "-v",
        "--report-dir", str(reports), timeout=240)
    result.assert_outcomes(passed=36)
    output = "\n".join(result.outlines + result.errlines)
    assert "address already in use" not in output.lower()
    assert "hands the journey's steps" not in output  # loadfile keeps each journey whole

    workers = workers_by_module(result.outlines)
    assert len(workers["test_journey_a.py"]) == 1, workers  # a journey stays on one worker
    assert len(workers["test_journey_b.py"]) == 1, workers
    assert workers["test_journey_a.py"] != workers["test_journey_b.py"], workers

    cycles = {p.stem: json.loads(p.read_text()) for p in sorted(reports.glob("t*.json"))}
    assert sorted(cycles) == ["t1", "t2"]  # one cycle per worker, ids unique
    assert [c["verdict"] for c in cycles.values()] == ["PASS", "PASS"]
    servers = {c["target"]["api_server"] for c in cycles.values()}
    assert len(servers) == 2, servers  # two Sovereigns, no shared port


# loadgroup: pytest-xdist 3.8 ignores xdist_group marks on pytest 9.2 (pytest-dev/pytest-xdist
# #1386); the plugin's scheduler keeps the steps together anyway.
@pytest.mark.parametrize("dist", ["load", "worksteal", "loadgroup"])
def test_modes_that_hand_out_single_tests_keep_each_journey_on_one_worker(
        pytester: pytest.Pytester, dist: str) -> None:
    pytester.makepyfile(test_steps_a=FAKE_STEPS, test_steps_b=FAKE_STEPS, test_other=OTHER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist",
                                           dist, "-v", timeout=120)
    result.assert_outcomes(passed=36)
    workers = workers_by_module(result.outlines)
    assert len(workers["test_steps_a.py"]) == 1, workers
    assert len(workers["test_steps_b.py"]) == 1, workers
    output = result.stdout.str()
    assert f"--dist {dist}: each journey module's steps go to one worker" in output
    assert "ran on several workers" not in output


def test_each_step_module_is_its_own_xdist_group(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_steps_a=FAKE_STEPS, test_steps_b=FAKE_STEPS)
    pytester.makeconftest("""
import pytest
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        print("GROUP", item.nodeid.split("::")[0],
              [m.args[0] for m in item.iter_markers("xdist_group")])
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q",
                                           "-s")
    groups = {line for line in result.outlines if line.startswith("GROUP")}
    assert groups == {"GROUP test_steps_a.py ['sovereign-journey:test_steps_a.py']",
                      "GROUP test_steps_b.py ['sovereign-journey:test_steps_b.py']"}


def test_a_journey_that_ran_on_several_workers_is_named_once_with_the_fix(
        pytester: pytest.Pytester) -> None:
    """Another plugin's scheduler wins over ours (first answer): the split is told once."""
    pytester.makepyfile(test_steps_a=FAKE_STEPS, test_other=OTHER)
    pytester.makeconftest("""
import pytest
from xdist.scheduler import LoadScheduling
@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    return LoadScheduling(config, log)
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=120)
    result.assert_outcomes(passed=20)
    output = result.stdout.str()
    assert output.count("sovereign-e2e: warning: the journey's steps ran on several "
                        "workers (test_steps_a.py on gw0, gw1)") == 1, output
    assert "--dist loadfile" in output


def test_xdist_runs_every_test_serial_collection_has(tmp_path: Path) -> None:
    """README's test command under `-n 2 --dist loadfile` hands out every item a serial run
    collects, once: not one lost (schemathesis items once shared a node id, and loadfile
    keeps one item per node id), none twice. Both runs in parallel, nothing is executed."""
    (tmp_path / "dispatch_only.py").write_text(DISPATCH_ONLY)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")]),
               DISPATCHED_IDS=str(tmp_path / "dispatched.json"))
    common = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", "scenarios",
              "--report-dir", str(tmp_path / "reports")]
    serial = subprocess.Popen([*common, "--collect-only", "-q"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dist = subprocess.Popen([*common, "-q", "-n", "2", "--dist", "loadfile",
                             "-p", "dispatch_only"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    serial_out, _ = serial.communicate(timeout=300)
    dist_out, _ = dist.communicate(timeout=300)
    assert serial.returncode == 0, serial_out[-3000:]
    assert dist.returncode == 0, dist_out[-3000:]

    collected = [line for line in serial_out.splitlines() if "::" in line]
    assert len(collected) > 500, serial_out[-3000:]  # the whole suite, not a stray subset
    duplicated = sorted(n for n in set(collected) if collected.count(n) > 1)
    assert not duplicated, f"node ids shared by several items: {duplicated[:5]}"
    dispatched = json.loads((tmp_path / "dispatched.json").read_text())
    assert sorted(dispatched) == sorted(collected), (
        f"serial {len(collected)}, -n 2 --dist loadfile {len(dispatched)}; lost: "
        f"{sorted(set(collected) - set(dispatched))[:5]}")


def test_journey_module_is_read_from_a_step_node_id() -> None:
    from e2e.xdist_scheduling import journey_module

    assert journey_module("scenarios/test_journey.py::test_journey[05-bootstrap-kit-"
                          "converged]") == "scenarios/test_journey.py"
    # pytest < 9.2 under --dist loadgroup appends the group
    assert journey_module("m.py::test_journey[01-cluster-reachable]@sovereign-journey:m.py") \
        == "m.py"
    assert journey_module("tests/test_x.py::test_y[01]") is None
    assert journey_module("tests/test_x.py::test_y") is None


def test_a_setup_failure_on_a_worker_is_one_error_one_report_and_exit_4(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_journey=JOURNEY, test_other=OTHER)
    broken = tmp_path / "broken.yaml"
    broken.write_text("not: [valid\n")
    reports = tmp_path / "r"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--sovereign", "kubeconfig",
        f"--kubeconfig={broken}", f"--report-dir={reports}", timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert result.parseoutcomes().get("errors") == 1  # not one per step
    output = result.stdout.str()
    assert "Traceback" not in output
    assert f"sovereign-e2e: cannot attach to the cluster: kubeconfig {broken} is not " \
        "usable" in output and "check the file, or pass --kubeconfig/--context" in output
    cycles = [json.loads(p.read_text()) for p in reports.glob("t*.json")]
    assert [c["verdict"] for c in cycles] == ["ERROR"]  # exactly one ERROR cycle report
