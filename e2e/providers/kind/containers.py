"""Containers for the kind target, behind one small interface.

`TestcontainersRuntime` is the real one (testcontainers on the Docker engine, the design
card's library). The interface is what the provider needs and no more, so the whole code
path can also run against a process-backed runtime on machines without Docker
(tests/kind/). Every container this run starts carries the marker label; teardown removes
a container only when the label names this run's cluster.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from .plan import ContainerSpec


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str


class RunningContainer(Protocol):
    name: str

    def ip(self, network: str) -> str:
        """The container's address on `network` (what pods are pointed at)."""
        ...

    def url(self, port: int) -> str:
        """http://host:port as this machine reaches the container's `port`."""
        ...

    def exec(self, argv: list[str], user: str | None = None) -> ExecResult: ...


class ContainerRuntime(Protocol):
    def problem(self) -> str | None:
        """None when containers can run; otherwise why not, in a few words."""
        ...

    def network_subnet(self, network: str) -> str:
        """The IPv4 subnet of a Docker network (kind's is created by `kind create`)."""
        ...

    def labels_of(self, name: str) -> dict[str, str] | None:
        """A container's labels, or None when no container has that name."""
        ...

    def start(self, spec: ContainerSpec, env: dict[str, str]) -> RunningContainer: ...

    def remove(self, name: str) -> None: ...


class _TcContainer:
    def __init__(self, name: str, container: Any) -> None:
        self.name = name
        self._c = container

    def ip(self, network: str) -> str:
        wrapped = self._c.get_wrapped_container()
        wrapped.reload()
        return str(wrapped.attrs["NetworkSettings"]["Networks"][network]["IPAddress"])

    def url(self, port: int) -> str:
        return f"http://{self._c.get_container_host_ip()}:{self._c.get_exposed_port(port)}"

    def exec(self, argv: list[str], user: str | None = None) -> ExecResult:
        from testcontainers.core.container import ExecConfig

        result = self._c.exec(ExecConfig(command=argv, user=user))
        return ExecResult(int(result.exit_code), result.output.decode(errors="replace"))


class TestcontainersRuntime:
    """testcontainers on the local Docker engine."""

    def __init__(self, *, keep: bool = False) -> None:
        if keep:
            # Ryuk removes every container at the end of the session; --keep-cluster
            # means the containers stay for debugging.
            os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"

    def _client(self) -> Any:
        import docker

        return docker.from_env()

    def problem(self) -> str | None:
        try:
            self._client().ping()
        except Exception as e:  # the SDK raises several types for "no engine"
            return f"no Docker engine answers ({type(e).__name__})"
        return None

    def network_subnet(self, network: str) -> str:
        net = self._client().networks.get(network)
        for cfg in net.attrs.get("IPAM", {}).get("Config") or []:
            subnet = cfg.get("Subnet", "")
            if "." in subnet:
                return str(subnet)
        raise RuntimeError(f"Docker network {network} has no IPv4 subnet")

    def labels_of(self, name: str) -> dict[str, str] | None:
        import docker.errors

        try:
            return dict(self._client().containers.get(name).labels)
        except docker.errors.NotFound:
            return None

    def start(self, spec: ContainerSpec, env: dict[str, str]) -> RunningContainer:
        from testcontainers.core.container import DockerContainer

        if spec.build:
            from testcontainers.core.image import DockerImage

            DockerImage(path=spec.build["context"], tag=spec.image,
                        dockerfile_path=spec.build["dockerfile"], clean_up=False).build()
        c = DockerContainer(spec.image).with_name(spec.name).with_kwargs(
            labels=spec.labels, network=spec.network)
        for k, v in env.items():
            c = c.with_env(k, v)
        c = c.with_exposed_ports(*spec.ports)
        c.start()
        return _TcContainer(spec.name, c)

    def remove(self, name: str) -> None:
        import docker.errors

        try:
            self._client().containers.get(name).remove(force=True, v=True)
        except docker.errors.NotFound:
            return
