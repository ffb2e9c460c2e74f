"""Requirement: the emulator's CRD schemas (clusters/emulated/crds, written from the pinned
upstream versions) accept every object the platform ships, and prune none of its fields.

Every document of the default Sovereign and of every scenario overlay whose kind has a
schema is defaulted, pruned and validated as the emulated API does on a create; it must
come out valid and keep every field it was written with. (That kube-apiserver refuses
what these schemas refuse is tests/oracle/test_crd_schemas_on_oracle.py.)
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from stubs.emulator import manifests
from stubs.emulator.kubeapi import crdvalidation
from stubs.emulator.kubeapi.defaults import apply_defaults, storage_schema
from stubs.emulator.runtime import DEFAULT_CRDS_DIR, load_manifests

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.parent for p in (REPO / "scenarios").rglob("overlay/kustomization.yaml"))
VARIABLES = {"SOVEREIGN_FQDN": "sovereign.test"}


def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(group, kind) -> the storage version's schema, for CRDs with a described spec."""
    out = {}
    for doc in load_manifests(sorted(DEFAULT_CRDS_DIR.glob("*.yaml"))):
        schema = storage_schema(doc)
        if (schema.get("properties") or {}).get("spec", {}).get("properties"):
            out[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = schema
    return out


SCHEMAS = _schemas()


def _problems(docs: list[dict[str, Any]]) -> list[str]:
    problems = []
    for doc in docs:
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        schema = SCHEMAS.get((group, str(doc.get("kind"))))
        if schema is None:
            continue
        name = f"{doc['kind']} {doc['metadata'].get('namespace', '')}/{doc['metadata']['name']}"
        pruned = copy.deepcopy(doc)
        crdvalidation.prune(pruned, schema)
        if pruned != doc:
            problems.append(f"{name}: the schema prunes fields it was written with")
        apply_defaults(pruned, schema)  # as a create: defaulted, then validated
        causes = crdvalidation.validate(pruned, schema)
        problems += [f"{name}: {c['field']}: {c['message']}" for c in causes]
    return problems


def test_the_described_kinds_are_the_platforms() -> None:
    assert {kind for _, kind in SCHEMAS} >= {"Gateway", "HTTPRoute", "GatewayClass",
                                             "HelmRelease", "Kustomization", "GitRepository",
                                             "HelmRepository"}


def test_the_default_sovereign_meets_the_schemas() -> None:
    docs = manifests.build(manifests.DEFAULT_MANIFESTS_DIR, variables=VARIABLES)
    described = [d for d in docs if (str(d.get("apiVersion", "")).rpartition("/")[0],
                                     d.get("kind")) in SCHEMAS]
    assert len(described) > 10, "the default Sovereign has a gateway, sources and releases"
    assert not _problems(docs), "\n".join(_problems(docs))


@pytest.mark.parametrize("overlay", OVERLAYS,
                         ids=[str(p.parent.relative_to(REPO / "scenarios")) for p in OVERLAYS])
def test_every_overlay_meets_the_schemas(overlay: Path) -> None:
    docs = manifests.build(manifests.DEFAULT_MANIFESTS_DIR, [overlay], variables=VARIABLES)
    assert not _problems(docs), "\n".join(_problems(docs))


def test_the_check_can_fail() -> None:
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "r", "namespace": "n"},
             "spec": {"hostnames": ["Bad_Host"], "typo": 1}}
    assert _problems([route]) == [
        "HTTPRoute n/r: the schema prunes fields it was written with",
        "HTTPRoute n/r: spec.hostnames[0]: Invalid value: \"Bad_Host\": spec.hostnames[0] in "
        "body should match '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
        "[a-z0-9])?)*$'"]
