"""kind: local clusters with Cilium's Gateway. Not built yet: it arrives with the kind issue."""

from __future__ import annotations

from ..config import Settings
from ..errors import ProviderError
from .base import Attachment


class KindProvider:
    name = "kind"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def create_or_attach(self) -> Attachment:
        raise ProviderError(
            "--sovereign kind is not available yet: the kind provider (cluster config, Cilium "
            "with Gateway API, Gitea and stub NewAPI containers, Flux, the bootstrap-kit) "
            "arrives with the kind issue; use --sovereign emulated (default) or --sovereign "
            "kubeconfig --kubeconfig PATH against a running cluster")

    def destroy(self) -> None:
        """Nothing was created."""
