"""Validation as the API server does it: a CRD's structural schema and CEL rules, and the
built-in kinds' rules; refused with 422 Invalid and field causes. Runs against the real
kube-apiserver too (tests/oracle/probes); the exact wording is pinned by the differential
cases in tests/oracle/cases_validation.py."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kubernetes import client


def _causes(e: client.ApiException) -> list[tuple[str, str]]:
    body = json.loads(e.body)
    assert (e.status, body["reason"]) == (422, "Invalid")
    return sorted((c["field"], c["reason"]) for c in body["details"]["causes"])


@pytest.fixture
def gadgets(ext: client.ApiextensionsV1Api, custom: client.CustomObjectsApi,
            ns: str) -> Any:
    group = f"{ns}.validation.example.com"
    ext.create_custom_resource_definition({
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "gadgets", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "required": ["size"],
                         "x-kubernetes-validations": [{"rule": "self.size <= self.limit",
                                                       "message": "size over limit"}],
                         "properties": {
                             "size": {"type": "integer", "minimum": 1},
                             "limit": {"type": "integer", "default": 10},
                             "mode": {"type": "string", "enum": ["Fast", "Slow"]}}}}}}}]}})
    deadline = time.monotonic() + 30
    while True:  # the real server serves a new CRD moments after the create
        try:
            custom.list_namespaced_custom_object(group, "v1", ns, "gadgets")
            break
        except client.ApiException:
            assert time.monotonic() < deadline
            time.sleep(0.2)

    def create(name: str, spec: Any, **extra: Any) -> dict[str, Any]:
        return custom.create_namespaced_custom_object(group, "v1", ns, "gadgets", {
            "apiVersion": f"{group}/v1", "kind": "Gadget", "metadata": {"name": name},
            "spec": spec, **extra})

    yield create
    ext.delete_custom_resource_definition(f"gadgets.{group}")


def test_custom_resource_schema_and_cel_rules(gadgets: Any) -> None:
    kept = gadgets("ok", {"size": 3, "unknown": 1}, extra=1)
    assert kept["spec"] == {"size": 3, "limit": 10}  # unknown fields pruned, default set
    assert "extra" not in kept
    with pytest.raises(client.ApiException) as e:
        gadgets("bad", {"size": 0, "mode": "Medium"})
    # The CEL rules are not run on an object the schema refuses; a cause says so.
    assert _causes(e.value) == [("<nil>", "FieldValueInvalid"),
                                ("spec.mode", "FieldValueNotSupported"),
                                ("spec.size", "FieldValueInvalid")]
    with pytest.raises(client.ApiException) as e:
        gadgets("missing", {})
    assert _causes(e.value) == [("<nil>", "FieldValueInvalid"), ("spec.size", "FieldValueRequired")]
    with pytest.raises(client.ApiException) as e:
        gadgets("over", {"size": 11})
    assert _causes(e.value) == [("spec", "FieldValueInvalid")]
    assert "size over limit" in json.loads(e.value.body)["message"]


def test_builtin_kinds_are_validated(apps: client.AppsV1Api, core: client.CoreV1Api,
                                     ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        apps.create_namespaced_deployment(ns, {
            "metadata": {"name": "d"},
            "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "other"}},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    assert _causes(e.value) == [("spec.replicas", "FieldValueInvalid"),
                                ("spec.template.metadata.labels", "FieldValueInvalid")]
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_service(ns, {"metadata": {"name": "s"}, "spec": {
            "type": "Bogus", "ports": [{"port": 80, "protocol": "XX"}]}})
    assert _causes(e.value) == [("spec.ports[0].protocol", "FieldValueNotSupported"),
                                ("spec.type", "FieldValueNotSupported")]
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "c"},
                                               "data": {"bad key": "x"}})
    assert _causes(e.value) == [("data[bad key]", "FieldValueInvalid")]


def test_an_update_may_not_change_what_is_immutable(core: client.CoreV1Api,
                                                    ns: str) -> None:
    """An immutable ConfigMap keeps its data; a Service keeps its clusterIP, also through a
    replace that leaves it out (the real server's wording: tests/oracle/cases_validation.py
    `update-422-immutable`)."""
    core.create_namespaced_config_map(ns, {"metadata": {"name": "sealed"},
                                           "data": {"a": "1"}, "immutable": True})
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_config_map("sealed", ns, {"data": {"a": "2"}})
    assert _causes(e.value) == [("data", "FieldValueForbidden")]
    svc = core.create_namespaced_service(ns, {"metadata": {"name": "s"},
                                              "spec": {"ports": [{"port": 80}]}})
    replaced = core.replace_namespaced_service("s", ns, {
        "metadata": {"name": "s", "resourceVersion": svc.metadata.resource_version},
        "spec": {"ports": [{"port": 80}]}})
    assert replaced.spec.cluster_ip == svc.spec.cluster_ip
    with pytest.raises(client.ApiException) as e:
        core.patch_namespaced_service("s", ns, {"spec": {"clusterIP": "10.0.0.99"}})
    assert _causes(e.value) == [("spec.clusterIPs[0]", "FieldValueInvalid")]
