"""Hooks other pytest plugins may implement to change how a target is brought up.

Registered by e2e/plugin.py (`pytest_addhooks`). A hook, not an option: what it returns
is an object, and the plugin that provides it is loaded the usual pytest ways (`-p NAME`,
a conftest.py, an installed `pytest11` entry point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .providers.kind.containers import ContainerRuntime


@pytest.hookspec(firstresult=True)
def pytest_sovereign_container_runtime(config: pytest.Config) -> ContainerRuntime | None:
    """The container runtime the kind target starts Gitea and the stub NewAPI with.

    None from every plugin (the default): testcontainers on the local Docker engine. A
    plugin may return any object with the methods of
    `e2e.providers.kind.containers.ContainerRuntime` (problem, network_subnet, labels_of,
    start, remove), e.g. another engine; this repository's tests return one made of
    processes (tests/kind/fake_runtime_plugin.py).
    """
