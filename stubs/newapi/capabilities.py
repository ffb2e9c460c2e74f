"""The platform's Claims.HasCapability: does a token's grant list cover a required capability.

Grants are dotted names. A grant ending in `.*` is a wildcard over its stem: `sandbox.db.*`
covers `sandbox.db`, `sandbox.db.provision` and anything deeper. A plain grant covers only
itself: `sandbox.db` does not cover `sandbox.db.provision` (the platform keeps plan grants
coarse through wildcards and keeps stems honest on purpose).
"""

from __future__ import annotations

from collections.abc import Iterable

WILDCARD_SUFFIX = ".*"


def grant_covers(grant: str, required: str) -> bool:
    """True when the single `grant` covers `required`."""
    if not grant or not required:
        return False
    if grant == required:
        return True
    if grant.endswith(WILDCARD_SUFFIX):
        stem = grant[: -len(WILDCARD_SUFFIX)]
        return bool(stem) and (required == stem or required.startswith(stem + "."))
    return False


def has_capability(granted: Iterable[str], required: str) -> bool:
    """True when any grant in `granted` covers `required`."""
    return any(grant_covers(g, required) for g in granted)
