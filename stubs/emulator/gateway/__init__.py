"""The emulated Cilium Gateway (`kube-system/cilium-gateway`): routing by Host and path.

`routing.py` decides which HTTPRoute rule serves a request (pure); `proxy.py` is the
Component that serves the loopback port and forwards to the backend Service's endpoints.
"""

from .proxy import DEFAULT_GATEWAY, NO_HEALTHY_UPSTREAM, GatewayProxy
from .routing import CILIUM_CONTROLLER, GatewayRef, hostname_matches, select_route

__all__ = ["CILIUM_CONTROLLER", "DEFAULT_GATEWAY", "NO_HEALTHY_UPSTREAM", "GatewayProxy",
           "GatewayRef", "hostname_matches", "select_route"]
