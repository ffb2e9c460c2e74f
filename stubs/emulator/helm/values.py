"""Helm values merging, the digests Flux records, and Go duration strings."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def merge_values(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """Helm's coalesce: maps merge recursively, other values replace, `null` deletes a key."""
    out = copy.deepcopy(dict(base))
    for key, value in (override or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def digest(data: Any) -> str:
    """`sha256:<hex>` of canonical JSON (the shape of Flux's configDigest)."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_duration(text: str | None, default: float) -> float:
    """A Go duration ("5m", "1h30m", "90s", "5m0s") in seconds."""
    if not text:
        return default
    parts = _DURATION.findall(str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        raise ValueError(f"time: invalid duration {text!r}")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """Go's time.Duration.String() for whole seconds: 300 -> "5m0s", 30 -> "30s"."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
