"""Structural-schema defaulting for custom resources, as the API server applies it.

A CRD's openAPIV3Schema may declare `default` on any property; the API server fills a
missing property with it (and recurses into objects and array items that are present).
Gateway API uses this for `status`: a Gateway nobody reconciled reads
`Accepted=Unknown/Pending/"Waiting for controller"`.
"""

from __future__ import annotations

import copy
from typing import Any

Schema = dict[str, Any]


def storage_schema(crd: dict[str, Any]) -> Schema:
    """The openAPIV3Schema of the CRD's storage version (the emulator stores one version)."""
    versions = (crd.get("spec") or {}).get("versions") or []
    chosen = next((v for v in versions if v.get("storage")), versions[0] if versions else {})
    return ((chosen.get("schema") or {}).get("openAPIV3Schema")) or {}


def apply_defaults(value: Any, schema: Schema) -> None:
    """Fill missing properties of `value` (in place) from `default`s in `schema`."""
    if isinstance(value, dict):
        for name, prop in (schema.get("properties") or {}).items():
            if name not in value and "default" in prop:
                value[name] = copy.deepcopy(prop["default"])
            if name in value:
                apply_defaults(value[name], prop)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])
