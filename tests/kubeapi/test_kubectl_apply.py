"""`kubectl apply --server-side` against the API: field managers, conflicts, force, pruning.

Run as written against the real kube-apiserver too (tests/oracle/probes)."""

from __future__ import annotations

from typing import Any

import yaml
from kubernetes import client

from .kubectl import Kubectl


def _manifest(ns: str, replicas: int = 2, labels: dict[str, str] | None = None) -> str:
    meta: dict[str, Any] = {"name": "web", "namespace": ns}
    if labels:
        meta["labels"] = labels
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app",
                                                       "image": "nginx:1.27"}]}}}})


def _owners(kubectl: Kubectl, ns: str) -> dict[str, list[str]]:
    """manager -> the top-level spec fields it owns, from --show-managed-fields."""
    obj = kubectl.json("get", "deployment", "web", "-n", ns, "--show-managed-fields")
    return {f"{e['manager']}/{e['operation']}": sorted(e["fieldsV1"].get("f:spec", {}))
            for e in obj["metadata"]["managedFields"]}


def test_server_side_apply_conflict_then_force(kubectl: Kubectl, apps: client.AppsV1Api,
                                                ns: str) -> None:
    applied = kubectl.out("apply", "--server-side", "--field-manager=alice", "-f", "-",
                          stdin=_manifest(ns, 2, {"tier": "front"}))
    assert applied.strip() == "deployment.apps/web serverside-applied"
    assert _owners(kubectl, ns) == {
        "alice/Apply": ["f:replicas", "f:selector", "f:template"]}

    refused = kubectl.run("apply", "--server-side", "--field-manager=bob", "-f", "-",
                          stdin=_manifest(ns, 4), check=False)
    assert refused.returncode != 0
    assert ('error: Apply failed with 1 conflict: conflict with "alice": .spec.replicas'
            in refused.stderr)
    assert "--force-conflicts" in refused.stderr
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 2

    kubectl.out("apply", "--server-side", "--field-manager=bob", "--force-conflicts",
                "-f", "-", stdin=_manifest(ns, 4))
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 4
    owners = _owners(kubectl, ns)
    assert owners["bob/Apply"] == ["f:replicas", "f:selector", "f:template"]
    assert owners["alice/Apply"] == ["f:selector", "f:template"]  # replicas went to bob


def test_server_side_apply_removes_what_the_manager_stops_applying(
        kubectl: Kubectl, apps: client.AppsV1Api, ns: str) -> None:
    kubectl.out("apply", "--server-side", "-f", "-", stdin=_manifest(ns, 2, {"tier": "front"}))
    assert apps.read_namespaced_deployment("web", ns).metadata.labels == {"tier": "front"}
    kubectl.out("apply", "--server-side", "-f", "-", stdin=_manifest(ns, 2))
    assert not apps.read_namespaced_deployment("web", ns).metadata.labels


def test_server_side_apply_dry_run_and_co_ownership(kubectl: Kubectl, apps: client.AppsV1Api,
                                                    ns: str) -> None:
    kubectl.out("apply", "--server-side", "--field-manager=alice", "-f", "-",
                stdin=_manifest(ns, 2))
    dry = kubectl.out("apply", "--server-side", "--field-manager=alice", "--dry-run=server",
                      "-f", "-", stdin=_manifest(ns, 5))
    assert dry.strip() == "deployment.apps/web serverside-applied (server dry run)"
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 2
    # Applying the value another manager owns is no conflict: both own it then.
    kubectl.out("apply", "--server-side", "--field-manager=bob", "-f", "-",
                stdin=_manifest(ns, 2))
    owners = _owners(kubectl, ns)
    assert "f:replicas" in owners["alice/Apply"] and "f:replicas" in owners["bob/Apply"]


def test_kubectl_scale_takes_replicas_from_the_applier(kubectl: Kubectl, ns: str) -> None:
    kubectl.out("apply", "--server-side", "--field-manager=alice", "-f", "-",
                stdin=_manifest(ns, 2))
    kubectl.out("scale", "deployment/web", "-n", ns, "--replicas=3")
    owners = _owners(kubectl, ns)
    assert owners["kubectl/Update"] == ["f:replicas"]
    assert "f:replicas" not in owners["alice/Apply"]
    refused = kubectl.run("apply", "--server-side", "--field-manager=alice", "-f", "-",
                          stdin=_manifest(ns, 2), check=False)
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' \
        in refused.stderr


def test_server_side_apply_after_client_side_apply(kubectl: Kubectl, apps: client.AppsV1Api,
                                                   ns: str) -> None:
    """kubectl upgrades a client-side applied object: its own server-side apply takes over
    the fields the last-applied annotation names; another manager conflicts with kubectl."""
    assert kubectl.out("apply", "-f", "-", stdin=_manifest(ns, 2)).strip() == \
        "deployment.apps/web created"
    kubectl.out("apply", "--server-side", "-f", "-", stdin=_manifest(ns, 3))
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 3
    assert "f:replicas" in _owners(kubectl, ns)["kubectl/Apply"]
    refused = kubectl.run("apply", "--server-side", "--field-manager=other", "-f", "-",
                          stdin=_manifest(ns, 4), check=False)
    assert 'conflict with "kubectl": .spec.replicas' in refused.stderr
