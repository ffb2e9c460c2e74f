"""dryRun=All on create, update, patch and delete: answered and validated, never persisted."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from stubs.emulator.runtime import EmulatorThread

from .kubectl import Kubectl


def _no_events_then_real_one(emulator: EmulatorThread, ns: str, core: client.CoreV1Api,
                             dry_writes: list[object]) -> None:
    """Watchers see nothing of dry-run writes: the first event is the real write after them."""
    store = emulator.emulator.store
    rt = store.registry.get("", "v1", "configmaps")
    sub = emulator.call(lambda: store.watch(rt, ns, str(store.resource_version)))
    try:
        for write in dry_writes:
            assert callable(write)
            write()
        core.create_namespaced_config_map(ns, {"metadata": {"name": "marker"}})
        first = emulator.call(sub.queue.get_nowait)
        assert (first.type, first.obj["metadata"]["name"]) == ("ADDED", "marker")
    finally:
        emulator.call(sub.close)


def test_dry_run_writes_answer_but_never_persist(core: client.CoreV1Api, ns: str,
                                                 emulator: EmulatorThread) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "kept"}, "data": {"a": "1"}})
    rv = core.read_namespaced_config_map("kept", ns).metadata.resource_version

    def create() -> None:
        made = core.create_namespaced_config_map(
            ns, {"metadata": {"name": "ghost"}, "data": {"x": "1"}}, dry_run="All")
        assert made.metadata.uid and made.metadata.creation_timestamp
        assert not made.metadata.resource_version

    def update() -> None:
        out = core.replace_namespaced_config_map(
            "kept", ns, {"metadata": {"name": "kept"}, "data": {"a": "2"}}, dry_run="All")
        assert out.data == {"a": "2"} and out.metadata.resource_version == rv

    def patch() -> None:
        out = core.patch_namespaced_config_map("kept", ns, {"data": {"b": "3"}}, dry_run="All")
        assert out.data == {"a": "1", "b": "3"}

    def delete() -> None:
        core.delete_namespaced_config_map("kept", ns, dry_run="All")

    _no_events_then_real_one(emulator, ns, core, [create, update, patch, delete])
    kept = core.read_namespaced_config_map("kept", ns)
    assert (kept.data, kept.metadata.resource_version) == ({"a": "1"}, rv)
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("ghost", ns)
    assert e.value.status == 404


def test_dry_run_still_validates(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}}, dry_run="All")
    assert e.value.status == 409
    with pytest.raises(client.ApiException) as e:
        core.delete_namespaced_config_map("absent", ns, dry_run="All")
    assert e.value.status == 404


def test_unknown_dry_run_value_is_invalid(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "x"}}, dry_run="Some")
    assert e.value.status == 422
    body = json.loads(e.value.body)
    assert body["message"] == ('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported '
                               'value: ["Some"]: supported values: "All"')


def test_kubectl_server_dry_run(kubectl: Kubectl, core: client.CoreV1Api, ns: str) -> None:
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "dry", "namespace": ns}, "data": {"k": "v"}})
    out = kubectl.out("create", "-f", "-", "--dry-run=server", "-o", "json",
                      stdin=manifest)
    assert json.loads(out)["data"] == {"k": "v"}
    assert kubectl.run("get", "configmap", "dry", "-n", ns, check=False).returncode != 0
    core.create_namespaced_config_map(ns, {"metadata": {"name": "real"}})
    proc = kubectl.run("delete", "configmap", "real", "-n", ns, "--dry-run=server")
    assert "(server dry run)" in proc.stdout
    assert core.read_namespaced_config_map("real", ns).metadata.name == "real"
