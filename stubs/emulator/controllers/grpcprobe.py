"""gRPC probes: a real grpc.health.v1 Health/Check call, as the kubelet's prober makes it
(pkg/probe/grpc/grpc.go), and the health server an app model's image serves.

The kubelet dials with `grpc.WithBlock()` inside the probe's timeout, so a port where
nothing listens, or where a server that does not speak HTTP/2 gRPC listens, ends the same
way: `timeout: failed to connect service "<ip>:<port>" within <t>: context deadline
exceeded`. A server without the Health service: `error: this server does not implement the
grpc health protocol (grpc.health.v1.Health): <message>`; any other status:
`service unhealthy (responded with "NOT_SERVING")`; an RPC error: `error: health rpc probe
failed: rpc error: code = <Code> desc = <message>`.

grpcio (and grpcio-health-checking) do the talking on both sides: no hand-written HTTP/2.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ..network import PodNetwork

SERVING_STATES = {"SERVING": health_pb2.HealthCheckResponse.SERVING,
                  "NOT_SERVING": health_pb2.HealthCheckResponse.NOT_SERVING}


def _go_duration(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else f"{int(seconds // 60)}m{seconds % 60:g}s"


def _code_name(code: grpc.StatusCode) -> str:
    """Go's codes.Code String(): `NotFound`, `Unavailable`, ..."""
    return "".join(p.capitalize() for p in code.name.split("_"))


async def probe_grpc(network: PodNetwork, pod_ip: str, port: int, service: str,
                     timeout: float, shown_timeout: float) -> tuple[bool, str]:
    """(success, output) of one gRPC health probe; `shown_timeout` is the unscaled
    timeoutSeconds the kubelet prints."""
    addr = f"{pod_ip}:{port}"
    connect_timeout = (f'timeout: failed to connect service "{addr}" within '
                       f"{_go_duration(shown_timeout)}: context deadline exceeded")
    base = network.resolve(pod_ip, port)
    if base is None:
        return False, connect_timeout
    target = base.split("://", 1)[-1].rstrip("/")
    async with grpc.aio.insecure_channel(
            target, options=[("grpc.primary_user_agent", "kube-probe/1.34")]) as channel:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout)
        except TimeoutError:
            return False, connect_timeout
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            resp = await stub.Check(health_pb2.HealthCheckRequest(service=service),
                                    timeout=timeout)
        except grpc.aio.AioRpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                return False, ("error: this server does not implement the grpc health "
                               f"protocol (grpc.health.v1.Health): {e.details() or ''}")
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return False, ("timeout: health rpc did not complete within "
                               f"{_go_duration(shown_timeout)}")
            return False, (f"error: health rpc probe failed: rpc error: code = "
                           f"{_code_name(e.code())} desc = {e.details() or ''}")
    if resp.status != health_pb2.HealthCheckResponse.SERVING:
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
        return False, f'service unhealthy (responded with "{name}")'
    return True, "service healthy"


async def serve_health(services: Iterable[tuple[str, str]]) -> tuple[grpc.aio.Server, str]:
    """A grpc.health.v1 server on a loopback port with each (service, status) set; returns
    it and its base URL for the pod network."""
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    for name, state in services:
        await servicer.set(name, SERVING_STATES.get(state, health_pb2.HealthCheckResponse.
                                                    NOT_SERVING))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"http://127.0.0.1:{port}"
