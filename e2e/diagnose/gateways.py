"""gateway.listener-invalid: a Gateway listener its controller refused or could not program.

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
from .findings import blocking, subject_of

Obj = dict[str, Any]
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
