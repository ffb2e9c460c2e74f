"""The four patch kinds the API server accepts, as pure functions over JSON-like objects.

- JSON merge patch (RFC 7386): maps merge, `null` deletes, lists are replaced.
- JSON patch (RFC 6902): add/remove/replace/move/copy/test on JSON pointers.
- Strategic merge patch: like merge patch, but lists of objects with a known merge key
  (containers by name, ports by containerPort/port, conditions by type...) are merged by
  that key; `$patch: delete|replace` and `$retainKeys` are honoured where simple.
- Server-side apply: treated as a strategic merge of the applied config into the live
  object (no field-ownership conflicts are modelled; see docs/DESIGN.md).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import errors

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

# Field name -> merge key of its list items, as the Kubernetes OpenAPI x-kubernetes-patch-merge-key
# declares them for the types the emulator serves.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "conditions": "type",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "tolerations": "key",
    "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid",
    "finalizers": "",  # list of scalars merged as a set
}
# Service ports merge by "port"; pods' container ports by "containerPort".
SERVICE_PORT_KEY = "port"


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer_parts(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise errors.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve_parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    cur = doc
    for part in parts[:-1]:
        if isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError) as e:
                raise errors.ApiError(422, "Invalid", f"path not found: {part}") from e
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise errors.ApiError(422, "Invalid",
                                  f"doc is missing path: /{'/'.join(parts)}: missing value")
    return cur, parts[-1]


def _get(doc: Any, path: str) -> Any:
    cur = doc
    for part in _pointer_parts(path):
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def json_patch(doc: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise errors.bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        parts = _pointer_parts(path)
        if kind == "test":
            try:
                ok = _get(doc, path) == op.get("value")
            except (KeyError, IndexError, ValueError, TypeError):
                ok = False
            if not ok:
                # The API server answers a failed `test` op with a generic message and empty
                # details (the JSON-patch library's error is not passed on).
                raise errors.ApiError(
                    422, "Invalid",
                    "the server rejected our request due to an error in our request",
                    {})
            continue
        if kind in ("move", "copy"):
            value = copy.deepcopy(_get(doc, op["from"]))
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = json_patch(doc, [{"op": "add", "path": path, "value": value}])
            continue
        if not parts:
            if kind in ("add", "replace"):
                doc = copy.deepcopy(op.get("value"))
                continue
            raise errors.bad_request("cannot remove the whole document")
        parent, last = _resolve_parent(doc, parts)
        if kind == "add":
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                parent.insert(idx, copy.deepcopy(op.get("value")))
            else:
                parent[last] = copy.deepcopy(op.get("value"))
        elif kind == "replace":
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op.get("value"))
            else:
                if last not in parent:
                    raise errors.ApiError(422, "Invalid",
                                          f"replace operation does not apply: doc is missing "
                                          f"key: {path}: missing value")
                parent[last] = copy.deepcopy(op.get("value"))
        elif kind == "remove":
            try:
                if isinstance(parent, list):
                    del parent[int(last)]
                else:
                    del parent[last]
            except (KeyError, IndexError, ValueError) as e:
                raise errors.ApiError(422, "Invalid",
                                      f"remove operation does not apply: doc is missing path: "
                                      f"{path}: missing value") from e
        else:
            raise errors.bad_request(f"unexpected json patch operation {kind!r}")
    return doc


def strategic_merge(target: Any, patch: Any, field_name: str = "",
                    parent_kind: str = "") -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        if patch.get("$patch") == "delete":
            return None
        result = copy.deepcopy(target) if isinstance(target, dict) else {}
        retain = patch.get("$retainKeys")
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if value is None:
                result.pop(key, None)
                continue
            result[key] = strategic_merge(result.get(key), value, key, parent_kind)
        if isinstance(retain, list):
            result = {k: v for k, v in result.items() if k in retain}
        return result
    if isinstance(patch, list):
        merge_key = MERGE_KEYS.get(field_name)
        if field_name == "ports" and _looks_like_service_ports(patch, target):
            merge_key = SERVICE_PORT_KEY
        if merge_key is None or not isinstance(target, list):
            return [x for x in copy.deepcopy(patch) if not _is_delete_directive(x)]
        if merge_key == "":
            merged = list(target)
            for item in patch:
                if item not in merged:
                    merged.append(item)
            return _apiserver_order(merged, patch, target, lambda x: x)
        merged_list = copy.deepcopy(target)
        for item in patch:
            if not isinstance(item, dict) or merge_key not in item:
                merged_list.append(copy.deepcopy(item))
                continue
            idx = next((i for i, cur in enumerate(merged_list)
                        if isinstance(cur, dict) and cur.get(merge_key) == item[merge_key]),
                       None)
            if _is_delete_directive(item):
                if idx is not None:
                    del merged_list[idx]
                continue
            if idx is None:
                merged_list.append(strategic_merge({}, item, "", parent_kind))
            else:
                merged_list[idx] = strategic_merge(merged_list[idx], item, "", parent_kind)
        return _apiserver_order(merged_list, patch, target,
                                lambda x: x.get(merge_key) if isinstance(x, dict) else None)
    return copy.deepcopy(patch)


def _apiserver_order(merged: list[Any], patch: list[Any], original: list[Any],
                     key: Callable[[Any], Any]) -> list[Any]:
    """The order the API server gives a merged list (strategicpatch's normalizeElementOrder
    with no $setElementOrder): the items named in the patch, in the patch's order, and the
    server-only items, in the live order, interleaved by their live positions; an item the
    live list lacks goes before the server-only items still to place."""
    patch_keys = [key(x) for x in patch if not _is_delete_directive(x)]
    in_patch = sorted((m for m in merged if key(m) in patch_keys),
                      key=lambda m: patch_keys.index(key(m)))
    server_only = [m for m in merged if key(m) not in patch_keys]
    live = [key(x) for x in original]

    def live_index(item: Any) -> int:
        return live.index(key(item)) if key(item) in live else -1

    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(in_patch[j])
            j += 1
        else:
            left, right = live_index(server_only[i]), live_index(in_patch[j])
            if left >= 0 and right >= 0 and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(in_patch[j])
                j += 1
    return out


def _is_delete_directive(item: Any) -> bool:
    return isinstance(item, dict) and item.get("$patch") == "delete"


def _looks_like_service_ports(patch: list[Any], target: Any) -> bool:
    items = list(patch) + (list(target) if isinstance(target, list) else [])
    return any(isinstance(p, dict) and "port" in p and "containerPort" not in p for p in items)


def apply(content_type: str, current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Return the patched copy of `current` for a request body of `content_type`."""
    if content_type == MERGE_PATCH:
        out = merge_patch(current, patch)
    elif content_type == JSON_PATCH:
        out = json_patch(current, patch)
    elif content_type in (STRATEGIC_MERGE_PATCH, APPLY_PATCH):
        if not isinstance(patch, dict):
            raise errors.bad_request("patch body must be an object")
        out = strategic_merge(current, patch)
    else:
        raise errors.unsupported_media_type()
    if not isinstance(out, dict):
        raise errors.bad_request("patch result is not an object")
    return out
