"""Redaction: every artifact the harness writes passes through a `Redactor` at the boundary.

Two layers, because either alone misses things:
- *known values*: secrets the run read from the cluster (the Gitea admin password, API
  tokens, signing keys) are registered with `Redactor.add(value, label)` and replaced
  wherever they appear, also in their base64, URL-encoded and JSON-escaped forms (a Secret's
  `data` is base64; a value inside a serialised report is JSON-escaped);
- *shapes*: Authorization headers, bearer/basic/token credentials, JWTs, `password=` /
  `token: ` style key-value pairs, 40-hex Gitea tokens, and dict entries whose key names a
  secret.

The marker is `[redacted:<label>]` (or `[redacted]`): it holds no character that needs
escaping in JSON, XML, HTML or Markdown, so the final text pass can run over any rendered
artifact without breaking its syntax. A last-four hint (`[redacted:label…abcd]`) is added only
when the caller asks for it and only for values long enough that four characters give
nothing away.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["MARKER_PREFIX", "RedactingFilter", "Redactor", "redactor_for"]

MARKER_PREFIX = "[redacted"
# Shorter registered values would turn common substrings of every report into markers.
MIN_SECRET_LENGTH = 4
# A last-four hint is only safe when the rest of the value stays long.
_HINT_MIN_LENGTH = 12

# Keys whose value is a secret whatever it looks like (dicts and key=value text).
_SECRET_KEY = (
    r"(?:[A-Za-z0-9_-]*[_-])?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key"
    r"|apikey|access[_-]?key|private[_-]?key|signing[_-]?key|client[_-]?secret|credentials?"
    r"|auth|authorization|cookie)"
)
_SECRET_KEY_RE = re.compile(rf"^{_SECRET_KEY}$", re.IGNORECASE)
# Values of those keys: up to a delimiter that ends a value in a query string, YAML, JSON
# (also JSON-escaped inside JSON), a header or prose. Never re-redact a marker.
_VALUE = r"(?!\[redacted)[^\s\"'\\&,;}\]\[<>|)]+"
_QUOTE = r"(?:\\?[\"'])?"
# After "key:" (YAML, JSON, prose) only a credential-looking value counts, so prose such as
# "the token: it is the admin password" stays readable; after "key=" any value counts.
_CREDENTIAL = r"(?=(?:\\?[\"'])?(?:[^\s\"'\\]*[0-9+/=_.~!@#$%^*-]|[^\s\"'\\]{12,}))"

T = TypeVar("T")


@dataclass(frozen=True)
class _Pattern:
    label: str
    regex: re.Pattern[str]
    group: int  # the group holding the secret; the rest of the match is kept


_PATTERNS: tuple[_Pattern, ...] = (
    # Authorization: Bearer x / Basic x / token x (HTTP header, also "authorization=" in text).
    _Pattern("authorization", re.compile(
        rf"(?i)\b((?:proxy-)?authorization{_QUOTE}[ \t]*[:=][ \t]*{_QUOTE}[ \t]*"
        r"(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)"
        # (the scheme word itself is never the credential: keeps a second pass a no-op)
        rf"(?!(?:bearer|basic|token|digest|negotiate)[ \t])({_VALUE})"), 2),
    # Credentials after a scheme word anywhere in text (curl lines, logged headers).
    # A credential has a digit or a symbol; prose ("Bearer authentication") has not.
    _Pattern("bearer", re.compile(
        r"(?i)\b(bearer[ \t]+)(?=[A-Za-z._~+/=-]*[0-9._~+/=-])([A-Za-z0-9._~+/=-]{8,})"), 2),
    _Pattern("basic", re.compile(
        r"(?i)\b(basic[ \t]+)(?=[A-Za-z+/=]*[0-9+/=])([A-Za-z0-9+/]{8,}={0,2})"), 2),
    _Pattern("token", re.compile(
        r"(?i)\b(token[ \t]+)(?=[A-Za-z._~+/=-]*[0-9._~+/=-])([A-Za-z0-9._~+/=-]{20,})"), 2),
    # JWT: header and payload are base64url JSON objects, so both start with "eyJ".
    _Pattern("jwt", re.compile(
        r"()\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), 0),
    # key=value / key: value / "key": "value" where the key names a secret.
    _Pattern("secret-value", re.compile(
        # Not inside a dotted name: Finding codes such as `gitea.token-is-password: ...`.
        rf"(?i)(?<![A-Za-z0-9._-])({_SECRET_KEY}{_QUOTE}"
        rf"[ \t]*(?:=[ \t]*|:[ \t]*{_CREDENTIAL}){_QUOTE})"
        rf"({_VALUE})"),
        2),
    # URL userinfo: scheme://user:password@host
    _Pattern("url-password", re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@\"'\\]+:)"
                                        r"([^\s@/\"'\\]+)(?=@)"), 2),
)

# A Gitea token is 40 lowercase hex characters. So is a git commit, which reports need to
# show (Flux's `main@sha1:<40hex>` revisions, harness commit ids): keep hex that its context
# calls a commit/revision, mask the rest.
_HEX40 = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{40}(?![0-9A-Za-z])")
_COMMIT_CONTEXT = re.compile(
    r"(?i)(?:sha1?:|@|\b(?:commit|revision|rev|sha|ref|digest|git))"
    r"(?:[\w./-]*[\s\"'\\:=@]+)?$")

_COMMIT_KEY_RE = re.compile(r"(?i)(?:^|[_.-])(?:commit|revision|sha|rev|ref)(?:$|[_.-])|commit")


class Redactor:
    """Masks registered secret values and secret-shaped text. Safe to share between threads."""

    def __init__(self, *, last_four: bool = False) -> None:
        self._last_four = last_four
        self._lock = threading.Lock()
        # form of a secret -> (label, the original value for the hint)
        self._values: dict[str, tuple[str | None, str]] = {}
        self._compiled: re.Pattern[str] | None = None

    # -- registration -----------------------------------------------------------------

    def add(self, value: str | bytes | None, label: str | None = None) -> None:
        """Register a secret value read at run time; its encoded forms are registered too."""
        if value is None:
            return
        if isinstance(value, bytes):
            try:
                text = value.decode()
            except UnicodeDecodeError:
                text = value.decode("latin-1")
        else:
            text = value
        value = text.strip("\r\n")
        if len(value) < MIN_SECRET_LENGTH:
            return
        raw = value.encode()
        forms = {
            value,
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode(),
            base64.b64encode(raw).decode().rstrip("="),
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value),
            json.dumps(value)[1:-1],
            json.dumps(json.dumps(value)[1:-1])[1:-1],  # escaped twice: evidence JSON in JSON
        }
        with self._lock:
            for form in forms:
                if len(form) >= MIN_SECRET_LENGTH:
                    self._values.setdefault(form, (label, value))
            self._compiled = None

    def __len__(self) -> int:
        return len({original for _, original in self._values.values()})

    # -- applying ---------------------------------------------------------------------

    def marker(self, label: str | None, value: str | None = None) -> str:
        text = f"{MARKER_PREFIX}:{label}" if label else MARKER_PREFIX
        if self._last_four and value is not None and len(value) >= _HINT_MIN_LENGTH:
            text += f"…{value[-4:]}"
        return text + "]"

    def redact_text(self, text: str, *, commit_ids: bool = False) -> str:
        """Mask every registered value and every secret-shaped span of `text`.

        `commit_ids=True` says the text is a commit/revision (e.g. the value of a `commit`
        key), so bare 40-hex in it is kept; registered values are masked regardless.
        """
        if not text:
            return text
        text = self._redact_known(text)
        for pattern in _PATTERNS:
            text = pattern.regex.sub(self._pattern_sub(pattern), text)
        if commit_ids:
            return text
        return _HEX40.sub(self._hex_sub, text)

    def redact(self, value: T) -> T:
        """Redact a str, or a dict/list/tuple recursively (keys naming secrets mask values)."""
        return self._redact_any(value, key=None)  # type: ignore[no-any-return]

    # -- internals --------------------------------------------------------------------

    def _redact_any(self, value: Any, key: str | None) -> Any:
        if isinstance(value, str):
            if key is not None and _SECRET_KEY_RE.match(key) and value and \
                    not value.startswith(MARKER_PREFIX):
                return self.marker(key.lower(), value)
            return self.redact_text(value, commit_ids=key is not None and
                                    _COMMIT_KEY_RE.search(key) is not None)
        if isinstance(value, Mapping):
            return type(value)(  # type: ignore[call-arg]
                {k: self._redact_any(v, k if isinstance(k, str) else None)
                 for k, v in value.items()})
        if isinstance(value, list):
            return [self._redact_any(v, key) for v in value]
        if isinstance(value, tuple):
            return tuple(self._redact_any(v, key) for v in value)
        return value

    def _redact_known(self, text: str) -> str:
        with self._lock:
            if not self._values:
                return text
            if self._compiled is None:
                # Longest first, so a value is never half-replaced by a shorter one inside it.
                forms = sorted(self._values, key=len, reverse=True)
                self._compiled = re.compile("|".join(re.escape(f) for f in forms))
            compiled, values = self._compiled, dict(self._values)

        def sub(match: re.Match[str]) -> str:
            label, original = values[match.group(0)]
            return self.marker(label, original)

        return compiled.sub(sub, text)

    def _pattern_sub(self, pattern: _Pattern) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            secret = match.group(pattern.group)
            masked = self.marker(pattern.label, secret)
            if pattern.group == 0:
                return masked
            start, end = match.span(pattern.group)
            whole_start = match.start(0)
            whole = match.group(0)
            return whole[: start - whole_start] + masked + whole[end - whole_start:]
        return sub

    def _hex_sub(self, match: re.Match[str]) -> str:
        before = match.string[max(0, match.start() - 40): match.start()]
        if _COMMIT_CONTEXT.search(before):
            return match.group(0)
        return self.marker("hex-token", match.group(0))


def redactor_for(secrets: Mapping[str, str], *, last_four: bool = False) -> Redactor:
    """A Redactor with `label -> value` secrets registered (a convenience for callers/tests)."""
    redactor = Redactor(last_four=last_four)
    for label, value in secrets.items():
        redactor.add(value, label)
    return redactor


class RedactingFilter(logging.Filter):
    """Attach to a handler so log lines pass the same boundary as report files:
    `handler.addFilter(RedactingFilter(redactor))`."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact_text(record.stack_info)
        return True
