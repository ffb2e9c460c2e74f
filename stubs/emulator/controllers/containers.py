"""Per-pod and per-container runtime state the kubelet keeps, and serving a container's app.

A running container is an aiohttp app on its own loopback site (its own runner, so the
kubelet can stop exactly that process on a restart or pod deletion).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..kubeapi.store import now_iso

Obj = dict[str, Any]
LOOPBACK = "127.0.0.1"


def new_container_id() -> str:
    return "containerd://" + secrets.token_hex(32)


@dataclass
class ContainerRun:
    """One container of a pod: its Kubernetes state and, while running, its server."""

    name: str
    init: bool
    image: str
    restart_count: int = 0
    state: Obj = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: Obj = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    container_id: str = ""
    image_id: str = ""
    finished_at: float | None = None  # virtual time of the last exit
    runner: web.AppRunner | None = None
    port: int | None = None
    url: str | None = None
    generation: int = 0  # bumps on every start: stale probe/exit callbacks are ignored
    probe_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    probe_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind->(ok, fail)
    backoff_reported: float | None = None
    grpc_server: Any = None  # the image's grpc.health.v1 server, while running
    grpc_port: int | None = None

    @property
    def running(self) -> bool:
        return "running" in self.state

    @property
    def terminated(self) -> bool:
        return "terminated" in self.state

    def mark_running(self) -> None:
        self.generation += 1
        self.container_id = new_container_id()
        self.state = {"running": {"startedAt": now_iso()}}
        self.probe_counts.clear()

    def mark_terminated(self, code: int, reason: str, finished_virtual: float) -> None:
        started = (self.state.get("running") or {}).get("startedAt") or now_iso()
        self.state = {"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                                     "finishedAt": now_iso(),
                                     "containerID": self.container_id}}
        self.ready = False
        self.finished_at = finished_virtual
        self.cancel_probes()

    def cancel_probes(self) -> None:
        for t in self.probe_timers.values():
            t.cancel()
        self.probe_timers.clear()

    def status(self) -> Obj:
        out: Obj = {"name": self.name, "image": self.image, "imageID": self.image_id,
                    "ready": self.ready, "restartCount": self.restart_count,
                    "started": self.started and self.running, "state": self.state,
                    "lastState": self.last_state}
        if self.container_id:
            out["containerID"] = self.container_id
        return out


@dataclass
class PodRun:
    uid: str
    namespace: str
    name: str
    containers: dict[str, ContainerRun]
    ip: str | None = None
    start_time: str = field(default_factory=now_iso)
    volumes_ok: bool = False
    mount_attempts: int = 0
    mount_started: float = 0.0  # virtual
    mount_timeout_reported: float = 0.0
    routes: dict[int, str] = field(default_factory=dict)  # port -> loopback URL
    finished: bool = False
    transitions: dict[str, str] = field(default_factory=dict)  # condition -> lastTransition


async def serve_app(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve `app` on a fresh loopback port; returns the runner (to stop it) and base URL."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    sock = site._server.sockets[0]  # type: ignore[union-attr]
    return runner, f"http://{LOOPBACK}:{sock.getsockname()[1]}"
