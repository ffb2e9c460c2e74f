"""API authentication, in Gitea's order: OAuth2/access token, then Basic (services/auth).

The first method that finds a user wins; when none does, the *first* error is the 401
message (routers/api/v1/api.go apiAuth). Route guards (reqToken, tokenRequiresScopes,
reqSiteAdmin) live here too so every handler checks in the same order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from .db import Account, GiteaDB, now
from .scopes import Scope, required_scopes
from .serialize import api_error
from .state import CONFIG_KEY, DB_KEY, GiteaConfig

AUTH_KEY = web.RequestKey("gitea_auth", object)


@dataclass(frozen=True)
class Auth:
    doer: Account | None = None
    method: str = ""  # "oauth2" (token header/query) or "basic"
    scope: Scope | None = None  # set when an access token authenticated the request

    @property
    def is_basic(self) -> bool:
        return self.method == "basic"


class AuthError(Exception):
    pass


def _query_or_header_token(request: web.Request, config: GiteaConfig) -> str | None:
    for key in ("token", "access_token"):
        if request.query.get(key):
            return request.query[key]
    scheme, sep, value = request.headers.get("Authorization", "").partition(" ")
    if not sep:
        return None
    token_ok = scheme == "token" or (
        config.version.token_scheme_case_insensitive and scheme.lower() == "token")
    if token_ok or scheme.lower() == "bearer":
        return value.strip()
    return None


def _oauth2(request: web.Request, db: GiteaDB, config: GiteaConfig) -> Auth | None:
    raw = _query_or_header_token(request, config)
    if raw is None:
        return None
    token = db.token_by_raw(raw)
    if token is None or token.uid not in db.accounts:
        raise AuthError(config.version.unknown_token())
    token.updated = now()
    return Auth(db.accounts[token.uid], "oauth2", token.scope)


def _basic(request: web.Request, db: GiteaDB, config: GiteaConfig) -> Auth | None:
    scheme, sep, value = request.headers.get("Authorization", "").partition(" ")
    if not sep or scheme.lower() != "basic":
        return None
    # BasicAuthDecode: an undecodable value, or one without ":", is an empty user and
    # password, which then signs in as nobody (401 user does not exist), as Gitea does.
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode(errors="replace")
    except binascii.Error:
        decoded = ""
    uname, sep, passwd = decoded.partition(":")
    if not sep:
        uname = passwd = ""
    # A personal token is accepted as the password, or as the user with no password.
    token = db.token_by_raw(uname if passwd in ("", "x-oauth-basic") else passwd)
    if token is not None and token.uid in db.accounts:
        return Auth(db.accounts[token.uid], "basic", token.scope)
    user = db.user(uname)
    if user is None:
        raise AuthError(config.version.unknown_user(uname))
    if not user.check_password(passwd):
        raise AuthError(config.version.wrong_password(user.id, user.name))
    user.last_login = now()
    return Auth(user, "basic", None)


def authenticate(request: web.Request) -> Auth:
    db, config = request.app[DB_KEY], request.app[CONFIG_KEY]
    first_error: AuthError | None = None
    for method in (_oauth2, _basic):
        try:
            found = method(request, db, config)
        except AuthError as e:
            first_error = first_error or e
            continue
        if found is not None:
            return found
    if first_error is not None:
        raise first_error
    return Auth()


def _blocked_account(request: web.Request, doer: Account) -> web.Response | None:
    """verifyAuthWithOptions: signed-in accounts that may not use the API yet."""
    if not doer.active or doer.prohibit_login:
        return web.json_response({"message": "This account is prohibited from signing in, "
                                             "please contact your site administrator."},
                                 status=403)
    if doer.must_change_password:
        root = request.app[CONFIG_KEY].root_url or f"{request.scheme}://{request.host}/"
        return web.json_response({"message": "You must change your password. Change it at: "
                                             f"{root}/user/change_password"}, status=403)
    return None


@web.middleware
async def auth_middleware(request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                          ) -> web.StreamResponse:
    if not request.path.startswith("/api/v1/"):
        return await handler(request)
    try:
        auth = authenticate(request)
    except AuthError as e:
        return api_error(request, 401, str(e), request.app[CONFIG_KEY].root_url)
    if auth.doer is not None and (blocked := _blocked_account(request, auth.doer)):
        return blocked
    request[AUTH_KEY] = auth
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:  # the emulator's bound (binding.MAX_BODY_BYTES)
        return api_error(request, 413, "request body too large",
                         request.app[CONFIG_KEY].root_url)


def get_auth(request: web.Request) -> Auth:
    auth = request.get(AUTH_KEY)
    assert isinstance(auth, Auth)
    return auth


def guard(request: web.Request, categories: tuple[str, ...], *, token: bool = False,
          site_admin: bool = False) -> web.Response | None:
    """tokenRequiresScopes(categories), then reqToken, then reqSiteAdmin."""
    auth, root = get_auth(request), request.app[CONFIG_KEY].root_url
    if auth.scope is not None and categories and not auth.scope.allows(categories,
                                                                       request.method):
        need = ", ".join(required_scopes(categories, request.method))
        return api_error(request, 403, "token does not have at least one of required "
                         f"scope(s), required=[{need}], token scope={auth.scope}", root)
    if (token or site_admin) and auth.doer is None:
        return api_error(request, 401, "token is required", root)
    if site_admin and not (auth.doer and auth.doer.is_admin):
        return api_error(request, 403, "user should be the site admin", root)
    return None
