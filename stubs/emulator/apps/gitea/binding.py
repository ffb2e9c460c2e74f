"""Request-body binding as Gitea's `bind` does it (gitea.com/go-chi/binding): 422
`[Fields]: Message` on the first error (routers/api/v1/api.go bind).

- The Content-Type picks the binder: one containing "json" is decoded as JSON; none at all
  on a POST/PUT is `[]: Empty Content-Type`; anything else (not a form) is
  `[]: Unsupported Content-Type`. Form bodies (form-urlencoded, multipart) are bound by
  Gitea from form fields; the emulator does not model that and reads them as JSON.
- JSON decode errors carry Go's encoding/json words after `[]: `: "unexpected EOF" for a
  truncated body, "invalid character ..." otherwise (the emulator's wording of the latter
  is close to Go's, not identical); an empty body is no error (the decoder's io.EOF is
  ignored), so the fields' own rules (Required, ...) answer; invalid UTF-8 inside a string
  is read as U+FFFD; nesting past Go's depth limit is "exceeded max depth".
- Gitea puts no limit of its own on an API body (a 413 comes from a proxy in front, if
  any): a 20 MB body is decoded and answered by the field rules. The emulator bounds what
  it reads at MAX_BODY_BYTES (its memory, not Gitea's rule) and answers 413 in Gitea's
  error shape beyond it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 32 * 1024 * 1024
FORM_TYPES = ("form-urlencoded", "multipart/form-data")


class BindError(ValueError):
    pass


def _go_json_error(doc: str, e: json.JSONDecodeError) -> str:
    if e.pos >= len(doc.rstrip()):
        return "unexpected EOF"
    ch = doc[e.pos]
    if e.msg == "Expecting value":
        return f"invalid character {ch!r} looking for beginning of value"
    return f"invalid character {ch!r} {e.msg[0].lower()}{e.msg[1:]}"


async def json_body(request: web.Request) -> dict[str, Any]:
    ctype = request.headers.get("Content-Type", "")
    if "json" not in ctype and not any(f in ctype for f in FORM_TYPES):
        raise BindError("[]: Empty Content-Type" if not ctype else
                        "[]: Unsupported Content-Type")
    raw = await request.read()
    if not raw.strip():
        return {}
    doc = raw.decode("utf-8", errors="replace")  # Go reads invalid UTF-8 as U+FFFD
    try:
        body = json.loads(doc)
    except json.JSONDecodeError as e:
        raise BindError(f"[]: {_go_json_error(doc, e)}") from e
    except RecursionError as e:
        raise BindError("[]: invalid character '[' exceeded max depth") from e
    if body is None:  # JSON null into a struct leaves it as it is
        return {}
    if not isinstance(body, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(body), "number")
        raise BindError(f"[]: json: cannot unmarshal {kind} into Go value of an option "
                        "struct")
    return body


# modules/validation (IsValidUsername, dots allowed as by default): starts alphanumeric,
# then alphanumerics, "-", "_", "."; no two of those in a row and none at the end.
_USERNAME_OK = re.compile(r"[0-9A-Za-z][-.0-9A-Za-z_]*")
_USERNAME_BAD = re.compile(r"[-._]{2,}|[-._]$")


def string(body: dict[str, Any], key: str, field: str, *, required: bool = False,
           max_size: int | None = None, username: bool = False) -> str:
    """A string field with its rules in Gitea's order: Required, Username, MaxSize."""
    value = body.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BindError(f"[{field}]: DeserializationError")
    if required and not value.strip():
        raise BindError(f"[{field}]: Required")
    if username and value and (not _USERNAME_OK.fullmatch(value)
                               or _USERNAME_BAD.search(value)):
        raise BindError(f"[{field}]: invalid username")
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
