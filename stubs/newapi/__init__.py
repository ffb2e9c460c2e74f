"""Stub NewAPI: the LLM-gateway's admin token bridge (`POST /admin/tokens/sandbox`).

One stub serves every target: the kind provider runs it as a container (`python -m
stubs.newapi`, see the Dockerfile), the emulated kubelet runs `create_app` through the thin
adapter in `emulated.py`. This package depends on aiohttp and PyJWT only, never on the
emulator.
"""

from .app import create_app
from .capabilities import has_capability

__all__ = ["create_app", "has_capability"]
