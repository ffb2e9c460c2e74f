"""What platform a cycle ran against, as the cluster itself reports it: the chart version
each HelmRelease installed (Flux's release history), and the platform repository's ref.

A release driver signs off "this platform", not "the emulator at some point": these values
go into the cycle report (CycleReport.platform) and from there into the sign-off.
"""

from __future__ import annotations

from typing import Any

from ..errors import E2EError
from ..kube import gvr
from ..kube.client import KubeClient
from ..report.model import Platform

# The repository Flux syncs the platform from (the bootstrap's GitRepository).
PLATFORM_REPOSITORY = ("flux-system", "openova")
BOOTSTRAP_KUSTOMIZATION = ("flux-system", "bootstrap-kit")


def chart_version(hr: dict[str, Any]) -> str | None:
    """`chart@version` of what is installed (history), else what was last attempted, else
    the pin (marked: the cluster has not reported it)."""
    status = hr.get("status") or {}
    chart_spec = (((hr.get("spec") or {}).get("chart") or {}).get("spec") or {})
    for entry in status.get("history") or []:
        if entry.get("chartVersion"):
            name = entry.get("chartName") or chart_spec.get("chart", "?")
            return f"{name}@{entry['chartVersion']}"
    if status.get("lastAttemptedRevision"):
        return f"{chart_spec.get('chart', '?')}@{status['lastAttemptedRevision']} (attempted)"
    if chart_spec.get("version"):
        return f"{chart_spec.get('chart', '?')}@{chart_spec['version']} (pinned, not installed)"
    return None


def platform_ref(repo: dict[str, Any] | None) -> str | None:
    if not repo:
        return None
    artifact = (repo.get("status") or {}).get("artifact") or {}
    if artifact.get("revision"):
        return str(artifact["revision"])
    ref = (repo.get("spec") or {}).get("ref") or {}
    for key in ("commit", "tag", "semver", "name", "branch"):
        if ref.get(key):
            return f"{key} {ref[key]}"
    return None


def read_platform(kube: KubeClient) -> Platform | None:
    """The platform's versions; None when the cluster cannot tell (no Flux yet, no access)."""
    try:
        releases, _ = kube.list(gvr.HELMRELEASES)
    except E2EError:
        return None
    charts = {}
    for hr in releases:
        meta = hr.get("metadata") or {}
        version = chart_version(hr)
        if version:
            charts[f"{meta.get('namespace', '')}/{meta.get('name', '')}"] = version
    try:
        ns, name = _bootstrap_source(kube)
        repo = kube.try_get(gvr.GITREPOSITORIES, name, ns)
    except E2EError:
        repo = None
    if not charts and repo is None:
        return None
    return Platform(charts=dict(sorted(charts.items())), ref=platform_ref(repo))


def _bootstrap_source(kube: KubeClient) -> tuple[str, str]:
    """The GitRepository the bootstrap-kit Kustomization applies from (the platform's
    `openova` on a Sovereign; the kind target pushes the kit to a repository of its own),
    else `flux-system/openova`."""
    ks = kube.try_get(gvr.KUSTOMIZATIONS, BOOTSTRAP_KUSTOMIZATION[1],
                      BOOTSTRAP_KUSTOMIZATION[0])
    ref = ((ks or {}).get("spec") or {}).get("sourceRef") or {}
    if ref.get("kind") == "GitRepository" and ref.get("name"):
        return str(ref.get("namespace") or BOOTSTRAP_KUSTOMIZATION[0]), str(ref["name"])
    return PLATFORM_REPOSITORY
