"""resource.Quantity as a number: what the scheduler, quota admission and the kubelet's
memory accounting compare (cpu in cores, memory in bytes)."""

from __future__ import annotations

from typing import Any

_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6,
          "G": 10**9, "T": 10**12, "m": 0.001}


def quantity(text: Any) -> float:
    """`64Mi` -> 67108864.0, `500m` -> 0.5, `2` -> 2.0, empty -> 0."""
    s = str(text).strip()
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if s.endswith(suffix):
            return float(s[: -len(suffix)]) * _UNITS[suffix]
    return float(s) if s else 0.0
