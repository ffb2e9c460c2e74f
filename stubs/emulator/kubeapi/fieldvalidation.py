"""`fieldValidation` (Strict / Warn / Ignore): unknown fields, as the API server decodes them.

kubectl (1.27+) validates on the server: it sends `fieldValidation=Strict` when the
OpenAPI v3 document lists that parameter on the kind's PATCH operation (openapi.paths),
and the server refuses unknown fields with 400 `strict decoding error: unknown field
"spec.bogus"`; Warn answers with a `Warning` header instead. Only unknown fields are
checked here (types and required fields are validation proper).
"""

from __future__ import annotations

from typing import Any

from . import errors

Schema = dict[str, Any]
MODES = ("Strict", "Warn", "Ignore")
REF = "#/components/schemas/"


def mode(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in MODES:
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{value}": supported values: '
            '"Ignore", "Strict", "Warn"')
    return value


def _resolve(schema: Schema, defs: dict[str, Schema]) -> Schema:
    while True:
        ref = schema.get("$ref")
        if ref is None and len(schema.get("allOf") or []) == 1:
            ref = schema["allOf"][0].get("$ref")
        if not ref or not str(ref).startswith(REF):
            return schema
        schema = defs.get(str(ref)[len(REF):], {})


def unknown_fields(value: Any, schema: Schema, defs: dict[str, Schema],
                   path: str = "") -> list[str]:
    """Paths of fields in `value` that `schema` does not declare (patch directives skipped)."""
    schema = _resolve(schema, defs)
    if schema.get("x-kubernetes-preserve-unknown-fields") or not schema:
        return []
    out: list[str] = []
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for key, sub in value.items():
            if key.startswith("$"):  # strategic-merge directives ($patch, $setElementOrder/..)
                continue
            here = f"{path}.{key}" if path else key
            if props is not None and key in props:
                out += unknown_fields(sub, props[key], defs, here)
            elif isinstance(extra, dict):
                out += unknown_fields(sub, extra, defs, here)
            elif props is not None and extra is None:
                out.append(here)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            out += unknown_fields(item, schema["items"], defs, f"{path}[{i}]")
    return out


def check(body: Any, schema: Schema | None, defs: dict[str, Schema], how: str | None,
          kind: str, version: str) -> list[str]:
    """Raise 400 for Strict; return the warnings for Warn; nothing for Ignore/unset."""
    if how in (None, "Ignore") or schema is None:
        return []
    unknown = unknown_fields(body, schema, defs)
    if not unknown:
        return []
    messages = [f'unknown field "{p}"' for p in unknown]
    if how == "Strict":
        raise errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding '
            f"error: {', '.join(messages)}")
    return messages
