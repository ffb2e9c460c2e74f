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
from .helm.gitrepository import GitRepositoryController
from .helm.kustomize import KustomizeController
from .runtime import DEFAULT_CRDS_DIR, DEFAULT_MANIFESTS_DIR, REPO_ROOT, Component, Emulator

# A bare cluster, what `kind create cluster` gives: its namespaces, no Sovereign. The
# platform's own CRDs (Organization, Sandbox) are served from the start: on a Sovereign
# the platform's charts bring them, and the emulated charts do not ship CRDs.
BARE_MANIFESTS_DIR = REPO_ROOT / "clusters" / "emulated" / "bare"
BARE_CRDS = DEFAULT_CRDS_DIR / "openova.yaml"


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
        GitRepositoryController(),
        KustomizeController(),
    ]


def build_emulator(*, fqdn: str = "sovereign.test", overlays: Sequence[Path] = (),
                   manifests_dir: Path | None = DEFAULT_MANIFESTS_DIR,
                   time_scale: float = 0.02, cilium_version: str = "1.16.5",
                   token: str | None = None, bare: bool = False) -> Emulator:
    """An emulated Sovereign with the default shape (plus overlays), not yet started.
    `bare`: a bare cluster instead (the same components, nothing applied), for a
    bring-up that installs Gateway API, Cilium and Flux and lets Flux apply the kit."""
    if bare:
        return Emulator(fqdn=fqdn, components=default_components(),
                        manifests_dir=BARE_MANIFESTS_DIR, crds_dir=BARE_CRDS,
                        time_scale=time_scale, cilium_version=cilium_version, token=token)
    return Emulator(fqdn=fqdn, components=default_components(), manifests_dir=manifests_dir,
                    overlays=overlays, time_scale=time_scale, cilium_version=cilium_version,
                    token=token)
