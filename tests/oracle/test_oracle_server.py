"""The oracle itself: started on loopback with TLS and a token, ready, and stopped cleanly;
plus what needs no binaries (certificates, the skip reason, the CLI's error line)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from e2e.oracle import OracleServer, OracleUnavailable, find_binaries
from e2e.oracle import pki as oracle_pki
from e2e.oracle.binaries import pinned_versions


def test_serving_certificate_is_signed_by_the_run_ca(tmp_path: Path) -> None:
    made = oracle_pki.generate(tmp_path)
    ca = x509.load_pem_x509_certificate(made.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(made.serving_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]
    assert made.serving_key.stat().st_mode & 0o777 == 0o600
    assert b"PUBLIC KEY" in made.sa_pub.read_bytes()


def test_missing_build_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOVEREIGN_E2E_ORACLE_CACHE", str(tmp_path))
    with pytest.raises(OracleUnavailable) as e:
        find_binaries()
    versions = pinned_versions()
    assert versions["KUBERNETES_VERSION"] in str(e.value)
    assert "build-oracle" in str(e.value) or "Go" in str(e.value)


def test_cli_oracle_up_without_a_build_is_one_line(tmp_path: Path) -> None:
    env = {"SOVEREIGN_E2E_ORACLE_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "e2e.cli", "oracle", "up", "--kubeconfig",
                        str(tmp_path / "kc")], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sovereign-e2e: error: oracle ")
    assert not (tmp_path / "kc").exists()


def test_ready_over_tls_with_the_token_only(oracle: OracleServer) -> None:
    with oracle.http() as http:
        assert http.get("/readyz").status_code == 200
        version = http.get("/version").json()
        assert version["gitVersion"] == oracle.binaries.kubernetes_version
    assert oracle.pki is not None
    anonymous = httpx.get(f"{oracle.url}/api/v1/namespaces", verify=oracle.ssl_context())
    assert anonymous.status_code in (401, 403)
    with pytest.raises(httpx.ConnectError):  # the CA is the run's own, not a public one
        httpx.get(f"{oracle.url}/readyz")


def test_kubeconfig_drives_the_official_client(oracle_kubeconfig: Path) -> None:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(str(oracle_kubeconfig)))
    names = [n.metadata.name for n in api.list_namespace().items]
    assert "default" in names and "kube-system" in names
    assert oracle_kubeconfig.stat().st_mode & 0o777 == 0o600


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_cli_oracle_up_prints_a_line_and_stops_cleanly(oracle: OracleServer,
                                                       tmp_path: Path) -> None:
    """`oracle up` as a user runs it: one JSON line, a working kubeconfig, SIGTERM -> exit 0
    and nothing left listening. (Asks for the `oracle` fixture only to skip alike.)"""
    kc = tmp_path / "oracle.kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "e2e.cli", "oracle", "up", "--kubeconfig",
                             str(kc)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["kubeconfig"] == str(kc)
        assert line["version"] == pinned_versions()["KUBERNETES_VERSION"]
        port = int(line["server"].rsplit(":", 1)[1])
        assert _listening(port)
        proc.terminate()
        assert proc.wait(60) == 0
        assert not _listening(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_port_taken_between_pick_and_bind_is_retried(
        oracle: OracleServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """etcd's client port is taken by someone else: the start goes on, on new ports.
    (Asks for `oracle` only to skip alike.)"""
    from e2e.oracle import server as server_module

    real_free_port = server_module._free_port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        picks = iter([taken])
        monkeypatch.setattr(server_module, "_free_port",
                            lambda: next(picks, None) or real_free_port())
        with OracleServer() as second:
            with second.http() as http:
                assert http.get("/readyz").status_code == 200
            assert second.port != taken
