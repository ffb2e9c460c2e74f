"""Reading object status: conditions, and readiness by the kstatus rules Flux uses."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def condition(obj: Obj | None, ctype: str) -> Obj | None:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond  # type: ignore[no-any-return]
    return None


def is_true(obj: Obj | None, ctype: str) -> bool:
    cond = condition(obj, ctype)
    return bool(cond and cond.get("status") == "True")


def ref(obj: Obj) -> str:
    """`Kind/ns/name` (or `Kind/name` for cluster-scoped objects)."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind', '?')}/{ns}/{meta.get('name')}" if ns else \
        f"{obj.get('kind', '?')}/{meta.get('name')}"


def name_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


def observed_current(obj: Obj) -> bool:
    """kstatus rule 2: a status that saw an older generation says nothing yet."""
    status = obj.get("status") or {}
    og = status.get("observedGeneration")
    gen = (obj.get("metadata") or {}).get("generation")
    return og is None or gen is None or int(og) >= int(gen)


def workload_ready(obj: Obj) -> tuple[bool, str]:
    """Deployment/StatefulSet/DaemonSet readiness (kstatus core rules), with a reason."""
    kind = obj.get("kind")
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    if not observed_current(obj):
        return False, "latest generation not observed"
    if kind == "DaemonSet":
        want = int(status.get("desiredNumberScheduled") or 0)
        ready = int(status.get("numberReady") or 0)
        return (want > 0 and ready >= want), f"Ready: {ready}/{want}"
    want = int(spec.get("replicas", 1))
    ready = int(status.get("readyReplicas") or 0)
    if kind == "Deployment":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == \
                    "ProgressDeadlineExceeded":
                return False, "Progress deadline exceeded"
        available = int(status.get("availableReplicas") or 0)
        return (ready >= want and available >= want), f"Available: {available}/{want}"
    return ready >= want, f"Ready: {ready}/{want}"


def pod_waiting_reasons(pod: Obj) -> list[tuple[str, str, str]]:
    """(container, reason, message) for every waiting container (init containers too)."""
    status = pod.get("status") or {}
    out = []
    for cs in (status.get("initContainerStatuses") or []) + \
            (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            out.append((cs.get("name", ""), waiting.get("reason", ""),
                        waiting.get("message", "")))
    return out


def pod_ready(pod: Obj) -> bool:
    return is_true(pod, "Ready")
