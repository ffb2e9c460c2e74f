"""Name rules for users, orgs and repositories (models/db/name.go, models/user/user.go)."""

from __future__ import annotations

from .db import NAME_RE, RESERVED_NAMES


def name_problem(name: str) -> str | None:
    """Gitea's error text for an unusable name, or None when the name is fine."""
    if name.lower() in RESERVED_NAMES:
        return f"name is reserved [name: {name}]"
    if not NAME_RE.fullmatch(name):
        return (f"name is invalid [{name}]: must be valid alpha or numeric or dash(-_) "
                "or dot characters")
    if name.lower().endswith((".git", ".wiki", ".rss", ".atom")):
        return f"name pattern is not allowed [pattern: *{name[name.rfind('.'):].lower()}]"
    return None
