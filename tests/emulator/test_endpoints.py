"""EndpointSlices follow pod readiness; cluster DNS reaches a pod only through them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest

from stubs.emulator.appmodel import AppModel
from stubs.emulator.clusterdns import cluster_client
from stubs.emulator.controllers.endpoints import EndpointSliceController
from stubs.emulator.controllers.kubelet import Kubelet
from stubs.emulator.controllers.nodes import NodeController
from tests.emulator.cluster_harness import Cluster, cluster

NS = "ep"
MODEL = AppModel.parse({"images": [
    {"repository": "ghcr.io/openova-io/web", "port": 8080, "paths": ["/healthz", "/app/"]}]})


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    with cluster([NodeController(), Kubelet(app_model=MODEL), EndpointSliceController()],
                 time_scale=0.01) as cl:
        cl.namespace(NS)
        yield cl


def pod(name: str, app: str, probe_path: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS, "labels": {"app": app}},
            "spec": {"containers": [{
                "name": "main", "image": "ghcr.io/openova-io/web:1",
                "ports": [{"name": "http", "containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": probe_path, "port": "http"}}}]}}


def service(name: str, app: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"app": app},
                     "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}}


def slice_for(c: Cluster, svc: str, pred: Any) -> dict[str, Any]:
    return c.wait("EndpointSlice", NS, lambda s: s["metadata"]["labels"].get(
        "kubernetes.io/service-name") == svc and pred(s))


def test_ready_pod_gives_a_ready_endpoint_reachable_by_service_name(c: Cluster) -> None:
    c.create("Pod", pod("good", "good", "/healthz"))
    c.create("Service", service("good", "good"))
    es = slice_for(c, "good", lambda s: any(e["conditions"]["ready"]
                                             for e in s.get("endpoints") or []))
    assert re.fullmatch(r"good-[a-z0-9]{5}", es["metadata"]["name"])
    assert es["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == \
        "endpointslice-controller.k8s.io"
    assert es["ports"] == [{"name": "web", "port": 8080, "protocol": "TCP"}]
    assert es["endpoints"][0]["targetRef"]["name"] == "good"
    ep = c.get("Endpoints", NS, "good")
    assert ep is not None and ep["subsets"][0]["addresses"][0]["ip"] == \
        es["endpoints"][0]["addresses"][0]

    async def call() -> int:
        async with cluster_client(c.emulator) as client:
            return (await client.get(f"http://good.{NS}.svc:80/app/")).status_code

    assert asyncio.run_coroutine_threadsafe(call(), c.thread.loop).result(5) == 200


def test_unready_pod_is_listed_not_ready(c: Cluster) -> None:
    c.create("Pod", pod("bad", "bad", "/"))
    c.create("Service", service("bad", "bad"))
    es = slice_for(c, "bad", lambda s: bool(s.get("endpoints")))
    assert es["endpoints"][0]["conditions"] == {"ready": False, "serving": False,
                                                "terminating": False}
    ep = c.wait("Endpoints", NS, lambda o: bool(o.get("subsets")), name="bad")
    assert "addresses" not in ep["subsets"][0] and ep["subsets"][0]["notReadyAddresses"]
