"""The emulated Sovereign, started in-process for the session (the default target)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError, ProviderError
from .base import Attachment

DEFAULT_FQDN = "sovereign.test"


class EmulatedProvider:
    name = "emulated"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._thread: object | None = None
        self._dir: Path | None = None

    def create_or_attach(self) -> Attachment:
        from stubs.emulator.assemble import build_emulator
        from stubs.emulator.overlays import OverlayError
        from stubs.emulator.runtime import EmulatorThread

        if self._thread is not None:
            raise ProviderError("the emulated Sovereign is already up")
        fqdn = self.settings.fqdn or DEFAULT_FQDN
        try:
            emulator = build_emulator(fqdn=fqdn, overlays=self.settings.overlays)
        except OverlayError as e:
            raise ConfigError(str(e)) from e
        thread = EmulatorThread(emulator)
        try:
            info = thread.start()
        except OverlayError as e:
            thread.stop()
            raise ConfigError(str(e)) from e
        self._thread = thread
        self._dir = Path(tempfile.mkdtemp(prefix="sovereign-e2e-"))
        kubeconfig = info.write_kubeconfig(self._dir / "kubeconfig")
        return Attachment(kubeconfig=kubeconfig, context=None, fqdn=fqdn,
                          gateway_url=info.gateway_url,
                          details={"emulator": "in-process",
                                   "overlays": ",".join(str(p) for p in
                                                        self.settings.overlays)},
                          stall_after=15.0)

    @property
    def emulator_thread(self) -> object | None:
        """The running emulator (for the harness's own tests and bench, not the journey)."""
        return self._thread

    def destroy(self) -> None:
        if self._thread is not None:
            self._thread.stop()  # type: ignore[attr-defined]
            self._thread = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
