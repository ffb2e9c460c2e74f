"""Container probes as the kubelet's prober runs them: real requests to the pod's address.

An httpGet probe is a GET to `http://<podIP>:<port><path>` (reached through the pod
network's loopback mapping); any status >= 400 fails with `HTTP probe failed with
statuscode: <n>`; nothing listening fails with Go's dial error. tcpSocket checks that
something listens. A grpc probe is a real grpc.health.v1 Check to the pod's port
(grpcprobe.py); an exec probe runs its command through what the app model says the
container's image has and does (execprobe.py): a non-zero exit fails with the command's
output, a command the image lacks is a probe *error* (kubelet: the result is discarded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from ..network import PodNetwork
from .execprobe import Container, run_exec
from .grpcprobe import probe_grpc

Obj = dict[str, Any]


@dataclass(frozen=True)
class ProbeSpec:
    kind: str  # Liveness | Readiness | Startup
    handler: Obj
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int

    @classmethod
    def parse(cls, kind: str, probe: Obj) -> ProbeSpec:
        handler = {k: v for k, v in probe.items()
                   if k in ("httpGet", "tcpSocket", "exec", "grpc")}
        return cls(kind, handler,
                   float(probe.get("initialDelaySeconds", 0)),
                   float(probe.get("periodSeconds", 10)),
                   float(probe.get("timeoutSeconds", 1)),
                   int(probe.get("successThreshold", 1)),
                   int(probe.get("failureThreshold", 3)))


def resolve_port(port: Any, container: Obj) -> int | None:
    """A probe/target port: a number, or the name of one of the container's ports."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    return None


Result = Literal["success", "failure", "unknown"]


async def run_probe(spec: ProbeSpec, container: Obj, pod_ip: str, network: PodNetwork,
                    session: aiohttp.ClientSession, timeout: float,
                    exec_in: Container | None = None) -> tuple[Result, str]:
    """(result, output) of one probe attempt; `unknown` is a probe error (its output is
    the error), which the kubelet reports and throws away."""
    if "grpc" in spec.handler:
        g = spec.handler["grpc"]
        ok, out = await probe_grpc(network, pod_ip, int(g.get("port", 0)),
                                   str(g.get("service") or ""), timeout, spec.timeout)
        return ("success" if ok else "failure"), out
    if "exec" in spec.handler:
        if exec_in is None:
            return "unknown", "rpc error: code = Unknown desc = container not found"
        res = await run_exec([str(a) for a in spec.handler["exec"].get("command") or []],
                             exec_in)
        if res.exit_code is None:
            return "unknown", res.output
        return ("success" if res.exit_code == 0 else "failure"), res.output
    ok, out = await _network_probe(spec, container, pod_ip, network, session, timeout)
    return ("success" if ok else "failure"), out


async def _network_probe(spec: ProbeSpec, container: Obj, pod_ip: str, network: PodNetwork,
                         session: aiohttp.ClientSession, timeout: float) -> tuple[bool, str]:
    """(success, output) of an httpGet or tcpSocket probe."""
    if "httpGet" in spec.handler:
        hg = spec.handler["httpGet"]
        port = resolve_port(hg.get("port"), container)
        path = hg.get("path") or "/"
        if not path.startswith("/"):
            path = "/" + path
        scheme = str(hg.get("scheme") or "HTTP").lower()
        if port is None:
            return False, f"unable to resolve port {hg.get('port')!r}"  # kubelet: probe error
        url = f"{scheme}://{pod_ip}:{port}{path}"
        base = network.resolve(pod_ip, port)
        if base is None:
            return False, (f'Get "{url}": dial tcp {pod_ip}:{port}: connect: '
                           "connection refused")
        headers = {"User-Agent": "kube-probe/1.34", "Accept": "*/*",
                   "Host": f"{pod_ip}:{port}"}
        for h in hg.get("httpHeaders") or []:
            headers[h["name"]] = h.get("value", "")
        try:
            async with session.get(base + path, headers=headers, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                await resp.read()
                if resp.status >= 400:
                    return False, f"HTTP probe failed with statuscode: {resp.status}"
                return True, ""
        except TimeoutError:
            return False, (f'Get "{url}": context deadline exceeded (Client.Timeout exceeded '
                           "while awaiting headers)")
        except aiohttp.ClientError:
            return False, (f'Get "{url}": dial tcp {pod_ip}:{port}: connect: '
                           "connection refused")
    if "tcpSocket" in spec.handler:
        port = resolve_port(spec.handler["tcpSocket"].get("port"), container)
        if port is None or network.resolve(pod_ip, port) is None:
            return False, f"dial tcp {pod_ip}:{port}: connect: connection refused"
        return True, ""
    return True, ""
