"""Reading HTTP answers safely: JSON that may not be JSON, bodies that may echo a secret."""

from __future__ import annotations

from typing import Any

import httpx


def json_body(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret replaced, short enough for a log line."""
    for s in secrets:
        if s:
            text = text.replace(s, "<redacted>")
    return text.strip()[:300]
