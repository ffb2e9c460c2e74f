"""Attach to an existing Sovereign (a fresh t-prov cluster) through a kubeconfig."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from ..errors import ConfigError
from ..kube import gvr
from ..kube.client import KubeClient, load_api_client
from .base import Attachment

GATEWAY = ("kube-system", "cilium-gateway")


class KubeconfigProvider:
    name = "kubeconfig"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def create_or_attach(self) -> Attachment:
        s = self.settings
        kube = KubeClient(load_api_client(s.kubeconfig, s.context))
        kube.version()  # fail here, with the server named, if it does not answer
        gw = kube.try_get(gvr.GATEWAYS, GATEWAY[1], GATEWAY[0])
        fqdn = s.fqdn or _fqdn_from_gateway(gw)
        if not fqdn:
            raise ConfigError("cannot tell the Sovereign's FQDN: Gateway kube-system/"
                              "cilium-gateway has no `*.<fqdn>` listener; pass --fqdn")
        gateway_url = s.gateway_url or _address_from_gateway(gw)
        return Attachment(kubeconfig=s.kubeconfig, context=s.context, fqdn=fqdn,
                          gateway_url=gateway_url,
                          details={"gateway_from": "--gateway-url" if s.gateway_url else
                                   "Gateway status" if gateway_url else "DNS"})

    def destroy(self) -> None:
        """Attached, not created: nothing to tear down."""


def _fqdn_from_gateway(gw: dict[str, Any] | None) -> str | None:
    for listener in ((gw or {}).get("spec") or {}).get("listeners") or []:
        host = str(listener.get("hostname") or "")
        if host.startswith("*."):
            return host[2:]
    return None


def _address_from_gateway(gw: dict[str, Any] | None) -> str | None:
    for addr in ((gw or {}).get("status") or {}).get("addresses") or []:
        if addr.get("value"):
            return f"https://{addr['value']}"
    return None
