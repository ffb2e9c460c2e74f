"""/api/v1/users/{username}/tokens (routers/api/v1/user/app.go).

Middleware order: tokenRequiresScopes(user), the context user (404), reqSelfOrAdmin (403),
reqBasicOrRevProxyAuth (401 `auth required`), then reqToken on POST and DELETE.
"""

from __future__ import annotations

from aiohttp import web

from .auth import get_auth, guard
from .binding import BindError, json_body, string, string_list
from .db import Account
from .scopes import InvalidScope, Scope
from .serialize import api_error, not_found, token_json
from .state import CONFIG_KEY, DB_KEY

CATEGORIES = ("user",)
DEFAULT_LIMIT, MAX_LIMIT = 30, 50


def _context_user(request: web.Request) -> Account | web.Response:
    if denied := guard(request, CATEGORIES):
        return denied
    config = request.app[CONFIG_KEY]
    user = request.app[DB_KEY].user(request.match_info["username"])
    if user is None:  # UserAssignmentAPI: APIError(404, ErrUserNotExist)
        name = request.match_info["username"]
        return api_error(request, 404, config.version.user_not_exist_text(0, name),
                         config.root_url)
    auth = get_auth(request)
    if auth.doer is None or not (auth.doer.is_admin or auth.doer.id == user.id):
        return api_error(request, 403, "doer should be the site admin or be same as the "
                         "contextUser", config.root_url)
    if not auth.is_basic:
        return api_error(request, 401, "auth required", config.root_url)
    return user


def page_args(request: web.Request) -> tuple[int, int]:
    def number(key: str, default: int) -> int:
        try:
            return int(request.query.get(key, default))
        except ValueError:
            return default
    page = max(number("page", 1), 1)
    limit = number("limit", DEFAULT_LIMIT)
    limit = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    return page, limit


async def list_tokens(request: web.Request) -> web.Response:
    user = _context_user(request)
    if isinstance(user, web.Response):
        return user
    tokens = request.app[DB_KEY].user_tokens(user.id)
    page, limit = page_args(request)
    version = request.app[CONFIG_KEY].version
    shown = tokens[(page - 1) * limit: page * limit]
    return web.json_response([token_json(t, version) for t in shown],
                             headers={"X-Total-Count": str(len(tokens))})


async def create_token(request: web.Request) -> web.Response:
    user = _context_user(request)
    if isinstance(user, web.Response):
        return user
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    try:
        body = await json_body(request)
        name = string(body, "name", "Name", required=True)
        scopes = string_list(body, "scopes", "Scopes")
    except BindError as e:
        return api_error(request, 422, str(e), config.root_url)
    if any(t.name == name for t in db.user_tokens(user.id)):
        return api_error(request, 400, "access token name has been used already",
                         config.root_url)
    try:
        scope = Scope.parse(",".join(scopes))
    except InvalidScope as e:
        return api_error(request, 400, f"invalid access token scope provided: {e}",
                         config.root_url)
    if scope.empty and config.version.empty_scopes_refused:
        return api_error(request, 400, "access token must have a scope", config.root_url)
    token, raw = db.create_token(user, name, scope)
    return web.json_response(token_json(token, config.version, sha1=raw, fresh=True),
                             status=201)


def _parse_id(text: str) -> int:
    """strconv.ParseInt(s, 0, 64) with the error ignored: anything unparsable is 0."""
    try:
        value = int(text, 0)
    except ValueError:
        return 0
    return value if -(2**63) <= value < 2**63 else 0


async def delete_token(request: web.Request) -> web.Response:
    user = _context_user(request)
    if isinstance(user, web.Response):
        return user
    config, db = request.app[CONFIG_KEY], request.app[DB_KEY]
    ref = request.match_info["token"]
    token_id = _parse_id(ref)
    if token_id == 0:
        matches = [t for t in db.user_tokens(user.id) if t.name == ref]
        if len(matches) > 1:
            return api_error(request, 422, f"multiple matches for token name '{ref}'",
                             config.root_url)
        if not matches:
            return not_found(request, config.root_url, config.version.not_found())
        token_id = matches[0].id
    token = db.tokens.get(token_id)
    if token is None or token.uid != user.id:
        return not_found(request, config.root_url, config.version.not_found())
    del db.tokens[token_id]
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/users/{username}/tokens", list_tokens)
    app.router.add_post("/api/v1/users/{username}/tokens", create_token)
    app.router.add_delete("/api/v1/users/{username}/tokens/{token}", delete_token)
