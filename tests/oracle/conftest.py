"""The oracle fixtures: one real kube-apiserver (with etcd) per test session (per xdist
worker), started only when a test asks for it, skipped with the reason where it cannot run.

`.ci/run` builds the oracle and sets SOVEREIGN_E2E_REQUIRE_ORACLE=1, so in CI an oracle that
does not start is a failure, not a silent skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.oracle import OracleServer, OracleUnavailable
from e2e.oracle.apply import Discovery, apply, message, wait_established
from e2e.oracle.rawapi import RawApi
from e2e.oracle.upstream_crds import find_upstream_crds, upstream_crd_files
from stubs.emulator.runtime import DEFAULT_CRDS_DIR, REPO_ROOT, load_manifests


def _unavailable(reason: str) -> None:
    if os.environ.get("SOVEREIGN_E2E_REQUIRE_ORACLE") == "1":
        pytest.fail(f"SOVEREIGN_E2E_REQUIRE_ORACLE=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oracle() -> Iterator[OracleServer]:
    try:
        server = OracleServer()
    except OracleUnavailable as e:
        _unavailable(str(e))
        raise AssertionError("unreachable") from e
    with server:
        yield server


@pytest.fixture(scope="session")
def oracle_kubeconfig(oracle: OracleServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return oracle.write_kubeconfig(tmp_path_factory.mktemp("oracle") / "kubeconfig")


@pytest.fixture(scope="session")
def oracle_raw(oracle: OracleServer) -> RawApi:
    return RawApi.from_kubeconfig(oracle.kubeconfig())


def install_crds(api: RawApi, files: list[Path] | None = None) -> dict[str, list[str]]:
    """Install the CRDs of `files` (default: every shipped CRD) for real and wait for
    Established; per file, the rejections (empty when all accepted)."""
    discovery = Discovery(api)
    out: dict[str, list[str]] = {}
    for f in files if files is not None else sorted(DEFAULT_CRDS_DIR.glob("*.y*ml")):
        label = str(f.relative_to(REPO_ROOT)) if f.is_relative_to(REPO_ROOT) else f.name
        problems = out.setdefault(label, [])
        for doc in load_manifests([f]):
            answer = apply(api, discovery, doc, dry_run=False)
            if answer.status >= 300:
                problems.append(f"{doc['kind']} {doc['metadata']['name']}: {message(answer)}")
                continue
            got = wait_established(api, doc["metadata"]["name"])
            status = got.body.get("status") if isinstance(got.body, dict) else None
            conds = {c["type"]: c for c in (status or {}).get("conditions") or []}
            if conds.get("Established", {}).get("status") != "True":
                problems.append(f"{doc['kind']} {doc['metadata']['name']}: not Established: "
                                f"{json.dumps(list(conds.values()))}")
    return out


@pytest.fixture(scope="session")
def crds_installed(oracle_raw: RawApi) -> dict[str, list[str]]:
    return install_crds(oracle_raw)


@pytest.fixture(scope="session")
def upstream_crds() -> dict[str, list[Path]]:
    try:
        root = find_upstream_crds()
    except OracleUnavailable as e:
        _unavailable(str(e))
        raise AssertionError("unreachable") from e
    return upstream_crd_files(root)


@pytest.fixture(scope="session")
def upstream_oracle(oracle: OracleServer, upstream_crds: dict[str, list[Path]]
                    ) -> Iterator[tuple[RawApi, list[str]]]:
    """A second real API server (the session's has the emulator's CRDs) with the upstream
    CRDs installed; and the CRDs it refused or never Established."""
    with OracleServer() as server:
        api = RawApi.from_kubeconfig(server.kubeconfig())
        files = [p for paths in upstream_crds.values() for p in paths]
        problems = [f"{name}: {problem}" for name, found in install_crds(api, files).items()
                    for problem in found]
        yield api, problems
        api.close()
