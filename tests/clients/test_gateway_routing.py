"""Gateway-routed HTTP: the Host header names the virtual host, each virtual host gets its
own connections (a TLS connection carries one SNI name), results name the virtual host."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from e2e.clients.http import GatewayTransport, PlatformHTTP


class _Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (self.headers.get("Host") or "").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_virtual_hosts_keep_their_names_and_their_own_pools(gateway: str) -> None:
    http_ = PlatformHTTP("sovereign.test", gateway)
    try:
        gitea = http_.call("GET", "gitea", "/api/v1/version")
        market = http_.call("GET", "marketplace", "/api")
    finally:
        transport = http_._client._transport._sync_transport  # inside the retry layer
        http_.close()
    assert gitea.body == "gitea.sovereign.test" and market.body == "marketplace.sovereign.test"
    assert gitea.url == "http://gitea.sovereign.test/api/v1/version"  # not the gateway IP
    assert isinstance(transport, GatewayTransport)
    assert sorted(transport._pools) == ["gitea.sovereign.test", "marketplace.sovereign.test"]
