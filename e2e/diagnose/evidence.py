"""Evidence a failed step carries when no rule names its cause: `stuck.no-progress`.

What Chainsaw and KUTTL dump on failure, and a little more: the object the step waited on
with its last conditions (type, status, reason, message), recent Warning events, the state
of pods that are not ready, and the last log lines of failing containers. The Finding names
the object and the condition that holds it, so the report still says where to look.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import E2EError
from ..kube import gvr as gvrs
from ..kube.gvr import GVR
from ..kube.status import name_of, namespace_of, pod_ready
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject_of

Obj = dict[str, Any]
READY_TYPES = ("Ready", "Available", "Programmed", "Accepted", "Complete", "Established")
MAX_EVENTS = 10
MAX_PODS = 5
LOG_LINES = 10


def conditions_text(obj: Obj) -> str:
    """`Type=Status Reason: message` per condition, one a line."""
    lines = []
    for c in (obj.get("status") or {}).get("conditions") or []:
        lines.append(f"{c.get('type')}={c.get('status')} {c.get('reason', '')}: "
                     f"{c.get('message', '')}".rstrip(": "))
    return "\n".join(lines)


def not_ready_reason(obj: Obj) -> str | None:
    """Why `obj` is not ready by its own conditions (None: ready, or nothing says)."""
    conds = {c.get("type"): c for c in (obj.get("status") or {}).get("conditions") or []}
    for ctype in READY_TYPES:
        c = conds.get(ctype)
        if c is not None and c.get("status") != "True":
            return f"{ctype}={c.get('status')} {c.get('reason', '')}: {c.get('message', '')}"
    for ctype in ("Stalled", "Failed", "ReplicaFailure"):
        c = conds.get(ctype)
        if c is not None and c.get("status") == "True":
            return f"{ctype}=True {c.get('reason', '')}: {c.get('message', '')}"
    return None


def _items(sov: Sovereign, kind: GVR) -> list[Obj]:
    try:
        return sov.informers(kind).items()
    except E2EError:
        return []


def waited_on(sov: Sovereign, watches: Sequence[GVR]) -> tuple[Obj, str] | None:
    """The first object, in the order the step watches kinds, that its conditions say is
    not ready (pods: not Ready and not Succeeded)."""
    for kind in watches:
        if kind in (gvrs.EVENTS, gvrs.CONFIGMAPS, gvrs.SECRETS, gvrs.ENDPOINTSLICES):
            continue
        for obj in sorted(_items(sov, kind), key=lambda o: (namespace_of(o), name_of(o))):
            if kind == gvrs.PODS:
                phase = (obj.get("status") or {}).get("phase")
                if phase != "Succeeded" and not pod_ready(obj):
                    return obj, f"phase {phase}, not Ready"
                continue
            why = not_ready_reason(obj)
            if why:
                return obj, why
    return None


def warning_events(sov: Sovereign, limit: int = MAX_EVENTS) -> list[str]:
    """The most recent Warning events, newest last: `Kind ns/name Reason (xN): message`."""
    events = [e for e in _items(sov, gvrs.EVENTS) if e.get("type") == "Warning"]
    events.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    out = []
    for e in events[-limit:]:
        io = e.get("involvedObject") or {}
        out.append(f"{io.get('kind')} {io.get('namespace', '')}/{io.get('name')} "
                   f"{e.get('reason')} (x{e.get('count', 1)}): {e.get('message', '')}")
    return out


def pod_state(pod: Obj) -> str:
    """`ns/name phase; container: waiting Reason: msg | last exit N (Reason), R restarts`."""
    status = pod.get("status") or {}
    parts = [f"{namespace_of(pod)}/{name_of(pod)} {status.get('phase', '?')}"]
    for cs in (status.get("initContainerStatuses") or []) + \
            (status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if "waiting" in state:
            w = state["waiting"] or {}
            now = f"waiting {w.get('reason', '')}: {w.get('message', '')}".rstrip(": ")
        elif "terminated" in state:
            t = state["terminated"] or {}
            now = f"terminated {t.get('reason', '')} exit {t.get('exitCode')}"
        else:
            now = "running" + ("" if cs.get("ready") else ", not ready")
        last = (cs.get("lastState") or {}).get("terminated")
        if last:
            now += f"; last exit {last.get('exitCode')} ({last.get('reason', '')})"
        if cs.get("restartCount"):
            now += f"; {cs.get('restartCount')} restarts"
        parts.append(f"{cs.get('name')}: {now}")
    for c in status.get("conditions") or []:
        if c.get("status") != "True" and c.get("reason"):
            parts.append(f"{c.get('type')}={c.get('status')} {c.get('reason')}: "
                         f"{c.get('message', '')}")
    return "; ".join(parts)


def failing_containers(pod: Obj) -> list[str]:
    """Containers that exited non-zero or restarted: their logs say why."""
    status = pod.get("status") or {}
    out = []
    for cs in (status.get("initContainerStatuses") or []) + \
            (status.get("containerStatuses") or []):
        term = (cs.get("state") or {}).get("terminated") or \
            (cs.get("lastState") or {}).get("terminated") or {}
        if cs.get("restartCount") or (term and term.get("exitCode") not in (0, None)):
            out.append(str(cs.get("name")))
    return out


def log_tail(sov: Sovereign, pod: Obj, container: str, lines: int = LOG_LINES) -> str:
    try:
        text = sov.kube.pod_log(namespace_of(pod), name_of(pod), container, tail_lines=lines)
    except Exception:  # a log we cannot read is absent evidence, not a failure
        return ""
    return "\n".join(ln for ln in text.splitlines() if ln.strip())


def unready_pods(sov: Sovereign) -> list[Obj]:
    return [p for p in _items(sov, gvrs.PODS)
            if (p.get("status") or {}).get("phase") != "Succeeded" and not pod_ready(p)]


def no_progress(sov: Sovereign, watches: Sequence[GVR], progress: str) -> Finding:
    """The fallback Finding: what was waited on, and everything the cluster says about it."""
    target = waited_on(sov, watches)
    evidence: dict[str, str] = {"progress": progress}
    pods = unready_pods(sov)[:MAX_PODS]
    if pods:
        evidence["pods"] = "\n".join(pod_state(p) for p in pods)
    for pod in pods:
        for c in failing_containers(pod):
            tail = log_tail(sov, pod, c)
            if tail:
                evidence[f"log {namespace_of(pod)}/{name_of(pod)}/{c}"] = tail
    events = warning_events(sov)
    if events:
        evidence["warning_events"] = "\n".join(events)
    if target is None:
        return blocking(
            "stuck.no-progress", None,
            f"no rule names the cause; the step's last state: {progress}",
            "read the evidence (pods, Warning events, log tails) for what stands still; "
            "then file the signal the harness missed so a diagnoser names it next time",
            **evidence)
    obj, why = target
    conditions = conditions_text(obj)
    if conditions:
        evidence["conditions"] = conditions
    ref = f"{obj.get('kind')} {namespace_of(obj) + '/' if namespace_of(obj) else ''}" \
          f"{name_of(obj)}"
    return blocking(
        "stuck.no-progress", subject_of(obj),
        f"{ref} is not ready ({why.strip()}) and nothing changed; the step's last state: "
        f"{progress}",
        f"look at {ref}: its conditions, the Warning events and the log tails in the "
        "evidence say what it waits for; fix that, or file the signal the harness missed",
        **evidence)


def bare_no_progress(progress: str) -> Finding:
    """The fallback when even the evidence could not be read (the API gone, say)."""
    return blocking(
        "stuck.no-progress", None,
        f"no rule names the cause and the cluster's evidence could not be read; the step's "
        f"last state: {progress}",
        "check that the API server answers the harness (kubectl get events -A), then read "
        "the step's last state above", progress=progress)
