"""ResourceQuota admission for pods, as kube-apiserver's ResourceQuota plugin decides it.

On a pod create, every ResourceQuota in the pod's namespace is checked, in name order:
  - a quota that tracks cpu or memory requires each container to state it (else
    `failed quota: <q>: must specify limits.memory for: <c>; requests.memory for: <c>`);
  - the namespace's usage (its pods not Succeeded/Failed) plus the new pod must stay within
    `spec.hard` (else `exceeded quota: <q>, requested: k=v, used: k=v, limited: k=v`).
Either is a 403 Forbidden `pods "<name>" is forbidden: ...` (the name is the generateName
prefix for a pod whose name the server generates, as the replicaset controller's are).

Usage is computed at admission from the stored pods (what the quota controller keeps in
`status.used`); requests default to limits where only limits are set (API defaulting).
Sources: kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota
(controller.go checkRequest), pkg/quota/v1/evaluator/core/pods.go (Constraints, usage).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import errors
from .quantity import quantity

Obj = dict[str, Any]
# Quota resource names a pod's containers are measured against.
COMPUTE = {"requests.cpu": ("requests", "cpu"), "requests.memory": ("requests", "memory"),
           "limits.cpu": ("limits", "cpu"), "limits.memory": ("limits", "memory"),
           "cpu": ("requests", "cpu"), "memory": ("requests", "memory")}
COUNTS = ("pods", "count/pods")


def _container_amount(c: Obj, kind: str, resource: str) -> str | None:
    res = c.get("resources") or {}
    value = (res.get(kind) or {}).get(resource)
    if value is None and kind == "requests":
        value = (res.get("limits") or {}).get(resource)  # requests default to limits
    return None if value is None else str(value)


def pod_usage(pod: Obj) -> dict[str, float]:
    """What one pod counts against a quota (init containers: the largest, as upstream)."""
    spec = pod.get("spec") or {}
    out: dict[str, float] = {"pods": 1.0, "count/pods": 1.0}
    for name, (kind, resource) in COMPUTE.items():
        total = sum(quantity(_container_amount(c, kind, resource) or 0)
                    for c in spec.get("containers") or [])
        init = max((quantity(_container_amount(c, kind, resource) or 0)
                    for c in spec.get("initContainers") or []), default=0.0)
        out[name] = max(total, init)
    return out


def format_quantity(name: str, value: float) -> str:
    """A number back in the units a quota prints (`64Mi`, `500m`, `2`)."""
    if "memory" in name:
        for suffix, unit in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value and value % unit == 0:
                return f"{int(value // unit)}{suffix}"
        return str(int(value))
    if "cpu" in name and value != int(value):
        return f"{round(value * 1000)}m"
    return str(int(value))


def _pretty(values: dict[str, float]) -> str:
    return ",".join(f"{k}={format_quantity(k, v)}" for k, v in sorted(values.items()))


def _missing(pod: Obj, tracked: Iterable[str]) -> str:
    """`limits.memory for: grafana; requests.memory for: grafana` (empty: all stated)."""
    spec = pod.get("spec") or {}
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    parts = []
    for name in sorted(set(tracked) & set(COMPUTE)):
        kind, resource = COMPUTE[name]
        lacking = [str(c.get("name")) for c in containers
                   if _container_amount(c, kind, resource) is None]
        if lacking:
            parts.append(f"{name} for: {','.join(lacking)}")
    return "; ".join(parts)


def check_pod(pod: Obj, display_name: str, quotas: list[Obj],
              namespace_pods: list[Obj]) -> errors.ApiError | None:
    """The Forbidden error admission answers for `pod`, or None when every quota admits it."""
    wanted = pod_usage(pod)
    live = [p for p in namespace_pods
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    for q in sorted(quotas, key=lambda o: o["metadata"]["name"]):
        hard = {k: quantity(v) for k, v in ((q.get("spec") or {}).get("hard") or {}).items()
                if k in COMPUTE or k in COUNTS}
        if not hard:
            continue
        qname = q["metadata"]["name"]
        missing = _missing(pod, hard)
        if missing:
            return forbidden(display_name, f"failed quota: {qname}: must specify {missing}")
        used = {k: sum(pod_usage(p)[k] for p in live) for k in hard}
        over = [k for k in hard if wanted[k] and used[k] + wanted[k] > hard[k]]
        if over:
            return forbidden(
                display_name,
                f"exceeded quota: {qname}, requested: {_pretty({k: wanted[k] for k in over})}, "
                f"used: {_pretty({k: used[k] for k in over})}, "
                f"limited: {_pretty({k: hard[k] for k in over})}")
    return None


def forbidden(name: str, why: str) -> errors.ApiError:
    return errors.ApiError(403, "Forbidden", f'pods "{name}" is forbidden: {why}',
                           {"name": name, "kind": "pods"})
