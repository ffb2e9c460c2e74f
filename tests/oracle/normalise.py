"""What legitimately differs between two API servers answering the same requests: uids,
timestamps, resourceVersions, server-generated names, allocated IPs, ages. Replaced by
placeholders (kept, so a missing field still shows as a difference)."""

from __future__ import annotations

import re
from typing import Any

VOLATILE_KEYS = {"uid", "creationTimestamp", "resourceVersion", "time", "deletionTimestamp",
                 "selfLink", "lastTransitionTime", "clusterIP", "clusterIPs", "continue"}
_RV_IN_TEXT = re.compile(r"\b(resource ?version:? ?|\()\d+(\)?)", re.IGNORECASE)
_UID_IN_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(value: Any, generated: dict[str, str] | None = None) -> Any:
    """A copy of `value` with volatile fields replaced by "<key>"; names made from a
    generateName become "<generateName>*"."""
    generated = {} if generated is None else generated
    if isinstance(value, dict):
        meta = value.get("metadata")
        if isinstance(meta, dict) and meta.get("generateName") and meta.get("name"):
            generated[meta["name"]] = f"{meta['generateName']}*"
        out = {}
        for k, v in value.items():
            if k in VOLATILE_KEYS and v not in (None, "", []):
                out[k] = f"<{k}>"
            else:
                out[k] = normalise(v, generated)
        return out
    if isinstance(value, list):
        return [normalise(v, generated) for v in value]
    if isinstance(value, str):
        text = generated.get(value, value)
        text = _UID_IN_TEXT.sub("<uid>", text)
        return _RV_IN_TEXT.sub(lambda m: f"{m.group(1)}<rv>{m.group(2) or ''}", text)
    return value
