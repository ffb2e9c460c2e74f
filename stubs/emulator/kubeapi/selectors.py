"""Label and field selectors, parsed the way the Kubernetes API server parses them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A selector string the API server would reject with 400 BadRequest."""


_SET_RE = re.compile(r"^\s*(!?)([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split_requirements(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in (p.strip() for p in parts) if p]


def parse_label_selector(text: str | None) -> Predicate:
    """`a=b,c!=d,e in (x,y),f notin (z),g,!h` -> predicate over a labels mapping."""
    if not text:
        return lambda labels: True
    checks: list[Predicate] = []
    for req in _split_requirements(text):
        if m := _SET_RE.match(req):
            if m.group(1):
                raise SelectorError(f"unable to parse requirement: {req!r}")
            key, op = m.group(2), m.group(3)
            values = {v.strip() for v in m.group(4).split(",") if v.strip()}
            if op == "in":
                checks.append(lambda lb, k=key, vs=values: lb.get(k) in vs)
            else:
                checks.append(lambda lb, k=key, vs=values: lb.get(k) not in vs)
        elif m := _EQ_RE.match(req):
            key, op, value = m.groups()
            if op == "!=":
                checks.append(lambda lb, k=key, v=value: lb.get(k) != v)
            else:
                checks.append(lambda lb, k=key, v=value: k in lb and lb.get(k) == v)
        elif m := _EXISTS_RE.match(req):
            neg, key = m.groups()
            if neg:
                checks.append(lambda lb, k=key: k not in lb)
            else:
                checks.append(lambda lb, k=key: k in lb)
        else:
            raise SelectorError(f"unable to parse requirement: {req!r}")
    return lambda labels: all(c(labels) for c in checks)


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def parse_field_selector(text: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """`metadata.name=x,metadata.namespace!=y` (also any dotted path) -> predicate over objects."""
    if not text:
        return lambda obj: True
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for req in _split_requirements(text):
        m = _EQ_RE.match(req)
        if not m:
            raise SelectorError(f"invalid field selector: {req!r}")
        path, op, value = m.groups()
        if op == "!=":
            checks.append(lambda o, p=path, v=value: _field_value(o, p) != v)
        else:
            checks.append(lambda o, p=path, v=value: _field_value(o, p) == v)
    return lambda obj: all(c(obj) for c in checks)
