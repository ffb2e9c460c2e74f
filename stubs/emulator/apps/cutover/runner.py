"""Run the cutover steps CUTOVER_STEPS names, in order, recording each in the status map."""

from __future__ import annotations

from .context import Step, StepContext
from .flux_pivot import helmrepository_pivot, reconcile_request, registry_auth_merge, verify_pivot
from .kube import StepFailed
from .preflight import gitea_admin_auth, harbor_endpoint, mirror_inventory, preflight_namespaces
from .status import StatusRecorder
from .token_mint import gitea_token_mint

# Step numbers are stable: a chart version only adds steps (09 came with chart 0.1.30).
STEPS: dict[str, Step] = {s.num: s for s in (
    Step("01", "preflight-namespaces", preflight_namespaces),
    Step("02", "registry-auth-merge", registry_auth_merge),
    Step("03", "harbor-endpoint", harbor_endpoint),
    Step("04", "mirror-inventory", mirror_inventory),
    Step("05", "gitea-admin-auth", gitea_admin_auth),
    Step("06", "flux-helmrepository-pivot", helmrepository_pivot),
    Step("07", "flux-reconcile-request", reconcile_request),
    Step("08", "verify-pivot", verify_pivot),
    Step("09", "gitea-token-mint", gitea_token_mint),
)}


def plan(numbers: tuple[str, ...]) -> list[Step]:
    unknown = [n for n in numbers if n not in STEPS]
    if unknown:
        raise StepFailed(f"CUTOVER_STEPS names unknown steps: {', '.join(unknown)}")
    return [STEPS[n] for n in sorted(set(numbers))]


async def run_cutover(sc: StepContext, status: StatusRecorder) -> bool:
    """True when every planned step passed; stops at the first failure, as `set -e` does."""
    steps = plan(sc.config.steps)
    status.start_run([(s.num, s.name) for s in steps])
    for step in steps:
        sc.log(f"step {step.num} {step.name}: start")
        status.step(step.num, step.name, "running")
        try:
            await step.run(sc)
        except StepFailed as e:
            status.step(step.num, step.name, f"failed: {e}")
            sc.log(f"step {step.num} {step.name}: FAILED: {e}")
            return False
        status.step(step.num, step.name, "done")
        sc.log(f"step {step.num} {step.name}: done")
    status.complete()
    sc.log(f"cutover complete: {len(steps)} steps done")
    return True
