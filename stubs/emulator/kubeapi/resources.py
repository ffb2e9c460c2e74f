"""Resource types the emulated API server serves: the built-in ones and those CRDs add.

A `ResourceType` is what discovery advertises (group, version, plural, kind, scope,
subresources). The `ResourceRegistry` answers "which type is behind this URL" and grows
when a CustomResourceDefinition is stored, as a real API server does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    subresources: frozenset[str] = field(default_factory=frozenset)
    # Other versions of the same group/plural; objects are stored once per group/plural.
    served_versions: tuple[str, ...] = ()
    # Discovery categories (`kubectl get all` expands the `all` category).
    categories: tuple[str, ...] = ()
    # What discovery advertises; the review kinds (SelfSubjectAccessReview, ...) only create.
    verbs: tuple[str, ...] = ALL_VERBS
    # The CRD's additionalPrinterColumns (served version): Table output evaluates them.
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), hash=False, compare=False)
    # The CRD's scale subresource paths (specReplicasPath, ...), when it declares one.
    scale_paths: tuple[tuple[str, str], ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key: objects of one group/plural are shared by all served versions."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def discovery_entries(self) -> list[dict[str, Any]]:
        entry: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        out = [entry]
        for sub in sorted(self.subresources):
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            sub_entry: dict[str, Any] = {
                "name": f"{self.plural}/{sub}",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,  # status and log report the parent kind (pods/log: Pod)
                "verbs": verbs,
            }
            if sub == "scale":  # as the API server: autoscaling/v1 Scale
                sub_entry.update(kind="Scale", group="autoscaling", version="v1")
            out.append(sub_entry)
        return out


def _core(plural: str, kind: str, namespaced: bool = True, short: tuple[str, ...] = (),
          subs: Iterable[str] = (), categories: tuple[str, ...] = ()) -> ResourceType:
    return ResourceType("", "v1", plural, kind, namespaced, kind.lower(), short, frozenset(subs),
                        categories=categories)


ALL = ("all",)  # the category kube-apiserver gives pods, services and the workload kinds


def _review(group: str, plural: str, kind: str, namespaced: bool = False) -> ResourceType:
    """A create-only review kind: answered, never stored."""
    return ResourceType(group, "v1", plural, kind, namespaced, kind.lower(), verbs=("create",))


# Kinds the server answers without storing (POST returns the review with its status).
REVIEW_KEYS = frozenset({("authorization.k8s.io", "selfsubjectaccessreviews"),
                         ("authorization.k8s.io", "selfsubjectrulesreviews"),
                         ("authentication.k8s.io", "selfsubjectreviews")})


BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _core("namespaces", "Namespace", namespaced=False, short=("ns",), subs=("status",)),
    _core("nodes", "Node", namespaced=False, short=("no",), subs=("status",)),
    _core("pods", "Pod", short=("po",), subs=("status", "log"), categories=ALL),
    _core("services", "Service", short=("svc",), subs=("status",), categories=ALL),
    _core("endpoints", "Endpoints", short=("ep",)),
    _core("secrets", "Secret"),
    _core("configmaps", "ConfigMap", short=("cm",)),
    _core("serviceaccounts", "ServiceAccount", short=("sa",)),
    _core("events", "Event", short=("ev",)),
    _core("persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), subs=("status",)),
    _core("resourcequotas", "ResourceQuota", short=("quota",), subs=("status",)),
    ResourceType("apps", "v1", "deployments", "Deployment", True, "deployment", ("deploy",),
                 frozenset({"status", "scale"}), categories=ALL),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet", True, "statefulset", ("sts",),
                 frozenset({"status", "scale"}), categories=ALL),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet", True, "daemonset", ("ds",),
                 frozenset({"status"}), categories=ALL),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet", True, "replicaset", ("rs",),
                 frozenset({"status", "scale"}), categories=ALL),
    ResourceType("batch", "v1", "jobs", "Job", True, "job", (), frozenset({"status"}),
                 categories=ALL),
    ResourceType("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                 "CustomResourceDefinition", False, "customresourcedefinition", ("crd", "crds"),
                 frozenset({"status"})),
    ResourceType("coordination.k8s.io", "v1", "leases", "Lease", True, "lease"),
    ResourceType("events.k8s.io", "v1", "events", "Event", True, "event", ("ev",)),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True,
                 "endpointslice"),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False,
                 "clusterrole"),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
                 False, "clusterrolebinding"),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "Role", True, "role"),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True,
                 "rolebinding"),
    _review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
    _review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
    _review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview"),
)


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """Every served version of a CRD as a ResourceType (the storage version first)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group", "")
    plural = names.get("plural", "")
    kind = names.get("kind", "")
    if not (group and plural and kind):
        return []
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    versions.sort(key=lambda v: not v.get("storage", False))
    served = tuple(v["name"] for v in versions if "name" in v)
    out = []
    for v in versions:
        subresources = v.get("subresources") or {}
        subs = set(subresources.keys())
        scale = subresources.get("scale") or {}
        out.append(
            ResourceType(
                group,
                v["name"],
                plural,
                kind,
                namespaced,
                names.get("singular", kind.lower()),
                tuple(names.get("shortNames") or ()),
                frozenset(subs),
                served,
                categories=tuple(names.get("categories") or ()),
                printer_columns=tuple(v.get("additionalPrinterColumns") or ()),
                scale_paths=tuple((k, str(p)) for k, p in scale.items()),
            )
        )
    return out


class ResourceRegistry:
    """Lookup by (group, version, plural) and by (apiVersion, kind)."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN_TYPES) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._crd_types: dict[str, list[ResourceType]] = {}
        for rt in types:
            self.add(rt)

    def add(self, rt: ResourceType) -> None:
        self._by_gvr[(rt.group, rt.version, rt.plural)] = rt

    def set_crd(self, crd_name: str, types: list[ResourceType]) -> None:
        for old in self._crd_types.pop(crd_name, []):
            self._by_gvr.pop((old.group, old.version, old.plural), None)
        self._crd_types[crd_name] = types
        for rt in types:
            self.add(rt)

    def is_custom(self, rt: ResourceType) -> bool:
        """True for a type a CustomResourceDefinition added (not a built-in kind)."""
        return any(t.key == rt.key for types in self._crd_types.values() for t in types)

    def crd_types(self, crd_name: str) -> list[ResourceType]:
        return list(self._crd_types.get(crd_name, []))

    def remove_crd(self, crd_name: str) -> None:
        self.set_crd(crd_name, [])
        self._crd_types.pop(crd_name, None)

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._by_gvr.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def all(self) -> list[ResourceType]:
        return list(self._by_gvr.values())

    def groups(self) -> dict[str, list[str]]:
        """group -> served versions (preferred first)."""
        out: dict[str, list[str]] = {}
        for rt in self._by_gvr.values():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        for versions in out.values():
            versions.sort(key=_version_priority)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._by_gvr.values() if rt.group == group and rt.version == version]


def _version_priority(v: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, higher numbers first."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, 0, 0)
    major = int(m.group(1))
    stage = {"": 0, None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)
