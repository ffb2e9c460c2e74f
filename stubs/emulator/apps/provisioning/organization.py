"""The tenant's cluster objects: namespace `tenant-<slug>` and the Organization CR.

Organization (organizations.orgs.openova.io/v1alpha1, cluster-scoped, named by the slug):
spec `{displayName, planId, ownerEmail, giteaOrg}`; status `{observedGeneration,
giteaOrgURL, conditions: [Ready]}` with Ready True/`Provisioned` once the Gitea org exists,
False/`GiteaOrgMissing` or False/`GiteaError` when a later check fails.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ...kubeapi.errors import ApiError
from ...kubeapi.store import Store, now_iso

ORG_GROUP, ORG_VERSION, ORG_PLURAL = "orgs.openova.io", "v1alpha1", "organizations"


def _rt(store: Store, group: str, version: str, plural: str) -> Any:
    rt = store.registry.get(group, version, plural)
    if rt is None:
        raise LookupError(f"the server could not find the requested resource ({plural}.{group})")
    return rt


def ensure_namespace(store: Store, name: str, tenant_id: str) -> None:
    ns_rt = _rt(store, "", "v1", "namespaces")
    if store.try_get(ns_rt, None, name) is None:
        store.create(ns_rt, None, {"metadata": {"name": name, "labels": {
            "openova.io/tenant-id": tenant_id, "app.kubernetes.io/managed-by": "provisioning"}}})


def ensure_organization(store: Store, slug: str, spec: dict[str, Any],
                        tenant_id: str) -> dict[str, Any]:
    rt = _rt(store, ORG_GROUP, ORG_VERSION, ORG_PLURAL)
    current = store.try_get(rt, None, slug)
    if current is None:
        return store.create(rt, None, {"metadata": {"name": slug, "labels": {
            "openova.io/tenant-id": tenant_id}}, "spec": spec})
    if current.get("spec") != spec:
        current["spec"] = spec
        return store.replace(rt, None, slug, current)
    return current


def set_ready(store: Store, slug: str, ready: bool, reason: str, message: str,
              gitea_org_url: str) -> None:
    rt = _rt(store, ORG_GROUP, ORG_VERSION, ORG_PLURAL)
    obj = store.try_get(rt, None, slug)
    if obj is None:
        return
    gen = obj["metadata"].get("generation", 1)
    status = dict(obj.get("status") or {})
    old = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    flag = "True" if ready else "False"
    since = old["lastTransitionTime"] if old and old.get("status") == flag else now_iso()
    status.update({"observedGeneration": gen, "giteaOrgURL": gitea_org_url, "conditions": [
        {"type": "Ready", "status": flag, "reason": reason, "message": message,
         "observedGeneration": gen, "lastTransitionTime": since}]})
    with contextlib.suppress(ApiError):  # deleted meanwhile
        store.patch(rt, None, slug, lambda o: {**o, "status": status}, subresource="status")
