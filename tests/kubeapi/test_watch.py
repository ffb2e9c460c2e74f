"""Watches through kubernetes.watch.Watch: resume points, event types, timeouts, 410, bookmarks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch

from stubs.emulator.kubeapi.server import LIVENESS_CHECK
from stubs.emulator.runtime import EmulatorThread

from .conftest import start_emulator


def test_watch_from_resource_version_sees_only_later_events(core: client.CoreV1Api,
                                                            ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "before"}})
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "w"}})
    core.patch_namespaced_config_map("w", ns, {"data": {"a": "1"}})
    core.delete_namespaced_config_map("w", ns)
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=1)]
    assert events == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_without_resource_version_starts_with_current_objects(
        core: client.CoreV1Api, ns: str) -> None:
    for name in ("a", "b"):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name}})
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, timeout_seconds=1)]
    assert events == [("ADDED", "a"), ("ADDED", "b")]


def test_watch_delivers_live_events_with_selectors(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    seen: list[tuple[str, str]] = []
    w = watch.Watch()

    def consume() -> None:
        for e in w.stream(core.list_namespaced_config_map, ns, resource_version=rv,
                          label_selector="app=web", timeout_seconds=5):
            seen.append((e["type"], e["object"].metadata.name))
            if e["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.2)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "other"}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "w", "labels": {"app": "web"}}})
    core.patch_namespaced_config_map("w", ns, {"data": {"x": "1"}})
    core.delete_namespaced_config_map("w", ns)
    t.join(5)
    assert not t.is_alive()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_timeout_seconds_is_honoured(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    start = time.monotonic()
    events = list(watch.Watch().stream(core.list_namespaced_config_map, ns,
                                       resource_version=rv, timeout_seconds=1))
    elapsed = time.monotonic() - start
    assert events == []
    assert 0.9 <= elapsed < 3


def test_all_namespaces_and_cluster_scoped_watch(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespace().metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "anywhere"}})
    cms = [e["object"].metadata.name for e in watch.Watch().stream(
        core.list_config_map_for_all_namespaces, resource_version=rv, timeout_seconds=1)]
    assert cms == ["anywhere"]
    core.patch_namespace(ns, {"metadata": {"labels": {"seen": "yes"}}})
    nss = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespace, resource_version=rv, timeout_seconds=1)]
    assert nss == [("MODIFIED", ns)]


def test_bookmarks_when_asked(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    w = watch.Watch()
    raw = list(w.stream(core.list_namespaced_config_map, ns, resource_version=rv,
                        allow_watch_bookmarks=True, timeout_seconds=1))
    kinds = {e["type"] for e in raw}
    assert kinds == {"BOOKMARK"}
    assert int(raw[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)
    plain = list(watch.Watch().stream(core.list_namespaced_config_map, ns,
                                      resource_version=rv, timeout_seconds=1))
    assert plain == []


@pytest.fixture
def small_history(tmp_path: Path) -> Iterator[tuple[EmulatorThread, client.CoreV1Api]]:
    thread, kubeconfig = start_emulator(tmp_path)
    thread.emulator.store.event_history = 5  # set before any request: the loop is idle
    yield thread, client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
    thread.stop()


def test_too_old_resource_version_is_410(
        small_history: tuple[EmulatorThread, client.CoreV1Api]) -> None:
    _, core = small_history
    core.create_namespace({"metadata": {"name": "h"}})
    old = core.list_namespaced_config_map("h").metadata.resource_version
    for i in range(10):
        core.create_namespaced_config_map("h", {"metadata": {"name": f"c{i}"}})
    with pytest.raises(client.ApiException) as e:
        list(watch.Watch().stream(core.list_namespaced_config_map, "h", resource_version=old,
                                  timeout_seconds=1))
    assert e.value.status == 410
    assert "too old resource version" in str(e.value.reason)
    # A recent version still resumes.
    recent = core.list_namespaced_config_map("h").metadata.resource_version
    core.delete_namespaced_config_map("c0", "h")
    events = [e["type"] for e in watch.Watch().stream(
        core.list_namespaced_config_map, "h", resource_version=recent, timeout_seconds=1)]
    assert events == ["DELETED"]


def test_abandoned_watch_releases_its_subscription(core: client.CoreV1Api, ns: str,
                                                   emulator: EmulatorThread) -> None:
    store = emulator.emulator.store

    def count() -> int:
        return store.watch_count

    before = emulator.call(count)
    # The server subscribes before it sends the response headers, so this is immediate.
    resp = core.list_namespaced_config_map(ns, watch=True, timeout_seconds=60,
                                           _preload_content=False)
    assert emulator.call(count) == before + 1
    resp.close()  # the client goes away without reading to the end
    time.sleep(LIVENESS_CHECK + 0.5)  # the server notices at its next liveness check
    assert emulator.call(count) == before
