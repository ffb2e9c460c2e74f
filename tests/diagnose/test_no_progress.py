"""stuck.no-progress: when no rule names the cause, the Finding names the object waited on
and carries its conditions, Warning events, pod states and failing containers' log tails."""

from __future__ import annotations

from e2e.diagnose.evidence import bare_no_progress, no_progress
from e2e.kube import gvr

from .fakesov import FakeSov, event, meta, pod


def sandbox(ready: str, reason: str, message: str) -> dict:
    return {"kind": "Sandbox", "metadata": meta("sb-1", "tenant-a"),
            "status": {"conditions": [{"type": "Ready", "status": ready, "reason": reason,
                                       "message": message}]}}


def test_names_the_object_waited_on_with_its_evidence() -> None:
    crashing = pod("worker-1", statuses=[{
        "name": "app", "restartCount": 4, "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
        "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}}}])
    sov = FakeSov().add(sandbox("False", "Provisioning", "waiting for quota"), crashing,
                        event(crashing, "BackOff", "Back-off restarting failed container"))
    sov.kube.logs[("apps", "worker-1", "app")] = "starting\nfatal: quota service refused"
    f = no_progress(sov, (gvr.SANDBOXES, gvr.SECRETS), "Sandbox sb-1 Ready=False")  # type: ignore[arg-type]
    assert f.code == "stuck.no-progress"
    assert f.subject is not None and f.subject.name == "sb-1"
    assert "Ready=False Provisioning: waiting for quota" in f.message
    assert f.evidence["conditions"] == "Ready=False Provisioning: waiting for quota"
    assert "Back-off restarting failed container" in f.evidence["warning_events"]
    assert "worker-1 Running; app: waiting CrashLoopBackOff" in f.evidence["pods"]
    assert "last exit 2 (Error); 4 restarts" in f.evidence["pods"]
    assert f.evidence["log apps/worker-1/app"].endswith("fatal: quota service refused")
    assert f.hint.startswith("look at Sandbox tenant-a/sb-1: its conditions")


def test_without_an_unready_object_it_still_says_what_it_saw() -> None:
    f = no_progress(FakeSov(), (gvr.HELMRELEASES,), "0/3 ready")  # type: ignore[arg-type]
    assert f.subject is None and "0/3 ready" in f.message
    assert "file the signal the harness missed" in f.hint
    g = bare_no_progress("GET /healthz -> 503")
    assert g.code == "stuck.no-progress" and "kubectl get events -A" in g.hint
