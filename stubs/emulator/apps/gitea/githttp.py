"""Git over HTTP (the smart protocol) for the stand-in's repositories, as Gitea serves it
at `/<owner>/<repo>.git/...` (routers/web/repo/githttp.go).

The protocol itself is git's own: each request goes to `git http-backend` (CGI), over a
bare repository kept for the life of the process (Gitea keeps them on its volume). The
stand-in decides what Gitea decides: the repository must exist in its database; reading
a private repository, and every push, need a signed-in user (HTTP basic with a password,
or a token as the password) who may write (owner, an owner of the org, or a site admin);
a token also needs the repository scope. Without credentials the answer is 401 with
`WWW-Authenticate: Basic realm="Gitea"`, which makes git ask its credential helper.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from aiohttp import web

from .auth import AuthError, authenticate
from .state import DB_KEY

REPOS_KEY = web.AppKey("gitea_repos_root", Path)
SERVICES = {"git-upload-pack": "read", "git-receive-pack": "write"}
CGI_TIMEOUT = 60.0


def _unauthorized(text: str = "Unauthorized\n") -> web.Response:
    return web.Response(status=401, text=text,
                        headers={"WWW-Authenticate": 'Basic realm="Gitea"'})


async def handle(request: web.Request) -> web.StreamResponse:
    owner_name, repo_git = request.match_info["owner"], request.match_info["repo"]
    tail = request.match_info["tail"]
    if not repo_git.endswith(".git"):
        raise web.HTTPNotFound()
    service = request.query.get("service") if tail == "info/refs" else tail
    if service not in SERVICES:
        raise web.HTTPNotFound()
    db = request.app[DB_KEY]
    owner = db.account(owner_name)
    repo = db.repo(owner, repo_git.removesuffix(".git")) if owner is not None else None
    if repo is None:
        raise web.HTTPNotFound()
    try:
        auth = authenticate(request)
    except AuthError:
        return _unauthorized()
    need = SERVICES[service]
    if need == "write" or repo.private:
        doer = auth.doer
        if doer is None:
            return _unauthorized()
        may = doer.is_admin or doer.id == owner.id or doer.id in owner.owners
        if not may:
            raise web.HTTPNotFound() if repo.private else web.HTTPForbidden()
        if auth.scope is not None and not auth.scope.allows(("repository",),
                                                            "POST" if need == "write"
                                                            else "GET"):
            return web.Response(status=403, text="token scope does not allow this\n")
    root = request.app[REPOS_KEY]
    path = root / owner.name / repo_git
    if not path.exists():  # Gitea initialises the bare repository when it creates it
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return await _cgi(request, root, f"/{owner.name}/{repo_git}/{tail}",
                      auth.doer.name if auth.doer else "")


async def _cgi(request: web.Request, root: Path, path_info: str, user: str) -> web.Response:
    env = {"GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1",
           "PATH_INFO": path_info, "QUERY_STRING": request.query_string,
           "REQUEST_METHOD": request.method, "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
           "CONTENT_TYPE": request.headers.get("Content-Type", ""),
           "PATH": "/usr/local/bin:/usr/bin:/bin"}
    for header in ("Content-Encoding", "Git-Protocol"):
        if header in request.headers:
            env["HTTP_" + header.upper().replace("-", "_")] = request.headers[header]
    body = await request.read()
    env["CONTENT_LENGTH"] = str(len(body))
    proc = await asyncio.create_subprocess_exec(
        "git", "http-backend", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(body), CGI_TIMEOUT)
    head, sep, payload = out.partition(b"\r\n\r\n")
    if not sep:
        head, _, payload = out.partition(b"\n\n")
    status, headers = 200, {}
    for line in head.decode(errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name:
            headers[name.strip()] = value.strip()
    if proc.returncode and not out:
        return web.Response(status=500, text=err.decode(errors="replace")[-300:])
    return web.Response(status=status, body=payload, headers=headers)


def add_routes(app: web.Application) -> None:
    root = Path(tempfile.mkdtemp(prefix="gitea-repos-"))
    app[REPOS_KEY] = root

    async def remove(_app: web.Application) -> None:
        shutil.rmtree(root, ignore_errors=True)

    app.on_cleanup.append(remove)
    app.router.add_route("*", "/{owner}/{repo}/{tail:.*}", handle)
