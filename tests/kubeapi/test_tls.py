"""HTTPS like a real API server: a per-run CA in the kubeconfig, verified by every client."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

import httpx
import pytest
import yaml

from stubs.emulator.runtime import EmulatorThread

from .kubectl import Kubectl


def _cluster(kubeconfig: Path) -> dict[str, str]:
    return yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]


def test_kubeconfig_carries_the_ca_and_an_https_server(kubeconfig: Path) -> None:
    cluster = _cluster(kubeconfig)
    assert cluster["server"].startswith("https://127.0.0.1:")
    ca = base64.b64decode(cluster["certificate-authority-data"])
    assert ca.startswith(b"-----BEGIN CERTIFICATE-----")


def test_httpx_verifies_the_chain_and_refuses_without_the_ca(
        kubeconfig: Path, emulator: EmulatorThread) -> None:
    cluster = _cluster(kubeconfig)
    ctx = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    headers = {"Authorization": f"Bearer {emulator.emulator.token}"}
    with httpx.Client(verify=ctx) as client:
        assert client.get(cluster["server"] + "/version", headers=headers).status_code == 200
    with httpx.Client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE"):
        client.get(cluster["server"] + "/version", headers=headers)


def test_plain_http_is_not_served(kubeconfig: Path) -> None:
    url = _cluster(kubeconfig)["server"].replace("https://", "http://")
    with httpx.Client() as client, pytest.raises(httpx.HTTPError):
        client.get(url + "/version", timeout=5)


def test_kubectl_sends_the_token_over_https(kubectl: Kubectl) -> None:
    # README's line: kubectl --kubeconfig <kubeconfig> get helmreleases -A
    proc = kubectl.run("get", "helmreleases", "-A")
    assert "You must be logged in" not in proc.stderr
    assert proc.stdout.startswith("NAMESPACE") or "No resources found" in proc.stderr
