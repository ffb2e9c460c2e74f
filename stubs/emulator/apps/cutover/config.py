"""The cutover Job's configuration, read from its container env (the chart renders it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """The Job's env cannot drive a cutover; the message names the variable, never a value
    that could be a secret."""


@dataclass(frozen=True)
class ObjectRef:
    namespace: str
    name: str

    @classmethod
    def parse(cls, var: str, value: str) -> ObjectRef:
        ns, _, name = value.partition("/")
        if not ns or not name or "/" in name:
            raise ConfigError(f"{var} must be <namespace>/<name>, got {value!r}")
        return cls(ns, name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class CutoverConfig:
    steps: tuple[str, ...]
    harbor_public_url: str
    gitea_url: str
    gitea_admin_secret: ObjectRef
    provisioning_token_secret: ObjectRef
    status_configmap: ObjectRef
    gitea_token_name: str

    @property
    def harbor_host(self) -> str:
        """`host[:port]` of HARBOR_PUBLIC_URL: where charts are pulled from after the pivot."""
        parts = urlsplit(self.harbor_public_url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CutoverConfig:
        def need(var: str) -> str:
            value = (env.get(var) or "").strip()
            if not value:
                raise ConfigError(f"{var} is not set")
            return value

        steps = tuple(s.strip().zfill(2) for s in need("CUTOVER_STEPS").split(",") if s.strip())
        return cls(
            steps=steps,
            harbor_public_url=need("HARBOR_PUBLIC_URL"),
            gitea_url=need("GITEA_URL").rstrip("/"),
            gitea_admin_secret=ObjectRef.parse("GITEA_ADMIN_SECRET", need("GITEA_ADMIN_SECRET")),
            provisioning_token_secret=ObjectRef.parse(
                "PROVISIONING_TOKEN_SECRET", need("PROVISIONING_TOKEN_SECRET")),
            status_configmap=ObjectRef.parse(
                "CUTOVER_STATUS_CONFIGMAP", need("CUTOVER_STATUS_CONFIGMAP")),
            gitea_token_name=need("GITEA_TOKEN_NAME"),
        )
