"""What each plan may do: the capability ladder the harness expects a sandbox token to carry.

This is the harness's own statement of the platform's contract (from the platform's plan
ladder commit), deliberately not imported from the platform or its stand-ins: a token is
checked against what the plan should grant, not against what the controller computed.
"""

from __future__ import annotations

FREE = ("k8s.read", "gitea.repo.read", "session.*", "rag.*", "skills.*")
PRO = (*FREE, "sandbox.db.*", "sandbox.storage.*", "sandbox.preview.*", "sandbox.auth.*",
       "sandbox.secrets.*", "marketplace.*", "flux.status")
ENT = (*PRO, "sandbox.deploy.staging", "sandbox.deploy.production", "sandbox.stripe.*",
       "flux.reconcile", "flux.suspend", "flux.resume", "gitea.pr.create", "gitea.pr.merge",
       "gitea.issue.*")
LADDER: dict[str, tuple[str, ...]] = {"free": FREE, "pro": PRO, "ent": ENT}


def covers(grant: str, capability: str) -> bool:
    """The platform's HasCapability: `a.b.*` covers `a.b` and `a.b.x`; a plain stem covers
    only itself."""
    if grant.endswith(".*"):
        stem = grant[:-2]
        return capability == stem or capability.startswith(stem + ".")
    return grant == capability


def plan_of(plan_id: str) -> tuple[str, ...] | None:
    return LADDER.get(plan_id.lower())


def _granted(grant: str, capability: str) -> bool:
    if capability.endswith(".*"):  # a wildcard needs an equal or broader wildcard grant
        return grant == capability or (grant.endswith(".*") and
                                       capability.startswith(grant[:-1]))
    return covers(grant, capability)


def excess(plan_id: str, capabilities: list[str]) -> list[str]:
    """Capabilities a token carries that its plan does not grant."""
    allowed = plan_of(plan_id) or ()
    return [c for c in capabilities if not any(_granted(g, c) for g in allowed)]
