"""Each platform stand-in runs alone too: `python -m stubs.emulator.apps NAME`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("name", "path", "env"), [
    ("sme-gateway", "/api/catalog/plans", {"JWT_SECRET": "standalone-test-secret"}),
    ("gitea", "/api/v1/version", {"GITEA_ADMIN_USERNAME": "gitea_admin",
                                  "GITEA_ADMIN_PASSWORD": "standalone-password-1"}),
])
def test_app_serves_alone(name: str, path: str, env: dict[str, str]) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "stubs.emulator.apps", name,
                             "--port", str(port)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:  # the process is starting: retry connecting until it listens
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    errors = proc.stderr.read() if proc.stderr else ""
                    pytest.fail(f"{name} did not start: {errors}")
                time.sleep(0.1)
        assert resp.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
