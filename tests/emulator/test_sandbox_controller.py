"""The sandbox controller against the real stub NewAPI bridge over loopback HTTP.

Each test runs an emulated store (CRDs applied), the stub NewAPI served on a loopback
port, and the `sandbox-controller` app started the way the kubelet starts it (an aiohttp
app whose cleanup_ctx runs the controller). Waiting is on store watches and log events.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web

from stubs.emulator.apps import APP_FACTORIES, AppContext
from stubs.emulator.apps.sandbox_controller import GITOPS_ONLY_LINE, create_app
from stubs.emulator.apps.sandbox_controller.config import DEFAULT_PLAN_CAPABILITIES
from stubs.emulator.apps.sandbox_controller.reconciler import EXPIRES_AT, ROTATED_AT
from stubs.emulator.runtime import Emulator
from stubs.newapi.app import COUNTER_KEY
from stubs.newapi.app import create_app as newapi_app

TIMEOUT = 5.0
NS = "tenant-acme"
CHANNELS = "qwen3.6-bankdhofar,gpt-oss"
TOOL = "sandbox-controller"


@dataclass
class RecordingContext(AppContext):
    """The kubelet's AppContext, plus an event so tests can wait for log lines."""

    logged: asyncio.Event = field(default_factory=asyncio.Event)
    lines: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        super().log(line)
        self.lines.append(line)
        self.logged.set()

    async def wait_log(self, pred: Callable[[list[str]], bool]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not pred(self.lines):
                self.logged.clear()
                await self.logged.wait()


@dataclass
class World:
    em: Emulator
    ctx: RecordingContext
    newapi: web.Application
    signing_key: str
    admin_secret: str

    def rt(self, group: str, version: str, plural: str) -> Any:
        found = self.em.store.registry.get(group, version, plural)
        assert found is not None
        return found

    @property
    def sandboxes(self) -> Any:
        return self.rt("sandbox.openova.io", "v1alpha1", "sandboxes")

    @property
    def secrets(self) -> Any:
        return self.rt("", "v1", "secrets")

    def mints(self, status: str) -> int:
        return self.newapi[COUNTER_KEY].value(TOOL, status)

    def create_sandbox(self, name: str, plan: str = "pro", **spec: Any) -> dict[str, Any]:
        body = {"apiVersion": "sandbox.openova.io/v1alpha1", "kind": "Sandbox",
                "metadata": {"name": name, "namespace": NS},
                "spec": {"owner": {"orgRef": {"slug": "acme"}, "email": "dev@acme.test"},
                         "planId": plan, "agentCatalogue": ["claude-code"], **spec}}
        return self.em.store.create(self.sandboxes, NS, body)

    async def wait(self, rt: Any, name: str,
                   pred: Callable[[dict[str, Any] | None], bool]) -> dict[str, Any] | None:
        """Wait (on a watch) until `pred(object or None)` holds for NS/name."""
        current = self.em.store.try_get(rt, NS, name)
        if pred(current):
            return current
        sub = self.em.store.watch(rt, NS, resource_version=str(self.em.store.resource_version))
        try:
            async with asyncio.timeout(TIMEOUT):
                async for ev in sub:
                    if ev.obj["metadata"]["name"] != name:
                        continue
                    obj = None if ev.type == "DELETED" else ev.obj
                    if pred(obj):
                        return obj
        finally:
            sub.close()
        raise AssertionError("watch closed")

    def secret_token(self, name: str) -> str:
        secret = self.em.store.get(self.secrets, NS, f"{name}-newapi-token")
        return base64.b64decode(secret["data"]["LLM_GATEWAY_TOKEN"]).decode()

    def all_logs(self) -> str:
        return "\n".join(line for lines in self.em.store.pod_logs.values() for line in lines)


def condition(obj: dict[str, Any] | None, ctype: str) -> dict[str, Any]:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == ctype:
            return c
    return {}


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


Body = Callable[[World], Awaitable[None]]


def run(body: Body, *, admin: str | None = "same", channels: str = CHANNELS,
        plans: dict[str, list[str]] | None = None, controller: bool = True,
        base_url: str | None = None) -> None:
    """Start store + stub NewAPI + controller, run `body`, tear down.

    admin: "same" gives the controller the bridge's admin secret, None leaves the variable
    out (the optional secretKeyRef found no Secret), anything else is a wrong secret.
    """

    async def main() -> None:
        em = Emulator(time_scale=0.005)  # the 30s mint retry becomes 0.15s
        em.apply_crds()
        em.store.create(em.store.registry.get("", "v1", "namespaces"), None,  # type: ignore[arg-type]
                        {"metadata": {"name": NS}})
        signing_key, admin_secret = secrets.token_hex(32), secrets.token_hex(32)
        bridge = newapi_app({"NEWAPI_ADMIN_SECRET": admin_secret,
                             "NEWAPI_TOKEN_SIGNING_KEY": signing_key})
        bridge_runner, bridge_url = await serve(bridge)
        env = {"NEWAPI_BASE_URL": base_url or bridge_url, "NEWAPI_DEFAULT_CHANNELS": channels}
        if admin is not None:
            env["NEWAPI_ADMIN_SECRET"] = admin_secret if admin == "same" else admin
        if plans is not None:
            env["SANDBOX_PLAN_CAPABILITIES"] = json.dumps(plans)
        ctx = RecordingContext(em, "catalyst-system", "sandbox-controller-7d9f8c6b5d-x2x9q",
                               "controller")
        runner = web.AppRunner(create_app(env, ctx) if controller else web.Application(),
                               handle_signals=False)
        await runner.setup()
        world = World(em, ctx, bridge, signing_key, admin_secret)
        try:
            await body(world)
        finally:
            await runner.cleanup()
            await bridge_runner.cleanup()
        # Nothing secret ever reaches a pod log.
        logs = world.all_logs()
        assert admin_secret not in logs and signing_key not in logs
        for sandbox in _minted_sandboxes(em):
            assert world.secret_token(sandbox) not in logs

    asyncio.run(main())


def _minted_sandboxes(em: Emulator) -> list[str]:
    rt = em.store.registry.get("", "v1", "secrets")
    assert rt is not None
    items, _ = em.store.list(rt, NS)
    return [s["metadata"]["name"].removesuffix("-newapi-token") for s in items
            if s["metadata"]["name"].endswith("-newapi-token")]


def ready_true(obj: dict[str, Any] | None) -> bool:
    return condition(obj, "Ready").get("status") == "True"


def test_mints_plan_token_into_secret_and_annotates_cr() -> None:
    async def body(w: World) -> None:
        sbx = w.create_sandbox("dev")
        secret = await w.wait(w.secrets, "dev-newapi-token", lambda o: o is not None)
        cr = await w.wait(w.sandboxes, "dev", lambda o: ready_true(o)
                          and EXPIRES_AT in (o or {})["metadata"].get("annotations", {}))
        assert secret is not None and cr is not None
        claims = jwt.decode(w.secret_token("dev"), w.signing_key, algorithms=["HS256"])
        assert claims["sub"] == sbx["metadata"]["uid"]
        assert claims["org"] == "acme" and claims["user"] == "dev@acme.test"
        assert claims["channels"] == ["qwen3.6-bankdhofar", "gpt-oss"]
        assert claims["typ"] == "sandbox"
        assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
        assert claims["capabilities"] == list(DEFAULT_PLAN_CAPABILITIES["pro"])
        # Secret and CR carry the same lifecycle annotations; expiry matches the JWT.
        s_ann, c_ann = secret["metadata"]["annotations"], cr["metadata"]["annotations"]
        assert s_ann[EXPIRES_AT] == c_ann[EXPIRES_AT]
        assert s_ann[ROTATED_AT] == c_ann[ROTATED_AT]
        assert datetime.fromisoformat(c_ann[EXPIRES_AT]).timestamp() == claims["exp"]
        assert secret["metadata"]["ownerReferences"][0]["uid"] == sbx["metadata"]["uid"]
        assert condition(cr, "TokenMinted")["status"] == "True"
        assert cr["status"]["phase"] == "Ready"
        assert w.mints("ok") == 1  # tool label from X-Catalyst-Tool: sandbox-controller

    run(body)


def test_spec_capabilities_override_the_plan() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("ops", plan="free", capabilities=["sandbox.deploy.staging", "flux.*"])
        await w.wait(w.secrets, "ops-newapi-token", lambda o: o is not None)
        claims = jwt.decode(w.secret_token("ops"), w.signing_key, algorithms=["HS256"])
        assert claims["capabilities"] == ["sandbox.deploy.staging", "flux.*"]

    run(body)


def test_plan_ladder_comes_from_env() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("a", plan="team")
        w.create_sandbox("b", plan="unknown-plan")
        await w.wait(w.secrets, "a-newapi-token", lambda o: o is not None)
        await w.wait(w.secrets, "b-newapi-token", lambda o: o is not None)
        a = jwt.decode(w.secret_token("a"), w.signing_key, algorithms=["HS256"])
        b = jwt.decode(w.secret_token("b"), w.signing_key, algorithms=["HS256"])
        assert a["capabilities"] == ["session.*", "sandbox.db.*"]
        assert "capabilities" not in b  # no grants: the bridge omits the claim

    run(body, plans={"team": ["session.*", "sandbox.db.*"]})


def test_wrong_admin_secret_gives_token_mint_failed_and_no_secret() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("dev")
        cr = await w.wait(w.sandboxes, "dev",
                          lambda o: condition(o, "Ready").get("reason") == "TokenMintFailed")
        ready = condition(cr, "Ready")
        assert ready["status"] == "False"
        assert "HTTP 401" in ready["message"] and "unauthorized" in ready["message"]
        assert condition(cr, "TokenMinted")["status"] == "False"
        assert (cr or {})["status"]["phase"] == "Failed"
        assert EXPIRES_AT not in ((cr or {})["metadata"].get("annotations") or {})
        # Requeued on a timer (30s scaled): the bridge sees a second refused attempt.
        await w.ctx.wait_log(lambda ls: sum("token mint failed" in ln for ln in ls) >= 2)
        assert w.mints("unauthorized") >= 2
        assert w.em.store.try_get(w.secrets, NS, "dev-newapi-token") is None
        assert "wrong-admin-secret" not in w.all_logs() + ready["message"]

    run(body, admin="wrong-admin-secret")


def test_unreachable_bridge_gives_token_mint_failed() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("dev")
        cr = await w.wait(w.sandboxes, "dev",
                          lambda o: condition(o, "Ready").get("reason") == "TokenMintFailed")
        assert "ConnectError" in condition(cr, "Ready")["message"]
        assert w.em.store.try_get(w.secrets, NS, "dev-newapi-token") is None

    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run(body, base_url=f"http://127.0.0.1:{port}")


def test_absent_admin_secret_runs_gitops_only_and_never_mints() -> None:
    async def body(w: World) -> None:
        await w.ctx.wait_log(lambda ls: GITOPS_ONLY_LINE in ls)
        w.create_sandbox("dev")
        cr = await w.wait(w.sandboxes, "dev", ready_true)
        assert condition(cr, "Ready")["reason"] == "Reconciled"
        assert condition(cr, "TokenMinted") == {}
        assert w.em.store.try_get(w.secrets, NS, "dev-newapi-token") is None
        assert w.mints("ok") + w.mints("unauthorized") == 0

    run(body, admin=None)


def test_empty_channels_is_no_allowed_channels() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("dev")
        cr = await w.wait(w.sandboxes, "dev",
                          lambda o: condition(o, "Ready").get("reason") == "NoAllowedChannels")
        assert condition(cr, "Ready")["status"] == "False"
        assert w.mints("ok") + w.mints("bad_request") == 0

    run(body, channels=" , ")


def test_rotation_near_expiry_and_lost_secret_remint() -> None:
    async def body(w: World) -> None:
        w.create_sandbox("dev")
        await w.wait(w.sandboxes, "dev", lambda o: EXPIRES_AT in (
            (o or {})["metadata"].get("annotations") or {}))
        assert w.mints("ok") == 1
        # Expiry within the lead time: the controller rotates the token.
        soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def near_expiry(cur: dict[str, Any]) -> dict[str, Any]:
            cur["metadata"]["annotations"][EXPIRES_AT] = soon
            return cur

        w.em.store.patch(w.sandboxes, NS, "dev", near_expiry)
        cr = await w.wait(w.sandboxes, "dev", lambda o: (o or {})["metadata"]["annotations"]
                          [EXPIRES_AT] != soon)
        assert w.mints("ok") == 2
        expires = datetime.fromisoformat((cr or {})["metadata"]["annotations"][EXPIRES_AT])
        assert expires - datetime.now(UTC) > timedelta(days=6)
        # A deleted token Secret is minted again (the controller watches its Secrets).
        w.em.store.delete(w.secrets, NS, "dev-newapi-token")
        await w.wait(w.secrets, "dev-newapi-token", lambda o: o is not None)
        assert w.mints("ok") == 3

    run(body)


def test_registered_factory_reaches_bridge_through_cluster_dns() -> None:
    """The kubelet's factory dials http://newapi.newapi.svc:3000 via Service/EndpointSlice."""

    async def body(w: World) -> None:
        em, store = w.em, w.em.store
        _, url = await serve(newapi_app({"NEWAPI_ADMIN_SECRET": w.admin_secret,
                                         "NEWAPI_TOKEN_SIGNING_KEY": w.signing_key}))
        ip = em.network.allocate_ip()
        em.network.register(ip, 3000, url)
        store.create(w.rt("", "v1", "namespaces"), None, {"metadata": {"name": "newapi"}})
        store.create(w.rt("", "v1", "services"), "newapi", {
            "metadata": {"name": "newapi"},
            "spec": {"ports": [{"name": "http", "port": 3000, "targetPort": 3000}]}})
        store.create(w.rt("discovery.k8s.io", "v1", "endpointslices"), "newapi", {
            "metadata": {"name": "newapi-abcde",
                         "labels": {"kubernetes.io/service-name": "newapi"}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 3000}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]})
        ctx = RecordingContext(em, "catalyst-system", "sandbox-controller-2", "controller")
        app = APP_FACTORIES["sandbox-controller"](
            {"NEWAPI_BASE_URL": "http://newapi.newapi.svc:3000",
             "NEWAPI_ADMIN_SECRET": w.admin_secret, "NEWAPI_DEFAULT_CHANNELS": "c1"}, ctx)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            w.create_sandbox("dns")
            await w.wait(w.secrets, "dns-newapi-token", lambda o: o is not None)
        finally:
            await runner.cleanup()

    run(body, controller=False)
