"""A container runtime made of processes, behind the interface testcontainers implements
for the kind target (e2e/providers/kind/containers.py), for machines without Docker.

The `kind` network is a loopback /16 (127.N.0.0/16): each "container" is the image's
stand-in process listening on its own address there, port as in the spec, so the
EndpointSlice the provider writes holds an address that really answers. Images map to the
emulator's stand-ins (`python -m stubs.emulator.apps gitea|newapi`). `gitea admin user
create --random-password` is answered the way the image's CLI does it: the admin exists
afterwards and the password is printed once.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from e2e.providers.kind.containers import ExecResult
from e2e.providers.kind.plan import ContainerSpec

REPO = Path(__file__).resolve().parents[2]
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
APPS = {"gitea/gitea": "gitea", "sovereign-e2e/newapi-stub": "newapi"}


class ProcessContainer:
    def __init__(self, runtime: ProcessRuntime, spec: ContainerSpec, env: dict[str, str],
                 ip: str) -> None:
        self.name = spec.name
        self.spec, self.env, self._ip, self.runtime = spec, dict(env), ip, runtime
        self.proc: subprocess.Popen[bytes] | None = None
        self.launch()

    def launch(self) -> None:
        app = APPS[self.spec.image.split(":")[0]]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stubs.emulator.apps", app, "--host", self._ip,
             "--port", str(self.spec.ports[0])], cwd=REPO,
            # An image's own PATH: the stand-in tools on the runner's PATH are not in it.
            env={**os.environ, "PATH": CONTAINER_PATH, **self.env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self.runtime.registry_put(self.name, {"labels": self.spec.labels,
                                              "pid": self.proc.pid})
        with (self.runtime.state / "started.jsonl").open("a") as log:  # for leak checks
            log.write(json.dumps({"name": self.name, "pid": self.proc.pid,
                                  "address": f"{self._ip}:{self.spec.ports[0]}"}) + "\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url(self.spec.ports[0]) + self.spec.health_path, timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.proc is not None:
            _kill(self.proc.pid)
            self.proc.wait(10)
            self.proc = None

    def ip(self, network: str) -> str:
        assert network == "kind"
        return self._ip

    def url(self, port: int) -> str:
        return f"http://{self._ip}:{port}"

    def exec(self, argv: list[str], user: str | None = None) -> ExecResult:
        if argv[:4] != ["gitea", "admin", "user", "create"] or user != "git":
            return ExecResult(1, f"exec: {argv[0]}: not supported by the stand-in")
        username = argv[argv.index("--username") + 1]
        password = secrets.token_urlsafe(12)
        # The image's CLI writes the user into Gitea's database; the stand-in keeps its
        # database in memory and creates its admin from the environment at start.
        self.stop()
        self.env.update(GITEA_ADMIN_USERNAME=username, GITEA_ADMIN_PASSWORD=password,
                        GITEA_ADMIN_PASSWORD_MODE="initialOnlyNoReset")
        self.launch()
        return ExecResult(0, f"generated random password is '{password}'\n"
                             f"New user '{username}' has been successfully created!\n")


class ProcessRuntime:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.state.mkdir(parents=True, exist_ok=True)
        self.registry = state / "containers.json"
        self.subnet_octet = random.randint(100, 250)
        self.started: dict[str, ProcessContainer] = {}

    def problem(self) -> str | None:
        return None

    def network_subnet(self, network: str) -> str:
        assert network == "kind"
        return f"127.{self.subnet_octet}.0.0/16"

    def registry_get(self) -> dict[str, dict]:  # type: ignore[type-arg]
        return json.loads(self.registry.read_text()) if self.registry.exists() else {}

    def registry_put(self, name: str, entry: dict | None) -> None:  # type: ignore[type-arg]
        reg = self.registry_get()
        if entry is None:
            reg.pop(name, None)
        else:
            reg[name] = entry
        self.registry.write_text(json.dumps(reg))

    def labels_of(self, name: str) -> dict[str, str] | None:
        entry = self.registry_get().get(name)
        return None if entry is None else dict(entry["labels"])

    def start(self, spec: ContainerSpec, env: dict[str, str]) -> ProcessContainer:
        ip = f"127.{self.subnet_octet}.0.{len(self.registry_get()) + 2}"
        c = ProcessContainer(self, spec, env, ip)
        self.started[spec.name] = c
        return c

    def remove(self, name: str) -> None:
        c = self.started.pop(name, None)
        if c is not None:
            c.stop()
        else:
            entry = self.registry_get().get(name)
            if entry:
                _kill(entry["pid"])
        self.registry_put(name, None)


def _kill(pid: int) -> None:
    if pid <= 0:  # no process of its own (killpg(0) would signal our own group)
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
