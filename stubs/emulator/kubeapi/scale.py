"""The `/scale` subresource: an `autoscaling/v1` Scale view of a workload's replica count.

Deployments, StatefulSets and ReplicaSets (and CRDs declaring `subresources.scale`) answer
GET with a Scale; PUT or PATCH of the Scale writes `spec.replicas` of the parent (a
real kube-apiserver's registry does the same through the parent's storage), and the answer
is the Scale after the write, which is what `kubectl scale` reads back.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .resources import ResourceType

Obj = dict[str, Any]
DEFAULT_PATHS = {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                 "labelSelectorPath": ".status.selector"}


def _paths(rt: ResourceType) -> dict[str, str]:
    return dict(rt.scale_paths) if rt.scale_paths else dict(DEFAULT_PATHS)


def _get(obj: Any, path: str) -> Any:
    for key in [p for p in path.split(".") if p]:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _selector_text(obj: Obj) -> str:
    sel = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        values = ",".join(e.get("values") or [])
        op = e.get("operator")
        parts.append({"In": f"{e.get('key')} in ({values})",
                      "NotIn": f"{e.get('key')} notin ({values})",
                      "Exists": str(e.get("key")),
                      "DoesNotExist": f"!{e.get('key')}"}.get(str(op), ""))
    return ",".join(p for p in parts if p)


def to_scale(rt: ResourceType, obj: Obj) -> Obj:
    paths = _paths(rt)
    meta = obj["metadata"]
    status: Obj = {"replicas": int(_get(obj, paths["statusReplicasPath"]) or 0)}
    if rt.scale_paths:
        selector = _get(obj, paths.get("labelSelectorPath", "")) if paths.get(
            "labelSelectorPath") else None
    else:
        selector = _selector_text(obj)
    if selector:
        status["selector"] = selector
    spec_replicas = _get(obj, paths["specReplicasPath"])
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                              "creationTimestamp") if k in meta},
            "spec": {"replicas": int(spec_replicas if spec_replicas is not None else 1)},
            "status": status}


def replicas_of(scale: Obj, kind: str, name: str) -> int:
    """spec.replicas of a Scale body, validated as the API server does (>= 0)."""
    value = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise errors.bad_request(f"Scale.spec.replicas must be an integer, got {value!r}")
    if value < 0:
        raise errors.invalid("Scale", name, "spec.replicas",
                             f"Invalid value: {value}: must be greater than or equal to 0",
                             reason="FieldValueInvalid")
    return value


def with_replicas(rt: ResourceType, obj: Obj, replicas: int) -> Obj:
    """A copy of the parent with its spec replicas set (the parent's own write path stores it)."""
    keys = [p for p in _paths(rt)["specReplicasPath"].split(".") if p]
    target = obj
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = replicas
    return obj
