"""The CEL rules of a CRD schema (`x-kubernetes-validations`), evaluated with cel-python.

Each rule runs with `self` bound to the value at its schema node (after the structural
checks, as a separate pass, as apiextensions does); a rule that evaluates to false is a
cause worded as kube-apiserver words it: `Invalid value: "object": <message>` (or
`failed rule: <rule>` without a message), `Forbidden: <message>` for reason
FieldValueForbidden, at the node's path plus the rule's `fieldPath`.

Not evaluated (listed in docs/DESIGN.md): transition rules (`oldSelf`), `messageExpression`,
and rules that use the Kubernetes CEL libraries cel-python lacks (`isURL`, `quantity`, `ip`,
`cidr`, `format`, `lists`, ...): those fail to compile or evaluate and are skipped, never
held against the object.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
Schema = dict[str, Any]
_MESSAGES = {"FieldValueInvalid": None, "FieldValueForbidden": "Forbidden",
             "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


@functools.lru_cache(maxsize=512)
def _program(rule: str) -> Any:
    """The compiled rule, or None when cel-python cannot compile it."""
    import celpy  # imported on first use: building its parser takes a moment

    try:
        env = celpy.Environment()
        return env.program(env.compile(rule))
    except Exception as e:
        log.debug("CEL rule not evaluated (%s): %s", e, rule)
        return None


def _holds(rule: str, value: Any) -> bool:
    """False only when the rule evaluates to false; errors count as holding."""
    program = _program(rule)
    if program is None:
        return True
    import celpy

    try:
        result = program.evaluate({"self": celpy.json_to_cel(value)})
    except Exception:
        return True
    if isinstance(result, celpy.CELEvalError):
        return True
    return bool(result)


def check(value: Any, schema: Schema, path: str, type_of: Callable[[Any], str],
          add: Callable[[str, str, str], None]) -> None:
    """Evaluate every rule on `value` and below; `add(reason, field, message)`."""
    for spec in schema.get("x-kubernetes-validations") or []:
        rule = spec.get("rule")
        if not isinstance(rule, str) or "oldSelf" in rule or _holds(rule, value):
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
        for name, child in value.items():
            sub = props.get(name) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                check(child, sub, f"{path}.{name}" if path else name, type_of, add)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            check(item, schema["items"], f"{path}[{i}]", type_of, add)


def has_rules(schema: Any) -> bool:
    """Whether any node of `schema` carries CEL rules (most CRDs have none: no import)."""
    if isinstance(schema, dict):
        if schema.get("x-kubernetes-validations"):
            return True
        return any(has_rules(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_rules(v) for v in schema)
    return False
