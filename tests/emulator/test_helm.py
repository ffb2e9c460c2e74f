"""The mini-Helm renderer and the emulated helm-controller: render guards in Helm's error
shape, dependsOn order, chart pulls (upstream index and Harbor over a real socket),
upgrades and pruning, wait vs disableWait and the install timeout."""

from __future__ import annotations

import asyncio
import copy
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
        fresh = copy.deepcopy(hr)
        fresh["metadata"]["name"] = "bp-grafana-ns"
        fresh["spec"].update(targetNamespace="observability", releaseName="grafana-ns")
        fresh["spec"]["install"]["createNamespace"] = True
        em.store.create(rt(em, HR), "flux-system", fresh)
        await until(em, HR, lambda: ready(em, "bp-grafana-ns"))
        ns = em.store.get(rt(em, ("", "v1", "namespaces")), None, "observability")
        assert ns["metadata"]["labels"]["name"] == "observability"

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


# ---- remediation (helm-controller v1.1: uninstall / rollback between attempts) ------------
def deployment(em: Emulator, ns: str, name: str) -> dict[str, Any] | None:
    return em.store.try_get(rt(em, WORKLOADS["Deployment"]), ns, name)


def hr_events(em: Emulator, name: str) -> list[tuple[str, str, str]]:
    items = em.store.list(rt(em, ("", "v1", "events")), "flux-system")[0]
    return [(e["type"], e["reason"], e["message"]) for e in items
            if e["involvedObject"].get("name") == name]


def edit_release(em: Emulator, name: str, edit: Callable[[dict[str, Any]], None]) -> None:
    hr = hr_get(em, name)
    assert hr is not None
    edit(hr["spec"])
    hr["metadata"].pop("resourceVersion")
    em.store.replace(rt(em, HR), "flux-system", name, hr)


class DeletionLog:
    """Every Deployment deletion the store reports (an uninstall shows up here)."""

    def __init__(self, em: Emulator) -> None:
        self.deleted: list[str] = []
        self._sub = em.store.watch(rt(em, WORKLOADS["Deployment"]))
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        async for ev in self._sub:
            if ev.type == "DELETED":
                self.deleted.append(ev.obj["metadata"]["name"])

    def close(self) -> None:
        self._sub.close()
        self._task.cancel()


def stalled(em: Emulator, name: str) -> bool:
    return cond(hr_get(em, name), "Stalled").get("status") == "True"


def test_install_remediation_uninstalls_between_attempts_then_stalls() -> None:
    async def body(em: Emulator) -> None:
        log = DeletionLog(em)
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=2)
        await until(em, HR, lambda: stalled(em, "bp-powerdns"), timeout=10)
        log.close()
        hr = hr_get(em, "bp-powerdns")
        assert hr is not None
        # Three attempts, an uninstall after each of the first two; the last failure is left
        # in place (install.remediation.remediateLastFailure defaults to false).
        assert log.deleted == ["powerdns", "powerdns"]
        assert deployment(em, "powerdns", "powerdns") is not None
        assert cond(hr, "Stalled")["reason"] == "RetriesExceeded"
        assert cond(hr, "Stalled")["message"] == "Failed to install after 3 attempt(s)"
        assert hr["status"]["installFailures"] == 3 and hr["status"]["failures"] == 3
        assert cond(hr, "Ready")["reason"] == "InstallFailed"
        assert not cond(hr, "Remediated") and not cond(hr, "Reconciling")
        # Install clears the history: only the last (failed) release is left, as v1 again
        # because the uninstall purged Helm's records.
        assert [(h["version"], h["status"]) for h in hr["status"]["history"]] == [
            (1, "failed")]
        events = hr_events(em, "bp-powerdns")
        uninstalls = [m for t, r, m in events if r == "UninstallSucceeded"]
        assert uninstalls and all(t == "Normal" for t, r, _ in events
                                  if r == "UninstallSucceeded")
        assert uninstalls[0] == ("Helm uninstall remediation for release powerdns/powerdns.v1"
                                 " with chart bp-powerdns@1.1.3 succeeded")
        assert any(r == "InstallFailed" and t == "Warning" for t, r, _ in events)

    run(body, components=[HelmController(), FakeWorkloads(hold=lambda o: True)])


def test_remediate_last_failure_uninstalls_and_ready_says_so() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=0)
        edit_release(em, "bp-powerdns", lambda s: s["install"]["remediation"].update(
            remediateLastFailure=True))
        await until(em, HR, lambda: stalled(em, "bp-powerdns"), timeout=10)
        hr = hr_get(em, "bp-powerdns")
        assert hr is not None
        assert deployment(em, "powerdns", "powerdns") is None
        ready_c, remediated = cond(hr, "Ready"), cond(hr, "Remediated")
        assert (remediated["status"], remediated["reason"]) == ("True", "UninstallSucceeded")
        # A remediated release is not Ready: Ready copies Remediated, as False.
        assert (ready_c["status"], ready_c["reason"]) == ("False", "UninstallSucceeded")
        assert cond(hr, "Released")["reason"] == "InstallFailed"
        assert "context deadline exceeded" in cond(hr, "Released")["message"]
        assert hr["status"]["history"][0]["status"] == "uninstalled"
        assert cond(hr, "Stalled")["message"] == "Failed to install after 1 attempt(s)"

    run(body, components=[HelmController(), FakeWorkloads(hold=lambda o: True)])


def _bump_tag(spec: dict[str, Any]) -> None:
    spec["values"] = {"powerdns": {"image": {"tag": "4.9.3"}}}


def _image(em: Emulator) -> str:
    d = deployment(em, "powerdns", "powerdns")
    assert d is not None
    return str(d["spec"]["template"]["spec"]["containers"][0]["image"])


def test_upgrade_failure_rolls_back_to_the_last_good_release() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=1)
        await until(em, HR, lambda: ready(em, "bp-powerdns"))
        edit_release(em, "bp-powerdns", _bump_tag)
        await until(em, HR, lambda: stalled(em, "bp-powerdns"), timeout=10)
        hr = hr_get(em, "bp-powerdns")
        assert hr is not None
        # upgrade v2 fails -> rollback v3; upgrade v4 fails -> rollback v5 (upgrade's
        # remediateLastFailure defaults to true when retries > 0), then stalled.
        assert [(h["version"], h["status"]) for h in hr["status"]["history"]] == [
            (5, "deployed"), (4, "superseded"), (3, "superseded"), (2, "superseded"),
            (1, "superseded")]
        assert hr["status"]["history"][0]["chartVersion"] == "1.1.3"
        assert _image(em).endswith(":4.9.2")  # the good release's objects are back
        assert hr["status"]["upgradeFailures"] == 2
        assert cond(hr, "Stalled")["message"] == "Failed to upgrade after 2 attempt(s)"
        msg = ("Helm rollback to previous release powerdns/powerdns.v3 with chart "
               "bp-powerdns@1.1.3 succeeded")
        assert (cond(hr, "Ready")["status"], cond(hr, "Ready")["reason"],
                cond(hr, "Ready")["message"]) == ("False", "RollbackSucceeded", msg)
        assert cond(hr, "Released")["reason"] == "UpgradeFailed"
        assert ("Normal", "RollbackSucceeded", msg) in hr_events(em, "bp-powerdns")
        # Putting the values back matches the rolled-back release: in sync, Ready again.
        edit_release(em, "bp-powerdns", lambda s: s.update(values={}))
        await until(em, HR, lambda: ready(em, "bp-powerdns"))
        hr = hr_get(em, "bp-powerdns")
        assert cond(hr, "Ready")["reason"] == "UpgradeSucceeded"
        assert not cond(hr, "Remediated") and not cond(hr, "Stalled")

    def hold(o: dict[str, Any]) -> bool:  # the new tag never becomes ready
        return "4.9.3" in str(o["spec"]["template"]["spec"]["containers"][0]["image"])

    run(body, components=[HelmController(), FakeWorkloads(hold=hold)])


def test_upgrade_uninstall_strategy_removes_the_release() -> None:
    async def body(em: Emulator) -> None:
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=0)
        await until(em, HR, lambda: ready(em, "bp-powerdns"))

        def edit(spec: dict[str, Any]) -> None:
            _bump_tag(spec)
            spec["upgrade"]["remediation"].update(strategy="uninstall",
                                                  remediateLastFailure=True)

        edit_release(em, "bp-powerdns", edit)
        await until(em, HR, lambda: stalled(em, "bp-powerdns"), timeout=10)
        hr = hr_get(em, "bp-powerdns")
        assert hr is not None
        assert deployment(em, "powerdns", "powerdns") is None
        assert cond(hr, "Ready")["reason"] == "UninstallSucceeded"
        assert cond(hr, "Ready")["message"] == (
            "Helm uninstall remediation for release powerdns/powerdns.v2 with chart "
            "bp-powerdns@1.1.3 succeeded")
        assert [h["status"] for h in hr["status"]["history"]][:2] == ["uninstalled",
                                                                      "deployed"]
        assert cond(hr, "Stalled")["message"] == "Failed to upgrade after 1 attempt(s)"

    def hold(o: dict[str, Any]) -> bool:
        return "4.9.3" in str(o["spec"]["template"]["spec"]["containers"][0]["image"])

    run(body, components=[HelmController(), FakeWorkloads(hold=hold)])


def test_negative_retries_retry_forever_until_it_works() -> None:
    held = {"on": True}

    async def body(em: Emulator) -> None:
        add_release(em, "bp-powerdns", "bp-powerdns", "1.1.3", "powerdns", wait=True,
                    timeout="10s", retries=-1)
        await until(em, HR, lambda: int(((hr_get(em, "bp-powerdns") or {}).get("status")
                                         or {}).get("installFailures", 0)) >= 4, timeout=10)
        hr = hr_get(em, "bp-powerdns")
        assert not cond(hr, "Stalled")
        assert cond(hr, "Reconciling")["reason"] in ("ProgressingWithRetry", "Progressing")
        held["on"] = False
        await until(em, HR, lambda: ready(em, "bp-powerdns"), timeout=10)
        hr = hr_get(em, "bp-powerdns")
        assert cond(hr, "Ready")["reason"] == "InstallSucceeded"
        assert not cond(hr, "Remediated") and not cond(hr, "Stalled")

    run(body, components=[HelmController(), FakeWorkloads(hold=lambda o: held["on"])])
