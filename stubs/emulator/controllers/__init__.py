"""The emulated Sovereign's cluster-side controllers, each a `Controller` on the store's watches.

Rules for this package: controllers act only on what the Store holds (and real HTTP to pod
addresses for probes); no flag makes one fail; waiting is by watch events and loop timers.
"""

from __future__ import annotations

from pathlib import Path

from ..appmodel import AppModel
from .base import Controller
from .endpoints import EndpointSliceController
from .gatewayapi import GatewayAPIController
from .kubelet import Kubelet
from .nodes import NodeController
from .reflector import Reflector
from .workloads import WorkloadController


def cluster_controllers(*, app_model: AppModel | None = None,
                        app_model_path: Path | None = None,
                        cilium_version: str | None = None) -> list[Controller]:
    """Node + scheduler, workloads, kubelet, EndpointSlices, reflector, Cilium Gateway API."""
    return [
        NodeController(),
        WorkloadController(),
        Kubelet(app_model=app_model, app_model_path=app_model_path),
        EndpointSliceController(),
        Reflector(),
        GatewayAPIController(cilium_version),
    ]


__all__ = [
    "EndpointSliceController",
    "GatewayAPIController",
    "Kubelet",
    "NodeController",
    "Reflector",
    "WorkloadController",
    "cluster_controllers",
]
