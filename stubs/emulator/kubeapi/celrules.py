"""The CEL rules of a CRD schema (`x-kubernetes-validations`), evaluated with cel-python.

Each rule runs with `self` bound to the value at its schema node (after the structural
checks, as a separate pass, as apiextensions does); a rule that evaluates to false is a
cause worded as kube-apiserver words it: `Invalid value: "object": <message>` (or
`failed rule: <rule>` without a message), `Forbidden: <message>` for reason
FieldValueForbidden, at the node's path plus the rule's `fieldPath`.

Transition rules (`oldSelf`) run on updates where the old object has a value at the same
path (object properties, and items of `map` lists with the same keys). Property names CEL
reserves (`namespace`, ...) or cannot spell (`-`, `.`, `/`) are escaped as apiextensions
escapes them (`self.__namespace__`).

Not evaluated (listed in docs/DESIGN.md): `messageExpression`, and rules that use the
Kubernetes CEL libraries cel-python lacks (`isURL`, `quantity`, `ip`, `cidr`, `format`,
`lists`, ...): those fail to compile or evaluate and are skipped, never held against the
object.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
Schema = dict[str, Any]
_MESSAGES = {"FieldValueInvalid": None, "FieldValueForbidden": "Forbidden",
             "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


# Property names CEL cannot take as identifiers, escaped as apiextensions escapes them
# (`self.__namespace__` reads the property `namespace`).
_RESERVED = frozenset({
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
    "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
    "void", "while"})


def _escape(name: str) -> str:
    if name in _RESERVED:
        return f"__{name}__"
    if not any(c in name for c in "_.-/"):
        return name
    return (name.replace("__", "__underscores__").replace(".", "__dot__")
            .replace("-", "__dash__").replace("/", "__slash__"))


def _cel_input(value: Any, schema: Schema) -> Any:
    """`value` with the property names of described objects escaped (map keys stay)."""
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props:
            return {_escape(k): _cel_input(v, props.get(k) or {}) for k, v in value.items()}
        sub = extra if isinstance(extra, dict) else {}
        return {k: _cel_input(v, sub) for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_cel_input(v, schema["items"]) for v in value]
    return value


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    """One CEL environment per process: importing cel-python and building its LALR parser
    take about 0.75 s of CPU, paid on the first rule only (bench/RESULTS.md)."""
    import celpy

    return celpy.Environment()


@functools.lru_cache(maxsize=1024)
def _program(rule: str) -> Any:
    """The compiled rule, or None when cel-python cannot compile it (compiled once)."""
    try:
        env = _environment()
        return env.program(env.compile(rule))
    except Exception as e:
        log.debug("CEL rule not evaluated (%s): %s", e, rule)
        return None


def _holds(rule: str, activation: dict[str, Any]) -> bool:
    """False only when the rule evaluates to false; errors count as holding."""
    program = _program(rule)
    if program is None:
        return True
    import celpy

    try:
        result = program.evaluate(activation)
    except Exception:
        return True
    if isinstance(result, celpy.CELEvalError):
        return True
    return bool(result)


_ABSENT = object()  # no old value at this path: transition rules are not evaluated
# (rule, value, old value) -> whether it held. cel-python interprets a rule in about a
# millisecond, and the emulator writes the same specs again and again (controllers
# re-applying what they own), so a result is remembered; bounded, cleared when full.
_RESULTS: dict[tuple[str, str], bool] = {}
_RESULTS_MAX = 8192


class _Evaluation:
    """The rules of one schema node on one value: converted and keyed once, lazily."""

    def __init__(self, value: Any, old: Any, schema: Schema) -> None:
        self.value, self.old, self.schema = value, old, schema
        self._key: str | None = None
        self._activation: dict[str, Any] | None = None

    def holds(self, rule: str) -> bool:
        if self._key is None:
            old = None if self.old is _ABSENT else self.old
            self._key = json.dumps([self.value, old], sort_keys=True, separators=(",", ":"),
                                   default=str)
        known = _RESULTS.get((rule, self._key))
        if known is not None:
            return known
        if self._activation is None:
            import celpy  # imported on first use: building its parser takes a moment

            self._activation = {"self": celpy.json_to_cel(_cel_input(self.value, self.schema))}
            if self.old is not _ABSENT:
                self._activation["oldSelf"] = celpy.json_to_cel(
                    _cel_input(self.old, self.schema))
        result = _holds(rule, self._activation)
        if len(_RESULTS) >= _RESULTS_MAX:
            _RESULTS.clear()
        _RESULTS[(rule, self._key)] = result
        return result


def check(value: Any, schema: Schema, path: str, type_of: Callable[[Any], str],
          add: Callable[[str, str, str], None], old: Any = _ABSENT) -> None:
    """Evaluate every rule on `value` and below; `add(reason, field, message)`. `old` is
    the stored value at the same path on an update: rules using `oldSelf` (transition
    rules) run only where it exists, as apiextensions correlates them."""
    specs = schema.get("x-kubernetes-validations") or []
    if specs:
        evaluation = _Evaluation(value, old, schema)
        for spec in specs:
            rule = spec.get("rule")
            if not isinstance(rule, str):
                continue
            if "oldSelf" in rule and old is _ABSENT:
                continue
            if evaluation.holds(rule):
                continue
            reason = spec.get("reason") or "FieldValueInvalid"
            text = spec.get("message") or f"failed rule: {rule}"
            prefix = _MESSAGES.get(reason)
            message = (f'Invalid value: "{type_of(value)}": {text}' if prefix is None
                       else f"{prefix}: {text}")
            add(reason, path + (spec.get("fieldPath") or ""), message)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        for name, child in value.items():
            sub = props.get(name) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                check(child, sub, f"{path}.{name}" if path else name, type_of, add,
                      old_map.get(name, _ABSENT))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        olds = _correlated(value, old, schema)
        for i, item in enumerate(value):
            check(item, schema["items"], f"{path}[{i}]", type_of, add, olds[i])


def _correlated(items: list[Any], old: Any, schema: Schema) -> list[Any]:
    """Per item, the old item with the same keys (lists of type map), else absent."""
    keys = schema.get("x-kubernetes-list-map-keys") or []
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(old, list) or not keys:
        return [_ABSENT] * len(items)
    by_key = {tuple(o.get(k) for k in keys): o for o in old if isinstance(o, dict)}
    return [by_key.get(tuple(i.get(k) for k in keys), _ABSENT) if isinstance(i, dict)
            else _ABSENT for i in items]


_HAS_RULES: dict[int, tuple[Any, bool]] = {}


def has_rules(schema: Any) -> bool:
    """Whether any node of `schema` carries CEL rules (most CRDs have none: no import);
    a schema's answer is remembered (the schemas of served CRDs do not change in place)."""
    known = _HAS_RULES.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    found = _has_rules(schema)
    if len(_HAS_RULES) > 256:  # CRDs come and go in long sessions: keep it bounded
        _HAS_RULES.clear()
    _HAS_RULES[id(schema)] = (schema, found)
    return found


def _has_rules(schema: Any) -> bool:
    if isinstance(schema, dict):
        if schema.get("x-kubernetes-validations"):
            return True
        return any(_has_rules(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_has_rules(v) for v in schema)
    return False
