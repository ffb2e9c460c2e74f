"""Waiting on the cluster during bring-up: a list, then a watch, until the condition holds
or the deadline passes; the error names what was still missing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ...errors import E2EError, ProviderError
from ...kube import gvr as g
from ...kube.client import KubeClient
from ...kube.status import is_true, workload_ready

Obj = dict[str, Any]
CRDS = g.GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions", False,
             "CustomResourceDefinition")
WORKLOADS = {"DaemonSet": g.DAEMONSETS, "Deployment": g.DEPLOYMENTS}


def watch_until(kube: KubeClient, gvr: g.GVR, namespace: str | None,
                check: Callable[[dict[str, Obj]], tuple[bool, str]], deadline: float,
                what: str) -> str:
    """Keep a name->object view of `gvr` current by watching; return the note of the first
    view `check` accepts; ProviderError with the last note when the deadline passes."""
    items, rv = kube.list(gvr, namespace)
    view = {f"{(o.get('metadata') or {}).get('namespace', '')}/{o['metadata']['name']}": o
            for o in items}
    done, note = check(view)
    while not done:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProviderError(f"timed out waiting for {what}: {note}")
        for event in kube.watch_lines(gvr, rv, namespace=namespace,
                                      timeout_seconds=max(1, int(left))):
            obj = event.get("object") or {}
            meta = obj.get("metadata") or {}
            rv = str(meta.get("resourceVersion") or rv)
            if event.get("type") == "BOOKMARK":
                continue
            key = f"{meta.get('namespace', '')}/{meta.get('name')}"
            if event.get("type") == "DELETED":
                view.pop(key, None)
            else:
                view[key] = obj
            done, note = check(view)
            if done or time.monotonic() >= deadline:
                break
    return note


def wait_api(kube: KubeClient, deadline: float) -> str:
    last = ""
    delay = 0.5
    while time.monotonic() < deadline:
        try:
            return f"API {kube.version().get('gitVersion', '?')}"
        except E2EError as e:
            last = str(e)
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))  # growing back-off
        delay = min(delay * 2, 5.0)
    raise ProviderError(f"timed out waiting for the API server: {last}")


def wait_crd(kube: KubeClient, name: str, deadline: float) -> str:
    def check(view: dict[str, Obj]) -> tuple[bool, str]:
        crd = view.get(f"/{name}")
        if crd is None:
            return False, f"CRD {name} not there yet"
        return is_true(crd, "Established"), f"CRD {name} Established"
    return watch_until(kube, CRDS, None, check, deadline, f"CRD {name}")


def wait_workload(kube: KubeClient, target: str, deadline: float) -> str:
    kind, ns, name = target.split("/")

    def check(view: dict[str, Obj]) -> tuple[bool, str]:
        obj = view.get(f"{ns}/{name}")
        if obj is None:
            return False, f"{target} not created yet"
        ready, why = workload_ready({**obj, "kind": kind})  # list items carry no kind
        return ready, f"{target} {why}"
    return watch_until(kube, WORKLOADS[kind], ns, check, deadline, target)


def wait_nodes(kube: KubeClient, deadline: float) -> str:
    def check(view: dict[str, Obj]) -> tuple[bool, str]:
        not_ready = sorted(k.strip("/") for k, n in view.items() if not is_true(n, "Ready"))
        if not view:
            return False, "no nodes registered"
        if not_ready:
            return False, f"nodes not Ready: {', '.join(not_ready)}"
        return True, f"{len(view)} node(s) Ready"
    return watch_until(kube, g.NODES, None, check, deadline, "Ready nodes")


def gateway_address(kube: KubeClient, ns: str, name: str, deadline: float) -> str:
    def check(view: dict[str, Obj]) -> tuple[bool, str]:
        gw = view.get(f"{ns}/{name}")
        addrs = [a.get("value") for a in ((gw or {}).get("status") or {}).get("addresses")
                 or [] if a.get("value")]
        return (bool(addrs), addrs[0] if addrs else f"Gateway {ns}/{name} has no address")
    return watch_until(kube, g.GATEWAYS, ns, check, deadline, f"Gateway {ns}/{name} address")
