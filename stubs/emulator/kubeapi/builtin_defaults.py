"""Fields the API server (its registry strategies and admission) fills on built-in types."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from . import workload_defaults
from .resources import ResourceType

WORKLOADS = {("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
             ("apps", "replicasets"), ("batch", "jobs")}


def _quantity(value: Any) -> Any:
    """resource.Quantity's canonical string for a number (1 -> "1", 0.5 -> "500m")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


def _canonical_quantities(pod_spec: Any) -> None:
    """The API server stores quantities as strings (a manifest may say `cpu: 1`)."""
    if not isinstance(pod_spec, dict):
        return
    for c in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or []):
        resources = c.get("resources") if isinstance(c, dict) else None
        for key in ("limits", "requests"):
            values = (resources or {}).get(key)
            if isinstance(values, dict):
                for name, v in values.items():
                    values[name] = _quantity(v)


def builtin_defaults(rt: ResourceType, obj: dict[str, Any], ips: Iterator[int]) -> None:
    """Default `obj` in place; `ips` numbers the ClusterIPs handed to new Services."""
    if rt.key == ("", "pods"):
        _canonical_quantities(obj.get("spec"))
        workload_defaults.pod(obj)
    elif rt.key in WORKLOADS:
        template = ((obj.get("spec") or {}).get("template") or {})
        _canonical_quantities(template.get("spec") if isinstance(template, dict) else None)
        workload_defaults.WORKLOAD_DEFAULTS[rt.key](obj)
    if rt.key == ("", "secrets"):
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        if string_data:
            data = obj.setdefault("data", {}) or {}
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
    elif rt.key == ("", "namespaces"):
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {})["phase"] = "Active"
        obj["metadata"].setdefault("labels", {})[
            "kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif rt.key == ("", "services"):
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        if spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
            n = next(ips)
            spec["clusterIP"] = f"10.96.{n // 250}.{n % 250 + 1}"
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p.get("port"))
        workload_defaults.service(spec)
    elif rt.key == ("", "configmaps"):
        obj.setdefault("data", obj.get("data") or {})
