"""Network families from the error texts Go and Python clients print: a name that does not
resolve (`net.dns-failure`), nothing listening (`net.connection-refused`), a TLS handshake
refused (`net.tls-error`), no answer in time (`net.timeout`).

Read in pod logs, in what a Job publishes, and in the harness's own gateway calls. The
message names the host:port dialled and which value configures it (HelmRelease values,
container env, ConfigMaps), found by searching for the host.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..kube import gvr
from ..kube.status import name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject

Obj = dict[str, Any]
URL_HOST = r"(?:https?|oci|grpc)://([A-Za-z0-9.-]+(?::\d+)?)"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("net.dns-failure", re.compile(r"lookup ([A-Za-z0-9.-]+)(?: on [0-9.:]+)?: no such host"
                                   r"|Name or service not known.*?([A-Za-z0-9.-]+)?")),
    ("net.connection-refused", re.compile(r"dial tcp ([A-Za-z0-9.-]+:\d+): connect: "
                                          r"connection refused"
                                          r"|\[Errno 111\] Connection refused")),
    ("net.tls-error", re.compile(r"(?:x509: |tls: |SSL: |certificate verify failed"
                                 r"|server gave HTTP response to HTTPS client)")),
    ("net.timeout", re.compile(r"(?:dial tcp ([A-Za-z0-9.-]+:\d+): i/o timeout"
                               r"|context deadline exceeded|Client\.Timeout exceeded"
                               r"|ReadTimeout|ConnectTimeout)")),
)
PLAIN_HTTP = "server gave HTTP response to HTTPS client"
WHAT = {
    "net.dns-failure": "does not resolve (no such host)",
    "net.connection-refused": "refuses the connection (nothing listens there)",
    "net.tls-error": "fails the TLS handshake",
    "net.timeout": "does not answer in time",
}
FIX = {
    "net.dns-failure": "correct the host name (a Service is `<name>.<namespace>.svc`; check "
                       "the Service exists)",
    "net.connection-refused": "point it at the port the Service exposes, or make its "
                              "backend listen (check the Service's pods are Ready)",
    "net.tls-error": "use the scheme and certificate the server has (http vs https, the CA "
                     "bundle), or fix the server's certificate",
    "net.timeout": "check the host and port are the ones that serve it, and that nothing "
                   "(a NetworkPolicy, the gateway) drops the traffic",
}


def _host_in(line: str, m: re.Match[str]) -> str:
    for g in m.groups():
        if g:
            return g
    u = re.search(URL_HOST, line)
    return u.group(1) if u else ""


def _short(host: str) -> str:
    """The part of a host a value spells out (`gitea-http.gitea.svc.cluster.local:3000` is
    configured as `gitea-http.gitea.svc:3000`)."""
    name = host.split(":")[0]
    if name.endswith(".svc.cluster.local"):
        return name[: -len(".cluster.local")]
    return name


def _leaves(values: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        return [x for k, v in values.items() for x in _leaves(v, f"{prefix}.{k}".lstrip("."))]
    if isinstance(values, list):
        return [x for i, v in enumerate(values) for x in _leaves(v, f"{prefix}[{i}]")]
    return [(prefix, values)]


def configured_in(sov: Sovereign, host: str) -> list[str]:
    """Where a value names `host`: HelmRelease values first (the operator's knob), then
    container env and ConfigMap data."""
    needle = _short(host)
    if not needle:
        return []
    port = host.rpartition(":")[2] if ":" in host else ""
    exact = f"{needle}:{port}" if port else needle
    found = _places(sov, needle)
    # A value that spells the port too is the one that was dialled.
    return [w for w, v in found if exact in v] + [w for w, v in found if exact not in v]


def _places(sov: Sovereign, needle: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for hr in sov.informers(gvr.HELMRELEASES).items():
        for path, value in _leaves((hr.get("spec") or {}).get("values") or {}):
            if needle in str(value):
                out.append((f"HelmRelease {namespace_of(hr)}/{name_of(hr)} values.{path}",
                            str(value)))
    for kind in (gvr.DEPLOYMENTS, gvr.STATEFULSETS, gvr.JOBS):
        for w in sov.informers(kind).items():
            spec = ((w.get("spec") or {}).get("template") or {}).get("spec") or {}
            for c in spec.get("containers") or []:
                for env in c.get("env") or []:
                    if needle in str(env.get("value", "")):
                        out.append((f"{w.get('kind')} {namespace_of(w)}/{name_of(w)} env "
                                    f"{env.get('name')}", str(env.get("value", ""))))
    return out


def _unowned_ip(sov: Sovereign, host: str) -> bool:
    """`host` (ip:port) is an IP literal that no Service (ClusterIP) or pod (podIP) has."""
    ip = host.rpartition(":")[0] or host
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not any((s.get("spec") or {}).get("clusterIP") == ip
                   for s in sov.informers(gvr.SERVICES).items()) and \
        not any((p.get("status") or {}).get("podIP") == ip
                for p in sov.informers(gvr.PODS).items())


def network_findings_in(sov: Sovereign, text: str, *, where: str,
                        fix_hint: str = "") -> list[Finding]:
    """The first network error in `text` (a log, a published status), as a Finding."""
    for line in reversed([ln for ln in text.splitlines() if ln.strip()]):
        for code, pattern in PATTERNS:
            m = pattern.search(line)
            if not m:
                continue
            host = _host_in(line, m)
            places = configured_in(sov, host) if host else []
            value = f"; it is configured in {places[0]}" if places else ""
            fix = fix_hint or FIX[code]
            if PLAIN_HTTP in line:  # an https:// URL to a server that speaks plain HTTP
                fix = ("the server speaks plain HTTP on that port: use http:// in the URL "
                       "(or make the server serve TLS)")
            elif code == "net.timeout" and not fix_hint and _unowned_ip(sov, host):
                fix = (f"no Service or pod has the address {host.rpartition(':')[0]}: an IP "
                       "pinned in configuration that nothing owns (a recreated Service gets a "
                       "new ClusterIP); name the Service instead (`<name>.<namespace>.svc`)")
            # The codes spelled out (the code registry scans for literals).
            return [blocking(
                "net.dns-failure" if code == "net.dns-failure" else
                "net.connection-refused" if code == "net.connection-refused" else
                "net.tls-error" if code == "net.tls-error" else "net.timeout",
                subject("Host", host or "unknown"),
                f"{where}: {host or 'a host'} {WHAT[code]} ({line.strip()[:300]}){value}",
                (f"in {places[0]}: " if places else "") + fix,
                host=host, line=line.strip()[:500], configured_in=", ".join(places[:3]))]
    return []


def harness_call_findings(sov: Sovereign, progress: str) -> list[Finding]:
    """The harness's own gateway calls: a DNS, refused, TLS or timeout error is the path to
    the gateway, whose fix is `--gateway-url` (and `--gateway-insecure` for TLS)."""
    fix = {"net.tls-error": "pass --gateway-insecure for a self-signed gateway certificate, "
                            "or trust its CA"}
    for code, pattern in PATTERNS:
        if pattern.search(progress):
            hint = fix.get(code, "pass --gateway-url with the address the Sovereign's gateway "
                                 "listens on (the harness sends the right Host and SNI)")
            return network_findings_in(sov, progress, where="the harness's gateway call",
                                       fix_hint=hint)
    return []
