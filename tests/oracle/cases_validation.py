"""Validation: sequences sent alike to the emulated API and the oracle (registered into
cases.CASES). A CRD with a rich structural schema (types, required, enum, pattern, bounds,
lengths, item counts, keyed lists) and custom resources that break it; compared are the
status, reason, the sorted causes (the real server's order is Go map order) and what a
stored object kept (pruning)."""

from __future__ import annotations

import time
from typing import Any

from e2e.oracle.rawapi import Answer, RawApi
from tests.oracle.cases import MERGE, case, cms, deployment, deps

WIDGET_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "spec": {"type": "object", "required": ["size", "mode"], "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "mode": {"type": "string", "enum": ["Fast", "Slow"]},
        "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5, "minLength": 2},
        "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "required": ["name"], "properties": {
                      "name": {"type": "string"}, "port": {"type": "integer"}}}},
        "flag": {"type": "boolean"},
        "ios": {"x-kubernetes-int-or-string": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "nested": {"type": "object", "properties": {"deep": {"type": "string",
                                                             "enum": ["a"]}}}}},
    "status": {"type": "object", "properties": {"phase": {"type": "string"}}}}}


def _widgets(api: RawApi, ns: str) -> str:
    """Install the Widget CRD (its group named after the case's namespace) and wait until
    it is served; the collection path."""
    group = f"{ns}.example.com"
    api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                           "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": WIDGET_SCHEMA}}]}})
    path = f"/apis/{group}/v1/namespaces/{ns}/widgets"
    deadline = time.monotonic() + 30
    while api.get(path).status != 200:  # the real server serves it moments later
        assert time.monotonic() < deadline, f"{path} never served"
        time.sleep(0.2)
    return path


def _widget(ns: str, name: str, spec: Any, **top: Any) -> dict[str, Any]:
    return {"apiVersion": f"{ns}.example.com/v1", "kind": "Widget",
            "metadata": {"name": name}, "spec": spec, **top}


def _invalid(answer: Answer) -> list[Any]:
    body = answer.body if isinstance(answer.body, dict) else {}
    if body.get("kind") != "Status":
        return [answer.status, body.get("spec")]
    details = body.get("details") or {}
    return [answer.status, body.get("reason"), details.get("name"), details.get("kind"),
            sorted((c.get("field"), c.get("reason"), c.get("message"))
                   for c in details.get("causes") or [])]


@case("crd-schema-validation")
def _crd_validation(api: RawApi, ns: str) -> Any:
    path = _widgets(api, ns)
    sends = [
        ("kept", {"size": 1, "mode": "Fast", "bogus": 1, "free": {"x": 1},
                  "nested": {"zzz": 1}}, {"extra": 1}),
        ("required", {}, {}),
        ("types", {"size": "1", "mode": 3, "name": 5, "ratio": "x", "tags": "a",
                   "flag": "yes", "ios": [1], "labels": {"a": 1}, "nested": "s"}, {}),
        ("bounds", {"size": 11, "mode": "Other", "name": "ABCDEFG", "ratio": 0,
                    "tags": ["a", "b", "c"], "nested": {"deep": "b"}}, {}),
        ("lower", {"size": 0, "mode": "Fast", "name": "a"}, {}),
        ("pattern", {"size": 1, "mode": "Fast", "name": "AB"}, {}),
        ("keys", {"size": 1, "mode": "Fast", "ports": [{"name": "a"}, {"name": "a"},
                                                       {"port": 1}]}, {}),
        ("null", {"size": None, "mode": "Fast"}, {}),
        ("float", {"size": 1.5, "mode": "Fast"}, {}),
        ("not-an-object", "text", {}),
    ]
    out = [[label, _invalid(api.post(path, _widget(ns, label, spec, **top)))]
           for label, spec, top in sends]
    out.append(_invalid(api.patch(f"{path}/kept", {"spec": {"size": 99}}, MERGE)))
    out.append(_invalid(api.patch(f"{path}/kept/status", {"status": {"phase": 5}}, MERGE)))
    out.append(_invalid(api.post(path, _widget(ns, "dry", {"size": 0, "mode": "Fast"}),
                                 params={"dryRun": "All"})))
    return out


def _dep(**spec: Any) -> dict[str, Any]:
    body = deployment("d")
    body["spec"].update(spec)
    return body


@case("builtin-validation")
def _builtin_validation(api: RawApi, ns: str) -> Any:
    """Built-in kinds refused with the real server's causes (message and order too)."""
    pods, svcs = f"/api/v1/namespaces/{ns}/pods", f"/api/v1/namespaces/{ns}/services"
    sends: list[tuple[str, dict[str, Any]]] = []
    bad = _dep()
    del bad["spec"]["selector"]
    sends.append((deps(ns), bad))
    bad = _dep()
    bad["spec"]["template"]["spec"]["containers"] = [{"name": "Bad_Name"},
                                                     {"name": "c", "image": "x"},
                                                     {"name": "c", "image": "x"}]
    sends.append((deps(ns), bad))
    bad = _dep(strategy={"type": "Bogus"})
    pod = bad["spec"]["template"]["spec"]
    pod["restartPolicy"] = "Never"
    pod["containers"][0]["ports"] = [{"containerPort": 70000, "protocol": "XX"}]
    sends.append((deps(ns), bad))
    sends.append((svcs, _svc({"selector": {"a": "b"}})))
    sends.append((svcs, _svc({"type": "Bogus", "ports": [{"port": 0, "protocol": "XX"}]})))
    sends.append((svcs, _svc({"ports": [{"port": 80}, {"port": 81, "name": "b"},
                                        {"port": 82, "name": "b"}]})))
    sends.append((pods, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                         "spec": {"restartPolicy": "Sometimes", "containers": [{
                             "name": "c", "image": "x", "imagePullPolicy": "Maybe",
                             "env": [{"name": ""}],
                             "volumeMounts": [{"name": "v", "mountPath": "/x"}]}]}}))
    sends.append((pods, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                         "spec": {"containers": []}}))
    sends.append((cms(ns), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "c", "labels": {"bad key": "x", "ok": "bad value!"}},
        "data": {"bad key": "x", "good": "y"}}))
    out = []
    for path, body in sends:
        answer = api.post(path, body)
        shaped = _invalid(answer)
        message = answer.body.get("message") if isinstance(answer.body, dict) else None
        out.append([shaped, message])
    return out


def _svc(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec}


@case("crd-cel-validation")
def _cel_validation(api: RawApi, ns: str) -> Any:
    """x-kubernetes-validations: a message, no message (the rule is quoted), reason and
    fieldPath, rules on list items; a valid object passes."""
    group = f"cel{ns}.example.com"
    api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget",
                           "listKind": "GadgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object",
                         "x-kubernetes-validations": [
                             {"rule": "self.min <= self.max",
                              "message": "min must not exceed max"},
                             {"rule": "!has(self.mode) || self.mode != 'Off' || self.max == 0"},
                             {"rule": "self.min >= 0", "fieldPath": ".min",
                              "reason": "FieldValueForbidden", "message": "no negatives"}],
                         "properties": {
                             "min": {"type": "integer"}, "max": {"type": "integer"},
                             "mode": {"type": "string"},
                             "names": {"type": "array", "items": {
                                 "type": "string", "x-kubernetes-validations": [{
                                     "rule": "self.startsWith('n')",
                                     "message": "must start with n"}]}}}}}}}}]}})
    path = f"/apis/{group}/v1/namespaces/{ns}/gadgets"
    deadline = time.monotonic() + 30
    while api.get(path).status != 200:
        assert time.monotonic() < deadline, f"{path} never served"
        time.sleep(0.2)

    def gadget(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": f"{group}/v1", "kind": "Gadget", "metadata": {"name": name},
                "spec": spec}

    return [_invalid(api.post(path, gadget("ok", {"min": 1, "max": 2, "names": ["na"]}))),
            _invalid(api.post(path, gadget("bad", {"min": -3, "max": -5, "mode": "Off",
                                                   "names": ["x", "ny", "z"]})))]
