"""The cutover Job against the Gitea stand-in over loopback HTTP.

Each test builds the cluster state the bootstrap-kit leaves before handover (Flux
HelmRepositories on ghcr.io, the pull Secret, Gitea's admin Secret, the provisioning token
Secret mirroring the admin password), serves the real Gitea stand-in on loopback, runs the
`cutover` app as the kubelet would and waits for the container to exit.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aiohttp import web

from stubs.emulator.apps import APP_FACTORIES, AppContext
from stubs.emulator.apps.cutover import create_app
from stubs.emulator.apps.gitea import GiteaDB, configure_admin
from stubs.emulator.apps.gitea import create_app as gitea_create_app
from stubs.emulator.runtime import Emulator

TIMEOUT = 10.0
ADMIN = "gitea_admin"
TOKEN_NAME = "catalyst-platform-bootstrap"
ALL_STEPS = "01,02,03,04,05,06,07,08,09"
CHART_0_1_29_STEPS = "01,02,03,04,05,06,07,08"
GHCR_AUTH = {"auth": base64.b64encode(b"openova-bot:ghp_pullonly").decode()}


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class World:
    em: Emulator
    gitea_url: str
    password: str
    exits: list[tuple[int, str]]

    def rt(self, group: str, version: str, plural: str) -> Any:
        found = self.em.store.registry.get(group, version, plural)
        assert found is not None
        return found

    def create(self, group: str, version: str, plural: str, ns: str | None,
               body: dict[str, Any]) -> None:
        self.em.store.create(self.rt(group, version, plural), ns, body)

    def get(self, group: str, version: str, plural: str, ns: str | None,
            name: str) -> dict[str, Any]:
        return self.em.store.get(self.rt(group, version, plural), ns, name)

    def status(self) -> dict[str, str]:
        return self.get("", "v1", "configmaps", "catalyst-system", "cutover-status")["data"]

    def github_token(self) -> str:
        secret = self.get("", "v1", "secrets", "sme", "provisioning-github-token")
        return base64.b64decode(secret["data"]["GITHUB_TOKEN"]).decode()

    def repo_url(self, name: str) -> str:
        return self.get("source.toolkit.fluxcd.io", "v1", "helmrepositories", "flux-system",
                        name)["spec"]["url"]

    def logs(self) -> str:
        return "\n".join(ln for lines in self.em.store.pod_logs.values() for ln in lines)

    def env(self, steps: str = ALL_STEPS,
            harbor: str = "https://registry.sovereign.test") -> dict[str, str]:
        return {"CUTOVER_STEPS": steps, "HARBOR_PUBLIC_URL": harbor,
                "GITEA_URL": self.gitea_url, "GITEA_ADMIN_SECRET": "gitea/gitea-admin-secret",
                "PROVISIONING_TOKEN_SECRET": "sme/provisioning-github-token",
                "CUTOVER_STATUS_CONFIGMAP": "catalyst-system/cutover-status",
                "GITEA_TOKEN_NAME": TOKEN_NAME}

    async def run_job(self, env: dict[str, str],
                      factory: Callable[..., web.Application] | None = None) -> int:
        """Start the Job container and wait for its exit code."""
        done: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

        def on_exit(code: int, reason: str) -> None:
            self.exits.append((code, reason))
            if not done.done():
                done.set_result((code, reason))

        pod = f"self-sovereign-cutover-{secrets.token_hex(3)[:5]}"
        ctx = AppContext(self.em, "catalyst-system", pod, "cutover", on_exit)
        app = (factory or create_app)(env, ctx)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            async with asyncio.timeout(TIMEOUT):
                code, _ = await done
        finally:
            await runner.cleanup()
        return code

    async def gitea_user(self, authorization: str) -> httpx.Response:
        async with httpx.AsyncClient() as c:
            return await c.get(f"{self.gitea_url}/api/v1/user",
                               headers={"Authorization": authorization})


def seed_cluster(w: World) -> None:
    """The state the bootstrap-kit leaves before the cutover Job runs."""
    for ns in ("flux-system", "gitea", "sme", "catalyst-system"):
        w.create("", "v1", "namespaces", None, {"metadata": {"name": ns}})
    w.create("", "v1", "secrets", "gitea", {
        "metadata": {"name": "gitea-admin-secret"},
        "data": {"username": b64(ADMIN), "password": b64(w.password)}})
    # The catalyst-platform chart mirrors the admin password into the provisioning Secret.
    w.create("", "v1", "secrets", "sme", {
        "metadata": {"name": "provisioning-github-token"},
        "data": {"GITHUB_TOKEN": b64(w.password)}})
    w.create("apps", "v1", "deployments", "sme", {
        "metadata": {"name": "provisioning"},
        "spec": {"selector": {"matchLabels": {"app": "provisioning"}},
                 "template": {"metadata": {"labels": {"app": "provisioning"}},
                              "spec": {"containers": [{"name": "provisioning",
                                                       "image": "services-provisioning"}]}}}})
    w.create("", "v1", "secrets", "flux-system", {
        "metadata": {"name": "ghcr-pull"}, "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": b64(json.dumps({"auths": {"ghcr.io": GHCR_AUTH}}))}})
    for name, url, secret_ref in (
            ("openova", "oci://ghcr.io/openova-io", "ghcr-pull"),
            ("openova-charts", "oci://ghcr.io/openova-io/charts", "ghcr-pull"),
            ("jetstack", "https://charts.jetstack.io", None)):
        spec: dict[str, Any] = {"type": "oci" if url.startswith("oci") else "default",
                                "url": url, "interval": "15m"}
        if secret_ref:
            spec["secretRef"] = {"name": secret_ref}
        w.create("source.toolkit.fluxcd.io", "v1", "helmrepositories", "flux-system",
                 {"metadata": {"name": name}, "spec": spec})
    w.create("helm.toolkit.fluxcd.io", "v2", "helmreleases", "flux-system", {
        "metadata": {"name": "bp-gitea"},
        "spec": {"interval": "10m",
                 "chart": {"spec": {"chart": "bp-gitea", "version": "1.2.0",
                                    "sourceRef": {"kind": "HelmRepository",
                                                  "name": "openova"}}}}})


Body = Callable[[World], Awaitable[None]]


def run(body: Body, *, seed: bool = True) -> None:
    async def main() -> None:
        em = Emulator()
        em.apply_crds()
        password = secrets.token_urlsafe(12)  # a Gitea admin password, not 40-hex
        db = GiteaDB()
        gitea_env = {"GITEA_ADMIN_USERNAME": ADMIN, "GITEA_ADMIN_PASSWORD": password}
        configure_admin(db, gitea_env, lambda _line: None)
        gitea_runner, gitea_url = await serve(gitea_create_app(db, gitea_env))
        w = World(em, gitea_url, password, [])
        if seed:
            seed_cluster(w)
        try:
            await body(w)
        finally:
            await gitea_runner.cleanup()
        # Neither the admin password nor any token minted ever reaches a pod log.
        logs = w.logs()
        assert password not in logs
        for token in re.findall(r"[0-9a-f]{40}", _all_secret_values(em)):
            assert token not in logs

    asyncio.run(main())


def _all_secret_values(em: Emulator) -> str:
    rt = em.store.registry.get("", "v1", "secrets")
    assert rt is not None
    items, _ = em.store.list(rt)
    return " ".join(base64.b64decode(v).decode(errors="replace")
                    for s in items for v in (s.get("data") or {}).values())


def test_full_cutover_mints_a_working_gitea_token() -> None:
    async def body(w: World) -> None:
        # Before: Gitea refuses the mirrored password as an API token.
        before = await w.gitea_user(f"token {w.github_token()}")
        assert before.status_code == 401

        assert await w.run_job(w.env()) == 0
        assert w.exits == [(0, "Completed")]

        token = w.github_token()
        assert token != w.password and re.fullmatch(r"[0-9a-f]{40}", token)
        after = await w.gitea_user(f"token {token}")
        assert after.status_code == 200 and after.json()["login"] == ADMIN
        status = w.status()
        assert all(status[f"step-{n:02d}"] == "done" for n in range(1, 10))
        assert status["completed"]
        assert "09-gitea-token-mint" in status["steps"]
        assert "step-09 gitea-token-mint done" in status["history"]
        tmpl = w.get("apps", "v1", "deployments", "sme", "provisioning")["spec"]["template"]
        assert "kubectl.kubernetes.io/restartedAt" in tmpl["metadata"]["annotations"]
        # Step 02 gave the Harbor host the same pull credentials as ghcr.io.
        pull = w.get("", "v1", "secrets", "flux-system", "ghcr-pull")
        auths = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))["auths"]
        assert auths["registry.sovereign.test"] == GHCR_AUTH

    run(body)


def test_rerun_revokes_the_stale_token() -> None:
    async def body(w: World) -> None:
        assert await w.run_job(w.env()) == 0
        first = w.github_token()
        assert await w.run_job(w.env()) == 0
        second = w.github_token()
        assert second != first
        assert (await w.gitea_user(f"token {first}")).status_code == 401
        assert (await w.gitea_user(f"token {second}")).status_code == 200

    run(body)


def test_chart_0_1_29_has_no_step_09_and_keeps_the_password() -> None:
    async def body(w: World) -> None:
        assert await w.run_job(w.env(steps=CHART_0_1_29_STEPS)) == 0
        status = w.status()
        assert "step-09" not in status and status["step-08"] == "done" and status["completed"]
        assert w.github_token() == w.password
        r = await w.gitea_user(f"token {w.github_token()}")
        assert r.status_code == 401
        assert r.json()["message"] == "user does not exist [uid: 0, name: ]"

    run(body)


def test_step_06_pivots_helmrepositories_to_the_harbor_host() -> None:
    async def body(w: World) -> None:
        # The cutover does what HARBOR_PUBLIC_URL says, even a host no route serves.
        assert await w.run_job(w.env(steps="01,06,07,08",
                                     harbor="https://harbor.sovereign.test")) == 0
        assert w.repo_url("openova") == "oci://harbor.sovereign.test/openova-io"
        assert w.repo_url("openova-charts") == "oci://harbor.sovereign.test/openova-io/charts"
        assert w.repo_url("jetstack") == "https://charts.jetstack.io"
        repo = w.get("source.toolkit.fluxcd.io", "v1", "helmrepositories", "flux-system",
                     "openova")
        assert "reconcile.fluxcd.io/requestedAt" in repo["metadata"]["annotations"]
        assert "rewrote 2 HelmRepository URLs" in w.logs()

    run(body)


def test_failed_step_stops_the_run_and_exits_1() -> None:
    async def body(w: World) -> None:
        w.em.store.delete(w.rt("", "v1", "secrets"), "gitea", "gitea-admin-secret")
        assert await w.run_job(w.env()) == 1
        assert w.exits == [(1, "Error")]
        status = w.status()
        assert status["step-04"] == "done"
        assert status["step-05"] == ('failed: secrets "gitea-admin-secret" not found in '
                                     "namespace gitea")
        assert "step-06" not in status and "completed" not in status
        assert w.repo_url("openova") == "oci://ghcr.io/openova-io"  # stopped before 06
        assert "step 05 gitea-admin-auth: FAILED" in w.logs()

    run(body)


def test_wrong_admin_password_fails_at_gitea_and_never_logs_it() -> None:
    async def body(w: World) -> None:
        wrong = "not-the-admin-password"

        def set_password(cur: dict[str, Any]) -> dict[str, Any]:
            cur["data"]["password"] = b64(wrong)
            return cur

        w.em.store.patch(w.rt("", "v1", "secrets"), "gitea", "gitea-admin-secret", set_password)
        assert await w.run_job(w.env()) == 1
        assert w.status()["step-05"].startswith("failed: GET /api/v1/user as gitea_admin "
                                                "(basic): HTTP 401")
        assert wrong not in w.logs() and wrong not in w.status()["step-05"]
        assert w.github_token() == w.password

    run(body)


def test_registered_factory_reaches_gitea_through_cluster_dns() -> None:
    """The kubelet's factory dials http://gitea-http.gitea.svc:3000 via the Service."""

    async def body(w: World) -> None:
        ip = w.em.network.allocate_ip()
        w.em.network.register(ip, 3000, w.gitea_url)
        w.create("", "v1", "services", "gitea", {
            "metadata": {"name": "gitea-http"},
            "spec": {"ports": [{"name": "http", "port": 3000, "targetPort": 3000}]}})
        w.create("discovery.k8s.io", "v1", "endpointslices", "gitea", {
            "metadata": {"name": "gitea-http-x7k2p",
                         "labels": {"kubernetes.io/service-name": "gitea-http"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 3000}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]})
        env = {**w.env(), "GITEA_URL": "http://gitea-http.gitea.svc:3000"}
        assert await w.run_job(env, APP_FACTORIES["cutover"]) == 0
        assert (await w.gitea_user(f"token {w.github_token()}")).status_code == 200

    run(body)


def test_missing_env_exits_1_with_the_variable_named() -> None:
    async def body(w: World) -> None:
        env = w.env()
        del env["GITEA_TOKEN_NAME"]
        assert await w.run_job(env) == 1
        assert "cutover: GITEA_TOKEN_NAME is not set" in w.logs()

    run(body, seed=False)
