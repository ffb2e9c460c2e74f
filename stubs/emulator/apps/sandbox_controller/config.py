"""The sandbox controller's configuration, read from its container env at start."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

# The platform's plan ladder (sandboxapi.CapabilitiesForPlan): each plan adds to the last.
_FREE = ("k8s.read.*", "gitea.repo.read", "gitea.pr.list", "gitea.issue.list",
         "session.*", "rag.*", "skills.*")
_PRO = (*_FREE, "sandbox.db.*", "sandbox.storage.*", "sandbox.preview.*", "sandbox.auth.*",
        "sandbox.secrets.*", "marketplace.*", "flux.status")
_ENTERPRISE = (*_PRO, "sandbox.deploy.*", "sandbox.stripe.*", "flux.reconcile",
               "flux.suspend", "flux.resume", "gitea.pr.create", "gitea.pr.merge",
               "gitea.issue.*")
DEFAULT_PLAN_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "free": _FREE, "pro": _PRO, "enterprise": _ENTERPRISE}

# Re-mint when the token has less than this left (TokenRotationLeadTime).
DEFAULT_ROTATION_LEAD = timedelta(hours=24)
# A refused or failed mint is retried after this (real seconds; scaled by the emulator).
MINT_RETRY_SECONDS = 30.0


class ConfigError(ValueError):
    """The env cannot configure the controller; the message names the variable only."""


def _plans(raw: str | None) -> dict[str, tuple[str, ...]]:
    if not raw or not raw.strip():
        return dict(DEFAULT_PLAN_CAPABILITIES)
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ConfigError(f"SANDBOX_PLAN_CAPABILITIES is not valid JSON: {e.msg}") from None
    if not isinstance(parsed, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in parsed.values()):
        raise ConfigError("SANDBOX_PLAN_CAPABILITIES must be a JSON object of string arrays")
    return {str(k): tuple(v) for k, v in parsed.items()}


@dataclass(frozen=True)
class ControllerConfig:
    newapi_base_url: str
    # None: the optional secretKeyRef found no Secret (or an empty key): gitops-only mode.
    admin_secret: str | None = field(repr=False)
    default_channels: tuple[str, ...]
    plan_capabilities: dict[str, tuple[str, ...]]
    rotation_lead: timedelta = DEFAULT_ROTATION_LEAD

    @property
    def minting(self) -> bool:
        return bool(self.admin_secret) and bool(self.newapi_base_url)

    def capabilities_for(self, spec: Mapping[str, object]) -> tuple[str, ...]:
        """spec.capabilities when given (operator overlay), else the plan's; unknown plan:
        none, which the bridge encodes as an introspection-only token."""
        override = spec.get("capabilities")
        if isinstance(override, list) and override:
            return tuple(str(c) for c in override)
        return self.plan_capabilities.get(str(spec.get("planId") or ""), ())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ControllerConfig:
        channels = tuple(c.strip() for c in (env.get("NEWAPI_DEFAULT_CHANNELS") or "").split(",")
                         if c.strip())
        return cls(
            newapi_base_url=(env.get("NEWAPI_BASE_URL") or "").strip().rstrip("/"),
            admin_secret=(env.get("NEWAPI_ADMIN_SECRET") or "").strip() or None,
            default_channels=channels,
            plan_capabilities=_plans(env.get("SANDBOX_PLAN_CAPABILITIES")),
        )
