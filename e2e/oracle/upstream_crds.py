"""Where tools/fetch-upstream-crds put the kind target's upstream CRDs (Gateway API, Cilium,
Flux at the pinned versions), or why they are absent."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .binaries import REPO_ROOT, OracleUnavailable, go_present

FETCH_SCRIPT = REPO_ROOT / "tools" / "fetch-upstream-crds"
SETS = ("gateway-api", "cilium", "flux")


def find_upstream_crds() -> Path:
    """The fetched directory (one sub-directory per set), or OracleUnavailable with the fix."""
    done = subprocess.run([str(FETCH_SCRIPT), "--print"], capture_output=True, text=True,
                          check=False, timeout=30)
    if done.returncode == 0:
        return Path(done.stdout.strip())
    if not go_present():
        raise OracleUnavailable("the upstream CRDs come from the Go module proxy and there is "
                                "no Go toolchain here: install Go, then tools/fetch-upstream-crds")
    raise OracleUnavailable("upstream CRDs not fetched: run tools/fetch-upstream-crds "
                            "(.ci/run does)")


def upstream_crd_files(root: Path) -> dict[str, list[Path]]:
    """Per set, its CRD files in a stable order."""
    return {s: sorted((root / s).glob("*.yaml")) for s in SETS}
