"""Job -> pods `<job>-<5 chars>` until enough succeed or the backoff limit is reached.

Follows the job controller: failed pods are kept and counted; new pods after a failure wait
10s doubling up to 6m (scaled by time_scale); with restartPolicy OnFailure the container
restarts count against `backoffLimit`. Conditions: Complete (`CompletionsReached`) or
Failed (`BackoffLimitExceeded`, `Job has reached the specified backoff limit`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..kubeapi.store import now_iso
from .events import object_ref
from .podtemplate import Obj, is_terminal, pod_from_template, pod_phase, pod_ready, random_suffix

if TYPE_CHECKING:
    from .workloads import WorkloadController

BACKOFF_BASE = 10.0
BACKOFF_MAX = 360.0
_last_failure: dict[str, tuple[int, float]] = {}  # job uid -> (failed count, monotonic time)


def _restarts(pod: Obj) -> int:
    return sum(int(cs.get("restartCount", 0))
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _condition(type_: str, reason: str, message: str) -> Obj:
    now = now_iso()
    return {"type": type_, "status": "True", "reason": reason, "message": message,
            "lastProbeTime": now, "lastTransitionTime": now}


def reconcile(ctl: WorkloadController, job: Obj) -> float | None:
    meta, spec = job["metadata"], job.get("spec") or {}
    ns, name, uid = meta["namespace"], meta["name"], meta["uid"]
    template = spec.get("template") or {}
    completions = int(spec.get("completions", 1) or 1)
    parallelism = int(spec.get("parallelism", 1))
    backoff_limit = int(spec.get("backoffLimit", 6))
    on_failure = (template.get("spec") or {}).get("restartPolicy") == "OnFailure"
    recorder = ctl.recorder("job-controller")
    pods = ctl.owned_pods({uid}, ns)
    prev = job.get("status") or {}
    conds = list(prev.get("conditions") or [])
    finished = any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                   for c in conds)
    succeeded = sum(1 for p in pods if pod_phase(p) == "Succeeded")
    failed = sum(1 for p in pods if pod_phase(p) == "Failed")
    active = [p for p in pods if not is_terminal(p)]
    status: Obj = {"startTime": prev.get("startTime") or now_iso(),
                   "uncountedTerminatedPods": {}}
    requeue: float | None = None

    if not finished:
        past_limit = failed > backoff_limit or (
            on_failure and sum(_restarts(p) for p in active) >= backoff_limit > 0)
        if succeeded >= completions:
            conds.append(_condition("Complete", "CompletionsReached",
                                    "Reached expected number of succeeded pods"))
            status["completionTime"] = now_iso()
            recorder.record(object_ref(job), "Normal", "Completed", "Job completed")
            finished = True
        elif past_limit:
            for p in active:
                ctl.delete_pod(p)
            active = []
            if on_failure:
                failed += 1
            conds.append(_condition("Failed", "BackoffLimitExceeded",
                                    "Job has reached the specified backoff limit"))
            recorder.record(object_ref(job), "Warning", "BackoffLimitExceeded",
                            "Job has reached the specified backoff limit")
            finished = True
        else:
            want = min(parallelism - len(active), completions - succeeded - len(active))
            wait = 0.0
            if failed and want > 0:
                seen = _last_failure.get(uid)
                if seen is None or seen[0] != failed:
                    seen = (failed, time.monotonic())
                    _last_failure[uid] = seen
                delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failed - 1)) * ctl.time_scale
                wait = seen[1] + delay - time.monotonic()
            if want > 0 and wait > 0:
                requeue = wait
            else:
                for _ in range(max(0, want)):
                    pname = f"{name}-{random_suffix()}"
                    labels = {"batch.kubernetes.io/controller-uid": uid,
                              "batch.kubernetes.io/job-name": name,
                              "controller-uid": uid, "job-name": name}
                    pod = pod_from_template(template, name=pname, namespace=ns, owner=job,
                                            extra_labels=labels)
                    made = ctl.try_create_pod(job, pod, "job-controller")
                    if made is None:
                        requeue = 5.0 * ctl.time_scale  # tried again, as the job controller
                        break
                    active.append(made)
                    recorder.record(object_ref(job), "Normal", "SuccessfulCreate",
                                    f"Created pod: {pname}")
    else:
        failed = max(failed, int(prev.get("failed", 0)))
        status["completionTime"] = prev.get("completionTime")
        if prev.get("completionTime") is None:
            status.pop("completionTime")
    if finished:
        _last_failure.pop(uid, None)
    status["conditions"] = conds
    if active:
        status["active"] = len(active)
    status["ready"] = sum(1 for p in active if pod_ready(p))
    status["terminating"] = 0
    if succeeded:
        status["succeeded"] = succeeded
    if failed:
        status["failed"] = failed
    if not conds:
        del status["conditions"]
    ctl.write_status("Job", job, status)
    return requeue
