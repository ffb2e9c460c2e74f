"""Create, get, list, replace, patch and delete with Kubernetes metadata and Status errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client import ApiClient


def _status(e: client.ApiException) -> dict:
    return json.loads(e.body)


def test_create_sets_server_metadata(core: client.CoreV1Api, ns: str) -> None:
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "a"}, "data": {"k": "v"}})
    assert cm.metadata.uid and len(cm.metadata.uid) == 36
    assert cm.metadata.creation_timestamp is not None
    assert int(cm.metadata.resource_version) > 0
    assert cm.metadata.namespace == ns
    got = core.read_namespaced_config_map("a", ns)
    assert got.metadata.uid == cm.metadata.uid
    assert got.data == {"k": "v"}


def test_resource_version_changes_on_every_write(core: client.CoreV1Api, ns: str) -> None:
    versions = [core.create_namespaced_config_map(ns, {"metadata": {"name": "rv"}})
                .metadata.resource_version]
    for i in range(3):
        cm = core.patch_namespaced_config_map("rv", ns, {"data": {"i": str(i)}})
        versions.append(cm.metadata.resource_version)
    assert len(set(versions)) == 4
    assert [int(v) for v in versions] == sorted(int(v) for v in versions)


def test_generation_moves_with_spec_only(apps: client.AppsV1Api, ns: str) -> None:
    body = {"metadata": {"name": "web"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    d = apps.create_namespaced_deployment(ns, body)
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"x": "y"}}})
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment_status("web", ns, {"status": {"replicas": 1}})
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 3}})
    assert d.metadata.generation == 2


def test_replace_with_stale_resource_version_conflicts(core: client.CoreV1Api, ns: str) -> None:
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    stale = cm.metadata.resource_version
    core.patch_namespaced_config_map("c", ns, {"data": {"a": "1"}})
    body = {"metadata": {"name": "c", "resourceVersion": stale}, "data": {"b": "2"}}
    with pytest.raises(client.ApiException) as e:
        core.replace_namespaced_config_map("c", ns, body)
    assert e.value.status == 409
    assert _status(e.value)["reason"] == "Conflict"
    fresh = core.read_namespaced_config_map("c", ns)
    fresh.data = {"b": "2"}
    assert core.replace_namespaced_config_map("c", ns, fresh).data == {"b": "2"}


def test_already_exists_is_409_status(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_secret(ns, {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_secret(ns, {"metadata": {"name": "s"}})
    st = _status(e.value)
    assert (e.value.status, st["kind"], st["reason"]) == (409, "Status", "AlreadyExists")
    assert st["message"] == 'secrets "s" already exists'
    assert st["details"] == {"name": "s", "kind": "secrets"}  # group is omitempty


def test_not_found_is_404_status(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("missing", ns)
    st = _status(e.value)
    assert (e.value.status, st["reason"]) == (404, "NotFound")
    assert st["message"] == 'configmaps "missing" not found'


def test_create_in_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "x"}})
    st = _status(e.value)
    assert (e.value.status, st["reason"]) == (404, "NotFound")
    assert st["message"] == 'namespaces "no-such-ns" not found'


def test_body_without_name_is_422(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map(ns, {"metadata": {}, "data": {}})
    st = _status(e.value)
    assert (e.value.status, st["reason"]) == (422, "Invalid")
    assert "name or generateName is required" in st["message"]


def test_generate_name(core: client.CoreV1Api, ns: str) -> None:
    cm = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "job-"}})
    assert cm.metadata.name.startswith("job-") and len(cm.metadata.name) > 4


def test_missing_token_is_anonymous_403_and_wrong_token_401(kubeconfig: Path,
                                                            tmp_path: Path) -> None:
    """Anonymous auth is on (the default, kind's): no token is system:anonymous, whom RBAC
    forbids; a token nobody issued is 401."""
    doc = yaml.safe_load(kubeconfig.read_text())
    for token, code, reason in ((None, 403, "Forbidden"),
                                ("not-the-token", 401, "Unauthorized")):
        user = doc["users"][0]["user"]
        user.pop("token", None)
        if token:
            user["token"] = token
        path = tmp_path / "kc"
        path.write_text(yaml.safe_dump(doc))
        api = client.CoreV1Api(config.new_client_from_config(str(path)))
        with pytest.raises(client.ApiException) as e:
            api.list_namespace()
        assert e.value.status == code
        assert _status(e.value)["reason"] == reason


def test_secret_string_data_is_encoded(core: client.CoreV1Api, ns: str) -> None:
    s = core.create_namespaced_secret(ns, {"metadata": {"name": "s"},
                                           "stringData": {"password": "hunter2"}})
    assert s.type == "Opaque"
    assert s.data == {"password": "aHVudGVyMg=="}
    assert s.string_data is None


def test_delete_without_finalizers_removes(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "gone"}})
    core.delete_namespaced_config_map("gone", ns)
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("gone", ns)
    assert e.value.status == 404
    with pytest.raises(client.ApiException) as e:
        core.delete_namespaced_config_map("gone", ns)
    assert e.value.status == 404


def test_finalizers_hold_deletion(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "held", "finalizers": ["example.com/cleanup"]}})
    core.delete_namespaced_config_map("held", ns)
    cm = core.read_namespaced_config_map("held", ns)
    assert cm.metadata.deletion_timestamp is not None
    assert cm.metadata.finalizers == ["example.com/cleanup"]
    # A second delete changes nothing; adding a finalizer while deleting is refused.
    core.delete_namespaced_config_map("held", ns)
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_config_map(
            "held", ns, {"metadata": {"finalizers": ["example.com/cleanup", "other/x"]}})
    assert e.value.status == 422
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("held", ns)
    assert e.value.status == 404


def test_owner_references_are_garbage_collected(core: client.CoreV1Api, ns: str) -> None:
    owner = core.create_namespaced_config_map(ns, {"metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dep", "ownerReferences": [ref]}})
    core.delete_namespaced_config_map("owner", ns)
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("dep", ns)
    assert e.value.status == 404


def test_cluster_scoped_and_namespace_deletion(core: client.CoreV1Api, ns: str) -> None:
    got = core.read_namespace(ns)
    assert got.metadata.namespace is None
    assert got.status.phase == "Active"
    assert got.metadata.labels["kubernetes.io/metadata.name"] == ns
    core.create_namespaced_config_map(ns, {"metadata": {"name": "inside"}})
    core.delete_namespace(ns)
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_config_map("inside", ns)
    assert e.value.status == 404


def test_delete_collection(core: client.CoreV1Api, ns: str) -> None:
    for i, tier in enumerate(["a", "a", "b"]):
        core.create_namespaced_config_map(
            ns, {"metadata": {"name": f"cm{i}", "labels": {"tier": tier}}})
    core.delete_collection_namespaced_config_map(ns, label_selector="tier=a")
    names = [c.metadata.name for c in core.list_namespaced_config_map(ns).items]
    assert names == ["cm2"]


def test_version_endpoint(api_client: ApiClient) -> None:
    v = client.VersionApi(api_client).get_code()
    assert v.major == "1" and v.git_version.startswith("v1.")
