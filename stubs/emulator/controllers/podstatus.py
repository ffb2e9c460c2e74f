"""Pod status as the kubelet computes it: phase (getPhase), conditions and container states.

Conditions come in the kubelet's order (PodReadyToStartContainers, Initialized, Ready,
ContainersReady, PodScheduled) and keep their lastTransitionTime while unchanged, so a
status write with nothing new is a no-op.
"""

from __future__ import annotations

from typing import Any

from ..kubeapi.store import now_iso
from .containers import ContainerRun, PodRun

Obj = dict[str, Any]


def _phase(pod: Obj, run: PodRun, init_done: bool) -> str:
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy", "Always")
    if not init_done:
        for c in spec.get("initContainers") or []:
            cr = run.containers[c["name"]]
            term = cr.state.get("terminated")
            if policy == "Never" and term and term.get("exitCode") != 0:
                return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for c in spec.get("containers") or []:
        cr = run.containers[c["name"]]
        if cr.running:
            running += 1
        elif cr.terminated:
            stopped += 1
            if cr.state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif cr.last_state.get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(prev: list[Obj], type_: str, status: str, reason: str = "",
               message: str = "") -> Obj:
    old = next((c for c in prev if c.get("type") == type_), None)
    stamp = old["lastTransitionTime"] if old and old.get("status") == status else now_iso()
    cond: Obj = {"type": type_, "status": status, "lastProbeTime": None,
                 "lastTransitionTime": stamp}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _init_done(pod: Obj, run: PodRun) -> bool:
    for c in (pod.get("spec") or {}).get("initContainers") or []:
        term = run.containers[c["name"]].state.get("terminated")
        if not term or term.get("exitCode") != 0:
            return False
    return True


def _container_status(cr: ContainerRun, init_done: bool) -> Obj:
    out = cr.status()
    if cr.init:
        term = cr.state.get("terminated")
        out["ready"] = bool(term and term.get("exitCode") == 0)
    elif not init_done and cr.state.get("waiting", {}).get("reason") == "ContainerCreating":
        out["state"] = {"waiting": {"reason": "PodInitializing"}}
    return out


def build_status(pod: Obj, run: PodRun, host_ip: str) -> Obj:
    spec = pod.get("spec") or {}
    prev = (pod.get("status") or {}).get("conditions") or []
    init_done = _init_done(pod, run)
    phase = _phase(pod, run, init_done)
    init_names = [c["name"] for c in spec.get("initContainers") or []]
    names = [c["name"] for c in spec.get("containers") or []]
    unready = [n for n in names if not run.containers[n].ready]
    incomplete = [n for n in init_names
                  if run.containers[n].state.get("terminated", {}).get("exitCode") != 0]
    conds = [_condition(prev, "PodReadyToStartContainers",
                        "True" if run.ip and phase not in ("Succeeded", "Failed") else "False")]
    if incomplete:
        conds.append(_condition(prev, "Initialized", "False", "ContainersNotInitialized",
                                f"containers with incomplete status: [{' '.join(incomplete)}]"))
    else:
        conds.append(_condition(prev, "Initialized", "True"))
    if phase == "Succeeded":
        ready = [_condition(prev, t, "False", "PodCompleted") for t in ("Ready", "ContainersReady")]
    elif unready:
        msg = f"containers with unready status: [{' '.join(unready)}]"
        ready = [_condition(prev, t, "False", "ContainersNotReady", msg)
                 for t in ("Ready", "ContainersReady")]
    else:
        ready = [_condition(prev, t, "True") for t in ("Ready", "ContainersReady")]
    conds.extend(ready)
    scheduled = next((c for c in prev if c.get("type") == "PodScheduled"), None)
    conds.append(scheduled or _condition(prev, "PodScheduled", "True"))
    status: Obj = {
        "phase": phase,
        "conditions": conds,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": run.start_time,
        "containerStatuses": [_container_status(run.containers[n], init_done) for n in names],
        "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort"),
    }
    if init_names:
        status["initContainerStatuses"] = [_container_status(run.containers[n], init_done)
                                           for n in init_names]
    if run.ip:
        status["podIP"] = run.ip
        status["podIPs"] = [{"ip": run.ip}]
    return status
