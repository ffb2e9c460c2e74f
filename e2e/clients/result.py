"""A platform call's outcome as plain data (status, parsed body, message)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

# Headers the harness reads (never credentials: Set-Cookie, Authorization stay out).
KEPT_HEADERS = ("location", "content-type", "x-total-count", "x-envoy-upstream-service-time",
                "docker-distribution-api-version")


@dataclass(frozen=True)
class CallResult:
    method: str
    url: str
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The error text a service put in its body (Gitea `message`, others `error`)."""
        if isinstance(self.body, dict):
            for key in ("message", "error", "detail"):
                if isinstance(self.body.get(key), str):
                    return str(self.body[key])
        return self.body if isinstance(self.body, str) else ""

    def summary(self) -> str:
        text = f"{self.method} {self.url} -> {self.status}"
        return f"{text} {self.message!r}" if self.message else text

    @classmethod
    def of(cls, resp: httpx.Response) -> CallResult:
        try:
            body: Any = resp.json()
        except ValueError:
            body = resp.text[:512]
        keep = {k.lower(): v for k, v in resp.headers.items() if k.lower() in KEPT_HEADERS}
        return cls(resp.request.method, str(resp.request.url.copy_with(query=None)),
                   resp.status_code, body, keep)
