"""Where tools/build-oracle put the pinned kube-apiserver and etcd, or why they are absent."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = REPO_ROOT / "tools" / "oracle-versions.env"
BUILD_SCRIPT = REPO_ROOT / "tools" / "build-oracle"


class OracleUnavailable(Exception):
    """The oracle cannot run here; the message says why and what to do (a skip reason)."""


@dataclass(frozen=True)
class OracleBinaries:
    kubernetes_version: str
    etcd_version: str
    kube_apiserver: Path
    etcd: Path


def pinned_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    """KEY=VALUE lines of tools/oracle-versions.env (the one place the versions live)."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def cache_root() -> Path:
    """Same rule as tools/build-oracle: $SOVEREIGN_E2E_ORACLE_CACHE, else the XDG cache."""
    if explicit := os.environ.get("SOVEREIGN_E2E_ORACLE_CACHE"):
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "sovereign-e2e" / "oracle"


def go_present() -> bool:
    return bool(shutil.which("go")) or Path("/usr/local/go/bin/go").is_file()


def find_binaries() -> OracleBinaries:
    """The built binaries, or OracleUnavailable naming what is missing and the fix."""
    versions = pinned_versions()
    kube, etcd = versions["KUBERNETES_VERSION"], versions["ETCD_VERSION"]
    bin_dir = cache_root() / f"kube-apiserver-{kube}_etcd-{etcd}" / "bin"
    found = OracleBinaries(kube, etcd, bin_dir / "kube-apiserver", bin_dir / "etcd")
    if found.kube_apiserver.is_file() and found.etcd.is_file():
        return found
    if not go_present():
        raise OracleUnavailable(
            f"oracle kube-apiserver {kube}/etcd {etcd} not built and no Go toolchain here "
            f"(it is built from source): install Go >= 1.26, then run {BUILD_SCRIPT.name}")
    raise OracleUnavailable(
        f"oracle kube-apiserver {kube}/etcd {etcd} not built in {bin_dir}: "
        f"run tools/{BUILD_SCRIPT.name} (.ci/run does)")
