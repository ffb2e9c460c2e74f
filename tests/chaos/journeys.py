"""Walk the journey through chaos proxies in front of an emulated Sovereign.

`ProxiedProvider` is a provider whose Attachment points the harness at two chaos proxies
(one before the Kubernetes API, one before the gateway) instead of the servers. The
harness cannot tell: it reads a kubeconfig and a gateway URL, as against any target.
Journeys on a clean Sovereign may share one emulator (each creates its own tenant,
voucher and Sandbox, and deletes the Sandbox); a fault overlay needs its own.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from e2e.config import Settings
from e2e.providers.base import Attachment
from e2e.report.model import CycleReport
from e2e.session import JourneySession
from stubs.emulator.assemble import build_emulator
from stubs.emulator.runtime import EmulatorInfo, EmulatorThread
from tests.chaos.proxy import ChaosLog, ChaosProfile, ChaosProxy


def start_emulator(overlays: Sequence[Path] = ()) -> EmulatorThread:
    thread = EmulatorThread(build_emulator(fqdn="sovereign.test", overlays=list(overlays)))
    thread.start()
    return thread


def _port(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


class ProxiedProvider:
    """Attach to a running emulator through chaos proxies; destroy() leaves it running."""

    name = "emulated"

    def __init__(self, info: EmulatorInfo, kube_proxy: ChaosProxy, gateway_proxy: ChaosProxy,
                 workdir: Path) -> None:
        self.info, self.kube_proxy, self.gateway_proxy = info, kube_proxy, gateway_proxy
        self.workdir = workdir

    def create_or_attach(self) -> Attachment:
        scheme = self.info.api_url.split("://", 1)[0]
        proxied = dataclasses.replace(
            self.info, api_url=f"{scheme}://{self.kube_proxy.url_host}")
        kubeconfig = proxied.write_kubeconfig(self.workdir / "kubeconfig")
        gw_scheme = (self.info.gateway_url or "http://").split("://", 1)[0]
        return Attachment(kubeconfig=kubeconfig, context=None, fqdn=self.info.fqdn,
                          gateway_url=f"{gw_scheme}://{self.gateway_proxy.url_host}",
                          details={"emulator": "in-process", "chaos": "proxied"},
                          stall_after=15.0)

    def destroy(self) -> None:
        pass


@dataclass
class ChaosRun:
    seed: int
    report: CycleReport
    seconds: float
    kube: ChaosLog
    gateway: ChaosLog


def walk_with_chaos(emulator: EmulatorThread, seed: int, *, kube: ChaosProfile,
                    gateway: ChaosProfile, report_dir: Path,
                    settings: Settings | None = None) -> ChaosRun:
    """One journey (stopping at its first failure) through seeded proxies."""
    info = emulator.info
    assert info is not None and info.gateway_url is not None
    settings = settings or Settings(report_dir=report_dir)
    with ChaosProxy(_port(info.api_url), kube, seed=seed) as kp, \
            ChaosProxy(_port(info.gateway_url), gateway, seed=seed + 100_000) as gp, \
            tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        session = JourneySession(settings, provider=ProxiedProvider(info, kp, gp, Path(tmp)))
        started = time.monotonic()
        try:
            session.start()
            report = session.run_until_failure()
        finally:
            session.close()
        return ChaosRun(seed, report, time.monotonic() - started, kp.log, gp.log)
