"""Cluster DNS and Service routing for in-cluster HTTP: `http://<svc>.<ns>.svc:<port>/...`.

A name resolves the way kube-dns plus kube-proxy/Cilium would make it reachable:
Service (by name/namespace) -> the Service port -> EndpointSlices labelled
`kubernetes.io/service-name=<svc>` -> endpoints whose `conditions.ready` is not false ->
pod IP -> `emulator.network.resolve(ip, targetPort)` -> a loopback URL. Round-robin over
the ready endpoints. An unknown Service is a DNS failure; a Service with no ready endpoint,
or an endpoint where nothing listens, is "connection refused". Both raise
`httpx.ConnectError`, as a real client would see them.

Names under the emulator's FQDN (`gitea.<fqdn>`) resolve to the gateway proxy, as public
DNS points them at the load balancer. Anything else is "no such host".

Only an async transport is offered: the Store is loop-confined and the servers share the
caller's loop, so a blocking client on that loop would deadlock it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from .kubeapi.resources import ResourceType

if TYPE_CHECKING:
    from .runtime import Emulator

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
CLUSTER_DOMAIN = "cluster.local"


class NoSuchHost(httpx.ConnectError):
    """DNS failure: the name is not a Service (message like Go's resolver error)."""


class ConnectionRefused(httpx.ConnectError):
    """The Service exists but nothing ready listens behind it."""


class DialTimeout(httpx.ConnectTimeout):
    """Nothing owns the address dialled: the packets are dropped and the dial times out."""


class TLSHandshakeFailed(httpx.ConnectError):
    """An https:// URL whose server does not complete a TLS handshake (Go's wording)."""


@dataclass(frozen=True)
class ServiceName:
    name: str
    namespace: str


def parse_service_host(host: str, default_namespace: str | None = None) -> ServiceName | None:
    """`svc.ns.svc[.cluster.local]`, `svc.ns`, or bare `svc` (with a search namespace)."""
    host = host.rstrip(".").lower()
    labels = host.split(".")
    suffix = ["svc", *CLUSTER_DOMAIN.split(".")]
    if len(labels) == 2 + len(suffix) and labels[2:] == suffix:
        return ServiceName(labels[0], labels[1])
    if len(labels) == 3 and labels[2] == "svc":
        return ServiceName(labels[0], labels[1])
    if len(labels) == 2 and default_namespace is not None:
        return ServiceName(labels[0], labels[1])
    if len(labels) == 1 and default_namespace is not None:
        return ServiceName(labels[0], default_namespace)
    return None


def endpoint_ready(endpoint: dict[str, Any]) -> bool:
    # EndpointSlice API: a nil `ready` means unknown and consumers treat it as ready.
    return (endpoint.get("conditions") or {}).get("ready") is not False


@dataclass
class ClusterDNS:
    emulator: Emulator
    _rr: dict[tuple[str, str, int], itertools.count[int]] = field(default_factory=dict)

    def _rt(self, group: str, version: str, plural: str) -> ResourceType:
        rt = self.emulator.store.registry.get(group, version, plural)
        assert rt is not None, plural
        return rt

    def service(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self.emulator.store.try_get(self._rt("", "v1", "services"), namespace, name)

    def backends(self, namespace: str, name: str, port: int) -> list[tuple[str, int]]:
        """Ready (pod IP, container port) pairs behind `name:port`; raises on DNS failure."""
        svc = self.service(namespace, name)
        if svc is None:
            raise NoSuchHost(f"lookup {name}.{namespace}.svc.{CLUSTER_DOMAIN}: no such host")
        svc_port = next((p for p in (svc.get("spec") or {}).get("ports") or []
                         if int(p.get("port", -1)) == port), None)
        if svc_port is None:
            return []
        slices, _ = self.emulator.store.list(
            self._rt("discovery.k8s.io", "v1", "endpointslices"), namespace,
            label_selector=f"{SERVICE_NAME_LABEL}={name}")
        out: list[tuple[str, int]] = []
        for es in slices:
            target = _slice_port(es, svc_port)
            if target is None:
                continue
            for ep in es.get("endpoints") or []:
                if not endpoint_ready(ep):
                    continue
                for ip in (ep.get("addresses") or [])[:1]:
                    out.append((ip, target))
        return out

    def resolve(self, namespace: str, name: str, port: int) -> str:
        """Loopback base URL of one ready endpoint (round-robin); raises httpx.ConnectError."""
        backends = self.backends(namespace, name, port)
        host = f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}:{port}"
        if not backends:
            raise ConnectionRefused(f"dial tcp {host}: connect: connection refused")
        counter = self._rr.setdefault((namespace, name, port), itertools.count())
        ip, target = backends[next(counter) % len(backends)]
        url = self.emulator.network.resolve(ip, target)
        if url is None:
            raise ConnectionRefused(f"dial tcp {ip}:{target}: connect: connection refused")
        return url

    def is_public(self, host: str) -> bool:
        """A name under the Sovereign's FQDN: public DNS points it at the gateway."""
        fqdn = self.emulator.fqdn.lower()
        h = host.rstrip(".").lower()
        return h == fqdn or h.endswith("." + fqdn)

    def resolve_ip(self, ip: str, port: int) -> str | None:
        """An IP literal: a Service's ClusterIP, else a pod IP (None: nobody has it)."""
        services, _ = self.emulator.store.list(self._rt("", "v1", "services"))
        for svc in services:
            if (svc.get("spec") or {}).get("clusterIP") == ip:
                meta = svc["metadata"]
                return self.resolve(meta["namespace"], meta["name"], port)
        pods, _ = self.emulator.store.list(self._rt("", "v1", "pods"))
        if any((p.get("status") or {}).get("podIP") == ip for p in pods):
            url = self.emulator.network.resolve(ip, port)
            if url is None:
                raise ConnectionRefused(f"dial tcp {ip}:{port}: connect: connection refused")
            return url
        return None

    def resolve_host(self, host: str, port: int, default_namespace: str | None = None) -> str:
        """Loopback base URL for `host:port` as seen from inside the cluster. An IP that no
        Service or pod has is dropped: DialTimeout (raised by the transport, which knows the
        client's connect timeout) is signalled by NoRoute."""
        if is_ip(host):
            url = self.resolve_ip(host, port)
            if url is None:
                raise NoRoute(f"dial tcp {host}:{port}: i/o timeout")
            return url
        if self.is_public(host):
            if self.emulator.gateway_url is None:
                raise ConnectionRefused(f"dial tcp {host}:{port}: connect: connection refused")
            return self.emulator.gateway_url
        svc = parse_service_host(host.rstrip(".").lower(), default_namespace)
        if svc is None:
            raise NoSuchHost(f"lookup {host}: no such host")
        return self.resolve(svc.namespace, svc.name, port)


class NoRoute(Exception):
    """No Service or pod owns the IP: nothing will ever answer (the transport times out)."""


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _slice_port(es: dict[str, Any], svc_port: dict[str, Any]) -> int | None:
    """The container port an EndpointSlice gives for a Service port.

    Slice ports carry the Service port's name and the resolved target port number, so a
    named targetPort is only known through the slice. A numeric targetPort is used as is
    when the slice lists no ports.
    """
    want = svc_port.get("name") or ""
    ports = es.get("ports")
    if ports:
        for p in ports:
            if (p.get("name") or "") == want and p.get("port") is not None:
                return int(p["port"])
        return None
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    return int(target) if isinstance(target, str) and target.isdigit() else None


class ClusterTransport(httpx.AsyncBaseTransport):
    """httpx transport that dials cluster names through `ClusterDNS` (Host header kept)."""

    def __init__(self, emulator: Emulator, default_namespace: str | None = None,
                 inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.dns = ClusterDNS(emulator)
        self.default_namespace = default_namespace
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            base = httpx.URL(self.dns.resolve_host(url.host, port, self.default_namespace))
        except httpx.ConnectError as e:
            e.request = request
            raise
        except NoRoute as e:
            # The SYN goes unanswered: the client waits out its own connect timeout
            # (scaled as every emulated duration is), then gives up.
            wait = (request.extensions.get("timeout") or {}).get("connect") or 30.0
            await asyncio.sleep(float(wait) * self.dns.emulator.time_scale)
            raise DialTimeout(str(e), request=request) from None
        # Dial the loopback address; the Host header still names the Service. The gateway
        # terminates TLS for public names with the Sovereign's certificate; a Service's pod
        # gets the handshake itself, and a pod that speaks plain HTTP fails it.
        tls_to_pod = url.scheme == "https" and not self.dns.is_public(url.host)
        request.url = url.copy_with(scheme="https" if tls_to_pod else base.scheme,
                                    host=base.host, port=base.port)
        try:
            return await self.inner.handle_async_request(request)
        except httpx.ConnectError as e:
            if tls_to_pod and "WRONG_VERSION_NUMBER" in str(e):
                # Not a TLS record back: the server answered in plain HTTP (net/http's words).
                raise TLSHandshakeFailed("http: server gave HTTP response to HTTPS client",
                                         request=request) from None
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


def cluster_client(emulator: Emulator, default_namespace: str | None = None,
                   **kwargs: Any) -> httpx.AsyncClient:
    """An AsyncClient whose requests resolve like a pod's would."""
    return httpx.AsyncClient(transport=ClusterTransport(emulator, default_namespace), **kwargs)
