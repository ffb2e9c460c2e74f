"""Steps 01, 03, 04 and 05: check that the cluster is ready to be handed over."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from .context import StepContext
from .httpio import json_body, redact
from .kube import HELM_RELEASES, HELM_REPOSITORIES, StepFailed, core, rt, secret_value


async def preflight_namespaces(sc: StepContext) -> None:
    """01: the namespaces holding everything later steps read or change exist."""
    cfg = sc.config
    wanted = ["flux-system", cfg.gitea_admin_secret.namespace,
              cfg.provisioning_token_secret.namespace, cfg.status_configmap.namespace]
    ns_rt = core(sc.store, "namespaces")
    missing = [ns for ns in dict.fromkeys(wanted) if sc.store.try_get(ns_rt, None, ns) is None]
    if missing:
        raise StepFailed("; ".join(f'namespaces "{ns}" not found' for ns in missing))


async def harbor_endpoint(sc: StepContext) -> None:
    """03: HARBOR_PUBLIC_URL names a registry host the pivot can point Flux at."""
    parts = urlsplit(sc.config.harbor_public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepFailed(f"HARBOR_PUBLIC_URL {sc.config.harbor_public_url!r} is not an "
                         "http(s) URL with a host")
    sc.log(f"harbor registry host: {sc.config.harbor_host}")


async def mirror_inventory(sc: StepContext) -> None:
    """04: list the charts the HelmReleases pull, so they can be mirrored into Harbor; every
    HelmRelease's HelmRepository must exist or the mirror would miss its chart."""
    repos_rt = rt(sc.store, *HELM_REPOSITORIES)
    releases, _ = sc.store.list(rt(sc.store, *HELM_RELEASES))
    charts: set[str] = set()
    dangling: list[str] = []
    for hr in releases:
        chart_spec = ((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}
        ref = chart_spec.get("sourceRef") or {}
        if ref.get("kind") != "HelmRepository":
            continue  # chartRef/OCIRepository releases are not pulled through a HelmRepository
        ns = ref.get("namespace") or hr["metadata"]["namespace"]
        if sc.store.try_get(repos_rt, ns, ref.get("name", "")) is None:
            dangling.append(f'{hr["metadata"]["namespace"]}/{hr["metadata"]["name"]} -> '
                            f'helmrepositories.source.toolkit.fluxcd.io "{ns}/{ref.get("name")}"')
            continue
        charts.add(f'{chart_spec.get("chart")}@{chart_spec.get("version") or "*"}')
    if dangling:
        raise StepFailed("HelmRelease source not found: " + ", ".join(dangling))
    sc.log(f"{len(charts)} charts to mirror: {', '.join(sorted(charts))}")


async def gitea_admin_auth(sc: StepContext) -> None:
    """05: the Gitea admin credentials handed over in GITEA_ADMIN_SECRET log in (Basic)."""
    username, password = read_gitea_admin(sc)
    try:
        r = await sc.http.get(f"{sc.config.gitea_url}/api/v1/user", auth=(username, password))
    except httpx.HTTPError as e:
        raise StepFailed(f"GET {sc.config.gitea_url}/api/v1/user: {e}") from None
    if r.status_code != 200:
        raise StepFailed(f"GET /api/v1/user as {username} (basic): HTTP {r.status_code}: "
                         f"{redact(r.text, password)}")
    if not json_body(r).get("is_admin"):
        raise StepFailed(f"gitea user {username} is not a site admin")


def read_gitea_admin(sc: StepContext) -> tuple[str, str]:
    ref = sc.config.gitea_admin_secret
    secret = sc.store.try_get(core(sc.store, "secrets"), ref.namespace, ref.name)
    if secret is None:
        raise StepFailed(f'secrets "{ref.name}" not found in namespace {ref.namespace}')
    username = secret_value(secret, "username")
    password = secret_value(secret, "password")
    if not username or not password:
        raise StepFailed(f"secret {ref} lacks keys username/password")
    return username, password
