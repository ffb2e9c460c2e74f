"""Pods from pod templates: names, labels, owner references and API-server defaults.

Shared by the workload controllers. Names follow the contract: Deployment pods
`<deploy>-<10 hex pod-template-hash>-<5 chars>`, StatefulSet pods `<sts>-<i>`, Job and
DaemonSet pods `<owner>-<5 chars>` (the 5-char suffix uses the API server's generateName
alphabet, which has no vowels).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import secrets
from typing import Any

from ..kubeapi.store import now_iso

Obj = dict[str, Any]
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(n))


def template_hash(template: Obj) -> str:
    """A stable 10-hex hash of a pod template (the pod-template-hash / revision hash)."""
    raw = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:10]


def owner_ref(owner: Obj) -> Obj:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def _pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    tag = last.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def pod_from_template(template: Obj, *, name: str, namespace: str, owner: Obj,
                      extra_labels: dict[str, str] | None = None,
                      node_name: str | None = None, hostname: str | None = None) -> Obj:
    """The Pod a controller creates from `template`, with the API server's spec defaults."""
    tmeta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        c.setdefault("imagePullPolicy", _pull_policy(str(c.get("image", ""))))
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        c.setdefault("resources", {})
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
    if node_name:
        spec["nodeName"] = node_name
    if hostname:
        spec["hostname"] = hostname
    labels = dict(tmeta.get("labels") or {})
    labels.update(extra_labels or {})
    meta: Obj = {"name": name, "namespace": namespace, "labels": labels,
                 "ownerReferences": [owner_ref(owner)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Pending", "qosClass": "BestEffort"}}


def pod_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_terminal(pod: Obj) -> bool:
    return pod_phase(pod) in ("Succeeded", "Failed")


def scaled_int_or_percent(value: Any, total: int, round_up: bool, default: str) -> int:
    """intstr semantics of maxSurge/maxUnavailable: an int, or a percent of `total`."""
    v = default if value is None else value
    if isinstance(v, str) and v.endswith("%"):
        frac = int(v[:-1]) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(v)


def set_condition(conds: list[Obj], new: Obj, *, update_time: bool = False) -> list[Obj]:
    """Insert or replace a condition by type, keeping lastTransitionTime if status is unchanged.

    With `update_time`, `lastUpdateTime` (Deployment conditions) moves when reason or message
    change.
    """
    now = now_iso()
    out = []
    found = False
    for c in conds:
        if c.get("type") != new["type"]:
            out.append(c)
            continue
        found = True
        merged = dict(new)
        same_status = c.get("status") == new["status"]
        merged["lastTransitionTime"] = c.get("lastTransitionTime", now) if same_status else now
        if update_time:
            unchanged = same_status and c.get("reason") == new.get("reason") and \
                c.get("message") == new.get("message")
            merged["lastUpdateTime"] = c.get("lastUpdateTime", now) if unchanged else now
        out.append(merged)
    if not found:
        merged = dict(new)
        merged["lastTransitionTime"] = now
        if update_time:
            merged["lastUpdateTime"] = now
        out.append(merged)
    return out
