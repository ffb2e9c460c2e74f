"""Step 09 (gitea-token-mint): give SME provisioning a real Gitea API token.

Before this step sme/provisioning-github-token.GITHUB_TOKEN holds whatever the platform
chart mirrored into it (the admin password); Gitea refuses a password presented as
`Authorization: token` with 401. The step, as the platform's script does it:
1. DELETE any stale token named GITEA_TOKEN_NAME (Basic auth; 404 swallowed);
2. POST /api/v1/users/<admin>/tokens with scope "all" (Basic auth: the token routes
   require it) and capture `.sha1`, the only time Gitea shows the raw token;
3. GET /api/v1/user with `Authorization: token <sha1>`: 200 and a non-empty login;
4. patch the Secret's GITHUB_TOKEN (strategic merge of stringData, as kubectl does);
5. roll sme/provisioning (restartedAt annotation), best-effort.
The token never reaches a log line: response bodies are redacted before they are shown.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from ...kubeapi import errors
from ...kubeapi.patches import strategic_merge
from .context import StepContext
from .httpio import json_body, redact
from .kube import StepFailed, core, now_rfc3339, rt
from .preflight import read_gitea_admin

TOKEN_KEY = "GITHUB_TOKEN"
PROVISIONING_DEPLOYMENT = ("sme", "provisioning")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


async def gitea_token_mint(sc: StepContext) -> None:
    username, password = read_gitea_admin(sc)
    base = f"{sc.config.gitea_url}/api/v1/users/{quote(username, safe='')}/tokens"
    name = sc.config.gitea_token_name
    auth = (username, password)

    async def call(method: str, url: str, **kw: object) -> httpx.Response:
        try:
            return await sc.http.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as e:
            raise StepFailed(f"{method} {url}: {e}") from None

    r = await call("DELETE", f"{base}/{quote(name, safe='')}", auth=auth)
    if r.status_code not in (204, 404):
        raise StepFailed(f"DELETE stale token {name}: HTTP {r.status_code}: "
                         f"{redact(r.text, password)}")

    r = await call("POST", base, auth=auth, json={"name": name, "scopes": ["all"]})
    token = str(json_body(r).get("sha1") or "")
    if r.status_code != 201 or not token:
        raise StepFailed(f"POST {base}: HTTP {r.status_code}: "
                         f"{redact(r.text, token, password)}")

    r = await call("GET", f"{sc.config.gitea_url}/api/v1/user",
                   headers={"Authorization": f"token {token}"})
    login = json_body(r).get("login") if r.status_code == 200 else None
    if not login:
        raise StepFailed(f"validate new token (GET /api/v1/user): HTTP {r.status_code}: "
                         f"{redact(r.text, token, password)}")
    sc.log(f"minted gitea token {name!r} for {login} (validated)")

    ref = sc.config.provisioning_token_secret
    try:
        sc.store.patch(core(sc.store, "secrets"), ref.namespace, ref.name,
                       lambda cur: strategic_merge(cur, {"stringData": {TOKEN_KEY: token}}))
    except errors.ApiError as e:
        raise StepFailed(f"patch secret {ref}: {e.message}") from None
    sc.log(f"patched secret {ref} key {TOKEN_KEY}")
    _roll_provisioning(sc)


def _roll_provisioning(sc: StepContext) -> None:
    """Best-effort: restart the consumer so it reads the new token now (skipped if absent)."""
    ns, name = PROVISIONING_DEPLOYMENT
    deploy_rt = rt(sc.store, "apps", "v1", "deployments")
    stamp = now_rfc3339()
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    try:
        sc.store.patch(deploy_rt, ns, name, lambda cur: strategic_merge(cur, patch))
    except errors.ApiError as e:
        sc.log(f"rollout restart deployment {ns}/{name} skipped: {e.message}")
        return
    sc.log(f"deployment.apps/{name} restarted")
