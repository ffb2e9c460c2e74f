"""The emulated cluster's object store: CRUD with Kubernetes metadata semantics, and watches.

Rules (the API server's, kept here so HTTP handlers and in-process controllers share them):
- every write bumps a global resourceVersion; `metadata.generation` moves only when
  something other than metadata/status changes;
- for types with a status subresource, main-resource writes keep the old status and
  status writes change only status;
- deleting an object with finalizers only sets deletionTimestamp; it goes away when the
  last finalizer is removed; owned objects (ownerReferences) are collected after it;
- a namespaced object can only be created in a namespace that exists.

All methods are synchronous and must be called on the emulator's event loop thread: that
makes each write atomic with respect to the aiohttp handlers and controllers on the loop.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from . import builtin_validation, crdvalidation, errors, fieldmanager, immutability, names
from .builtin_defaults import builtin_defaults
from .defaults import apply_defaults, storage_schema
from .fieldtypes import TypeNode, builtin_root, crd_root
from .ownership import OwnerIndex
from .quota import check_pod
from .resources import ResourceRegistry, ResourceType, types_from_crd
from .selectors import parse_field_selector, parse_label_selector
from .watching import Subscription, WatchEvent

__all__ = ["Obj", "Store", "Subscription", "WatchEvent", "clone", "now_iso"]

Obj = dict[str, Any]
ObjKey = tuple[str, str]  # (namespace or "", name)

# The field manager of in-process writes (the emulated controllers write to the store
# directly, not over HTTP with a fieldManager or User-Agent).
IN_PROCESS_MANAGER = "sovereign-emulator"
EVENT_HISTORY = 20_000

# Built-in kinds whose registry strategy keeps metadata.generation (custom resources always
# do); the others (ConfigMap, Secret, Service, Namespace, ...) never carry one.
GENERATION_KEYS = frozenset({
    ("", "pods"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
    ("apps", "replicasets"), ("batch", "jobs"), ("discovery.k8s.io", "endpointslices"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
})  # default events kept for watch resumption; older versions get 410


def clone(value: Any) -> Any:
    """Deep copy of a JSON-like value; several times faster than copy.deepcopy on objects.
    Stored managedFields are shared, not copied (fieldmanager.ManagedFieldsList)."""
    if type(value) is fieldmanager.ManagedFieldsList:
        return value
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clone(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return copy.deepcopy(value)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_part(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Store:
    def __init__(self, registry: ResourceRegistry | None = None, *,
                 event_history: int = EVENT_HISTORY) -> None:
        self.registry = registry or ResourceRegistry()
        self._objects: dict[tuple[str, str], dict[ObjKey, Obj]] = {}
        self._rv = itertools.count(1)
        self._last_rv = 0
        self._events: deque[WatchEvent] = deque(maxlen=event_history)
        # Storage-version schemas of the CRDs, by (group, plural): custom resources only.
        self._crd_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._owners = OwnerIndex()
        self._subscribers: set[Subscription] = set()
        self._ips = itertools.count(1)
        self.pod_logs: dict[tuple[str, str, str], list[str]] = {}
        # Hooks run after each write (in-process listeners, e.g. the request log in bench).
        self.write_hooks: list[Callable[[WatchEvent], None]] = []

    # ---- helpers -------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._last_rv

    @property
    def event_history(self) -> int:
        """How many write events a watch can resume from (older resourceVersions get 410)."""
        return self._events.maxlen or 0

    @event_history.setter
    def event_history(self, size: int) -> None:
        self._events = deque(self._events, maxlen=size)

    def _next_rv(self) -> int:
        self._last_rv = next(self._rv)
        return self._last_rv

    def _bucket(self, rt: ResourceType) -> dict[ObjKey, Obj]:
        return self._objects.setdefault(rt.key, {})

    @staticmethod
    def _ns(rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _out(self, rt: ResourceType, obj: Obj) -> Obj:
        """A copy of a stored object as seen through `rt`'s version."""
        out = clone(obj)
        out["apiVersion"] = rt.api_version
        out["kind"] = rt.kind
        return out

    def _emit(self, etype: str, rt: ResourceType, obj: Obj) -> None:
        ev = WatchEvent(int(obj["metadata"]["resourceVersion"]), etype, rt.key, obj)
        self._events.append(ev)
        ref = (rt.key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._owners.update(ref, None if etype == "DELETED" else obj)
        for sub in list(self._subscribers):
            if sub.rt.key == rt.key and self._sub_matches(sub, obj):
                sub.queue.put_nowait(WatchEvent(ev.rv, etype, rt.key, self._out(sub.rt, obj)))
        for hook in self.write_hooks:
            hook(ev)
        if rt.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._sync_crd(etype, obj)

    @staticmethod
    def _sub_matches(sub: Subscription, obj: Obj) -> bool:
        if sub.namespace and obj["metadata"].get("namespace") != sub.namespace:
            return False
        return sub.matches(obj)

    def _sync_crd(self, etype: str, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        old_keys = {rt.key for rt in self.registry.crd_types(name)}
        if etype == "DELETED":
            # Deleting a CRD deletes its custom resources (watchers see DELETED events).
            for rt in self.registry.crd_types(name)[:1]:
                for ns, obj_name in list(self._bucket(rt)):
                    self._remove(rt, ns, obj_name)
            self.registry.remove_crd(name)
            for key in old_keys:
                self._crd_schemas.pop(key, None)
            return
        types = types_from_crd(crd)
        self.registry.set_crd(name, types)
        for key in old_keys - {rt.key for rt in types}:
            self._crd_schemas.pop(key, None)
        for rt in types:
            self._crd_schemas[rt.key] = storage_schema(crd)
        status = crd.setdefault("status", {})
        if not status.get("conditions"):
            names = crd.get("spec", {}).get("names", {})
            status["acceptedNames"] = names
            status["storedVersions"] = [
                v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")
            ]
            status["conditions"] = [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": now_iso()},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted",
                 "lastTransitionTime": now_iso()},
            ]

    def _require_namespace(self, rt: ResourceType, namespace: str) -> None:
        if not rt.namespaced:
            return
        ns_rt = self.registry.get("", "v1", "namespaces")
        assert ns_rt is not None
        if ("", namespace) not in self._bucket(ns_rt):
            raise errors.not_found("namespaces", "", namespace)

    # ---- defaults a real API server (or admission) would fill ------------------------------
    def _defaults(self, rt: ResourceType, obj: Obj) -> None:
        builtin_defaults(rt, obj, self._ips)
        schema = self._crd_schemas.get(rt.key)
        if schema:
            crdvalidation.prune(obj, schema)
            apply_defaults(obj, schema)

    def _admit(self, rt: ResourceType, ns: str, obj: Obj, display_name: str) -> None:
        """Validating admission on create: ResourceQuota for pods."""
        if rt.key != ("", "pods"):
            return
        quota_rt = self.registry.get("", "v1", "resourcequotas")
        if quota_rt is None:
            return
        quotas = [q for (qns, _), q in self._bucket(quota_rt).items() if qns == ns]
        if not quotas:
            return
        pods = [p for (pns, _), p in self._bucket(rt).items() if pns == ns]
        err = check_pod(obj, display_name, quotas, pods)
        if err is not None:
            raise err

    def _validate(self, rt: ResourceType, obj: Obj, subresource: str | None = None, *,
                  creating: bool = False, old: Obj | None = None) -> None:
        """422 Invalid when a new object's name breaks its kind's rule (names.py), a custom
        resource its CRD's structural schema, or a built-in object the rules of
        builtin_validation.py (and, on an update, immutability.py); the name's causes come
        first, as ValidateObjectMeta's."""
        causes = names.causes(rt.key, obj["metadata"]) if creating else []
        schema = self._crd_schemas.get(rt.key)
        if schema:
            causes += crdvalidation.validate(obj, schema, status_only=subresource == "status",
                                             old=old)
        elif subresource != "status":
            causes += builtin_validation.validate(rt.key, rt.kind, obj)
            if old is not None:
                causes += immutability.causes(rt.key, old, obj)
        if causes:
            raise errors.invalid_causes(rt.kind, obj["metadata"].get("name", ""), causes,
                                        group=rt.group)

    def _has_generation(self, rt: ResourceType) -> bool:
        return rt.key in GENERATION_KEYS or rt.key in self._crd_schemas

    # ---- field ownership (fieldmanager.py) -----------------------------------------------
    def _type_node(self, rt: ResourceType) -> TypeNode:
        schema = self._crd_schemas.get(rt.key)
        return crd_root(schema) if schema is not None else builtin_root(rt.kind)

    def _track_update(self, rt: ResourceType, old: Obj | None, new: Obj, manager: str | None,
                      subresource: str | None) -> None:
        """Record `manager`'s Update in new.metadata.managedFields."""
        meta = new["metadata"]
        base = fieldmanager.decode(meta.get("managedFields"))
        if old is not None and (not base or subresource):
            base = fieldmanager.decode(old["metadata"].get("managedFields"))
        zero = fieldmanager.zero_value(rt.kind, rt.key in self._crd_schemas)
        before = zero if old is None else fieldmanager.with_zero_value(old, zero)
        managers = fieldmanager.update(
            base, _scoped(before, rt, subresource), _scoped(new, rt, subresource),
            self._type_node(rt), manager=manager or IN_PROCESS_MANAGER,
            api_version=rt.api_version, subresource=subresource or "",
            now=now_iso() if subresource != "scale" else "",
            relevant=fieldmanager.relevance(rt.has_status, subresource))
        self._set_managed(new, managers)

    @staticmethod
    def _set_managed(obj: Obj, managers: fieldmanager.Managers) -> None:
        if managers:
            obj["metadata"]["managedFields"] = fieldmanager.encode(managers)
        else:
            obj["metadata"].pop("managedFields", None)

    # ---- reads ---------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        ns = self._ns(rt, namespace)
        obj = self._bucket(rt).get((ns, name))
        if obj is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return self._out(rt, obj)

    def try_get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.get(rt, namespace, name)
        except errors.ApiError:
            return None

    def list(self, rt: ResourceType, namespace: str | None = None,
             label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[Obj], int]:
        try:
            match_labels = parse_label_selector(label_selector)
            match_fields = parse_field_selector(field_selector)
        except ValueError as e:
            raise errors.bad_request(str(e)) from e
        items = []
        for (ns, _name), obj in sorted(self._bucket(rt).items()):
            if namespace and rt.namespaced and ns != namespace:
                continue
            if not match_labels(obj["metadata"].get("labels") or {}):
                continue
            if not match_fields(obj):
                continue
            items.append(self._out(rt, obj))
        return items, self._last_rv

    def namespaces(self) -> set[str]:
        ns_rt = self.registry.get("", "v1", "namespaces")
        assert ns_rt is not None
        return {name for (_, name) in self._bucket(ns_rt)}

    # ---- writes --------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str | None, body: Obj, *,
               dry_run: bool = False, manager: str | None = None,
               managed: fieldmanager.Managers | None = None) -> Obj:
        """Store a new object; `dry_run` (dryRun=All) answers the same without storing it.

        `manager` owns what the create sets (an Update); `managed` are the entries of an
        apply that creates."""
        obj = clone(body)
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        # What admission errors call the object: a generated name's prefix, as upstream.
        display_name = str(meta.get("name") or meta.get("generateName") or "")
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = names.generate(meta["generateName"])
            else:
                raise errors.invalid(rt.kind, "", "metadata.name",
                                     "Required value: name or generateName is required")
        ns = self._ns(rt, namespace or meta.get("namespace"))
        if rt.namespaced:
            if not ns:
                raise errors.bad_request("the namespace of the provided object does not match")
            self._require_namespace(rt, ns)
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        bucket = self._bucket(rt)
        if (ns, meta["name"]) in bucket:
            raise errors.already_exists(rt.plural, rt.group, meta["name"])
        if rt.key == ("", "namespaces") and meta["name"] in self.namespaces():
            raise errors.already_exists(rt.plural, rt.group, meta["name"])
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_iso()
        if self._has_generation(rt):
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        meta.pop("deletionTimestamp", None)
        meta.pop("resourceVersion", None)
        if rt.key in self._crd_schemas and rt.has_status:
            obj.pop("status", None)  # a create cannot set the status of a custom resource
        self._defaults(rt, obj)
        self._validate(rt, obj, creating=True)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        self._admit(rt, ns, obj, display_name)
        if managed is not None:
            self._set_managed(obj, managed)
        else:
            self._track_update(rt, None, obj, manager, None)
        if dry_run:  # as the API server: defaulted and validated, no resourceVersion
            return self._out(rt, obj)
        meta["resourceVersion"] = str(self._next_rv())
        bucket[(ns, meta["name"])] = obj
        self._emit("ADDED", rt, obj)
        return self._out(rt, obj)

    def replace(self, rt: ResourceType, namespace: str | None, name: str, body: Obj,
                subresource: str | None = None, *, dry_run: bool = False,
                manager: str | None = None) -> Obj:
        """PUT semantics: optimistic concurrency on resourceVersion when the body carries one."""
        ns = self._ns(rt, namespace)
        bucket = self._bucket(rt)
        old = bucket.get((ns, name))
        if old is None:
            raise errors.not_found(rt.plural, rt.group, name)
        body_meta = body.get("metadata") or {}
        if body_meta.get("name") and body_meta["name"] != name:
            raise errors.bad_request(
                f'the name of the object ({body_meta["name"]}) does not match the name on the '
                f"URL ({name})")
        want_rv = body_meta.get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name)
        return self._write(rt, old, clone(body), subresource, dry_run=dry_run, manager=manager)

    def _write(self, rt: ResourceType, old: Obj, new: Obj, subresource: str | None, *,
               dry_run: bool = False, manager: str | None = None,
               managed: fieldmanager.Managers | None = None) -> Obj:
        """Store `new` in place of `old`, keeping the fields the caller may not change."""
        ns = old["metadata"].get("namespace", "")
        name = old["metadata"]["name"]
        if subresource == "status":
            merged = clone(old)
            merged["status"] = new.get("status", {})
            new = merged
            schema = self._crd_schemas.get(rt.key)
            if schema:
                crdvalidation.prune(new, schema)
            self._validate(rt, new, "status", old=old)
        else:
            if rt.has_status:
                if "status" in old:
                    new["status"] = clone(old["status"])
                else:
                    new.pop("status", None)
            meta = new.setdefault("metadata", {}) or {}
            new["metadata"] = meta
            for keep in ("uid", "creationTimestamp", "namespace", "name", "deletionTimestamp",
                         "generation"):
                if keep in old["metadata"]:
                    meta[keep] = old["metadata"][keep]
                else:
                    meta.pop(keep, None)
            immutability.keep_allocated(rt.key, old, new)
            self._defaults(rt, new)
            self._validate(rt, new, old=old)
            old_finalizers = old["metadata"].get("finalizers") or []
            if old["metadata"].get("deletionTimestamp") and any(
                    f not in old_finalizers for f in meta.get("finalizers") or []):
                raise errors.ApiError(
                    422, "Invalid",
                    f'{rt.kind} "{name}" is invalid: metadata.finalizers: Forbidden: no new '
                    "finalizers can be added if the object is being deleted",
                    {"name": name, "kind": rt.kind})
            if _spec_part(new) != _spec_part(old) and "generation" in old["metadata"]:
                meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if managed is not None:
            self._set_managed(new, managed)
        elif _unchanged(new, old):
            return self._out(rt, old)  # a no-op update changes no owner either
        else:
            self._track_update(rt, old, new, manager, subresource)
        if _comparable(new) == _comparable(old):
            return self._out(rt, old)  # a no-op write does not bump resourceVersion
        if dry_run:  # the answer a real write would give, at the stored resourceVersion
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            new["apiVersion"], new["kind"] = rt.api_version, rt.kind
            return self._out(rt, new)
        new["metadata"]["resourceVersion"] = str(self._next_rv())
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        self._bucket(rt)[(ns, name)] = new
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._remove(rt, ns, name)
        self._emit("MODIFIED", rt, new)
        return self._out(rt, new)

    def patch(self, rt: ResourceType, namespace: str | None, name: str,
              apply_patch: Callable[[Obj], Obj], subresource: str | None = None,
              create_if_missing: bool = False, *, dry_run: bool = False,
              manager: str | None = None) -> Obj:
        """Apply a patch function to the current object (see patches.py for the patch kinds)."""
        ns = self._ns(rt, namespace)
        old = self._bucket(rt).get((ns, name))
        if old is None:
            if not create_if_missing:
                raise errors.not_found(rt.plural, rt.group, name)
            body = apply_patch({})
            body.setdefault("metadata", {})["name"] = name
            return self.create(rt, ns or None, body, dry_run=dry_run, manager=manager)
        patched = apply_patch(self._out(rt, old))
        if (patched.get("metadata") or {}).get("name", name) != name:
            raise errors.bad_request("the name of the object cannot be changed by a patch")
        want_rv = (patched.get("metadata") or {}).get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name)
        return self._write(rt, old, patched, subresource, dry_run=dry_run, manager=manager)

    def apply(self, rt: ResourceType, namespace: str | None, name: str, config: Obj, *,
              manager: str, force: bool = False, subresource: str | None = None,
              dry_run: bool = False) -> tuple[Obj, bool]:
        """Server-side apply of `config` by `manager`: (object, created)."""
        ns = self._ns(rt, namespace)
        old = self._bucket(rt).get((ns, name))
        live = self._out(rt, old) if old is not None else {}
        merged, managers, _ = fieldmanager.apply(
            fieldmanager.decode((live.get("metadata") or {}).get("managedFields")), live,
            config, self._type_node(rt), manager=manager, api_version=rt.api_version,
            force=force, now=now_iso(),
            relevant=fieldmanager.relevance(rt.has_status, subresource))
        if old is None:
            merged.setdefault("metadata", {})["name"] = name
            return self.create(rt, ns or None, merged, dry_run=dry_run, managed=managers), True
        if (merged.get("metadata") or {}).get("name", name) != name:
            raise errors.bad_request("the name of the object cannot be changed by a patch")
        want_rv = (config.get("metadata") or {}).get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.plural, rt.group, name)
        return self._write(rt, old, merged, subresource, dry_run=dry_run,
                           managed=managers), False

    def delete(self, rt: ResourceType, namespace: str | None, name: str, *,
               dry_run: bool = False) -> Obj:
        ns = self._ns(rt, namespace)
        old = self._bucket(rt).get((ns, name))
        if old is None:
            raise errors.not_found(rt.plural, rt.group, name)
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return self._out(rt, old)
            new = clone(old)
            new["metadata"]["deletionTimestamp"] = now_iso()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            # The API server bumps generation when it starts a graceful deletion.
            if "generation" in new["metadata"]:
                new["metadata"]["generation"] = int(new["metadata"]["generation"]) + 1
            if dry_run:
                return self._out(rt, new)
            new["metadata"]["resourceVersion"] = str(self._next_rv())
            self._bucket(rt)[(ns, name)] = new
            self._emit("MODIFIED", rt, new)
            return self._out(rt, new)
        if dry_run:
            return self._out(rt, old)
        return self._remove(rt, ns, name)

    def _remove(self, rt: ResourceType, ns: str, name: str) -> Obj:
        obj = self._bucket(rt).pop((ns, name))
        obj = clone(obj)
        obj["metadata"]["resourceVersion"] = str(self._next_rv())
        self._emit("DELETED", rt, obj)
        if rt.key == ("", "namespaces"):
            self._delete_namespace_content(name)
        self._collect_dependents(obj["metadata"]["uid"])
        if rt.key == ("", "pods"):
            for key in [k for k in self.pod_logs if k[0] == ns and k[1] == name]:
                del self.pod_logs[key]
        return self._out(rt, obj)

    def _delete_namespace_content(self, namespace: str) -> None:
        for rt in self._unique_types():
            if not rt.namespaced:
                continue
            for (ns, name) in [k for k in self._bucket(rt) if k[0] == namespace]:
                if (ns, name) in self._bucket(rt):
                    self._remove(rt, ns, name)

    def _collect_dependents(self, owner_uid: str) -> None:
        """Background garbage collection of objects owned by a deleted object."""
        types = {rt.key: rt for rt in self._unique_types()}
        for rt_key, ns, name in self._owners.owned_by(owner_uid):
            rt = types.get(rt_key)
            if rt is not None and (ns, name) in self._bucket(rt):
                self.delete(rt, ns or None, name)

    def _unique_types(self) -> builtins.list[ResourceType]:  # `list` is a method here
        seen: dict[tuple[str, str], ResourceType] = {}
        for rt in self.registry.all():
            seen.setdefault(rt.key, rt)
        return list(seen.values())

    # ---- watch ---------------------------------------------------------------------------
    def watch(self, rt: ResourceType, namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None) -> Subscription:
        """Subscribe to changes of `rt`.

        With no resourceVersion (or "0") the watch starts with synthetic ADDED events for the
        current objects, as the API server does. With a resourceVersion, only events after it
        are delivered; one older than the retained history raises 410 Expired.
        """
        try:
            match_labels = parse_label_selector(label_selector)
            match_fields = parse_field_selector(field_selector)
        except ValueError as e:
            raise errors.bad_request(str(e)) from e

        def matches(obj: Obj) -> bool:
            return match_labels(obj["metadata"].get("labels") or {}) and match_fields(obj)

        sub = Subscription(rt, namespace if rt.namespaced else None, matches,
                           _on_close=self._subscribers.discard)
        if resource_version in (None, "", "0"):
            items, _ = self.list(rt, namespace, label_selector, field_selector)
            for obj in items:
                sub.queue.put_nowait(
                    WatchEvent(int(obj["metadata"]["resourceVersion"]), "ADDED", rt.key, obj))
        else:
            try:
                since = int(resource_version)
            except ValueError as e:
                raise errors.bad_request(
                    f"invalid resource version {resource_version!r}") from e
            oldest = self._events[0].rv if self._events else self._last_rv + 1
            if since < oldest - 1 and since < self._last_rv:
                raise errors.gone(
                    f"too old resource version: {since} ({oldest - 1})")
            for ev in self._events:
                if ev.rv > since and ev.rt_key == rt.key and self._sub_matches(sub, ev.obj):
                    sub.queue.put_nowait(WatchEvent(ev.rv, ev.type, ev.rt_key,
                                                    self._out(rt, ev.obj)))
        self._subscribers.add(sub)
        return sub

    @property
    def watch_count(self) -> int:
        """Open subscriptions (HTTP watches and in-process ones)."""
        return len(self._subscribers)

    def close_watches(self) -> None:
        for sub in list(self._subscribers):
            sub.queue.put_nowait(None)
            sub.close()

    # ---- pod logs (the kubelet writes, /log reads) ------------------------------------------
    def append_log(self, namespace: str, pod: str, container: str, line: str) -> None:
        self.pod_logs.setdefault((namespace, pod, container), []).append(line)

    def read_log(self, namespace: str, pod: str, container: str | None = None,
                 tail_lines: int | None = None) -> str:
        rt = self.registry.get("", "v1", "pods")
        assert rt is not None
        pod_obj = self.get(rt, namespace, pod)
        if container is None:
            containers = pod_obj.get("spec", {}).get("containers") or [{}]
            container = containers[0].get("name", "")
        lines = self.pod_logs.get((namespace, pod, container or ""), [])
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _scoped(obj: Obj, rt: ResourceType, subresource: str | None) -> Obj:
    """The part of `obj` a write may own (see fieldmanager.relevance), so the field manager
    does not walk the rest: a status write only status, a main write all but status."""
    if subresource == "status":
        return {"metadata": obj.get("metadata") or {}, "status": obj.get("status")} \
            if "status" in obj else {"metadata": obj.get("metadata") or {}}
    if rt.has_status and "status" in obj:
        return {k: v for k, v in obj.items() if k != "status"}
    return obj


def _unchanged(new: Obj, old: Obj) -> bool:
    """Equal but for resourceVersion, and no managedFields of its own in `new` (a client
    may rewrite those, e.g. `[{}]` to clear them)."""
    incoming = (new.get("metadata") or {}).get("managedFields")
    if incoming and incoming != old["metadata"].get("managedFields"):
        return False
    a, b = _comparable(new), _comparable(old)
    a["metadata"].pop("managedFields", None)
    b["metadata"].pop("managedFields", None)
    return a == b


def _comparable(obj: Obj) -> Obj:
    out = clone(obj)
    out.get("metadata", {}).pop("resourceVersion", None)
    out.pop("apiVersion", None)
    out.pop("kind", None)
    return out
