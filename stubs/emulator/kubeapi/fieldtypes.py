"""What server-side apply must know of a type: which maps and lists are granular.

structured-merge-diff (the API server's field-ownership engine) walks an object by its
schema: a struct or map is granular (each field owned on its own) unless marked atomic;
a list is atomic unless `x-kubernetes-list-type` says `map` (items keyed by
`x-kubernetes-list-map-keys`) or `set`. Built-in kinds carry those markers in their Go
types (`+listType=map`, `+structType=atomic`); custom resources in their CRD's schema.
Content no schema describes (`x-kubernetes-preserve-unknown-fields`) is "deduced":
objects granular, lists atomic.

`TypeNode.shape(value)` answers how one value is walked; `child(name)` and `item()`
descend. Built-in kinds are described by the table below (the fields the emulator's
kinds use, from the upstream Go types' markers), everything else is deduced.
"""

from __future__ import annotations

from typing import Any

MAP = "map"  # granular struct or map: each field separately
LIST_MAP = "list-map"  # associative list: items keyed by `keys`
LIST_SET = "list-set"  # list of scalars, each item owned on its own
ATOMIC = "atomic"  # scalars, atomic lists/maps/structs: owned as a whole

Schema = dict[str, Any]


class TypeNode:
    """Deduced: objects are granular maps, lists and scalars atomic."""

    keys: tuple[str, ...] = ()
    key_defaults: dict[str, Any] = {}
    # No schema: an applied map here is itself a member of the applier's set (observed on
    # kube-apiserver: `f:values: {".": {}, ...}` under a preserve-unknown-fields spec).
    deduced = True

    def shape(self, value: Any) -> str:
        return MAP if isinstance(value, dict) else ATOMIC

    def child(self, name: str) -> TypeNode:
        return DEDUCED

    def item(self) -> TypeNode:
        return DEDUCED


DEDUCED = TypeNode()

# -- built-in kinds (k8s.io/api markers) --------------------------------------------------

# Associative lists by field name, with their keys (`+listType=map`, `+listMapKey=`).
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumeMounts": ("mountPath",), "volumeDevices": ("devicePath",),
    "volumes": ("name",), "imagePullSecrets": ("name",), "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
    "resourceClaims": ("name",), "conditions": ("type",), "ownerReferences": ("uid",),
}
# Items of these lists are containers (whose `ports` are keyed by containerPort+protocol).
_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
# Atomic maps and structs (`+mapType=atomic`, `+structType=atomic`): LabelSelector, a
# Service's selector, a pod's nodeSelector.
_ATOMIC_FIELDS = frozenset({"selector", "nodeSelector", "matchLabels", "matchExpressions"})
_PROTOCOL_DEFAULT = {"protocol": "TCP"}


class _Builtin(TypeNode):
    """A node of a built-in kind; `context` is the Go type it stands in for, loosely."""

    deduced = False

    def __init__(self, context: str = "", list_keys: tuple[str, ...] = (),
                 list_set: bool = False, atomic: bool = False,
                 key_defaults: dict[str, Any] | None = None) -> None:
        self.context = context
        self.keys = list_keys
        self.list_set = list_set
        self.atomic = atomic
        self.key_defaults = key_defaults or {}

    def shape(self, value: Any) -> str:
        if self.atomic:
            return ATOMIC
        if isinstance(value, list):
            if self.keys:
                return LIST_MAP
            return LIST_SET if self.list_set else ATOMIC
        return MAP if isinstance(value, dict) else ATOMIC

    def child(self, name: str) -> TypeNode:
        ctx = self.context
        if name == "metadata":
            return _META
        if ctx == "meta":
            if name == "finalizers":
                return _Builtin(list_set=True)
            if name == "ownerReferences":
                return _Builtin(list_keys=("uid",))
            return _Builtin("generic")
        if name in _ATOMIC_FIELDS:
            return _Builtin(atomic=True)
        if name == "ports":
            if ctx == "container":
                return _Builtin(list_keys=("containerPort", "protocol"),
                                key_defaults=_PROTOCOL_DEFAULT)
            if ctx == "service-spec":
                return _Builtin(list_keys=("port", "protocol"), key_defaults=_PROTOCOL_DEFAULT)
            return _Builtin("generic")
        if name == "spec" and ctx == "root:Service":
            return _Builtin("service-spec")
        if name in _CONTAINER_LISTS:
            return _Builtin("containers", list_keys=_LIST_KEYS[name])
        if name in _LIST_KEYS:
            return _Builtin("generic", list_keys=_LIST_KEYS[name])
        return _Builtin("generic")

    def item(self) -> TypeNode:
        return _Builtin("container" if self.context == "containers" else "generic")


_META = _Builtin("meta")


def builtin_root(kind: str) -> TypeNode:
    return _Builtin(f"root:{kind}")


# -- custom resources (the CRD's structural schema) ---------------------------------------

class _CrdSchema(TypeNode):
    deduced = False

    def __init__(self, schema: Schema, root: bool = False) -> None:
        self.schema = schema
        self.root = root
        if schema.get("x-kubernetes-list-type") == "map":
            self.keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
            props = (schema.get("items") or {}).get("properties") or {}
            self.key_defaults = {k: props[k]["default"] for k in self.keys
                                 if "default" in (props.get(k) or {})}

    def shape(self, value: Any) -> str:
        s = self.schema
        if isinstance(value, dict):
            atomic = s.get("x-kubernetes-map-type") == "atomic"
            return ATOMIC if atomic else MAP
        if isinstance(value, list):
            list_type = s.get("x-kubernetes-list-type")
            if list_type == "map" and self.keys:
                return LIST_MAP
            return LIST_SET if list_type == "set" else ATOMIC
        return ATOMIC

    def child(self, name: str) -> TypeNode:
        if self.root and name == "metadata":
            return _META
        props = self.schema.get("properties") or {}
        if name in props:
            return _CrdSchema(props[name])
        extra = self.schema.get("additionalProperties")
        if isinstance(extra, dict):
            return _CrdSchema(extra)
        return DEDUCED

    def item(self) -> TypeNode:
        items = self.schema.get("items")
        return _CrdSchema(items) if isinstance(items, dict) else DEDUCED


def crd_root(schema: Schema) -> TypeNode:
    return _CrdSchema(schema, root=True)
