"""`python -m stubs.emulator.apps NAME [--port N]`: run one registered app alone.

The app gets the process environment as its container env, state kept in memory for the
life of the process, and its log lines on stderr. Apps that read cluster objects (the
provisioning service, the cutover, the sandbox controller) see an empty in-memory cluster:
run them inside `sovereign-e2e emulator up` for a real one.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from aiohttp import web

from ..controllers.kubelet import load_app_plugins
from ..runtime import Emulator
from . import APP_FACTORIES, AppContext


class StandaloneContext(AppContext):
    def log(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    load_app_plugins()
    parser = argparse.ArgumentParser(prog="python -m stubs.emulator.apps",
                                     description="Run one emulated platform app alone.")
    parser.add_argument("name", choices=sorted(APP_FACTORIES), help="the registered app")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")),
                        help="port to listen on (default: $PORT or 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    args = parser.parse_args(argv)
    ctx = StandaloneContext(Emulator(), namespace="standalone", pod_name=args.name,
                            container_name=args.name,
                            on_exit=lambda code, reason: os._exit(code))
    app = APP_FACTORIES[args.name](dict(os.environ), ctx)
    print(f"{args.name} listening on {args.host}:{args.port}", file=sys.stderr, flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
