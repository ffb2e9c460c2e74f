"""Raw HTTP to a Kubernetes API server from a kubeconfig dict: exact status codes, headers
and bodies, which the typed client hides (it raises on errors and drops unknown fields)."""

from __future__ import annotations

import base64
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class Answer:
    status: int
    body: Any  # parsed JSON, else the text

    @property
    def reason(self) -> str | None:
        return self.body.get("reason") if isinstance(self.body, dict) else None


class RawApi:
    def __init__(self, server: str, token: str, ca_pem: bytes | None, *,
                 verify: bool = True) -> None:
        tls: ssl.SSLContext | bool = False
        if server.startswith("https://") and verify:
            tls = ssl.create_default_context(cadata=ca_pem.decode() if ca_pem else None)
        self.http = httpx.Client(base_url=server, verify=tls, timeout=30.0,
                                 headers={"Authorization": f"Bearer {token}"})

    @classmethod
    def from_kubeconfig(cls, kubeconfig: dict[str, Any]) -> RawApi:
        ctx_name = kubeconfig["current-context"]
        ctx = next(c["context"] for c in kubeconfig["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in kubeconfig["clusters"]
                       if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in kubeconfig["users"] if u["name"] == ctx["user"])
        ca: bytes | None = None
        if data := cluster.get("certificate-authority-data"):
            ca = base64.b64decode(data)
        elif path := cluster.get("certificate-authority"):
            ca = Path(path).read_bytes()
        return cls(cluster["server"], user["token"], ca,
                   verify=not cluster.get("insecure-skip-tls-verify", False))

    def call(self, method: str, path: str, body: Any = None, *,
             params: dict[str, Any] | None = None, content_type: str = "application/json",
             accept: str = "application/json") -> Answer:
        content = None
        if body is not None:
            content = body if isinstance(body, str | bytes) else json.dumps(body)
        r = self.http.request(method, path, content=content, params=params,
                              headers={"Content-Type": content_type, "Accept": accept})
        try:
            parsed: Any = r.json()
        except ValueError:
            parsed = r.text
        return Answer(r.status_code, parsed)

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Answer:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any, content_type: str, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, content_type=content_type, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.call("DELETE", path, **kw)

    def close(self) -> None:
        self.http.close()


def watch_events(api: RawApi, path: str, params: dict[str, Any]) -> tuple[int, list[Any]]:
    """A watch read to its end (pass timeoutSeconds): the status and every event line."""
    with api.http.stream("GET", path, params={**params, "watch": "1"},
                         headers={"Accept": "application/json"}) as r:
        lines = [line for line in r.iter_lines() if line.strip()]
    events: list[Any] = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append(line)
    return r.status_code, events
