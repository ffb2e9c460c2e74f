"""`python -m stubs.newapi`: serve the stub on $HOST:$PORT (default 127.0.0.1:3000) from the
env. Loopback unless told: the container image sets HOST=0.0.0.0 (its network is its own)."""

from __future__ import annotations

import os
import sys

from aiohttp import web

from .app import ADMIN_SECRET_ENV, SIGNING_KEY_ENV, create_app


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    missing = [k for k in (ADMIN_SECRET_ENV, SIGNING_KEY_ENV) if not os.environ.get(k)]
    if missing:  # names only, never values
        print(f"sandbox token bridge disabled (503): unset {', '.join(missing)}",
              file=sys.stderr)
    host = os.environ.get("HOST", "127.0.0.1")
    print(f"stub NewAPI listening on {host}:{port}", file=sys.stderr)
    web.run_app(create_app(os.environ), host=host, port=port, print=None)


if __name__ == "__main__":
    main()
