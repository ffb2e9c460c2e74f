"""Targets: bring up or attach to a Sovereign and say how to reach it.

The only place that knows which kind of target is behind the Sovereign handle. Each
provider returns an `Attachment` (kubeconfig, context, FQDN, gateway address); the
journey then speaks only the Kubernetes API and HTTP.
"""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigError
from .base import Attachment, Provider


def provider_for(settings: Settings) -> Provider:
    if settings.sovereign == "emulated":
        from .emulated import EmulatedProvider

        return EmulatedProvider(settings)
    if settings.sovereign == "kubeconfig":
        from .kubeconfig import KubeconfigProvider

        return KubeconfigProvider(settings)
    if settings.sovereign == "kind":
        from .kind import KindProvider

        return KindProvider(settings)
    raise ConfigError(f"unknown --sovereign {settings.sovereign!r}")


__all__ = ["Attachment", "Provider", "provider_for"]
