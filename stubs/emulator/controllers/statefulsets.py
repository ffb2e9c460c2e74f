"""StatefulSet -> pods `<sts>-<i>`, in order, and the StatefulSet status kstatus reads.

OrderedReady (the default) creates pod i only when pods 0..i-1 are Ready, and rolls a new
revision from the highest ordinal down, one pod at a time, each after the others are
Ready. PersistentVolumeClaims from volumeClaimTemplates are created Bound (as a dynamic
provisioner would do at once on kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .events import object_ref
from .podtemplate import Obj, is_terminal, pod_from_template, pod_ready, template_hash

RETRY_REFUSED = 5.0  # seconds before a refused pod create is tried again

if TYPE_CHECKING:
    from .workloads import WorkloadController

REVISION_LABEL = "controller-revision-hash"


def _ensure_claims(ctl: WorkloadController, sts: Obj, ordinal: int) -> None:
    meta = sts["metadata"]
    pvc_rt = ctl.rt("", "v1", "persistentvolumeclaims")
    for tmpl in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        name = f"{tmpl['metadata']['name']}-{meta['name']}-{ordinal}"
        if ctl.store.try_get(pvc_rt, meta["namespace"], name) is not None:
            continue
        spec = dict(tmpl.get("spec") or {})
        spec.setdefault("volumeMode", "Filesystem")
        spec.setdefault("storageClassName", "standard")
        pvc = {"metadata": {"name": name, "namespace": meta["namespace"],
                            "labels": dict((sts["spec"].get("selector") or {})
                                           .get("matchLabels") or {})},
               "spec": spec}
        created = ctl.store.create(pvc_rt, meta["namespace"], pvc)

        def bound(obj: Obj, spec: Obj = spec) -> Obj:
            obj["status"] = {"phase": "Bound", "accessModes": spec.get("accessModes", []),
                             "capacity": ((spec.get("resources") or {}).get("requests")
                                          or {})}
            return obj

        ctl.store.patch(pvc_rt, meta["namespace"], created["metadata"]["name"], bound,
                        subresource="status")


def _claim_volumes(sts: Obj, ordinal: int) -> list[Obj]:
    name = sts["metadata"]["name"]
    return [{"name": t["metadata"]["name"],
             "persistentVolumeClaim": {"claimName": f"{t['metadata']['name']}-{name}-{ordinal}"}}
            for t in (sts.get("spec") or {}).get("volumeClaimTemplates") or []]


def reconcile(ctl: WorkloadController, sts: Obj) -> float | None:
    meta, spec = sts["metadata"], sts.get("spec") or {}
    ns, name = meta["namespace"], meta["name"]
    replicas = int(spec.get("replicas", 1))
    template = spec.get("template") or {}
    update_revision = f"{name}-{template_hash(template)}"
    parallel = spec.get("podManagementPolicy") == "Parallel"
    on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
    refused = False  # a pod create the API refused: tried again shortly
    recorder = ctl.recorder("statefulset-controller")
    pods = {p["metadata"]["name"]: p for p in ctl.owned_pods({meta["uid"]}, ns)}

    # Terminal pods are replaced (a StatefulSet pod always comes back).
    for pname, p in list(pods.items()):
        if is_terminal(p):
            ctl.delete_pod(p)
            del pods[pname]

    for i in range(replicas):
        pname = f"{name}-{i}"
        if pname in pods:
            if not parallel and not pod_ready(pods[pname]):
                break
            continue
        _ensure_claims(ctl, sts, i)
        pod_template = {**template, "spec": {**(template.get("spec") or {})}}
        extra_vols = _claim_volumes(sts, i)
        if extra_vols:
            pod_template["spec"]["volumes"] = [*(pod_template["spec"].get("volumes") or []),
                                               *extra_vols]
        pod = pod_from_template(pod_template, name=pname, namespace=ns, owner=sts,
                                extra_labels={REVISION_LABEL: update_revision,
                                              "statefulset.kubernetes.io/pod-name": pname,
                                              "apps.kubernetes.io/pod-index": str(i)},
                                hostname=pname)
        if spec.get("serviceName"):
            pod["spec"]["subdomain"] = spec["serviceName"]
        made = ctl.try_create_pod(sts, pod, "statefulset-controller",
                                  f"create Pod {pname} in StatefulSet {name} failed error: "
                                  "{err}")
        if made is None:
            refused = True
            break
        pods[pname] = made
        recorder.record(object_ref(sts), "Normal", "SuccessfulCreate",
                        f"create Pod {pname} in StatefulSet {name} successful")
        if not parallel:
            break

    # Scale down from the highest ordinal.
    extra = sorted((p for n, p in pods.items() if int(n.rsplit("-", 1)[1]) >= replicas),
                   key=lambda p: -int(p["metadata"]["name"].rsplit("-", 1)[1]))
    for p in extra[: (len(extra) if parallel else 1)]:
        ctl.delete_pod(p)
        del pods[p["metadata"]["name"]]
        recorder.record(object_ref(sts), "Normal", "SuccessfulDelete",
                        f"delete Pod {p['metadata']['name']} in StatefulSet {name} successful")

    # Rolling update: highest outdated ordinal first, once every pod is Ready.
    in_range = [pods[f"{name}-{i}"] for i in range(replicas) if f"{name}-{i}" in pods]
    if not on_delete and len(in_range) == replicas and all(pod_ready(p) for p in in_range):
        outdated = [p for p in in_range
                    if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_revision]
        if outdated:
            ctl.delete_pod(outdated[-1])
            in_range.remove(outdated[-1])

    prev = sts.get("status") or {}
    updated = sum(1 for p in in_range
                  if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == update_revision)
    current_revision = prev.get("currentRevision") or update_revision
    if updated == replicas:
        current_revision = update_revision
    current = sum(1 for p in in_range
                  if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == current_revision)
    ready = sum(1 for p in in_range if pod_ready(p))
    status: Obj = {
        "observedGeneration": meta.get("generation", 1),
        "replicas": len(in_range),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "currentRevision": current_revision,
        "updateRevision": update_revision,
        "collisionCount": 0,
    }
    for k in ("readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"):
        if status[k] == 0:
            del status[k]
    ctl.write_status("StatefulSet", sts, status)
    return RETRY_REFUSED * ctl.time_scale if refused else None
