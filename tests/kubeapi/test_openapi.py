"""OpenAPI v2/v3 for built-ins and CRDs: kubectl apply validates, explain explains."""

from __future__ import annotations

import json
import uuid

import httpx
import yaml
from kubernetes import client

from .kubectl import Kubectl


def _deployment(ns: str, replicas: int = 1, extra: dict | None = None) -> str:
    spec = {"replicas": replicas, "selector": {"matchLabels": {"app": "demo"}},
            "template": {"metadata": {"labels": {"app": "demo"}}, "spec": {"containers": [{
                "name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}},
                "livenessProbe": {"httpGet": {"port": 80, "path": "/"}}}]}},
            **(extra or {})}
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "demo", "namespace": ns}, "spec": spec})


def test_v3_index_and_group_documents(raw: httpx.Client) -> None:
    index = raw.get("/openapi/v3").json()["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/helm.toolkit.fluxcd.io/v2"} <= set(index)
    doc = raw.get(index["apis/apps/v1"]["serverRelativeURL"]).json()
    schemas = doc["components"]["schemas"]
    deploy = next(s for s in schemas.values()
                  if s.get("x-kubernetes-group-version-kind") == [
                      {"group": "apps", "version": "v1", "kind": "Deployment"}])
    assert set(deploy["properties"]) >= {"apiVersion", "kind", "metadata", "spec", "status"}
    container = schemas["V1Container"]
    assert "name" in container["required"]
    assert container["properties"]["env"]["x-kubernetes-patch-merge-key"] == "name"
    hr = raw.get(index["apis/helm.toolkit.fluxcd.io/v2"]["serverRelativeURL"]).json()
    assert "io.fluxcd.toolkit.helm.v2.HelmRelease" in hr["components"]["schemas"]


def test_v2_document_has_every_kind(raw: httpx.Client) -> None:
    doc = raw.get("/openapi/v2").json()
    assert doc["swagger"] == "2.0"
    kinds = {g["kind"] for d in doc["definitions"].values()
             for g in d.get("x-kubernetes-group-version-kind", [])}
    assert {"Pod", "Deployment", "HelmRelease", "HTTPRoute"} <= kinds
    assert "#/components/" not in json.dumps(doc)


def test_a_new_crd_appears_at_once(raw: httpx.Client, ext: client.ApiextensionsV1Api) -> None:
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    before = raw.get("/openapi/v3").json()["paths"]
    ext.create_custom_resource_definition({
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}})
    try:
        after = raw.get("/openapi/v3").json()["paths"]
        assert f"apis/{group}/v1" not in before and f"apis/{group}/v1" in after
        doc = raw.get(after[f"apis/{group}/v1"]["serverRelativeURL"]).json()
        widget = doc["components"]["schemas"][f"com.example.{group.split('.')[0]}.v1.Widget"]
        assert widget["properties"]["spec"]["properties"]["size"] == {"type": "integer"}
    finally:
        ext.delete_custom_resource_definition(f"widgets.{group}")


def test_kubectl_explain(kubectl: Kubectl) -> None:
    text = kubectl.out("explain", "deployments.spec.template.spec.containers.livenessProbe")
    assert "KIND:       Deployment" in text
    assert "failureThreshold\t<integer>" in text
    assert "Minimum consecutive failures" in text


def test_kubectl_apply_client_side_validates_and_patches(kubectl: Kubectl,
                                                         apps: client.AppsV1Api,
                                                         ns: str) -> None:
    assert kubectl.out("apply", "-f", "-", stdin=_deployment(ns)).strip() == \
        "deployment.apps/demo created"
    assert kubectl.out("apply", "-f", "-", stdin=_deployment(ns)).strip() == \
        "deployment.apps/demo unchanged"
    assert kubectl.out("apply", "-f", "-", stdin=_deployment(ns, 2)).strip() == \
        "deployment.apps/demo configured"
    assert apps.read_namespaced_deployment("demo", ns).spec.replicas == 2
    bad = kubectl.run("apply", "-f", "-", stdin=_deployment(ns, 2, {"bogus": 1}), check=False)
    assert bad.returncode != 0
    assert 'strict decoding error: unknown field "spec.bogus"' in bad.stderr
    warned = kubectl.run("apply", "--validate=warn", "-f", "-",
                         stdin=_deployment(ns, 3, {"bogus": 1}))
    assert 'unknown field "spec.bogus"' in warned.stderr
    assert apps.read_namespaced_deployment("demo", ns).spec.replicas == 3


def test_kubectl_apply_server_side(kubectl: Kubectl, apps: client.AppsV1Api, ns: str) -> None:
    out = kubectl.out("apply", "--server-side", "-f", "-", stdin=_deployment(ns, 2))
    assert out.strip() == "deployment.apps/demo serverside-applied"
    assert apps.read_namespaced_deployment("demo", ns).spec.replicas == 2
