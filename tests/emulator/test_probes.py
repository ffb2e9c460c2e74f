"""exec and gRPC probes against the app model: a real grpc.health.v1 Check to the pod's
port, and exec commands answered by what the image has and its process does (kubelet
messages from pkg/probe/grpc/grpc.go, pkg/probe/exec/exec.go, pkg/kubelet/prober)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from stubs.emulator.appmodel import AppModel
from stubs.emulator.controllers.kubelet import Kubelet
from stubs.emulator.controllers.nodes import NodeController
from tests.emulator.cluster_harness import Cluster, cluster, condition, container_status

NS = "probes"
MODEL = AppModel.parse({"kind": "AppModel", "images": [
    {"repository": "ghcr.io/openova-io/postgres", "port": 5432,
     "commands": ["sh", "cat", "pg_isready"]},
    {"repository": "ghcr.io/openova-io/distroless", "port": 8080, "paths": ["/healthz"]},
    {"repository": "ghcr.io/openova-io/rpc", "port": 8080, "paths": ["/"],
     "grpc": {"port": 9090, "services": {"": "SERVING", "payments": "NOT_SERVING"}}},
]})


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    with cluster([NodeController(), Kubelet(app_model=MODEL)], time_scale=0.01) as cl:
        cl.namespace(NS)
        cl.create("ConfigMap", {"metadata": {"name": "flags", "namespace": NS},
                                "data": {"ready": "yes\n"}})
        yield cl


def pod(name: str, image: str, probes: dict[str, Any],
        volumes: list[dict[str, Any]] | None = None,
        mounts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    container = {"name": "main", "image": image, **probes}
    if mounts:
        container["volumeMounts"] = mounts
    spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"name": name, "namespace": NS}, "spec": spec}


def ready(p: dict[str, Any]) -> bool:
    return (condition(p, "Ready") or {}).get("status") == "True"


def unhealthy(c: Cluster, name: str, pattern: str) -> dict[str, Any]:
    rx = re.compile(pattern)
    return c.wait_event(NS, lambda e: e.get("reason") == "Unhealthy" and e["involvedObject"]
                        .get("name") == name and rx.fullmatch(str(e.get("message"))) is not None)


def exec_probe(*argv: str, period: int = 10) -> dict[str, Any]:
    return {"exec": {"command": list(argv)}, "periodSeconds": period}


def test_exec_commands_run_against_the_container(c: Cluster) -> None:
    c.create("Pod", pod("pg", "ghcr.io/openova-io/postgres:16", {
        "readinessProbe": exec_probe("sh", "-c", "pg_isready -p 5432 && cat /etc/flags/ready"),
        "livenessProbe": exec_probe("pg_isready")},
        volumes=[{"name": "flags", "configMap": {"name": "flags"}}],
        mounts=[{"name": "flags", "mountPath": "/etc/flags"}]))
    p = c.wait("Pod", NS, ready, name="pg")
    assert container_status(p)["restartCount"] == 0
    # A file the mounted ConfigMap does not have: cat's own error, exit 1 -> failure.
    c.create("Pod", pod("pg-file", "ghcr.io/openova-io/postgres:16", {
        "readinessProbe": exec_probe("cat", "/etc/flags/missing")},
        volumes=[{"name": "flags", "configMap": {"name": "flags"}}],
        mounts=[{"name": "flags", "mountPath": "/etc/flags"}]))
    unhealthy(c, "pg-file", r"Readiness probe failed: cat: can't open '/etc/flags/missing': "
                            r"No such file or directory\n")
    # pg_isready on a port the process does not listen on: no response, exit 2.
    c.create("Pod", pod("pg-port", "ghcr.io/openova-io/postgres:16", {
        "readinessProbe": exec_probe("pg_isready", "-p", "5433")}))
    unhealthy(c, "pg-port", r"Readiness probe failed: /var/run/postgresql:5433 - no response\n")
    assert not ready(c.get("Pod", NS, "pg-port"))


def test_exec_of_a_binary_the_image_lacks_is_a_probe_error(c: Cluster) -> None:
    c.create("Pod", pod("nocurl", "ghcr.io/openova-io/distroless:1", {
        "livenessProbe": exec_probe("curl", "-f", "http://localhost:8080/healthz",
                                    period=1),
        "readinessProbe": exec_probe("sh", "-c", "true")}))
    ev = unhealthy(c, "nocurl", r"Liveness probe errored and resulted in unknown state: rpc "
                                r"error: code = Unknown desc = failed to exec in container: "
                                r'failed to start exec "[0-9a-f]{64}": OCI runtime exec '
                                r"failed: exec failed: unable to start container process: "
                                r'exec: "curl": executable file not found in \$PATH: unknown')
    assert ev["type"] == "Warning"
    unhealthy(c, "nocurl", r'Readiness probe errored and resulted in unknown state: .*exec: '
                           r'"sh": executable file not found in \$PATH: unknown')
    # An errored probe is thrown away: liveness never kills, readiness never passes.
    c.wait_event(NS, lambda e: e["involvedObject"].get("name") == "nocurl" and
                 e.get("reason") == "Unhealthy" and int(e.get("count", 1)) >= 4)
    p = c.get("Pod", NS, "nocurl")
    assert container_status(p)["restartCount"] == 0 and not ready(p)


def test_grpc_probe_is_a_real_health_check(c: Cluster) -> None:
    c.create("Pod", pod("rpc", "ghcr.io/openova-io/rpc:1", {
        "readinessProbe": {"grpc": {"port": 9090}, "periodSeconds": 10}}))
    c.wait("Pod", NS, ready, name="rpc")
    c.create("Pod", pod("rpc-svc", "ghcr.io/openova-io/rpc:1", {
        "readinessProbe": {"grpc": {"port": 9090, "service": "payments"}}}))
    unhealthy(c, "rpc-svc", r'Readiness probe failed: service unhealthy \(responded with '
                            r'"NOT_SERVING"\)')
    c.create("Pod", pod("rpc-unknown", "ghcr.io/openova-io/rpc:1", {
        "readinessProbe": {"grpc": {"port": 9090, "service": "orders"}}}))
    unhealthy(c, "rpc-unknown", r"Readiness probe failed: error: health rpc probe failed: rpc "
                                r"error: code = NotFound desc = .*")
    # The HTTP/1.1 port speaks no gRPC: the blocking dial times out, as the kubelet's does.
    c.create("Pod", pod("rpc-http", "ghcr.io/openova-io/rpc:1", {
        "readinessProbe": {"grpc": {"port": 8080}, "timeoutSeconds": 1}}))
    unhealthy(c, "rpc-http", r'Readiness probe failed: timeout: failed to connect service '
                             r'"10\.244\.[0-9.]+:8080" within 1s: context deadline exceeded')
    assert not ready(c.get("Pod", NS, "rpc-http"))
