"""Steps 7-9: Gitea answers through the gateway, the cutover is done, NewAPI is ready."""

from __future__ import annotations

from typing import Any

from ...diagnose import gitea as gitea_diag
from ...diagnose import pods
from ...diagnose.findings import blocking, subject
from ...kube import gvr
from ...kube.status import name_of, namespace_of
from ...report.model import Finding
from ..model import Progress, StepContext

CUTOVER_STATUS = ("catalyst-system", "cutover-status")
CUTOVER_STEPS = [f"{i:02d}" for i in range(1, 10)]
SANDBOX_CONTROLLER = ("catalyst-system", "sandbox-controller")
NEWAPI = ("newapi", "newapi")


def gitea_reachable(ctx: StepContext) -> Progress:
    version = ctx.sov.gitea.version()
    if not version.ok:
        return Progress.waiting(f"gitea.{ctx.sov.fqdn}: {version.summary()}")
    creds = gitea_diag.admin_credentials(ctx.sov)
    if creds is None:
        return Progress.waiting("waiting for Secret gitea/gitea-admin-secret (username, "
                                "password)")
    user = ctx.sov.gitea.user_basic(*creds)
    if not user.ok:
        return Progress.waiting(f"admin basic auth: {user.summary()}")
    login = (user.body or {}).get("login") if isinstance(user.body, dict) else None
    return Progress.done(f"Gitea {(version.body or {}).get('version', '?')} answers through "
                         f"the gateway; admin basic auth works (login {login})")


def _cutover_status(ctx: StepContext) -> dict[str, str]:
    ns, name = CUTOVER_STATUS
    cm = ctx.sov.informers(gvr.CONFIGMAPS).get(name, ns)
    return dict((cm or {}).get("data") or {})


def _step_state(data: dict[str, str], step: str) -> str:
    for key in (f"step-{step}", step):
        if key in data:
            return data[key]
    return ""


def cutover_complete(ctx: StepContext) -> Progress:
    data = _cutover_status(ctx)
    states = {s: _step_state(data, s) for s in CUTOVER_STEPS}
    done = [s for s, v in states.items() if v.startswith("done")]
    if len(done) < len(CUTOVER_STEPS):
        missing = [s for s in CUTOVER_STEPS if s not in done]
        return Progress.waiting(
            f"cutover steps done: {', '.join(done) or 'none'}; waiting for "
            f"{', '.join(missing)}", fingerprint=str(sorted(states.items())))
    token = _provisioning_token(ctx)
    if not token:
        return Progress.waiting("waiting for sme/provisioning-github-token.GITHUB_TOKEN")
    result = ctx.sov.gitea.user_token(token)
    if not result.ok:
        return Progress.waiting(f"provisioning token as a token: {result.summary()}")
    return Progress.done(f"cutover steps 01..09 done; the provisioning token authenticates "
                         f"as {(result.body or {}).get('login')}")


def _provisioning_token(ctx: StepContext) -> str | None:
    ns, name, key = gitea_diag.PROVISIONING_SECRET
    return ctx.sov.secret_value(ns, name, key, label="provisioning-github-token")


def diagnose_cutover(ctx: StepContext) -> list[Finding]:
    out: list[Finding] = []
    data = _cutover_status(ctx)
    failed = {s: _step_state(data, s) for s in CUTOVER_STEPS
              if _step_state(data, s).startswith("failed")}
    for s, state in failed.items():
        out.append(blocking("cutover.step-failed", subject("ConfigMap", CUTOVER_STATUS[1],
                                                           CUTOVER_STATUS[0]),
                            f"cutover step {s} {state}",
                            f"read the cutover Job's log for step {s} and fix its input"))
    token = _provisioning_token(ctx)
    if token:
        result = ctx.sov.gitea.user_token(token)
        if result.status == 401:
            out.extend(gitea_diag.diagnose_token(ctx.sov, token,
                                                 "sme/provisioning-github-token.GITHUB_TOKEN",
                                                 result))
    return out


def _env_secret_ref(deploy: dict[str, Any], env_name: str) -> dict[str, Any] | None:
    spec = ((deploy.get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in spec.get("containers") or []:
        for env in c.get("env") or []:
            if env.get("name") == env_name:
                return ((env.get("valueFrom") or {}).get("secretKeyRef")) or {}
    return None


def newapi_ready(ctx: StepContext) -> Progress:
    health = ctx.sov.http.call("GET", "newapi", "/healthz")
    if health.status != 200:
        return Progress.waiting(f"newapi.{ctx.sov.fqdn}/healthz -> {health.status}")
    probe = ctx.sov.http.call("POST", "newapi", "/admin/tokens/sandbox", json={})
    if probe.status != 401:
        return Progress.waiting(f"the bridge POST /admin/tokens/sandbox without credentials "
                                f"answers {probe.status}, expected 401")
    where = _admin_secret_location(ctx)
    if where is None:
        return Progress.waiting("waiting for Deployment catalyst-system/sandbox-controller")
    ns, name, key = where
    if not ctx.sov.secret_value(ns, name, key, label="newapi-admin-secret"):
        return Progress.waiting(f"Secret {ns}/{name} (key {key}), which the sandbox "
                                "controller reads NEWAPI_ADMIN_SECRET from, is absent")
    if _admin_secret_mismatch(ctx) is not None:
        return Progress.waiting("the sandbox controller's NEWAPI_ADMIN_SECRET differs from the "
                                "one the NewAPI bridge checks")
    return Progress.done(f"the NewAPI bridge answers (401 without credentials); {ns}/{name}."
                         f"{key} is where the sandbox controller reads it")


def _admin_secret_location(ctx: StepContext,
                           deployment: tuple[str, str] = SANDBOX_CONTROLLER
                           ) -> tuple[str, str, str] | None:
    """Where a Deployment's NEWAPI_ADMIN_SECRET comes from: (namespace, Secret, key)."""
    ns, name = deployment
    deploy = ctx.sov.informers(gvr.DEPLOYMENTS).get(name, ns)
    if deploy is None:
        return None
    ref = _env_secret_ref(deploy, "NEWAPI_ADMIN_SECRET") or {}
    return ns, str(ref.get("name", "")), str(ref.get("key", ""))


def _admin_secret_mismatch(ctx: StepContext) -> tuple[str, str] | None:
    """(client source, server source) when the sandbox controller's admin secret is not the
    bridge's: every mint would be refused with 401. Compared, never shown."""
    client, server = _admin_secret_location(ctx), _admin_secret_location(ctx, NEWAPI)
    if client is None or server is None:
        return None
    mine = ctx.sov.secret_value(*client, label="newapi-admin-secret")
    theirs = ctx.sov.secret_value(*server, label="newapi-admin-secret")
    if mine and theirs and mine != theirs:
        return "/".join(client[:2]) + f".{client[2]}", "/".join(server[:2]) + f".{server[2]}"
    return None


def diagnose_newapi(ctx: StepContext) -> list[Finding]:
    controller_pods = ctx.sov.informers(gvr.PODS).items(
        lambda p: namespace_of(p) == SANDBOX_CONTROLLER[0]
        and name_of(p).startswith(SANDBOX_CONTROLLER[1] + "-"))
    return _admin_secret_findings(ctx) + pods.optional_secrets_missing(ctx.sov, controller_pods)


def _admin_secret_findings(ctx: StepContext) -> list[Finding]:
    where = _admin_secret_location(ctx)
    if where is None:
        return []
    mismatch = _admin_secret_mismatch(ctx)
    if mismatch is not None:
        return [blocking(
            "sandbox.admin-secret-mismatch",
            subject("Deployment", SANDBOX_CONTROLLER[1], SANDBOX_CONTROLLER[0]),
            f"the sandbox controller (Deployment {SANDBOX_CONTROLLER[0]}/"
            f"{SANDBOX_CONTROLLER[1]}) sends NEWAPI_ADMIN_SECRET from {mismatch[0]}, which "
            f"differs from the bridge's ({mismatch[1]}): every token mint is refused (401)",
            f"point the sandbox controller at the bridge's admin secret ({mismatch[1]}, "
            "reflected into its namespace) instead of a separate copy",
            client_source=mismatch[0], server_source=mismatch[1])]
    ns, name, key = where
    if ctx.sov.informers(gvr.SECRETS).get(name, ns) is not None:
        return []
    copies = sorted(f"{s['metadata'].get('namespace')}/{name}" for s in
                    ctx.sov.informers(gvr.SECRETS).items(lambda o: o["metadata"]["name"] == name))
    source = next((s for s in ctx.sov.informers(gvr.SECRETS).items(
        lambda o: o["metadata"]["name"] == name and "reflector.v1.k8s.emberstack.com/"
        "reflection-auto-namespaces" in (o["metadata"].get("annotations") or {}))), None)
    reflect_to = ((source or {}).get("metadata", {}).get("annotations") or {}).get(
        "reflector.v1.k8s.emberstack.com/reflection-auto-namespaces", "")
    namespaces = {n["metadata"]["name"] for n in ctx.sov.informers(gvr.NAMESPACES).items()}
    absent = [n.strip() for n in reflect_to.split(",") if n.strip() and n.strip() not in
              namespaces]
    hint = (f"reflect Secret {name} into {ns}: its source reflects to "
            f"{reflect_to!r}" + (f", and {', '.join(absent)} does not exist" if absent else "")
            + f"; add {ns} to the newapi chart's reflectorNamespaces") if source else \
        f"create Secret {ns}/{name} with key {key}"
    return [blocking(
        "sandbox.no-admin-secret", subject("Deployment", SANDBOX_CONTROLLER[1], ns),
        f"the sandbox controller (Deployment {ns}/{SANDBOX_CONTROLLER[1]}) reads "
        f"NEWAPI_ADMIN_SECRET from Secret {ns}/{name} (optional secretKeyRef), which does "
        "not exist" + (f"; copies exist in {', '.join(copies)}"
                                                  if copies else "")
        + ": the variable is silently unset, the controller runs gitops-only and never "
        "mints a sandbox token",
        hint, secret_name=f"{ns}/{name}", copies=", ".join(copies), reflects_to=reflect_to)]
