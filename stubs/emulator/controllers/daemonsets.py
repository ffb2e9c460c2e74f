"""DaemonSet -> one pod per node (`<ds>-<5 chars>`), replaced when the template changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .events import object_ref
from .podtemplate import (
    Obj,
    is_terminal,
    pod_from_template,
    pod_ready,
    random_suffix,
    template_hash,
)

RETRY_REFUSED = 5.0  # seconds before a refused pod create is tried again

if TYPE_CHECKING:
    from .workloads import WorkloadController

REVISION_LABEL = "controller-revision-hash"


def reconcile(ctl: WorkloadController, ds: Obj) -> float | None:
    meta, spec = ds["metadata"], ds.get("spec") or {}
    ns, name = meta["namespace"], meta["name"]
    template = spec.get("template") or {}
    revision = template_hash(template)
    nodes = [n["metadata"]["name"] for n in ctl.store.list(ctl.rt("", "v1", "nodes"))[0]]
    pods = ctl.owned_pods({meta["uid"]}, ns)
    refused = False  # a pod create the API refused: tried again shortly
    recorder = ctl.recorder("daemonset-controller")
    by_node: dict[str, list[Obj]] = {}
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName", "")
        if node not in nodes or is_terminal(p):
            ctl.delete_pod(p)
            continue
        by_node.setdefault(node, []).append(p)
    rolling = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"
    for node in nodes:
        current = by_node.get(node, [])
        for p in current:
            outdated = (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision
            if outdated and rolling:
                ctl.delete_pod(p)
                current.remove(p)
        if current:
            continue
        pod = pod_from_template(template, name=f"{name}-{random_suffix()}", namespace=ns,
                                owner=ds, node_name=node,
                                extra_labels={REVISION_LABEL: revision,
                                              "pod-template-generation":
                                                  str(meta.get("generation", 1))})
        made = ctl.try_create_pod(ds, pod, "daemonset-controller")
        if made is None:
            refused = True
            continue
        by_node[node] = [made]
        recorder.record(object_ref(ds), "Normal", "SuccessfulCreate",
                        f"Created pod: {pod['metadata']['name']}")
    scheduled = [p for ps in by_node.values() for p in ps]
    ready = sum(1 for p in scheduled if pod_ready(p))
    updated = sum(1 for p in scheduled
                  if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
    status: Obj = {
        "observedGeneration": meta.get("generation", 1),
        "currentNumberScheduled": len(scheduled),
        "desiredNumberScheduled": len(nodes),
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": updated,
    }
    if len(nodes) - ready > 0:
        status["numberUnavailable"] = len(nodes) - ready
    if ready == 0:
        del status["numberAvailable"]
    ctl.write_status("DaemonSet", ds, status)
    return RETRY_REFUSED * ctl.time_scale if refused else None
