"""Steps 4-5: the bootstrap-kit is applied, then converged (every HelmRelease Ready, pinned)."""

from __future__ import annotations

from typing import Any

from ...kube import gvr
from ...kube.status import condition, is_true, name_of, namespace_of
from ..model import Progress, StepContext

KIT_NAMESPACE = "flux-system"

Obj = dict[str, Any]


def kit_releases(ctx: StepContext) -> list[Obj]:
    return ctx.sov.informers(gvr.HELMRELEASES).items(
        lambda o: namespace_of(o) == KIT_NAMESPACE)


def pinned_version(hr: Obj) -> str:
    return str((((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}).get("version", ""))


def installed_version(hr: Obj) -> str:
    history = (hr.get("status") or {}).get("history") or []
    return str(history[0].get("chartVersion", "")) if history else ""


def dependencies(hr: Obj) -> list[tuple[str, str]]:
    out = []
    for dep in (hr.get("spec") or {}).get("dependsOn") or []:
        out.append((dep.get("namespace") or namespace_of(hr), dep.get("name", "")))
    return out


def kit_applied(ctx: StepContext) -> Progress:
    releases = kit_releases(ctx)
    if not releases:
        return Progress.waiting(f"waiting for HelmReleases in {KIT_NAMESPACE}")
    repos = {(namespace_of(r), name_of(r)) for r in ctx.sov.informers(gvr.HELMREPOSITORIES)
             .items()}
    names = {(namespace_of(r), name_of(r)) for r in releases}
    missing: list[str] = []
    for hr in releases:
        if (hr.get("spec") or {}).get("chartRef"):
            continue  # Flux 2.3+: an OCIRepository/HelmChart reference, no HelmRepository
        src = (((hr.get("spec") or {}).get("chart") or {}).get("spec") or {}).get(
            "sourceRef") or {}
        key = (src.get("namespace") or namespace_of(hr), src.get("name", ""))
        if src.get("kind", "HelmRepository") == "HelmRepository" and key not in repos:
            missing.append(f"HelmRepository {key[0]}/{key[1]} (source of {name_of(hr)})")
        for dep in dependencies(hr):
            if dep not in names:
                missing.append(f"HelmRelease {dep[0]}/{dep[1]} (dependency of {name_of(hr)})")
    if missing:
        return Progress.waiting("missing: " + "; ".join(sorted(missing)))
    return Progress.done(f"{len(releases)} HelmReleases and {len(repos)} HelmRepositories "
                         "applied")


def kit_converged(ctx: StepContext) -> Progress:
    releases = kit_releases(ctx)
    if not releases:
        return Progress.waiting(f"no HelmReleases in {KIT_NAMESPACE}")
    ready, waiting = [], []
    for hr in sorted(releases, key=name_of):
        if is_true(hr, "Ready") and installed_version(hr) == pinned_version(hr):
            ready.append(name_of(hr))
        else:
            cond = condition(hr, "Ready") or {}
            waiting.append(f"{name_of(hr)}: {cond.get('reason', 'no status')}")
    if not waiting:
        return Progress.done(f"all {len(ready)} HelmReleases Ready at their pinned versions")
    return Progress.waiting(
        f"{len(ready)}/{len(releases)} HelmReleases Ready; waiting on {waiting[0]}"
        + (f" (+{len(waiting) - 1} more)" if len(waiting) > 1 else ""),
        fingerprint="ready:" + ",".join(ready) + "|" + ";".join(waiting))
