"""Runnable container apps: what an image does when the emulated kubelet starts it.

`APP_FACTORIES` maps an app name (the `app:` of an image in clusters/emulated/apps.yaml) to
a factory `(env, ctx) -> aiohttp.web.Application`. The kubelet calls it with the
container's environment resolved from the pod spec, Secrets and ConfigMaps exactly as a
kubelet would (an optional reference to a missing Secret leaves the variable out), serves
the app on a loopback port, and registers that port under the pod's IP in the PodNetwork.

Contract for apps:
- Long-running work (a consumer loop, a controller's watch) goes in the app's
  `cleanup_ctx`/`on_startup` as an asyncio task; it ends when the kubelet stops the pod.
- A process that exits (a Job finishing, a crash) calls `ctx.exit(code, reason)`; the
  kubelet then marks the container terminated and applies the restart policy.
- Log lines go through `ctx.log(line)` (they appear on pods/log); never log a secret.
- State that must outlive a pod (Gitea's database, the marketplace's orders) lives in
  `ctx.state(name, factory)`, which is kept on the emulator.
Images with no factory get the generic app built from the app model (the paths it serves).
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
    container_name: str
    # Set by the kubelet: called when the app's process exits (code, reason).
    on_exit: Callable[[int, str], None] = field(default=lambda code, reason: None)

    def state(self, name: str, factory: Callable[[], Any]) -> Any:
        """Shared state for `name` that survives pod restarts (stored on the emulator)."""
        states = self.emulator.app_states
        if name not in states:
            states[name] = factory()
        return states[name]

    def log(self, line: str) -> None:
        self.emulator.store.append_log(self.namespace, self.pod_name, self.container_name, line)

    def exit(self, code: int, reason: str = "Error") -> None:
        self.on_exit(code, "Completed" if code == 0 and reason == "Error" else reason)


AppFactory = Callable[[Mapping[str, str], AppContext], web.Application]
APP_FACTORIES: dict[str, AppFactory] = {}


def register_app(name: str) -> Callable[[AppFactory], AppFactory]:
    """Decorator: make `name` runnable by the kubelet."""

    def deco(fn: AppFactory) -> AppFactory:
        APP_FACTORIES[name] = fn
        return fn

    return deco
