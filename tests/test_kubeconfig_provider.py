"""The kubeconfig provider against a separately started Sovereign: the same 16/16.

`sovereign-e2e emulator up` runs in its own process, as a real cluster would; the journey
attaches to it with `--sovereign kubeconfig`, knowing only the kubeconfig and the gateway
address. The FQDN is not passed: the provider reads it from the Gateway's `*.<fqdn>`
listener, so the emulator is started with a non-default one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from e2e.providers.kubeconfig import _fqdn_from_gateway

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60.0
FQDN = "t23.sovereign.example"
JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""


@contextmanager
def emulator_process(kubeconfig: Path, *extra: str) -> Iterator[
        tuple[subprocess.Popen[str], dict[str, str]]]:
    """`sovereign-e2e emulator up` in a child process; yields it and its JSON line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "e2e.cli", "emulator", "up", "--kubeconfig", str(kubeconfig),
         *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], READY_TIMEOUT)
        if not ready:
            pytest.fail(f"emulator printed nothing within {READY_TIMEOUT}s")
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"emulator exited: {proc.communicate(timeout=10)[1]}")
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_sixteen_steps_pass_against_a_separately_started_emulator(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    with emulator_process(kubeconfig, "--fqdn", FQDN) as (proc, info):
        assert info["fqdn"] == FQDN
        pytester.makepyfile(test_journey=JOURNEY)
        reports = tmp_path / "r"
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--sovereign", "kubeconfig",
            "--kubeconfig", info["kubeconfig"], "--gateway-url", info["gateway"],
            "--report-dir", str(reports), timeout=180)
        result.assert_outcomes(passed=16)
        result.stdout.fnmatch_lines(["*cycle t1 PASS: 16/16 steps passed*"])

        report = json.loads((reports / "t1.json").read_text())
        assert report["verdict"] == "PASS"
        assert report["target"]["provider"] == "kubeconfig"
        assert report["target"]["fqdn"] == FQDN  # from the Gateway's listener, no --fqdn
        assert report["target"]["details"]["gateway_from"] == "--gateway-url"
        assert [s["status"] for s in report["steps"]] == ["PASS"] * 16

        # The harness only attached: the Sovereign outlives the run and stops cleanly.
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err


@pytest.mark.parametrize(("listeners", "fqdn"), [
    ([{"name": "http", "hostname": "*.t7.example"}], "t7.example"),
    ([{"name": "plain"}, {"name": "https", "hostname": "*.t8.example"}], "t8.example"),
    ([{"name": "exact", "hostname": "gitea.t9.example"}], None),
    ([], None),
])
def test_fqdn_comes_from_the_first_wildcard_listener(listeners: list[dict[str, str]],
                                                       fqdn: str | None) -> None:
    assert _fqdn_from_gateway({"spec": {"listeners": listeners}}) == fqdn
    assert _fqdn_from_gateway(None) is None
