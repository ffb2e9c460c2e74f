"""Personal access token scopes, the v1.20+ scheme (models/auth/access_token_scope.go).

A scope string is a comma list of `all`, `public-only`, `read:<category>` and
`write:<category>`; write implies read; all nine `write:*` normalise to `all`.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("activitypub", "admin", "misc", "notification", "organization", "package",
              "issue", "repository", "user")
ALL = "all"
PUBLIC_ONLY = "public-only"
READ, WRITE = 1, 2
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InvalidScope(ValueError):
    def __init__(self, scope: str) -> None:
        super().__init__(f"invalid access token scope: {scope}")


@dataclass(frozen=True)
class Scope:
    levels: tuple[tuple[str, int], ...] = ()  # (category, READ|WRITE), category order
    public_only: bool = False

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Parse and normalise a comma list; raises InvalidScope on an unknown part."""
        levels: dict[str, int] = {}
        public_only = False
        for raw in text.split(","):
            part = raw.strip()
            if not part:
                continue
            if part == ALL:
                levels = dict.fromkeys(CATEGORIES, WRITE)
                continue
            if part == PUBLIC_ONLY:
                public_only = True
                continue
            level_name, _, category = part.partition(":")
            level = {"read": READ, "write": WRITE}.get(level_name)
            if level is None or category not in CATEGORIES:
                raise InvalidScope(part)
            levels[category] = max(levels.get(category, 0), level)
        ordered = tuple((c, levels[c]) for c in CATEGORIES if c in levels)
        return cls(levels=ordered, public_only=public_only)

    @property
    def empty(self) -> bool:
        return not self.levels and not self.public_only

    def level(self, category: str) -> int:
        return dict(self.levels).get(category, 0)

    def names(self) -> list[str]:
        """Normalised scope names, as Gitea returns them."""
        out = [PUBLIC_ONLY] if self.public_only else []
        if len(self.levels) == len(CATEGORIES) and all(lv == WRITE for _, lv in self.levels):
            return [*out, ALL]
        return out + [f"{'write' if lv == WRITE else 'read'}:{c}" for c, lv in self.levels]

    def __str__(self) -> str:
        return ",".join(self.names())

    def allows(self, categories: tuple[str, ...], method: str) -> bool:
        """tokenRequiresScopes: at least one category at the level the method needs."""
        need = WRITE if method.upper() in WRITE_METHODS else READ
        return any(self.level(c) >= need for c in categories)


def required_scopes(categories: tuple[str, ...], method: str) -> list[str]:
    prefix = "write" if method.upper() in WRITE_METHODS else "read"
    return [f"{prefix}:{c}" for c in categories]
