"""Request-body binding as Gitea's `bind` does it: 422 `[Field]: Rule` on the first error."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class BindError(ValueError):
    pass


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BindError("[]: DeserializationError") from e
    if not isinstance(body, dict):
        raise BindError("[]: DeserializationError")
    return body


def string(body: dict[str, Any], key: str, field: str, *, required: bool = False,
           max_size: int | None = None) -> str:
    value = body.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BindError(f"[{field}]: DeserializationError")
    if required and not value.strip():
        raise BindError(f"[{field}]: Required")
    if max_size is not None and len(value) > max_size:
        raise BindError(f"[{field}]: MaxSize")
    return value


def boolean(body: dict[str, Any], key: str, field: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BindError(f"[{field}]: DeserializationError")
    return value


def string_list(body: dict[str, Any], key: str, field: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BindError(f"[{field}]: DeserializationError")
    return value
