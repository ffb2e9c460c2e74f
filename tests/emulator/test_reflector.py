"""emberstack reflector: auto copies only into namespaces that exist, and later ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stubs.emulator.controllers.reflector import REFLECTS, Reflector, pattern_match
from tests.emulator.cluster_harness import Cluster, cluster

P = "reflector.v1.k8s.emberstack.com"


@pytest.fixture
def c() -> Iterator[Cluster]:
    with cluster([Reflector()]) as cl:
        cl.namespace("newapi")
        cl.namespace("catalyst-system")
        yield cl


def source(auto_namespaces: str = "catalyst-system,sandbox") -> dict[str, Any]:
    return {"metadata": {"name": "newapi-bp-newapi-token-signing-key", "namespace": "newapi",
                         "annotations": {f"{P}/reflection-allowed": "true",
                                         f"{P}/reflection-allowed-namespaces": auto_namespaces,
                                         f"{P}/reflection-auto-enabled": "true",
                                         f"{P}/reflection-auto-namespaces": auto_namespaces}},
            "stringData": {"ADMIN_SECRET": "a", "SIGNING_KEY": "b"}}


def test_copies_only_into_existing_namespaces_then_new_ones(c: Cluster) -> None:
    name = "newapi-bp-newapi-token-signing-key"
    c.create("Secret", source())
    copy = c.wait("Secret", "catalyst-system", lambda o: True, name=name)
    assert copy["metadata"]["annotations"][REFLECTS] == f"newapi/{name}"
    assert copy["metadata"]["annotations"][f"{P}/auto-reflects"] == "True"
    assert copy["data"] == c.get("Secret", "newapi", name)["data"]  # type: ignore[index]
    assert "sandbox" not in c.call(c.store.namespaces)
    c.namespace("sandbox")
    c.wait("Secret", "sandbox", lambda o: True, name=name)
    c.namespace("elsewhere")
    assert c.get("Secret", "elsewhere", name) is None


def test_updates_propagate_and_delete_removes_copies(c: Cluster) -> None:
    name = "newapi-bp-newapi-token-signing-key"
    c.create("Secret", source())
    c.wait("Secret", "catalyst-system", lambda o: True, name=name)

    def rotate(obj: dict[str, Any]) -> dict[str, Any]:
        obj["data"]["ADMIN_SECRET"] = "cm90YXRlZA=="
        return obj

    c.update("Secret", "newapi", name, rotate)
    c.wait("Secret", "catalyst-system",
           lambda o: o["data"]["ADMIN_SECRET"] == "cm90YXRlZA==", name=name)
    c.delete("Secret", "newapi", name)
    c.wait_gone("Secret", "catalyst-system", name)


def test_foreign_object_of_the_same_name_is_left_alone(c: Cluster) -> None:
    name = "newapi-bp-newapi-token-signing-key"
    c.create("Secret", {"metadata": {"name": name, "namespace": "catalyst-system"},
                        "stringData": {"ADMIN_SECRET": "mine"}})
    c.create("Secret", source())
    c.create("Secret", {"metadata": {"name": "marker", "namespace": "newapi",
                                     "annotations": dict(source()["metadata"]["annotations"])},
                        "stringData": {"x": "y"}})
    c.wait("Secret", "catalyst-system", lambda o: True, name="marker")  # reflector has run
    mine = c.get("Secret", "catalyst-system", name)
    assert mine is not None and REFLECTS not in (mine["metadata"].get("annotations") or {})


def test_pattern_list_is_whole_name_regex() -> None:
    assert pattern_match("", "anything")
    assert pattern_match("catalyst-system, sandbox", "sandbox")
    assert pattern_match("tenant-.*", "tenant-acme")
    assert not pattern_match("sandbox", "sandbox-2")
