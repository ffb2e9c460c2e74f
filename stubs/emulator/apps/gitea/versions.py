"""Gitea version-dependent behaviour (messages and rules that changed between releases).

Sources in platform-facts.md §1; the stand-in models the v1.20+ scope scheme only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_VERSION = "1.24.0"
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int]:
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise ValueError(f"not a Gitea version: {text!r}")
    return int(m[1]), int(m[2]), int(m[3] or 0)


@dataclass(frozen=True)
class GiteaVersion:
    text: str

    @property
    def parts(self) -> tuple[int, int, int]:
        return parse_version(self.text)

    def at_least(self, major: int, minor: int, patch: int = 0) -> bool:
        return self.parts >= (major, minor, patch)

    # --- authentication messages -------------------------------------------------------
    @property
    def generic_auth_error(self) -> bool:
        """From v1.25.2 every sign-in failure reads the same."""
        return self.at_least(1, 25, 2)

    def user_not_exist_text(self, uid: int = 0, name: str = "") -> str:
        """ErrUserNotExist.Error() (models/user/error.go)."""
        if not self.at_least(1, 22):
            return f"user does not exist [uid: {uid}, name: {name}, keyid: 0]"
        return f"user does not exist [uid: {uid}, name: {name}]"

    def auth_message(self, error_text: str) -> str:
        """apiAuth's 401 message: the error itself, generic from v1.25.2."""
        return "invalid username, password or token" if self.generic_auth_error else error_text

    def unknown_token(self) -> str:
        return self.auth_message(self.user_not_exist_text())

    def unknown_user(self, name: str) -> str:
        return self.auth_message(self.user_not_exist_text(0, name))

    def wrong_password(self, uid: int, name: str) -> str:
        return self.auth_message(f"user's password is invalid [uid: {uid}, name: {name}]")

    def not_found(self) -> str:
        return "not found" if self.at_least(1, 25) else "The target couldn't be found."

    # --- header schemes and token shape ----------------------------------------------
    @property
    def token_scheme_case_insensitive(self) -> bool:
        return self.at_least(1, 25)

    @property
    def empty_scopes_refused(self) -> bool:
        return self.at_least(1, 23)

    @property
    def token_scopes_in_response(self) -> bool:
        return self.at_least(1, 23)

    @property
    def token_timestamps_in_response(self) -> bool:
        return self.at_least(1, 24)
