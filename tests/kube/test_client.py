"""The harness's thin REST client against the emulated API: paging, errors, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.errors import ConfigError, KubeConflict, KubeNotFound
from e2e.kube import gvr
from e2e.kube.client import KubeClient, load_api_client
from stubs.emulator.runtime import Emulator, EmulatorThread


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeClient]:
    thread = EmulatorThread(Emulator())
    info = thread.start()
    path = info.write_kubeconfig(tmp_path_factory.mktemp("kc") / "kubeconfig")
    client = KubeClient(load_api_client(path, None))
    yield client
    client.close()
    thread.stop()


def test_list_follows_continue_tokens(kube: KubeClient) -> None:
    kube.create(gvr.NAMESPACES, {"metadata": {"name": "paged"}})
    for i in range(7):
        kube.create(gvr.CONFIGMAPS, {"metadata": {"name": f"cm-{i}"}}, "paged")
    items, rv = kube.list(gvr.CONFIGMAPS, "paged", page_size=3)
    assert sorted(i["metadata"]["name"] for i in items) == [f"cm-{i}" for i in range(7)]
    assert rv


def test_errors_are_ours(kube: KubeClient) -> None:
    with pytest.raises(KubeNotFound):
        kube.get(gvr.CONFIGMAPS, "nope", "default-nope")
    kube.create(gvr.NAMESPACES, {"metadata": {"name": "twice"}})
    with pytest.raises(KubeConflict):
        kube.create(gvr.NAMESPACES, {"metadata": {"name": "twice"}})
    assert kube.try_get(gvr.CONFIGMAPS, "nope", "twice") is None


def test_missing_kubeconfig_is_one_line_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_api_client(tmp_path / "absent.yaml", None)
    assert "does not exist" in str(err.value) and "--kubeconfig" in str(err.value)
