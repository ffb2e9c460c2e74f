"""The fix text of the Gitea credential Findings names the Secret key to store the token in
(`sme/provisioning-github-token.GITHUB_TOKEN`), never an internal memo key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from e2e.clients.result import CallResult
from e2e.diagnose import gitea

from .fakesov import FakeSov

REFUSED = CallResult("GET", "https://gitea.sovereign.test/api/v1/user", 401,
                     {"message": "user does not exist"})
WHERE = "sme/provisioning-github-token.GITHUB_TOKEN"


@dataclass
class FakeGitea:
    password: str

    def user_basic(self, user: str, password: str) -> CallResult:
        return CallResult("GET", "/api/v1/user", 200 if password == self.password else 401)


class GiteaSov(FakeSov):
    def __init__(self, password: str) -> None:
        super().__init__()
        self.password = password

    def secret_value(self, namespace: str, name: str, key: str, **_: Any) -> str | None:
        return {"username": "gitea_admin", "password": self.password}.get(key)

    @property
    def gitea(self) -> FakeGitea:
        return FakeGitea(self.password)


def test_token_invalid_fix_names_the_secret_key_not_a_memo_key() -> None:
    sov = GiteaSov(secrets.token_hex(12))
    token = secrets.token_hex(20)
    [f] = gitea.diagnose_token(sov, token, WHERE, REFUSED)  # type: ignore[arg-type]
    assert f.code == "gitea.token-invalid"
    assert f.hint == f"mint a new token with scope all and store it in {WHERE}"
    assert "token-as-password" not in f.hint and token not in f.hint + f.message
    assert f.evidence["token_last_eight"] == token[-8:]


def test_token_is_password_fix_names_step_09_and_the_secret_key() -> None:
    password = secrets.token_hex(12)
    sov = GiteaSov(password)
    [f] = gitea.diagnose_token(sov, password, WHERE, REFUSED)  # type: ignore[arg-type]
    assert f.code == "gitea.token-is-password"
    assert "cutover step 09 gitea-token-mint" in f.hint
    assert f.hint.endswith(f"store its sha1 in {WHERE}; do not mirror the admin password "
                           "into it")
    assert password not in f.hint + f.message
