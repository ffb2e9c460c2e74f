"""Requests without credentials, as a kube-apiserver with anonymous auth on (the default,
and kind's) answers them: they run as `system:anonymous`, whom RBAC lets read only the
public info paths (the `system:public-info-viewer` role); anything else is 403 Forbidden.

The 403's wording is the RBAC authorizer's (endpoints/handlers/responsewriters
forbiddenMessage), with the resource parsed from the URL as RequestInfoFactory does;
checked against the real server (tests/kubeapi/test_bad_input.py runs on the oracle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ApiError

USER = "system:anonymous"
PUBLIC_INFO_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def is_anonymous(authorization: str) -> bool:
    """No bearer token presented (none, another scheme, or an empty one): the bearer
    authenticator passes and the anonymous one takes the request."""
    parts = authorization.split(" ", 2)
    return len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]


def forbidden(method: str, path: str, query: Mapping[str, str]) -> ApiError:
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) > 3:
        group, rest = parts[1], parts[3:]
    else:
        verb = method.lower()
        return ApiError(403, "Forbidden",
                        f'forbidden: User "{USER}" cannot {verb} path "{path}"', {})
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if method == "GET":
        verb = "watch" if query.get("watch") in ("true", "1") else ("get" if name else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    what = f"{resource}/{subresource}" if subresource else resource
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = (f'User "{USER}" cannot {verb} resource "{what}" in API group "{group}" '
              f"{where}")
    qualified = f"{resource}.{group}" if group else resource
    subject = f'{qualified} "{name}"' if name else qualified
    details: dict[str, Any] = {"kind": resource}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {reason}", details)
