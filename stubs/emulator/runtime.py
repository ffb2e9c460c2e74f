"""Start and stop an emulated Sovereign: the servers on loopback and the components on one loop.

`Emulator` is the asyncio object; `EmulatorThread` runs one in a background thread for
in-process use (tests, the emulated provider); `sovereign-e2e emulator up` runs one in the
foreground. Components are added by `stubs.emulator.components` as the emulator grows; each
has `async start(ctx)` and `async stop()`.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from aiohttp import web

from .kubeapi.server import KubeApiServer
from .kubeapi.store import Store
from .kubeapi.tls import ServingTLS, generate
from .network import PodNetwork

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CRDS_DIR = REPO_ROOT / "clusters" / "emulated" / "crds"
# The default Sovereign's manifests and chart registry; pass manifests_dir to load them.
DEFAULT_MANIFESTS_DIR = REPO_ROOT / "clusters" / "emulated" / "base"
DEFAULT_CHARTS_DIR = REPO_ROOT / "clusters" / "emulated" / "charts"
LOOPBACK = "127.0.0.1"


@dataclass
class EmulatorInfo:
    """What a client needs to reach the emulated Sovereign (no secrets except in kubeconfig)."""

    api_url: str
    token: str
    fqdn: str
    gateway_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The per-run CA that signed the API server's certificate (PEM).
    ca_pem: bytes = b""

    def kubeconfig(self, context: str = "sovereign-emulated") -> dict[str, Any]:
        cluster: dict[str, Any] = {"server": self.api_url}
        if self.ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context,
                          "context": {"cluster": context, "user": context}}],
            "current-context": context,
        }

    def write_kubeconfig(self, path: Path) -> Path:
        """Write atomically with 0600 permissions: the file holds the bearer token."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # holds a token
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        tmp.chmod(0o600)
        tmp.replace(path)
        return path


class Component(Protocol):
    async def start(self, emulator: Emulator) -> None: ...
    async def stop(self) -> None: ...


def load_manifests(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Every YAML document of every *.yaml/*.yml file (sorted) under `paths`."""
    docs: list[dict[str, Any]] = []
    for root in paths:
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for f in files:
            if f.suffix not in (".yaml", ".yml"):
                continue
            for doc in yaml.safe_load_all(f.read_text()):
                if isinstance(doc, dict) and doc.get("kind"):
                    docs.append(doc)
    return docs


class Emulator:
    def __init__(self, *, fqdn: str = "sovereign.test", crds_dir: Path = DEFAULT_CRDS_DIR,
                 components: Sequence[Component] = (), token: str | None = None,
                 time_scale: float = 0.02, cilium_version: str = "1.16.5",
                 manifests_dir: Path | None = None, overlays: Sequence[Path] = (),
                 charts_dir: Path = DEFAULT_CHARTS_DIR) -> None:
        self.fqdn = fqdn
        # Base manifests (None: an empty cluster), overlays over them, the chart registry.
        self.manifests_dir = manifests_dir
        self.overlays = list(overlays)
        self.charts_dir = charts_dir
        # Real-world durations (probe periods, back-offs) are multiplied by this; messages
        # keep the real numbers.
        self.time_scale = time_scale
        # The Cilium release the emulated Gateway controller behaves as (route status rules
        # changed in 1.18).
        self.cilium_version = cilium_version
        self.crds_dir = crds_dir
        self.store = Store()
        self.token = token or secrets.token_urlsafe(32)
        self.kube = KubeApiServer(self.store, self.token)
        # The API server's CA and certificate, made when it starts (HTTPS like a real one).
        self.tls: ServingTLS | None = None
        self.components = list(components)
        self._runners: list[web.AppRunner] = []
        self.api_url = ""
        self.gateway_url: str | None = None
        self.extra: dict[str, Any] = {}
        self.network = PodNetwork()
        # State of apps that must outlive a pod (a database, say), keyed by app name.
        self.app_states: dict[str, Any] = {}
        self.preapplied_sources: set[tuple[str, str]] = set()

    async def serve(self, app: web.Application, port: int = 0,
                    ssl_context: ssl.SSLContext | None = None) -> str:
        """Serve an aiohttp app on loopback (HTTPS with `ssl_context`); returns its base URL."""
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, port, ssl_context=ssl_context)
        await site.start()
        self._runners.append(runner)
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        scheme = "https" if ssl_context else "http"
        return f"{scheme}://{LOOPBACK}:{sock.getsockname()[1]}"

    def apply_crds(self) -> None:
        rt = self.store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rt is not None
        if not self.crds_dir.exists():
            return
        for doc in load_manifests([self.crds_dir]):
            if doc.get("kind") == "CustomResourceDefinition":
                self.store.create(rt, None, doc)

    def apply_manifests(self) -> None:
        """Base manifests + overlays, `${SOVEREIGN_FQDN}` substituted (Flux postBuild)."""
        if self.manifests_dir is None and not self.overlays:
            return
        from .manifests import apply_docs, build

        docs = build(self.manifests_dir, self.overlays,
                     {"SOVEREIGN_FQDN": self.fqdn})
        apply_docs(self.store, docs)
        # Sources whose content the emulator applied itself: its source-controller leaves
        # them alone (helm/gitrepository.py).
        self.preapplied_sources = {
            ((d.get("metadata") or {}).get("namespace", ""), (d.get("metadata") or {})
             .get("name", "")) for d in docs if d.get("kind") == "GitRepository"}

    async def start(self) -> EmulatorInfo:
        self.apply_crds()
        self.apply_manifests()
        self.tls = generate()
        self.api_url = await self.serve(self.kube.app(), ssl_context=self.tls.server_context())
        for component in self.components:
            await component.start(self)
        return self.info()

    def info(self) -> EmulatorInfo:
        return EmulatorInfo(self.api_url, self.token, self.fqdn, self.gateway_url,
                            dict(self.extra), self.tls.ca_pem if self.tls else b"")

    async def stop(self) -> None:
        for component in reversed(self.components):
            await component.stop()
        self.store.close_watches()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()


class EmulatorThread:
    """Runs an `Emulator` on its own event loop in a daemon thread."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sovereign-emulator",
                                        daemon=True)
        self.info: EmulatorInfo | None = None

    def start(self, timeout: float = 30.0) -> EmulatorInfo:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self.emulator.start(), self.loop)
        self.info = fut.result(timeout)
        return self.info

    def call(self, fn: Any, *args: Any, timeout: float = 10.0) -> Any:
        """Run a plain function on the emulator's loop (the store is loop-confined)."""

        async def _run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(_run(), self.loop).result(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), self.loop).result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        self.loop.close()

    def __enter__(self) -> EmulatorInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
