"""OpenAPI v2 and v3 documents for the built-in kinds and every served CRD.

kubectl needs them: client-side `apply`/`create` validation ("failed to download openapi"
without them), `explain`, and the strategic-merge metadata of client-side apply.

Built-in kinds: the schemas come from the official Python client's models (pydantic, with
upstream's field names, descriptions and required fields, generated from the upstream
OpenAPI), rewritten into OpenAPI form: `anyOf [X, null]` becomes X, int-or-string fields
carry `x-kubernetes-int-or-string`, quantities accept numbers, and lists the server merges
by key carry `x-kubernetes-patch-merge-key`/`-strategy` (patches.MERGE_KEYS). Why not ship
upstream's documents: they are megabytes per version, and the client is already pinned
to the Kubernetes minor the emulator claims. Built once per process, off the event loop.

Custom resources: each served version's `openAPIV3Schema` with `apiVersion`, `kind` and
`metadata` added, as apiextensions-apiserver publishes them; built per request from the
stored CRDs, so a new CRD appears at once. Top-level schemas carry
`x-kubernetes-group-version-kind`, which is how kubectl finds a kind's schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from typing import Any

from .patches import MERGE_KEYS, SERVICE_PORT_KEY
from .resources import ALL_VERBS, ResourceType

Schema = dict[str, Any]

# Python client model per built-in kind (group, plural) -> model class name.
MODELS: dict[tuple[str, str], str] = {
    ("", "namespaces"): "V1Namespace", ("", "nodes"): "V1Node", ("", "pods"): "V1Pod",
    ("", "services"): "V1Service", ("", "endpoints"): "V1Endpoints",
    ("", "secrets"): "V1Secret", ("", "configmaps"): "V1ConfigMap",
    ("", "serviceaccounts"): "V1ServiceAccount", ("", "events"): "CoreV1Event",
    ("", "persistentvolumeclaims"): "V1PersistentVolumeClaim",
    ("", "resourcequotas"): "V1ResourceQuota",
    ("apps", "deployments"): "V1Deployment", ("apps", "statefulsets"): "V1StatefulSet",
    ("apps", "daemonsets"): "V1DaemonSet", ("apps", "replicasets"): "V1ReplicaSet",
    ("batch", "jobs"): "V1Job",
    ("apiextensions.k8s.io", "customresourcedefinitions"): "V1CustomResourceDefinition",
    ("coordination.k8s.io", "leases"): "V1Lease", ("events.k8s.io", "events"): "EventsV1Event",
    ("discovery.k8s.io", "endpointslices"): "V1EndpointSlice",
    ("rbac.authorization.k8s.io", "clusterroles"): "V1ClusterRole",
    ("rbac.authorization.k8s.io", "clusterrolebindings"): "V1ClusterRoleBinding",
    ("rbac.authorization.k8s.io", "roles"): "V1Role",
    ("rbac.authorization.k8s.io", "rolebindings"): "V1RoleBinding",
    ("authorization.k8s.io", "selfsubjectaccessreviews"): "V1SelfSubjectAccessReview",
    ("authorization.k8s.io", "selfsubjectrulesreviews"): "V1SelfSubjectRulesReview",
    ("authentication.k8s.io", "selfsubjectreviews"): "V1SelfSubjectReview",
}
EXTRA_MODELS = ("V1Scale", "V1Status")
REF = "#/components/schemas/"
# resource.Quantity fields: the client types them as strings, the API accepts numbers too.
QUANTITY_MAPS = {"limits", "requests", "capacity", "allocatable", "hard", "used"}
QUANTITY_FIELDS = {"sizeLimit"}
QUANTITY: Schema = {"anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}],
                    "x-kubernetes-int-or-string": True}
_LOCK = threading.Lock()
_BUILTIN: dict[str, Schema] | None = None


def _clean(node: Any, prop: str = "", owner: str = "") -> Any:
    """pydantic JSON Schema -> OpenAPI 3.0 as the API server publishes it."""
    if isinstance(node, list):
        return [_clean(n, prop, owner) for n in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        non_null = [s for s in any_of if s != {"type": "null"}]
        if len(non_null) == 1 and len(non_null) < len(any_of):
            node.pop("anyOf")
            node = {**non_null[0], **node}
        elif {s.get("type") for s in non_null} == {"integer", "string"} and len(non_null) == 2:
            node["x-kubernetes-int-or-string"] = True
    node.pop("title", None)
    if node.get("default", 0) is None:
        node.pop("default")
    if node.get("additionalProperties") is False:
        node.pop("additionalProperties")
    desc = node.get("description")
    if isinstance(desc, str) and "\n\nAttributes:" in desc:
        node["description"] = desc.split("\n\nAttributes:")[0].strip()
    out: Schema = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _clean(v, name, owner) for name, v in value.items()}
        else:
            out[key] = _clean(value, prop, owner)
    if "$ref" in out and len(out) > 1:
        # OpenAPI ignores siblings of $ref; upstream wraps it so the description shows.
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    if prop in QUANTITY_MAPS and out.get("type") == "object":
        out["additionalProperties"] = dict(QUANTITY)
    if prop in QUANTITY_FIELDS and out.get("type") == "string":
        out.pop("type")
        out.update(copy.deepcopy(QUANTITY))
    if out.get("type") == "array" and prop in MERGE_KEYS:
        key = SERVICE_PORT_KEY if (prop, owner) == ("ports", "V1ServiceSpec") else MERGE_KEYS[prop]
        out["x-kubernetes-patch-strategy"] = "merge"
        if key:
            out["x-kubernetes-patch-merge-key"] = key
    return out


def _gvk(rt: ResourceType) -> list[dict[str, str]]:
    return [{"group": rt.group, "version": rt.version, "kind": rt.kind}]


def builtin_schemas() -> dict[str, Schema]:
    """Every built-in kind's schema and the schemas they reference (cached per process)."""
    global _BUILTIN
    with _LOCK:
        if _BUILTIN is None:
            from kubernetes.client import models
            from pydantic.json_schema import models_json_schema

            classes = [getattr(models, n) for n in [*MODELS.values(), *EXTRA_MODELS]]
            _, top = models_json_schema([(c, "validation") for c in classes], by_alias=True,
                                        ref_template=REF + "{model}")
            _BUILTIN = {name: _clean(s, owner=name) for name, s in top["$defs"].items()}
        return _BUILTIN


def _crd_schema(crd: dict[str, Any], version: dict[str, Any]) -> Schema:
    schema = copy.deepcopy(((version.get("schema") or {}).get("openAPIV3Schema")) or {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True})
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "description": "APIVersion defines the versioned "
                           "schema of this representation of an object."}
    props["kind"] = {"type": "string", "description": "Kind is a string value representing "
                     "the REST resource this object represents."}
    props["metadata"] = {"allOf": [{"$ref": REF + "V1ObjectMeta"}],
                         "description": "Standard object's metadata."}
    schema.setdefault("type", "object")
    spec = crd.get("spec") or {}
    schema["x-kubernetes-group-version-kind"] = [
        {"group": spec.get("group", ""), "version": version.get("name", ""),
         "kind": (spec.get("names") or {}).get("kind", "")}]
    return schema


def crd_definition_name(group: str, version: str, kind: str) -> str:
    """Upstream's naming: the group reversed, then version and kind (io.fluxcd...v2.X)."""
    return ".".join([*reversed(group.split(".")), version, kind])


def group_version_schemas(group: str, version: str, types: list[ResourceType],
                          crds: list[dict[str, Any]]) -> dict[str, Schema]:
    """The components.schemas of one group/version document."""
    builtin = builtin_schemas()
    out: dict[str, Schema] = {}
    for rt in types:
        model = MODELS.get(rt.key)
        if model and model in builtin:
            out[model] = {**builtin[model], "x-kubernetes-group-version-kind": _gvk(rt)}
    for crd in crds:
        spec = crd.get("spec") or {}
        if spec.get("group") != group:
            continue
        for v in spec.get("versions") or []:
            if v.get("name") == version and v.get("served", True):
                kind = (spec.get("names") or {}).get("kind", "")
                out[crd_definition_name(group, version, kind)] = _crd_schema(crd, v)
    _add_references(out, builtin)
    return out


def _add_references(out: dict[str, Schema], builtin: dict[str, Schema]) -> None:
    """Pull in every built-in schema `out` references, transitively."""
    pending = [json.dumps(s) for s in out.values()]
    while pending:
        text = pending.pop()
        start = 0
        while (i := text.find(REF, start)) >= 0:
            j = text.find('"', i)
            name = text[i + len(REF):j]
            start = j
            if name not in out and name in builtin:
                out[name] = builtin[name]
                pending.append(json.dumps(builtin[name]))


def schema_name(rt: ResourceType) -> str | None:
    """The components.schemas key of a kind's schema."""
    return MODELS.get(rt.key) or crd_definition_name(rt.group, rt.version, rt.kind)


def paths(types: list[ResourceType], schemas: dict[str, Schema]) -> dict[str, Any]:
    """A `get` per object path, tagged with its kind: explain maps a resource to a schema
    through these (x-kubernetes-group-version-kind on the operation, as upstream)."""
    out: dict[str, Any] = {}
    for rt in types:
        name = schema_name(rt)
        if name not in schemas or rt.verbs != ALL_VERBS:
            continue
        base = f"/apis/{rt.group}/{rt.version}" if rt.group else f"/api/{rt.version}"
        ns = "/namespaces/{namespace}" if rt.namespaced else ""
        ref = {"$ref": REF + str(name)}
        out[f"{base}{ns}/{rt.plural}/{{name}}"] = {"get": {
            "description": f"read the specified {rt.kind}",
            "operationId": f"read{rt.kind}",
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": ref}}}},
            "x-kubernetes-action": "get",
            "x-kubernetes-group-version-kind": _gvk(rt)[0]},
            # kubectl looks here for fieldValidation to validate on the server.
            "patch": {
                "description": f"partially update the specified {rt.kind}",
                "operationId": f"patch{rt.kind}",
                "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                               for n in ("dryRun", "fieldManager", "fieldValidation",
                                         "force")],
                "responses": {"200": {"description": "OK", "content": {
                    "application/json": {"schema": ref}}}},
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": _gvk(rt)[0]}}
    return out


def kind_schema(rt: ResourceType, crds: list[dict[str, Any]]) -> Schema | None:
    """The schema a write of `rt` is checked against (None: not known here)."""
    model = MODELS.get(rt.key)
    if model:
        return builtin_schemas().get(model)
    for crd in crds:
        spec = crd.get("spec") or {}
        if spec.get("group") == rt.group and (spec.get("names") or {}).get(
                "plural") == rt.plural:
            for v in spec.get("versions") or []:
                if v.get("name") == rt.version:
                    return _crd_schema(crd, v)
    return None


def v3_document(title_version: str, schemas: dict[str, Schema],
                types: list[ResourceType] | None = None) -> dict[str, Any]:
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": title_version},
            "paths": paths(types or [], schemas), "components": {"schemas": schemas}}


def v2_document(title_version: str, schemas: dict[str, Schema]) -> dict[str, Any]:
    text = json.dumps(schemas).replace(REF, "#/definitions/")
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": title_version},
            "paths": {}, "definitions": json.loads(text)}


def etag(doc: dict[str, Any]) -> str:
    """The `hash` kube-apiserver puts in serverRelativeURL (upper-case hex SHA-512)."""
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()
