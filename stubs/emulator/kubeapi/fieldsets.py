"""Field sets, as structured-merge-diff computes them, over JSON-like objects.

A path is a tuple of path elements in FieldsV1's spelling: `f:<field>`, `k:<keys as
JSON>` (an associative-list item), `v:<value as JSON>` (a set item). A set of paths is a
frozenset. What is walked how comes from a `fieldtypes.TypeNode`.

- `applied_set(config)`: what an applier owns: its leaves, atomic values, empty maps and
  lists, and every list item it names (granular maps themselves are not members);
- `compare(old, new)`: added, modified and removed paths; a map or list that appears or
  disappears is itself added or removed, a present `null` counts as present;
- `merge(live, config)`: the applied configuration merged into the live object (maps by
  field, associative lists by key and sets by value, in structured-merge-diff's order);
- `remove(obj, paths)`: drop those fields and items; a map or list emptied by it goes too;
- `to_fields_v1` / `from_fields_v1` and `path_string` (a conflict's `.spec.x[name="c"]`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .fieldtypes import ATOMIC, LIST_MAP, LIST_SET, MAP, TypeNode

Path = tuple[str, ...]
FieldSet = frozenset[Path]
_ABSENT = object()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def item_element(item: Any, node: TypeNode, shape: str) -> str:
    """The path element of a list item: `k:{...}` for an associative list, else `v:...`."""
    if shape == LIST_MAP and isinstance(item, dict):
        keys = {k: item[k] if k in item else node.key_defaults[k] for k in node.keys
                if k in item or k in node.key_defaults}
        return "k:" + _json(keys)
    return "v:" + _json(item)


def _is_empty(value: Any) -> bool:
    return value is _ABSENT or value is None or value == {} or value == []


# -- applied sets -------------------------------------------------------------------------

def applied_set(obj: Any, node: TypeNode) -> FieldSet:
    out: set[Path] = set()
    if isinstance(obj, dict):
        for name, value in obj.items():
            _collect(value, node.child(name), (f"f:{name}",), out)
    return frozenset(out)


def _collect(value: Any, node: TypeNode, path: Path, out: set[Path]) -> None:
    shape = node.shape(value)
    if shape == ATOMIC or _is_empty(value):
        out.add(path)
    elif shape == MAP:
        if node.deduced:
            out.add(path)
        for name, child in value.items():
            _collect(child, node.child(name), (*path, f"f:{name}"), out)
    else:
        item_node = node.item()
        for item in value:
            item_path = (*path, item_element(item, node, shape))
            out.add(item_path)
            if shape == LIST_MAP and isinstance(item, dict):
                for name, child in item.items():
                    _collect(child, item_node.child(name), (*item_path, f"f:{name}"), out)


# -- comparison ---------------------------------------------------------------------------

@dataclass
class Diff:
    added: set[Path] = field(default_factory=set)
    modified: set[Path] = field(default_factory=set)
    removed: set[Path] = field(default_factory=set)

    @property
    def changed(self) -> set[Path]:
        return self.added | self.modified


def compare(old: dict[str, Any], new: dict[str, Any], node: TypeNode) -> Diff:
    diff = Diff()
    _compare_map(old, new, node, (), diff)
    return diff


def _compare(lhs: Any, rhs: Any, node: TypeNode, path: Path, diff: Diff) -> None:
    present = rhs if rhs is not _ABSENT and rhs is not None else lhs
    shape = node.shape(present)
    same_kind = all(v is _ABSENT or v is None or isinstance(v, type(present))
                    for v in (lhs, rhs))
    if shape == ATOMIC or not same_kind or (_is_empty(lhs) and _is_empty(rhs)):
        if lhs is _ABSENT:
            diff.added.add(path)
        elif rhs is _ABSENT:
            diff.removed.add(path)
        elif lhs != rhs:
            diff.modified.add(path)
        return
    if shape == MAP:
        _compare_map(lhs if isinstance(lhs, dict) else {}, rhs if isinstance(rhs, dict) else {},
                     node, path, diff)
    else:
        left = _index(lhs if isinstance(lhs, list) else [], node, shape)
        right = _index(rhs if isinstance(rhs, list) else [], node, shape)
        item_node = node.item()
        for pe in [*left, *(pe for pe in right if pe not in left)]:
            item_path = (*path, pe)
            if shape == LIST_SET:
                if pe not in left:
                    diff.added.add(item_path)
                elif pe not in right:
                    diff.removed.add(item_path)
                continue
            _compare(left.get(pe, _ABSENT), right.get(pe, _ABSENT), _ItemNode(item_node),
                     item_path, diff)
    if lhs is _ABSENT:
        diff.added.add(path)
    elif rhs is _ABSENT:
        diff.removed.add(path)


def _compare_map(lhs: dict[str, Any], rhs: dict[str, Any], node: TypeNode, path: Path,
                 diff: Diff) -> None:
    for name in [*lhs, *(k for k in rhs if k not in lhs)]:
        _compare(lhs.get(name, _ABSENT), rhs.get(name, _ABSENT), node.child(name),
                 (*path, f"f:{name}"), diff)


class _ItemNode(TypeNode):
    """An associative-list item: always a granular map of its fields."""

    deduced = False

    def __init__(self, node: TypeNode) -> None:
        self.node = node

    def shape(self, value: Any) -> str:
        return MAP if isinstance(value, dict) else ATOMIC

    def child(self, name: str) -> TypeNode:
        return self.node.child(name)

    def item(self) -> TypeNode:
        return self.node.item()


def _index(items: list[Any], node: TypeNode, shape: str) -> dict[str, Any]:
    return {item_element(item, node, shape): item for item in items}


# -- merge (apply) and removal (prune) ----------------------------------------------------

def merge(live: Any, config: Any, node: TypeNode) -> Any:
    shape = node.shape(config)
    if shape == MAP and isinstance(live, dict):
        out = dict(live)
        for name, value in config.items():
            out[name] = merge(live.get(name, _ABSENT), value, node.child(name))
        return out
    if shape in (LIST_MAP, LIST_SET) and isinstance(live, list):
        return _merge_list(live, config, node, shape)
    return json.loads(json.dumps(config)) if isinstance(config, dict | list) else config


def _merge_list(lhs: list[Any], rhs: list[Any], node: TypeNode, shape: str) -> list[Any]:
    """structured-merge-diff's list order: live items stay where they are, applied items
    come in the applied order, shared items in the applied order among themselves."""
    l_pes = [item_element(x, node, shape) for x in lhs]
    r_pes = [item_element(x, node, shape) for x in rhs]
    left, right = dict(zip(l_pes, lhs, strict=True)), dict(zip(r_pes, rhs, strict=True))
    shared = [pe for pe in r_pes if pe in left]
    item_node = _ItemNode(node.item())

    def merged_item(pe: str) -> Any:
        if shape == LIST_SET:
            return right[pe]
        return merge(left.get(pe, _ABSENT), right[pe], item_node)

    out: list[Any] = []
    done: set[str] = set()
    li = ri = si = 0
    next_shared = shared[0] if shared else None
    while li < len(l_pes) or ri < len(r_pes):
        if li < len(l_pes) and ri < len(r_pes):
            pe = l_pes[li]
            if pe == r_pes[ri]:
                done.add(pe)
                out.append(merged_item(pe))
                li, ri, si = li + 1, ri + 1, si + 1
                next_shared = shared[si] if si < len(shared) else None
                continue
            if pe in right and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(l_pes):
            pe = l_pes[li]
            if pe not in right:
                out.append(lhs[li])
                li += 1
                continue
            if pe in done:
                li += 1
                continue
        if ri < len(r_pes):
            pe = r_pes[ri]
            done.add(pe)
            out.append(merged_item(pe))
            ri += 1
            if next_shared == pe:
                si += 1
                next_shared = shared[si] if si < len(shared) else None
    return out


def remove(obj: dict[str, Any], paths: Iterable[Path], node: TypeNode) -> dict[str, Any]:
    tree = _tree(paths)
    out = _remove(obj, tree, node)
    return out if isinstance(out, dict) else {}


_GONE = object()


def _remove(value: Any, tree: dict[str, Any], node: TypeNode) -> Any:
    if "." in tree:
        return _GONE
    shape = node.shape(value)
    if shape == MAP:
        out = dict(value)
        for pe, sub in tree.items():
            name = pe[2:]
            if pe.startswith("f:") and name in out:
                kept = _remove(out[name], sub, node.child(name))
                if kept is _GONE:
                    del out[name]
                else:
                    out[name] = kept
        return out if out else _GONE
    if shape in (LIST_MAP, LIST_SET):
        item_node = _ItemNode(node.item())
        items = []
        for item in value:
            sub = tree.get(item_element(item, node, shape))
            kept = item if sub is None else _remove(item, sub, item_node)
            if kept is not _GONE:
                items.append(kept)
        return items if items else _GONE
    return value


def _tree(paths: Iterable[Path]) -> dict[str, Any]:
    """Paths as a trie; "." marks a member."""
    root: dict[str, Any] = {}
    for path in paths:
        cur = root
        for pe in path:
            cur = cur.setdefault(pe, {})
        cur["."] = {}
    return root


# -- encodings ----------------------------------------------------------------------------

def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    def render(node: dict[str, Any]) -> dict[str, Any]:
        children = {k: render(v) for k, v in sorted(node.items()) if k != "."}
        if "." in node and children:
            return {".": {}, **children}
        return children

    return render(_tree(paths))


def from_fields_v1(fields: Any) -> FieldSet:
    out: set[Path] = set()

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            return
        for key, sub in node.items():
            if key == ".":
                out.add(path)
            elif isinstance(sub, dict) and sub:
                walk(sub, (*path, key))
            else:
                out.add((*path, key))

    walk(fields, ())
    return frozenset(out)


def _go_string(value: Any) -> str:
    """structured-merge-diff's value.ToString: strings quoted, other scalars bare."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def path_string(path: Path) -> str:
    out = []
    for pe in path:
        tag, body = pe[:2], pe[2:]
        if tag == "f:":
            out.append("." + body)
        elif tag == "k:":
            keys = json.loads(body)
            out.append("[" + ",".join(f"{k}={_go_string(v)}" for k, v in keys.items()) + "]")
        elif tag == "v:":
            out.append(f"[={_go_string(json.loads(body))}]")
        else:
            out.append(f"[{body}]")
    return "".join(out)


def with_ancestors(paths: Iterable[Path]) -> set[Path]:
    """`paths` plus every ancestor that is a field (`f:`), not a list item: what
    structured-merge-diff's EnsureNamedFieldsAreMembers adds before pruning."""
    out = set(paths)
    for path in list(out):
        for end in range(1, len(path)):
            if path[end - 1].startswith("f:"):
                out.add(path[:end])
    return out
