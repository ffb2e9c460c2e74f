"""Apply a rendered release to the store as Helm's kube client would, and prune leftovers.

Objects get Helm's ownership metadata (label app.kubernetes.io/managed-by=Helm, annotations
meta.helm.sh/release-name/-namespace) and Flux's labels (helm.toolkit.fluxcd.io/name and
/namespace). An existing object owned by another release (or by nobody) is refused with
Helm's "invalid ownership metadata" error. Updates replace the object (Helm's three-way
merge ends in the chart's state for every field the chart sets); a Job whose spec changed is
deleted and recreated, as a Job's template is immutable. Objects the previous revision had
and this one lacks are deleted.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..kubeapi.errors import ApiError
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import Store
from .render import Manifest

MANAGED_BY = "app.kubernetes.io/managed-by"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
HR_NAME = "helm.toolkit.fluxcd.io/name"
HR_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"


# Helm's InstallOrder (pkg/releaseutil/kind_sorter.go); unknown kinds go last.
INSTALL_ORDER = ("Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
                 "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
                 "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
                 "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
                 "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
                 "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
                 "ReplicationController", "ReplicaSet", "Deployment",
                 "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass",
                 "Ingress", "APIService")


class ApplyError(Exception):
    """The release could not be applied; str() is Helm's error text. `applied` lists what
    was created or updated before the failure (a later uninstall deletes exactly those)."""

    def __init__(self, message: str, applied: Sequence[ObjRef] = ()) -> None:
        super().__init__(message)
        self.applied = list(applied)


@dataclass(frozen=True)
class ObjRef:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"


@dataclass(frozen=True)
class Resolved:
    ref: ObjRef
    rt: ResourceType
    obj: dict[str, Any]


def resolve(store: Store, manifests: Iterable[Manifest], namespace: str) -> list[Resolved]:
    """Map each manifest to its served type and namespace (Helm's kube.Build)."""
    out: list[Resolved] = []
    for m in manifests:
        api_version, kind = str(m.obj.get("apiVersion", "")), str(m.obj.get("kind", ""))
        name = str((m.obj.get("metadata") or {}).get("name", ""))
        ns = str((m.obj.get("metadata") or {}).get("namespace") or namespace)
        rt = store.registry.by_kind(api_version, kind)
        if rt is None:
            raise ApplyError(
                "unable to build kubernetes objects from release manifest: resource mapping "
                f'not found for name: "{name}" namespace: "{ns}" from "": no matches for kind '
                f'"{kind}" in version "{api_version}"\nensure CRDs are installed first')
        if not rt.namespaced:
            ns = ""
        out.append(Resolved(ObjRef(api_version, kind, ns, name), rt, m.obj))
    rank = {k: i for i, k in enumerate(INSTALL_ORDER)}
    return sorted(out, key=lambda r: rank.get(r.ref.kind, len(rank)))


def _owned_by(obj: dict[str, Any], release: str, release_ns: str) -> str | None:
    """None when `obj` may be adopted by the release, else Helm's validation error."""
    meta = obj.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    errs = []
    if labels.get(MANAGED_BY) != "Helm":
        errs.append(f'label validation error: missing key "{MANAGED_BY}": must be set to '
                    '"Helm"')
    for key, want in ((RELEASE_NAME, release), (RELEASE_NAMESPACE, release_ns)):
        have = annotations.get(key)
        if have is None:
            errs.append(f'annotation validation error: missing key "{key}": must be set to '
                        f'"{want}"')
        elif have != want:
            errs.append(f'annotation validation error: key "{key}" must equal "{want}": '
                        f'current value is "{have}"')
    return "; ".join(errs) or None


def apply_release(store: Store, resolved: Sequence[Resolved], *, release: str,
                  release_ns: str, hr_name: str, hr_ns: str,
                  previous: Sequence[ObjRef] = ()) -> list[ObjRef]:
    """Create or replace every object, prune what `previous` had; returns the inventory."""
    action = "upgrade" if previous else "install"
    prev = set(previous)
    applied: list[ObjRef] = []
    for item in resolved:
        obj = copy.deepcopy(item.obj)
        meta = obj.setdefault("metadata", {})
        if item.ref.namespace:
            meta["namespace"] = item.ref.namespace
        meta.setdefault("labels", {}).update({MANAGED_BY: "Helm", HR_NAME: hr_name,
                                              HR_NAMESPACE: hr_ns})
        meta.setdefault("annotations", {}).update({RELEASE_NAME: release,
                                                   RELEASE_NAMESPACE: release_ns})
        ns = item.ref.namespace or None
        live = store.try_get(item.rt, ns, item.ref.name)
        try:
            if live is None:
                store.create(item.rt, ns, obj)
                applied.append(item.ref)
                continue
            if item.ref not in prev:
                problem = _owned_by(live, release, release_ns)
                if problem:
                    where = f' in namespace "{item.ref.namespace}"' if ns else ""
                    raise ApplyError(
                        f"rendered manifests contain a resource that already exists. Unable "
                        f"to continue with {action}: {item.ref.kind} \"{item.ref.name}\""
                        f"{where} exists and cannot be imported into the current release: "
                        f"invalid ownership metadata; {problem}", applied)
            if item.ref.kind == "Job" and live.get("spec") != obj.get("spec"):
                store.delete(item.rt, ns, item.ref.name)
                store.create(item.rt, ns, obj)
                applied.append(item.ref)
                continue
            meta.pop("resourceVersion", None)
            store.replace(item.rt, ns, item.ref.name, obj)
            applied.append(item.ref)
        except ApiError as e:
            # Helm's kube client wording (pkg/kube/client.go): a create, or a patch.
            raise ApplyError(f"failed to create resource: {e.message}" if live is None else
                             f'cannot patch "{item.ref.name}" with kind {item.ref.kind}: '
                             f"{e.message}", applied) from None
    current = [r.ref for r in resolved]
    prune(store, [ref for ref in previous if ref not in set(current)])
    return current


def prune(store: Store, refs: Iterable[ObjRef]) -> None:
    for ref in refs:
        rt = store.registry.by_kind(ref.api_version, ref.kind)
        if rt is None:
            continue
        with contextlib.suppress(ApiError):  # already gone is fine
            store.delete(rt, ref.namespace or None, ref.name)
