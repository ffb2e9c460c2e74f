"""A minimal source-controller for GitRepositories (source.toolkit.fluxcd.io/v1).

It fetches the way source-controller does: the repository's URL is dialled from inside the
cluster (a Service name resolves through cluster DNS to its endpoints, which may be a
container off the cluster), with the `secretRef` Secret's `username`/`password` as HTTP
basic credentials, and `spec.ref.branch` (default `master`, as Flux's) checked out with
git itself. The artifact is the checkout (kept for the emulator's life); its revision is
`<branch>@sha1:<commit>`, and Ready says `stored artifact for revision '<rev>'`. A failed
fetch is Ready=False/GitOperationFailed with git's own last line, retried at the
interval.

A GitRepository whose content the emulator applied itself at start (the emulated
Sovereign's `openova`, also after the cutover points it at the Sovereign's Gitea), and one
on the internet (a host that is neither a Service nor under the Sovereign's FQDN, which
the emulator does not reach), is left alone.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from ..clusterdns import ClusterDNS, NoSuchHost
from ..controllers.base import Controller, Key
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import now_iso
from . import conditions as cond
from .values import parse_duration

GR_GVR = ("source.toolkit.fluxcd.io", "v1", "gitrepositories")
ARTIFACTS = "source-controller"  # emulator.app_states key: (ns, name) -> (revision, path)
GIT_TIMEOUT = 60.0


def on_the_internet(url: str, fqdn: str) -> bool:
    """A host that is not a cluster name (a Service) nor under the Sovereign's FQDN."""
    host = (urlparse(url).hostname or "").lower()
    fqdn = fqdn.lower()
    return not (host == fqdn or host.endswith("." + fqdn) or host.endswith(".svc")
                or ".svc." in host or "." not in host)


def artifacts(emulator: Any) -> dict[tuple[str, str], tuple[str, Path]]:
    return emulator.app_states.setdefault(ARTIFACTS, {})  # type: ignore[no-any-return]


class GitRepositoryController(Controller):
    name = "source-controller"

    def __init__(self) -> None:
        super().__init__()
        self._root: Path | None = None

    def watches(self) -> Iterable[ResourceType]:
        rt = self.store.registry.get(*GR_GVR)
        return (rt,) if rt is not None else ()

    async def setup(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="emulator-artifacts-"))

    async def stop(self) -> None:
        await super().stop()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    @property
    def scale(self) -> float:
        return float(getattr(self.emulator, "time_scale", 1.0))

    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        rt = self.rt(*GR_GVR)
        repo = self.store.try_get(rt, ns, name)
        if repo is None:
            artifacts(self.emulator).pop((ns, name), None)
            return None
        spec = repo.get("spec") or {}
        if spec.get("suspend") or (ns, name) in getattr(self.emulator, "preapplied_sources",
                                                         set()):
            return None  # suspended, or its content is what the emulator applied at start
        interval = parse_duration(spec.get("interval"), 60.0) * self.scale
        url = str(spec.get("url", ""))
        branch = str((spec.get("ref") or {}).get("branch") or "master")
        status = copy.deepcopy(repo.get("status") or {})
        gen = int(repo["metadata"].get("generation", 1))
        try:
            try:
                base = self._dial(url, ns)
            except NoSuchHost:
                if self._outside(url):
                    return None  # the internet: not reachable from the emulator (see above)
                raise
            commit, path = await self._fetch(url, base, branch, ns, spec)
        except (_GitError, httpx.ConnectError) as e:
            cond.mark(status, "Ready", "False", "GitOperationFailed",
                      f"failed to checkout and determine revision: unable to clone '{url}': "
                      f"{e}", gen)
            self._write(rt, repo, status)
            return max(interval, 0.5)
        revision = f"{branch}@sha1:{commit}"
        artifacts(self.emulator)[(ns, name)] = (revision, path)
        status["artifact"] = {"path": f"gitrepository/{ns}/{name}/{commit}.tar.gz",
                              "url": f"http://source-controller.flux-system.svc.cluster.local."
                                     f"/gitrepository/{ns}/{name}/{commit}.tar.gz",
                              "revision": revision,
                              "lastUpdateTime": (status.get("artifact") or {}).get(
                                  "lastUpdateTime") if (status.get("artifact") or {}).get(
                                  "revision") == revision else now_iso()}
        cond.mark(status, "Ready", "True", "Succeeded",
                  f"stored artifact for revision '{revision}'", gen)
        cond.mark(status, "ArtifactInStorage", "True", "Succeeded",
                  f"stored artifact for revision '{revision}'", gen)
        status["observedGeneration"] = gen
        self._write(rt, repo, status)
        return interval

    def _outside(self, url: str) -> bool:
        assert self.emulator is not None
        return on_the_internet(url, self.emulator.fqdn)

    def _dial(self, url: str, ns: str) -> str:
        """The loopback base URL a pod's connection to the URL's host ends at."""
        assert self.emulator is not None
        parsed = urlparse(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return ClusterDNS(self.emulator).resolve_host(parsed.hostname or "", port, ns)

    async def _fetch(self, url: str, base: str, branch: str, ns: str,
                     spec: dict[str, Any]) -> tuple[str, Path]:
        assert self._root is not None
        parsed = urlparse(url)
        target = base.rstrip("/") + parsed.path
        env = {"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin",
               "HOME": str(self._root)}
        auth = self._basic_auth(ns, (spec.get("secretRef") or {}).get("name"))
        if auth:  # by environment, never argv (git >= 2.31 reads config from it)
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                       GIT_CONFIG_VALUE_0=f"Authorization: Basic {auth}")
        work = Path(tempfile.mkdtemp(dir=self._root))
        await _git(["clone", "-q", "--depth", "1", "--branch", branch, target, str(work)], env)
        commit = (await _git(["-C", str(work), "rev-parse", "HEAD"], env)).strip()
        return commit, work

    def _basic_auth(self, ns: str, secret_name: str | None) -> str | None:
        if not secret_name:
            return None
        secret = self.store.try_get(self.rt("", "v1", "secrets"), ns, secret_name)
        if secret is None:
            raise _GitError(f"secrets \"{secret_name}\" not found")
        data = secret.get("data") or {}
        user = base64.b64decode(data.get("username", "")).decode()
        password = base64.b64decode(data.get("password", "")).decode()
        return base64.b64encode(f"{user}:{password}".encode()).decode()

    def _write(self, rt: ResourceType, repo: dict[str, Any], status: dict[str, Any]) -> None:
        if repo.get("status") == status:
            return
        meta = repo["metadata"]
        body = {**repo, "status": status}
        body["metadata"] = {k: v for k, v in meta.items() if k != "resourceVersion"}
        self.store.replace(rt, meta["namespace"], meta["name"], body, subresource="status")


class _GitError(Exception):
    """A git command failed; str() is its last line of output."""


async def _git(argv: list[str], env: dict[str, str]) -> str:
    proc = await asyncio.create_subprocess_exec(
        "git", *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        raise _GitError("context deadline exceeded") from None
    if proc.returncode:
        lines = err.decode(errors="replace").strip().splitlines() or [f"exit {proc.returncode}"]
        raise _GitError(lines[-1])
    return out.decode()
