"""The Sandbox reconciler: per-Sandbox LLM gateway token minted through the NewAPI bridge.

For each Sandbox (sandboxes.sandbox.openova.io/v1alpha1):
- gitops-only mode (no admin secret at start): plumbing is reconciled and Ready, no token
  is ever minted. That is the platform's silent degrade: only the startup log says so.
- otherwise the token is minted when the Secret `<sandbox>-newapi-token` is missing or the
  CR's `openova.io/sandbox-token-expires-at` is within the rotation lead time; on success
  the Secret is written and the CR annotated; on refusal Ready=False/TokenMintFailed, no
  Secret, retry after 30s (scaled). Everything else requeues on a timer at rotation time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ...controllers.base import Controller, Key
from ...kubeapi.resources import ResourceType
from ...kubeapi.store import WatchEvent
from .config import MINT_RETRY_SECONDS, ControllerConfig
from .newapi_client import MintError, MintRequest, NewAPIClient
from .status import Cond, Obj, desired_status, rfc3339

SANDBOXES = ("sandbox.openova.io", "v1alpha1", "sandboxes")
EXPIRES_AT = "openova.io/sandbox-token-expires-at"
ROTATED_AT = "openova.io/sandbox-token-rotated-at"
TOKEN_KEY = "LLM_GATEWAY_TOKEN"
MANAGED_BY = "sandbox-controller"


def token_secret_name(sandbox: str) -> str:
    return f"{sandbox}-newapi-token"


class SandboxReconciler(Controller):
    name = "sandbox-controller"

    def __init__(self, config: ControllerConfig, client: NewAPIClient | None,
                 log: Callable[[str], None], time_scale: float) -> None:
        super().__init__()
        self.config = config
        self.client = client  # None: gitops-only mode
        self.log = log
        self.time_scale = time_scale

    # ---- wiring --------------------------------------------------------------------------
    @property
    def sandboxes(self) -> ResourceType:
        return self.rt(*SANDBOXES)

    @property
    def secrets(self) -> ResourceType:
        return self.rt("", "v1", "secrets")

    def watches(self) -> Iterable[ResourceType]:
        return (self.sandboxes, self.secrets)

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj.get("kind") == "Sandbox":
            yield ("Sandbox", meta.get("namespace", ""), meta["name"])
            return
        for ref in meta.get("ownerReferences") or []:  # a token Secret changed or went away
            if ref.get("kind") == "Sandbox" and ref.get("apiVersion", "").startswith(
                    SANDBOXES[0] + "/"):
                yield ("Sandbox", meta.get("namespace", ""), ref.get("name", ""))

    # ---- reconcile -----------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        sbx = self.store.try_get(self.sandboxes, ns, name)
        if sbx is None or sbx["metadata"].get("deletionTimestamp"):
            return None  # the token Secret is owned by the Sandbox and collected with it
        if self.client is None:
            self._set_status(sbx, "Ready", [Cond("Ready", True, "Reconciled",
                                                 "sandbox plumbing reconciled")])
            return None
        spec = sbx.get("spec") or {}
        owner = spec.get("owner") or {}
        org = str(((owner.get("orgRef") or {}).get("slug")) or "")
        email = str(owner.get("email") or "")
        missing = [f for f, v in (("spec.owner.orgRef.slug", org),
                                  ("spec.owner.email", email)) if not v]
        if missing:
            return self._fail(sbx, "InvalidSpec", f"{', '.join(missing)} required", None)
        if not self.config.default_channels:
            return self._fail(sbx, "NoAllowedChannels",
                              "NEWAPI_DEFAULT_CHANNELS is empty: no channel to allow", None)

        due = self._seconds_until_rotation(sbx)
        if due is not None and due > 0:
            self._set_status(sbx, "Ready", self._minted_conds(sbx))
            return due  # wall-clock time: the expiry is a real timestamp
        req = MintRequest(org_id=org, user_id=email, sandbox_id=sbx["metadata"]["uid"],
                          allowed_channels=self.config.default_channels,
                          capabilities=self.config.capabilities_for(spec))
        try:
            minted = await self.client.mint(req)
        except MintError as e:
            self.log(f"sandbox {ns}/{name}: token mint failed: {e}")
            return self._fail(sbx, "TokenMintFailed", f"token mint failed: {e}",
                              MINT_RETRY_SECONDS * self.time_scale)
        # The Sandbox may have gone while we waited for the bridge.
        sbx = self.store.try_get(self.sandboxes, ns, name)
        if sbx is None or sbx["metadata"].get("deletionTimestamp"):
            return None
        rotated = rfc3339(datetime.now(UTC))
        expires = rfc3339(minted.expires_at)
        self._write_secret(sbx, minted.token, expires, rotated)
        sbx = self._annotate(sbx, {EXPIRES_AT: expires, ROTATED_AT: rotated})
        self._set_status(sbx, "Ready", self._minted_conds(sbx))
        self.log(f"sandbox {ns}/{name}: minted LLM gateway token "
                 f"(capabilities {len(req.capabilities)}, expires {expires})")
        return self._seconds_until_rotation(sbx)

    # ---- helpers -------------------------------------------------------------------------
    def _seconds_until_rotation(self, sbx: Obj) -> float | None:
        """Seconds until the token is due for rotation; None when there is no usable token."""
        ns, name = sbx["metadata"]["namespace"], sbx["metadata"]["name"]
        if self.store.try_get(self.secrets, ns, token_secret_name(name)) is None:
            return None
        raw = (sbx["metadata"].get("annotations") or {}).get(EXPIRES_AT, "")
        try:
            expires = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if expires.tzinfo is None:
            return None
        return (expires - self.config.rotation_lead - datetime.now(UTC)).total_seconds()

    def _minted_conds(self, sbx: Obj) -> list[Cond]:
        expires = (sbx["metadata"].get("annotations") or {}).get(EXPIRES_AT, "")
        secret = token_secret_name(sbx["metadata"]["name"])
        return [Cond("Ready", True, "TokenMinted", f"LLM gateway token in Secret {secret}"),
                Cond("TokenMinted", True, "TokenMinted", f"token expires at {expires}")]

    def _fail(self, sbx: Obj, reason: str, message: str, requeue: float | None) -> float | None:
        self._set_status(sbx, "Failed", [Cond("Ready", False, reason, message),
                                         Cond("TokenMinted", False, reason, message)])
        return requeue

    def _set_status(self, sbx: Obj, phase: str, conds: list[Cond]) -> None:
        meta = sbx["metadata"]
        extra: dict[str, Any] = {}
        if phase == "Ready" and self.client is not None:
            extra = {"tokenSecretName": token_secret_name(meta["name"])}
        status = desired_status(sbx.get("status") or {}, int(meta.get("generation", 1)),
                                phase, conds, extra)
        if status == sbx.get("status"):
            return
        self.store.patch(self.sandboxes, meta["namespace"], meta["name"],
                         lambda cur: {**cur, "status": status}, subresource="status")

    def _annotate(self, sbx: Obj, annotations: dict[str, str]) -> Obj:
        def apply(cur: Obj) -> Obj:
            meta = dict(cur["metadata"])
            meta["annotations"] = {**(meta.get("annotations") or {}), **annotations}
            return {**cur, "metadata": meta}

        meta = sbx["metadata"]
        return self.store.patch(self.sandboxes, meta["namespace"], meta["name"], apply)

    def _write_secret(self, sbx: Obj, token: str, expires: str, rotated: str) -> None:
        meta = sbx["metadata"]
        name = token_secret_name(meta["name"])
        body: Obj = {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {
                "name": name, "namespace": meta["namespace"],
                "labels": {"app.kubernetes.io/managed-by": MANAGED_BY,
                           "sandbox.openova.io/name": meta["name"]},
                "annotations": {EXPIRES_AT: expires, ROTATED_AT: rotated},
                "ownerReferences": [{"apiVersion": sbx["apiVersion"], "kind": "Sandbox",
                                     "name": meta["name"], "uid": meta["uid"],
                                     "controller": True, "blockOwnerDeletion": True}],
            },
            "stringData": {TOKEN_KEY: token},
        }
        if self.store.try_get(self.secrets, meta["namespace"], name) is None:
            self.store.create(self.secrets, meta["namespace"], body)
        else:
            self.store.replace(self.secrets, meta["namespace"], name, body)
