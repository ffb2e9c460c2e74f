"""helm-controller's remediation policy for one HelmRelease (api/v2 InstallRemediation and
UpgradeRemediation of helm-controller v1.1):

- `retries` (default 0; negative: retry forever) counts the failures of the *active*
  action, `status.installFailures` or `status.upgradeFailures`, picked by
  `status.lastAttemptedReleaseAction`; retries are exhausted once the count exceeds them;
- install remediation always uninstalls; upgrade remediation rolls back to the previous
  successful release (`strategy: rollback`, the default) or uninstalls;
- `remediateLastFailure` defaults to false for install and to `retries > 0` for upgrade:
  whether the failure that exhausts the retries is remediated too.

Pure functions over the HelmRelease's spec and status, so the controller's decision table
(internal/reconcile/atomic_release.go `actionForState`) reads as it does upstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLLBACK = "rollback"
UNINSTALL = "uninstall"


@dataclass(frozen=True)
class Remediation:
    action: str  # install | upgrade
    retries: int
    remediate_last: bool
    strategy: str

    @classmethod
    def of(cls, spec: dict[str, Any], action: str) -> Remediation:
        cfg = ((spec.get(action) or {}).get("remediation") or {})
        retries = int(cfg.get("retries") or 0)
        last = cfg.get("remediateLastFailure")
        if action == "install":
            return cls(action, retries, bool(last) if last is not None else False, UNINSTALL)
        return cls(action, retries, bool(last) if last is not None else retries > 0,
                   str(cfg.get("strategy") or ROLLBACK))

    @property
    def counter(self) -> str:
        return f"{self.action}Failures"

    def failures(self, status: dict[str, Any]) -> int:
        return int(status.get(self.counter) or 0)

    def exhausted(self, status: dict[str, Any]) -> bool:
        return self.retries >= 0 and self.failures(status) > self.retries


def active(spec: dict[str, Any], status: dict[str, Any]) -> Remediation | None:
    """The remediation of the last attempted release action (None before any attempt)."""
    action = status.get("lastAttemptedReleaseAction")
    return Remediation.of(spec, action) if action in ("install", "upgrade") else None


def rollback_target(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest earlier release that succeeded (Snapshots.Previous): deployed or
    superseded, of the same release."""
    if len(history) < 2:
        return None
    latest = history[0]
    for snap in sorted(history[1:], key=lambda h: -int(h.get("version", 0))):
        if snap.get("status") in ("deployed", "superseded") and \
                (snap.get("name"), snap.get("namespace")) == (latest.get("name"),
                                                              latest.get("namespace")):
            return snap
    return None
