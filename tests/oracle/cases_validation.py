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
        "name": "c", "labels": {"bad key": "bad value!"}},  # one key: Go map order is random
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


def _named(kind: str, name: str | None = None, generate: str | None = None,
           **top: Any) -> dict[str, Any]:
    group_version = {"Deployment": "apps/v1", "StatefulSet": "apps/v1",
                     "Role": "rbac.authorization.k8s.io/v1",
                     "ClusterRole": "rbac.authorization.k8s.io/v1",
                     "HelmRelease": "helm.toolkit.fluxcd.io/v2",
                     "HTTPRoute": "gateway.networking.k8s.io/v1"}.get(kind, "v1")
    meta = {k: v for k, v in (("name", name), ("generateName", generate)) if v is not None}
    return {"apiVersion": group_version, "kind": kind, "metadata": meta, **top}


def _generated(answer: Answer, prefix: str | None) -> list[Any]:
    """An answer with the name made from `prefix` (random suffix) shown as `<prefix>*`."""
    import json
    import re

    text = json.dumps(answer.body)
    if prefix:
        text = re.sub(re.escape(prefix[:58]) + "[bcdfghjklmnpqrstvwxz2456789]{5}",
                      f"{prefix[:58]}*", text)
    body = json.loads(text)
    if isinstance(body, dict) and body.get("kind") != "Status":
        body = (body.get("metadata") or {}).get("name")
    return [answer.status, body]


@case("create-422-names")
def _names(api: RawApi, ns: str) -> Any:
    """metadata.name and generateName per kind: subdomain, label, DNS-1035, path segment,
    none (Events), custom resources; lengths; a generateName checked as a prefix and the
    name made from it; the name's causes before the spec's."""
    core, rbac = f"/api/v1/namespaces/{ns}", "/apis/rbac.authorization.k8s.io/v1"
    workload = {"selector": {"matchLabels": {"a": "b"}}, "template": {
        "metadata": {"labels": {"a": "b"}},
        "spec": {"containers": [{"name": "c", "image": "x"}]}}}
    helm = {"interval": "1m", "chart": {"spec": {
        "chart": "x", "sourceRef": {"kind": "HelmRepository", "name": "r"}}}}
    sends: list[tuple[str, dict[str, Any]]] = [
        (f"{core}/configmaps", _named("ConfigMap", "Bad_Name")),
        (f"{core}/configmaps", _named("ConfigMap", "a..b")),
        (f"{core}/configmaps", _named("ConfigMap", "a" * 254)),
        (f"{core}/configmaps", _named("ConfigMap", "B" * 254)),
        (f"{core}/configmaps", _named("ConfigMap", "dotted.name-1")),
        (f"{core}/configmaps", _named("ConfigMap", generate="Bad-")),
        (f"{core}/configmaps", _named("ConfigMap", generate="good-")),
        (f"{core}/configmaps", _named("ConfigMap", generate="g" * 70)),
        (f"{core}/configmaps", _named("ConfigMap", "ok", generate="Bad-")),
        (f"{core}/secrets", _named("Secret", "S")),
        (f"{core}/serviceaccounts", _named("ServiceAccount", "-sa")),
        ("/api/v1/namespaces", _named("Namespace", f"{ns}.dotted")),
        ("/api/v1/namespaces", _named("Namespace", f"{ns}-" + "n" * 60)),
        ("/api/v1/namespaces", _named("Namespace", f"{ns}_X")),
        (f"{core}/services", _named("Service", "1abc", spec={"ports": [{"port": 80}]})),
        (f"{core}/services", _named("Service", "a.b", spec={"ports": [{"port": 0}]})),
        (f"{core}/pods", _named("Pod", "p.dotted", spec=workload["template"]["spec"])),
        (f"{core}/events", _named("Event", "Any_Name", involvedObject={
            "kind": "Pod", "name": "p", "namespace": ns})),
        (f"/apis/apps/v1/namespaces/{ns}/statefulsets",
         _named("StatefulSet", "s.dotted", spec=workload)),
        (f"/apis/apps/v1/namespaces/{ns}/deployments", _named("Deployment", "Dep", spec={
            **workload, "replicas": -1})),
        (f"{rbac}/namespaces/{ns}/roles", _named("Role", "system:Role")),
        (f"{rbac}/namespaces/{ns}/roles", _named("Role", "a%b")),
        (f"{rbac}/namespaces/{ns}/roles", _named("Role", "..")),
        (f"/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases",
         _named("HelmRelease", "a:b", spec=helm)),
        (f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes",
         _named("HTTPRoute", generate="Route")),
    ]
    out = []
    for path, body in sends:
        answer = api.post(path, body)
        out.append(_generated(answer, body["metadata"].get("generateName")))
    return out


def _refused_or_status(answer: Answer) -> list[Any]:
    return _invalid(answer) if answer.status >= 300 else [answer.status]


@case("update-422-immutable")
def _immutable(api: RawApi, ns: str) -> Any:
    """Updates of fields a built-in kind keeps: workload selectors, StatefulSet spec, Job
    template and completions, Service clusterIP, immutable ConfigMap/Secret data, Secret
    type; and updates that may pass (scale, labels, a Service PUT without its clusterIP)."""
    core, apps = f"/api/v1/namespaces/{ns}", f"/apis/apps/v1/namespaces/{ns}"
    jobs = f"/apis/batch/v1/namespaces/{ns}/jobs"
    more = {"spec": {"selector": {"matchLabels": {"app": "d", "tier": "x"}}}}
    dep = deployment("d")
    dep["spec"]["template"]["metadata"]["labels"]["tier"] = "x"
    sts = {**dep, "kind": "StatefulSet"}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "c", "image": "x"}]}}}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": 80}]}}
    sealed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sealed"},
              "data": {"a": "1"}, "immutable": True}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"},
              "stringData": {"a": "1"}, "immutable": True}
    for path, body in ((f"{apps}/deployments", dep), (f"{apps}/statefulsets", sts),
                       (jobs, job), (f"{core}/services", svc), (cms(ns), sealed),
                       (f"{core}/secrets", secret)):
        created = api.post(path, body)
        assert created.status == 201, created.body
    patches = [
        (f"{apps}/deployments/d", more), (f"{apps}/statefulsets/d", more),
        (f"{apps}/statefulsets/d", {"spec": {"serviceName": "other"}}),
        (f"{apps}/statefulsets/d", {"spec": {"replicas": 2}}),
        (f"{jobs}/j", {"spec": {"completions": 3}}),
        (f"{core}/services/s", {"spec": {"clusterIP": "10.0.0.99"}}),
        (f"{cms(ns)}/sealed", {"data": {"a": "2"}}),
        (f"{cms(ns)}/sealed", {"immutable": False}),
        (f"{cms(ns)}/sealed", {"metadata": {"labels": {"x": "y"}}}),
        (f"{core}/secrets/sec", {"data": {"a": "Mg=="}}),
        (f"{core}/secrets/sec", {"type": "example.com/other"}),
    ]
    out: list[Any] = [_refused_or_status(api.patch(path, body, MERGE))
                      for path, body in patches]
    template = _invalid(api.patch(f"{jobs}/j", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "y"}]}}}}, MERGE))
    # The real message shows the template as a Go struct dump (docs/DESIGN.md): not compared.
    out.append([template[:4], [c[:2] for c in template[4]] if len(template) > 4 else None])
    stored = api.get(f"{core}/services/s").body
    put = {**svc, "metadata": {"name": "s", "labels": {"x": "y"}}}
    answer = api.put(f"{core}/services/s", put)
    out.append([answer.status, (answer.body.get("spec") or {}).get("clusterIP")
                == stored["spec"]["clusterIP"]])
    return out
