"""Discovery for built-in groups and for CRDs, as the official and dynamic clients read it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from kubernetes import client, dynamic
from kubernetes.client import ApiClient

BUILTIN_GROUPS = {
    "apps": "v1",
    "apiextensions.k8s.io": "v1",
    "coordination.k8s.io": "v1",
    "events.k8s.io": "v1",
    "discovery.k8s.io": "v1",
}


def _dynamic(api_client: ApiClient, tmp_path: Path) -> dynamic.DynamicClient:
    # A private discovery cache file: each client here is genuinely new.
    return dynamic.DynamicClient(api_client, cache_file=str(tmp_path / f"{uuid.uuid4()}.json"))


def test_core_and_groups(api_client: ApiClient) -> None:
    assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api_client).get_api_versions().groups}
    for name, version in BUILTIN_GROUPS.items():
        assert name in groups
        assert groups[name].preferred_version.version == version
    core = client.CoreV1Api(api_client).get_api_resources()
    by_name = {r.name: r for r in core.resources}
    assert by_name["pods"].kind == "Pod" and by_name["pods"].namespaced
    assert "pods/log" in by_name and "pods/status" in by_name
    assert by_name["namespaces"].namespaced is False
    assert "cm" in by_name["configmaps"].short_names


def test_group_version_resources(api_client: ApiClient) -> None:
    leases = client.CoordinationV1Api(api_client).get_api_resources()
    assert [r.name for r in leases.resources] == ["leases"]
    slices = client.DiscoveryV1Api(api_client).get_api_resources()
    assert slices.resources[0].kind == "EndpointSlice"
    events = client.EventsV1Api(api_client).get_api_resources()
    assert events.group_version == "events.k8s.io/v1"
    apps = {r.name for r in client.AppsV1Api(api_client).get_api_resources().resources}
    assert {"deployments", "deployments/status", "deployments/scale", "statefulsets"} <= apps


def test_unknown_group_is_404_status(api_client: ApiClient, tmp_path: Path) -> None:
    with pytest.raises(client.ApiException) as e:
        _dynamic(api_client, tmp_path).request("get", "/apis/nope.example.com/v1")
    assert e.value.status == 404
    body = json.loads(e.value.body)
    assert (body["kind"], body["reason"]) == ("Status", "NotFound")


@pytest.mark.parametrize(("api_version", "kind", "namespaced", "short"), [
    ("gateway.networking.k8s.io/v1", "GatewayClass", False, ["gc"]),
    ("gateway.networking.k8s.io/v1", "Gateway", True, ["gtw"]),
    ("gateway.networking.k8s.io/v1", "HTTPRoute", True, None),
    ("gateway.networking.k8s.io/v1", "GRPCRoute", True, None),
    ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", True, ["refgrant"]),
    ("gateway.networking.k8s.io/v1alpha2", "TLSRoute", True, None),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository", True, ["helmrepo"]),
    ("source.toolkit.fluxcd.io/v1beta2", "HelmRepository", True, ["helmrepo"]),
    ("source.toolkit.fluxcd.io/v1", "GitRepository", True, ["gitrepo"]),
    ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", True, ["ocirepo"]),
    ("source.toolkit.fluxcd.io/v1", "HelmChart", True, ["hc"]),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease", True, ["hr"]),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization", True, ["ks"]),
    ("orgs.openova.io/v1alpha1", "Organization", False, ["org"]),
    ("sandbox.openova.io/v1alpha1", "Sandbox", True, ["sbx"]),
])
def test_shipped_crds_are_discoverable(api_client: ApiClient, tmp_path: Path, api_version: str,
                                       kind: str, namespaced: bool,
                                       short: list[str] | None) -> None:
    res = _dynamic(api_client, tmp_path).resources.get(api_version=api_version, kind=kind)
    assert res.namespaced is namespaced
    assert (res.short_names or None) == short
    assert res.subresources.get("status") is not None


def _crd(group: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                           "listKind": "WidgetList", "shortNames": ["wd"]},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {
                                   "type": "object",
                                   "x-kubernetes-preserve-unknown-fields": True}},
                               "subresources": {"status": {}}}]}}


def test_runtime_crd_is_discoverable_within_a_second(
        api_client: ApiClient, ext: client.ApiextensionsV1Api, tmp_path: Path, ns: str) -> None:
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    before = _dynamic(api_client, tmp_path)
    assert before.resources.search(group=group) == []
    created = ext.create_custom_resource_definition(_crd(group))
    start = time.monotonic()
    conds = {c.type: c.status for c in created.status.conditions}
    assert conds == {"NamesAccepted": "True", "Established": "True"}
    widgets = _dynamic(api_client, tmp_path).resources.get(
        api_version=f"{group}/v1", kind="Widget")
    assert time.monotonic() - start < 1.0
    obj = widgets.create(namespace=ns, body={"apiVersion": f"{group}/v1", "kind": "Widget",
                                              "metadata": {"name": "w1"}, "spec": {"x": 1}})
    assert obj.metadata.uid
    assert widgets.get(namespace=ns, name="w1").spec.x == 1
    # Deleting the CRD takes the kind (and its objects) away again.
    ext.delete_custom_resource_definition(f"widgets.{group}")
    assert _dynamic(api_client, tmp_path).resources.search(group=group) == []
    with pytest.raises(client.ApiException) as e:
        client.CustomObjectsApi(api_client).list_namespaced_custom_object(group, "v1", ns,
                                                                           "widgets")
    assert e.value.status == 404


def test_dynamic_client_default_cache_sees_new_crd(
        api_client: ApiClient, ext: client.ApiextensionsV1Api) -> None:
    # The dynamic client's default on-disk cache (keyed by host) must not hide a new CRD.
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    dynamic.DynamicClient(api_client).resources.search(group="apps")
    ext.create_custom_resource_definition(_crd(group))
    try:
        res = dynamic.DynamicClient(api_client).resources.get(api_version=f"{group}/v1",
                                                              kind="Widget")
        assert res.kind == "Widget"
    finally:
        ext.delete_custom_resource_definition(f"widgets.{group}")
