"""Runnable container apps: what an image does when the emulated kubelet starts it.

`APP_FACTORIES` maps an app name (from clusters/emulated/apps.yaml) to a factory
`(env, ctx) -> aiohttp.web.Application`. The kubelet calls it with the container's
environment resolved from Secrets/ConfigMaps exactly as a kubelet would (an optional
reference to a missing Secret leaves the variable out), serves the app on a loopback port
and registers that port under the pod's IP in the PodNetwork. State that must outlive a
pod (Gitea's database, the marketplace's orders) lives in `ctx.state(name)`.
Images with no factory get the generic app built from the app model (paths it serves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from ..runtime import Emulator


@dataclass
class AppContext:
    emulator: Emulator
    namespace: str
    pod_name: str
    _states: dict[str, Any] = field(default_factory=dict)

    def state(self, name: str, factory: Callable[[], Any]) -> Any:
        """Shared state for `name` that survives pod restarts (stored on the emulator)."""
        states = self.emulator.app_states
        if name not in states:
            states[name] = factory()
        return states[name]


AppFactory = Callable[[Mapping[str, str], AppContext], web.Application]
APP_FACTORIES: dict[str, AppFactory] = {}


def register_app(name: str) -> Callable[[AppFactory], AppFactory]:
    def deco(fn: AppFactory) -> AppFactory:
        APP_FACTORIES[name] = fn
        return fn

    return deco
