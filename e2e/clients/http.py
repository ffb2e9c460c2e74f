"""Send requests for `https://<name>.<fqdn>/...` to the Sovereign's gateway.

With a gateway address (`--gateway-url`, or the emulator's loopback gateway) the request
goes to that address with the original Host header and TLS SNI, which is what a client
resolving `<name>.<fqdn>` to the gateway would send. Without one, names resolve normally.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from httpx_retries import Retry, RetryTransport

from .. import deadline
from ..errors import HTTPCallError
from .result import CallResult

# Connections never made are retried by httpcore for any method (nothing was sent).
CONNECT_RETRIES = 2
CALL_BUDGET = 2.0  # a call's retries end after this many of its timeouts


class RetryPastDeadline(httpx.HTTPError):
    """The next attempt (after the back-off or the server's Retry-After) would start past
    the deadline: the call ends here with the last failure."""


class DeadlineRetry(Retry):
    """httpx-retries' policy (idempotent methods; resets, timeouts, 429/502/503/504;
    Retry-After honoured; exponential back-off with full jitter), bounded by the running
    step's deadline: no retry starts past it, and a wait that would cross it (a long
    Retry-After) ends the call instead of being cut short."""

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or not deadline.allows_wait(0.0)

    def sleep(self, response: httpx.Response | Exception) -> None:
        headers = response.headers if isinstance(response, httpx.Response) else {}
        wait = self._calculate_sleep(headers)
        if not deadline.allows_wait(wait):
            last = (f"{response.status_code} {response.reason_phrase}"
                    if isinstance(response, httpx.Response)
                    else f"{type(response).__name__}: {response}")
            raise RetryPastDeadline(f"{last}; the next try (in {wait:.1f}s) would start "
                                    "past the deadline")
        super().sleep(response)


def _read_body(response: httpx.Response) -> None:
    """Read the body inside the retry loop: a reset mid-answer is retried like one before
    it (for the methods that may be resent)."""
    response.read()


RETRY = DeadlineRetry(total=4, backoff_factor=0.1, max_backoff_wait=30.0,
                      validate_response=_read_body)


class GatewayTransport(httpx.BaseTransport):
    """One connection pool per virtual host: connections are pooled by origin (the gateway
    address), and a TLS connection opened with one host's SNI must not carry another's."""

    def __init__(self, gateway_url: str, *, verify: bool = True) -> None:
        self.gateway = httpx.URL(gateway_url)
        self._verify = verify
        self._pools: dict[str, httpx.HTTPTransport] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port
        request.headers["Host"] = host if port is None else f"{host}:{port}"
        # Keep the scheme the gateway speaks; SNI names the virtual host, as DNS would.
        routed = request.url.copy_with(scheme=self.gateway.scheme, host=self.gateway.host,
                                       port=self.gateway.port)
        extensions = dict(request.extensions)
        if self.gateway.scheme == "https":
            extensions["sni_hostname"] = host
        sent = httpx.Request(request.method, routed, headers=request.headers,
                             stream=request.stream, extensions=extensions)
        pool = self._pools.setdefault(host, httpx.HTTPTransport(verify=self._verify,
                                                                 retries=CONNECT_RETRIES))
        response = pool.handle_request(sent)
        response.request = request  # results name the virtual host, not the gateway IP
        return response

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


class PlatformHTTP:
    """Factory of httpx clients for `<name>.<fqdn>` hosts, routed via the gateway."""

    def __init__(self, fqdn: str, gateway_url: str | None, *, scheme: str = "https",
                 verify: bool = True, timeout: float = 10.0) -> None:
        self.fqdn = fqdn
        self.gateway_url = gateway_url
        self.scheme = scheme if gateway_url is None else "http" \
            if gateway_url.startswith("http://") else scheme
        self.verify = verify
        self.timeout = timeout
        transport = GatewayTransport(gateway_url, verify=verify) if gateway_url else \
            httpx.HTTPTransport(verify=verify, retries=CONNECT_RETRIES)
        self._client = httpx.Client(transport=RetryTransport(transport, retry=RETRY),
                                    timeout=timeout, follow_redirects=False)

    def url(self, name: str, path: str = "/") -> str:
        host = name if name.endswith(self.fqdn) else f"{name}.{self.fqdn}"
        return f"{self.scheme}://{host}{path}"

    def request(self, method: str, name: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call; transport failures become HTTPCallError naming the host. For clients
        in this package; everything else uses `call`, which returns plain data."""
        url = self.url(name, path)
        # One call, retries included, gets at most CALL_BUDGET timeouts' worth of time (and
        # never more than the running step has left).
        with deadline.deadline(time.monotonic() + CALL_BUDGET * self.timeout):
            kwargs.setdefault("timeout", deadline.clip_timeout(self.timeout))
            try:
                return self._client.request(method, url, **kwargs)
            except httpx.HTTPError as e:
                raise HTTPCallError(f"{method} {url}: {type(e).__name__}: {e}") from e

    def call(self, method: str, name: str, path: str, **kwargs: Any) -> CallResult:
        return CallResult.of(self.request(method, name, path, **kwargs))

    def close(self) -> None:
        self._client.close()
