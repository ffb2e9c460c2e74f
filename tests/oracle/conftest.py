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


def install_crds(api: RawApi) -> dict[str, list[str]]:
    """Install every shipped CRD (for real) and wait for Established; per file, the
    rejections (empty when all accepted)."""
    discovery = Discovery(api)
    out: dict[str, list[str]] = {}
    for f in sorted(DEFAULT_CRDS_DIR.glob("*.y*ml")):
        problems = out.setdefault(str(f.relative_to(REPO_ROOT)), [])
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
        discovery = Discovery(api)
        problems: list[str] = []
        for path in (p for files in upstream_crds.values() for p in files):
            for doc in load_manifests([path]):
                answer = apply(api, discovery, doc, dry_run=False)
                if answer.status >= 300:
                    problems.append(f"{path.name}: {message(answer)}")
                    continue
                got = wait_established(api, doc["metadata"]["name"])
                conds = {c["type"]: c.get("status") for c in
                         ((got.body or {}).get("status") or {}).get("conditions") or []}
                if conds.get("Established") != "True":
                    problems.append(f"{path.name}: not Established")
        yield api, problems
        api.close()
