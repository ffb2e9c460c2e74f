"""The one Node of the emulated Sovereign, and the scheduler that binds pods to it.

The Node looks like kind's control-plane node: Ready, with an InternalIP (only ever written
into status, never contacted), capacity and nodeInfo. Pods without `spec.nodeName` are
bound to it by the scheduler, which writes `PodScheduled` and the `Scheduled` event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent, now_iso
from .base import Controller, Key
from .events import NODE_NAME, EventRecorder, object_ref

NODE_IP = "172.18.0.2"
KUBELET_VERSION = "v1.34.4"


def node_manifest() -> dict[str, Any]:
    now = now_iso()

    def cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {"type": type_, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}

    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
                 "providerID": f"kind://docker/sovereign/{NODE_NAME}"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": NODE_IP},
                          {"type": "Hostname", "address": NODE_NAME}],
            "capacity": {"cpu": "8", "memory": "16315484Ki", "pods": "110",
                         "ephemeral-storage": "102626232Ki"},
            "allocatable": {"cpu": "8", "memory": "16315484Ki", "pods": "110",
                            "ephemeral-storage": "102626232Ki"},
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure",
                     "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID",
                     "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": "6c1f3c57-1f7e-4d55-9a55-2b3c1d7e0a11",
                "containerRuntimeVersion": "containerd://1.7.18",
                "kernelVersion": "6.8.0-45-generic",
                "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "machineID": "0e5c8c3b4f0a4b6c9d0e1f2a3b4c5d6e",
                "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": "0e5c8c3b-4f0a-4b6c-9d0e-1f2a3b4c5d6e",
            },
        },
    }


class NodeController(Controller):
    """Keeps the node present (and its status Ready) and schedules unbound pods onto it."""

    name = "node-lifecycle"

    def __init__(self) -> None:
        super().__init__()
        self.recorder: EventRecorder | None = None

    def _nodes(self) -> ResourceType:
        return self.rt("", "v1", "nodes")

    def _pods(self) -> ResourceType:
        return self.rt("", "v1", "pods")

    async def setup(self) -> None:
        self.recorder = EventRecorder(self.store, "default-scheduler")
        if self.store.try_get(self._nodes(), None, NODE_NAME) is None:
            self.store.create(self._nodes(), None, node_manifest())

    def watches(self) -> Iterable[ResourceType]:
        return (self._nodes(), self._pods())

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj["kind"] == "Node":
            if event.type == "DELETED" and meta["name"] == NODE_NAME:
                yield ("Node", "", NODE_NAME)
            return
        if event.type != "DELETED" and not (event.obj.get("spec") or {}).get("nodeName"):
            yield ("Pod", meta["namespace"], meta["name"])

    async def reconcile(self, key: Key) -> float | None:
        kind, namespace, name = key
        if kind == "Node":
            if self.store.try_get(self._nodes(), None, NODE_NAME) is None:
                self.store.create(self._nodes(), None, node_manifest())
            return None
        pod = self.store.try_get(self._pods(), namespace, name)
        if pod is None or (pod.get("spec") or {}).get("nodeName"):
            return None
        self.bind(pod)
        return None

    def bind(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]

        def set_node(obj: dict[str, Any]) -> dict[str, Any]:
            obj.setdefault("spec", {})["nodeName"] = NODE_NAME
            return obj

        bound = self.store.patch(self._pods(), meta["namespace"], meta["name"], set_node)

        def scheduled(obj: dict[str, Any]) -> dict[str, Any]:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            conds = [c for c in status.get("conditions") or [] if c["type"] != "PodScheduled"]
            conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": now_iso()})
            status["conditions"] = conds
            return obj

        self.store.patch(self._pods(), meta["namespace"], meta["name"], scheduled,
                         subresource="status")
        assert self.recorder is not None
        self.recorder.record(object_ref(bound), "Normal", "Scheduled",
                             f"Successfully assigned {meta['namespace']}/{meta['name']} "
                             f"to {NODE_NAME}")
