"""Gateway families.

gateway.controller-off: a GatewayClass no controller has answered (only the API's default
status, "Waiting for controller"). For Cilium's class the controller's switch is readable:
cilium-operator starts its Gateway API controllers only when its ConfigMap
kube-system/cilium-config says `enable-gateway-api: "true"` (the chart's
`gatewayAPI.enabled`), so a missing switch is a cause, not a wait.

gateway.listener-invalid: a Gateway listener its controller refused or could not program.

Gateway API keeps a Gateway's own Programmed condition apart from each listener's status
(`status.listeners[].conditions`): a listener whose TLS certificate Secret is missing is
ResolvedRefs=False/InvalidCertificateRef and Programmed=False while the Gateway and its
other listeners stay Programmed, so HTTPS is dead while HTTP works. The fix follows the
reason the controller wrote; for a certificate it names the Secret and the closest TLS
Secret that does exist in that namespace (a typo, most often).
"""

from __future__ import annotations

import difflib
from typing import Any

from ..kube import gvr
from ..kube.status import name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject_of, warning

Obj = dict[str, Any]
CILIUM_CONTROLLER = "io.cilium/gateway-controller"
CILIUM_CONFIG = ("kube-system", "cilium-config")
# Listener condition reasons that say "not yet", not "refused".
PENDING = ("Pending", "Progressing", "Unknown")


def _bad_condition(status: Obj) -> Obj | None:
    """The first listener condition that is False for a reason other than pending."""
    conds = {c.get("type"): c for c in status.get("conditions") or []}
    for ctype in ("Accepted", "ResolvedRefs", "Conflicted", "Programmed"):
        c = conds.get(ctype)
        if c is None:
            continue
        bad = c.get("status") == ("True" if ctype == "Conflicted" else "False")
        if bad and c.get("reason") not in PENDING:
            return c
    return None


def _certificate_fix(sov: Sovereign, gw: Obj, listener: Obj, reason: str) -> str:
    gw_ns, where = namespace_of(gw), f"listener {listener.get('name')} of Gateway " \
        f"{namespace_of(gw)}/{name_of(gw)}"
    refs = (listener.get("tls") or {}).get("certificateRefs") or []
    secrets = {(namespace_of(s), name_of(s)): s for s in sov.informers(gvr.SECRETS).items()}
    for ref in refs:
        ns = ref.get("namespace") or gw_ns
        name = str(ref.get("name", ""))
        if reason == "RefNotPermitted" and ns != gw_ns:
            return (f"add a ReferenceGrant in namespace {ns} that lets Gateways of namespace "
                    f"{gw_ns} reference Secret {name}, or move the certificate to {gw_ns}")
        secret = secrets.get((ns, name))
        if secret is None:
            tls = [n for (sns, n), s in secrets.items()
                   if sns == ns and s.get("type") == "kubernetes.io/tls"]
            near = difflib.get_close_matches(name, tls, n=1)
            return (f"create TLS Secret {ns}/{name}, or correct the certificateRefs of "
                    f"{where}" + (f" (did you mean {near[0]}?)" if near else ""))
        data = secret.get("data") or {}
        if not data.get("tls.crt") or not data.get("tls.key"):
            return (f"Secret {ns}/{name} lacks a PEM tls.crt and tls.key: store the "
                    f"certificate and key there (type kubernetes.io/tls) for {where}")
    return f"make the certificateRefs of {where} name a TLS Secret its controller accepts"


def listener_findings(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    for gw in sov.informers(gvr.GATEWAYS).items():
        spec_listeners = {str(entry.get("name")): entry
                          for entry in (gw.get("spec") or {}).get("listeners") or []}
        for status in (gw.get("status") or {}).get("listeners") or []:
            c = _bad_condition(status)
            if c is None:
                continue
            listener = spec_listeners.get(str(status.get("name")), {"name": status.get("name")})
            reason = str(c.get("reason", ""))
            ref = f"{namespace_of(gw)}/{name_of(gw)}"
            if "Certificate" in reason or (reason == "RefNotPermitted"
                                           and listener.get("tls")):
                fix = _certificate_fix(sov, gw, listener, reason)
            else:
                fix = (f"fix listener {listener.get('name')} of Gateway {ref} as its "
                       f"{c.get('type')} condition says ({reason})")
            out.append(blocking(
                "gateway.listener-invalid", subject_of(gw),
                f"listener {listener.get('name')} (port {listener.get('port', '?')}, "
                f"{listener.get('protocol', '?')}) of Gateway {ref} is {c.get('type')}="
                f"{c.get('status')} {reason}: {c.get('message', '')}; no route is served "
                "on it", fix, listener=str(listener.get("name")), reason=reason))
    return out


def _installed_by(obj: Obj) -> str:
    """`HelmRelease ns/name` (Flux's labels) or `Helm release name` (Helm's annotation)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if labels.get("helm.toolkit.fluxcd.io/name"):
        return (f"HelmRelease {labels.get('helm.toolkit.fluxcd.io/namespace', '')}/"
                f"{labels['helm.toolkit.fluxcd.io/name']}")
    if annotations.get("meta.helm.sh/release-name"):
        return f"Helm release {annotations['meta.helm.sh/release-name']}"
    return "the Helm release that installs Cilium"


def unclaimed_classes(sov: Sovereign) -> list[Finding]:
    out: list[Finding] = []
    for gwc in sov.informers(gvr.GATEWAYCLASSES).items():
        conds = (gwc.get("status") or {}).get("conditions") or []
        accepted = next((c for c in conds if c.get("type") == "Accepted"), {})
        if accepted.get("status") == "True" or (accepted and accepted.get("reason") not in
                                                 ("Pending", "Waiting", None)):
            continue  # accepted, or refused by its controller (it answered)
        controller = str((gwc.get("spec") or {}).get("controllerName", ""))
        waiting = (f"GatewayClass {name_of(gwc)} waits for controller {controller} "
                   f"(Accepted={accepted.get('status', 'unset')} "
                   f"{accepted.get('reason', '')}: {accepted.get('message', '')})")
        if controller != CILIUM_CONTROLLER:
            out.append(warning("gateway.controller-off", subject_of(gwc),
                               f"{waiting}; nothing has answered",
                               f"install or start the controller named {controller}"))
            continue
        config = next((c for c in sov.informers(gvr.CONFIGMAPS).items()
                       if (namespace_of(c), name_of(c)) == CILIUM_CONFIG), None)
        if config is None:
            out.append(warning("gateway.controller-off", subject_of(gwc),
                               f"{waiting}; Cilium's ConfigMap kube-system/cilium-config does "
                               "not exist (Cilium not installed yet?)",
                               "install Cilium with gatewayAPI.enabled: true"))
            continue
        switch = (config.get("data") or {}).get("enable-gateway-api")
        if switch == "true":
            continue  # on: the operator is starting, or its log says why not
        out.append(blocking(
            "gateway.controller-off", subject_of(gwc),
            f"{waiting}, but Cilium's Gateway API support is off: ConfigMap "
            "kube-system/cilium-config has " + (
                f"enable-gateway-api: {switch!r}" if switch is not None
                else "no enable-gateway-api") + " (the operator starts its Gateway "
            "controllers only with \"true\")",
            f"set gatewayAPI.enabled: true in the Cilium chart's values ({_installed_by(config)})"
            ", then restart the operator (kubectl -n kube-system rollout restart "
            "deployment/cilium-operator)", enable_gateway_api=str(switch)))
    return out
