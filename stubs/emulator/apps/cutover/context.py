"""What every cutover step gets: the store, the config, an HTTP client, a log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from ...kubeapi.store import Store
from .config import CutoverConfig


@dataclass
class StepContext:
    store: Store
    config: CutoverConfig
    http: httpx.AsyncClient
    log: Callable[[str], None]


StepFn = Callable[[StepContext], Awaitable[None]]


@dataclass(frozen=True)
class Step:
    num: str
    name: str
    run: StepFn
