"""Targets: bring up or attach to a Sovereign and say how to reach it.

The only place that knows which kind of target is behind the Sovereign handle. Each
provider returns an `Attachment` (kubeconfig, context, FQDN, gateway address); the
journey then speaks only the Kubernetes API and HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import ConfigError
from .base import Attachment, Provider

if TYPE_CHECKING:
    from .kind.containers import ContainerRuntime


def provider_for(settings: Settings, *,
                 container_runtime: ContainerRuntime | None = None) -> Provider:
    """The target's provider. `container_runtime` (kind only; None: testcontainers) comes
    from the `pytest_sovereign_container_runtime` hook (e2e/hookspecs.py)."""
    if settings.sovereign == "emulated":
        from .emulated import EmulatedProvider

        return EmulatedProvider(settings)
    if settings.sovereign == "kubeconfig":
        from .kubeconfig import KubeconfigProvider

        return KubeconfigProvider(settings)
    if settings.sovereign == "kind":
        from .kind import KindProvider

        return KindProvider(settings, runtime=container_runtime)
    raise ConfigError(f"unknown --sovereign {settings.sovereign!r}")


__all__ = ["Attachment", "Provider", "provider_for"]
