"""The bootstrap-kit the kind target pushes: the platform's kit plus the kind profile."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from ...config import Settings
from ...errors import ConfigError
from .versions import REPO_ROOT

DEFAULT_KIT_SUBPATH = "clusters/_template/bootstrap-kit"
# Without --bootstrap-kit or --platform-repo: the emulated Sovereign's copy of the kit.
DEFAULT_KIT = REPO_ROOT / "clusters" / "emulated" / "base" / "bootstrap-kit"
PROFILE_DIR = REPO_ROOT / "clusters" / "kind"
PROFILE_SKIP = {"versions.yaml"}  # the pins are the harness's, not the cluster's


def kit_source(settings: Settings) -> tuple[Path, str]:
    """(the kit directory, where it goes in the pushed repository)."""
    if settings.bootstrap_kit is not None:
        kit = settings.bootstrap_kit
        where = f"--bootstrap-kit {kit}"
    elif settings.platform_repo is not None:
        kit = settings.platform_repo / DEFAULT_KIT_SUBPATH
        where = f"--platform-repo {settings.platform_repo} ({DEFAULT_KIT_SUBPATH})"
    else:
        return DEFAULT_KIT, DEFAULT_KIT_SUBPATH
    if not kit.is_dir() or not any(kit.glob("*.yaml")):
        raise ConfigError(f"{where}: no bootstrap-kit there (a directory of *.yaml): pass "
                          "--bootstrap-kit DIR or --platform-repo CHECKOUT")
    return kit, DEFAULT_KIT_SUBPATH


def shown_path(path: Path) -> str:
    """A kit path as plans and reports show it: the harness's own copy relative to the
    checkout (so a plan reads the same on every machine), a user's path as given."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def assemble_kit(kit: Path, subpath: str, repo_dir: Path) -> None:
    """repo_dir := the kit at `subpath` plus the kind profile at clusters/kind/."""
    if repo_dir.exists():
        shutil.rmtree(repo_dir)
    shutil.copytree(kit, repo_dir / subpath)
    own = repo_dir / subpath / "kustomization.yaml"
    if not own.exists():  # what Flux generates for a path without one: every manifest
        files = sorted(p.name for p in kit.glob("*.yaml") if p.name != "kustomization.yaml")
        own.write_text(yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1",
                                       "kind": "Kustomization", "resources": files},
                                      sort_keys=False))
    profile = repo_dir / "clusters" / "kind"
    profile.mkdir(parents=True, exist_ok=True)
    for f in sorted(PROFILE_DIR.iterdir()):
        if f.is_file() and f.name not in PROFILE_SKIP:
            shutil.copy2(f, profile / f.name)
