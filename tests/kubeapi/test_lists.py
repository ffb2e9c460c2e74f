"""Lists: kind, resourceVersion, label and field selectors, all-namespaces and cluster scope."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from kubernetes import client

LABELS = {
    "p1": {"app": "web", "tier": "front"},
    "p2": {"app": "web", "tier": "back"},
    "p3": {"app": "db"},
    "p4": {},
}


@pytest.fixture
def labelled(core: client.CoreV1Api, ns: str) -> str:
    for name, labels in LABELS.items():
        core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": labels}})
    return ns


def _names(core: client.CoreV1Api, ns: str, selector: str) -> list[str]:
    return [c.metadata.name for c in
            core.list_namespaced_config_map(ns, label_selector=selector).items]


@pytest.mark.parametrize(("selector", "expected"), [
    ("app=web", ["p1", "p2"]),
    ("app==web", ["p1", "p2"]),
    ("app!=web", ["p3", "p4"]),
    ("app in (db, web)", ["p1", "p2", "p3"]),
    ("app notin (web)", ["p3", "p4"]),
    ("tier", ["p1", "p2"]),
    ("!tier", ["p3", "p4"]),
    ("app=web,tier!=back", ["p1"]),
    ("app in (web),!tier", []),
])
def test_label_selectors(core: client.CoreV1Api, labelled: str, selector: str,
                         expected: list[str]) -> None:
    assert _names(core, labelled, selector) == expected


def test_bad_label_selector_is_400(core: client.CoreV1Api, labelled: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.list_namespaced_config_map(labelled, label_selector="app in web")
    assert e.value.status == 400


def test_list_kind_and_resource_version(core: client.CoreV1Api, labelled: str) -> None:
    raw = json.loads(core.list_namespaced_config_map(labelled, _preload_content=False).data)
    assert raw["kind"] == "ConfigMapList"
    assert raw["apiVersion"] == "v1"
    assert int(raw["metadata"]["resourceVersion"]) >= max(
        int(i["metadata"]["resourceVersion"]) for i in raw["items"])
    typed = core.list_namespaced_config_map(labelled)
    assert typed.kind == "ConfigMapList" and typed.metadata.resource_version


def test_field_selectors(core: client.CoreV1Api, new_namespace: Callable[[], str]) -> None:
    a, b = new_namespace(), new_namespace()
    for ns in (a, b):
        core.create_namespaced_config_map(ns, {"metadata": {"name": "same"}})
        core.create_namespaced_config_map(ns, {"metadata": {"name": f"only-{ns}"}})
    by_name = core.list_config_map_for_all_namespaces(field_selector="metadata.name=same")
    assert sorted(c.metadata.namespace for c in by_name.items) == sorted([a, b])
    by_ns = core.list_config_map_for_all_namespaces(field_selector=f"metadata.namespace={a}")
    assert sorted(c.metadata.name for c in by_ns.items) == sorted(["same", f"only-{a}"])
    both = core.list_namespaced_config_map(b, field_selector="metadata.name!=same")
    assert [c.metadata.name for c in both.items] == [f"only-{b}"]


def test_all_namespaces_list(core: client.CoreV1Api, new_namespace: Callable[[], str]) -> None:
    spaces = [new_namespace() for _ in range(3)]
    for ns in spaces:
        core.create_namespaced_service_account(ns, {"metadata": {"name": "robot",
                                                                 "labels": {"t": "all"}}})
    items = core.list_service_account_for_all_namespaces(label_selector="t=all").items
    assert sorted(i.metadata.namespace for i in items) == sorted(spaces)
    assert core.list_namespaced_service_account(spaces[0], label_selector="t=all").items[
        0].metadata.namespace == spaces[0]


def test_cluster_scoped_list(core: client.CoreV1Api, new_namespace: Callable[[], str]) -> None:
    made = {new_namespace() for _ in range(2)}
    listed = {n.metadata.name for n in core.list_namespace().items}
    assert made <= listed
    one = core.list_namespace(field_selector=f"metadata.name={sorted(made)[0]}").items
    assert [n.metadata.name for n in one] == [sorted(made)[0]]


def test_lists_come_in_pages_with_limit_and_continue(core: client.CoreV1Api,
                                                     labelled: str) -> None:
    first = core.list_namespaced_config_map(labelled, limit=2)
    assert len(first.items) == 2 and first.metadata._continue
    assert first.metadata.remaining_item_count >= 1
    names = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    while token:
        page = core.list_namespaced_config_map(labelled, limit=2, _continue=token)
        names += [i.metadata.name for i in page.items]
        token = page.metadata._continue
    everything = [i.metadata.name for i in core.list_namespaced_config_map(labelled).items]
    assert names == everything


def test_a_broken_continue_token_is_400(core: client.CoreV1Api, labelled: str) -> None:
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_config_map(labelled, limit=2, _continue="not-a-token")
    assert err.value.status == 400
