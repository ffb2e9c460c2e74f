"""Step 16: a Sandbox gets its token Secret, and the JWT carries exactly its plan's grants."""

from __future__ import annotations

import base64
import contextlib
import time
from typing import Any

import jwt

from ...diagnose import net
from ...diagnose.findings import blocking, subject
from ...errors import KubeConflict
from ...kube import gvr
from ...kube.status import condition
from ...report.model import Finding
from .. import plans
from ..model import Progress, StepContext

SANDBOX_NAME = "e2e-sandbox"
TOKEN_KEY = "LLM_GATEWAY_TOKEN"
SIGNING_SECRET = ("newapi", "newapi-bp-newapi-token-signing-key", "SIGNING_KEY")
SEVEN_DAYS = 7 * 24 * 3600
CLOCK_LEEWAY = 60


def _tenant(ctx: StepContext) -> tuple[str, str, str]:
    v = ctx.state.values
    return str(v["tenant_slug"]), str(v["tenant_email"]), str(v.get("plan", "free"))


def create_sandbox(ctx: StepContext) -> None:
    slug, email, plan = _tenant(ctx)
    ns = f"tenant-{slug}"
    body = {"apiVersion": "sandbox.openova.io/v1alpha1", "kind": "Sandbox",
            "metadata": {"name": SANDBOX_NAME, "namespace": ns,
                         "labels": {"app.kubernetes.io/managed-by": "sovereign-e2e"}},
            "spec": {"owner": {"orgRef": {"slug": slug}, "email": email}, "planId": plan}}
    # Look first, create once: after a create whose answer was lost, the retry finds the
    # Sandbox (or gets 409 for it: the name is this tenant's own) instead of a second one.
    # Recorded before the create: a create whose answer is lost may still have landed, and
    # cleanup deletes it then (a NotFound there is fine).
    if (gvr.SANDBOXES, ns, SANDBOX_NAME) not in ctx.state.created:
        ctx.state.created.append((gvr.SANDBOXES, ns, SANDBOX_NAME))
    if ctx.sov.informers(gvr.SANDBOXES).get(SANDBOX_NAME, ns) is None:
        with contextlib.suppress(KubeConflict):
            ctx.sov.kube.create(gvr.SANDBOXES, body, ns)
    ctx.state.values["sandbox"] = f"{ns}/{SANDBOX_NAME}"


def _token(ctx: StepContext) -> tuple[dict[str, Any] | None, str]:
    slug, _, _ = _tenant(ctx)
    ns = f"tenant-{slug}"
    secret = ctx.sov.informers(gvr.SECRETS).get(f"{SANDBOX_NAME}-newapi-token", ns)
    if secret is None:
        return None, f"waiting for Secret {ns}/{SANDBOX_NAME}-newapi-token"
    raw = (secret.get("data") or {}).get(TOKEN_KEY)
    if not raw:
        return None, f"Secret {ns}/{SANDBOX_NAME}-newapi-token has no {TOKEN_KEY}"
    token = base64.b64decode(raw).decode()
    ctx.sov.redactor.add(token, "sandbox-token")
    key = ctx.sov.secret_value(*SIGNING_SECRET, label="newapi-signing-key")
    if not key:
        return None, "the NewAPI signing key Secret is not readable"
    try:
        # Leeway: the harness's clock and the cluster's may differ by seconds.
        claims = jwt.decode(token, key, algorithms=["HS256"], leeway=CLOCK_LEEWAY,
                            options={"verify_aud": False})
    except jwt.ImmatureSignatureError as e:
        return None, (f"the sandbox token is not valid yet ({e}): the cluster's clock runs "
                      f"more than {CLOCK_LEEWAY}s ahead of the harness's")
    except jwt.ExpiredSignatureError:
        return None, "the sandbox token has already expired (or the clocks disagree)"
    except jwt.PyJWTError as e:
        return None, f"the sandbox token does not verify with the NewAPI signing key: {e}"
    return claims, "token found"


def sandbox_token_minted(ctx: StepContext) -> Progress:
    claims, why = _token(ctx)
    if claims is None:
        sb = ctx.sov.informers(gvr.SANDBOXES).get(SANDBOX_NAME, f"tenant-{_tenant(ctx)[0]}")
        ready = condition(sb, "Ready") or {}
        return Progress.waiting(f"{why}; Sandbox Ready={ready.get('status', 'unset')} "
                                f"{ready.get('reason', '')}")
    problems = claim_problems(ctx, claims)
    if problems:
        return Progress.waiting("sandbox token claims wrong: " + "; ".join(problems))
    return Progress.done(f"sandbox token minted: typ={claims['typ']}, org={claims['org']}, "
                         f"{len(claims.get('capabilities') or [])} capabilities of plan "
                         f"{_tenant(ctx)[2]}, expires in 7d")


def claim_problems(ctx: StepContext, claims: dict[str, Any]) -> list[str]:
    slug, email, _ = _tenant(ctx)
    sb = ctx.sov.informers(gvr.SANDBOXES).get(SANDBOX_NAME, f"tenant-{slug}") or {}
    want = {"typ": "sandbox", "org": slug, "user": email,
            "sub": (sb.get("metadata") or {}).get("uid")}
    out = [f"{k}={claims.get(k)!r}, expected {v!r}" for k, v in want.items()
           if claims.get(k) != v]
    if int(claims.get("exp", 0)) - int(claims.get("iat", 0)) != SEVEN_DAYS:
        out.append("exp - iat is not 7 days")
    if int(claims.get("exp", 0)) <= time.time():
        out.append("token already expired")
    if not claims.get("channels"):
        out.append("no channels")
    _, _, plan = _tenant(ctx)
    caps = set(claims.get("capabilities") or [])
    expected = set(plans.plan_of(plan) or ())
    if caps != expected:
        out.append(f"capabilities differ from plan {plan}: extra "
                   f"{sorted(caps - expected)}, missing {sorted(expected - caps)}")
    return out


def diagnose_sandbox(ctx: StepContext) -> list[Finding]:
    slug, _, plan = _tenant(ctx)
    ns = f"tenant-{slug}"
    out: list[Finding] = []
    sb = ctx.sov.informers(gvr.SANDBOXES).get(SANDBOX_NAME, ns)
    for c in ((sb or {}).get("status") or {}).get("conditions") or []:
        if c.get("reason") == "TokenMintFailed" and c.get("status") == "False":
            # A mint that never reached the bridge is the network's (the URL), not a refusal.
            unreachable = net.network_findings_in(
                ctx.sov, str(c.get("message", "")),
                where=f"the sandbox controller's mint for Sandbox {ns}/{SANDBOX_NAME}")
            if unreachable:
                out.extend(unreachable)
                continue
            out.append(blocking(
                "newapi.mint-refused", subject("Sandbox", SANDBOX_NAME, ns),
                f"the sandbox controller's mint for Sandbox {ns}/{SANDBOX_NAME} was refused: "
                f"{c.get('message', '')}",
                "check the controller's NEWAPI_ADMIN_SECRET against the bridge's ADMIN_SECRET "
                "(same Secret, reflected) and the bridge's signing key"))
    claims, _ = _token(ctx)
    if claims is not None:
        caps = list(claims.get("capabilities") or [])
        extra = plans.excess(plan, caps)
        if extra:
            out.append(blocking(
                "token.capability-excess", subject("Sandbox", SANDBOX_NAME, ns),
                f"the token of Sandbox {ns}/{SANDBOX_NAME} ({plan} plan) carries capabilities "
                f"the plan does not grant: {', '.join(extra)}",
                "fix the plan-to-capability mapping the sandbox controller uses (the sandbox "
                f"chart's plan capabilities for {plan!r}) so tokens carry the plan's grants "
                "only", excess=", ".join(extra), plan=plan))
        expected = set(plans.plan_of(plan) or ())
        missing = sorted(expected - set(caps))
        if missing and not extra:
            out.append(blocking(
                "token.capability-missing", subject("Sandbox", SANDBOX_NAME, ns),
                f"the token of Sandbox {ns}/{SANDBOX_NAME} ({plan} plan) lacks "
                f"{', '.join(missing)}",
                "fix the plan-to-capability mapping of the sandbox controller",
                missing=", ".join(missing)))
    return out
