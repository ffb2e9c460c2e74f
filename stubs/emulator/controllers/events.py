"""core/v1 Events as the Kubernetes event recorder writes them.

A repeat of the same (object, type, reason, message, source) within the dedup window bumps
`count` and `lastTimestamp` of the existing Event instead of creating a new one, as
client-go's EventCorrelator does; so `kubectl describe` shows `(x5 over 2m)`.
"""

from __future__ import annotations

import time
from typing import Any

from ..kubeapi.store import Store, now_iso

Obj = dict[str, Any]
NODE_NAME = "sovereign-control-plane"


def object_ref(obj: Obj, field_path: str = "") -> Obj:
    meta = obj["metadata"]
    ref = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", ""),
           "name": meta["name"], "uid": meta.get("uid", ""),
           "resourceVersion": meta.get("resourceVersion", "")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def container_field_path(container: str, init: bool = False) -> str:
    return f"spec.{'initContainers' if init else 'containers'}{{{container}}}"


class EventRecorder:
    def __init__(self, store: Store, component: str, host: str | None = None) -> None:
        self.store = store
        self.component = component
        self.host = host
        # dedup key -> (namespace, event name)
        self._seen: dict[tuple[str, ...], tuple[str, str]] = {}

    def _rt(self) -> Any:
        rt = self.store.registry.get("", "v1", "events")
        assert rt is not None
        return rt

    def record(self, ref: Obj, type_: str, reason: str, message: str) -> None:
        """Record (or count again) an event about the object `ref` points at."""
        namespace = ref.get("namespace") or "default"
        key = (ref.get("uid", ""), ref.get("kind", ""), namespace, ref.get("name", ""),
               ref.get("fieldPath", ""), type_, reason, message)
        rt = self._rt()
        stamp = now_iso()
        if key in self._seen:
            ns, name = self._seen[key]
            current = self.store.try_get(rt, ns, name)
            if current is not None:
                current["count"] = int(current.get("count", 1)) + 1
                current["lastTimestamp"] = stamp
                current["involvedObject"] = ref
                self.store.replace(rt, ns, name, current)
                return
        if namespace not in self.store.namespaces():
            return  # the namespace went away with its objects
        source: Obj = {"component": self.component}
        if self.host:
            source["host"] = self.host
        name = f"{ref.get('name', 'unknown')}.{time.time_ns():x}"
        event = {
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": source,
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "eventTime": None,
            "reportingComponent": self.component,
            "reportingInstance": self.host or "",
        }
        self.store.create(rt, namespace, event)
        self._seen[key] = (namespace, name)

    def forget(self, uid: str) -> None:
        """Drop dedup state of a deleted object."""
        for key in [k for k in self._seen if k[0] == uid]:
            del self._seen[key]
