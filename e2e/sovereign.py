"""The Sovereign handle: everything the journey and the diagnosers may touch.

It speaks only real protocols: the Kubernetes API (through `KubeClient` and watch-fed
`Informers`) and HTTP through the Sovereign's gateway. It does not know which provider
built it. Every secret it reads from the cluster is registered with the redactor before
it is returned, so no artifact can carry it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clients.gitea import GiteaClient
from .clients.http import PlatformHTTP
from .errors import KubeAPIError
from .kube import gvr
from .kube.client import KubeClient
from .kube.informer import Informers

if TYPE_CHECKING:
    from .redact import Redactor


@dataclass
class Sovereign:
    name: str  # provider name, for the report header only
    fqdn: str
    kube: KubeClient
    http: PlatformHTTP
    redactor: Redactor
    details: dict[str, str] = field(default_factory=dict)
    informers: Informers = field(init=False)
    # Memo for lookups that do not change during a run (a registry's tag list, say).
    memo: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.informers = Informers(self.kube)

    @property
    def gitea(self) -> GiteaClient:
        return GiteaClient(self.http)

    def secret_value(self, namespace: str, name: str, key: str, *,
                     label: str | None = None, sensitive: bool = True) -> str | None:
        """A Secret's decoded value (None when the Secret or key is absent); sensitive
        values (the default) are registered with the redactor before they are returned."""
        try:
            secret = self.informers(gvr.SECRETS).get(name, namespace)
        except KubeAPIError:  # listing Secrets cluster-wide may be forbidden: read the one
            secret = None
        if secret is None:
            secret = self.kube.try_get(gvr.SECRETS, name, namespace)
        if secret is None:
            return None
        raw = (secret.get("data") or {}).get(key)
        if raw is None:
            return None
        value = base64.b64decode(raw).decode(errors="replace")
        if value and sensitive:
            self.redactor.add(value, label or f"{namespace}/{name}.{key}")
        return value

    def close(self) -> None:
        self.informers.stop()
        self.http.close()
        self.kube.close()
