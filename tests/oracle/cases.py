"""Request sequences sent alike to the emulated API and to the oracle.

Each case takes a RawApi and a fresh namespace (the same name on both servers) and returns
what is compared: the answers (status codes and bodies) or a projection that keeps the
point of the case (an error's causes, a watch's event types, the defaults of a spec).
The test normalises uids, timestamps, resourceVersions and generated names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from e2e.oracle.rawapi import Answer, RawApi, watch_events

Case = Callable[[RawApi, str], Any]
CASES: dict[str, Case] = {}
APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn
    return register


def _a(answer: Answer) -> list[Any]:
    return [answer.status, answer.body]


def cms(ns: str) -> str:
    return f"/api/v1/namespaces/{ns}/configmaps"


def deps(ns: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments"


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": data or {"k": "v"}}


def deployment(name: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}


def _causes(answer: Answer) -> list[Any]:
    """Status code, reason and the (field, reason) of every cause, sorted."""
    body = answer.body if isinstance(answer.body, dict) else {}
    causes = (body.get("details") or {}).get("causes") or []
    return [answer.status, body.get("reason"),
            sorted((c.get("field"), c.get("reason")) for c in causes)]


# -- reads, writes and their errors ------------------------------------------------------

@case("version")
def _version(api: RawApi, ns: str) -> Any:
    body = api.get("/version").body
    return [body["major"], body["minor"], body["gitVersion"].split("+")[0].split("-")[0]]


@case("create-then-get")
def _create_get(api: RawApi, ns: str) -> Any:
    return [_a(api.post(cms(ns), cm("a"))), _a(api.get(f"{cms(ns)}/a"))]


@case("get-404")
def _get_404(api: RawApi, ns: str) -> Any:
    return _a(api.get(f"{cms(ns)}/missing"))


@case("create-409-already-exists")
def _exists(api: RawApi, ns: str) -> Any:
    api.post(cms(ns), cm("twice"))
    return _a(api.post(cms(ns), cm("twice")))


@case("update-409-stale-resource-version")
def _stale(api: RawApi, ns: str) -> Any:
    created = api.post(cms(ns), cm("c")).body
    api.patch(f"{cms(ns)}/c", {"data": {"a": "1"}}, MERGE)
    stale = {**cm("c", b="2"), "metadata": {"name": "c", "resourceVersion":
                                           created["metadata"]["resourceVersion"]}}
    return _a(api.put(f"{cms(ns)}/c", stale))


@case("create-422-invalid-name")
def _invalid_name(api: RawApi, ns: str) -> Any:
    return _a(api.post(cms(ns), cm("Bad_Name")))


@case("create-422-deployment-causes")
def _invalid_deployment(api: RawApi, ns: str) -> Any:
    body = deployment("bad")
    body["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    body["spec"]["replicas"] = -1
    return _causes(api.post(deps(ns), body))


@case("create-404-namespace-missing")
def _ns_missing(api: RawApi, ns: str) -> Any:
    return _a(api.post(cms(f"{ns}-absent"), cm("a")))


@case("delete-answer")
def _delete(api: RawApi, ns: str) -> Any:
    api.post(cms(ns), cm("d"))
    return [_a(api.delete(f"{cms(ns)}/d")), api.get(f"{cms(ns)}/d").status]


@case("unauthenticated-401")
def _unauthenticated(api: RawApi, ns: str) -> Any:
    r = api.http.get("/api/v1/namespaces", headers={"Authorization": "Bearer wrong"})
    return [r.status_code, r.json()]


@case("list-limit-continue")
def _paging(api: RawApi, ns: str) -> Any:
    for n in ("p1", "p2", "p3"):
        api.post(cms(ns), cm(n))
    first = api.get(cms(ns), params={"limit": 2}).body
    token = first["metadata"].get("continue")
    rest = api.get(cms(ns), params={"limit": 2, "continue": token}).body if token else {}
    return [[i["metadata"]["name"] for i in first["items"]], bool(token),
            first["metadata"].get("remainingItemCount"),
            [i["metadata"]["name"] for i in rest.get("items", [])]]


@case("list-selectors")
def _selectors(api: RawApi, ns: str) -> Any:
    for n, tier in (("s1", "web"), ("s2", "db"), ("s3", "web")):
        api.post(cms(ns), {**cm(n), "metadata": {"name": n, "labels": {"tier": tier}}})
    names = lambda a: [i["metadata"]["name"] for i in a.body["items"]]  # noqa: E731
    return [names(api.get(cms(ns), params={"labelSelector": "tier in (web)"})),
            names(api.get(cms(ns), params={"labelSelector": "tier!=web"})),
            names(api.get(cms(ns), params={"fieldSelector": "metadata.name=s2"})),
            _a(api.get(cms(ns), params={"labelSelector": "tier in web"}))[0]]


@case("patches-merge-json-strategic")
def _patches(api: RawApi, ns: str) -> Any:
    api.post(deps(ns), deployment("p"))
    out = [api.patch(f"{deps(ns)}/p", {"metadata": {"labels": {"x": "1"}}}, MERGE).status]
    r = api.patch(f"{deps(ns)}/p", {"spec": {"template": {"spec": {"containers": [
        {"name": "side", "image": "busybox"}]}}}}, STRATEGIC)
    out.append([c["name"] for c in r.body["spec"]["template"]["spec"]["containers"]])
    r = api.patch(f"{deps(ns)}/p", [{"op": "test", "path": "/metadata/labels/x",
                                     "value": "2"}], JSON_PATCH)
    out.append(_a(r))
    return out


# -- dry-run and defaulting --------------------------------------------------------------

@case("dry-run-create")
def _dry_run(api: RawApi, ns: str) -> Any:
    r = api.post(cms(ns), cm("dry"), params={"dryRun": "All"})
    return [_a(r), api.get(f"{cms(ns)}/dry").status]


@case("defaulting-deployment")
def _default_deployment(api: RawApi, ns: str) -> Any:
    return api.post(deps(ns), deployment("web")).body.get("spec")


@case("defaulting-pod")
def _default_pod(api: RawApi, ns: str) -> Any:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}
    return api.post(f"/api/v1/namespaces/{ns}/pods", pod).body.get("spec")


@case("defaulting-service")
def _default_service(api: RawApi, ns: str) -> Any:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"selector": {"app": "s"}, "ports": [{"port": 80}]}}
    return api.post(f"/api/v1/namespaces/{ns}/services", svc).body.get("spec")


# -- Table, server-side apply, OpenAPI, discovery ----------------------------------------

@case("table-output")
def _table(api: RawApi, ns: str) -> Any:
    api.post(cms(ns), cm("t", a="1", b="2"))
    r = api.get(cms(ns), accept=TABLE)
    if not isinstance(r.body, dict) or r.body.get("kind") != "Table":
        return [r.status, r.body.get("kind") if isinstance(r.body, dict) else r.body]
    return [r.status, [c["name"] for c in r.body["columnDefinitions"]],
            [row["cells"][:-1] for row in r.body["rows"]]]  # the last cell is the age


@case("ssa-create-managed-fields")
def _ssa_create(api: RawApi, ns: str) -> Any:
    r = api.patch(f"{cms(ns)}/ssa", cm("ssa", a="1"), APPLY, params={"fieldManager": "alice"})
    return [r.status, (r.body.get("metadata") or {}).get("managedFields")]


@case("ssa-conflict-409")
def _ssa_conflict(api: RawApi, ns: str) -> Any:
    api.patch(f"{cms(ns)}/ssa", cm("ssa", a="1"), APPLY, params={"fieldManager": "alice"})
    return _a(api.patch(f"{cms(ns)}/ssa", cm("ssa", a="2"), APPLY,
                        params={"fieldManager": "bob"}))


@case("ssa-force-takes-ownership")
def _ssa_force(api: RawApi, ns: str) -> Any:
    api.patch(f"{cms(ns)}/ssa", cm("ssa", a="1", b="1"), APPLY,
              params={"fieldManager": "alice"})
    r = api.patch(f"{cms(ns)}/ssa", cm("ssa", a="2"), APPLY,
                  params={"fieldManager": "bob", "force": "true"})
    return [r.status, r.body.get("data"), (r.body.get("metadata") or {}).get("managedFields")]


@case("update-managed-fields")
def _update_managed(api: RawApi, ns: str) -> Any:
    r = api.post(cms(ns), cm("u"), params={"fieldManager": "carol"})
    return [r.status, (r.body.get("metadata") or {}).get("managedFields")]


@case("openapi-presence")
def _openapi(api: RawApi, ns: str) -> Any:
    v3 = api.get("/openapi/v3")
    paths = v3.body.get("paths", {}) if isinstance(v3.body, dict) else {}
    return [v3.status, [p in paths for p in ("api/v1", "apis/apps/v1",
                                             "apis/helm.toolkit.fluxcd.io/v2")],
            api.get("/openapi/v2").status]


@case("discovery-core")
def _discovery(api: RawApi, ns: str) -> Any:
    core = api.get("/api/v1").body
    return [api.get("/api").body.get("versions"),
            sorted(r["verbs"] for r in core["resources"] if r["name"] == "configmaps")]


@case("crd-schema-422")
def _crd_schema(api: RawApi, ns: str) -> Any:
    hr = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
          "metadata": {"name": "bad"}, "spec": {"interval": 5}}
    return _causes(api.post(f"/apis/helm.toolkit.fluxcd.io/v2/namespaces/{ns}/helmreleases",
                            hr))


@case("scale-subresource")
def _scale(api: RawApi, ns: str) -> Any:
    api.post(deps(ns), deployment("sc"))
    r = api.patch(f"{deps(ns)}/sc/scale", {"spec": {"replicas": 3}}, MERGE)
    return [_a(r), api.get(f"{deps(ns)}/sc").body["spec"]["replicas"]]


# -- watch -------------------------------------------------------------------------------

def _event(e: Any) -> Any:
    if not isinstance(e, dict):
        return e
    obj = e.get("object") or {}
    if e.get("type") == "ERROR":
        return [e["type"], obj.get("code"), obj.get("reason")]
    return [e.get("type"), (obj.get("metadata") or {}).get("name"), obj.get("data")]


@case("watch-replays-from-resource-version")
def _watch_replay(api: RawApi, ns: str) -> Any:
    rv = api.get(cms(ns)).body["metadata"]["resourceVersion"]
    api.post(cms(ns), cm("w", n="1"))
    api.patch(f"{cms(ns)}/w", {"data": {"n": "2"}}, MERGE)
    api.delete(f"{cms(ns)}/w")
    status, events = watch_events(api, cms(ns), {"resourceVersion": rv, "timeoutSeconds": 1})
    return [status, [_event(e) for e in events]]


@case("watch-410-expired")
def _watch_expired(api: RawApi, ns: str) -> Any:
    # Enough writes that resourceVersion 1 is history on both servers.
    for i in range(3):
        api.post(cms(ns), cm(f"e{i}"))
    status, events = watch_events(api, cms(ns), {"resourceVersion": "1", "timeoutSeconds": 1})
    return [status, [_event(e) for e in events][:1]]


@case("watch-initial-events-bookmark")
def _watch_initial(api: RawApi, ns: str) -> Any:
    api.post(cms(ns), cm("i1"))
    time.sleep(0.2)  # let the watch cache see it (the real server's is eventually fresh)
    status, events = watch_events(api, cms(ns), {
        "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan",
        "allowWatchBookmarks": "true", "timeoutSeconds": 2})
    shaped = []
    for e in events:  # up to the first bookmark: the end of the initial events
        if isinstance(e, dict) and e.get("type") == "BOOKMARK":
            shaped.append(["BOOKMARK", (e["object"].get("metadata") or {}).get("annotations")])
            break
        shaped.append(_event(e))
    return [status, shaped]


@case("watch-idle-until-timeout")
def _watch_idle(api: RawApi, ns: str) -> Any:
    """Bookmarks allowed, nothing changes, the watch times out: what arrives."""
    rv = api.get(cms(ns)).body["metadata"]["resourceVersion"]
    status, events = watch_events(api, cms(ns), {"resourceVersion": rv, "timeoutSeconds": 1,
                                                 "allowWatchBookmarks": "true"})
    return [status, [e.get("type") if isinstance(e, dict) else e for e in events]]
