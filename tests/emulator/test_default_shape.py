"""The default emulated Sovereign: the bootstrap-kit installs in dependsOn order with only the
helm/kustomize controllers and faked workload readiness; every HelmRelease ends Ready, the
Kustomization reports `Applied revision`, and the 15 HTTPRoutes t22 had exist, all
parented on kube-system/cilium-gateway."""

from __future__ import annotations

import asyncio
from typing import Any

from stubs.emulator.helm.controller import HelmController
from stubs.emulator.helm.kustomize import KustomizeController
from stubs.emulator.runtime import DEFAULT_MANIFESTS_DIR, Emulator

from .test_helm import HR, FakeWorkloads, cond, rt, until

KS = ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations")
ROUTES = ("gateway.networking.k8s.io", "v1", "httproutes")
EXPECTED_ROUTES = {
    ("catalyst-system", "catalyst-api"), ("catalyst-system", "catalyst-ui"),
    ("sme", "marketplace"), ("gitea", "gitea"), ("harbor", "harbor"),
    ("keycloak", "keycloak"), ("grafana", "grafana"), ("kube-system", "hubble-ui"),
    ("openbao", "openbao"), ("powerdns", "powerdns"), ("catalyst-system", "tenant-wildcard"),
    ("catalyst-system", "guacamole-server"), ("catalyst-system", "openova-flow-server"),
    ("newapi", "newapi"), ("catalyst-system", "sandbox")}


def test_default_kit_converges_with_fifteen_routes_on_the_cilium_gateway() -> None:
    async def main() -> None:
        em = Emulator(manifests_dir=DEFAULT_MANIFESTS_DIR, components=[
            HelmController(), KustomizeController(), FakeWorkloads()])
        await em.start()
        try:
            def kit() -> dict[str, Any] | None:
                return em.store.try_get(rt(em, KS), "flux-system", "bootstrap-kit")

            await until(em, KS, lambda: cond(kit(), "Ready").get("status") == "True",
                        timeout=20)
            assert cond(kit(), "Ready")["message"].startswith("Applied revision: main@sha1:")
            releases = em.store.list(rt(em, HR))[0]
            assert len(releases) == 15
            for hr in releases:
                assert cond(hr, "Ready")["status"] == "True", hr["metadata"]["name"]
            routes = em.store.list(rt(em, ROUTES))[0]
            assert {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in routes} == \
                EXPECTED_ROUTES
            for r in routes:
                assert [(p.get("namespace"), p["name"]) for p in r["spec"]["parentRefs"]] == \
                    [("kube-system", "cilium-gateway")]
                for host in r["spec"].get("hostnames") or []:
                    assert host.endswith(".sovereign.test"), host
            harbor = next(r for r in routes if r["metadata"]["name"] == "harbor")
            assert harbor["spec"]["hostnames"] == ["registry.sovereign.test"]
            secrets = rt(em, ("", "v1", "secrets"))
            key = em.store.get(secrets, "newapi", "newapi-bp-newapi-token-signing-key")
            assert key["metadata"]["annotations"][
                "reflector.v1.k8s.emberstack.com/reflection-auto-namespaces"] == \
                "catalyst-system,sandbox"
            assert em.store.try_get(secrets, "newapi", "newapi-oidc") is not None
            assert em.store.try_get(secrets, "sme", "sme-secrets") is not None
            gitea = em.store.get(secrets, "gitea", "gitea-admin-secret")
            assert set(gitea["data"]) == {"username", "password"}
            cm = em.store.get(rt(em, ("", "v1", "configmaps")), "catalyst-system",
                              "cutover-status")
            assert cm["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        finally:
            await em.stop()

    asyncio.run(main())


def test_kit_health_check_reports_a_stalled_release() -> None:
    """bp-newapi (waits) never gets ready and runs out of retries: the Kustomization fails
    early on the stalled release, as kustomize-controller's health check does."""

    async def main() -> None:
        em = Emulator(manifests_dir=DEFAULT_MANIFESTS_DIR, time_scale=0.0005, components=[
            HelmController(), KustomizeController(),
            FakeWorkloads(hold=lambda o: o["metadata"]["name"] == "newapi")])
        await em.start()
        try:
            def kit() -> dict[str, Any] | None:
                return em.store.try_get(rt(em, KS), "flux-system", "bootstrap-kit")

            await until(em, KS, lambda: cond(kit(), "Ready").get("message", "").startswith(
                "failed early"), timeout=20)
            assert cond(kit(), "Ready")["reason"] == "HealthCheckFailed"
            assert cond(kit(), "Ready")["message"] == (
                "failed early due to stalled resources: [HelmRelease/flux-system/bp-newapi "
                "status: 'Failed']")
            sandbox = em.store.get(rt(em, HR), "flux-system", "bp-sandbox")
            assert cond(sandbox, "Ready")["message"] == \
                "dependency 'flux-system/bp-newapi' is not ready"
        finally:
            await em.stop()

    asyncio.run(main())
