"""The provisioning service's Gitea calls: create the tenant's org and its repo.

Sent with `Authorization: token <GITHUB_TOKEN>`, as the platform's service sends it.
"Already exists" answers are success (422 on POST /orgs, 409 on POST /orgs/{org}/repos),
so a retried or doubled provision is idempotent.
"""

from __future__ import annotations

from typing import Any

import httpx


class GiteaError(Exception):
    """A non-success answer; `message` is Gitea's `message` field (never the token)."""

    def __init__(self, call: str, status: int, message: str) -> None:
        super().__init__(f"{call} returned {status}: {message}")
        self.call = call
        self.status = status
        self.message = message


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    return str(body.get("message", "")) if isinstance(body, dict) else ""


class GiteaClient:
    def __init__(self, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}

    async def _post(self, path: str, body: dict[str, Any], ok_conflict: int) -> None:
        resp = await self.client.post(self.base_url + path, json=body, headers=self.headers)
        if resp.status_code in (200, 201):
            return
        message = _message(resp)
        # 422 also means an invalid name; only "already exists" is idempotent success.
        if resp.status_code == ok_conflict and (ok_conflict != 422 or "already exists" in message):
            return
        raise GiteaError(f"POST {path}", resp.status_code, message)

    async def ensure_org(self, org: str, full_name: str) -> None:
        await self._post("/api/v1/orgs", {"username": org, "full_name": full_name,
                                          "visibility": "private"}, ok_conflict=422)

    async def ensure_repo(self, org: str, repo: str) -> None:
        await self._post(f"/api/v1/orgs/{org}/repos",
                         {"name": repo, "private": True, "auto_init": True,
                          "default_branch": "main"}, ok_conflict=409)

    async def org_exists(self, org: str) -> bool:
        resp = await self.client.get(f"{self.base_url}/api/v1/orgs/{org}", headers=self.headers)
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            return False
        raise GiteaError(f"GET /api/v1/orgs/{org}", resp.status_code, _message(resp))
