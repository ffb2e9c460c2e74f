"""Self-subject reviews: `kubectl auth can-i` and `kubectl auth whoami` against the emulator.

The emulator has one credential, the run's bearer token, and it acts as kubeadm's
`kubernetes-admin` (group `kubeadm:cluster-admins`, bound to `cluster-admin`): every access
review is allowed with RBAC's wording, and the rules review lists cluster-admin's rules.
Reviews are answered, never stored (as the API server's review registries).
"""

from __future__ import annotations

from typing import Any

from . import errors

Obj = dict[str, Any]
ADMIN_USER = {"username": "kubernetes-admin",
              "groups": ["kubeadm:cluster-admins", "system:authenticated"]}
ALLOW_REASON = ('RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole '
                '"cluster-admin" to Group "kubeadm:cluster-admins"')


def answer(plural: str, body: Obj) -> Obj:
    out = {k: v for k, v in body.items() if k != "status"}
    out["metadata"] = {"creationTimestamp": None, **(body.get("metadata") or {})}
    spec = body.get("spec") or {}
    if plural == "selfsubjectaccessreviews":
        if not spec.get("resourceAttributes") and not spec.get("nonResourceAttributes"):
            raise errors.invalid(
                "SelfSubjectAccessReview", "", "spec.resourceAttributes",
                "Invalid value: \"null\": exactly one of nonResourceAttributes or "
                "resourceAttributes must be specified", reason="FieldValueInvalid")
        out["status"] = {"allowed": True, "reason": ALLOW_REASON}
    elif plural == "selfsubjectrulesreviews":
        out["status"] = {
            "resourceRules": [
                {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                 "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
            ],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    else:  # selfsubjectreviews (authentication.k8s.io)
        out["status"] = {"userInfo": dict(ADMIN_USER)}
    return out
