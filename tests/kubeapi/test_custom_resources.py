"""The shipped CRDs, custom objects, the status subresource, status defaults and pod logs."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from stubs.emulator.runtime import EmulatorThread

GW = "gateway.networking.k8s.io"
WAITING = {"reason": "Pending", "status": "Unknown", "message": "Waiting for controller",
           "lastTransitionTime": "1970-01-01T00:00:00Z"}


def test_shipped_crd_definitions(ext: client.ApiextensionsV1Api) -> None:
    crds = {c.metadata.name: c for c in ext.list_custom_resource_definition().items}
    hr = crds["helmrepositories.source.toolkit.fluxcd.io"]
    assert [(v.name, v.served, v.storage) for v in hr.spec.versions] == [
        ("v1", True, True), ("v1beta2", True, False)]
    gw = crds[f"gateways.{GW}"]
    columns = [c.name for c in gw.spec.versions[0].additional_printer_columns]
    assert columns == ["Class", "Address", "Programmed", "Age"]
    assert crds[f"tlsroutes.{GW}"].spec.versions[0].name == "v1alpha2"
    assert crds[f"referencegrants.{GW}"].spec.versions[0].name == "v1beta1"
    org = crds["organizations.orgs.openova.io"]
    assert (org.spec.scope, org.spec.names.kind) == ("Cluster", "Organization")
    sbx = crds["sandboxes.sandbox.openova.io"]
    assert (sbx.spec.scope, sbx.spec.versions[0].name) == ("Namespaced", "v1alpha1")
    for crd in crds.values():
        assert all(v.subresources.status is not None for v in crd.spec.versions), crd.metadata.name
        established = [c for c in crd.status.conditions if c.type == "Established"]
        assert established[0].status == "True"


def test_gateway_and_gatewayclass_get_default_status(custom: client.CustomObjectsApi,
                                                     ns: str) -> None:
    gc = custom.create_cluster_custom_object(GW, "v1", "gatewayclasses", {
        "apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": f"gc-{ns}"},
        "spec": {"controllerName": "io.cilium/gateway-controller"}})
    assert gc["status"]["conditions"] == [{**WAITING, "type": "Accepted"}]
    gw = custom.create_namespaced_custom_object(GW, "v1", ns, "gateways", {
        "apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "gw"},
        "spec": {"gatewayClassName": f"gc-{ns}", "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP"}]},
        # A create cannot set status: the default applies, not this.
        "status": {"conditions": [{"type": "Accepted", "status": "True"}]}})
    assert gw["status"]["conditions"] == [{**WAITING, "type": "Accepted"},
                                          {**WAITING, "type": "Programmed"}]
    route = custom.create_namespaced_custom_object(GW, "v1", ns, "httproutes", {
        "apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
        "spec": {"parentRefs": [{"name": "gw"}]}})
    assert "status" not in route  # HTTPRoute has no default status
    custom.delete_cluster_custom_object(GW, "v1", "gatewayclasses", f"gc-{ns}")


def test_status_subresource_on_cluster_scoped_organization(
        custom: client.CustomObjectsApi) -> None:
    group, version, plural = "orgs.openova.io", "v1alpha1", "organizations"
    org = custom.create_cluster_custom_object(group, version, plural, {
        "apiVersion": f"{group}/{version}", "kind": "Organization",
        "metadata": {"name": "acme"}, "spec": {"displayName": "Acme"}})
    assert "namespace" not in org["metadata"] and "status" not in org
    # /status changes only status ...
    org = custom.patch_cluster_custom_object_status(group, version, plural, "acme", {
        "status": {"phase": "Ready"}, "spec": {"displayName": "ignored"}})
    assert org["status"] == {"phase": "Ready"}
    assert org["spec"] == {"displayName": "Acme"} and org["metadata"]["generation"] == 1
    # ... and the main resource ignores status.
    org["spec"]["displayName"] = "Acme Inc"
    org["status"] = {"phase": "Lost"}
    org = custom.replace_cluster_custom_object(group, version, plural, "acme", org)
    assert org["status"] == {"phase": "Ready"}
    assert org["metadata"]["generation"] == 2
    org = custom.patch_cluster_custom_object(group, version, plural, "acme",
                                             {"status": {"phase": "Lost"}})
    assert org["status"] == {"phase": "Ready"}
    listed = custom.list_cluster_custom_object(group, version, plural)
    assert listed["kind"] == "OrganizationList"
    assert [o["metadata"]["name"] for o in listed["items"]] == ["acme"]
    custom.delete_cluster_custom_object(group, version, plural, "acme")


def test_status_replace_on_namespaced_sandbox(custom: client.CustomObjectsApi, ns: str) -> None:
    group, version, plural = "sandbox.openova.io", "v1alpha1", "sandboxes"
    custom.create_namespaced_custom_object(group, version, ns, plural, {
        "apiVersion": f"{group}/{version}", "kind": "Sandbox", "metadata": {"name": "dev"},
        "spec": {"owner": "alice"}})
    cur = custom.get_namespaced_custom_object(group, version, ns, plural, "dev")
    cur["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    cur["spec"] = {"owner": "mallory"}
    out = custom.replace_namespaced_custom_object_status(group, version, ns, plural, "dev", cur)
    assert out["status"]["conditions"][0]["status"] == "True"
    assert out["spec"] == {"owner": "alice"}
    with pytest.raises(client.ApiException) as e:  # cur carries a stale resourceVersion now
        custom.replace_namespaced_custom_object_status(group, version, ns, plural, "dev", cur)
    assert e.value.status == 409


def test_custom_object_errors(custom: client.CustomObjectsApi, ns: str) -> None:
    body = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "dup"}, "spec": {"interval": "1m", "chartRef": {
                "kind": "OCIRepository", "name": "app"}}}
    custom.create_namespaced_custom_object("helm.toolkit.fluxcd.io", "v2", ns, "helmreleases",
                                           body)
    with pytest.raises(client.ApiException) as e:
        custom.create_namespaced_custom_object("helm.toolkit.fluxcd.io", "v2", ns,
                                               "helmreleases", body)
    assert e.value.status == 409
    assert json.loads(e.value.body)["message"] == (
        'helmreleases.helm.toolkit.fluxcd.io "dup" already exists')
    with pytest.raises(client.ApiException) as e:
        custom.get_namespaced_custom_object("helm.toolkit.fluxcd.io", "v2", ns, "helmreleases",
                                            "nope")
    assert e.value.status == 404
    assert json.loads(e.value.body)["message"] == (
        'helmreleases.helm.toolkit.fluxcd.io "nope" not found')


def test_both_helmrepository_versions_serve_the_same_objects(custom: client.CustomObjectsApi,
                                                             ns: str) -> None:
    src = "source.toolkit.fluxcd.io"
    custom.create_namespaced_custom_object(src, "v1beta2", ns, "helmrepositories", {
        "apiVersion": f"{src}/v1beta2", "kind": "HelmRepository", "metadata": {"name": "bp"},
        "spec": {"type": "oci", "url": "oci://ghcr.io/openova-io"}})
    got = custom.get_namespaced_custom_object(src, "v1", ns, "helmrepositories", "bp")
    assert got["apiVersion"] == f"{src}/v1"
    assert got["spec"]["url"] == "oci://ghcr.io/openova-io"


def test_pod_log(core: client.CoreV1Api, emulator: EmulatorThread, ns: str) -> None:
    core.create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "main", "image": "x"}, {"name": "side", "image": "y"}]}})
    store = emulator.emulator.store
    for line in ("starting", "listening on :3000"):
        emulator.call(store.append_log, ns, "p", "main", line)
    emulator.call(store.append_log, ns, "p", "side", "side line")
    assert core.read_namespaced_pod_log("p", ns) == "starting\nlistening on :3000\n"
    assert core.read_namespaced_pod_log("p", ns, tail_lines=1) == "listening on :3000\n"
    assert core.read_namespaced_pod_log("p", ns, container="side") == "side line\n"
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_pod_log("missing", ns)
    assert e.value.status == 404
