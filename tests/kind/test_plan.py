"""The kind plan: pinned by golden files, and checked against the facts it encodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from e2e.config import Settings
from e2e.errors import ConfigError
from e2e.providers.kind import KindProvider
from e2e.providers.kind import manifests as m
from e2e.providers.kind.versions import load_versions

from .planfixture import GOLDEN, NoRuntime, golden_plan

REPO = Path(__file__).resolve().parents[2]

UPDATE = os.environ.get("SOVEREIGN_E2E_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("fmt", ["txt", "json"])
def test_plan_matches_golden(fmt: str) -> None:
    plan = golden_plan()
    text = plan.to_text() if fmt == "txt" else plan.to_json()
    path = GOLDEN / f"plan.{fmt}"
    if UPDATE:
        path.write_text(text)
    assert text == path.read_text(), (
        f"the kind plan changed; review the diff and rerun with "
        f"SOVEREIGN_E2E_UPDATE_GOLDEN=1 to accept it ({path})")


def test_cli_plan_prints_the_golden_plan(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "e2e.cli", "plan", "--sovereign", "kind",
                          "--cycle", "t7", "--format", "json"], capture_output=True,
                         text=True, check=False, cwd=Path(__file__).parents[2])
    assert json.loads(out.stdout) == json.loads((GOLDEN / "plan.json").read_text())
    # The plan prints anywhere; a machine that cannot run it (no Docker here) says so in
    # one line naming what is missing and how to install it, and exits 3.
    if out.returncode != 0:
        assert out.returncode == 3 and out.stderr.count("\n") == 1, out.stderr
        assert "cannot run the plan: --sovereign kind needs" in out.stderr
        assert "install" in out.stderr


def test_cli_plan_refuses_other_targets_in_one_line() -> None:
    out = subprocess.run([sys.executable, "-m", "e2e.cli", "plan", "--sovereign",
                          "emulated"], capture_output=True, text=True)
    assert out.returncode != 0
    assert out.stderr.count("\n") == 1 and "only the kind target has a plan" in out.stderr


def test_actions_in_the_issue_order() -> None:
    names = [a.name for a in golden_plan().actions]
    assert names == ["cluster", "gateway-api-crds", "cilium", "lb-ipam", "containers",
                     "container-services", "flux", "bootstrap-kit", "gateway-address"]
    # CRDs strictly before Cilium: Cilium's Gateway support will not start without them.
    assert names.index("gateway-api-crds") < names.index("cilium")


def test_every_action_has_a_timeout_and_says_what_it_does() -> None:
    for action in golden_plan().actions:
        assert action.timeout > 0 and action.title
        assert action.commands or action.waits or action.containers


def test_kind_config_facts() -> None:
    cfg = m.kind_config("sovereign-t7", load_versions().kind_node_image)
    assert cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4" and cfg["kind"] == "Cluster"
    assert cfg["networking"] == {"disableDefaultCNI": True, "kubeProxyMode": "none"}
    image = cfg["nodes"][0]["image"]
    assert image.startswith("kindest/node:v1.32.2@sha256:") and len(image.split(":")[-1]) == 64


def test_cluster_name_default_and_override(tmp_path: Path) -> None:
    base = Settings(sovereign="kind", cycle="t9", report_dir=tmp_path)
    assert KindProvider(base, runtime=NoRuntime()).plan().cluster == "sovereign-t9"
    named = Settings(sovereign="kind", cycle="t9", report_dir=tmp_path, kind_cluster="mine")
    plan = KindProvider(named, runtime=NoRuntime()).plan()
    assert plan.cluster == "mine"
    create = plan.action("cluster").commands[3].argv
    assert "--name=mine" in create and "--config" in create


def test_gateway_api_urls_standard_then_experimental_tlsroute() -> None:
    urls = m.gateway_api_urls("v1.1.0")
    assert urls[0].endswith("/releases/download/v1.1.0/standard-install.yaml")
    assert urls[1].endswith("/v1.1.0/config/crd/experimental/"
                            "gateway.networking.k8s.io_tlsroutes.yaml")


def test_cilium_values_facts() -> None:
    plan = golden_plan()
    install = plan.action("cilium").commands[1]
    assert install.argv[:8] == ["helm", "--kubeconfig", plan.kubeconfig, "upgrade",
                                "--install", "cilium", "cilium/cilium", "--version"]
    assert "--namespace" in install.argv and "kube-system" in install.argv
    values = yaml.safe_load(install.stdin or "")
    assert values["kubeProxyReplacement"] is True
    assert values["k8sServiceHost"] == "sovereign-t7-control-plane"
    assert values["k8sServicePort"] == 6443
    assert values["gatewayAPI"]["enabled"] is True
    assert values["ipam"]["mode"] == "kubernetes"
    assert values["l2announcements"]["enabled"] is True
    assert values["k8sClientRateLimit"]["qps"] > 5  # raised above the default


@pytest.mark.parametrize("subnet,pool", [("172.18.0.0/16", "172.18.255.224/27"),
                                         ("172.19.0.0/24", "172.19.0.224/27"),
                                         ("10.89.0.0/16", "10.89.255.224/27")])
def test_lb_pool_is_the_top_of_the_kind_subnet(subnet: str, pool: str) -> None:
    assert m.lb_pool_cidr(subnet) == pool


def test_lb_pool_refuses_a_subnet_too_small() -> None:
    with pytest.raises(ValueError, match="no room"):
        m.lb_pool_cidr("172.18.0.0/28")


def test_lb_ipam_objects() -> None:
    pool, policy = m.lb_ipam("172.18.255.224/27")
    assert pool["apiVersion"] == "cilium.io/v2alpha1"
    assert pool["kind"] == "CiliumLoadBalancerIPPool"
    assert pool["spec"]["blocks"] == [{"cidr": "172.18.255.224/27"}]
    assert policy["kind"] == "CiliumL2AnnouncementPolicy"
    assert policy["spec"]["loadBalancerIPs"] is True


def test_selector_less_service_and_endpointslice() -> None:
    svc, eps = m.external_service("gitea", "gitea-http", 3000, "172.18.0.5")
    assert "selector" not in svc["spec"]
    assert eps["metadata"]["labels"]["kubernetes.io/service-name"] == "gitea-http"
    assert eps["addressType"] == "IPv4"
    assert eps["endpoints"] == [{"addresses": ["172.18.0.5"], "conditions": {"ready": True}}]
    assert eps["ports"][0]["port"] == svc["spec"]["ports"][0]["port"] == 3000


def test_flux_objects() -> None:
    plan = golden_plan()
    docs = list(yaml.safe_load_all(plan.action("bootstrap-kit").commands[-1].stdin or ""))
    repo, ks = docs
    assert repo["kind"] == "GitRepository" and ks["kind"] == "Kustomization"
    assert ks["spec"]["sourceRef"] == {"kind": "GitRepository", "name": repo["metadata"]["name"]}
    assert ks["spec"]["postBuild"]["substitute"] == {
        "SOVEREIGN_FQDN": "sovereign.test", "KIND_API_HOST": "sovereign-t7-control-plane"}
    assert ks["spec"]["path"] == "./clusters/kind"
    # Flux from the chart bp-flux wraps, as release `flux` in flux-system: bp-flux (release
    # name `flux`) adopts it, as it could not adopt install.yaml's objects.
    install = plan.action("flux").commands[1].argv
    assert install[3:] == ["upgrade", "--install", "flux", "fluxcd-community/flux2",
                           "--version", "2.14.1", "--namespace", "flux-system"]
    kit_flux = yaml.safe_load((REPO / "clusters/emulated/base/bootstrap-kit/03-flux.yaml")
                              .read_text().split("---")[-1])
    assert kit_flux["spec"]["releaseName"] == "flux"
    assert kit_flux["spec"]["targetNamespace"] == "flux-system"


def test_the_pull_secret_and_signing_key_are_made_as_the_platform_makes_them() -> None:
    docs = list(yaml.safe_load_all(golden_plan().action("container-services")
                                   .commands[1].stdin or ""))
    by_name = {d["metadata"]["name"]: d for d in docs}
    pull = by_name["ghcr-pull"]
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    assert pull["data"] == {".dockerconfigjson": "${GHCR_DOCKERCONFIG}"}  # never printed
    key = by_name["newapi-bp-newapi-token-signing-key"]["metadata"]["annotations"]
    assert key["reflector.v1.k8s.emberstack.com/reflection-auto-namespaces"] == \
        "catalyst-system,sandbox"


def test_applies_are_server_side_with_our_field_manager() -> None:
    for argv in golden_plan().subprocess_argv():
        if argv[0] == "kubectl":
            assert "--server-side" in argv and "--field-manager=sovereign-e2e" in argv


def test_no_secret_in_the_plan() -> None:
    plan = golden_plan()
    text = plan.to_json()
    for name in ("GITEA_TOKEN", "NEWAPI_ADMIN_SECRET", "NEWAPI_SIGNING_KEY"):
        assert "${" + name + "}" in text  # only ever a placeholder
    for argv in plan.subprocess_argv():
        assert not any("${GITEA_TOKEN}" in a for a in argv)  # secrets go by stdin/env only


def test_containers_on_the_kind_network_with_the_marker() -> None:
    gitea, newapi = golden_plan().action("containers").containers
    assert gitea.image == load_versions().gitea_image
    assert gitea.env["GITEA__security__INSTALL_LOCK"] == "true"
    assert newapi.build == {"context": ".", "dockerfile": "stubs/newapi/Dockerfile"}
    for spec in (gitea, newapi):
        assert spec.network == "kind"
        assert spec.labels == {m.MARKER_LABEL: "sovereign-t7"}


def test_bad_bootstrap_kit_is_one_config_error(tmp_path: Path) -> None:
    settings = Settings(sovereign="kind", cycle="t1", report_dir=tmp_path,
                        platform_repo=tmp_path)
    with pytest.raises(ConfigError, match="no bootstrap-kit there"):
        KindProvider(settings, runtime=NoRuntime()).plan()
