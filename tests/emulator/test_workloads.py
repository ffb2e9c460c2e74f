"""Workload controllers: pod names, rollouts and the status fields kstatus reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from stubs.emulator.appmodel import AppModel
from stubs.emulator.controllers.kubelet import Kubelet
from stubs.emulator.controllers.nodes import NodeController
from stubs.emulator.controllers.workloads import WorkloadController
from tests.emulator.cluster_harness import Cluster, cluster, condition, event_matches

NS = "wl"
MODEL = AppModel.parse({"images": [
    {"repository": "ghcr.io/openova-io/web", "port": 8080, "paths": ["/"]},
    {"repository": "ghcr.io/openova-io/oneshot", "app": "h5-oneshot", "port": 9001},
]})


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    import tests.emulator.test_kubelet  # noqa: F401  (registers the h5-oneshot app)

    with cluster([NodeController(), WorkloadController(), Kubelet(app_model=MODEL)],
                 time_scale=0.01) as cl:
        cl.namespace(NS)
        yield cl


def template(app: str, image: str = "ghcr.io/openova-io/web:1.0",
             env: list[dict[str, Any]] | None = None,
             restart_policy: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": image}
    if env:
        container["env"] = env
    spec: dict[str, Any] = {"containers": [container]}
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    return {"metadata": {"labels": {"app": app}}, "spec": spec}


def deployment(name: str, replicas: int = 1,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": template(name), **(extra or {})}}


def rolled_out(replicas: int) -> Any:
    def pred(d: dict[str, Any]) -> bool:
        st = d.get("status") or {}
        prog = condition(d, "Progressing") or {}
        return (st.get("observedGeneration") == d["metadata"]["generation"]
                and st.get("updatedReplicas") == replicas == st.get("availableReplicas")
                and st.get("replicas") == replicas
                and prog.get("reason") == "NewReplicaSetAvailable")
    return pred


def test_deployment_pods_replicaset_and_status(c: Cluster) -> None:
    c.create("Deployment", deployment("api", replicas=2))
    d = c.wait("Deployment", NS, rolled_out(2), name="api")
    assert condition(d, "Available") == {**condition(d, "Available"),  # type: ignore[dict-item]
                                         "status": "True", "reason": "MinimumReplicasAvailable",
                                         "message": "Deployment has minimum availability."}
    rs = c.list("ReplicaSet", NS, "app=api")
    assert len(rs) == 1
    rs_name = rs[0]["metadata"]["name"]
    assert re.fullmatch(r"api-[0-9a-f]{10}", rs_name)
    assert condition(d, "Progressing")["message"] == (  # type: ignore[index]
        f'ReplicaSet "{rs_name}" has successfully progressed.')
    pods = c.list("Pod", NS, "app=api")
    assert len(pods) == 2
    for p in pods:
        assert re.fullmatch(rf"{rs_name}-[a-z0-9]{{5}}", p["metadata"]["name"])
        assert p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        assert p["metadata"]["labels"]["pod-template-hash"] == rs_name.rsplit("-", 1)[1]


def test_template_change_rolls_to_a_new_hash(c: Cluster) -> None:
    c.create("Deployment", deployment("roll"))
    c.wait("Deployment", NS, rolled_out(1), name="roll")
    old = {p["metadata"]["name"] for p in c.list("Pod", NS, "app=roll")}

    def change(obj: dict[str, Any]) -> dict[str, Any]:
        obj["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "V", "value": "2"}]
        return obj

    c.update("Deployment", NS, "roll", change)
    d = c.wait("Deployment", NS, rolled_out(1), name="roll")
    assert d["metadata"]["generation"] == 2
    new = {p["metadata"]["name"] for p in c.list("Pod", NS, "app=roll")}
    assert len(new) == 1 and not (new & old)
    assert len(c.list("ReplicaSet", NS, "app=roll")) == 2


def test_broken_rollout_keeps_the_old_pod_and_exceeds_the_deadline(c: Cluster) -> None:
    c.create("Deployment", deployment("stuck", extra={"progressDeadlineSeconds": 60}))
    c.wait("Deployment", NS, rolled_out(1), name="stuck")
    old = {p["metadata"]["name"] for p in c.list("Pod", NS, "app=stuck")}

    def break_it(obj: dict[str, Any]) -> dict[str, Any]:
        obj["spec"]["template"]["spec"]["containers"][0]["env"] = [
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "missing", "key": "k"}}}]
        return obj

    c.update("Deployment", NS, "stuck", break_it)
    d = c.wait("Deployment", NS, lambda o: (condition(o, "Progressing") or {}).get("reason")
               == "ProgressDeadlineExceeded", name="stuck")
    assert condition(d, "Progressing")["status"] == "False"  # type: ignore[index]
    assert condition(d, "Available")["status"] == "True"  # type: ignore[index]
    assert old <= {p["metadata"]["name"] for p in c.list("Pod", NS, "app=stuck")}


def test_statefulset_ordinals_and_status(c: Cluster) -> None:
    c.create("StatefulSet", {"metadata": {"name": "db", "namespace": NS},
                             "spec": {"replicas": 2, "serviceName": "db",
                                      "selector": {"matchLabels": {"app": "db"}},
                                      "template": template("db")}})
    s = c.wait("StatefulSet", NS, lambda o: (o.get("status") or {}).get("readyReplicas") == 2,
               name="db")
    st = s["status"]
    assert st["currentRevision"] == st["updateRevision"]
    assert st["updatedReplicas"] == 2 and st["observedGeneration"] == 1
    assert sorted(p["metadata"]["name"] for p in c.list("Pod", NS, "app=db")) == ["db-0", "db-1"]


def test_daemonset_one_pod_per_node(c: Cluster) -> None:
    c.create("DaemonSet", {"metadata": {"name": "agent", "namespace": NS},
                           "spec": {"selector": {"matchLabels": {"app": "agent"}},
                                    "template": template("agent")}})
    ds = c.wait("DaemonSet", NS, lambda o: (o.get("status") or {}).get("numberReady") == 1,
                name="agent")
    assert ds["status"]["desiredNumberScheduled"] == 1
    pods = c.list("Pod", NS, "app=agent")
    assert len(pods) == 1 and pods[0]["spec"]["nodeName"] == "sovereign-control-plane"


def test_job_completes(c: Cluster) -> None:
    c.create("Job", {"metadata": {"name": "once", "namespace": NS},
                     "spec": {"template": template("once", "ghcr.io/openova-io/oneshot:1",
                                                   restart_policy="Never")}})
    j = c.wait("Job", NS, lambda o: condition(o, "Complete") is not None, name="once")
    assert condition(j, "Complete")["reason"] == "CompletionsReached"  # type: ignore[index]
    assert j["status"]["succeeded"] == 1 and "completionTime" in j["status"]
    pods = c.list("Pod", NS, "job-name=once")
    assert len(pods) == 1 and re.fullmatch(r"once-[a-z0-9]{5}", pods[0]["metadata"]["name"])


def test_job_fails_after_backoff_limit(c: Cluster) -> None:
    c.create("Job", {"metadata": {"name": "bad", "namespace": NS},
                     "spec": {"backoffLimit": 1,
                              "template": template("bad", "ghcr.io/openova-io/oneshot:1",
                                                   env=[{"name": "EXIT_CODE", "value": "2"}],
                                                   restart_policy="Never")}})
    j = c.wait("Job", NS, lambda o: condition(o, "Failed") is not None, name="bad")
    failed = condition(j, "Failed")
    assert failed is not None
    assert (failed["reason"], failed["message"]) == (
        "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert j["status"]["failed"] == 2


def test_a_pod_that_fits_no_node_stays_pending_unschedulable(c: Cluster) -> None:
    d = deployment("gpu")
    d["spec"]["template"]["spec"]["nodeSelector"] = {"gpu": "true"}
    c.create("Deployment", d)
    pod = c.wait("Pod", NS, lambda p: (condition(p, "PodScheduled") or {}).get("reason")
                 == "Unschedulable" and p["metadata"]["labels"].get("app") == "gpu")
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    msg = condition(pod, "PodScheduled")["message"]  # type: ignore[index]
    assert msg == ("0/1 nodes are available: 1 node(s) didn't match Pod's node "
                   "affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is "
                   "not helpful for scheduling.")
    c.wait_event(NS, event_matches("FailedScheduling", msg))


def test_requests_beyond_allocatable_are_insufficient(c: Cluster) -> None:
    d = deployment("hungry")
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {
        "requests": {"memory": "64Gi", "cpu": "100m"}}
    c.create("Deployment", d)
    pod = c.wait("Pod", NS, lambda p: (condition(p, "PodScheduled") or {}).get("reason")
                 == "Unschedulable" and p["metadata"]["labels"].get("app") == "hungry")
    assert condition(pod, "PodScheduled")["message"].startswith(  # type: ignore[index]
        "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are "
        "available: 1 No preemption victims found for incoming pod.")


def test_a_missing_claim_keeps_the_pod_pending_until_it_exists(c: Cluster) -> None:
    """VolumeBinding's PreFilter: a claim that does not exist makes the pod unschedulable
    (unresolvable by preemption); creating the claim lets the scheduler bind it."""
    d = deployment("stateful")
    d["spec"]["template"]["spec"]["volumes"] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    c.create("Deployment", d)
    pod = c.wait("Pod", NS, lambda p: (condition(p, "PodScheduled") or {}).get("reason")
                 == "Unschedulable" and p["metadata"]["labels"].get("app") == "stateful")
    msg = condition(pod, "PodScheduled")["message"]  # type: ignore[index]
    assert msg == ('0/1 nodes are available: persistentvolumeclaim "data" not found. '
                   "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                   "scheduling.")
    c.wait_event(NS, event_matches("FailedScheduling", msg))
    c.create("PersistentVolumeClaim", {
        "metadata": {"name": "data", "namespace": NS},
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}})
    c.wait("Pod", NS, lambda p: bool(p["spec"].get("nodeName"))
           and p["metadata"]["labels"].get("app") == "stateful")


def test_quota_refusing_pods_sets_replica_failure(c: Cluster) -> None:
    """kube-controller-manager's signals when admission refuses a ReplicaSet's pods: a
    Warning FailedCreate event and ReplicaFailure=True FailedCreate on the ReplicaSet and
    the Deployment, with the API's message; both go once pods can be created."""
    ns = "capped"
    c.namespace(ns)
    c.create("ResourceQuota", {"metadata": {"name": "compute", "namespace": ns},
                               "spec": {"hard": {"requests.memory": "256Mi",
                                                 "limits.memory": "512Mi"}}})
    c.create("Deployment", {**deployment("web"), "metadata": {"name": "web", "namespace": ns}})
    d = c.wait("Deployment", ns, lambda o: condition(o, "ReplicaFailure") is not None,
               name="web")
    why = condition(d, "ReplicaFailure")
    assert why is not None and (why["status"], why["reason"]) == ("True", "FailedCreate")
    assert re.fullmatch(r'pods "web-[0-9a-f]{10}-" is forbidden: failed quota: compute: must '
                        r"specify limits\.memory for: main; requests\.memory for: main",
                        why["message"]), why["message"]
    rs = c.list("ReplicaSet", ns, "app=web")[0]
    assert condition(rs, "ReplicaFailure")["message"] == why["message"]  # type: ignore[index]
    ev = c.wait_event(ns, event_matches("FailedCreate"))
    assert ev["type"] == "Warning" and ev["message"] == f"Error creating: {why['message']}"
    assert ev["involvedObject"]["kind"] == "ReplicaSet"
    assert c.list("Pod", ns, "app=web") == []

    c.delete("ResourceQuota", ns, "compute")
    c.wait("Deployment", ns, lambda o: condition(o, "ReplicaFailure") is None
           and (o.get("status") or {}).get("replicas") == 1, name="web")
    assert condition(c.list("ReplicaSet", ns, "app=web")[0], "ReplicaFailure") is None


def test_exceeded_quota_names_requested_used_and_limited(c: Cluster) -> None:
    ns = "onepod"
    c.namespace(ns)
    c.create("ResourceQuota", {"metadata": {"name": "one-pod", "namespace": ns},
                               "spec": {"hard": {"pods": "1"}}})
    c.create("Deployment", {**deployment("two", replicas=2),
                            "metadata": {"name": "two", "namespace": ns}})
    d = c.wait("Deployment", ns, lambda o: condition(o, "ReplicaFailure") is not None,
               name="two")
    assert re.fullmatch(r'pods "two-[0-9a-f]{10}-" is forbidden: exceeded quota: one-pod, '
                        r"requested: pods=1, used: pods=1, limited: pods=1",
                        condition(d, "ReplicaFailure")["message"])  # type: ignore[index]
    assert len(c.list("Pod", ns, "app=two")) == 1
