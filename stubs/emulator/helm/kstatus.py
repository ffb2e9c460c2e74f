"""kstatus (sigs.k8s.io/cli-utils pkg/kstatus/status) for the objects a release waits on.

Generic rules first (deletionTimestamp, observedGeneration, Reconciling/Stalled), then the
type rules for Deployment, StatefulSet, DaemonSet, Job and Pod, then a Ready condition.
Returns (status, message) with status one of Current, InProgress, Failed, Terminating.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CURRENT, IN_PROGRESS, FAILED, TERMINATING = "Current", "InProgress", "Failed", "Terminating"
WAITED_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"})


def _cond(obj: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def _is_true(obj: Mapping[str, Any], type_: str) -> bool:
    c = _cond(obj, type_)
    return c is not None and c.get("status") == "True"


def compute(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    kind = obj.get("kind", "")
    if meta.get("deletionTimestamp"):
        return TERMINATING, "Resource scheduled for deletion"
    gen = meta.get("generation")
    observed = status.get("observedGeneration")
    if observed is not None and gen is not None and int(observed) != int(gen):
        return IN_PROGRESS, (f"{kind} generation is {gen}, but latest observed generation "
                             f"is {observed}")
    if _is_true(obj, "Reconciling"):
        return IN_PROGRESS, str((_cond(obj, "Reconciling") or {}).get("message", ""))
    if _is_true(obj, "Stalled"):
        return FAILED, str((_cond(obj, "Stalled") or {}).get("message", ""))
    typed = _TYPED.get(kind)
    if typed is not None:
        return typed(obj)
    ready = _cond(obj, "Ready")
    if ready is not None:
        return (CURRENT, "Resource is Ready") if ready.get("status") == "True" else (
            IN_PROGRESS, str(ready.get("message", "")))
    return CURRENT, "Resource is current"


def _int(v: Any, default: int = 0) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _deployment(obj: Mapping[str, Any]) -> tuple[str, str]:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    want = _int(spec.get("replicas"), 1)
    progressing = _cond(obj, "Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return FAILED, "Progress deadline exceeded"
    replicas, updated = _int(st.get("replicas")), _int(st.get("updatedReplicas"))
    ready, available = _int(st.get("readyReplicas")), _int(st.get("availableReplicas"))
    if want > replicas:
        return IN_PROGRESS, f"Replicas: {replicas}/{want}"
    if want > updated:
        return IN_PROGRESS, f"Updated: {updated}/{want}"
    if replicas > want:
        return IN_PROGRESS, f"Pending termination: {replicas - want}"
    if want > available:
        return IN_PROGRESS, f"Available: {available}/{want}"
    if want > ready:
        return IN_PROGRESS, f"Ready: {ready}/{want}"
    if progressing and progressing.get("status") == "True" and \
            progressing.get("reason") != "NewReplicaSetAvailable":
        return IN_PROGRESS, "ReplicaSet not Available"
    available_c = _cond(obj, "Available")
    if available_c and available_c.get("status") == "False":
        return IN_PROGRESS, "Deployment not Available"
    return CURRENT, f"Deployment is available. Replicas: {replicas}"


def _statefulset(obj: Mapping[str, Any]) -> tuple[str, str]:
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return CURRENT, "StatefulSet is using the ondelete update strategy"
    want = _int(spec.get("replicas"), 1)
    replicas, ready = _int(st.get("replicas")), _int(st.get("readyReplicas"))
    current = _int(st.get("currentReplicas"), replicas)
    if want > replicas:
        return IN_PROGRESS, f"Replicas: {replicas}/{want}"
    if want > ready:
        return IN_PROGRESS, f"Ready: {ready}/{want}"
    if replicas > want:
        return IN_PROGRESS, f"Pending termination: {replicas - want}"
    if st.get("updateRevision") and st.get("currentRevision") != st.get("updateRevision"):
        return IN_PROGRESS, f"Current: {current}/{want}"
    return CURRENT, f"All replicas scheduled as expected. Replicas: {replicas}"


def _daemonset(obj: Mapping[str, Any]) -> tuple[str, str]:
    st = obj.get("status") or {}
    if "observedGeneration" not in st:
        return IN_PROGRESS, "DaemonSet status has not been observed"
    desired = _int(st.get("desiredNumberScheduled"))
    for key, label in (("currentNumberScheduled", "Current"), ("updatedNumberScheduled",
                       "Updated"), ("numberAvailable", "Available"), ("numberReady", "Ready")):
        have = _int(st.get(key))
        if desired > have:
            return IN_PROGRESS, f"{label}: {have}/{desired}"
    return CURRENT, f"All replicas scheduled as expected. Replicas: {desired}"


def _job(obj: Mapping[str, Any]) -> tuple[str, str]:
    if _is_true(obj, "Failed"):
        return FAILED, f"Job Failed. failed: {(obj.get('status') or {}).get('failed', 0)}"
    if _is_true(obj, "Complete"):
        return CURRENT, "Job Completed"
    return IN_PROGRESS, "Job in progress"


def _pod(obj: Mapping[str, Any]) -> tuple[str, str]:
    st = obj.get("status") or {}
    phase = st.get("phase", "Pending")
    if phase in ("Succeeded", "Failed"):
        return CURRENT, f"Pod {phase.lower()}"
    if phase == "Running":
        if _is_true(obj, "Ready"):
            return CURRENT, "Pod is Ready"
        for cs in st.get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == \
                    "CrashLoopBackOff":
                return FAILED, "Containers in CrashLoop state"
        return IN_PROGRESS, "Pod is running but is not Ready"
    return IN_PROGRESS, "Pod is in the Pending phase"


_TYPED = {"Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset,
          "Job": _job, "Pod": _pod}


def job_failure(obj: Mapping[str, Any]) -> str | None:
    """Helm's wait-for-jobs error for a failed Job (`job <name> failed: <reason>`)."""
    c = _cond(obj, "Failed")
    if c and c.get("status") == "True":
        return f"job {obj['metadata']['name']} failed: {c.get('reason', '')}"
    return None
