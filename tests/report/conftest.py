"""Report fixtures: reports built from step statuses, with planted secrets."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from e2e.report.model import (
    CycleReport,
    Evidence,
    Finding,
    Platform,
    Severity,
    StepResult,
    StepStatus,
    Subject,
    Target,
)

T0 = datetime(2026, 5, 18, 2, 0, tzinfo=UTC)

# Values a run reads from the cluster; they must never reach an artifact.
SECRETS = {
    "gitea-admin-password": "Hunter2-Gitea-Adm1n!",
    "gitea-token": "0123456789abcdef0123456789abcdef01234567",
    "newapi-signing-key": "sk-live-9f8e7d6c5b4a39281706",
}

BuildReport = Callable[..., CycleReport]

CODES = {
    StepStatus.FAIL: "gitea.token-is-password",
    StepStatus.STUCK: "flux.chart-pin-lag",
    StepStatus.TIMEOUT: "pod.probe-404",
}


def make_step(number: int, status: StepStatus, *, finding: Finding | None = None,
              blocked_by: str | None = None) -> StepResult:
    started = T0 + timedelta(minutes=number) if status is not StepStatus.PENDING else None
    ended = (started + timedelta(seconds=30 + number)
             if started and status.finished else None)
    return StepResult(
        id=f"{number:02d}-step-{number}", number=number, title=f"Step number {number}",
        status=status, started_at=started, ended_at=ended,
        attempts=1 if started else 0, waiting_for=f"condition {number}",
        progress=f"progress {number}", findings=[finding] if finding else [],
        blocked_by=blocked_by, timeout_s=600, stall_after_s=120)


def make_finding(code: str, *, severity: Severity = Severity.BLOCKING) -> Finding:
    return Finding(code=code, severity=severity,
                   subject=Subject(kind="Secret", namespace="gitea", name="gitea-admin-secret"),
                   message=f"{code}: Gitea answered 401 Unauthorized",
                   hint=f"fix for {code}")


@pytest.fixture
def build_report() -> BuildReport:
    def build(cycle: str = "t1", statuses: dict[int, StepStatus] | None = None, *,
              default: StepStatus = StepStatus.PASS, codes: dict[int, str] | None = None,
              steps: int = 16, provider: str = "emulated",
              platform: Platform | None = None) -> CycleReport:
        statuses = statuses or {}
        codes = codes or {}
        result = []
        for n in range(1, steps + 1):
            status = statuses.get(n, default)
            code = codes.get(n, CODES.get(status))
            finding = make_finding(code) if (code and status in CODES) or n in codes else None
            blocked = f"{n - 1:02d}-step-{n - 1}" if status is StepStatus.BLOCKED else None
            result.append(make_step(n, status, finding=finding, blocked_by=blocked))
        done = all(s.status.finished for s in result)
        return CycleReport(cycle=cycle, target=Target(provider=provider, fqdn="sovereign.test"),
                           started_at=T0, ended_at=T0 + timedelta(hours=1) if done else None,
                           steps=result, harness={"version": "0.1.0"}, platform=platform)
    return build


@pytest.fixture
def secret_report(build_report: BuildReport) -> CycleReport:
    """A failed cycle with the secrets planted everywhere a careless diagnoser might put them."""
    pw, token, key = SECRETS.values()
    report = build_report("t7", {7: StepStatus.FAIL, 8: StepStatus.BLOCKED},
                          default=StepStatus.PASS)
    leaky = Finding(
        code="gitea.token-is-password", severity=Severity.BLOCKING,
        subject=Subject(kind="Secret", namespace="catalyst-system", name="gitea-api-token"),
        message=f"the token {pw} is the admin password; curl -H 'Authorization: token {token}'",
        hint=f"mint a real token (not {pw})",
        evidence={"request": f"GET /api/v1/user?token={token}\nAuthorization: Basic "
                             + base64.b64encode(f"gitea_admin:{pw}".encode()).decode(),
                  "secret.yaml": f"data:\n  password: {pw}\n  SIGNING_KEY: {key}\n"})
    step = report.step("07-step-7").model_copy(update={
        "findings": [leaky],
        "evidence": [Evidence(name="env", content_type="application/json",
                              text=f'{{"GITHUB_TOKEN": "{token}", "ADMIN": "{key}"}}'),
                     Evidence(name="log", text=f"login admin/{pw} -> 401")],
        "progress": f"retrying with {pw}"})
    return report.with_step(step).with_updates(
        target=Target(provider="kubeconfig", fqdn="t7.sovereign.test",
                      api_server="https://10.0.0.1:6443",
                      details={"kubeconfig-user-token": token, "note": f"pw={pw}"}),
        harness={"version": "0.1.0", "commit": "a" * 40})
