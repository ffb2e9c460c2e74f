"""Gitea's REST API, as the journey and the diagnosers use it."""

from __future__ import annotations

from .http import PlatformHTTP
from .result import CallResult


class GiteaClient:
    def __init__(self, http: PlatformHTTP, host: str = "gitea") -> None:
        self.http = http
        self.host = host

    def _get(self, path: str, **kwargs: object) -> CallResult:
        return CallResult.of(self.http.request("GET", self.host, path, **kwargs))  # type: ignore[arg-type]

    def version(self) -> CallResult:
        return self._get("/api/v1/version")

    def user_basic(self, username: str, password: str) -> CallResult:
        """GET /api/v1/user with basic auth."""
        return self._get("/api/v1/user", auth=(username, password))

    def user_token(self, token: str) -> CallResult:
        """GET /api/v1/user with `Authorization: token <t>` (what the platform's services send)."""
        return self._get("/api/v1/user", headers={"Authorization": f"token {token}"})

    def org(self, name: str, username: str, password: str) -> CallResult:
        return self._get(f"/api/v1/orgs/{name}", auth=(username, password))
