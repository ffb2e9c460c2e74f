"""What the kind target needs on the machine, checked before anything is created."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import PrerequisiteMissing

INSTALL = {
    "kind": "install kind v0.27.0: `go install sigs.k8s.io/kind@v0.27.0` or "
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "helm": "install Helm 3: https://helm.sh/docs/intro/install/",
    "git": "install git: `apt-get install git` (or your OS's package)",
}
DOCKER_FIX = ("install and start Docker (https://docs.docker.com/engine/install/) and make "
              "sure `docker info` works for this user")


__all__ = ["PrerequisiteMissing", "Tools", "check_prerequisites"]


@dataclass(frozen=True)
class Tools:
    kind: Path
    helm: Path
    git: Path
    kubectl: Path | None  # None: pytest-kind downloads the pinned kubectl


def check_prerequisites(docker_problem: str | None,
                        which: Callable[[str], str | None] = shutil.which) -> Tools:
    """Docker first (nothing works without an engine), then the tools, in the order used."""
    if docker_problem is not None:
        raise PrerequisiteMissing(f"--sovereign kind needs Docker: {docker_problem}; "
                                  f"{DOCKER_FIX}")
    found: dict[str, Path] = {}
    for tool, how in INSTALL.items():
        path = which(tool)
        if path is None:
            raise PrerequisiteMissing(f"--sovereign kind needs `{tool}` on PATH; {how}")
        found[tool] = Path(path)
    kubectl = which("kubectl")
    return Tools(kind=found["kind"], helm=found["helm"], git=found["git"],
                 kubectl=Path(kubectl) if kubectl else None)
