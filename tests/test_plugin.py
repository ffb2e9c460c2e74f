"""The pytest plugin as users meet it: options, help, ids, and bad input."""

from __future__ import annotations

import pytest

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
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*--sovereign kind needs Docker: no Docker engine answers*"
                                 "install and start Docker*"])
    assert not (pytester.path / "r").exists()  # nothing created, no report half-written
    assert not (pytester.path / ".pytest-kind").exists()


def test_broken_kubeconfig_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    bad = pytester.path / "kc.yaml"
    bad.write_text("this: is: not: yaml: [")
    result = pytester.runpytest_subprocess("--sovereign", "kubeconfig", "--kubeconfig",
                                           str(bad), "-k", "cluster",
                                           f"--report-dir={pytester.path / 'r'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*kubeconfig {bad} is not usable*"])


def test_an_existing_cycle_is_never_overwritten(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_journey=JOURNEY)
    reports = pytester.path / "r"
    reports.mkdir()
    (reports / "t7.json").write_text("{}")
    result = pytester.runpytest_subprocess("--cycle", "t7", "-k", "cluster",
                                           f"--report-dir={reports}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*--cycle t7*exists already*"])
    assert (reports / "t7.json").read_text() == "{}"
