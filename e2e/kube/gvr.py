"""Coordinates of the resources the journey reads (group, version, plural, namespaced)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GVR:
    group: str
    version: str
    plural: str
    namespaced: bool = True
    kind: str = ""

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        return base

    def __str__(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


NODES = GVR("", "v1", "nodes", False, "Node")
NAMESPACES = GVR("", "v1", "namespaces", False, "Namespace")
PODS = GVR("", "v1", "pods", kind="Pod")
SERVICES = GVR("", "v1", "services", kind="Service")
SECRETS = GVR("", "v1", "secrets", kind="Secret")
CONFIGMAPS = GVR("", "v1", "configmaps", kind="ConfigMap")
EVENTS = GVR("", "v1", "events", kind="Event")
DEPLOYMENTS = GVR("apps", "v1", "deployments", kind="Deployment")
STATEFULSETS = GVR("apps", "v1", "statefulsets", kind="StatefulSet")
DAEMONSETS = GVR("apps", "v1", "daemonsets", kind="DaemonSet")
JOBS = GVR("batch", "v1", "jobs", kind="Job")
ENDPOINTSLICES = GVR("discovery.k8s.io", "v1", "endpointslices", kind="EndpointSlice")
GATEWAYCLASSES = GVR("gateway.networking.k8s.io", "v1", "gatewayclasses", False, "GatewayClass")
GATEWAYS = GVR("gateway.networking.k8s.io", "v1", "gateways", kind="Gateway")
HTTPROUTES = GVR("gateway.networking.k8s.io", "v1", "httproutes", kind="HTTPRoute")
HELMRELEASES = GVR("helm.toolkit.fluxcd.io", "v2", "helmreleases", kind="HelmRelease")
HELMREPOSITORIES = GVR("source.toolkit.fluxcd.io", "v1", "helmrepositories",
                       kind="HelmRepository")
GITREPOSITORIES = GVR("source.toolkit.fluxcd.io", "v1", "gitrepositories",
                      kind="GitRepository")
KUSTOMIZATIONS = GVR("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", kind="Kustomization")
ORGANIZATIONS = GVR("orgs.openova.io", "v1alpha1", "organizations", False, "Organization")
SANDBOXES = GVR("sandbox.openova.io", "v1alpha1", "sandboxes", kind="Sandbox")
