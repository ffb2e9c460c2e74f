"""The JSONPath subset CRD printer columns use (`.a.b`, `[n]`, `[*]`, `[?(@.k=="v")]`).

Why our own: apiextensions accepts only "simple" JSONPath for additionalPrinterColumns
(field names, indexes, wildcards, equality filters); general Python JSONPath libraries
disagree with client-go's jsonpath on filters over missing keys and on output formatting,
and the whole subset is these few lines.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-/]+)"""
    r"""|\[(?P<index>-?\d+)\]"""
    r"""|\[(?P<star>\*)\]"""
    r"""|\[\?\(@\.(?P<fkey>[A-Za-z0-9_.\-]+)\s*==\s*(?P<q>["'])(?P<fval>.*?)(?P=q)\)\]"""
)


class JsonPathError(ValueError):
    pass


def parse(path: str) -> list[tuple[str, Any]]:
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if not m:
            raise JsonPathError(f"unsupported JSONPath {path!r} at {pos}")
        if m.group("field") is not None:
            steps.append(("field", m.group("field")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("star"):
            steps.append(("star", None))
        else:
            steps.append(("filter", (m.group("fkey").split("."), m.group("fval"))))
        pos = m.end()
    return steps


def _lookup(value: Any, keys: list[str]) -> Any:
    for k in keys:
        if not isinstance(value, dict) or k not in value:
            return None
        value = value[k]
    return value


def find(obj: Any, path: str) -> list[Any]:
    """Every value `path` selects in `obj`, in document order."""
    current = [obj]
    for kind, arg in parse(path):
        nxt: list[Any] = []
        for v in current:
            in_dict = kind == "field" and isinstance(v, dict) and arg in v
            in_list = kind == "index" and isinstance(v, list) and -len(v) <= arg < len(v)
            if in_dict or in_list:
                nxt.append(v[arg])
            elif kind == "star" and isinstance(v, list):
                nxt.extend(v)
            elif kind == "star" and isinstance(v, dict):
                nxt.extend(v.values())
            elif kind == "filter" and isinstance(v, list):
                keys, want = arg
                nxt.extend(item for item in v if str(_lookup(item, keys)) == want
                           and _lookup(item, keys) is not None)
        current = nxt
    return current
