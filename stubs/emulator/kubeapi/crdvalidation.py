"""Custom resources checked against their CRD's structural schema, as apiextensions does.

Before a custom resource is stored: fields the schema does not know are pruned (except
under `x-kubernetes-preserve-unknown-fields`), a `null` where the schema does not allow
one is dropped, then the value is validated: types (`x-kubernetes-int-or-string`
included), required properties, enums, patterns, minimum/maximum (exclusive too),
minLength/maxLength, minItems/maxItems, and duplicate items of `map`/`set` lists. Every
violation is one cause of a 422 Invalid, worded as kube-apiserver v1.34 words it
(observed on the oracle; tests/oracle/cases_validation.py pins it).

The CEL rules of `x-kubernetes-validations` are evaluated by celrules.py, unless a cause of
a blocking kind came first (wrong type, unsupported value, required, too long, too many:
as apiextensions, which then adds one cause saying so). Not done:
`format`, `min/maxProperties`, `uniqueItems`, `allOf/anyOf/oneOf/not` (docs/DESIGN.md).
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import celrules

Schema = dict[str, Any]
Cause = dict[str, str]
_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def prune(obj: dict[str, Any], schema: Schema) -> None:
    """Drop, in place, what the structural schema does not describe."""
    props = schema.get("properties") or {}
    for name in [k for k in obj if k not in _ROOT_KEEP]:
        if name not in props and not schema.get("x-kubernetes-preserve-unknown-fields"):
            del obj[name]
        elif name in props:
            obj[name] = _prune(obj[name], props[name])
            if obj[name] is None and not props[name].get("nullable"):
                del obj[name]


def _prune(value: Any, schema: Schema) -> Any:
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        keep_unknown = schema.get("x-kubernetes-preserve-unknown-fields") or extra is True
        out = {}
        for name, child in value.items():
            sub = (props or {}).get(name) if props else None
            if sub is None and isinstance(extra, dict):
                sub = extra
            if sub is None:
                if keep_unknown or (props is None and extra is None and not schema):
                    out[name] = child
                continue
            pruned = _prune(child, sub)
            if pruned is None and not sub.get("nullable"):
                continue
            out[name] = pruned
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(item, schema["items"]) for item in value]
    return value


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _go(value: Any) -> str:
    """A value as Go's %v/%q show it in field errors: strings quoted, numbers bare."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _type_ok(value: Any, want: str) -> bool:
    actual = _type_of(value)
    return actual == want or (want == "number" and actual == "integer")


class _Validator:
    def __init__(self, relative_to: str = "") -> None:
        self.causes: list[Cause] = []
        self.relative_to = relative_to  # a /status write names fields relative to status

    def _name(self, path: str) -> str:
        prefix = self.relative_to + "."
        return path[len(prefix):] if self.relative_to and path.startswith(prefix) else path

    def add(self, reason: str, path: str, message: str) -> None:
        self.causes.append({"reason": reason, "message": message, "field": path})

    def check(self, value: Any, schema: Schema, path: str) -> None:
        want = schema.get("type")
        if schema.get("x-kubernetes-int-or-string"):
            if not isinstance(value, int | str) or isinstance(value, bool):
                actual = _type_of(value)
                self.add("FieldValueTypeInvalid", path,
                         f'Invalid value: "{actual}": {self._name(path)} in body must be of '
                         f'type integer,string: "{actual}"')
                return
        elif want and not _type_ok(value, want):
            actual = _type_of(value)
            self.add("FieldValueTypeInvalid", path,
                     f'Invalid value: "{actual}": {self._name(path)} in body must be of type '
                     f'{want}: "{actual}"')
            self._enum(value, schema, path)
            return
        self._enum(value, schema, path)
        if isinstance(value, dict):
            self._object(value, schema, path)
        elif isinstance(value, list):
            self._array(value, schema, path)
        elif isinstance(value, str):
            self._string(value, schema, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self._number(value, schema, path)

    def _enum(self, value: Any, schema: Schema, path: str) -> None:
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            # Each supported value is quoted, numbers too ("301"), as kube-openapi lists them.
            supported = ", ".join(json.dumps(v if isinstance(v, str) else _go(v),
                                             ensure_ascii=False) for v in enum)
            self.add("FieldValueNotSupported", path,
                     f"Unsupported value: {_go(value)}: supported values: {supported}")

    def _object(self, value: dict[str, Any], schema: Schema, path: str) -> None:
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                self.add("FieldValueRequired", f"{path}.{name}" if path else name,
                         "Required value")
        extra = schema.get("additionalProperties")
        for name, child in value.items():
            sub = props.get(name) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                self.check(child, sub, f"{path}.{name}" if path else name)

    def _array(self, value: list[Any], schema: Schema, path: str) -> None:
        name = self._name(path)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.add("FieldValueTooMany", path,
                     f"Too many: {len(value)}: must have at most {schema['maxItems']} items")
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.add("FieldValueInvalid", path,
                     f"Invalid value: {len(value)}: {name} in body should have at least "
                     f"{schema['minItems']} items")
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                self.check(item, items, f"{path}[{i}]")
        self._duplicates(value, schema, path)

    def _duplicates(self, value: list[Any], schema: Schema, path: str) -> None:
        list_type = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if list_type == "map" and isinstance(item, dict):
                if any(k not in item for k in keys):
                    continue  # reported as a missing required key
                ident = json.dumps({k: item[k] for k in keys}, separators=(",", ":"))
            elif list_type == "set":
                ident = json.dumps(item, separators=(",", ":"))
            else:
                return
            if ident in seen:
                self.add("FieldValueDuplicate", f"{path}[{i}]", f"Duplicate value: {ident}")
            seen.add(ident)

    def _string(self, value: str, schema: Schema, path: str) -> None:
        """The first of maxLength, minLength, pattern that fails (kube-openapi stops)."""
        name = self._name(path)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            self.add("FieldValueTooLong", path,
                     f"Too long: may not be more than {schema['maxLength']} bytes")
            return
        if "minLength" in schema and len(value) < schema["minLength"]:
            self.add("FieldValueInvalid", path,
                     f"Invalid value: {_go(value)}: {name} in body should be at least "
                     f"{schema['minLength']} chars long")
            return
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _matches(pattern, value):
            self.add("FieldValueInvalid", path,
                     f"Invalid value: {_go(value)}: {name} in body should match '{pattern}'")

    def _number(self, value: float, schema: Schema, path: str) -> None:
        name = self._name(path)
        if "minimum" in schema:
            low = schema["minimum"]
            if schema.get("exclusiveMinimum") and value <= low:
                self.add("FieldValueInvalid", path, f"Invalid value: {_go(value)}: {name} in "
                                                    f"body should be greater than {_go(low)}")
            elif value < low:
                self.add("FieldValueInvalid", path,
                         f"Invalid value: {_go(value)}: {name} in body should be greater than "
                         f"or equal to {_go(low)}")
        if "maximum" in schema:
            high = schema["maximum"]
            if schema.get("exclusiveMaximum") and value >= high:
                self.add("FieldValueInvalid", path, f"Invalid value: {_go(value)}: {name} in "
                                                    f"body should be less than {_go(high)}")
            elif value > high:
                self.add("FieldValueInvalid", path,
                         f"Invalid value: {_go(value)}: {name} in body should be less than "
                         f"or equal to {_go(high)}")


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True  # a pattern Python cannot read is not held against the object


# The causes after which apiextensions does not run the CEL rules (its hasBlockingErr):
# a rule could not make sense of a value of the wrong type or shape.
_BLOCKING = frozenset({"FieldValueNotSupported", "FieldValueRequired", "FieldValueTooLong",
                       "FieldValueTooMany", "FieldValueTypeInvalid"})


def validate(obj: dict[str, Any], schema: Schema, *, status_only: bool = False,
             old: dict[str, Any] | None = None) -> list[Cause]:
    """The causes of a 422 for `obj` (empty when valid). A /status write checks status.
    `old` is the stored object on an update (for CEL transition rules)."""
    validator = _Validator("status" if status_only else "")
    props = schema.get("properties") or {}
    for name, value in obj.items():
        if name in _ROOT_KEEP or name not in props:
            continue
        if status_only != (name == "status"):
            continue
        validator.check(value, props[name], name)
    if not status_only:
        for name in schema.get("required") or []:
            if name not in obj and name not in _ROOT_KEEP:
                validator.add("FieldValueRequired", name, "Required value")
    if not celrules.has_rules(schema):
        return validator.causes
    if any(c["reason"] in _BLOCKING for c in validator.causes):
        validator.add("FieldValueInvalid", "<nil>", "Invalid value: null: some validation "
                      "rules were not checked because the object was invalid; correct the "
                      "existing errors to complete validation")
        return validator.causes
    for name, value in obj.items():  # its own pass, after the schema checks
        if name in props and name not in _ROOT_KEEP and status_only == (name == "status"):
            if old is not None and name in old:
                celrules.check(value, props[name], name, _type_of, validator.add, old[name])
            else:
                celrules.check(value, props[name], name, _type_of, validator.add)
    return validator.causes
