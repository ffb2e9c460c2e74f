"""emberstack kubernetes-reflector: auto-mirrors annotated Secrets and ConfigMaps.

A source annotated `reflection-allowed: "true"` and `reflection-auto-enabled: "true"` is
copied into every namespace that exists and matches both `reflection-allowed-namespaces`
and `reflection-auto-namespaces` (comma-separated regex patterns, each matched against the
whole name; empty = all). Nothing is created for a listed namespace that does not exist;
when it is created later, the copy appears then. Copies carry `reflects: <ns>/<name>`,
`auto-reflects: "True"` and `reflected-version` (the source's resourceVersion); source
updates propagate; deleting the source (or revoking auto reflection) deletes its auto
copies. An object of the same name that is not a reflection is left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent, now_iso
from .base import Controller, Key

Obj = dict[str, Any]
PREFIX = "reflector.v1.k8s.emberstack.com"
ALLOWED = f"{PREFIX}/reflection-allowed"
ALLOWED_NAMESPACES = f"{PREFIX}/reflection-allowed-namespaces"
AUTO_ENABLED = f"{PREFIX}/reflection-auto-enabled"
AUTO_NAMESPACES = f"{PREFIX}/reflection-auto-namespaces"
REFLECTS = f"{PREFIX}/reflects"
AUTO_REFLECTS = f"{PREFIX}/auto-reflects"
REFLECTED_VERSION = f"{PREFIX}/reflected-version"
REFLECTED_AT = f"{PREFIX}/reflected-at"
KINDS = ("Secret", "ConfigMap")


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def pattern_match(patterns: str, value: str) -> bool:
    """Reflector's PatternListMatch: empty list matches; else one regex must match it all."""
    if not patterns:
        return True
    for pattern in (p.strip() for p in patterns.split(",")):
        if not pattern:
            continue
        try:
            m = re.search(pattern, value)
        except re.error:
            continue
        if m and len(m.group(0)) == len(value):
            return True
    return False


def auto_targets(source: Obj, namespaces: Iterable[str]) -> set[str]:
    ann = source["metadata"].get("annotations") or {}
    if not (_true(ann.get(ALLOWED)) and _true(ann.get(AUTO_ENABLED))):
        return set()
    own = source["metadata"]["namespace"]
    return {ns for ns in namespaces
            if ns != own and pattern_match(ann.get(ALLOWED_NAMESPACES, ""), ns)
            and pattern_match(ann.get(AUTO_NAMESPACES, ""), ns)}


class Reflector(Controller):
    name = "reflector"

    def __init__(self) -> None:
        super().__init__()
        # Indexes fed by the watch events (and the reflector's own writes), like an informer's
        # indexers: an event then costs no list of every Secret/ConfigMap in the cluster.
        self._auto_sources: dict[str, set[tuple[str, str]]] = {k: set() for k in KINDS}
        self._copies: dict[tuple[str, str], set[str]] = {}  # (kind, source ref) -> copy nss
        self._copy_ref: dict[Key, str] = {}  # (kind, ns, name) of an auto copy -> source ref

    def kind_rt(self, kind: str) -> ResourceType:
        return self.rt("", "v1", "secrets" if kind == "Secret" else "configmaps")

    def watches(self) -> Iterable[ResourceType]:
        return (self.kind_rt("Secret"), self.kind_rt("ConfigMap"), self.rt("", "v1", "namespaces"))

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        obj = event.obj
        meta = obj["metadata"]
        if obj["kind"] == "Namespace":
            if event.type == "ADDED":
                # A new namespace may be a target of any auto-reflected source.
                for kind in KINDS:
                    for src_ns, src_name in sorted(self._auto_sources[kind]):
                        yield (kind, src_ns, src_name)
            return
        self._index(obj, deleted=event.type == "DELETED")
        ann = meta.get("annotations") or {}
        if ann.get(REFLECTS):
            # A copy changed or vanished: re-check its source.
            src_ns, _, src_name = ann[REFLECTS].partition("/")
            yield (obj["kind"], src_ns, src_name)
            return
        yield (obj["kind"], meta["namespace"], meta["name"])

    def _index(self, obj: Obj, *, deleted: bool) -> None:
        kind, meta = obj["kind"], obj["metadata"]
        ns, name = meta["namespace"], meta["name"]
        self._auto_sources[kind].discard((ns, name))
        self._forget_copy((kind, ns, name))
        if deleted:
            return
        ann = meta.get("annotations") or {}
        if ann.get(REFLECTS):
            if _true(ann.get(AUTO_REFLECTS)):
                self._remember_copy((kind, ns, name), ann[REFLECTS])
        elif _true(ann.get(AUTO_ENABLED)):
            self._auto_sources[kind].add((ns, name))

    def _remember_copy(self, key: Key, ref: str) -> None:
        self._copy_ref[key] = ref
        self._copies.setdefault((key[0], ref), set()).add(key[1])

    def _forget_copy(self, key: Key) -> None:
        ref = self._copy_ref.pop(key, None)
        if ref is not None:
            self._copies.get((key[0], ref), set()).discard(key[1])

    async def reconcile(self, key: Key) -> float | None:
        kind, ns, name = key
        rt = self.kind_rt(kind)
        source = self.store.try_get(rt, ns, name)
        if source is not None and (source["metadata"].get("annotations") or {}).get(REFLECTS):
            return None  # a reflection itself is never a source
        ref = f"{ns}/{name}"
        targets = auto_targets(source, self.store.namespaces()) if source else set()
        if source is not None and source["metadata"].get("deletionTimestamp"):
            targets = set()
        for target in sorted(targets):
            self._mirror(rt, source, target, ref)  # type: ignore[arg-type]
        # Auto copies no longer wanted (source gone, annotation revoked) are removed. A copy
        # has its source's name; the index says where they are, the object itself confirms.
        for copy_ns in sorted(self._copies.get((kind, ref), set()) - targets):
            obj = self.store.try_get(rt, copy_ns, name)
            ann = (obj or {}).get("metadata", {}).get("annotations") or {}
            if obj is not None and ann.get(REFLECTS) == ref and _true(ann.get(AUTO_REFLECTS)):
                self.store.delete(rt, copy_ns, name)
            self._forget_copy((kind, copy_ns, name))
        return None

    def _mirror(self, rt: ResourceType, source: Obj, target_ns: str, ref: str) -> None:
        name = source["metadata"]["name"]
        version = source["metadata"]["resourceVersion"]
        existing = self.store.try_get(rt, target_ns, name)
        if existing is not None:
            ann = existing["metadata"].get("annotations") or {}
            if ann.get(REFLECTS) != ref:
                return  # not ours to overwrite
            if ann.get(REFLECTED_VERSION) == version:
                return
        annotations = {REFLECTS: ref, AUTO_REFLECTS: "True", REFLECTED_VERSION: version,
                       REFLECTED_AT: json.dumps(now_iso())}
        content: Obj = {k: source[k] for k in ("data", "binaryData", "type") if k in source}
        if existing is None:
            self.store.create(rt, target_ns, {
                "metadata": {"name": name, "namespace": target_ns,
                             "labels": dict(source["metadata"].get("labels") or {}),
                             "annotations": annotations},
                **content})
            self._remember_copy((source["kind"], target_ns, name), ref)
            return

        def put(obj: Obj) -> Obj:
            obj["metadata"].setdefault("annotations", {}).update(annotations)
            for k in ("data", "binaryData"):
                obj.pop(k, None)
            obj.update(content)
            return obj

        self.store.patch(rt, target_ns, name, put)
