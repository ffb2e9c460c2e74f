"""Steps 10-14: voucher issued, tenant signed up, checkout, provisioning job, Organization.

Acting steps (issue a voucher, create the org, check out) look for their effect first and
POST at most once, so a slow platform is waited on, not hammered, and a POST that timed
out after it landed is not repeated.
"""

from __future__ import annotations

import secrets as pysecrets
from typing import Any

from ...clients.marketplace import MarketplaceClient, mint_session_token, new_identity
from ...diagnose import gitea as gitea_diag
from ...diagnose.findings import blocking, subject
from ...errors import StepFailed
from ...kube import gvr
from ...report.model import Finding
from .. import acting
from ..model import Progress, StepContext, await_condition

SME_SECRETS = ("sme", "sme-secrets")
PLAN = "free"
VOUCHER_CREDIT = 100


def _mp(ctx: StepContext) -> MarketplaceClient:
    return MarketplaceClient(ctx.sov.http)


def _jwt_secret(ctx: StepContext) -> str:
    secret = ctx.sov.secret_value(*SME_SECRETS, "JWT_SECRET", label="platform-jwt-secret")
    if not secret:
        raise StepFailed("Secret sme/sme-secrets has no JWT_SECRET: the platform's sessions "
                         "cannot be verified")
    return secret


def _admin_token(ctx: StepContext) -> str:
    """Log in as the seeded admin when its credentials are in the cluster; else mint."""
    s = ctx.state.secrets
    if "admin_token" in s:
        return s["admin_token"]
    email = ctx.sov.secret_value(*SME_SECRETS, "ADMIN_EMAIL", sensitive=False)
    password = ctx.sov.secret_value(*SME_SECRETS, "ADMIN_PASSWORD", label="sme-admin-password")
    token = None
    if email and password:
        res = _mp(ctx).login(email, password)
        if res.ok and isinstance(res.body, dict):
            token = res.body.get("token")
    if not token:
        token = mint_session_token(_jwt_secret(ctx), user_id="sovereign-e2e-admin",
                                   email="sovereign-e2e-admin@e2e.invalid",
                                   role="sovereign-admin")
    ctx.sov.redactor.add(token, "admin-session")
    s["admin_token"] = token
    return token


def _plan_id(ctx: StepContext) -> str:
    if "plan_id" in ctx.state.values:
        return str(ctx.state.values["plan_id"])
    res = _mp(ctx).plans()
    plans: list[dict[str, Any]] = res.body if isinstance(res.body, list) else []
    plan = next((p for p in plans if p.get("slug") == PLAN or p.get("id") == PLAN), None)
    if plan is None:
        raise StepFailed(f"the catalog has no {PLAN!r} plan ({res.summary()})")
    ctx.state.values["plan_id"] = plan["id"]
    ctx.state.values["plan"] = PLAN
    return str(plan["id"])


# The acting steps below POST at most once in effect (e2e.journey.acting): each evaluation
# first looks for the effect (the voucher in the admin list, the org among the tenant's,
# the job of the tenant); an answered call is never repeated, and a call whose answer was
# lost is sent again only when its effect is not there.

# ---- 10 voucher-issued --------------------------------------------------------------------
def voucher_issued(ctx: StepContext) -> Progress:
    v, mp = ctx.state.values, _mp(ctx)
    code = v.setdefault("voucher", f"E2E-{pysecrets.token_hex(4).upper()}")
    listed = mp.vouchers(_admin_token(ctx))
    codes = [x.get("code") for x in listed.body] if isinstance(listed.body, list) else []
    if code not in codes:
        if not listed.ok:  # no list, no look: do not act blind
            return Progress.waiting(f"the admin voucher list: {listed.summary()}")
        res = acting.act(ctx, "voucher_issue", lambda: mp.issue_voucher(
            _admin_token(ctx), code, VOUCHER_CREDIT, "sovereign-e2e journey voucher"))
        if res is not None and res.ok:
            return Progress.waiting(f"voucher {code} issued; waiting to see it listed")
        return Progress.waiting(f"voucher {code} not issued: "
                                f"{acting.answer(ctx, 'voucher_issue')}; admin list: "
                                f"{listed.summary()}")
    preview = mp.redeem_preview(code.lower())
    if not preview.ok:
        return Progress.waiting(f"redeem-preview of {code}: {preview.summary()}")
    return Progress.done(f"voucher {code} issued by a sovereign-admin and redeemable")


# ---- 11 tenant-signed-up -----------------------------------------------------------------
def sign_up(ctx: StepContext) -> None:
    if "tenant_token" in ctx.state.secrets:
        return
    user_id, email = new_identity()
    token = mint_session_token(_jwt_secret(ctx), user_id=user_id, email=email, role="member")
    ctx.sov.redactor.add(token, "tenant-session")
    ctx.state.secrets["tenant_token"] = token
    ctx.state.values.update(tenant_email=email, tenant_user=user_id,
                            tenant_slug=f"e2e-{user_id[:8]}")


def tenant_signed_up(ctx: StepContext) -> Progress:
    mp, token, v = _mp(ctx), ctx.state.secrets["tenant_token"], ctx.state.values
    slug = v["tenant_slug"]
    mine = mp.my_orgs(token)
    orgs = mine.body if isinstance(mine.body, list) else []
    ours = next((t for t in orgs if t.get("slug") == slug), None)
    if ours is None:
        if not mine.ok:  # no list, no look: do not act blind
            return Progress.waiting(f"the tenant's orgs: {mine.summary()}")
        res = acting.act(ctx, "org_create", lambda: mp.create_org(token, slug, f"E2E {slug}",
                                                           _plan_id(ctx)))
        if res is not None and res.ok:
            return Progress.waiting(f"org {slug} created; waiting to see it")
        # A 409 after a send whose answer was lost may be our own org: look again.
        if acting.status(ctx, "org_create") == 409 and not acting.was_lost(ctx, "org_create"):
            return Progress.blocked("slug taken", blocking(
                "marketplace.slug-taken", subject("Tenant", slug),
                f"tenant slug {slug} is taken by someone else", "rerun: the journey picks "
                "a new slug"))
        return Progress.waiting(f"the tenant's org {slug}: {acting.answer(ctx, 'org_create')}; "
                                f"the tenant's orgs: {mine.summary()}")
    v["tenant_id"] = ours["id"]
    return Progress.done(f"tenant {v['tenant_email']} signed in with a session from the "
                         f"platform's JWT secret; org {slug} created")


# ---- 12 voucher-checkout -----------------------------------------------------------------
def voucher_checkout(ctx: StepContext) -> Progress:
    mp, v = _mp(ctx), ctx.state.values
    job = mp.job_for_tenant(v["tenant_id"])
    if job.ok and isinstance(job.body, dict):
        v["job_id"] = job.body.get("id")
        v["job_url"] = ctx.sov.http.url("marketplace", f"/jobs/{v['job_id']}")
        return Progress.done(f"checkout 200 (order {v.get('order_id', '?')}, paid by voucher)"
                             f"; redirected to the job {v['job_url']}")
    if job.status != 404 and not job.ok:  # no look at the job: do not act blind
        return Progress.waiting(f"the tenant's provisioning job: {job.summary()}")
    res = acting.act(ctx, "checkout", lambda: mp.checkout(
        ctx.state.secrets["tenant_token"], _plan_id(ctx), v["tenant_id"], v["voucher"]))
    if res is not None and res.ok and isinstance(res.body, dict):
        v["order_id"] = res.body.get("order_id")
    refused = acting.status(ctx, "checkout") not in (None, 200, 201)
    # A refusal after a send whose answer was lost may be our own voucher, redeemed by the
    # lost call: wait for its job instead (the stall window bounds the wait).
    if refused and not acting.was_lost(ctx, "checkout"):
        return Progress.blocked(f"checkout: {acting.answer(ctx, 'checkout')}", blocking(
            "marketplace.checkout-refused", subject("Tenant", v["tenant_slug"]),
            f"checkout of tenant {v['tenant_slug']} with voucher {v['voucher']}: "
            f"{acting.answer(ctx, 'checkout')}",
            "read the billing service's answer: the voucher, the plan and the payment "
            "settings decide it"))
    return Progress.waiting(f"order {v.get('order_id', '?')} placed; waiting for its "
                            f"provisioning job ({job.summary()})")


# ---- 13 provisioning-job-done ------------------------------------------------------------
def provisioning_job_done(ctx: StepContext) -> Progress:
    job = _mp(ctx).job(str(ctx.state.values["job_id"]))
    if not job.ok or not isinstance(job.body, dict):
        return Progress.waiting(f"job status: {job.summary()}")
    status = job.body.get("status")
    steps = job.body.get("steps") or []
    where = next((f"{s.get('name')}: {s.get('status')}" for s in steps
                  if s.get("status") != "completed"), "")
    if status == "completed":
        return Progress.done(f"provisioning job {ctx.state.values['job_id']} completed")
    if status == "failed":
        return Progress.blocked(f"job failed at {where}", blocking(
            "provisioning.job-failed", subject("ProvisioningJob", str(job.body.get("id"))),
            f"provisioning job failed at {where}", "read the provisioning service's log"))
    return Progress.waiting(f"job {status}; at {where or 'start'} "
                            f"(progress {job.body.get('progress', '?')})",
                            fingerprint=f"{status}|{where}|{job.body.get('progress')}")


def diagnose_provisioning(ctx: StepContext) -> list[Finding]:
    """A job that does not move: test the credentials the provisioning service uses."""
    ns, name, key = gitea_diag.PROVISIONING_SECRET
    token = ctx.sov.secret_value(ns, name, key, label="provisioning-github-token")
    if not token:
        return [blocking("pod.secret-missing", subject("Secret", name, ns),
                         f"Secret {ns}/{name} has no {key}: provisioning cannot call Gitea",
                         "let cutover step 09 mint the token into it")]
    res = ctx.sov.gitea.user_token(token)
    if res.status == 401:
        return gitea_diag.diagnose_token(ctx.sov, token, f"{ns}/{name}.{key}", res)
    return []


# ---- 14 organization-created -------------------------------------------------------------
def organization_created(ctx: StepContext) -> Progress:
    slug = str(ctx.state.values["tenant_slug"])
    org = ctx.sov.informers(gvr.ORGANIZATIONS).get(slug)
    if (pending := await_condition(org, f"Organization {slug}", "Ready")):
        return pending
    assert org is not None
    creds = gitea_diag.admin_credentials(ctx.sov)
    if creds is None:
        return Progress.waiting("Gitea admin credentials unreadable")
    gorg = (org.get("spec") or {}).get("giteaOrg") or slug
    res = ctx.sov.gitea.org(str(gorg), *creds)
    if not res.ok:
        return Progress.waiting(f"Gitea org {gorg}: {res.summary()}")
    return Progress.done(f"Organization {slug} Ready; Gitea org {gorg} exists")
