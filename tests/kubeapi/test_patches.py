"""JSON merge, JSON, strategic merge and server-side apply patches via the official client."""

from __future__ import annotations

import pytest
from kubernetes import client

POD_SPEC = {
    "containers": [{
        "name": "app", "image": "app:1",
        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "ports": [{"containerPort": 8080, "name": "http"}],
        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}],
    }, {"name": "side", "image": "side:1"}],
    "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
}


def _deployment(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": POD_SPEC}}}


def test_merge_patch_replaces_lists_and_null_deletes(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "m", "labels": {"a": "1"}},
                                           "data": {"x": "1", "y": "2"}})
    cm = core.patch_namespaced_config_map(
        "m", ns, {"metadata": {"labels": {"b": "2"}}, "data": {"x": None, "z": "3"}},
        _content_type="application/merge-patch+json")
    assert cm.metadata.labels == {"a": "1", "b": "2"}
    assert cm.data == {"y": "2", "z": "3"}


def test_json_patch(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "j"}, "data": {"x": "1"}})
    cm = core.patch_namespaced_config_map("j", ns, [
        {"op": "test", "path": "/data/x", "value": "1"},
        {"op": "add", "path": "/data/y", "value": "2"},
        {"op": "replace", "path": "/data/x", "value": "9"},
        {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
    ], _content_type="application/json-patch+json")
    assert cm.data == {"x": "9", "y": "2"}
    assert cm.metadata.labels == {"k": "v"}
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_config_map(
            "j", ns, [{"op": "test", "path": "/data/x", "value": "1"}],
            _content_type="application/json-patch+json")
    assert e.value.status == 422
    cm = core.patch_namespaced_config_map("j", ns, [{"op": "remove", "path": "/data/y"}],
                                          _content_type="application/json-patch+json")
    assert cm.data == {"x": "9"}


def test_strategic_merge_patch_merges_lists_by_key(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, _deployment("s"))
    d = apps.patch_namespaced_deployment("s", ns, {"spec": {"template": {"spec": {
        "containers": [{
            "name": "app", "image": "app:2",
            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
            "ports": [{"containerPort": 9090, "name": "metrics"}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        }],
        "volumes": [{"name": "data", "emptyDir": {}}],
    }}}}, _content_type="application/strategic-merge-patch+json")
    spec = d.spec.template.spec
    assert [c.name for c in spec.containers] == ["app", "side"]
    app = spec.containers[0]
    assert app.image == "app:2"
    assert [(e.name, e.value) for e in app.env] == [("A", "1"), ("B", "20"), ("C", "3")]
    # Without $setElementOrder the API server puts a new item before the live-only ones.
    assert [p.container_port for p in app.ports] == [9090, 8080]
    assert [m.mount_path for m in app.volume_mounts] == ["/data", "/etc/cfg"]
    assert [v.name for v in spec.volumes] == ["data", "cfg"]
    assert d.metadata.generation == 2


def test_strategic_merge_delete_directive(apps: client.AppsV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, _deployment("del"))
    d = apps.patch_namespaced_deployment("del", ns, {"spec": {"template": {"spec": {
        "containers": [{"name": "side", "$patch": "delete"},
                       {"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]}}}})
    app, = d.spec.template.spec.containers
    assert [e.name for e in app.env] == ["B"]


def test_strategic_merge_conditions_by_type(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": POD_SPEC})
    core.patch_namespaced_pod_status("p", ns, {"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "False"}, {"type": "Initialized", "status": "True"}]}})
    pod = core.patch_namespaced_pod_status("p", ns, {"status": {"conditions": [
        {"type": "Ready", "status": "True"}]}})
    assert [(c.type, c.status) for c in pod.status.conditions] == [
        ("Ready", "True"), ("Initialized", "True")]


def test_service_ports_merge_by_port(core: client.CoreV1Api, ns: str) -> None:
    core.create_namespaced_service(ns, {"metadata": {"name": "svc"}, "spec": {
        "selector": {"app": "x"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    svc = core.patch_namespaced_service("svc", ns, {"spec": {"ports": [
        {"name": "https", "port": 443}]}})
    assert [(p.port, p.protocol) for p in svc.spec.ports] == [(443, "TCP"), (80, "TCP")]
    assert svc.spec.cluster_ip and svc.spec.type == "ClusterIP"


def test_server_side_apply_creates_then_merges(core: client.CoreV1Api, ns: str) -> None:
    applied = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "ssa", "namespace": ns, "labels": {"owner": "me"}},
               "data": {"a": "1"}}
    cm = core.patch_namespaced_config_map("ssa", ns, applied, field_manager="tester",
                                          _content_type="application/apply-patch+yaml")
    assert cm.metadata.uid and cm.data == {"a": "1"}
    rv = cm.metadata.resource_version
    applied["data"] = {"b": "2"}
    cm = core.patch_namespaced_config_map("ssa", ns, applied, field_manager="tester",
                                          _content_type="application/apply-patch+yaml")
    # The manager no longer applies `a`, and nobody else owns it: it is removed.
    assert cm.data == {"b": "2"}
    assert cm.metadata.resource_version != rv
    # Applying the same configuration again is a no-op: no new resourceVersion.
    again = core.patch_namespaced_config_map("ssa", ns, applied, field_manager="tester",
                                             _content_type="application/apply-patch+yaml")
    assert again.metadata.resource_version == cm.metadata.resource_version


def test_server_side_apply_requires_field_manager(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_config_map(
            "nofm", ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nofm"}},
            _content_type="application/apply-patch+yaml")
    assert e.value.status == 422  # Invalid PatchOptions, as kube-apiserver answers
    assert "fieldManager" in e.value.body


def test_server_side_apply_custom_object(custom: client.CustomObjectsApi, ns: str) -> None:
    body = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "gitea", "namespace": ns},
            "spec": {"interval": "1m", "chart": {"spec": {
                "chart": "gitea", "sourceRef": {"kind": "HelmRepository", "name": "r"}}}}}
    # An apply that creates answers 201, which CustomObjectsApi does not deserialize.
    custom.patch_namespaced_custom_object(
        "helm.toolkit.fluxcd.io", "v2", ns, "helmreleases", "gitea", body,
        field_manager="flux", _content_type="application/apply-patch+yaml")
    hr = custom.get_namespaced_custom_object("helm.toolkit.fluxcd.io", "v2", ns,
                                             "helmreleases", "gitea")
    assert hr["metadata"]["generation"] == 1
    body["spec"]["chart"]["spec"]["version"] = "10.1.0"
    hr = custom.patch_namespaced_custom_object(
        "helm.toolkit.fluxcd.io", "v2", ns, "helmreleases", "gitea", body,
        field_manager="flux", _content_type="application/apply-patch+yaml")
    assert hr["spec"]["chart"]["spec"] == {  # with the CRD's default reconcileStrategy
        "chart": "gitea", "version": "10.1.0", "reconcileStrategy": "ChartVersion",
        "sourceRef": {"kind": "HelmRepository", "name": "r"}}
    assert hr["metadata"]["generation"] == 2


def test_patch_missing_object_is_404(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_config_map("nope", ns, {"data": {"a": "1"}})
    assert e.value.status == 404
