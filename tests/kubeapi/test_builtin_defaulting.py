"""Defaulting of built-in kinds, as the API server's v1 defaulting functions do it."""

from __future__ import annotations

from kubernetes import client

from .kubectl import Kubectl

PROBE = {"httpGet": {"port": 80}}


def test_pod_containers_and_probes_are_defaulted(core: client.CoreV1Api, ns: str) -> None:
    pod = core.create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "pinned", "image": "nginx:1.27", "livenessProbe": PROBE,
         "ports": [{"containerPort": 80}]},
        {"name": "floating", "image": "registry.local:5000/busybox"},
        {"name": "latest", "image": "busybox:latest"}]}})
    pinned, floating, latest = pod.spec.containers
    assert [c.image_pull_policy for c in (pinned, floating, latest)] == [
        "IfNotPresent", "Always", "Always"]
    probe = pinned.liveness_probe
    assert (probe.timeout_seconds, probe.period_seconds, probe.success_threshold,
            probe.failure_threshold) == (1, 10, 1, 3)
    assert (probe.http_get.path, probe.http_get.scheme) == ("/", "HTTP")
    assert pinned.ports[0].protocol == "TCP"
    assert pinned.termination_message_path == "/dev/termination-log"
    assert (pod.spec.restart_policy, pod.spec.dns_policy,
            pod.spec.termination_grace_period_seconds) == ("Always", "ClusterFirst", 30)


def test_workloads_and_services_are_defaulted(apps: client.AppsV1Api, core: client.CoreV1Api,
                                              ns: str) -> None:
    labels = {"app": "d"}
    d = apps.create_namespaced_deployment(ns, {"metadata": {"name": "d"}, "spec": {
        "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels},
                                                         "spec": {"containers": [
                                                             {"name": "c", "image": "x:1"}]}}}})
    assert d.spec.replicas == 1
    assert d.spec.strategy.type == "RollingUpdate"
    assert (d.spec.strategy.rolling_update.max_surge,
            d.spec.strategy.rolling_update.max_unavailable) == ("25%", "25%")
    assert (d.spec.revision_history_limit, d.spec.progress_deadline_seconds) == (10, 600)
    svc = core.create_namespaced_service(ns, {"metadata": {"name": "s"},
                                              "spec": {"ports": [{"port": 80}]}})
    assert (svc.spec.session_affinity, svc.spec.internal_traffic_policy,
            svc.spec.ip_families) == ("None", "Cluster", ["IPv4"])


def test_kubectl_describe_shows_defaulted_probes(kubectl: Kubectl, core: client.CoreV1Api,
                                                 ns: str) -> None:
    core.create_namespaced_pod(ns, {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "nginx:1.27", "readinessProbe": PROBE}]}})
    text = kubectl.out("describe", "pod", "p", "-n", ns)
    assert ("http-get http://:80/ delay=0s timeout=1s period=10s successThreshold=1 "
            "failureThreshold=3") in text
