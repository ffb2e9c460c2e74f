"""Field ownership (`metadata.managedFields`) as kube-apiserver's field manager keeps it.

Every write records who set what:
- an *Update* (create, update, a non-apply patch) gives its manager the fields it added
  or changed, taking them from every other manager (updates never conflict); a field it
  removes leaves every owner; an update that changed nothing leaves the entries as they
  were (time included);
- an *Apply* merges the applied configuration into the live object; its manager owns
  exactly the applied fields from then on; fields it applied last time and no longer
  does are removed from the object unless another manager owns them; a value it changes
  that another manager owns is a conflict (409, one cause per field and manager) unless
  `force=true`, which takes the field over.

Entries are keyed as the API server keys them (manager, operation, subresource, and the
API version for updates), carry FieldsV1 and a second-resolution time, and are sorted as
upstream sorts them (operation, time, manager, apiVersion, subresource). Not modelled:
the cap of 10 update entries (older ones merged into "ancient-changes"), and converting
sets between API versions (one stored version per kind here).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import errors
from .fieldsets import (
    Diff,
    FieldSet,
    Path,
    applied_set,
    compare,
    from_fields_v1,
    merge,
    path_string,
    remove,
    to_fields_v1,
    with_ancestors,
)
from .fieldtypes import TypeNode

APPLY, UPDATE = "Apply", "Update"
# Only this manager's applies may take over what client-side apply set (upstream: "To
# opt-out of this behavior, users may specify a different field manager").
KUBECTL = "kubectl"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_MANAGER_LENGTH = 128  # apimachinery's FieldManagerMaxLength

# What the field manager never records (its stripMeta set).
_STRIPPED: frozenset[Path] = frozenset({
    ("f:apiVersion",), ("f:kind",), ("f:metadata",),
    *(("f:metadata", f"f:{name}") for name in (
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
        "generation", "managedFields", "resourceVersion")),
})


@dataclass(frozen=True)
class Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str
    time: str | None
    fields: FieldSet

    @property
    def ident(self) -> tuple[str, str, str, str]:
        # Appliers keep one entry whatever API version they apply with.
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, self.subresource, version)

    def describe(self) -> str:
        """How a conflict names the manager (apimachinery's printManager)."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:  # the identifier printed has no time
            text += f" using {self.api_version}"
        return text


Managers = dict[tuple[str, str, str, str], Entry]


class ManagedFieldsList(list[dict[str, Any]]):
    """metadata.managedFields as stored: never mutated in place, so the store's reads
    share it instead of copying it (it is often larger than the object), and it keeps
    its decoded form for the next write."""

    decoded: Managers | None = None


def manager_from_user_agent(user_agent: str) -> str:
    """The manager of a request without `fieldManager`: the User-Agent up to its first
    "/", printable characters only, at most 128 bytes (as the API server derives it)."""
    out = ""
    for ch in user_agent.split("/")[0]:
        if not ch.isprintable():
            continue
        if len((out + ch).encode()) > MAX_MANAGER_LENGTH:
            break
        out += ch
    return out


def decode(entries: Any) -> Managers:
    if isinstance(entries, ManagedFieldsList) and entries.decoded is not None:
        return dict(entries.decoded)
    out: Managers = {}
    for raw in entries if isinstance(entries, list) else []:
        if not isinstance(raw, dict):
            continue
        entry = Entry(str(raw.get("manager") or ""), str(raw.get("operation") or ""),
                      str(raw.get("apiVersion") or ""), str(raw.get("subresource") or ""),
                      raw.get("time"), from_fields_v1(raw.get("fieldsV1") or {}))
        if entry.fields:
            out[entry.ident] = entry
    return out


def encode(managers: Managers) -> ManagedFieldsList:
    def order(e: Entry) -> tuple[str, str, str, str, str]:
        return (e.operation, e.time or "", e.manager, e.api_version, e.subresource)

    out = ManagedFieldsList()
    out.decoded = dict(managers)
    for e in sorted(managers.values(), key=order):
        raw: dict[str, Any] = {"manager": e.manager, "operation": e.operation,
                               "apiVersion": e.api_version}
        if e.time:
            raw["time"] = e.time
        raw["fieldsType"] = "FieldsV1"
        raw["fieldsV1"] = _rendered(e.fields)
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    return out


@functools.lru_cache(maxsize=4096)
def _rendered(fields: FieldSet) -> dict[str, Any]:
    """FieldsV1 of a set; most entries are unchanged by a write, so render each once (the
    result is shared: stored managedFields are never mutated in place)."""
    return to_fields_v1(fields)


def _trackable(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the field manager compares it: without its managedFields."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def _keep(paths: set[Path] | FieldSet, relevant: Callable[[Path], bool]) -> set[Path]:
    return {p for p in paths if p not in _STRIPPED and p[:2] != ("f:metadata",
            "f:managedFields") and relevant(p)}


def _filtered(diff: Diff, relevant: Callable[[Path], bool]) -> Diff:
    return Diff(_keep(diff.added, relevant), _keep(diff.modified, relevant),
                _keep(diff.removed, relevant))


def update(managers: Managers, old: dict[str, Any], new: dict[str, Any], node: TypeNode, *,
           manager: str, api_version: str, subresource: str, now: str,
           relevant: Callable[[Path], bool]) -> Managers:
    """The entries after `manager` changed `old` (with its zero-value skeleton) to `new`."""
    diff = _filtered(compare(_trackable(old), _trackable(new), node), relevant)
    out: Managers = {}
    for ident, entry in managers.items():
        kept = entry.fields - diff.changed - diff.removed
        if kept:
            out[ident] = replace(entry, fields=frozenset(kept))
    if diff.changed:
        mine = Entry(manager, UPDATE, api_version, subresource, now, frozenset(diff.changed))
        previous = out.get(mine.ident)
        if previous is not None:
            mine = replace(mine, fields=previous.fields | mine.fields)
        out[mine.ident] = mine
    return out


def apply(managers: Managers, live: dict[str, Any], config: dict[str, Any], node: TypeNode,
          *, manager: str, api_version: str, force: bool, now: str,
          relevant: Callable[[Path], bool]) -> tuple[dict[str, Any], Managers, bool]:
    """Merge `config` into `live` for `manager`: (object, entries, changed); raises the
    409 Conflict the API server answers when other managers own changed values."""
    live = _trackable(live)
    config = _trackable(config)
    ident = (manager, APPLY, "", "")
    previous = managers.get(ident)
    applied = frozenset(_keep(applied_set(config, node), relevant))
    merged = merge(live, config, node)
    others = {i: e for i, e in managers.items() if i != ident}
    if previous is not None:
        owned = with_ancestors(applied.union(*(e.fields for e in others.values())))
        protected = with_ancestors(_STRIPPED)
        gone = with_ancestors(previous.fields) - owned - protected
        if gone:
            merged = remove(merged, gone, node)
    diff = _filtered(compare(live, merged, node), relevant)
    conflicts = [(entry, path) for entry in others.values()
                 for path in sorted(entry.fields & diff.changed)]
    if conflicts and manager == KUBECTL and all(
            p in _last_applied_fields(live, node, relevant) for _, p in conflicts):
        force = True  # kubectl's upgrade from client-side apply (lastAppliedManager)
    if conflicts and not force:
        raise conflict_error(conflicts)
    out: Managers = {}
    for i, entry in others.items():
        kept = entry.fields - diff.changed - diff.removed
        if kept:
            out[i] = replace(entry, fields=frozenset(kept))
    changed = _comparable(live) != _comparable(merged)
    time = now if changed or previous is None else previous.time
    if applied:
        out[ident] = Entry(manager, APPLY, api_version, "", time, applied)
    return merged, out, changed


def _last_applied_fields(live: dict[str, Any], node: TypeNode,
                         relevant: Callable[[Path], bool]) -> set[Path]:
    """The fields of the client-side apply annotation: `kubectl apply --server-side` may
    take them over without a conflict (the API server's lastAppliedManager)."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        config = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return set()
    return _keep(applied_set(config, node), relevant) if isinstance(config, dict) else set()


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


def conflict_error(conflicts: list[tuple[Entry, Path]]) -> errors.ApiError:
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {e.describe()}",
               "field": path_string(p)} for e, p in conflicts]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (f"Apply failed with 1 conflict: conflict with {entry.describe()}: "
                   f"{path_string(path)}")
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.describe(), []).append(path_string(path))
        lines = []
        for name in sorted(by_manager):
            lines.append(f"conflicts with {name}:")
            lines.extend(f"- {p}" for p in by_manager[name])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.ApiError(409, "Conflict", message, {"causes": causes})


# -- what the store needs per kind ----------------------------------------------------------

# The fields a kind's Go zero value already has (non-pointer structs, non-omitempty lists):
# an update that fills them does not add the node itself (no "." in its FieldsV1).
_TEMPLATE = {"metadata": {}, "spec": {"containers": None}}
_SKELETONS: dict[str, dict[str, Any]] = {
    "Deployment": {"spec": {"template": _TEMPLATE, "strategy": {}}, "status": {}},
    "StatefulSet": {"spec": {"template": _TEMPLATE, "updateStrategy": {}}, "status": {}},
    "DaemonSet": {"spec": {"template": _TEMPLATE, "updateStrategy": {}}, "status": {}},
    "ReplicaSet": {"spec": {"template": _TEMPLATE}, "status": {}},
    "Job": {"spec": {"template": _TEMPLATE}, "status": {}},
    "Pod": {"spec": {"containers": None}, "status": {}},
    "Service": {"spec": {}, "status": {"loadBalancer": {}}},
    "PersistentVolumeClaim": {"spec": {"resources": {}}, "status": {}},
    "Namespace": {"spec": {}, "status": {}},
    "Node": {"spec": {}, "status": {"daemonEndpoints": {"kubeletEndpoint": {}},
                                    "nodeInfo": {}}},
    "ConfigMap": {}, "Secret": {}, "ServiceAccount": {}, "Endpoints": {},
    "Event": {"involvedObject": {}, "source": {}},
    "EndpointSlice": {"endpoints": None},
    "CustomResourceDefinition": {"spec": {"names": {}}, "status": {"acceptedNames": {}}},
}


def zero_value(kind: str, custom: bool) -> dict[str, Any]:
    """What the field manager compares a create against: the kind's zero value."""
    if custom:
        return {"metadata": {}}  # unstructured: nothing but what the request has
    return {"metadata": {}, **copy.deepcopy(_SKELETONS.get(kind, {"spec": {}, "status": {}}))}


def with_zero_value(old: dict[str, Any], zero: dict[str, Any]) -> dict[str, Any]:
    """`old` with the zero value's nodes it lacks (a stored object may omit them)."""
    out = dict(old)
    for name, value in zero.items():
        if name not in out:
            out[name] = value
        elif isinstance(value, dict) and isinstance(out[name], dict):
            out[name] = with_zero_value(out[name], value)
    return out


def relevance(has_status: bool, subresource: str | None) -> Callable[[Path], bool]:
    """Which paths a write may own: a status write only status; a main-resource write of
    a kind with a status subresource everything but status (the API server resets it)."""
    if subresource == "status":
        return lambda p: p[:1] == ("f:status",)
    if has_status:
        return lambda p: p[:1] != ("f:status",)
    return lambda p: True
