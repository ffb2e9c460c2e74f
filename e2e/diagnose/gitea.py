"""Gitea credential families: a token that is really a password, a token that is not valid.

Secrets are compared, never shown: equality and the last eight characters (which Gitea
itself shows as `token_last_eight`) are the only things a Finding may say about them.
"""

from __future__ import annotations

from ..clients.result import CallResult
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject

ADMIN_SECRET = ("gitea", "gitea-admin-secret")
PROVISIONING_SECRET = ("sme", "provisioning-github-token", "GITHUB_TOKEN")


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
        works_as_password = sov.gitea.user_basic(creds[0], token).ok
    if works_as_password:
        how = "equals gitea-admin-secret.password" if same_as_password else \
            f"is accepted as {creds[0] if creds else 'the admin'}'s password"
        return [blocking(
            "gitea.token-is-password", subj,
            f"{token_ref} is not a Gitea access token: it {how} (last eight characters "
            f"…{token[-8:]} match): Gitea refuses it as a token ({result.status} "
            f"{result.message!r}) while basic auth with it works, so every Gitea call the "
            "provisioning service makes fails",
            "mint a real token (cutover step 09 gitea-token-mint: POST "
            "/api/v1/users/<admin>/tokens with basic auth) and store its sha1 in "
            f"{ns}/{name}.{key}; do not mirror the admin password into it",
            token_last_eight=token[-8:], gitea_answer=result.summary())]
    return [blocking(
        "gitea.token-invalid", subj,
        f"{token_ref} (…{token[-8:]}) is refused by Gitea as a token ({result.status} "
        f"{result.message!r}) and is not the admin password: it was revoked, belongs to "
        "another Gitea, or is mistyped",
        f"mint a new token with scope all and store it in {ns}/{name}.{key}",
        token_last_eight=token[-8:], gitea_answer=result.summary())]
