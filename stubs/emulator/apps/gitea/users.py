"""/api/v1/user and the admin user endpoints the platform uses (routers/api/v1/admin)."""

from __future__ import annotations

from aiohttp import web

from .auth import get_auth, guard
from .binding import BindError, boolean, json_body, string
from .db import NameTaken
from .names import name_problem
from .orgs import create_org_for
from .serialize import api_error, root_url, user_json
from .state import CONFIG_KEY, DB_KEY
from .tokens import page_args

MIN_PASSWORD_LENGTH = 8  # setting.MinPasswordLength default


async def current_user(request: web.Request) -> web.Response:
    if denied := guard(request, ("user",), token=True):
        return denied
    doer = get_auth(request).doer
    assert doer is not None
    root = root_url(request, request.app[CONFIG_KEY].root_url)
    return web.json_response(user_json(doer, root))


async def admin_create_user(request: web.Request) -> web.Response:
    if denied := guard(request, ("admin",), token=True, site_admin=True):
        return denied
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    try:
        body = await json_body(request)
        # CreateUserOption's field order, which is the order Gitea checks them in.
        username = string(body, "username", "Username", required=True, max_size=40,
                          username=True)
        full_name = string(body, "full_name", "FullName", max_size=100)
        email = string(body, "email", "Email", required=True, max_size=254)
        password = string(body, "password", "Password", max_size=255)
        must_change = boolean(body, "must_change_password", "MustChangePassword", True)
    except BindError as e:
        return api_error(request, 422, str(e), config.root_url)
    if len(password) < MIN_PASSWORD_LENGTH:  # local accounts need a password
        return api_error(request, 400, "PasswordIsRequired", config.root_url)
    if problem := name_problem(username):
        return api_error(request, 422, problem, config.root_url)
    if "@" not in email:
        return api_error(request, 422, f"e-mail invalid [email: {email}]", config.root_url)
    if db.account(username):
        return api_error(request, 422, f"user already exists [name: {username}]",
                         config.root_url)
    if db.email_taken(email):
        return api_error(request, 422, f"e-mail already in use [email: {email}]",
                         config.root_url)
    try:
        user = db.create_user(username, email, password, must_change_password=must_change,
                              full_name=full_name)
    except NameTaken:
        return api_error(request, 422, f"user already exists [name: {username}]",
                         config.root_url)
    return web.json_response(user_json(user, root_url(request, config.root_url)), status=201)


async def admin_list_users(request: web.Request) -> web.Response:
    if denied := guard(request, ("admin",), token=True, site_admin=True):
        return denied
    users = sorted(request.app[DB_KEY].users(), key=lambda u: u.id)
    page, limit = page_args(request)
    root = root_url(request, request.app[CONFIG_KEY].root_url)
    return web.json_response([user_json(u, root) for u in users[(page - 1) * limit:
                                                                page * limit]],
                             headers={"X-Total-Count": str(len(users))})


async def admin_create_org(request: web.Request) -> web.Response:
    if denied := guard(request, ("admin",), token=True, site_admin=True):
        return denied
    config = request.app[CONFIG_KEY]
    owner = request.app[DB_KEY].user(request.match_info["username"])
    if owner is None:  # UserAssignmentAPI: APIError(404, ErrUserNotExist)
        name = request.match_info["username"]
        return api_error(request, 404, config.version.user_not_exist_text(0, name),
                         config.root_url)
    return await create_org_for(request, owner)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/user", current_user)
    app.router.add_post("/api/v1/admin/users", admin_create_user)
    app.router.add_get("/api/v1/admin/users", admin_list_users)
    app.router.add_post("/api/v1/admin/users/{username}/orgs", admin_create_org)
