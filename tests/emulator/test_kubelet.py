"""The emulated kubelet: pod states, events and messages as a kubelet writes them (facts §4)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from aiohttp import web

from stubs.emulator.appmodel import AppModel
from stubs.emulator.apps import AppContext, register_app
from stubs.emulator.controllers.kubelet import Kubelet
from stubs.emulator.controllers.nodes import NodeController
from tests.emulator.cluster_harness import (
    Cluster,
    cluster,
    condition,
    container_status,
    event_matches,
    waiting_reason,
)

NS = "apps"
MODEL = AppModel.parse({"apiVersion": "emulator.sovereign-e2e/v1alpha1", "kind": "AppModel",
                        "images": [
    {"repository": "ghcr.io/openova-io/web", "tags": ["1.0"], "port": 8080,
     "paths": ["/app/"], "memory": "100Mi"},
    {"repository": "ghcr.io/openova-io/openova/guacamole", "tags": ["1.5.5"], "port": 8080,
     "paths": ["/guacamole/"], "env": {"GUACAMOLE_HOME": "/home/guacamole/.guacamole"},
     "entrypoint": {"removes": ["$GUACAMOLE_HOME"], "log": ["starting guacamole"]}},
    {"repository": "ghcr.io/openova-io/envdump", "app": "h5-envdump", "port": 9000},
    {"repository": "ghcr.io/openova-io/oneshot", "app": "h5-oneshot", "port": 9001},
]})


@register_app("h5-envdump")
def envdump(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response(dict(env))

    app = web.Application()
    app.router.add_get("/env", handle)
    return app


@register_app("h5-oneshot")
def oneshot(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    async def on_startup(app: web.Application) -> None:
        ctx.log("done")
        ctx.exit(int(env.get("EXIT_CODE", "0")))

    app = web.Application()
    app.on_startup.append(on_startup)
    return app


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    with cluster([NodeController(), Kubelet(app_model=MODEL)], time_scale=0.01) as cl:
        cl.namespace(NS)
        cl.create("Secret", {"metadata": {"name": "creds", "namespace": NS},
                             "stringData": {"password": "s3cret-value"}})
        yield cl


def pod(name: str, container: dict[str, Any], volumes: list[dict[str, Any]] | None = None,
        restart_policy: str = "Always") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", **container}],
                            "restartPolicy": restart_policy}
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"name": name, "namespace": NS}, "spec": spec}


def is_ready(p: dict[str, Any]) -> bool:
    return (condition(p, "Ready") or {}).get("status") == "True"


def test_generic_app_becomes_ready_and_serves_its_paths(c: Cluster) -> None:
    c.create("Pod", pod("web", {"image": "ghcr.io/openova-io/web:1.0",
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "readinessProbe": {"httpGet": {"path": "/app/",
                                                               "port": "http"}}}))
    p = c.wait("Pod", NS, is_ready, name="web")
    st = p["status"]
    assert st["phase"] == "Running"
    assert st["hostIP"] == "172.18.0.2" and st["podIP"].startswith("10.244.")
    assert [x["type"] for x in st["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    cs = container_status(p)
    assert cs["ready"] and cs["started"] and "running" in cs["state"]
    assert cs["containerID"].startswith("containerd://") and cs["restartCount"] == 0
    url = c.emulator.network.resolve(st["podIP"], 8080)
    assert url is not None
    assert httpx.get(url + "/app/x").status_code == 200
    assert httpx.get(url + "/").status_code == 404
    c.wait_event(NS, event_matches("Started", "Started container main", "web"))


def test_missing_secret_in_env_is_create_container_config_error(c: Cluster) -> None:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "newapi-oidc", "key": "k"}}}]
    c.create("Pod", pod("cfg", {"image": "ghcr.io/openova-io/web:1.0", "env": env}))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CreateContainerConfigError",
               name="cfg")
    assert p["status"]["phase"] == "Pending"
    assert container_status(p)["state"]["waiting"]["message"] == \
        'secret "newapi-oidc" not found'
    c.wait_event(NS, event_matches("Failed", 'Error: secret "newapi-oidc" not found', "cfg"))
    # The kubelet retries on its own; the repeat is counted on the same Event.
    ev = c.wait_event(NS, lambda e: e.get("reason") == "Failed" and e["involvedObject"]
                      ["name"] == "cfg" and e.get("count", 1) >= 2)
    assert ev["source"] == {"component": "kubelet", "host": "sovereign-control-plane"}
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{main}"
    # Creating the Secret lets the container start.
    c.create("Secret", {"metadata": {"name": "newapi-oidc", "namespace": NS},
                        "stringData": {"k": "v"}})
    c.wait("Pod", NS, is_ready, name="cfg")


def test_missing_key_and_envfrom(c: Cluster) -> None:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "nope"}}}]
    c.create("Pod", pod("key", {"image": "ghcr.io/openova-io/web:1.0", "env": env}))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CreateContainerConfigError",
               name="key")
    assert container_status(p)["state"]["waiting"]["message"] == \
        f"couldn't find key nope in Secret {NS}/creds"
    c.create("Pod", pod("envfrom", {"image": "ghcr.io/openova-io/web:1.0",
                                    "envFrom": [{"configMapRef": {"name": "absent-cm"}}]}))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CreateContainerConfigError",
               name="envfrom")
    assert container_status(p)["state"]["waiting"]["message"] == 'configmap "absent-cm" not found'


def test_optional_missing_secret_leaves_variable_absent(c: Cluster) -> None:
    env = [{"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k",
                                                          "optional": True}}},
           {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
           {"name": "URL", "value": "http://x/$(PASS_HINT)"}]
    c.create("Pod", pod("opt", {"image": "ghcr.io/openova-io/envdump:any", "env": env}))
    p = c.wait("Pod", NS, is_ready, name="opt")
    url = c.emulator.network.resolve(p["status"]["podIP"], 9000)
    assert url is not None
    seen = json.loads(httpx.get(url + "/env").text)
    assert "OPT" not in seen
    assert seen["PASS"] == "s3cret-value"
    assert seen["URL"] == "http://x/$(PASS_HINT)"


def test_missing_secret_volume_stays_container_creating(c: Cluster) -> None:
    vols = [{"name": "tls", "secret": {"secretName": "absent-tls"}}]
    c.create("Pod", pod("vol", {"image": "ghcr.io/openova-io/web:1.0",
                                "volumeMounts": [{"name": "tls", "mountPath": "/tls"}]}, vols))
    msg = 'MountVolume.SetUp failed for volume "tls" : secret "absent-tls" not found'
    ev = c.wait_event(NS, lambda e: e.get("message") == msg and e.get("count", 1) >= 3)
    assert ev["type"] == "Warning" and ev["reason"] == "FailedMount"
    p = c.get("Pod", NS, "vol")
    assert p is not None
    assert waiting_reason(p) == "ContainerCreating"
    assert p["status"]["phase"] == "Pending" and "podIP" not in p["status"]
    c.wait_event(NS, lambda e: str(e.get("message", "")).startswith(
        "Unable to attach or mount volumes: unmounted volumes=[tls], unattached volumes=[tls]: "
        "timed out waiting for the condition"), timeout=15)


def test_optional_missing_volume_mounts_empty(c: Cluster) -> None:
    vols = [{"name": "cfg", "configMap": {"name": "absent", "optional": True}}]
    c.create("Pod", pod("optvol", {"image": "ghcr.io/openova-io/web:1.0"}, vols))
    c.wait("Pod", NS, is_ready, name="optvol")


def test_unknown_image_tag_is_image_pull_backoff(c: Cluster) -> None:
    image = "ghcr.io/openova-io/web:9.9"
    c.create("Pod", pod("pull", {"image": image}))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "ImagePullBackOff", name="pull")
    assert container_status(p)["state"]["waiting"]["message"] == f'Back-off pulling image "{image}"'
    c.wait_event(NS, event_matches("Failed", "Error: ErrImagePull", "pull"))
    ev = c.wait_event(NS, lambda e: str(e.get("message", "")).startswith(
        f'Failed to pull image "{image}": '))
    assert "not found" in ev["message"]
    c.wait_event(NS, event_matches("BackOff", f'Back-off pulling image "{image}"', "pull"))
    c.wait_event(NS, event_matches("Failed", "Error: ImagePullBackOff", "pull"))


def test_entrypoint_removing_a_mount_point_crash_loops(c: Cluster) -> None:
    c.create("Pod", pod("guac", {
        "image": "ghcr.io/openova-io/openova/guacamole:1.5.5",
        "volumeMounts": [{"name": "home", "mountPath": "/home/guacamole/.guacamole"}]},
        [{"name": "home", "emptyDir": {}}]))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CrashLoopBackOff", name="guac")
    uid = p["metadata"]["uid"]
    cs = container_status(p)
    assert cs["state"]["waiting"]["message"].startswith("back-off ")
    assert cs["state"]["waiting"]["message"].endswith(
        f" restarting failed container=main pod=guac_{NS}({uid})")
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["restartCount"] >= 1
    assert p["status"]["phase"] == "Running"
    logs = c.call(c.store.read_log, NS, "guac")
    assert "rm: cannot remove '/home/guacamole/.guacamole': Read-only file system" in logs
    c.wait_event(NS, event_matches(
        "BackOff", f"Back-off restarting failed container main in pod guac_{NS}({uid})"))
    # The back-off doubles: 10s, then 20s.
    c.wait("Pod", NS, lambda o: "back-off 20s" in str(
        container_status(o)["state"].get("waiting", {}).get("message")), name="guac")


def test_liveness_on_an_unserved_path_restarts_into_crash_loop(c: Cluster) -> None:
    """The seed's guacamole probe on `/`: Tomcat answers 404 there."""
    probe = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10,
             "failureThreshold": 3}
    c.create("Pod", pod("probe", {"image": "ghcr.io/openova-io/openova/guacamole:1.5.5",
                                  "livenessProbe": probe, "readinessProbe": probe,
                                  "volumeMounts": [{"name": "home",
                                                    "mountPath": "/home/guacamole"}]},
                        [{"name": "home", "emptyDir": {}}]))
    c.wait_event(NS, event_matches(
        "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404", "probe"))
    c.wait_event(NS, event_matches(
        "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 404", "probe"))
    ev = c.wait_event(NS, event_matches(
        "Killing", "Container main failed liveness probe, will be restarted", "probe"))
    assert ev["type"] == "Normal"
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CrashLoopBackOff", name="probe",
               timeout=15)
    cs = container_status(p)
    assert cs["restartCount"] >= 1 and cs["lastState"]["terminated"]["exitCode"] == 137
    assert not is_ready(p)


def test_memory_limit_below_the_working_set_is_oom_killed_into_crash_loop(c: Cluster) -> None:
    """A real kubelet's signals: lastState.terminated OOMKilled/137, restarts, CrashLoopBackOff."""
    c.create("Pod", pod("oom", {"image": "ghcr.io/openova-io/web:1.0",
                                "resources": {"limits": {"memory": "64Mi"}}}))
    p = c.wait("Pod", NS, lambda o: waiting_reason(o) == "CrashLoopBackOff"
               and container_status(o)["restartCount"] >= 2, name="oom")
    last = container_status(p)["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (137, "OOMKilled")
    uid = p["metadata"]["uid"]
    c.wait_event(NS, event_matches(
        "BackOff", f"Back-off restarting failed container main in pod oom_{NS}({uid})", "oom"))
    # The same image under a limit above its working set keeps running.
    c.create("Pod", pod("roomy", {"image": "ghcr.io/openova-io/web:1.0",
                                  "resources": {"limits": {"memory": "128Mi"}}}))
    ok = c.wait("Pod", NS, is_ready, name="roomy")
    assert container_status(ok)["restartCount"] == 0


def test_app_exit_completes_a_never_restart_pod(c: Cluster) -> None:
    c.create("Pod", pod("once", {"image": "ghcr.io/openova-io/oneshot:1"},
                        restart_policy="Never"))
    p = c.wait("Pod", NS, lambda o: o["status"].get("phase") == "Succeeded", name="once")
    term = container_status(p)["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert (condition(p, "Ready") or {}).get("reason") == "PodCompleted"
    c.create("Pod", pod("fail", {"image": "ghcr.io/openova-io/oneshot:1",
                                 "env": [{"name": "EXIT_CODE", "value": "3"}]},
                        restart_policy="Never"))
    p = c.wait("Pod", NS, lambda o: o["status"].get("phase") == "Failed", name="fail")
    assert container_status(p)["state"]["terminated"]["exitCode"] == 3


def test_deleting_a_pod_stops_its_server(c: Cluster) -> None:
    c.create("Pod", pod("gone", {"image": "ghcr.io/openova-io/web:1.0"}))
    p = c.wait("Pod", NS, is_ready, name="gone")
    ip = p["status"]["podIP"]
    url = c.emulator.network.resolve(ip, 8080)
    assert url is not None
    c.delete("Pod", NS, "gone")
    kubelet = next(x for x in c.emulator.components if isinstance(x, Kubelet))
    # Run the kubelet's sync for the deleted pod now (it is idempotent) instead of waiting.
    asyncio.run_coroutine_threadsafe(kubelet.reconcile(("Pod", NS, "gone")),
                                     c.thread.loop).result(5)
    assert c.call(c.emulator.network.resolve, ip, 8080) is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/app/")
