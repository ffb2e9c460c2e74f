"""API shapes (modules/structs): user, organization, repository, access token, errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from .db import AccessToken, Account, GiteaDB, Repository
from .versions import GiteaVersion

ZERO_TIME = "0001-01-01T00:00:00Z"


def ts(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else ZERO_TIME


def root_url(request: web.Request, configured: str) -> str:
    """ROOT_URL when set (GITEA__server__ROOT_URL), else the URL the caller used."""
    base = configured or f"{request.scheme}://{request.host}/"
    return base if base.endswith("/") else base + "/"


def api_error(request: web.Request, status: int, message: str, root: str) -> web.Response:
    """Gitea's APIError body: {"message", "url"} where url is the API swagger page."""
    return web.json_response({"message": message, "url": root_url(request, root) + "api/swagger"},
                             status=status)


def not_found(request: web.Request, root: str, message: str,
              errors: list[str] | None = None) -> web.Response:
    """APIErrorNotFound: a string argument replaces the message; errors go in `errors`."""
    return web.json_response({"message": message,
                              "url": root_url(request, root) + "api/swagger",
                              "errors": errors}, status=404)


def user_json(a: Account, root: str) -> dict[str, Any]:
    return {
        "id": a.id, "login": a.name, "login_name": "", "source_id": 0,
        "full_name": a.full_name, "email": a.email,
        "avatar_url": f"{root}avatars/{a.id}", "html_url": f"{root}{a.name}",
        "language": "", "is_admin": a.is_admin, "last_login": ts(a.last_login),
        "created": ts(a.created), "restricted": False, "active": a.active,
        "prohibit_login": a.prohibit_login, "location": a.location, "website": a.website,
        "description": a.description, "visibility": a.visibility,
        "followers_count": 0, "following_count": 0, "starred_repos_count": 0,
        "username": a.name,
    }


def org_json(o: Account, root: str) -> dict[str, Any]:
    return {
        "id": o.id, "name": o.name, "full_name": o.full_name, "email": o.email,
        "avatar_url": f"{root}avatars/{o.id}", "description": o.description,
        "website": o.website, "location": o.location, "visibility": o.visibility,
        "repo_admin_change_team_access": o.repo_admin_change_team_access,
        "username": o.name,
    }


def repo_json(db: GiteaDB, r: Repository, root: str) -> dict[str, Any]:
    owner = db.accounts[r.owner_id]
    full = f"{owner.name}/{r.name}"
    return {
        "id": r.id, "owner": user_json(owner, root), "name": r.name, "full_name": full,
        "description": r.description, "empty": not r.auto_init, "private": r.private,
        "fork": False, "template": False, "mirror": False, "size": 0,
        "html_url": f"{root}{full}", "url": f"{root}api/v1/repos/{full}",
        "clone_url": f"{root}{full}.git", "default_branch": r.default_branch,
        "created_at": ts(r.created), "updated_at": ts(r.created),
    }


def token_json(t: AccessToken, version: GiteaVersion, *, sha1: str = "",
               fresh: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": t.id, "name": t.name, "sha1": sha1, "token_last_eight": t.last_eight,
        "scopes": t.scope.names() if version.token_scopes_in_response else None,
    }
    if version.token_timestamps_in_response:
        # The create response is built before the row is read back: zero times.
        body["created_at"] = ZERO_TIME if fresh else ts(t.created)
        body["last_used_at"] = ZERO_TIME if fresh else ts(t.updated)
    return body
