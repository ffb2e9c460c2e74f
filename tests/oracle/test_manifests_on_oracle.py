"""Requirement: every manifest we ship is accepted by a real API server.

Every CRD in clusters/emulated/crds/ is installed on the oracle, then every manifest of the
default Sovereign and of every scenario overlay is server-side applied with dryRun=All
(Namespaces for real: a namespaced dry-run needs its namespace). A rejection is a failure
naming the file and the server's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.oracle.apply import Discovery, apply, message
from e2e.oracle.rawapi import RawApi
from stubs.emulator import manifests
from stubs.emulator.runtime import DEFAULT_CRDS_DIR, load_manifests

REPO = Path(__file__).resolve().parents[2]
BASE = manifests.DEFAULT_MANIFESTS_DIR
OVERLAYS = sorted(p.parent for p in (REPO / "scenarios").rglob("overlay/kustomization.yaml"))
VARIABLES = {"SOVEREIGN_FQDN": "sovereign.test"}

Doc = dict[str, Any]


def _id(doc: Doc) -> tuple[str, str, str, str]:
    meta = doc.get("metadata") or {}
    return (str(doc.get("apiVersion")), str(doc.get("kind")), str(meta.get("namespace", "")),
            str(meta.get("name", "")))


def _show(doc: Doc) -> str:
    _, kind, ns, name = _id(doc)
    return f"{kind} {ns + '/' if ns else ''}{name}"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def _base_files() -> dict[tuple[str, str, str, str], str]:
    """Object id -> the base file it comes from (before substitution: ids carry no ${...})."""
    out: dict[tuple[str, str, str, str], str] = {}
    for f in sorted(p for p in BASE.rglob("*") if p.suffix in (".yaml", ".yml")):
        for doc in load_manifests([f]):
            out[_id(doc)] = _rel(f)
    return out


def _overlay_source(overlay: Path, doc: Doc, base: dict[tuple[str, str, str, str], str]) -> str:
    for f in sorted(overlay.rglob("*.y*ml")):
        if f.name != "kustomization.yaml" and any(
                _id(d) == _id(doc) for d in load_manifests([f])):
            return _rel(f)
    where = base.get(_id(doc), "?")
    return f"{_rel(overlay / 'kustomization.yaml')} (a patch of {where})"


def _check(api: RawApi, discovery: Discovery, docs: list[tuple[str, Doc]]) -> list[str]:
    """Namespaces first (dry-run, then for real), then every object dry-run."""
    rejected: list[str] = []
    ordered = sorted(docs, key=lambda sd: sd[1].get("kind") != "Namespace")
    for source, doc in ordered:
        answer = apply(api, discovery, doc, dry_run=True)
        if answer.status >= 300:
            rejected.append(f"{source}: {_show(doc)}: {message(answer)}")
        elif doc.get("kind") == "Namespace":
            apply(api, discovery, doc, dry_run=False)
    return rejected


@pytest.mark.parametrize("crd_file", sorted(_rel(f) for f in DEFAULT_CRDS_DIR.glob("*.y*ml")))
def test_crds_are_accepted_and_established(crds_installed: dict[str, list[str]],
                                           crd_file: str) -> None:
    assert crd_file in crds_installed
    assert not crds_installed[crd_file], "\n".join(crds_installed[crd_file])


def test_default_sovereign_manifests_are_accepted(
        oracle_raw: RawApi, crds_installed: dict[str, list[str]]) -> None:
    base = _base_files()
    docs = manifests.build(BASE, variables=VARIABLES)
    sourced = [(base.get(_id(d), "?"), d) for d in docs]
    assert len(sourced) > 20, "the default Sovereign should have its namespaces, gateway, kit"
    rejected = _check(oracle_raw, Discovery(oracle_raw), sourced)
    assert not rejected, "the real API server rejects:\n" + "\n".join(rejected)


@pytest.mark.parametrize("overlay", OVERLAYS,
                         ids=[str(p.parent.relative_to(REPO / "scenarios")) for p in OVERLAYS])
def test_overlay_manifests_are_accepted(oracle_raw: RawApi,
                                        crds_installed: dict[str, list[str]],
                                        overlay: Path) -> None:
    """Only what the overlay adds or changes: the rest is the default Sovereign's."""
    base_files = _base_files()
    default = {_id(d): d for d in manifests.build(BASE, variables=VARIABLES)}
    changed = [d for d in manifests.build(BASE, [overlay], variables=VARIABLES)
               if default.get(_id(d)) != d]
    assert changed, f"{_rel(overlay)} changes nothing the real server could check"
    sourced = [(_overlay_source(overlay, d, base_files), d) for d in changed]
    # The namespaces they live in (created for real; a namespaced dry-run needs them).
    sourced += [(base_files.get(i, "?"), d) for i, d in default.items() if i[1] == "Namespace"]
    rejected = _check(oracle_raw, Discovery(oracle_raw), sourced)
    assert not rejected, "the real API server rejects:\n" + "\n".join(rejected)


def test_a_rejection_names_the_file_and_the_server_message(
        oracle_raw: RawApi, crds_installed: dict[str, list[str]]) -> None:
    """The check can fail: a Deployment whose selector misses its template's labels, and a
    HelmRelease of a kind the CRDs do not serve."""
    bad = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "bad", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "x"}},
                    "template": {"metadata": {"labels": {"app": "y"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    unknown = {"apiVersion": "helm.toolkit.fluxcd.io/v9", "kind": "HelmRelease",
               "metadata": {"name": "x", "namespace": "default"}}
    rejected = _check(oracle_raw, Discovery(oracle_raw),
                      [("base/bad.yaml", bad), ("overlay/unknown.yaml", unknown)])
    assert len(rejected) == 2
    assert rejected[0].startswith("base/bad.yaml: Deployment default/bad: HTTP 422 Invalid:")
    assert "`selector` does not match template `labels`" in rejected[0]
    assert rejected[1].startswith("overlay/unknown.yaml: HelmRelease default/x: HTTP 404")
