"""tests/kubeapi's fixtures, pointed at the oracle instead of the emulated API."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import config
from kubernetes.client import ApiClient

from tests.kubeapi.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    apps,
    core,
    custom,
    ext,
    kubectl,
    new_namespace,
    ns,
    raw,
)


@pytest.fixture(scope="session")
def kubeconfig(oracle_kubeconfig: Path, crds_installed: dict[str, list[str]]) -> Path:
    return oracle_kubeconfig


@pytest.fixture(scope="session")
def api_client(kubeconfig: Path) -> ApiClient:
    return config.new_client_from_config(str(kubeconfig))


@pytest.fixture
def emulator() -> None:
    pytest.skip("reaches into the emulated API's own store; the real server has no such inside")
