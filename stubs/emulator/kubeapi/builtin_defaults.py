"""Fields the API server (its registry strategies and admission) fills on built-in types."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from .resources import ResourceType


def builtin_defaults(rt: ResourceType, obj: dict[str, Any], ips: Iterator[int]) -> None:
    """Default `obj` in place; `ips` numbers the ClusterIPs handed to new Services."""
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
    elif rt.key == ("", "configmaps"):
        obj.setdefault("data", obj.get("data") or {})
