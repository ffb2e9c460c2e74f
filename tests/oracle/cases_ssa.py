"""Server-side apply and field ownership: sequences sent alike to the emulated API and the
oracle (registered into cases.CASES). Each answer is projected to what field ownership
decides: the status, the object's data, the managedFields entries (without their time,
which is the clock's), and for a 409 the reason, message and causes."""

from __future__ import annotations

import copy
import json
from typing import Any

from e2e.oracle.rawapi import Answer, RawApi
from tests.oracle.cases import APPLY, MERGE, STRATEGIC, case, cm, cms, deployment, deps


def _owners(body: Any) -> list[Any]:
    entries = ((body.get("metadata") or {}).get("managedFields") or []) \
        if isinstance(body, dict) else []
    shaped = [{k: v for k, v in e.items() if k != "time"} for e in entries]
    # Entries sort by time first; within one test the clock may tick between writes.
    return sorted(shaped, key=lambda e: (e["operation"], e["manager"],
                                         e.get("subresource", "")))


def _answer(answer: Answer, *fields: str) -> list[Any]:
    body = answer.body if isinstance(answer.body, dict) else {}
    if body.get("kind") == "Status":
        causes = (body.get("details") or {}).get("causes") or []
        return [answer.status, body.get("reason"), body.get("message"),
                sorted((c.get("field"), c.get("reason"), c.get("message")) for c in causes)]
    picked = {}
    for path in fields:
        cur: Any = body
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        picked[path] = cur
    return [answer.status, picked, _owners(body)]


def _apply(api: RawApi, path: str, body: Any, manager: str, force: bool = False) -> Answer:
    params = {"fieldManager": manager, **({"force": "true"} if force else {})}
    return api.patch(path, body, APPLY, params=params)


@case("ssa-update-then-apply-conflicts")
def _update_then_apply(api: RawApi, ns: str) -> Any:
    """An update takes a field from an applier; the applier's old value conflicts (naming
    the updater "using v1"), the same value does not; several owners, several causes."""
    path = f"{cms(ns)}/own"
    labelled = {**cm("own", a="1", b="2"), "metadata": {"name": "own", "labels": {"x": "1"}}}
    out = [_answer(_apply(api, path, labelled, "alice"), "data")]
    out.append(_answer(api.patch(path, {"data": {"a": "9", "c": "3"}}, MERGE,
                                 params={"fieldManager": "bob"}), "data"))
    out.append(_answer(_apply(api, path, cm("own", a="1"), "alice")))
    out.append(_answer(_apply(api, path, cm("own", a="9"), "alice"), "data", "metadata.labels"))
    out.append(_answer(_apply(api, path, cm("own", a="5", c="5"), "carol")))
    out.append(_answer(_apply(api, path, cm("own", a="5", c="5"), "carol", force=True),
                       "data"))
    return out


@case("ssa-apply-prunes-what-it-stops-applying")
def _prune(api: RawApi, ns: str) -> Any:
    path = f"{cms(ns)}/prune"
    full = {**cm("prune", a="1", b="2"), "metadata": {"name": "prune", "labels": {"x": "1"}}}
    out = [_answer(_apply(api, path, full, "alice"), "data", "metadata.labels")]
    out.append(_answer(_apply(api, path, cm("prune", a="1"), "alice"), "data",
                       "metadata.labels"))
    out.append(_answer(_apply(api, path, cm("prune"), "alice"), "data"))
    return out


def _app(name: str, containers: list[str]) -> dict[str, Any]:
    body = deployment(name)
    body["spec"]["template"]["spec"]["containers"] = [
        {"name": c, "image": "nginx:1"} for c in containers]
    return body


@case("ssa-deployment-lists-by-key")
def _deployment_lists(api: RawApi, ns: str) -> Any:
    """Containers, env and ports are keyed lists (ports by containerPort and the defaulted
    protocol), finalizers a set, args and tolerations atomic; the selector is atomic; a
    second applier's containers merge in structured-merge-diff's order; an applier that
    drops a container removes it, with what another manager owned inside it."""
    path = f"{deps(ns)}/lists"
    body = _app("lists", ["c"])
    body["metadata"]["finalizers"] = ["example.com/keep"]
    body["spec"]["replicas"] = 2
    pod = body["spec"]["template"]["spec"]
    pod["containers"][0].update(args=["a", "b"], ports=[{"containerPort": 80}],
                                env=[{"name": "E", "value": "1"}])
    pod["tolerations"] = [{"key": "k", "operator": "Exists"}]
    out = [_answer(_apply(api, path, body, "alice"))]
    out.append(_answer(_apply(api, path, _app("lists", ["d", "c", "e"]), "bob"),
                       "spec.template.spec.containers"))
    out.append(_answer(api.patch(path, {"spec": {"template": {"spec": {"containers": [
        {"name": "d", "image": "busybox"}]}}}}, STRATEGIC, params={"fieldManager": "carol"})))
    out.append(_answer(_apply(api, path, _app("lists", ["e"]), "bob"),
                       "spec.template.spec.containers"))
    replicas = copy.deepcopy(body)
    replicas["spec"]["replicas"] = 5
    out.append(_answer(_apply(api, path, replicas, "dave")))
    return out


@case("ssa-create-update-entries")
def _create_entries(api: RawApi, ns: str) -> Any:
    """A create records the defaulted fields as the creator's (maps it creates marked
    "."); /status and /scale writes are their own entries with a subresource."""
    created = api.post(deps(ns), deployment("made"), params={"fieldManager": "maker"})
    out = [_answer(created)]
    out.append(_answer(api.patch(f"{deps(ns)}/made/status", {"status": {"replicas": 1}},
                                 MERGE, params={"fieldManager": "kcm"})))
    api.patch(f"{deps(ns)}/made/scale", {"spec": {"replicas": 3}}, MERGE,
              params={"fieldManager": "hpa"})
    out.append(_answer(api.get(f"{deps(ns)}/made"), "spec.replicas"))
    return out


@case("ssa-custom-resource")
def _custom_resource(api: RawApi, ns: str) -> Any:
    """A HelmRelease (shipped CRD: spec preserves unknown fields, so lists are atomic and
    objects granular) applied by one manager, changed by another."""
    path = f"/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases"
    hr = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
          "metadata": {"name": "app"},
          "spec": {"interval": "5m", "chart": {"spec": {"chart": "app", "sourceRef": {
              "kind": "HelmRepository", "name": "repo"}}},
                   "values": {"list": [1, 2], "nested": {"x": 1}}}}
    out = [_answer(_apply(api, f"{path}/app", hr, "flux"), "spec.values")]
    out.append(_answer(api.post(path, {**hr, "metadata": {"name": "made"}},
                                params={"fieldManager": "maker"})))
    changed = copy.deepcopy(hr)
    changed["spec"]["values"]["list"] = [3]
    out.append(_answer(_apply(api, f"{path}/app", changed, "other")))
    return out


@case("ssa-kubectl-takes-over-client-side-apply")
def _after_client_side_apply(api: RawApi, ns: str) -> Any:
    """Manager "kubectl" may take over what the last-applied annotation names; any other
    manager conflicts."""
    config = cm("csa", a="1")
    annotated = {**config, "metadata": {"name": "csa", "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(config)}}}
    out = [_answer(api.post(cms(ns), annotated,
                            params={"fieldManager": "kubectl-client-side-apply"}))]
    out.append(_answer(_apply(api, f"{cms(ns)}/csa", cm("csa", a="2"), "other")))
    out.append(_answer(_apply(api, f"{cms(ns)}/csa", cm("csa", a="2"), "kubectl"), "data"))
    out.append(_answer(_apply(api, f"{cms(ns)}/csa", cm("csa", a="3"), "other")))
    return out
