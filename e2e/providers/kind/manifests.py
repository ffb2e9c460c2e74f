"""Every manifest and value file the kind target generates, as plain data.

Each function states the fact it encodes (shared/reference §5 and docs/DESIGN.md); the
unit tests check the generated objects against those facts, the golden plan pins them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml

Obj = dict[str, Any]
FIELD_MANAGER = "sovereign-e2e"
MARKER_LABEL = "sovereign-e2e.openova.io/created-by"
MARKER_CONFIGMAP = ("kube-system", "sovereign-e2e-created")
LB_POOL_NAME = "sovereign-kind"
LB_POOL_PREFIX = 27  # the last /27 of the kind network: far from the addresses Docker hands out


def kind_config(cluster: str, node_image: str) -> Obj:
    """kind v1alpha4: no kindnet (Cilium is the CNI), no kube-proxy (Cilium replaces it)."""
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": cluster,
        "networking": {"disableDefaultCNI": True, "kubeProxyMode": "none"},
        "nodes": [{"role": "control-plane", "image": node_image}],
    }


def gateway_api_urls(version: str) -> list[str]:
    """Standard channel (GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant) and the
    experimental TLSRoute: Cilium's Gateway support needs all of them before it starts."""
    base = "https://github.com/kubernetes-sigs/gateway-api"
    return [f"{base}/releases/download/{version}/standard-install.yaml",
            f"https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/{version}/"
            "config/crd/experimental/gateway.networking.k8s.io_tlsroutes.yaml"]


GATEWAY_API_CRDS = ("gatewayclasses", "gateways", "httproutes", "grpcroutes",
                    "referencegrants", "tlsroutes")


def cilium_values(cluster: str) -> Obj:
    """Cilium on kind without kube-proxy, with its Gateway and L2-announced LB IPs."""
    return {
        "kubeProxyReplacement": True,
        # Without kube-proxy the agent cannot reach the API through the Service IP.
        "k8sServiceHost": f"{cluster}-control-plane",
        "k8sServicePort": 6443,
        "ipam": {"mode": "kubernetes"},
        "image": {"pullPolicy": "IfNotPresent"},
        "gatewayAPI": {"enabled": True},
        "l2announcements": {"enabled": True},
        # L2 announcements hold one Lease per Service: the default client rate is too low.
        "k8sClientRateLimit": {"qps": 50, "burst": 100},
        "operator": {"replicas": 1},
    }


def lb_pool_cidr(kind_subnet: str) -> str:
    """The last /27 of the kind Docker network's IPv4 subnet (Docker hands out from the
    bottom), so the Gateway's LoadBalancer address is on a network the runner reaches."""
    net = ipaddress.ip_network(kind_subnet, strict=False)
    if net.version != 4 or net.prefixlen > LB_POOL_PREFIX:
        raise ValueError(f"kind network subnet {kind_subnet} has no room for a /"
                         f"{LB_POOL_PREFIX} pool")
    last = int(net.broadcast_address) - (2 ** (32 - LB_POOL_PREFIX)) + 1
    return f"{ipaddress.IPv4Address(last)}/{LB_POOL_PREFIX}"


def lb_ipam(pool_cidr: str) -> list[Obj]:
    return [
        {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool",
         "metadata": {"name": LB_POOL_NAME}, "spec": {"blocks": [{"cidr": pool_cidr}]}},
        {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumL2AnnouncementPolicy",
         "metadata": {"name": LB_POOL_NAME},
         "spec": {"loadBalancerIPs": True, "externalIPs": False,
                  "interfaces": ["^eth[0-9]+"]}},
    ]


def marker(cluster: str, cycle: str) -> Obj:
    """What says "this run created this cluster"; checked before the cluster is deleted."""
    ns, name = MARKER_CONFIGMAP
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": {MARKER_LABEL: cluster}},
            "data": {"cluster": cluster, "cycle": cycle}}


def namespace(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def external_service(ns: str, name: str, port: int, ip: str) -> list[Obj]:
    """A selector-less Service plus an EndpointSlice with the container's IP on the kind
    network: pods reach the container by the Service's DNS name, no Docker DNS needed."""
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name, "namespace": ns},
         "spec": {"ports": [{"name": "http", "port": port, "targetPort": port,
                             "protocol": "TCP"}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": f"{name}-container", "namespace": ns,
                      "labels": {"kubernetes.io/service-name": name,
                                 "endpointslice.kubernetes.io/managed-by": FIELD_MANAGER}},
         "addressType": "IPv4",
         "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
         "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}]},
    ]


def secret(ns: str, name: str, data: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": ns}, "stringData": data}


def reflected(obj: Obj, namespaces: str) -> Obj:
    """With the reflector annotations bp-newapi's chart puts on its signing-key Secret."""
    prefix = "reflector.v1.k8s.emberstack.com/"
    obj["metadata"]["annotations"] = {
        f"{prefix}reflection-allowed": "true",
        f"{prefix}reflection-allowed-namespaces": namespaces,
        f"{prefix}reflection-auto-enabled": "true",
        f"{prefix}reflection-auto-namespaces": namespaces}
    return obj


def pull_secret(ns: str, name: str, dockerconfig_b64: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": name, "namespace": ns},
            "data": {".dockerconfigjson": dockerconfig_b64}}


def ghcr_dockerconfig(username: str | None, token: str | None) -> str:
    """base64 of a dockerconfigjson for ghcr.io: with credentials when given, otherwise an
    entry without any (anonymous pulls, which public packages allow)."""
    import base64
    import json

    entry = ({"username": username, "password": token,
              "auth": base64.b64encode(f"{username}:{token}".encode()).decode()}
             if username and token else {})
    return base64.b64encode(json.dumps({"auths": {"ghcr.io": entry}}).encode()).decode()


# The controllers the bootstrap-kit needs (notification-controller is installed, not awaited).
FLUX_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller")


def flux_sources(repo_url: str, path: str, substitute: dict[str, str],
                 secret_name: str) -> list[Obj]:
    """The kit's GitRepository (the Gitea container) and the Kustomization that applies it
    with `${SOVEREIGN_FQDN}` substituted, as cloud-init does on a real Sovereign (plus
    `${KIND_API_HOST}` for the kind profile's Cilium values)."""
    return [
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
         "metadata": {"name": "sovereign-kit", "namespace": "flux-system"},
         "spec": {"interval": "1m", "url": repo_url, "ref": {"branch": "main"},
                  "secretRef": {"name": secret_name}}},
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
         "metadata": {"name": "bootstrap-kit", "namespace": "flux-system"},
         "spec": {"interval": "5m", "path": path, "prune": True, "wait": True,
                  "timeout": "30m",
                  "sourceRef": {"kind": "GitRepository", "name": "sovereign-kit"},
                  "postBuild": {"substitute": dict(substitute)}}},
    ]


def dump(objs: Obj | list[Obj]) -> str:
    docs = objs if isinstance(objs, list) else [objs]
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)
