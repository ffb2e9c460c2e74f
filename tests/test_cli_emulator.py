"""`sovereign-e2e emulator up`: one JSON line, a working 0600 kubeconfig, clean exit on signals."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from kubernetes import client, config

REPO = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60.0


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        pytest.fail(f"emulator printed nothing within {timeout}s")
    return proc.stdout.readline()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_emulator_up_serves_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    kubeconfig = tmp_path / "out" / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "e2e.cli", "emulator", "up", "--kubeconfig", str(kubeconfig)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = _read_line(proc, READY_TIMEOUT)
        info = json.loads(line)
        assert set(info) == {"kubeconfig", "gateway", "fqdn"}
        assert info["fqdn"] == "sovereign.test"
        assert Path(info["kubeconfig"]).resolve() == kubeconfig.resolve()
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600

        api = config.new_client_from_config(str(kubeconfig))
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "cli-check"}})
        assert "cli-check" in {n.metadata.name for n in core.list_namespace().items}
        crds = client.ApiextensionsV1Api(api).list_custom_resource_definition().items
        assert "gateways.gateway.networking.k8s.io" in {c.metadata.name for c in crds}

        server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        port = urlparse(server).port
        assert port is not None and _listening(port)

        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert out == ""  # exactly one JSON line in all
        assert not _listening(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _up_with(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    kubeconfig = tmp_path / "kc.yaml"
    return subprocess.run(
        [sys.executable, "-m", "e2e.cli", "emulator", "up", "--kubeconfig", str(kubeconfig),
         *extra], capture_output=True, text=True, timeout=READY_TIMEOUT, cwd=REPO)


def test_overlay_without_kustomization_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = _up_with(tmp_path, "--overlay", str(tmp_path / "empty"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no kustomization.yaml" in lines[0], done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "kc.yaml").exists()  # nothing half-written


def test_overlay_patching_a_missing_object_names_file_and_object(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        "patches:\n"
        "  - target: {kind: HelmRelease, name: bp-nothing, namespace: flux-system}\n"
        "    patch: |\n"
        "      spec: {values: {a: 1}}\n")
    done = _up_with(tmp_path, "--overlay", str(overlay))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "kustomization.yaml" in lines[0] and "bp-nothing" in lines[0]
    assert not (tmp_path / "kc.yaml").exists()


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    done = _up_with(tmp_path, "--frobnicate")
    assert done.returncode == 2
    assert "unrecognized arguments: --frobnicate" in done.stderr
