"""Store access for the cutover steps, the way the Job's kubectl would use it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from ...kubeapi.resources import ResourceType
from ...kubeapi.store import Store

Obj = dict[str, Any]

HELM_REPOSITORIES = ("source.toolkit.fluxcd.io", "v1", "helmrepositories")
HELM_RELEASES = ("helm.toolkit.fluxcd.io", "v2", "helmreleases")


class StepFailed(Exception):
    """A step could not do its job; the message goes to the status ConfigMap and the log,
    so it never carries a secret value."""


def rt(store: Store, group: str, version: str, plural: str) -> ResourceType:
    found = store.registry.get(group, version, plural)
    if found is None:
        # kubectl's wording when the resource type is not served
        raise StepFailed(f'the server doesn\'t have a resource type "{plural}"')
    return found


def core(store: Store, plural: str) -> ResourceType:
    return rt(store, "", "v1", plural)


def secret_value(secret: Obj, key: str) -> str | None:
    """A Secret's `data[key]` decoded, or None when the key is absent or undecodable."""
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return None
    try:
        return base64.b64decode(raw).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
