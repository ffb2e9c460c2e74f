"""kubectl's views of the emulated API: Table columns, get all, scale, auth, get -w."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from typing import Any

import httpx
import pytest
from kubernetes import client

from stubs.emulator.kubeapi.tables import human_duration
from stubs.emulator.runtime import EmulatorThread

from .kubectl import KUBECTL, Kubectl

HELM = "helm.toolkit.fluxcd.io"


def _deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app",
                                                           "image": "nginx:1.27"}]}}}}


def _running_pod(core: client.CoreV1Api, ns: str, name: str, restarts: int = 0) -> None:
    core.create_namespaced_pod(ns, {"metadata": {"name": name, "labels": {"app": name}},
                                    "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
    core.patch_namespaced_pod_status(name, ns, {"status": {
        "phase": "Running", "podIP": "10.244.0.9",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": True, "restartCount": restarts,
                               "image": "nginx", "imageID": "", "started": True,
                               "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (0, "0s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (179 * 60, "179m"),
    (3 * 3600 + 60, "3h1m"), (9 * 3600, "9h"), (50 * 3600, "2d2h"), (30 * 86400, "30d"),
    (3 * 365 * 86400, "3y"), (10 * 365 * 86400, "10y")])
def test_ages_read_as_apimachinery_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_get_pods_shows_ready_status_restarts_age(kubectl: Kubectl, core: client.CoreV1Api,
                                                  ns: str) -> None:
    _running_pod(core, ns, "web")
    core.create_namespaced_pod(ns, {"metadata": {"name": "waiting"}, "spec": {
        "containers": [{"name": "app", "image": "nginx"}]}})
    core.patch_namespaced_pod_status("waiting", ns, {"status": {
        "phase": "Pending", "containerStatuses": [{
            "name": "app", "ready": False, "restartCount": 0, "image": "nginx", "imageID": "",
            "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}})
    rows = _rows(kubectl.out("get", "pods", "-n", ns))
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows[1][:4] == ["waiting", "0/1", "ImagePullBackOff", "0"]
    assert rows[2][:4] == ["web", "1/1", "Running", "0"]
    wide = _rows(kubectl.out("get", "pod", "web", "-n", ns, "-o", "wide"))
    assert wide[0][5:7] == ["IP", "NODE"] and wide[1][5] == "10.244.0.9"


def test_get_deployments_and_services_columns(kubectl: Kubectl, apps: client.AppsV1Api,
                                              core: client.CoreV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, _deployment("api", 2))
    core.create_namespaced_service(ns, {"metadata": {"name": "api"}, "spec": {
        "selector": {"app": "api"},
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}})
    deploy = _rows(kubectl.out("get", "deployments", "-n", ns))
    assert deploy[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deploy[1][:4] == ["api", "0/2", "0", "0"]
    svc = _rows(kubectl.out("get", "svc", "api", "-n", ns))
    assert svc[0] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert svc[1][1] == "ClusterIP" and svc[1][3:5] == ["<none>", "80/TCP,443/TCP"]


def test_crd_printer_columns_are_evaluated(kubectl: Kubectl, custom: client.CustomObjectsApi,
                                           ns: str) -> None:
    custom.create_namespaced_custom_object(HELM, "v2", ns, "helmreleases", {
        "apiVersion": f"{HELM}/v2", "kind": "HelmRelease", "metadata": {"name": "gitea"},
        "spec": {"interval": "5m", "chart": {"spec": {"chart": "gitea",
                                                      "sourceRef": {"kind": "HelmRepository",
                                                                    "name": "r"}}}}})
    custom.patch_namespaced_custom_object_status(HELM, "v2", ns, "helmreleases", "gitea", {
        "status": {"conditions": [
            {"type": "Reconciling", "status": "False", "reason": "x", "message": "m",
             "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"type": "Ready", "status": "True", "reason": "InstallSucceeded",
             "message": "Helm install succeeded", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        ]}})
    text = kubectl.out("get", "helmreleases", "-n", ns)
    header, row = text.strip().splitlines()
    assert header.split() == ["NAME", "AGE", "READY", "STATUS"]
    assert row.split()[2:] == ["True", "Helm", "install", "succeeded"]


def test_table_rows_carry_metadata_or_the_object(raw: httpx.Client, core: client.CoreV1Api,
                                                 ns: str) -> None:
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    path = f"/api/v1/namespaces/{ns}/configmaps"
    for include, kind in (("Metadata", "PartialObjectMetadata"), ("Object", "ConfigMap")):
        data = raw.get(path, params={"includeObject": include},
                       headers={"Accept": accept}).json()
        assert data["kind"] == "Table"
        assert [c["name"] for c in data["columnDefinitions"]] == ["Name", "Data", "Age"]
        assert data["rows"][0]["cells"][:2] == ["c", 1]
        assert data["rows"][0]["object"]["kind"] == kind


def test_get_all_lists_the_all_category(kubectl: Kubectl, apps: client.AppsV1Api,
                                        core: client.CoreV1Api, ns: str) -> None:
    apps.create_namespaced_deployment(ns, _deployment("web"))
    _running_pod(core, ns, "solo")
    core.create_namespaced_config_map(ns, {"metadata": {"name": "not-in-all"}})
    text = kubectl.out("get", "all", "-n", ns)
    assert "pod/solo" in text and "deployment.apps/web" in text
    assert "not-in-all" not in text


def test_scale_answers_a_scale_and_writes_replicas(kubectl: Kubectl, apps: client.AppsV1Api,
                                                   ns: str) -> None:
    apps.create_namespaced_deployment(ns, _deployment("api"))
    proc = kubectl.run("scale", "deployment/api", "-n", ns, "--replicas=3")
    assert proc.stdout.strip() == "deployment.apps/api scaled"
    assert apps.read_namespaced_deployment("api", ns).spec.replicas == 3
    scale = apps.read_namespaced_deployment_scale("api", ns)
    assert (scale.kind, scale.spec.replicas, scale.status.selector) == ("Scale", 3, "app=api")
    bad = kubectl.run("scale", "deployment/api", "-n", ns, "--replicas=-1", check=False)
    assert bad.returncode != 0


def test_auth_can_i_and_whoami(kubectl: Kubectl) -> None:
    assert kubectl.out("auth", "can-i", "create", "pods", "-n", "default").strip() == "yes"
    assert kubectl.out("auth", "can-i", "delete", "helmreleases.helm.toolkit.fluxcd.io",
                       "-A").strip() == "yes"
    rules = kubectl.out("auth", "can-i", "--list")
    assert "*.*" in rules
    # The user's name is the server's own (the emulated API's or the oracle's token user).
    whoami = _rows(kubectl.out("auth", "whoami"))
    assert whoami[0] == ["ATTRIBUTE", "VALUE"] and whoami[1][0] == "Username"
    groups = next(row for row in whoami if row[0] == "Groups")
    assert groups[-1].endswith("system:authenticated]")


def test_get_watch_prints_new_rows(kubectl: Kubectl, core: client.CoreV1Api, ns: str) -> None:
    proc = subprocess.Popen([str(KUBECTL), "--kubeconfig", str(kubectl.kubeconfig), "get",
                             "configmaps", "-n", ns, "-w"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []],
                     daemon=True).start()
    try:
        time.sleep(0.5)  # kubectl lists, then opens the watch
        core.create_namespaced_config_map(ns, {"metadata": {"name": "late"}, "data": {"k": "v"}})
        deadline = time.monotonic() + 20
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if any(line.split()[:2] == ["late", "1"] for line in seen):
                break
        assert any(line.split()[:2] == ["late", "1"] for line in seen), seen
    finally:
        proc.kill()
        proc.wait()


def test_selectors_wait_and_logs(kubectl: Kubectl, core: client.CoreV1Api, ns: str,
                                 emulator: EmulatorThread) -> None:
    _running_pod(core, ns, "web")
    core.create_namespaced_config_map(ns, {"metadata": {"name": "a", "labels": {"tier": "x"}}})
    core.create_namespaced_config_map(ns, {"metadata": {"name": "b"}})
    assert kubectl.out("get", "cm", "-n", ns, "-l", "tier=x", "-o", "name").split() == [
        "configmap/a"]
    assert kubectl.out("get", "cm", "-n", ns, "--field-selector", "metadata.name=b",
                       "-o", "name").split() == ["configmap/b"]
    waited = kubectl.out("wait", "--for=condition=Ready", "pod/web", "-n", ns,
                         "--timeout=20s")
    assert waited.strip() == "pod/web condition met"
    store = emulator.emulator.store
    emulator.call(store.append_log, ns, "web", "app", "listening on :80")
    assert kubectl.out("logs", "web", "-n", ns).strip() == "listening on :80"
