"""Shared fixtures for service contract tests: serve an aiohttp app on a real loopback port.

`serve_app(app) -> base_url` runs the app on its own event loop in a background thread
(so synchronous clients such as httpx and schemathesis can call it) on 127.0.0.1 with a
port the OS picks, and tears everything down at the end of the test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0


class _ServedApp:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app, access_log=None)
        self.base_url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="served-app", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._start())
        except BaseException as e:  # surfaced to the test thread by start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, LOOPBACK, 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base_url = f"http://{LOOPBACK}:{port}"

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise TimeoutError("app did not start")
        if self._error is not None:
            raise self._error
        return self.base_url

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(START_TIMEOUT)


@pytest.fixture
def serve_app() -> Iterator[Callable[[web.Application], str]]:
    served: list[_ServedApp] = []

    def serve(app: web.Application) -> str:
        s = _ServedApp(app)
        served.append(s)
        return s.start()

    yield serve
    for s in reversed(served):
        s.stop()
