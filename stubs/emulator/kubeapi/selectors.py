"""Label and field selectors, parsed the way the Kubernetes API server parses them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A selector string the API server would reject with 400 BadRequest."""


_SET_RE = re.compile(r"^\s*(!?)([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split_requirements(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
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


@dataclass(frozen=True)
class _LabelRequirement:
    """One requirement of a label selector: `key op values`."""

    key: str
    op: str  # in | notin | = | != | exists | !exists
    values: frozenset[str] = frozenset()

    def __call__(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "in":
            return value in self.values
        if self.op == "notin":
            return value not in self.values
        if self.op == "=":
            return present and value in self.values
        if self.op == "!=":
            return value not in self.values
        if self.op == "exists":
            return present
        return not present


def _label_requirement(req: str) -> _LabelRequirement:
    if m := _SET_RE.match(req):
        if m.group(1):
            raise SelectorError(f"unable to parse requirement: {req!r}")
        values = frozenset(v.strip() for v in m.group(4).split(",") if v.strip())
        return _LabelRequirement(m.group(2), m.group(3), values)
    if m := _EQ_RE.match(req):
        key, op, value = m.groups()
        return _LabelRequirement(key, "!=" if op == "!=" else "=", frozenset({value}))
    if m := _EXISTS_RE.match(req):
        neg, key = m.groups()
        return _LabelRequirement(key, "!exists" if neg else "exists")
    raise SelectorError(f"unable to parse requirement: {req!r}")


def parse_label_selector(text: str | None) -> Predicate:
    """`a=b,c!=d,e in (x,y),f notin (z),g,!h` -> predicate over a labels mapping."""
    checks = [_label_requirement(r) for r in _split_requirements(text or "")]
    return lambda labels: all(check(labels) for check in checks)


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


@dataclass(frozen=True)
class _FieldRequirement:
    path: str
    equal: bool
    value: str

    def __call__(self, obj: Mapping[str, Any]) -> bool:
        return (_field_value(obj, self.path) == self.value) == self.equal


def parse_field_selector(text: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """`metadata.name=x,metadata.namespace!=y` (also any dotted path) -> predicate over objects."""
    checks: list[_FieldRequirement] = []
    for req in _split_requirements(text or ""):
        m = _EQ_RE.match(req)
        if not m:
            raise SelectorError(f"invalid field selector: {req!r}")
        path, op, value = m.groups()
        checks.append(_FieldRequirement(path, op != "!=", value))
    return lambda obj: all(check(obj) for check in checks)
