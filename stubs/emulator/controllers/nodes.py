"""The one Node of the emulated Sovereign, and the scheduler that binds pods to it.

The Node looks like kind's control-plane node: Ready, with an InternalIP (only ever written
into status, never contacted), capacity and nodeInfo. Pods without `spec.nodeName` are
bound to it by the scheduler, which writes `PodScheduled` and the `Scheduled` event.

The scheduler filters as kube-scheduler's default plugins do for this one node
(NodeAffinity: `nodeSelector` and required node affinity; NodeResourcesFit: the pod's
requests against allocatable minus the requests of pods already bound; TaintToleration;
VolumeBinding's PreFilter: every PersistentVolumeClaim a volume names must exist and not be
being deleted, else `persistentvolumeclaim "<name>" not found`, unresolvable by preemption).
A pod that does not fit stays Pending with `PodScheduled=False/Unschedulable` and a Warning
`FailedScheduling` event, worded as upstream (`0/1 nodes are available: 1 node(s) didn't
match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is
not helpful for scheduling.`); it is retried when pods change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kubeapi.quantity import quantity
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

    def _claims(self) -> ResourceType:
        return self.rt("", "v1", "persistentvolumeclaims")

    def watches(self) -> Iterable[ResourceType]:
        return (self._nodes(), self._pods(), self._claims())

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj["kind"] == "PersistentVolumeClaim":
            # A claim that appears (or goes) may decide pods waiting on it.
            for pod in self.store.list(self._pods(), meta["namespace"])[0]:
                if not (pod.get("spec") or {}).get("nodeName") and \
                        meta["name"] in claim_names(pod):
                    yield ("Pod", meta["namespace"], pod["metadata"]["name"])
            return
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
        node = self.store.try_get(self._nodes(), None, NODE_NAME)
        bound = [p for p in self.store.list(self._pods(), None)[0]
                 if (p.get("spec") or {}).get("nodeName") == NODE_NAME
                 and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        why = self.claims_unresolved(pod) or unfit_reason(pod, node or node_manifest(), bound)
        if why is not None:
            self.unschedulable(pod, why)
            return None
        self.bind(pod)
        return None

    def claims_unresolved(self, pod: dict[str, Any]) -> tuple[str, str] | None:
        """VolumeBinding's PreFilter: a claim that is missing or being deleted."""
        ns = pod["metadata"]["namespace"]
        for name in claim_names(pod):
            claim = self.store.try_get(self._claims(), ns, name)
            if claim is None:
                return f'persistentvolumeclaim "{name}" not found', NOT_HELPFUL
            if claim["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{name}" is being deleted', NOT_HELPFUL
        return None

    def unschedulable(self, pod: dict[str, Any], why: tuple[str, str]) -> None:
        reason, preemption = why
        msg = (f"0/1 nodes are available: {reason}. preemption: 0/1 nodes are available: "
               f"1 {preemption}.")
        meta = pod["metadata"]

        def pending(obj: dict[str, Any]) -> dict[str, Any]:
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            conds = [c for c in status.get("conditions") or [] if c["type"] != "PodScheduled"]
            old: dict[str, Any] = next((c for c in status.get("conditions") or []
                        if c["type"] == "PodScheduled"), {})
            conds.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                          "message": msg, "lastProbeTime": None,
                          "lastTransitionTime": old.get("lastTransitionTime") or now_iso()})
            status["conditions"] = conds
            return obj

        current = (pod.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == "PodScheduled" and c.get("message") == msg
                   for c in current):
            self.store.patch(self._pods(), meta["namespace"], meta["name"], pending,
                             subresource="status")
        assert self.recorder is not None
        self.recorder.record(object_ref(pod), "Warning", "FailedScheduling", msg)

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


# ---- filters (kube-scheduler's default plugins, for one node) --------------------------------
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def claim_names(pod: dict[str, Any]) -> list[str]:
    """The PersistentVolumeClaims the pod's volumes name (not generic ephemeral volumes)."""
    return [str(v["persistentVolumeClaim"].get("claimName", ""))
            for v in (pod.get("spec") or {}).get("volumes") or []
            if isinstance(v.get("persistentVolumeClaim"), dict)]


def pod_requests(pod: dict[str, Any]) -> dict[str, float]:
    """Effective requests: the sum over containers, at least each init container's."""
    spec = pod.get("spec") or {}
    total: dict[str, float] = {}
    for c in spec.get("containers") or []:
        for r, q in ((c.get("resources") or {}).get("requests") or {}).items():
            total[r] = total.get(r, 0.0) + quantity(q)
    for c in spec.get("initContainers") or []:
        for r, q in ((c.get("resources") or {}).get("requests") or {}).items():
            total[r] = max(total.get(r, 0.0), quantity(q))
    return total


def _expression_matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            a, b = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def _affinity_matches(pod: dict[str, Any], labels: dict[str, str]) -> bool:
    spec = pod.get("spec") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(all(_expression_matches(e, labels) for e in t.get("matchExpressions") or [])
               for t in terms)  # terms are ORed, expressions ANDed


def _tolerates(pod: dict[str, Any], taint: dict[str, Any]) -> bool:
    for t in (pod.get("spec") or {}).get("tolerations") or []:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and str(t.get("value", "")) == str(
                taint.get("value", "")):
            return True
    return False


def unfit_reason(pod: dict[str, Any], node: dict[str, Any],
                 bound: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(the filter's reason, the preemption note) when the pod does not fit the node."""
    labels = dict((node.get("metadata") or {}).get("labels") or {})
    if not _affinity_matches(pod, labels):
        return "1 node(s) didn't match Pod's node affinity/selector", NOT_HELPFUL
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(pod, taint):
            shown = f"{{{taint.get('key')}: {taint.get('value', '')}}}"
            return f"1 node(s) had untolerated taint {shown}", NOT_HELPFUL
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    want = pod_requests(pod)
    used: dict[str, float] = {}
    for other in bound:
        for r, q in pod_requests(other).items():
            used[r] = used.get(r, 0.0) + q
    short = [r for r, q in sorted(want.items()) if r in allocatable
             and q > quantity(allocatable[r]) - used.get(r, 0.0)]
    if short:
        return ", ".join(f"1 Insufficient {r}" for r in short), NO_VICTIMS
    return None
