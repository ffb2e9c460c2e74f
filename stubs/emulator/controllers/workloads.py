"""Workload controllers: Deployment (via ReplicaSets), StatefulSet, DaemonSet and Job -> Pods.

One controller watches the four workload kinds and their pods (a pod event wakes its
owner). Each kind's rules live in its own module; this one does the Deployment, whose
status follows the deployment controller (Available/Progressing, the replica counters) so
that kstatus reads it as the real one: Current when rolled out, InProgress while pods are
missing or unready, Failed after `progressDeadlineSeconds` without progress.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..kubeapi import errors
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent
from . import daemonsets, jobs, statefulsets
from .base import Controller, Key
from .events import EventRecorder, object_ref
from .podtemplate import (
    Obj,
    controller_ref,
    owner_ref,
    pod_from_template,
    pod_ready,
    scaled_int_or_percent,
    set_condition,
    template_hash,
)

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CREATE_RETRY = 5.0  # seconds before a refused pod create is tried again (rate-limited queue)


class WorkloadController(Controller):
    name = "workloads"

    def __init__(self) -> None:
        super().__init__()
        self.recorders: dict[str, EventRecorder] = {}
        # Deployment uid -> (progress fingerprint, monotonic time it last changed)
        self._progress: dict[str, tuple[Any, float]] = {}

    # ---- types ------------------------------------------------------------------------------
    @property
    def pods(self) -> ResourceType:
        return self.rt("", "v1", "pods")

    @property
    def replicasets(self) -> ResourceType:
        return self.rt("apps", "v1", "replicasets")

    def kind_rt(self, kind: str) -> ResourceType:
        return {
            "Deployment": self.rt("apps", "v1", "deployments"),
            "StatefulSet": self.rt("apps", "v1", "statefulsets"),
            "DaemonSet": self.rt("apps", "v1", "daemonsets"),
            "Job": self.rt("batch", "v1", "jobs"),
            "ReplicaSet": self.replicasets,
        }[kind]

    def recorder(self, component: str) -> EventRecorder:
        if component not in self.recorders:
            self.recorders[component] = EventRecorder(self.store, component)
        return self.recorders[component]

    @property
    def time_scale(self) -> float:
        assert self.emulator is not None
        return self.emulator.time_scale

    def watches(self) -> Iterable[ResourceType]:
        return (self.kind_rt("Deployment"), self.kind_rt("StatefulSet"),
                self.kind_rt("DaemonSet"), self.kind_rt("Job"), self.replicasets, self.pods,
                self.rt("", "v1", "nodes"))

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        obj = event.obj
        kind = obj["kind"]
        meta = obj["metadata"]
        ns = meta.get("namespace", "")
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield (kind, ns, meta["name"])
        elif kind == "Node":
            for ds in self.store.list(self.kind_rt("DaemonSet"))[0]:
                yield ("DaemonSet", ds["metadata"]["namespace"], ds["metadata"]["name"])
        elif kind in ("Pod", "ReplicaSet"):
            ref = controller_ref(obj)
            if ref is None:
                return
            if ref["kind"] == "ReplicaSet":
                rs = self.store.try_get(self.replicasets, ns, ref["name"])
                owner = controller_ref(rs) if rs else None
                if owner is not None and owner["kind"] == "Deployment":
                    yield ("Deployment", ns, owner["name"])
                elif rs is None and "pod-template-hash" in (meta.get("labels") or {}):
                    yield ("Deployment", ns, ref["name"].rsplit("-", 1)[0])
            elif ref["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
                yield (ref["kind"], ns, ref["name"])

    # ---- helpers for the kind modules -----------------------------------------------------
    def owned_pods(self, owner_uids: set[str], namespace: str) -> list[Obj]:
        pods, _ = self.store.list(self.pods, namespace)
        return [p for p in pods
                if any(r.get("uid") in owner_uids
                       for r in p["metadata"].get("ownerReferences") or [])]

    def create_pod(self, pod: Obj) -> Obj:
        return self.store.create(self.pods, pod["metadata"]["namespace"], pod)

    def try_create_pod(self, owner: Obj, pod: Obj, component: str,
                       failed: str = "Error creating: {err}") -> Obj | None:
        """Create a pod; when the API refuses it (admission: a quota, say), record the
        controller's Warning FailedCreate event on the owner and return None."""
        try:
            return self.create_pod(pod)
        except errors.ApiError as e:
            self.recorder(component).record(object_ref(owner), "Warning", "FailedCreate",
                                            failed.format(err=e.message))
            return None

    def delete_pod(self, pod: Obj) -> None:
        meta = pod["metadata"]
        if self.store.try_get(self.pods, meta["namespace"], meta["name"]) is not None:
            self.store.delete(self.pods, meta["namespace"], meta["name"])

    def write_status(self, kind: str, obj: Obj, status: Obj) -> None:
        meta = obj["metadata"]

        def put(current: Obj) -> Obj:
            current["status"] = status
            return current

        self.store.patch(self.kind_rt(kind), meta["namespace"], meta["name"], put,
                         subresource="status")

    # ---- reconcile --------------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        kind, namespace, name = key
        obj = self.store.try_get(self.kind_rt(kind), namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None
        if kind == "Deployment":
            return self.reconcile_deployment(obj)
        if kind == "StatefulSet":
            return statefulsets.reconcile(self, obj)
        if kind == "DaemonSet":
            return daemonsets.reconcile(self, obj)
        if kind == "Job":
            return jobs.reconcile(self, obj)
        return None

    # ---- Deployment -------------------------------------------------------------------------
    def _ensure_replicaset(self, d: Obj, hash_: str, replicas: int,
                           all_rs: list[Obj]) -> tuple[Obj, bool]:
        meta = d["metadata"]
        rs_name = f"{meta['name']}-{hash_}"
        for rs in all_rs:
            if rs["metadata"]["name"] == rs_name:
                return rs, False
        template = d["spec"].get("template") or {}
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels["pod-template-hash"] = hash_
        rs_template = {**template, "metadata": {**(template.get("metadata") or {}),
                                                "labels": labels}}
        match = dict(((d["spec"].get("selector") or {}).get("matchLabels")) or {})
        match["pod-template-hash"] = hash_
        revision = 1 + max((int((r["metadata"].get("annotations") or {})
                                .get(REVISION_ANNOTATION, "0")) for r in all_rs), default=0)
        rs = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": meta["namespace"], "labels": labels,
                         "annotations": {REVISION_ANNOTATION: str(revision)},
                         "ownerReferences": [owner_ref(d)]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": match},
                     "template": rs_template},
        }
        created = self.store.create(self.replicasets, meta["namespace"], rs)
        self.recorder("deployment-controller").record(
            object_ref(d), "Normal", "ScalingReplicaSet",
            f"Scaled up replica set {rs_name} from 0 to {replicas}")
        return created, True

    def reconcile_deployment(self, d: Obj) -> float | None:
        meta, spec = d["metadata"], d.get("spec") or {}
        ns = meta["namespace"]
        replicas = int(spec.get("replicas", 1))
        hash_ = template_hash(spec.get("template") or {})
        all_rs = [rs for rs in self.store.list(self.replicasets, ns)[0]
                  if (controller_ref(rs) or {}).get("uid") == meta["uid"]]
        new_rs, created = self._ensure_replicaset(d, hash_, replicas, all_rs)
        old_rs = [rs for rs in all_rs if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        uids = {rs["metadata"]["uid"] for rs in [new_rs, *old_rs]}
        pods = self.owned_pods(uids, ns)
        new_pods = [p for p in pods if (controller_ref(p) or {}).get("uid")
                    == new_rs["metadata"]["uid"]]
        old_pods = [p for p in pods if p not in new_pods]
        strategy = spec.get("strategy") or {}
        rolling = strategy.get("rollingUpdate") or {}
        surge = scaled_int_or_percent(rolling.get("maxSurge"), replicas, True, "25%")
        unavailable = scaled_int_or_percent(rolling.get("maxUnavailable"), replicas, False,
                                            "25%")
        if surge == 0 and unavailable == 0:
            unavailable = 1

        # Failed pods of a ReplicaSet are replaced (restartPolicy Always keeps them Running).
        for p in [p for p in new_pods if (p.get("status") or {}).get("phase") == "Failed"]:
            self.delete_pod(p)
            new_pods.remove(p)
        if strategy.get("type") == "Recreate":
            for p in old_pods:
                self.delete_pod(p)
            allowed_new = replicas if not old_pods else 0
            old_pods = []
        else:
            allowed_new = min(replicas, max(0, replicas + surge - len(old_pods)))
            new_available = sum(1 for p in new_pods if pod_ready(p))
            keep_old = max(0, replicas - unavailable - new_available)
            # Scale old ReplicaSets down only as far as availability allows, unready first.
            for p in sorted(old_pods, key=pod_ready)[:max(0, len(old_pods) - keep_old)]:
                self.delete_pod(p)
                old_pods.remove(p)
        failure: str | None = None
        for _ in range(max(0, allowed_new - len(new_pods))):
            pod = pod_from_template(new_rs["spec"]["template"], name="", namespace=ns,
                                    owner=new_rs)
            # The replicaset controller lets the server name its pods (`<rs>-<suffix>`).
            del pod["metadata"]["name"]
            pod["metadata"]["generateName"] = f"{new_rs['metadata']['name']}-"
            try:
                made = self.create_pod(pod)
            except errors.ApiError as e:  # admission refused it (a quota, say)
                failure = e.message
                self.recorder("replicaset-controller").record(
                    object_ref(new_rs), "Warning", "FailedCreate", f"Error creating: {failure}")
                break
            new_pods.append(made)
            self.recorder("replicaset-controller").record(
                object_ref(new_rs), "Normal", "SuccessfulCreate",
                f"Created pod: {made['metadata']['name']}")
        for p in new_pods[replicas:]:
            self.delete_pod(p)
        new_pods = new_pods[:replicas]

        self._write_rs_status(new_rs, replicas, new_pods, failure)
        for rs in old_rs:
            mine = [p for p in old_pods if (controller_ref(p) or {}).get("uid")
                    == rs["metadata"]["uid"]]
            self._write_rs_status(rs, len(mine), mine)
        requeue = self._write_deployment_status(d, new_rs, created, replicas, unavailable,
                                                new_pods, old_pods, failure)
        if failure is not None:  # the controller retries a failed create with back-off
            retry = CREATE_RETRY * self.time_scale
            requeue = retry if requeue is None else min(requeue, retry)
        return requeue

    def _write_rs_status(self, rs: Obj, replicas: int, pods: list[Obj],
                         failure: str | None = None) -> None:
        if int(rs["spec"].get("replicas", 0)) != replicas:
            def scale(obj: Obj) -> Obj:
                obj["spec"]["replicas"] = replicas
                return obj
            rs = self.store.patch(self.replicasets, rs["metadata"]["namespace"],
                                  rs["metadata"]["name"], scale)
        ready = sum(1 for p in pods if pod_ready(p))
        status: Obj = {"replicas": len(pods), "fullyLabeledReplicas": len(pods),
                       "readyReplicas": ready, "availableReplicas": ready,
                       "observedGeneration": rs["metadata"].get("generation", 1)}
        # ReplicaFailure: set while pods cannot be created, with the API's refusal; removed
        # once a create goes through (replica_set_utils.go calculateStatus).
        conds = [c for c in (rs.get("status") or {}).get("conditions") or []
                 if c.get("type") != "ReplicaFailure" or failure is not None]
        if failure is not None:
            conds = set_condition(conds, {"type": "ReplicaFailure", "status": "True",
                                          "reason": "FailedCreate", "message": failure})
        if conds:
            status["conditions"] = conds
        self.write_status("ReplicaSet", rs, status)

    def _write_deployment_status(self, d: Obj, new_rs: Obj, created: bool, replicas: int,
                                 max_unavailable: int, new_pods: list[Obj],
                                 old_pods: list[Obj], failure: str | None = None
                                 ) -> float | None:
        meta, spec = d["metadata"], d.get("spec") or {}
        rs_name = new_rs["metadata"]["name"]
        all_pods = new_pods + old_pods
        ready = sum(1 for p in all_pods if pod_ready(p))
        updated = len(new_pods)
        new_ready = sum(1 for p in new_pods if pod_ready(p))
        complete = updated == replicas and new_ready == replicas and not old_pods
        prev = d.get("status") or {}
        conds = list(prev.get("conditions") or [])
        if ready >= replicas - max_unavailable:
            avail = {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability."}
        else:
            avail = {"type": "Available", "status": "False",
                     "reason": "MinimumReplicasUnavailable",
                     "message": "Deployment does not have minimum availability."}
        conds = set_condition(conds, avail, update_time=True)

        fingerprint = (rs_name, updated, new_ready, len(old_pods))
        now = time.monotonic()
        last = self._progress.get(meta["uid"])
        if last is None or last[0] != fingerprint:
            self._progress[meta["uid"]] = (fingerprint, now)
            since = now
        else:
            since = last[1]
        deadline = float(spec.get("progressDeadlineSeconds", 600)) * self.time_scale
        requeue: float | None = None
        if complete:
            prog = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{rs_name}" has successfully progressed.'}
        elif now - since >= deadline:
            prog = {"type": "Progressing", "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": f'ReplicaSet "{rs_name}" has timed out progressing.'}
        else:
            requeue = deadline - (now - since) + 0.01
            if created or not any(c.get("type") == "Progressing" for c in conds):
                prog = {"type": "Progressing", "status": "True", "reason": "NewReplicaSetCreated",
                        "message": f'Created new replica set "{rs_name}"'}
            else:
                prog = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                        "message": f'ReplicaSet "{rs_name}" is progressing.'}
        conds = set_condition(conds, prog, update_time=True)
        # The new ReplicaSet's ReplicaFailure is moved onto the Deployment (progress.go).
        conds = [c for c in conds if c.get("type") != "ReplicaFailure"] if failure is None \
            else set_condition(conds, {"type": "ReplicaFailure", "status": "True",
                                       "reason": "FailedCreate", "message": failure},
                               update_time=True)
        conds.sort(key=lambda c: {"Available": 0, "Progressing": 1}.get(c["type"], 2))
        status: Obj = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": len(all_pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": conds,
        }
        if replicas - ready > 0:
            status["unavailableReplicas"] = max(0, len(all_pods) - ready, replicas - ready)
        for k in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
            if status[k] == 0:
                del status[k]  # the API omits zero counters
        self.write_status("Deployment", d, status)
        return requeue
