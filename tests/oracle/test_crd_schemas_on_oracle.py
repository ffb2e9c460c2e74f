"""Requirement: the emulated API refuses an invalid HTTPRoute, Gateway, HelmRelease,
Kustomization, GitRepository or HelmRepository as kube-apiserver does with upstream's CRDs
(Gateway API v1.1.0, Flux v2.4.0), and accepts and defaults a valid one alike.

Each object goes to an emulated API server (our hand-written CRD schemas) and to a real
kube-apiserver holding upstream's CRDs. Invalid ones: both answer 422 Invalid with the same
causes (field, reason and message), except that a CEL rule's message is our own wording
(docs/DESIGN.md, "CRD schemas"), so it is compared as `<rule>`. Valid ones: both answer 201
and store the same spec (the schemas' defaults applied).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.oracle.rawapi import Answer, RawApi
from stubs.emulator.runtime import Emulator, EmulatorThread

NS = "crd-schemas"
GW, HELM = "gateway.networking.k8s.io/v1", "helm.toolkit.fluxcd.io/v2"
KUST, SOURCE = "kustomize.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1"
PLURALS = {"HTTPRoute": "httproutes", "Gateway": "gateways", "GatewayClass": "gatewayclasses",
           "HelmRelease": "helmreleases", "Kustomization": "kustomizations",
           "GitRepository": "gitrepositories", "HelmRepository": "helmrepositories"}
# A CEL cause: kube-apiserver words it `Invalid value: "<type>": <the rule's message>`.
_CEL = re.compile(
    r'^Invalid value: "(object|array|string|integer|number|boolean)": (?!.* in body )')


def _route(**spec: Any) -> dict[str, Any]:
    base = {"parentRefs": [{"name": "gw"}],
            "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]}
    return {"apiVersion": GW, "kind": "HTTPRoute", "spec": {**base, **spec}}


def _rule(**rule: Any) -> list[dict[str, Any]]:
    return [{"backendRefs": [{"name": "svc", "port": 80}], **rule}]


def _path(kind: str, value: str) -> list[dict[str, Any]]:
    return _rule(matches=[{"path": {"type": kind, "value": value}}])


def _gateway(*listeners: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": GW, "kind": "Gateway",
            "spec": {"gatewayClassName": "cilium", "listeners": list(listeners), **spec}}


def _listener(name: str = "http", protocol: str = "HTTP", port: int = 80,
              **more: Any) -> dict[str, Any]:
    return {"name": name, "protocol": protocol, "port": port, **more}


def _release(**spec: Any) -> dict[str, Any]:
    base = {"interval": "10m", "chart": {"spec": {
        "chart": "app", "sourceRef": {"kind": "HelmRepository", "name": "repo"}}}}
    return {"apiVersion": HELM, "kind": "HelmRelease", "spec": {**base, **spec}}


def _kustomization(**spec: Any) -> dict[str, Any]:
    base = {"interval": "10m", "prune": True, "path": "./clusters/x",
            "sourceRef": {"kind": "GitRepository", "name": "repo"}}
    return {"apiVersion": KUST, "kind": "Kustomization",
            "spec": {k: v for k, v in {**base, **spec}.items() if v is not None}}


def _git(**spec: Any) -> dict[str, Any]:
    base = {"interval": "1m", "url": "https://gitea.example/org/repo.git",
            "ref": {"branch": "main"}}
    return {"apiVersion": SOURCE, "kind": "GitRepository",
            "spec": {k: v for k, v in {**base, **spec}.items() if v is not None}}


def _helm_repo(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": SOURCE, "kind": "HelmRepository",
            "spec": {"url": "https://charts.example", "interval": "15m", **spec}}


_REDIRECT = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}
INVALID: dict[str, dict[str, Any]] = {
    "route-path-relative": _route(rules=_path("PathPrefix", "api")),
    "route-path-double-slash": _route(rules=_path("Exact", "/a//b")),
    "route-path-dot-segment-and-hash": _route(rules=_path("PathPrefix", "/a/../b#c")),
    "route-path-bad-chars": _route(rules=_path("PathPrefix", "/a b")),
    "route-path-type": _route(rules=_path("Prefix", "/")),
    "route-hostname": _route(hostnames=["Bad_Host.example"]),
    "route-hostnames-too-many": _route(hostnames=[f"h{i}.example" for i in range(17)]),
    "route-service-without-port": _route(rules=[{"backendRefs": [{"name": "svc"}]}]),
    "route-port-range": _route(rules=[{"backendRefs": [{"name": "svc", "port": 70000}]}]),
    "route-weight-negative": _route(rules=[{"backendRefs": [{"name": "s", "port": 1,
                                                             "weight": -1}]}]),
    "route-parent-without-name": _route(parentRefs=[{"namespace": "kube-system"}]),
    "route-parent-section-mixed": _route(parentRefs=[{"name": "gw"},
                                                     {"name": "gw", "sectionName": "https"}]),
    "route-parent-section-repeated": _route(parentRefs=[
        {"name": "gw", "sectionName": "https"}, {"name": "gw", "sectionName": "https"}]),
    "route-redirect-with-backends": _route(rules=_rule(filters=[_REDIRECT])),
    "route-filter-without-settings": _route(rules=[{"filters": [{"type": "URLRewrite"}]}]),
    "route-filters-repeated": _route(rules=[{"filters": [_REDIRECT, _REDIRECT]}]),
    "route-filter-type": _route(rules=[{"filters": [{"type": "Rewrite"}]}]),
    "route-redirect-status": _route(rules=[{"filters": [{
        "type": "RequestRedirect", "requestRedirect": {"statusCode": 303}}]}]),
    "route-rewrite-prefix-unset": _route(rules=_rule(filters=[{
        "type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch",
                                                      "replaceFullPath": "/x"}}}])),
    "route-rewrite-prefix-two-matches": _route(rules=_rule(
        matches=[{"path": {"value": "/a"}}, {"path": {"value": "/b"}}],
        filters=[{"type": "URLRewrite", "urlRewrite": {"path": {
            "type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}])),
    "route-mirror-without-port": _route(rules=_rule(filters=[{
        "type": "RequestMirror", "requestMirror": {"backendRef": {"name": "m"}}}])),
    "route-header-modifier-name": _route(rules=_rule(filters=[{
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"set": [{"name": "bad name", "value": "x"}]}}])),
    "route-header-duplicate": _route(rules=_rule(matches=[{"headers": [
        {"name": "x-a", "value": "1"}, {"name": "x-a", "value": "2"}]}])),
    "route-method": _route(rules=_rule(matches=[{"method": "FETCH"}])),
    "route-without-spec": {"apiVersion": GW, "kind": "HTTPRoute"},
    "gateway-no-listeners": _gateway(),
    "gateway-no-class": {"apiVersion": GW, "kind": "Gateway",
                         "spec": {"listeners": [_listener()]}},
    "gateway-http-with-tls": _gateway(_listener(tls={"certificateRefs": [{"name": "c"}]})),
    "gateway-tcp-with-hostname": _gateway(_listener(protocol="TCP", hostname="a.example")),
    "gateway-listener-names-repeated": _gateway(_listener(), _listener(port=8080)),
    "gateway-listeners-clash": _gateway(_listener("a"), _listener("b")),
    "gateway-port-zero": _gateway(_listener(port=0)),
    "gateway-protocol-pattern": _gateway(_listener(protocol="HT TP")),
    "gateway-terminate-without-certificate": _gateway(_listener(protocol="HTTPS", port=443,
                                                                tls={"mode": "Terminate"})),
    "gateway-https-passthrough": _gateway(_listener(protocol="HTTPS", port=443,
                                                    tls={"mode": "Passthrough"})),
    "gateway-allowed-from": _gateway(_listener(allowedRoutes={"namespaces": {
        "from": "Everywhere"}})),
    "gateway-hostname-pattern": _gateway(_listener(hostname="*.Bad")),
    "release-no-interval": _release(interval=None),
    "release-interval-pattern": _release(interval="5 minutes"),
    "release-no-chart": {"apiVersion": HELM, "kind": "HelmRelease",
                         "spec": {"interval": "5m"}},
    "release-chart-and-chartref": _release(chartRef={"kind": "OCIRepository", "name": "o"}),
    "release-source-kind": _release(chart={"spec": {"chart": "app", "sourceRef": {
        "kind": "OCIRepository", "name": "repo"}}}),
    "release-no-source": _release(chart={"spec": {"chart": "app"}}),
    "release-name-too-long": _release(releaseName="r" * 60),
    "release-values-from-kind": _release(valuesFrom=[{"kind": "Map", "name": "m"}]),
    "release-retries-type": _release(install={"remediation": {"retries": "3"}}),
    "release-strategy": _release(upgrade={"remediation": {"strategy": "revert"}}),
    "kustomization-no-source-no-prune": _kustomization(sourceRef=None, prune=None),
    "kustomization-source-kind": _kustomization(sourceRef={"kind": "HelmRepository",
                                                           "name": "r"}),
    "kustomization-interval-days": _kustomization(interval="1d"),
    "kustomization-prune-type": _kustomization(prune="yes"),
    "kustomization-substitute-type": _kustomization(postBuild={"substitute": {"A": 5}}),
    "git-url-scp": _git(url="git@gitea.example:org/repo.git"),
    "git-no-interval": _git(interval=None),
    "git-branch-type": _git(ref={"branch": 5}),
    "git-timeout-hours": _git(timeout="1h"),
    "helmrepo-type-and-url": _helm_repo(type="git", url="ftp://charts.example"),
    "gatewayclass-controller-name": {"apiVersion": GW, "kind": "GatewayClass",
                                     "spec": {"controllerName": "cilium"}},
}
VALID: dict[str, dict[str, Any]] = {
    "route-full": _route(
        hostnames=["*.example.com", "a.example.com"],
        parentRefs=[{"name": "gw", "sectionName": "https"},
                    {"name": "gw", "sectionName": "http", "namespace": "kube-system"}],
        rules=[{"matches": [{"path": {"type": "RegularExpression", "value": "^/a+$"},
                             "headers": [{"name": "x-a", "value": "1"}],
                             "queryParams": [{"name": "q", "value": "1"}],
                             "method": "GET"}],
                "filters": [{"type": "RequestHeaderModifier",
                             "requestHeaderModifier": {"set": [{"name": "x-b",
                                                                "value": "2"}]}}],
                "backendRefs": [{"name": "svc", "port": 80, "weight": 5}]},
               {"filters": [_REDIRECT]}]),
    "route-defaults": {"apiVersion": GW, "kind": "HTTPRoute",
                       "spec": {"parentRefs": [{"name": "gw"}]}},
    "gateway-https": _gateway(
        _listener(),
        _listener("https", "HTTPS", 443, hostname="*.example.com",
                  tls={"certificateRefs": [{"name": "wildcard"}]},
                  allowedRoutes={"namespaces": {"from": "All"}}),
        addresses=[{"value": "172.18.255.200"}]),
    "release-chartref": {"apiVersion": HELM, "kind": "HelmRelease", "spec": {
        "interval": "1h30m", "chartRef": {"kind": "OCIRepository", "name": "app"},
        "install": {"remediation": {"retries": 3}},
        "valuesFrom": [{"kind": "Secret", "name": "v", "valuesKey": "values.yaml"}],
        "values": {"any": {"thing": [1, "two"]}}}},
    "release-chart": _release(releaseName="app", targetNamespace="apps", timeout="5m"),
    "kustomization": _kustomization(postBuild={"substitute": {"FQDN": "a.example"},
                                               "substituteFrom": [{"kind": "ConfigMap",
                                                                   "name": "vars"}]},
                                    dependsOn=[{"name": "base"}], wait=True),
    "git-ssh": _git(url="ssh://git@gitea.example/org/repo.git", secretRef={"name": "key"}),
    "helmrepo-oci": _helm_repo(type="oci", url="oci://ghcr.io/org/charts"),
}


@pytest.fixture(scope="module")
def servers(upstream_oracle: tuple[RawApi, list[str]]) -> Iterator[tuple[RawApi, RawApi]]:
    """(emulated, real with upstream's CRDs), each with the namespace NS."""
    real, problems = upstream_oracle
    assert not problems, problems
    thread = EmulatorThread(Emulator())
    emulated = RawApi.from_kubeconfig(thread.start().kubeconfig())
    for api in (emulated, real):
        api.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": NS}})
    yield emulated, real
    emulated.close()
    thread.stop()


def _send(api: RawApi, name: str, body: dict[str, Any]) -> Answer:
    group_version, kind = body["apiVersion"], body["kind"]
    scope = "" if kind == "GatewayClass" else f"namespaces/{NS}/"
    doc = {**body, "metadata": {"name": name}}
    return api.post(f"/apis/{group_version}/{scope}{PLURALS[kind]}", doc)


def _refusal(answer: Answer) -> list[Any]:
    body = answer.body if isinstance(answer.body, dict) else {}
    causes = (body.get("details") or {}).get("causes") or []
    shown = sorted((c.get("field"), c.get("reason"),
                    "<rule>" if _CEL.match(c.get("message", "")) else c.get("message"))
                   for c in causes)
    return [answer.status, body.get("reason"), shown]


@pytest.mark.parametrize("case", sorted(INVALID))
def test_an_invalid_object_is_refused_alike(case: str, servers: tuple[RawApi, RawApi]) -> None:
    emulated, real = (_refusal(_send(api, case, INVALID[case])) for api in servers)
    assert real[:2] == [422, "Invalid"], f"the case is not invalid upstream: {real}"
    assert emulated == real, (f"emulated: {json.dumps(emulated, indent=1)}\n"
                              f"kube-apiserver: {json.dumps(real, indent=1)}")


@pytest.mark.parametrize("case", sorted(VALID))
def test_a_valid_object_is_accepted_and_defaulted_alike(case: str,
                                                        servers: tuple[RawApi, RawApi]) -> None:
    emulated, real = (_send(api, case, VALID[case]) for api in servers)
    assert real.status == 201, f"the case is not valid upstream: {real.body}"
    assert emulated.status == 201, emulated.body
    assert emulated.body["spec"] == real.body["spec"]


def test_a_gatewayclass_controller_cannot_change(servers: tuple[RawApi, RawApi]) -> None:
    """A transition rule (`oldSelf`): controllerName is immutable."""
    answers = []
    for api in servers:
        body = {"apiVersion": GW, "kind": "GatewayClass",
                "spec": {"controllerName": "example.com/gateway-controller"}}
        assert _send(api, "immutable", body).status == 201
        changed = api.patch(f"/apis/{GW}/gatewayclasses/immutable",
                            {"spec": {"controllerName": "example.com/other"}},
                            "application/merge-patch+json")
        answers.append(_refusal(changed))
    emulated, real = answers
    assert real[:2] == [422, "Invalid"], real
    assert emulated == real


_CONSTRAINTS = ("type", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
                "minItems", "maxItems", "default", "required", "format", "nullable",
                "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
                "x-kubernetes-int-or-string")


def _disagreements(ours: dict[str, Any], theirs: dict[str, Any], at: str) -> list[str]:
    """Where our schema says something upstream's does not (a field it lacks, a constraint
    of another value); saying less than upstream is allowed."""
    out = [f"{at}: {key} is {ours[key]!r}, upstream {theirs.get(key)!r}"
           for key in _CONSTRAINTS if key in ours and ours[key] != theirs.get(key)]
    for name, sub in (ours.get("properties") or {}).items():
        upstream = (theirs.get("properties") or {}).get(name)
        if upstream is None:
            out.append(f"{at}.{name}: no such field upstream")
        else:
            out += _disagreements(sub, upstream, f"{at}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(ours.get(key), dict):
            out += _disagreements(ours[key], theirs.get(key) or {}, f"{at}[{key}]")
    return out


def test_our_schemas_say_nothing_upstream_does_not(upstream_crds: dict[str, list[Any]]) -> None:
    """Every field and constraint of our hand-written schemas is upstream's, version by
    version (the CEL rules are compared by behaviour above, not by text)."""
    from stubs.emulator.runtime import DEFAULT_CRDS_DIR, load_manifests

    upstream = {d["metadata"]["name"]: d for files in upstream_crds.values()
                for d in load_manifests(files)}
    checked, problems = 0, []
    for doc in load_manifests(sorted(DEFAULT_CRDS_DIR.glob("*.yaml"))):
        name = doc["metadata"]["name"]
        for version in doc["spec"]["versions"]:
            ours = version["schema"]["openAPIV3Schema"]
            if not ours["properties"]["spec"].get("properties"):
                continue  # a trimmed schema (spec kept as sent)
            theirs = next(v for v in upstream[name]["spec"]["versions"]
                          if v["name"] == version["name"])["schema"]["openAPIV3Schema"]
            problems += _disagreements({k: v for k, v in ours.items() if k != "properties"},
                                       theirs, f"{name} {version['name']}")
            problems += _disagreements(ours["properties"]["spec"],
                                       theirs["properties"]["spec"],
                                       f"{name} {version['name']} .spec")
            checked += 1
    assert checked >= 9, checked
    assert not problems, "\n".join(problems)
