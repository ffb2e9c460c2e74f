"""Fields of built-in kinds an update may not change, as kube-apiserver v1.34 refuses them
(each a cause of a 422 Invalid; wording observed on the oracle, pinned by the differential
case `update-422-immutable`), and the allocated values an update keeps.

- Deployment, ReplicaSet, DaemonSet: `spec.selector` ("field is immutable").
- StatefulSet: any spec field but replicas, ordinals, template, updateStrategy,
  revisionHistoryLimit, persistentVolumeClaimRetentionPolicy, minReadySeconds (one
  Forbidden cause on `spec`).
- Job: `spec.selector`, `spec.completions`, `spec.template` (the real message shows the
  template as a Go struct dump; ours shows it as JSON: docs/DESIGN.md).
- Service: `spec.clusterIP(s)` once set ("may not change once set"); an update that leaves
  them out keeps the allocated ones, and a changed clusterIP leads clusterIPs, as the
  Service REST storage normalises them.
- ConfigMap, Secret with `immutable: true`: `data`, `binaryData` and `immutable` itself
  (Forbidden); Secret `type` always.
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]
Cause = dict[str, str]
_SELECTOR_KEYS = {("apps", "deployments"), ("apps", "replicasets"), ("apps", "daemonsets")}
_STS_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
_STS_MESSAGE = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'revisionHistoryLimit', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
_SEALED = "Forbidden: field is immutable when `immutable` is set"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _selector_json(selector: Any) -> str:
    """A LabelSelector as Go marshals it: matchLabels (keys sorted) before
    matchExpressions."""
    if not isinstance(selector, dict):
        return _json(selector)
    parts = []
    if selector.get("matchLabels"):
        parts.append(f'"matchLabels":{_json(selector["matchLabels"])}')
    if selector.get("matchExpressions"):
        exprs = [{k: e[k] for k in ("key", "operator", "values") if k in e}
                 for e in selector["matchExpressions"] if isinstance(e, dict)]
        parts.append('"matchExpressions":' + json.dumps(exprs, separators=(",", ":")))
    return "{" + ",".join(parts) + "}"


def _immutable(field: str, shown: str) -> Cause:
    return {"reason": "FieldValueInvalid", "field": field,
            "message": f"Invalid value: {shown}: field is immutable"}


def _forbidden(field: str, message: str) -> Cause:
    return {"reason": "FieldValueForbidden", "field": field, "message": message}


def keep_allocated(key: tuple[str, str], old: Obj, new: Obj) -> None:
    """Before defaulting an update: a Service update without clusterIP keeps the old one
    (otherwise defaulting would allocate a new address)."""
    if key != ("", "services"):
        return
    old_spec, spec = old.get("spec") or {}, new.get("spec")
    if not isinstance(spec, dict) or not old_spec.get("clusterIP"):
        return
    if not spec.get("clusterIP") and spec.get("type") != "ExternalName":
        spec["clusterIP"] = old_spec["clusterIP"]
        if old_spec.get("clusterIPs") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    elif spec.get("clusterIP") != old_spec["clusterIP"] and \
            spec.get("clusterIPs") == old_spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]  # a new clusterIP leads, as upstream's


def causes(key: tuple[str, str], old: Obj, new: Obj) -> list[Cause]:
    """The 422 causes of an update of a built-in object that changes what may not change."""
    old_spec: Obj = old["spec"] if isinstance(old.get("spec"), dict) else {}
    spec: Obj = new["spec"] if isinstance(new.get("spec"), dict) else {}
    out: list[Cause] = []
    if key in _SELECTOR_KEYS and spec.get("selector") != old_spec.get("selector"):
        out.append(_immutable("spec.selector", _selector_json(spec.get("selector"))))
    elif key == ("apps", "statefulsets"):
        def rest(s: Obj) -> Obj:
            return {k: v for k, v in s.items() if k not in _STS_MUTABLE}
        if rest(spec) != rest(old_spec):
            out.append(_forbidden("spec", _STS_MESSAGE))
    elif key == ("batch", "jobs"):
        if spec.get("selector") != old_spec.get("selector"):
            out.append(_immutable("spec.selector", _selector_json(spec.get("selector"))))
        if spec.get("completions") != old_spec.get("completions"):
            out.append(_immutable("spec.completions", _json(spec.get("completions"))))
        if spec.get("template") != old_spec.get("template"):
            out.append(_immutable("spec.template", _json(spec.get("template"))))
    elif key == ("", "services"):
        old_ip, ip = old_spec.get("clusterIP"), spec.get("clusterIP")
        if old_ip and old_ip != "None" and ip != old_ip:
            shown = spec.get("clusterIPs") or ([ip] if ip else [])
            out.append({"reason": "FieldValueInvalid", "field": "spec.clusterIPs[0]",
                        "message": f"Invalid value: {_json(shown)}: may not change once set"})
    elif key in (("", "configmaps"), ("", "secrets")):
        if old.get("immutable") is True:
            for field in ("data", "binaryData"):
                if (new.get(field) or {}) != (old.get(field) or {}):
                    out.append(_forbidden(field, _SEALED))
            if new.get("immutable") is not True:
                out.append(_forbidden("immutable", _SEALED))
        if key == ("", "secrets") and new.get("type") != old.get("type"):
            out.append(_immutable("type", _json(new.get("type"))))
    return out
