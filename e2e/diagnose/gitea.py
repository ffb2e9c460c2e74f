"""Gitea credential families: a token that is really a password, a token that is not valid.

Secrets are compared, never shown: equality, and the last eight characters of a value that
has a Gitea token's shape (Gitea itself shows them as `token_last_eight`), are the only
things a Finding may say about them. Of a password, eight characters are too much of it.
"""

from __future__ import annotations

import re

from ..clients.result import CallResult
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject

ADMIN_SECRET = ("gitea", "gitea-admin-secret")
PROVISIONING_SECRET = ("sme", "provisioning-github-token", "GITHUB_TOKEN")
GITEA_TOKEN = re.compile(r"[0-9a-f]{40}")  # a Gitea access token: sha1 hex


def last_eight(token: str) -> dict[str, str]:
    """Gitea's `token_last_eight` hint, only for a value shaped like a Gitea token."""
    return {"token_last_eight": token[-8:]} if GITEA_TOKEN.fullmatch(token) else {}


def admin_credentials(sov: Sovereign) -> tuple[str, str] | None:
    ns, name = ADMIN_SECRET
    user = sov.secret_value(ns, name, "username", sensitive=False)
    password = sov.secret_value(ns, name, "password", label="gitea-admin-password")
    if not user or not password:
        return None
    return user, password


def diagnose_token(sov: Sovereign, token: str, token_ref: str,
                   result: CallResult) -> list[Finding]:
    """Explain why `token` (from `token_ref`) was refused by Gitea as a token."""
    ns, name, key = PROVISIONING_SECRET
    subj = subject("Secret", name, ns)
    creds = admin_credentials(sov)
    same_as_password = bool(creds and token == creds[1])
    works_as_password = same_as_password
    if creds and not same_as_password:
        # One login attempt per token and run: repeated failed logins look like an attack.
        memo_key = f"token-as-password:{hash((creds[0], token))}"
        if memo_key not in sov.memo:
            sov.memo[memo_key] = sov.gitea.user_basic(creds[0], token).ok
        works_as_password = bool(sov.memo[memo_key])
    if works_as_password:
        how = "equals gitea-admin-secret.password" if same_as_password else \
            f"is accepted as {creds[0] if creds else 'the admin'}'s password"
        return [blocking(
            "gitea.token-is-password", subj,
            f"{token_ref} is not a Gitea access token: it {how}: Gitea refuses it as a "
            f"token ({result.status} "
            f"{result.message!r}) while basic auth with it works, so every Gitea call the "
            "provisioning service makes fails",
            "mint a real token (cutover step 09 gitea-token-mint: POST "
            "/api/v1/users/<admin>/tokens with basic auth) and store its sha1 in "
            f"{ns}/{name}.{key}; do not mirror the admin password into it",
            gitea_answer=result.summary())]
    hint = last_eight(token)
    shown = f" (…{hint['token_last_eight']})" if hint else ""
    return [blocking(
        "gitea.token-invalid", subj,
        f"{token_ref}{shown} is refused by Gitea as a token ({result.status} "
        f"{result.message!r}) and is not the admin password: it was revoked, belongs to "
        "another Gitea, or is mistyped",
        f"mint a new token with scope all and store it in {ns}/{name}.{key}",
        **hint, gitea_answer=result.summary())]
