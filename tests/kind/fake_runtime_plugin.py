"""A pytest plugin (`-p tests.kind.fake_runtime_plugin`) that gives the kind target the
process-backed container runtime (tests/kind/process_runtime.py) through the
`pytest_sovereign_container_runtime` hook, so `pytest -k journey --sovereign kind` runs the
provider's real code path on a machine without Docker. The fake kind/helm/git/kubectl are
put on PATH by the caller (tests/kind/conftest.py, FakeWorld.env)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .process_runtime import ProcessRuntime


def pytest_sovereign_container_runtime(config: pytest.Config) -> ProcessRuntime:
    return ProcessRuntime(Path(os.environ["FAKE_CONTAINERS_DIR"]))
