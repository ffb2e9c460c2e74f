"""The pytest plugin as users meet it: options, help, ids, and bad input."""

from __future__ import annotations

import json

import pytest

UNREACHABLE_KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-secret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""
JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""


def test_help_lists_the_option_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*Sovereign end-to-end journey*", "*--sovereign*",
                                 "*--gateway-url=URL*", "*--step-timeout=ID=SECONDS*"])


def test_one_item_per_step_with_stable_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    result = pytester.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_journey[[]01-cluster-reachable[]]",
                                 "*test_journey[[]05-bootstrap-kit-converged[]]",
                                 "*test_journey[[]16-sandbox-token-minted[]]",
                                 "16 tests collected*"])


def test_k_selects_a_step(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-k", "journey and routes")
    result.stdout.fnmatch_lines(["*test_journey[[]15-routes-accepted[]]", "1/16 tests*"])


def test_bad_option_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--step-timeout", "99=5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown step '99'*"])


def test_unknown_provider_is_rejected(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--sovereign", "minikube")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_kind_without_docker_names_the_prerequisite(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pytester.path / 'no-docker.sock'}")
    pytester.makepyfile(test_journey=JOURNEY)
    result = pytester.runpytest_subprocess("--sovereign", "kind", "-k", "cluster",
                                           f"--report-dir={pytester.path / 'r'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--sovereign kind needs Docker: no Docker engine answers*"
                                 "install and start Docker*"])
    # Nothing created (no cluster dir, no work dir); the ERROR cycle report says why.
    assert not (pytester.path / ".pytest-kind").exists()
    assert not (pytester.path / ".sovereign-e2e").exists()
    report = next((pytester.path / "r").glob("t*.json")).read_text()
    assert "needs Docker" in report


def test_broken_kubeconfig_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    bad = pytester.path / "kc.yaml"
    bad.write_text("this: is: not: yaml: [")
    result = pytester.runpytest_subprocess("--sovereign", "kubeconfig", "--kubeconfig",
                                           str(bad), "-k", "cluster",
                                           f"--report-dir={pytester.path / 'r'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors  # one line, not one per step, no chained traceback
    assert f"kubeconfig {bad} is not usable" in errors[0] and "check the file" in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert len(result.outlines) < 12, result.outlines  # the header and the summary line

    # The night still reaches the record: an ERROR report with the action and evidence.
    report = json.loads((pytester.path / "r" / "t1.json").read_text())
    assert report["verdict"] == "ERROR"
    assert report["setup_error"]["action"] == "attach to the cluster"
    assert report["setup_error"]["evidence"]["kubeconfig"] == str(bad)
    assert report["setup_error"]["evidence"]["cause"].startswith("ScannerError")
    assert {s["status"] for s in report["steps"]} == {"NOT-RUN"}
    assert "(cycle t1 ERROR" in errors[0]


def test_unreachable_cluster_is_one_line_with_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    kubeconfig = pytester.path / "kc.yaml"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    result = pytester.runpytest_subprocess("--sovereign", "kubeconfig", "--kubeconfig",
                                           str(kubeconfig), "-k", "journey",
                                           f"--report-dir={pytester.path / 'r'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and "unreachable" in errors[0] and "kubectl" in errors[0], errors
    report = json.loads((pytester.path / "r" / "t1.json").read_text())
    assert report["verdict"] == "ERROR" and report["setup_error"]["hint"]


def test_collect_only_brings_nothing_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    kubeconfig = pytester.path / "kc.yaml"
    kubeconfig.write_text(UNREACHABLE_KUBECONFIG)
    result = pytester.runpytest_subprocess("--sovereign", "kubeconfig", "--kubeconfig",
                                           str(kubeconfig), "--collect-only", "-q",
                                           f"--report-dir={pytester.path / 'r'}")
    assert result.ret == pytest.ExitCode.OK
    assert not (pytester.path / "r").exists()


def test_an_existing_cycle_is_never_overwritten(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    reports = pytester.path / "r"
    reports.mkdir()
    (reports / "t7.json").write_text("{}")
    result = pytester.runpytest_subprocess("--cycle", "t7", "-k", "cluster",
                                           f"--report-dir={reports}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot claim the cycle id: --cycle t7*exists already*"
                                 "(cycle t8 ERROR*"])
    assert (reports / "t7.json").read_text() == "{}"
    assert json.loads((reports / "t8.json").read_text())["verdict"] == "ERROR"


def test_a_path_option_value_cannot_become_the_rootdir(
        pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory) -> None:
    # pytest picks its rootdir before plugins load, so `--report-dir DIR` (separate words)
    # looks like a test path to it; a DIR outside the project hides the project's settings.
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["journey"]\n')
    (pytester.path / "journey").mkdir()
    (pytester.path / "journey" / "test_journey.py").write_text(JOURNEY)
    pytester.makepyfile(test_not_in_testpaths="def test_x():\n    pass\n")
    outside = tmp_path_factory.mktemp("reports-elsewhere")

    result = pytester.runpytest_subprocess("--collect-only", "-q", "--report-dir", str(outside))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == [f"ERROR: sovereign-e2e: pytest took {outside} (the value of --report-dir) "
                      "for a test path and chose it as its rootdir, so this project's pytest "
                      f"settings were not read: write --report-dir={outside}"]
    assert list(outside.iterdir()) == []  # nothing written

    fixed = pytester.runpytest_subprocess("--collect-only", "-q", f"--report-dir={outside}")
    assert fixed.ret == pytest.ExitCode.OK
    assert "16 tests collected" in fixed.stdout.str()
    assert "test_not_in_testpaths" not in fixed.stdout.str()
    # A value inside the project leaves the rootdir alone: no complaint.
    inside = pytester.mkdir("reports")
    same = pytester.runpytest_subprocess("--collect-only", "-q", "--report-dir", str(inside))
    assert same.ret == pytest.ExitCode.OK, same.stderr.str()
