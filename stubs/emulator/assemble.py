"""The default emulated Sovereign: which components run, in which order.

Order matters only for start-up: the gateway proxy first (the helm-controller pulls
through it after cutover), then the cluster's own controllers, then Flux. Every component
reacts to watch events from there on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .controllers.endpoints import EndpointSliceController
from .controllers.gatewayapi import GatewayAPIController
from .controllers.kubelet import Kubelet
from .controllers.nodes import NodeController
from .controllers.reflector import Reflector
from .controllers.workloads import WorkloadController
from .gateway import GatewayProxy
from .helm.controller import HelmController
from .helm.kustomize import KustomizeController
from .runtime import DEFAULT_MANIFESTS_DIR, Component, Emulator


def default_components() -> list[Component]:
    return [
        GatewayProxy(),
        NodeController(),
        WorkloadController(),
        Kubelet(),
        EndpointSliceController(),
        Reflector(),
        GatewayAPIController(),
        HelmController(),
        KustomizeController(),
    ]


def build_emulator(*, fqdn: str = "sovereign.test", overlays: Sequence[Path] = (),
                   manifests_dir: Path | None = DEFAULT_MANIFESTS_DIR,
                   time_scale: float = 0.02, cilium_version: str = "1.16.5",
                   token: str | None = None) -> Emulator:
    """An emulated Sovereign with the default shape (plus overlays), not yet started."""
    return Emulator(fqdn=fqdn, components=default_components(), manifests_dir=manifests_dir,
                    overlays=overlays, time_scale=time_scale, cilium_version=cilium_version,
                    token=token)
