"""Who owns a pod, and which HelmRelease rendered it (for hints that name the chart)."""

from __future__ import annotations

from typing import Any

from ..kube import gvr
from ..kube.status import name_of, namespace_of
from ..sovereign import Sovereign

Obj = dict[str, Any]
WORKLOAD_TYPES = (gvr.DEPLOYMENTS, gvr.STATEFULSETS, gvr.DAEMONSETS, gvr.JOBS)


def _selects(workload: Obj, pod: Obj) -> bool:
    selector = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def workload_of(sov: Sovereign, pod: Obj) -> Obj | None:
    ns = namespace_of(pod)

    def same_namespace(obj: Obj) -> bool:
        return namespace_of(obj) == ns

    for t in WORKLOAD_TYPES:
        for w in sov.informers(t).items(same_namespace):
            if _selects(w, pod):
                return w
    return None


def release_of(obj: Obj | None) -> str | None:
    """`ns/name` of the HelmRelease that applied `obj` (Flux's ownership labels)."""
    if obj is None:
        return None
    labels = (obj.get("metadata") or {}).get("labels") or {}
    name = labels.get("helm.toolkit.fluxcd.io/name")
    if not name:
        return None
    return f"{labels.get('helm.toolkit.fluxcd.io/namespace', 'flux-system')}/{name}"


def describe_owner(sov: Sovereign, pod: Obj) -> str:
    w = workload_of(sov, pod)
    if w is None:
        return f"pod {namespace_of(pod)}/{name_of(pod)}"
    rel = release_of(w)
    text = f"{w.get('kind')} {namespace_of(w)}/{name_of(w)}"
    return f"{text} (HelmRelease {rel})" if rel else text
