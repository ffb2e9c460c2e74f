"""EndpointSlices (and v1 Endpoints) for Services with a selector, as kube-controller-manager
writes them.

One slice per Service, `<svc>-<5 chars>`, labelled `kubernetes.io/service-name` and
`endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`, owned by the
Service. Endpoints are the selected pods that have an IP and are not terminal;
`conditions.ready` follows the pod's Ready condition (a Service with
publishNotReadyAddresses counts every endpoint ready). Ports carry the Service port's name
and the target port resolved against the pod (a named targetPort is looked up in the
pod's container ports; a pod without that name is left out, as upstream does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kubeapi.resources import ResourceType
from ..kubeapi.selectors import parse_label_selector
from ..kubeapi.store import WatchEvent
from .base import Controller, Key
from .podtemplate import is_terminal, owner_ref, pod_ready, random_suffix
from .probes import resolve_port

Obj = dict[str, Any]
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"


def _selector_string(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _target_port(svc_port: Obj, pod: Obj) -> int | None:
    target: Any = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or []:
        port = resolve_port(target, c)
        if port is not None:
            return port
    return None


class EndpointSliceController(Controller):
    name = "endpointslice"

    @property
    def services(self) -> ResourceType:
        return self.rt("", "v1", "services")

    @property
    def pods(self) -> ResourceType:
        return self.rt("", "v1", "pods")

    @property
    def slices(self) -> ResourceType:
        return self.rt("discovery.k8s.io", "v1", "endpointslices")

    @property
    def endpoints(self) -> ResourceType:
        return self.rt("", "v1", "endpoints")

    def watches(self) -> Iterable[ResourceType]:
        return (self.services, self.pods)

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        obj = event.obj
        ns = obj["metadata"]["namespace"]
        if obj["kind"] == "Service":
            yield ("Service", ns, obj["metadata"]["name"])
            return
        labels = obj["metadata"].get("labels") or {}
        for svc in self.store.list(self.services, ns)[0]:
            selector = (svc.get("spec") or {}).get("selector")
            if selector and parse_label_selector(_selector_string(selector))(labels):
                yield ("Service", ns, svc["metadata"]["name"])

    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        svc = self.store.try_get(self.services, ns, name)
        if svc is None:
            return None  # owned slices go with the Service (garbage collection)
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return None  # Services without a selector keep hand-made slices
        pods, _ = self.store.list(self.pods, ns, _selector_string(selector))
        publish_all = bool(svc["spec"].get("publishNotReadyAddresses"))
        svc_ports = svc["spec"].get("ports") or []
        endpoints: list[Obj] = []
        ports: list[Obj] = []
        subsets_ready: list[Obj] = []
        subsets_not_ready: list[Obj] = []
        for pod in pods:
            ip = (pod.get("status") or {}).get("podIP")
            if not ip or is_terminal(pod) or pod["metadata"].get("deletionTimestamp"):
                continue
            resolved = [_target_port(p, pod) for p in svc_ports]
            if any(r is None for r in resolved):
                continue
            if not ports:
                for p, r in zip(svc_ports, resolved, strict=True):
                    port = {"name": p.get("name", ""), "port": r,
                            "protocol": p.get("protocol", "TCP")}
                    if p.get("appProtocol"):
                        port["appProtocol"] = p["appProtocol"]
                    ports.append(port)
            ready = publish_all or pod_ready(pod)
            meta = pod["metadata"]
            target = {"kind": "Pod", "name": meta["name"], "namespace": ns, "uid": meta["uid"]}
            endpoints.append({
                "addresses": [ip],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "nodeName": (pod.get("spec") or {}).get("nodeName", ""),
                "targetRef": target,
            })
            address = {"ip": ip, "nodeName": (pod.get("spec") or {}).get("nodeName", ""),
                       "targetRef": target}
            (subsets_ready if ready else subsets_not_ready).append(address)
        self._write_slice(svc, endpoints, ports)
        self._write_endpoints(svc, subsets_ready, subsets_not_ready, ports)
        return None

    def _write_slice(self, svc: Obj, endpoints: list[Obj], ports: list[Obj]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        existing = self.store.list(self.slices, ns,
                                   f"{SERVICE_NAME_LABEL}={name},{MANAGED_BY_LABEL}={MANAGED_BY}")[0]
        body = {"addressType": "IPv4", "endpoints": endpoints, "ports": ports}
        if existing:
            def put(obj: Obj) -> Obj:
                obj.update(body)
                return obj
            self.store.patch(self.slices, ns, existing[0]["metadata"]["name"], put)
            return
        self.store.create(self.slices, ns, {
            "metadata": {"name": f"{name}-{random_suffix()}", "namespace": ns,
                         "labels": {SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: MANAGED_BY},
                         "ownerReferences": [owner_ref(svc)]},
            **body})

    def _write_endpoints(self, svc: Obj, ready: list[Obj], not_ready: list[Obj],
                         ports: list[Obj]) -> None:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        subset: Obj = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if subset:
            subset["ports"] = [{k: v for k, v in p.items() if k != "name" or v} for p in ports]
        body = {"metadata": {"name": name, "namespace": ns,
                             "labels": dict(svc["metadata"].get("labels") or {})},
                "subsets": [subset] if subset else []}
        if self.store.try_get(self.endpoints, ns, name) is None:
            self.store.create(self.endpoints, ns, body)
            return

        def put(obj: Obj) -> Obj:
            obj["subsets"] = body["subsets"]
            return obj

        self.store.patch(self.endpoints, ns, name, put)
