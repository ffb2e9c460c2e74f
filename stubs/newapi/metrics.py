"""The bridge's mint counter, `newapi_admin_token_mint_requests_total{tool,status}`.

Hand-rolled Prometheus text exposition (one counter) so the image needs no extra package and
each app instance has its own registry. Status classes follow the platform's classifyStatus:
seven values, so label cardinality stays finite. The `tool` label comes from the caller's
X-Catalyst-Tool header; absent or empty gives `unknown`, and a value that is not a short
token of [A-Za-z0-9._:/-] gives `invalid` (a caller-controlled label must stay bounded and
must never carry arbitrary text such as a credential pasted into the wrong header).
"""

from __future__ import annotations

import re
from collections import Counter

METRIC = "newapi_admin_token_mint_requests_total"
HELP = "Admin token mint requests to the sandbox bridge, by calling tool and status class."
TOOL_HEADER = "X-Catalyst-Tool"
TOOL_UNKNOWN = "unknown"
TOOL_INVALID = "invalid"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATUS_CLASSES = (
    "ok", "unauthorized", "bad_request", "unavailable", "server_error",
    "method_not_allowed", "other",
)
_TOOL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,62}")


def classify_status(code: int) -> str:
    """Map an HTTP status code to one of the seven status classes."""
    if 200 <= code < 300:
        return "ok"
    return {
        400: "bad_request",
        401: "unauthorized",
        405: "method_not_allowed",
        503: "unavailable",
    }.get(code, "server_error" if code >= 500 else "other")


def tool_label(header: str | None) -> str:
    value = (header or "").strip()
    if not value:
        return TOOL_UNKNOWN
    return value if _TOOL_RE.fullmatch(value) else TOOL_INVALID


class MintCounter:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, tool: str, code: int) -> None:
        self._counts[(tool, classify_status(code))] += 1

    def value(self, tool: str, status: str) -> int:
        return self._counts[(tool, status)]

    def exposition(self) -> str:
        lines = [f"# HELP {METRIC} {HELP}", f"# TYPE {METRIC} counter"]
        for (tool, status), n in sorted(self._counts.items()):
            lines.append(f'{METRIC}{{tool="{tool}",status="{status}"}} {float(n)}')
        return "\n".join(lines) + "\n"
