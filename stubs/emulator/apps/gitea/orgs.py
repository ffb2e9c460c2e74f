"""Organizations and their repositories (routers/api/v1/org/org.go, repo/repo.go)."""

from __future__ import annotations

from aiohttp import web

from .auth import get_auth, guard
from .binding import BindError, boolean, json_body, string
from .db import Account, NameTaken
from .names import name_problem
from .serialize import api_error, not_found, org_json, repo_json, root_url
from .state import CONFIG_KEY, DB_KEY

VISIBILITIES = ("public", "limited", "private")


async def create_org_for(request: web.Request, owner: Account) -> web.Response:
    """CreateOrgOption -> 201, or 422 when the name is taken (users and orgs share it)."""
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    try:
        body = await json_body(request)
        name = string(body, "username", "UserName", required=True, max_size=40,
                      username=True)
        extra = {
            "full_name": string(body, "full_name", "FullName", max_size=100),
            "description": string(body, "description", "Description", max_size=255),
            "website": string(body, "website", "Website", max_size=255),
            "location": string(body, "location", "Location", max_size=50),
            "visibility": string(body, "visibility", "Visibility") or "public",
            "repo_admin_change_team_access": boolean(
                body, "repo_admin_change_team_access", "RepoAdminChangeTeamAccess"),
        }
        email = string(body, "email", "Email", max_size=255)
    except BindError as e:
        return api_error(request, 422, str(e), config.root_url)
    if extra["visibility"] not in VISIBILITIES:
        return api_error(request, 422, "[Visibility]: In", config.root_url)
    if problem := name_problem(name):
        return api_error(request, 422, problem, config.root_url)
    try:
        org = db.create_org(name, owner, **extra)
    except NameTaken:
        return api_error(request, 422, f"user already exists [name: {name}]", config.root_url)
    org.email = email
    return web.json_response(org_json(org, root_url(request, config.root_url)), status=201)


async def create_org(request: web.Request) -> web.Response:
    if denied := guard(request, ("organization",), token=True):
        return denied
    doer = get_auth(request).doer
    assert doer is not None
    return await create_org_for(request, doer)


def _visible(org: Account, doer: Account | None) -> bool:
    """HasOrgOrUserVisible: public to all, limited to signed-in users, private to members."""
    if org.visibility == "public" or (doer is not None and doer.is_admin):
        return True
    if org.visibility == "limited":
        return doer is not None
    return doer is not None and doer.id in org.owners


def _org_or_404(request: web.Request) -> Account | web.Response:
    """orgAssignment(true): a missing org is APIErrorNotFound("GetOrgByName", err)."""
    config = request.app[CONFIG_KEY]
    name = request.match_info["org"]
    org = request.app[DB_KEY].org(name)
    if org is None:
        return not_found(request, config.root_url, "GetOrgByName",
                         [f"org does not exist [id: 0, name: {name}]"])
    if not _visible(org, get_auth(request).doer):
        return not_found(request, config.root_url, "HasOrgOrUserVisible")
    return org


async def get_org(request: web.Request) -> web.Response:
    if denied := guard(request, ("organization",)):
        return denied
    org = _org_or_404(request)
    if isinstance(org, web.Response):
        return org
    return web.json_response(org_json(org, root_url(request, request.app[CONFIG_KEY].root_url)))


async def _create_repo_in(request: web.Request, org: Account, *,
                          own: bool = False) -> web.Response:
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    doer = get_auth(request).doer
    assert doer is not None
    try:
        body = await json_body(request)
        name = string(body, "name", "Name", required=True, max_size=100)
        description = string(body, "description", "Description", max_size=2048)
        private = boolean(body, "private", "Private")
        auto_init = boolean(body, "auto_init", "AutoInit")
        default_branch = string(body, "default_branch", "DefaultBranch", max_size=100)
    except BindError as e:
        return api_error(request, 422, str(e), config.root_url)
    if not own and not _visible(org, doer):
        return not_found(request, config.root_url, "HasOrgOrUserVisible")
    if not own and not (doer.is_admin or doer.id in org.owners):
        return api_error(request, 403, "Given user is not allowed to create repository in "
                         f"organization {org.name}.", config.root_url)
    if problem := name_problem(name):
        return api_error(request, 422, problem, config.root_url)
    try:
        repo = db.create_repo(org, name, description=description, private=private,
                              auto_init=auto_init, default_branch=default_branch or "main")
    except NameTaken:
        return api_error(request, 409, "The repository with the same name already exists.",
                         config.root_url)
    return web.json_response(repo_json(db, repo, root_url(request, config.root_url)),
                             status=201)


async def create_org_repo(request: web.Request) -> web.Response:
    """POST /orgs/{org}/repos: the org group's orgAssignment answers 404 for a missing org."""
    if denied := guard(request, ("organization",)):
        return denied
    org = _org_or_404(request)
    if isinstance(org, web.Response):
        return org
    if denied := guard(request, (), token=True):
        return denied
    return await _create_repo_in(request, org)


async def create_user_repo(request: web.Request) -> web.Response:
    """POST /user/repos (CreateUserRepo): a repository owned by the signed-in user."""
    if denied := guard(request, ("repository",), token=True):
        return denied
    doer = get_auth(request).doer
    assert doer is not None
    owner = request.app[DB_KEY].account(doer.name)
    assert owner is not None  # the signed-in user's own account
    return await _create_repo_in(request, owner, own=True)


async def create_org_repo_deprecated(request: web.Request) -> web.Response:
    """POST /org/{org}/repos: no orgAssignment, so CreateOrgRepo's own 422 for a missing org."""
    if denied := guard(request, ("organization", "repository"), token=True):
        return denied
    config = request.app[CONFIG_KEY]
    name = request.match_info["org"]
    org = request.app[DB_KEY].org(name)
    if org is None:
        return api_error(request, 422, f"org does not exist [id: 0, name: {name}]",
                         config.root_url)
    return await _create_repo_in(request, org)


async def get_repo(request: web.Request) -> web.Response:
    """repoAssignment: a missing owner is APIErrorNotFound("GetUserByName", err)."""
    if denied := guard(request, ("repository",)):
        return denied
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    owner_name = request.match_info["owner"]
    owner = db.account(owner_name)
    if owner is None:
        return not_found(request, config.root_url, "GetUserByName",
                         [config.version.user_not_exist_text(0, owner_name)])
    repo = db.repo(owner, request.match_info["repo"])
    doer = get_auth(request).doer
    if repo is not None and repo.private:
        visible = doer is not None and (doer.is_admin or doer.id == owner.id
                                        or doer.id in owner.owners)
        repo = repo if visible else None
    if repo is None:
        return not_found(request, config.root_url, config.version.not_found())
    return web.json_response(repo_json(db, repo, root_url(request, config.root_url)))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/orgs", create_org)
    app.router.add_get("/api/v1/orgs/{org}", get_org)
    app.router.add_post("/api/v1/orgs/{org}/repos", create_org_repo)
    app.router.add_post("/api/v1/user/repos", create_user_repo)
    app.router.add_post("/api/v1/org/{org}/repos", create_org_repo_deprecated)
    app.router.add_get("/api/v1/repos/{owner}/{repo}", get_repo)
