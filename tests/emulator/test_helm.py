"""The mini-Helm renderer and the emulated helm-controller: render guards in Helm's error
shape, dependsOn order, chart pulls (upstream index and Harbor over a real socket),
upgrades and pruning, wait vs disableWait and the install timeout."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from stubs.emulator.apps.harbor import registry_app
from stubs.emulator.controllers.base import Controller, Key
from stubs.emulator.helm.charts import ChartIndex
from stubs.emulator.helm.controller import HelmController
from stubs.emulator.helm.render import RenderError, render_chart
from stubs.emulator.helm.values import format_duration, merge_values, parse_duration
from stubs.emulator.kubeapi.resources import ResourceType
from stubs.emulator.runtime import DEFAULT_CHARTS_DIR, Emulator

INDEX = ChartIndex(DEFAULT_CHARTS_DIR)
HR = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")
REPO = ("source.toolkit.fluxcd.io", "v1", "helmrepositories")
WORKLOADS = {"Deployment": ("apps", "v1", "deployments"),
             "StatefulSet": ("apps", "v1", "statefulsets"),
             "DaemonSet": ("apps", "v1", "daemonsets"), "Job": ("batch", "v1", "jobs")}


def rt(em: Emulator, gvr: tuple[str, str, str]) -> ResourceType:
    r = em.store.registry.get(*gvr)
    assert r is not None
    return r


class FakeWorkloads(Controller):
    """Stands in for the kubelet and workload controllers: marks workloads ready/complete
    unless `hold(obj)` says to leave them alone."""

    name = "fake-workloads"

    def __init__(self, hold: Callable[[dict[str, Any]], bool] = lambda o: False) -> None:
        super().__init__()
        self.hold = hold

    def watches(self) -> Iterable[ResourceType]:
        for gvr in WORKLOADS.values():
            yield self.rt(*gvr)

    async def reconcile(self, key: Key) -> float | None:
        kind, ns, name = key
        r = self.rt(*WORKLOADS[kind])
        obj = self.store.try_get(r, ns, name)
        if obj is None or self.hold(obj):
            return None
        gen = obj["metadata"].get("generation", 1)
        n = int((obj.get("spec") or {}).get("replicas", 1))
        status: dict[str, Any]
        if kind == "Deployment":
            status = {"observedGeneration": gen, "replicas": n, "updatedReplicas": n,
                      "readyReplicas": n, "availableReplicas": n, "conditions": [
                          {"type": "Available", "status": "True",
                           "reason": "MinimumReplicasAvailable"},
                          {"type": "Progressing", "status": "True",
                           "reason": "NewReplicaSetAvailable"}]}
        elif kind == "StatefulSet":
            status = {"observedGeneration": gen, "replicas": n, "readyReplicas": n,
                      "currentReplicas": n, "updatedReplicas": n, "currentRevision": "r1",
                      "updateRevision": "r1"}
        elif kind == "DaemonSet":
            status = {"observedGeneration": gen, "desiredNumberScheduled": 1,
                      "currentNumberScheduled": 1, "updatedNumberScheduled": 1,
                      "numberAvailable": 1, "numberReady": 1}
        else:
            status = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
        if obj.get("status") != status:
            obj["status"] = status
            obj["metadata"].pop("resourceVersion", None)
            self.store.replace(r, ns, name, obj, subresource="status")
        return None


async def until(em: Emulator, gvr: tuple[str, str, str], pred: Callable[[], bool],
                timeout: float = 5.0) -> None:
    """Wait (on the watch stream, no polling) until pred() holds."""
    sub = em.store.watch(rt(em, gvr))

    async def loop() -> None:
        if pred():
            return
        async for _ in sub:
            if pred():
                return

    try:
        await asyncio.wait_for(loop(), timeout)
    finally:
        sub.close()


def cond(obj: dict[str, Any] | None, type_: str) -> dict[str, Any]:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    return {}


def hr_get(em: Emulator, name: str) -> dict[str, Any] | None:
    return em.store.try_get(rt(em, HR), "flux-system", name)


def ready(em: Emulator, name: str) -> bool:
    return cond(hr_get(em, name), "Ready").get("status") == "True"


def ensure_ns(em: Emulator, *names: str) -> None:
    for n in names:
        if n not in em.store.namespaces():
            em.store.create(rt(em, ("", "v1", "namespaces")), None, {"metadata": {"name": n}})


def add_release(em: Emulator, name: str, chart: str, version: str, target: str, *,
                deps: tuple[str, ...] = (), wait: bool = False, values: Any = None,
                timeout: str | None = None, retries: int = 3,
                url: str = "oci://ghcr.io/openova-io") -> None:
    ensure_ns(em, "flux-system", target)
    if em.store.try_get(rt(em, REPO), "flux-system", name) is None:
        em.store.create(rt(em, REPO), "flux-system", {
            "metadata": {"name": name},
            "spec": {"type": "oci", "interval": "15m", "url": url}})
    spec: dict[str, Any] = {
        "interval": "15m", "releaseName": name.removeprefix("bp-"), "targetNamespace": target,
        "chart": {"spec": {"chart": chart, "version": version,
                           "sourceRef": {"kind": "HelmRepository", "name": name}}},
        "install": {"disableWait": not wait, "remediation": {"retries": retries}},
        "upgrade": {"disableWait": not wait, "remediation": {"retries": retries}},
        "values": values or {}}
    if deps:
        spec["dependsOn"] = [{"name": d} for d in deps]
    if timeout:
        spec["timeout"] = timeout
    em.store.create(rt(em, HR), "flux-system", {"metadata": {"name": name}, "spec": spec})


def run(body: Callable[[Emulator], Awaitable[None]], *, components: list[Any] | None = None,
        time_scale: float = 0.02) -> None:
    async def main() -> None:
        em = Emulator(time_scale=time_scale,
                      components=components if components is not None
                      else [HelmController(), FakeWorkloads()])
        await em.start()
        try:
            await body(em)
        finally:
            await em.stop()

    asyncio.run(main())


# ---- rendering ---------------------------------------------------------------------------
def render(chart: str, version: str, values: Any = None) -> list[Any]:
    c = INDEX.get(chart, version)
    assert c is not None
    return render_chart(c, merge_values(c.default_values, values or {}),
                        release_name=chart.removeprefix("bp-"), namespace="ns",
                        lookup=lambda *a: {})


def test_qwen_channel_without_account_fails_with_the_seed_message() -> None:
    qwen = {"defaultChannels": {"qwenBankDhofar": {"enabled": True}}}
    with pytest.raises(RenderError) as e:
        render("bp-newapi", "1.4.9", qwen)
    assert str(e.value) == (
        "execution error at (bp-newapi/templates/configmap.yaml:1:4): channel[0] "
        "(qwen3.6-bankdhofar): commercial-contract attestation requires accountId")
    # 1.4.10+ skips the incomplete channel instead; an operator channel still trips it.
    assert render("bp-newapi", "1.4.11", qwen)
    operator = {"channels": [{"name": "byo", "attestation": {"kind": "commercial-contract"}}]}
    with pytest.raises(RenderError, match=r"channel\[0\] \(byo\): commercial-contract"):
        render("bp-newapi", "1.4.11", operator)


def test_required_image_pins_guard_the_sandbox_chart() -> None:
    with pytest.raises(RenderError) as e:
        render("bp-sandbox", "0.2.7", {"runtime": {"mcpImage": ""}})
    assert re.fullmatch(r"execution error at \(bp-sandbox/templates/deployment\.yaml:\d+:\d+\):"
                        r" runtime\.mcpImage is required: .*", str(e.value))
    env = {e["name"]: e for e in render("bp-sandbox", "0.2.7")[0].obj["spec"]["template"]
           ["spec"]["containers"][0]["env"]}
    caps = __import__("json").loads(env["SANDBOX_PLAN_CAPABILITIES"]["value"])
    assert caps["free"] == ["k8s.read", "gitea.repo.read", "session.*", "rag.*", "skills.*"]
    assert set(caps["free"]) < set(caps["pro"]) < set(caps["ent"])
    assert "sandbox.deploy.production" in caps["ent"]
    assert env["NEWAPI_ADMIN_SECRET"]["valueFrom"]["secretKeyRef"]["optional"] is True


def test_undefined_values_and_versions_render_as_helm_does() -> None:
    # Helm 3.16 leaves Go's exec error as it is (cleanupExecError rewrites only
    # required/fail): `template: <file>:L:C: executing "<file>" at <...>: <msg>`.
    with pytest.raises(RenderError, match=r'^template: bp-grafana/templates/deployment\.yaml'
                                          r':\d+:\d+: executing "bp-grafana/templates/'
                                          r'deployment\.yaml" at <values\.grafana\.replicas>'
                                          r': nil pointer evaluating interface \{\}\.replicas$'):
        render("bp-grafana", "1.0.0", {"grafana": None})
    steps29 = render("bp-self-sovereign-cutover", "0.1.29")
    steps30 = render("bp-self-sovereign-cutover", "0.1.30")

    def steps(ms: list[Any]) -> str:
        job = next(m.obj for m in ms if m.obj["kind"] == "Job")
        env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        return next(e["value"] for e in env if e["name"] == "CUTOVER_STEPS")

    assert steps(steps29) == "01,02,03,04,05,06,07,08"
    assert steps(steps30) == "01,02,03,04,05,06,07,08,09"
    assert not any(m.obj["metadata"]["name"] == "newapi-oidc" for m in render(
        "bp-newapi", "1.4.10", {"auth": {"adminUI": {"mode": "keycloak", "keycloak": {
            "existingSecret": "newapi-oidc"}}}}))


def test_values_merge_and_go_durations() -> None:
    assert merge_values({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": 3, "c": None},
                                                            "l": [2]}) == {"a": {"b": 3},
                                                                           "l": [2]}
    assert parse_duration("1h30m", 0) == 5400 and parse_duration(None, 7) == 7
    assert format_duration(300) == "5m0s" and format_duration(30) == "30s"


# ---- the controller ----------------------------------------------------------------------
def test_depends_on_order_and_dependency_not_ready() -> None:
    hold_gitea = {"on": True}

    async def body(em: Emulator) -> None:
        add_release(em, "bp-keycloak", "bp-keycloak", "1.1.2", "keycloak")
        add_release(em, "bp-gitea", "bp-gitea", "1.1.2", "gitea", deps=("bp-keycloak",),
                    wait=True)
        add_release(em, "bp-catalyst-platform", "bp-catalyst-platform", "1.4.162",
                    "catalyst-system", deps=("bp-gitea",))
        ensure_ns(em, "sme")
        await until(em, HR, lambda: ready(em, "bp-keycloak") and cond(
            hr_get(em, "bp-catalyst-platform"), "Ready").get("reason") == "DependencyNotReady")
        c = cond(hr_get(em, "bp-catalyst-platform"), "Ready")
        assert c["status"] == "False"
        assert c["message"] == "dependency 'flux-system/bp-gitea' is not ready"
        gitea = hr_get(em, "bp-gitea")
        assert cond(gitea, "Ready")["status"] == "Unknown"
        assert cond(gitea, "Ready")["message"] == \
            "Running 'install' action with timeout of 5m0s"
        assert em.store.try_get(rt(em, ("apps", "v1", "deployments")), "sme",
                                "provisioning") is None
        hold_gitea["on"] = False
        dep = em.store.get(rt(em, WORKLOADS["Deployment"]), "gitea", "gitea")
        dep["metadata"]["labels"]["touch"] = "1"  # an event for the fake kubelet
        em.store.replace(rt(em, WORKLOADS["Deployment"]), "gitea", "gitea", dep)
        await until(em, HR, lambda: ready(em, "bp-catalyst-platform"))
        hr = hr_get(em, "bp-catalyst-platform")
        assert cond(hr, "Ready")["message"] == (
            "Helm install succeeded for release catalyst-system/catalyst-platform.v1 with "
            "chart bp-catalyst-platform@1.4.162")
        assert hr is not None and hr["status"]["history"][0]["chartVersion"] == "1.4.162"
        assert hr["status"]["lastAttemptedRevision"] == "1.4.162"
        assert hr["status"]["observedGeneration"] == hr["metadata"]["generation"]
        # The provisioning token mirrors the Gitea admin password (pre-cutover behaviour).
        admin = em.store.get(rt(em, ("", "v1", "secrets")), "gitea", "gitea-admin-secret")
        token = em.store.get(rt(em, ("", "v1", "secrets")), "sme", "provisioning-github-token")
        assert token["data"]["GITHUB_TOKEN"] == admin["data"]["password"]
        labels = em.store.get(rt(em, WORKLOADS["Deployment"]), "sme", "gateway")["metadata"][
            "labels"]
        assert labels["helm.toolkit.fluxcd.io/name"] == "bp-catalyst-platform"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"

    run(body, components=[HelmController(), FakeWorkloads(
        hold=lambda o: hold_gitea["on"] and o["metadata"]["name"] == "gitea")])


def test_missing_chart_version_is_a_source_failure() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-grafana", "bp-grafana", "9.9.9", "grafana")
        await until(em, HR, lambda: cond(hr_get(em, "bp-grafana"), "Ready").get("reason") ==
                    "SourceNotReady")
        msg = cond(hr_get(em, "bp-grafana"), "Ready")["message"]
        assert msg == (
            "HelmChart 'flux-system/flux-system-bp-grafana' is not ready: chart pull error: "
            "failed to download chart for remote reference: failed to get "
            "'oci://ghcr.io/openova-io/bp-grafana:9.9.9': failed to perform \"FetchReference\""
            " on source: ghcr.io/openova-io/bp-grafana:9.9.9: not found")
        hc = em.store.get(rt(em, ("source.toolkit.fluxcd.io", "v1", "helmcharts")),
                          "flux-system", "flux-system-bp-grafana")
        assert cond(hc, "Ready")["reason"] == "ChartPullError"
        # Fixing the pin recovers it.
        hr = hr_get(em, "bp-grafana")
        assert hr is not None
        hr["spec"]["chart"]["spec"]["version"] = "1.0.0"
        hr["metadata"].pop("resourceVersion")
        em.store.replace(rt(em, HR), "flux-system", "bp-grafana", hr)
        await until(em, HR, lambda: ready(em, "bp-grafana"))

    run(body)


def test_only_the_platforms_upstream_repository_holds_its_charts() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-grafana", "bp-grafana", "1.0.0", "grafana",
                    url="oci://ghcr.io/openova")
        add_release(em, "bp-gitea", "bp-gitea", "1.1.2", "gitea", url="oci://ghcr.example/x")
        await until(em, HR, lambda: all(cond(hr_get(em, n), "Ready").get("reason") ==
                                        "SourceNotReady" for n in ("bp-grafana", "bp-gitea")))
        assert cond(hr_get(em, "bp-grafana"), "Ready")["message"].endswith(
            "'oci://ghcr.io/openova/bp-grafana:1.0.0': failed to perform \"FetchReference\" on "
            "source: ghcr.io/openova/bp-grafana:1.0.0: not found")
        assert cond(hr_get(em, "bp-gitea"), "Ready")["message"].endswith(
            'Get "https://ghcr.example/v2/x/bp-gitea/manifests/1.1.2": dial tcp: lookup '
            "ghcr.example: no such host")

    run(body)


def test_a_missing_target_namespace_until_create_namespace() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-grafana", "bp-grafana", "1.0.0", "grafana")
        hr = hr_get(em, "bp-grafana")
        assert hr is not None
        em.store.delete(rt(em, HR), "flux-system", "bp-grafana")
        hr["spec"]["targetNamespace"] = "monitoring"
        for k in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            hr["metadata"].pop(k, None)
        hr.pop("status", None)
        em.store.create(rt(em, HR), "flux-system", hr)
        await until(em, HR, lambda: cond(hr_get(em, "bp-grafana"), "Ready").get("reason") ==
                    "InstallFailed")
        assert cond(hr_get(em, "bp-grafana"), "Ready")["message"] == (
            "Helm install failed for release monitoring/grafana with chart bp-grafana@1.0.0: "
            'failed to create resource: namespaces "monitoring" not found')
        # install.createNamespace: Helm creates it (labelled name=<namespace>) and installs.
        live = hr_get(em, "bp-grafana")
        assert live is not None
        live["spec"]["install"]["createNamespace"] = True
        live["metadata"].pop("resourceVersion")
        em.store.replace(rt(em, HR), "flux-system", "bp-grafana", live)
        await until(em, HR, lambda: ready(em, "bp-grafana"))
        ns = em.store.get(rt(em, ("", "v1", "namespaces")), None, "monitoring")
        assert ns["metadata"]["labels"]["name"] == "monitoring"

    run(body)


def test_upgrade_on_pin_change_and_prune() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-guacamole", "bp-guacamole", "0.1.22", "catalyst-system")
        await until(em, HR, lambda: ready(em, "bp-guacamole"))
        deploy = rt(em, WORKLOADS["Deployment"])

        def probe() -> str:
            d = em.store.get(deploy, "catalyst-system", "guacamole")
            return str(d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
                       ["httpGet"]["path"])

        assert probe() == "/"
        hr = hr_get(em, "bp-guacamole")
        assert hr is not None
        hr["spec"]["chart"]["spec"]["version"] = "0.1.23"
        hr["metadata"].pop("resourceVersion")
        em.store.replace(rt(em, HR), "flux-system", "bp-guacamole", hr)
        await until(em, HR, lambda: cond(hr_get(em, "bp-guacamole"), "Ready").get(
            "reason") == "UpgradeSucceeded")
        assert probe() == "/guacamole/"
        hist = (hr_get(em, "bp-guacamole") or {})["status"]["history"]
        assert [(h["chartVersion"], h["status"]) for h in hist] == [
            ("0.1.23", "deployed"), ("0.1.22", "superseded")]
        # A values change that drops objects prunes them.
        add_release(em, "bp-catalyst-platform", "bp-catalyst-platform", "1.4.162",
                    "catalyst-system")
        ensure_ns(em, "sme")
        await until(em, HR, lambda: ready(em, "bp-catalyst-platform"))
        assert em.store.try_get(deploy, "sme", "gateway") is not None
        hr = hr_get(em, "bp-catalyst-platform")
        assert hr is not None
        hr["spec"]["values"] = {"marketplace": {"enabled": False}}
        hr["metadata"].pop("resourceVersion")
        em.store.replace(rt(em, HR), "flux-system", "bp-catalyst-platform", hr)
        await until(em, HR, lambda: cond(hr_get(em, "bp-catalyst-platform"), "Ready").get(
            "reason") == "UpgradeSucceeded")
        assert em.store.try_get(deploy, "sme", "gateway") is None
        assert em.store.try_get(deploy, "catalyst-system", "catalyst-api") is not None

    run(body)


def test_render_failure_is_install_failed_and_never_stalls() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-sandbox", "bp-sandbox", "0.2.7", "catalyst-system",
                    values={"runtime": {"mcpImage": ""}}, retries=0)
        await until(em, HR, lambda: cond(hr_get(em, "bp-sandbox"), "Ready").get("reason") ==
                    "InstallFailed")
        hr = hr_get(em, "bp-sandbox")
        msg = cond(hr, "Ready")["message"]
        assert msg.startswith("Helm install failed for release catalyst-system/sandbox with "
                              "chart bp-sandbox@0.2.7: execution error at (bp-sandbox/"
                              "templates/deployment.yaml:")
        assert cond(hr, "Released")["reason"] == "InstallFailed"
        assert not cond(hr, "Stalled")
        assert hr is not None and not hr["status"].get("history")
        assert hr["status"]["failures"] >= 1

    run(body)


def test_disable_wait_vs_wait_timeout() -> None:
    async def body(em: Emulator) -> None:
        # disableWait: Ready at once although nothing is running.
        add_release(em, "bp-grafana", "bp-grafana", "1.0.0", "grafana")
        # wait: the Deployment never becomes ready -> the (scaled) timeout fails the install.
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=1)
        await until(em, HR, lambda: ready(em, "bp-grafana"))
        await until(em, HR, lambda: cond(hr_get(em, "bp-powerdns"), "Stalled").get(
            "status") == "True")
        hr = hr_get(em, "bp-powerdns")
        assert cond(hr, "Ready")["message"] == (
            "Helm install failed for release powerdns/powerdns with chart "
            "bp-powerdns@1.1.3: context deadline exceeded")
        assert cond(hr, "Stalled")["message"] == "Failed to install after 2 attempt(s)"
        assert hr is not None and hr["status"]["installFailures"] == 2
        assert hr["status"]["history"][0]["status"] == "failed"

    run(body, components=[HelmController(), FakeWorkloads(hold=lambda o: True)])


def test_pull_through_harbor_over_a_socket() -> None:
    async def body(em: Emulator) -> None:
        harbor = await em.serve(registry_app(INDEX))
        controller.gateway = harbor
        add_release(em, "bp-grafana", "bp-grafana", "1.0.0", "grafana",
                    url="oci://registry.sovereign.test/openova-io")
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns",
                    url="oci://registry.sovereign.test/other-project")
        await until(em, HR, lambda: ready(em, "bp-grafana") and cond(
            hr_get(em, "bp-powerdns"), "Ready").get("reason") == "SourceNotReady")
        assert "registry.sovereign.test/other-project/bp-powerdns:1.1.3: not found" in cond(
            hr_get(em, "bp-powerdns"), "Ready")["message"]
        # Nothing listening: the pull fails at the transport.
        controller.gateway = "http://127.0.0.1:9"
        add_release(em, "bp-openbao", "bp-openbao", "1.1.1", "openbao",
                    url="oci://harbor.sovereign.test/openova-io")
        await until(em, HR, lambda: cond(hr_get(em, "bp-openbao"), "Ready").get(
            "reason") == "SourceNotReady")
        assert cond(hr_get(em, "bp-openbao"), "Ready")["message"].endswith(
            "dial tcp: connect: connection refused")

    class Holder:
        gateway: str | None = None

    controller = Holder()
    run(body, components=[HelmController(gateway_url=lambda: controller.gateway),
                          FakeWorkloads()])


def test_chart_index_lists_the_versions_the_seed_needs() -> None:
    assert INDEX.versions("bp-self-sovereign-cutover") == ["0.1.29", "0.1.30"]
    assert INDEX.versions("bp-catalyst-platform") == ["1.4.161", "1.4.162"]
    assert INDEX.versions("bp-newapi") == ["1.4.9", "1.4.10", "1.4.11"]
    assert Path(DEFAULT_CHARTS_DIR).is_dir()
