"""`pytest -k journey --sovereign kind` as a user runs it, in the fake world: the stand-in
kind/helm/git/kubectl on PATH, the process runtime in place of testcontainers (through the
`pytest_sovereign_container_runtime` hook, tests/kind/fake_runtime_plugin.py). `kind create
cluster` gives a bare emulated cluster; Cilium and Flux come from their (stand-in) charts,
Flux fetches the kit from the Gitea container the provider pushed to and applies it, and
the journey goes through the Gateway's LB-IPAM address. It must reach 16/16 PASS, run
exactly the plan's commands, and leave nothing behind."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from e2e.config import Settings
from e2e.providers.kind import KindProvider

from .conftest import REPO, FakeWorld

RUN_TIMEOUT = 240  # seconds; a passing run takes under a minute here
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def _can_listen_on_port_80() -> bool:
    """The Gateway's L2-announced address is served at its listener's port (80)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 80))
        except PermissionError:
            return False
        except OSError:  # taken: binding is allowed, another address will be free
            return True
    return True


def _matches_plan(calls: list[list[str]], plan: list[list[str]]) -> list[str]:
    """Differences between the recorded argv and the plan's; a `${NAME}` placeholder
    matches any text, the same text wherever the same name occurs."""
    problems, bound = [], {}
    if len(calls) != len(plan):
        problems.append(f"{len(calls)} commands ran, the plan has {len(plan)}")
    for n, (got, want) in enumerate(zip(calls, plan, strict=False)):
        if len(got) != len(want):
            problems.append(f"#{n}: {got} != {want}")
            continue
        for g, w in zip(got, want, strict=True):
            pattern = "".join(
                f"(?P<{p}>.+)" if i % 2 else re.escape(p)
                for i, p in enumerate(PLACEHOLDER.split(w)))
            m = re.fullmatch(pattern, g)
            if m is None:
                problems.append(f"#{n}: {g!r} != {w!r}")
                continue
            for name, value in m.groupdict().items():
                if bound.setdefault(name, value) != value:
                    problems.append(f"#{n}: ${{{name}}} is {value!r} here, {bound[name]!r} "
                                    "before")
    return problems


def _answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_journey_on_kind_reaches_16_of_16_and_leaves_nothing(fake_world: FakeWorld) -> None:
    if not _can_listen_on_port_80():
        pytest.skip("the Gateway's load-balancer address is served at port 80: needs root "
                    "or net.ipv4.ip_unprivileged_port_start <= 80")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "-p", "tests.kind.fake_runtime_plugin", "-q", "-k", "journey",
         "--sovereign", "kind", "--cycle", "t1", str(REPO / "scenarios")],
        cwd=fake_world.root, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "cycle t1 PASS: 16/16 steps passed" in out

    report = json.loads((fake_world.root / "reports" / "t1.json").read_text())
    assert report["verdict"] == "PASS"
    plan = KindProvider(Settings(sovereign="kind", cycle="t1", report_dir=Path("reports")),
                        runtime=fake_world.runtime).plan()
    setup = report["target"]["setup"]
    assert [a["name"] for a in setup] == [a.name for a in plan.actions]
    assert all(a["status"] == "PASS" for a in setup), setup
    # The kit came from the Gitea container through Flux: the bootstrap GitRepository's
    # artifact is a commit of the pushed repository.
    assert re.fullmatch(r"main@sha1:[0-9a-f]{40}", report["platform"]["ref"]), \
        report["platform"]
    # Every kind/helm/git/kubectl command is the plan's, in order (the run's own, then
    # the teardown's `kind delete cluster`).
    calls = fake_world.calls()
    assert calls[-1][:3] == ["kind", "delete", "cluster"]
    assert _matches_plan(calls[:-1], plan.subprocess_argv()) == []

    # Teardown left nothing: no cluster, no container, no process, nothing listening.
    assert fake_world.clusters() == []
    assert fake_world.runtime.registry_get() == {}
    assert not (fake_world.root / ".sovereign-e2e" / "kind" / "sovereign-t1").exists()
    emulators = [json.loads(line) for line in
                 (fake_world.state / "emulators.jsonl").read_text().splitlines()]
    containers = [json.loads(line) for line in
                  (fake_world.runtime.state / "started.jsonl").read_text().splitlines()]
    assert len(emulators) == 1 and {c["name"] for c in containers} == {
        "sovereign-t1-gitea", "sovereign-t1-newapi"}
    gateway = next(a for a in setup if a["name"] == "gateway-address")["detail"].split()[-1]
    addresses = [c["address"] for c in containers] + [f"{gateway}:80"] + [
        urlparse(u).netloc for e in emulators for u in (e["api"], e["gateway"]) if u]
    assert [p["pid"] for p in emulators + containers if _alive(p["pid"])] == []
    assert [a for a in addresses if _answers(a)] == []
