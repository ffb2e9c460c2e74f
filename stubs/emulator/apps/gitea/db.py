"""The stand-in's database: users and orgs (one name space), repositories, access tokens.

Kept in the emulator's app state so it outlives a pod restart, like Gitea's PVC. Passwords
and tokens are stored only as salted PBKDF2 hashes; a token also keeps its last eight
characters for lookup, as models/auth/access_token.go does. Nothing here logs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .scopes import Scope

PBKDF2_ROUNDS = 10_000
TOKEN_RE = re.compile(r"[0-9a-f]{40}")
NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
# A subset of Gitea's reserved user/org/repo names (models/user/user.go reservedUsernames).
RESERVED_NAMES = frozenset({
    ".", "..", ".well-known", "admin", "api", "assets", "attachments", "avatar", "avatars",
    "captcha", "commits", "debug", "error", "explore", "favicon.ico", "ghost", "issues",
    "login", "manifest.json", "metrics", "milestones", "new", "notifications", "org",
    "pulls", "raw", "repo", "repo-avatars", "robots.txt", "search", "serviceworker.js",
    "ssh_info", "swagger.v1.json", "user", "v2", "gitea-actions",
})


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _hash(secret: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), PBKDF2_ROUNDS,
                               50).hex()


@dataclass
class Account:
    """A user or an organization (Gitea keeps both in the user table)."""

    id: int
    name: str
    email: str
    is_org: bool = False
    is_admin: bool = False
    full_name: str = ""
    description: str = ""
    website: str = ""
    location: str = ""
    visibility: str = "public"
    must_change_password: bool = False
    prohibit_login: bool = False
    active: bool = True
    repo_admin_change_team_access: bool = False
    password_salt: str = ""
    password_hash: str = ""
    owners: set[int] = field(default_factory=set)  # org owners' user ids
    created: datetime = field(default_factory=now)
    last_login: datetime | None = None

    def set_password(self, password: str) -> None:
        self.password_salt = secrets.token_hex(16)
        self.password_hash = _hash(password, self.password_salt) if password else ""

    def check_password(self, password: str) -> bool:
        if not self.password_hash or not password:
            return False
        return hmac.compare_digest(_hash(password, self.password_salt), self.password_hash)


@dataclass
class Repository:
    id: int
    owner_id: int
    name: str
    description: str = ""
    private: bool = False
    default_branch: str = "main"
    auto_init: bool = False
    created: datetime = field(default_factory=now)


@dataclass
class AccessToken:
    id: int
    uid: int
    name: str
    scope: Scope
    salt: str
    token_hash: str
    last_eight: str
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)


class NameTaken(Exception):
    pass


@dataclass
class GiteaDB:
    accounts: dict[int, Account] = field(default_factory=dict)
    repos: dict[int, Repository] = field(default_factory=dict)
    tokens: dict[int, AccessToken] = field(default_factory=dict)
    _next_id: dict[str, int] = field(default_factory=dict)

    def _id(self, table: str) -> int:
        self._next_id[table] = self._next_id.get(table, 0) + 1
        return self._next_id[table]

    # --- accounts ----------------------------------------------------------------------
    def account(self, name: str) -> Account | None:
        low = name.lower()
        return next((a for a in self.accounts.values() if a.name.lower() == low), None)

    def user(self, name: str) -> Account | None:
        a = self.account(name)
        return a if a and not a.is_org else None

    def org(self, name: str) -> Account | None:
        a = self.account(name)
        return a if a and a.is_org else None

    def users(self) -> list[Account]:
        return [a for a in self.accounts.values() if not a.is_org]

    def email_taken(self, email: str) -> bool:
        low = email.lower()
        return any(a.email.lower() == low for a in self.users() if a.email)

    def create_user(self, name: str, email: str, password: str, *, is_admin: bool = False,
                    must_change_password: bool = False, **extra: object) -> Account:
        if self.account(name):
            raise NameTaken(name)
        user = Account(id=self._id("user"), name=name, email=email, is_admin=is_admin,
                       must_change_password=must_change_password, **extra)  # type: ignore[arg-type]
        user.set_password(password)
        self.accounts[user.id] = user
        return user

    def create_org(self, name: str, owner: Account, **extra: object) -> Account:
        if self.account(name):
            raise NameTaken(name)
        org = Account(id=self._id("user"), name=name, email="", is_org=True,
                      **extra)  # type: ignore[arg-type]
        org.owners.add(owner.id)
        self.accounts[org.id] = org
        return org

    # --- repositories --------------------------------------------------------------------
    def repo(self, owner: Account, name: str) -> Repository | None:
        low = name.lower()
        return next((r for r in self.repos.values()
                     if r.owner_id == owner.id and r.name.lower() == low), None)

    def create_repo(self, owner: Account, name: str, **extra: object) -> Repository:
        if self.repo(owner, name):
            raise NameTaken(name)
        repo = Repository(id=self._id("repo"), owner_id=owner.id, name=name,
                          **extra)  # type: ignore[arg-type]
        self.repos[repo.id] = repo
        return repo

    # --- access tokens -------------------------------------------------------------------
    def user_tokens(self, uid: int) -> list[AccessToken]:
        return sorted((t for t in self.tokens.values() if t.uid == uid), key=lambda t: t.id)

    def create_token(self, user: Account, name: str, scope: Scope) -> tuple[AccessToken, str]:
        """New token and its raw value; the raw value is not kept."""
        raw = secrets.token_hex(20)
        salt = secrets.token_hex(5)
        token = AccessToken(id=self._id("token"), uid=user.id, name=name, scope=scope,
                            salt=salt, token_hash=_hash(raw, salt), last_eight=raw[-8:])
        self.tokens[token.id] = token
        return token, raw

    def token_by_raw(self, raw: str) -> AccessToken | None:
        """GetAccessTokenBySHA: anything but 40 lowercase hex never matches."""
        if not TOKEN_RE.fullmatch(raw):
            return None
        for t in self.tokens.values():
            if t.last_eight == raw[-8:] and hmac.compare_digest(_hash(raw, t.salt),
                                                                t.token_hash):
                return t
        return None
