"""The emulated pod network: pod IP:port -> the loopback URL of whatever serves it.

The kubelet registers a pod's address when its container "starts" (an aiohttp app on a
loopback port) and removes it when the pod stops. The gateway proxy and any in-cluster
caller resolve Service -> EndpointSlice -> pod IP:port through here, so traffic reaches a
pod only if the cluster objects say it should.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field


@dataclass
class PodNetwork:
    _routes: dict[tuple[str, int], str] = field(default_factory=dict)
    _ips: itertools.count[int] = field(default_factory=lambda: itertools.count(2))

    def allocate_ip(self) -> str:
        n = next(self._ips)
        return f"10.244.{n // 250}.{n % 250 + 1}"

    def register(self, ip: str, port: int, url: str) -> None:
        self._routes[(ip, port)] = url

    def unregister(self, ip: str) -> None:
        for key in [k for k in self._routes if k[0] == ip]:
            del self._routes[key]

    def resolve(self, ip: str, port: int) -> str | None:
        """Loopback base URL for ip:port, or None when nothing listens there. An address
        outside the pod network (a container on kind's Docker network, which a
        selector-less Service's EndpointSlice names) is routed off the node as is."""
        if not _in_pod_network(ip):
            return f"http://{ip}:{port}"
        return self._routes.get((ip, port))


POD_NETWORK = ipaddress.ip_network("10.244.0.0/16")  # kind's default podSubnet


def _in_pod_network(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in POD_NETWORK
    except ValueError:
        return True  # not an address: nothing to route to
