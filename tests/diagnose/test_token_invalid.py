"""gitea.token-invalid: a provisioning token Gitea refuses that is not the admin password
(revoked, from another Gitea, mistyped) is named as such, at step 08, with Gitea's
`token_last_eight` and never the token."""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path
from typing import Any

from e2e.config import Settings
from e2e.kube import gvr
from e2e.report.model import StepStatus
from e2e.session import JourneySession


def test_a_token_gitea_does_not_know_is_invalid_not_password(tmp_path: Path) -> None:
    session = JourneySession(Settings(report_dir=tmp_path))
    session.start()
    try:
        for number in range(1, 8):
            assert session.run_step(number).status is StepStatus.PASS
        bogus = secrets.token_hex(20)  # shaped like a Gitea token, known to no Gitea
        emulator = session.provider.emulator_thread.emulator  # type: ignore[attr-defined]
        store = emulator.store
        secrets_rt = store.registry.get("", "v1", "secrets")

        def replace_token() -> None:
            def patch(obj: dict[str, Any]) -> dict[str, Any]:
                obj["data"]["GITHUB_TOKEN"] = base64.b64encode(bogus.encode()).decode()
                return obj

            store.patch(secrets_rt, "sme", "provisioning-github-token", patch)

        session.provider.emulator_thread.call(replace_token)  # type: ignore[attr-defined]
        # Step 8 reads the Secret from the harness's informer: let the watch deliver the
        # change first (on a loaded machine it can lag the write).
        assert session.sov is not None
        seen = base64.b64encode(bogus.encode()).decode()
        deadline = time.monotonic() + 10
        while ((session.sov.informers(gvr.SECRETS).get("provisioning-github-token", "sme")
                or {}).get("data") or {}).get("GITHUB_TOKEN") != seen:
            assert time.monotonic() < deadline, "the informer never saw the new token"
            time.sleep(0.05)
        result = session.run_step(8)
    finally:
        session.close()
    assert result.status is StepStatus.FAIL
    cause = result.root_cause
    assert cause is not None and cause.code == "gitea.token-invalid"
    assert bogus[-8:] in cause.message and bogus not in result.model_dump_json()
    assert "provisioning-github-token" in cause.message
