"""Pod failure families: missing Secrets, failing probes, crash loops, image pulls."""

from __future__ import annotations

import re
from typing import Any

from ..kube import gvr
from ..kube.status import name_of, namespace_of, pod_waiting_reasons
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject, subject_of, warning
from .owners import describe_owner, release_of, workload_of

Obj = dict[str, Any]
SECRET_NOT_FOUND = re.compile(r'secret "([^"]+)" not found')
KEY_NOT_FOUND = re.compile(r"couldn't find key (\S+) in Secret ([^/\s]+)/(\S+)")
PROBE_STATUS = re.compile(r"(Liveness|Readiness|Startup) probe failed: HTTP probe failed with "
                          r"statuscode: (\d+)")
CRASH_CAUSE = re.compile(r"(read-only file system|permission denied|no such file|not found|"
                         r"error|fatal|panic|cannot|refused|denied)", re.I)
RESTART_STORM = 3


def events_for(sov: Sovereign, pod: Obj) -> list[Obj]:
    ns, name = namespace_of(pod), name_of(pod)
    return sov.informers(gvr.EVENTS).items(
        lambda e: namespace_of(e) == ns
        and (e.get("involvedObject") or {}).get("name") == name
        and (e.get("involvedObject") or {}).get("kind") == "Pod")


def secret_missing(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    out: list[Finding] = []
    for pod in pods:
        texts = [msg for _, reason, msg in pod_waiting_reasons(pod)
                 if reason == "CreateContainerConfigError"]
        texts += [e.get("message", "") for e in events_for(sov, pod)
                  if e.get("reason") == "FailedMount"]
        for text in texts:
            m = SECRET_NOT_FOUND.search(text)
            k = KEY_NOT_FOUND.search(text)
            if not (m or k):
                continue
            ns = namespace_of(pod)
            secret = m.group(1) if m else k.group(3)  # type: ignore[union-attr]
            what = f'Secret {ns}/{secret}' + (f" has no key {k.group(1)}" if k else
                                             " does not exist")
            owner = describe_owner(sov, pod)
            rel = release_of(workload_of(sov, pod))
            out.append(blocking(
                "pod.secret-missing", subject("Secret", secret, ns),
                f"{what}; pod {ns}/{name_of(pod)} of {owner} cannot start ({text})",
                f"make the chart that references it ({rel or owner}) create Secret "
                f"{ns}/{secret}, or provide it (a lookup-or-generate template, an "
                "existingSecret, or a reflector source)",
                pod=f"{ns}/{name_of(pod)}", kubelet=text))
            break
    return out


def probe_http_errors(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    out: list[Finding] = []
    for pod in pods:
        for ev in events_for(sov, pod):
            if ev.get("reason") != "Unhealthy":
                continue
            m = PROBE_STATUS.search(ev.get("message", ""))
            if not m:
                continue
            kind, status = m.group(1), m.group(2)
            path, port = _probe_target(pod, kind.lower())
            ns = namespace_of(pod)
            restarts = sum(int(cs.get("restartCount", 0)) for cs in
                           (pod.get("status") or {}).get("containerStatuses") or [])
            out.append(blocking(
                "pod.probe-http-error", subject_of(pod),
                f"{kind} probe GET {path} on port {port} of pod {ns}/{name_of(pod)} answers "
                f"HTTP {status} ({int(ev.get('count', 1))} failures, {restarts} restarts)",
                f"point the {kind.lower()} probe of {describe_owner(sov, pod)} at a path the "
                f"app serves (it answers {status} on {path}), e.g. the app's context path",
                event=ev.get("message", ""), path=str(path), status=status))
            break
    return out


def _probe_target(pod: Obj, kind: str) -> tuple[str, str]:
    for c in (pod.get("spec") or {}).get("containers") or []:
        probe = c.get(f"{kind}Probe") or {}
        http = probe.get("httpGet")
        if http:
            return str(http.get("path", "/")), str(http.get("port", ""))
    return "?", "?"


def crashloops(sov: Sovereign, pods: list[Obj], *, skip: set[str]) -> list[Finding]:
    out: list[Finding] = []
    for pod in pods:
        ref = f"{namespace_of(pod)}/{name_of(pod)}"
        if ref in skip:
            continue
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") != "CrashLoopBackOff":
                continue
            term = (cs.get("lastState") or {}).get("terminated") or {}
            try:
                tail = sov.kube.pod_log(namespace_of(pod), name_of(pod), cs.get("name"),
                                        tail_lines=20)
            except Exception:
                tail = ""
            lines = [ln for ln in tail.splitlines() if ln.strip()]
            cause = term.get("message") or next(
                (ln for ln in reversed(lines) if CRASH_CAUSE.search(ln)),
                lines[-1] if lines else "")
            out.append(blocking(
                "pod.crashloop", subject_of(pod),
                f"container {cs.get('name')} of pod {ref} is in CrashLoopBackOff "
                f"(exit {term.get('exitCode', '?')}, {cs.get('restartCount', 0)} restarts): "
                f"{cause or 'no log output'}",
                f"fix what the container's last output says, in {describe_owner(sov, pod)}"
                + (" (a volume mounted at a path the entrypoint rewrites: mount its parent "
                   "directory instead)" if "read-only file system" in cause.lower() else ""),
                last_log="\n".join(lines[-5:]), exit_code=str(term.get("exitCode", ""))))
    return out


def image_pulls(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    out: list[Finding] = []
    for pod in pods:
        for container, reason, msg in pod_waiting_reasons(pod):
            if reason in ("ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull",
                          "InvalidImageName"):
                out.append(blocking(
                    "pod.image-pull", subject_of(pod),
                    f"container {container} of pod {namespace_of(pod)}/{name_of(pod)}: "
                    f"{reason}: {msg}",
                    f"publish the image or fix its reference in {describe_owner(sov, pod)}",
                    waiting=f"{reason}: {msg}"))
    return out


def all_pod_findings(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    probe = probe_http_errors(sov, pods)
    probed = {str(f.evidence.get("pod", "")) for f in probe} | {
        f"{f.subject.namespace}/{f.subject.name}" for f in probe if f.subject}
    return secret_missing(sov, pods) + probe + crashloops(sov, pods, skip=probed) + \
        image_pulls(sov, pods) + optional_secrets_missing(sov, pods)


def optional_secrets_missing(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    """Optional secretKeyRefs whose Secret is absent from the pod's namespace while a Secret
    of that name exists elsewhere: the kubelet leaves the variable unset and the container
    starts anyway, so nothing fails loudly (it was meant to be there, and was not copied)."""
    secrets = sov.informers(gvr.SECRETS).items()
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for pod in pods:
        ns = namespace_of(pod)
        for container in (pod.get("spec") or {}).get("containers") or []:
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef") or {}
                if not ref.get("optional") or not ref.get("name"):
                    continue
                name = str(ref["name"])
                if any(namespace_of(s) == ns and name_of(s) == name for s in secrets):
                    continue
                copies = sorted(f"{namespace_of(s)}/{name}" for s in secrets
                                if name_of(s) == name)
                key = (ns, name, str(env.get("name")))
                if not copies or key in seen:
                    continue
                seen.add(key)
                owner = describe_owner(sov, pod)
                out.append(warning(
                    "pod.optional-secret-missing", subject("Secret", name, ns),
                    f"{owner} reads {env.get('name')} from Secret {ns}/{name} (key "
                    f"{ref.get('key')}, optional), which does not exist in {ns}; copies exist "
                    f"in {', '.join(copies)}: the variable is silently unset",
                    f"copy or reflect Secret {name} into {ns} (e.g. add {ns} to the source's "
                    "reflection namespaces), or drop optional: true so the gap fails loudly",
                    pod=f"{ns}/{name_of(pod)}", variable=str(env.get("name")),
                    copies=", ".join(copies)))
    return out
