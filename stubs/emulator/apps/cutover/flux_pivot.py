"""Steps 02, 06, 07 and 08: move Flux's chart source from ghcr.io to the Sovereign's Harbor.

After step 06 every `oci://ghcr.io/openova-io` HelmRepository points at
`oci://<harbor_host>/openova-io`, harbor_host being the host of HARBOR_PUBLIC_URL; the
helm-controller then pulls charts through the gateway from that host, so a host no
HTTPRoute serves makes every later pull fail. The steps do not second-guess the host:
they do what the chart says, as the real script does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from .context import StepContext
from .kube import HELM_REPOSITORIES, Obj, StepFailed, core, now_rfc3339, rt

UPSTREAM_HOST = "ghcr.io"
ORG_PATH = "/openova-io"
UPSTREAM_PREFIX = f"oci://{UPSTREAM_HOST}{ORG_PATH}"
DOCKERCONFIG_KEY = ".dockerconfigjson"
RECONCILE_ANNOTATION = "reconcile.fluxcd.io/requestedAt"  # what `flux reconcile` sets


def _under(url: str, prefix: str) -> bool:
    return url == prefix or url.startswith(prefix + "/")


def harbor_prefix(sc: StepContext) -> str:
    return f"oci://{sc.config.harbor_host}{ORG_PATH}"


def platform_repositories(sc: StepContext) -> list[Obj]:
    """HelmRepositories of the platform's charts, before or after the pivot."""
    items, _ = sc.store.list(rt(sc.store, *HELM_REPOSITORIES))
    prefixes = (UPSTREAM_PREFIX, harbor_prefix(sc))
    return [r for r in items
            if any(_under((r.get("spec") or {}).get("url", ""), p) for p in prefixes)]


async def registry_auth_merge(sc: StepContext) -> None:
    """02: give every chart pull Secret an auth entry for harbor_host, copied from ghcr.io's,
    so the HelmRepositories keep authenticating once their URL moves."""
    secrets_rt = core(sc.store, "secrets")
    host = sc.config.harbor_host
    refs = sorted({(r["metadata"]["namespace"], r["spec"]["secretRef"]["name"])
                   for r in platform_repositories(sc)
                   if ((r.get("spec") or {}).get("secretRef") or {}).get("name")})
    if not refs:
        sc.log("no platform HelmRepository uses a pull secret; nothing to merge")
        return
    for ns, name in refs:
        secret = sc.store.try_get(secrets_rt, ns, name)
        if secret is None:
            raise StepFailed(f'secrets "{name}" not found in namespace {ns}')
        config = _dockerconfig(secret, f"{ns}/{name}")
        auths: dict[str, Any] = config.setdefault("auths", {})
        if UPSTREAM_HOST not in auths:
            raise StepFailed(f"secret {ns}/{name} has no {UPSTREAM_HOST} auth to merge")
        if auths.get(host) == auths[UPSTREAM_HOST]:
            continue
        auths[host] = auths[UPSTREAM_HOST]
        encoded = base64.b64encode(json.dumps(config).encode()).decode()
        sc.store.patch(secrets_rt, ns, name, _merge_into("data", {DOCKERCONFIG_KEY: encoded}))
        sc.log(f"merged {UPSTREAM_HOST} auth for {host} into secret {ns}/{name}")


def _merge_into(section: str, values: dict[str, Any]) -> Callable[[Obj], Obj]:
    """A patch function setting `values` inside the object's top-level `section`."""

    def apply(cur: Obj) -> Obj:
        return {**cur, section: {**(cur.get(section) or {}), **values}}

    return apply


def _dockerconfig(secret: Obj, where: str) -> dict[str, Any]:
    raw = (secret.get("data") or {}).get(DOCKERCONFIG_KEY)
    if not raw:
        raise StepFailed(f"secret {where} has no {DOCKERCONFIG_KEY} key")
    try:
        config = json.loads(base64.b64decode(raw))
    except (ValueError, UnicodeDecodeError):
        raise StepFailed(f"secret {where}: {DOCKERCONFIG_KEY} is not valid JSON") from None
    if not isinstance(config, dict):
        raise StepFailed(f"secret {where}: {DOCKERCONFIG_KEY} is not a JSON object")
    return config


async def helmrepository_pivot(sc: StepContext) -> None:
    """06: rewrite every HelmRepository URL from oci://ghcr.io/openova-io to the Harbor host."""
    repos_rt = rt(sc.store, *HELM_REPOSITORIES)
    target = harbor_prefix(sc)
    items, _ = sc.store.list(repos_rt)
    rewritten = 0
    for repo in items:
        url = (repo.get("spec") or {}).get("url", "")
        if not _under(url, UPSTREAM_PREFIX):
            continue
        new_url = target + url[len(UPSTREAM_PREFIX):]
        sc.store.patch(repos_rt, repo["metadata"]["namespace"], repo["metadata"]["name"],
                       _merge_into("spec", {"url": new_url}))
        rewritten += 1
    sc.log(f"rewrote {rewritten} HelmRepository URLs from {UPSTREAM_PREFIX} to {target}")


async def reconcile_request(sc: StepContext) -> None:
    """07: ask source-controller to refetch the pivoted repositories now, not at interval."""
    repos_rt = rt(sc.store, *HELM_REPOSITORIES)
    stamp = now_rfc3339()
    repos = platform_repositories(sc)
    for repo in repos:
        def annotate(cur: Obj) -> Obj:
            meta = dict(cur.get("metadata") or {})
            meta["annotations"] = {**(meta.get("annotations") or {}),
                                   RECONCILE_ANNOTATION: stamp}
            return {**cur, "metadata": meta}

        sc.store.patch(repos_rt, repo["metadata"]["namespace"], repo["metadata"]["name"],
                       annotate)
    sc.log(f"requested reconcile of {len(repos)} HelmRepositories")


async def verify_pivot(sc: StepContext) -> None:
    """08: no platform HelmRepository still points at ghcr.io."""
    left = [f'{r["metadata"]["namespace"]}/{r["metadata"]["name"]}'
            for r in platform_repositories(sc)
            if _under(r["spec"]["url"], UPSTREAM_PREFIX)]
    if left:
        raise StepFailed(f"HelmRepositories still on {UPSTREAM_PREFIX}: {', '.join(left)}")
    if not platform_repositories(sc):
        raise StepFailed(f"no HelmRepository points at {harbor_prefix(sc)}")
