"""The stand-in's Swagger 2.0 document (Gitea serves its own at /swagger.v1.json).

Hand-written for exactly the routes implemented here, with every status they return. Any
/api/v1 route can answer 401 (a credential that resolves to no user) and 403 (an account
that must change its password or may not sign in), so each operation lists both.
"""

from __future__ import annotations

from typing import Any

from .versions import GiteaVersion


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _err(description: str) -> dict[str, Any]:
    return {"description": description, "schema": _ref("APIError")}


_COMMON = {"401": _err("A credential that resolves to no user"),
           "403": _err("Missing scope, not allowed, or account blocked")}


def _op(op_id: str, responses: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
        body: str | None = None, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    parameters = list(params or [])
    if body:
        parameters.append({"name": "body", "in": "body", "required": True,
                           "schema": _ref(body)})
    return {"operationId": op_id, "tags": list(tags), "produces": ["application/json"],
            "consumes": ["application/json"], "parameters": parameters,
            "responses": {**_COMMON, **responses}}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "type": "string"}


def _query_int(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "type": "integer", "minimum": 1}


def _ok(description: str, schema: dict[str, Any], total: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "schema": schema}
    if total:
        out["headers"] = {"X-Total-Count": {"type": "integer"}}
    return out


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


_S = {"type": "string"}
_I = {"type": "integer", "format": "int64"}
_B = {"type": "boolean"}
_T = {"type": "string", "format": "date-time"}

DEFINITIONS: dict[str, Any] = {
    "APIError": _obj({"message": _S, "url": _S}),
    "ServerVersion": _obj({"version": _S}, ("version",)),
    "User": _obj({
        "id": _I, "login": _S, "login_name": _S, "source_id": _I, "full_name": _S,
        "email": _S, "avatar_url": _S, "html_url": _S, "language": _S, "is_admin": _B,
        "last_login": _T, "created": _T, "restricted": _B, "active": _B,
        "prohibit_login": _B, "location": _S, "website": _S, "description": _S,
        "visibility": _S, "followers_count": _I, "following_count": _I,
        "starred_repos_count": _I, "username": _S}, ("id", "login")),
    "Organization": _obj({
        "id": _I, "name": _S, "full_name": _S, "email": _S, "avatar_url": _S,
        "description": _S, "website": _S, "location": _S, "visibility": _S,
        "repo_admin_change_team_access": _B, "username": _S}, ("id", "name")),
    "Repository": _obj({
        "id": _I, "owner": _ref("User"), "name": _S, "full_name": _S, "description": _S,
        "empty": _B, "private": _B, "fork": _B, "template": _B, "mirror": _B, "size": _I,
        "html_url": _S, "url": _S, "clone_url": _S, "default_branch": _S,
        "created_at": _T, "updated_at": _T}, ("id", "name", "full_name")),
    "AccessToken": _obj({
        "id": _I, "name": _S, "sha1": _S, "token_last_eight": _S,
        "scopes": {"type": "array", "items": _S, "x-nullable": True},
        "created_at": _T, "last_used_at": _T}, ("id", "name", "sha1", "token_last_eight")),
    "CreateAccessTokenOption": _obj({
        "name": _S, "scopes": {"type": "array", "items": _S}}, ("name",)),
    "CreateOrgOption": _obj({
        "username": {"type": "string", "maxLength": 40}, "full_name": _S, "email": _S,
        "description": _S, "website": _S, "location": _S,
        "visibility": {"type": "string", "enum": ["public", "limited", "private"]},
        "repo_admin_change_team_access": _B}, ("username",)),
    "CreateRepoOption": _obj({
        "name": {"type": "string", "maxLength": 100}, "description": _S, "private": _B,
        "auto_init": _B, "default_branch": _S}, ("name",)),
    "CreateUserOption": _obj({
        "username": {"type": "string", "maxLength": 40}, "email": _S, "password": _S,
        "must_change_password": _B, "full_name": _S}, ("username", "email")),
}


def swagger_document(version: GiteaVersion) -> dict[str, Any]:
    tok = ("user",)
    paths: dict[str, Any] = {
        "/version": {"get": _op("getVersion", {"200": _ok("Version", _ref("ServerVersion"))},
                                tags=("miscellaneous",))},
        "/user": {"get": _op("userGetCurrent", {"200": _ok("The signed-in user",
                                                           _ref("User"))}, tags=tok)},
        "/users/{username}/tokens": {
            "parameters": [_path("username")],
            "get": _op("userGetTokens", {
                "200": _ok("Tokens (sha1 is empty)", _list("AccessToken"), total=True),
                "404": _err("No such user")},
                params=[_query_int("page"), _query_int("limit")], tags=tok),
            "post": _op("userCreateToken", {
                "201": _ok("Created; sha1 holds the raw token, shown only once",
                           _ref("AccessToken")),
                "400": _err("Duplicate name, bad scope or (>=1.23) no scope"),
                "404": _err("No such user"),
                "422": _err("Validation error")},
                body="CreateAccessTokenOption", tags=tok),
        },
        "/users/{username}/tokens/{token}": {
            "parameters": [_path("username"),
                           {**_path("token"), "description": "token id or name"}],
            "delete": _op("userDeleteAccessToken", {
                "204": {"description": "Deleted"},
                "404": _err("No such user or token"),
                "422": _err("Ambiguous token name")}, tags=tok),
        },
        "/orgs": {"post": _op("orgCreate", {
            "201": _ok("Created", _ref("Organization")),
            "422": _err("Name taken, reserved or invalid")},
            body="CreateOrgOption", tags=("organization",))},
        "/orgs/{org}": {"get": _op("orgGet", {
            "200": _ok("The organization", _ref("Organization")),
            "404": _err("No such organization")},
            params=[_path("org")], tags=("organization",))},
        "/orgs/{org}/repos": {"post": _op("createOrgRepo", {
            "201": _ok("Created", _ref("Repository")),
            "404": _err("No such organization (GetOrgByName) or not visible"),
            "409": _err("The repository with the same name already exists."),
            "422": _err("Invalid name")},
            params=[_path("org")], body="CreateRepoOption", tags=("organization",))},
        "/org/{org}/repos": {"post": {**_op("createOrgRepoDeprecated", {
            "201": _ok("Created", _ref("Repository")),
            "404": _err("Organization not visible"),
            "409": _err("The repository with the same name already exists."),
            "422": _err("No such organization, or invalid name")},
            params=[_path("org")], body="CreateRepoOption", tags=("organization",)),
            "deprecated": True}},
        "/repos/{owner}/{repo}": {"get": _op("repoGet", {
            "200": _ok("The repository", _ref("Repository")),
            "404": _err("No such repository")},
            params=[_path("owner"), _path("repo")], tags=("repository",))},
        "/admin/users": {
            "get": _op("adminSearchUsers", {"200": _ok("Users", _list("User"), total=True)},
                       params=[_query_int("page"), _query_int("limit")], tags=("admin",)),
            "post": _op("adminCreateUser", {
                "201": _ok("Created", _ref("User")),
                "400": _err("PasswordIsRequired (shorter than 8)"),
                "422": _err("Name or e-mail taken, or invalid")},
                body="CreateUserOption", tags=("admin",)),
        },
        "/admin/users/{username}/orgs": {"post": _op("adminCreateOrg", {
            "201": _ok("Created", _ref("Organization")),
            "404": _err("No such user"),
            "422": _err("Name taken, reserved or invalid")},
            params=[_path("username")], body="CreateOrgOption", tags=("admin",))},
    }
    return {
        "swagger": "2.0",
        "info": {"title": "Gitea API (sovereign-e2e stand-in)", "version": version.text},
        "basePath": "/api/v1",
        "schemes": ["http", "https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": DEFINITIONS,
        "securityDefinitions": {
            "BasicAuth": {"type": "basic"},
            "Token": {"type": "apiKey", "name": "token", "in": "query"},
            "AccessToken": {"type": "apiKey", "name": "access_token", "in": "query"},
            "AuthorizationHeaderToken": {"type": "apiKey", "name": "Authorization",
                                         "in": "header",
                                         "description": "`token <t>` or `Bearer <t>`"},
        },
        "security": [{"BasicAuth": []}, {"Token": []}, {"AccessToken": []},
                     {"AuthorizationHeaderToken": []}, {}],
    }
