"""Pod failure families: missing Secrets, failing probes, crash loops, image pulls."""

from __future__ import annotations

import re
from typing import Any

from ..kube import gvr
from ..kube.status import name_of, namespace_of, pod_ready, pod_waiting_reasons
from ..report.model import Finding, Severity
from ..sovereign import Sovereign
from .findings import blocking, subject, subject_of, warning
from .owners import describe_owner, release_of, workload_of

Obj = dict[str, Any]
SOURCE_NOT_FOUND = re.compile(r'(secret|configmap) "([^"]+)" not found')
KEY_NOT_FOUND = re.compile(r"couldn't find key (\S+) in (Secret|ConfigMap) ([^/\s]+)/(\S+)")
CLAIM_UNRESOLVED = re.compile(r'persistentvolumeclaim "([^"]+)" (not found|is being deleted)')
VOLUME_KEY_MISSING = re.compile(r'for volume "([^"]+)" : (?:configmap references non-existent '
                                r"config key|references non-existent secret key): (\S+)")
PROBE_STATUS = re.compile(r"(Liveness|Readiness|Startup) probe failed: HTTP probe failed with "
                          r"statuscode: (\d+)")
PROBE_FAILED = re.compile(r"(Liveness|Readiness|Startup) probe (?:failed|errored): (.*)", re.S)
CRASH_CAUSE = re.compile(r"(read-only file system|permission denied|no such file|not found|"
                         r"error|fatal|panic|cannot|refused|denied)", re.I)
RESTART_STORM = 3


def events_for(sov: Sovereign, pod: Obj) -> list[Obj]:
    ns, name = namespace_of(pod), name_of(pod)
    return sov.informers(gvr.EVENTS).items(
        lambda e: namespace_of(e) == ns
        and (e.get("involvedObject") or {}).get("name") == name
        and (e.get("involvedObject") or {}).get("kind") == "Pod")


def _volume_source(pod: Obj, volume: str) -> tuple[str, str] | None:
    """(kind, name) of the Secret or ConfigMap a pod volume mounts."""
    for v in (pod.get("spec") or {}).get("volumes") or []:
        if v.get("name") != volume:
            continue
        if "secret" in v:
            return "Secret", str(v["secret"].get("secretName", ""))
        if "configMap" in v:
            return "ConfigMap", str(v["configMap"].get("name", ""))
    return None


def missing_source(pod: Obj, text: str) -> tuple[str, str, str | None] | None:
    """(kind, name, missing key or None) a kubelet message says is missing."""
    m = SOURCE_NOT_FOUND.search(text)
    if m:
        return ("Secret" if m.group(1) == "secret" else "ConfigMap"), m.group(2), None
    k = KEY_NOT_FOUND.search(text)
    if k:
        return k.group(2), k.group(4), k.group(1)
    v = VOLUME_KEY_MISSING.search(text)
    if v:
        src = _volume_source(pod, v.group(1))
        if src:
            return src[0], src[1], v.group(2)
    return None


def _keys_of(sov: Sovereign, kind: str, ns: str, name: str) -> list[str] | None:
    """The data keys of an existing Secret/ConfigMap (None: it does not exist)."""
    g = gvr.SECRETS if kind == "Secret" else gvr.CONFIGMAPS
    obj = sov.informers(g).get(name, ns)
    if obj is None:
        return None
    return sorted({*(obj.get("data") or {}), *(obj.get("binaryData") or {}),
                   *(obj.get("stringData") or {})})


def source_missing(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    """pod.secret-missing / pod.configmap-missing: env, envFrom or a volume names a Secret or
    ConfigMap (or a key) that does not exist (CreateContainerConfigError or FailedMount)."""
    out: list[Finding] = []
    for pod in pods:
        texts = [msg for _, reason, msg in pod_waiting_reasons(pod)
                 if reason == "CreateContainerConfigError"]
        texts += [e.get("message", "") for e in events_for(sov, pod)
                  if e.get("reason") == "FailedMount"]
        for text in texts:
            found = missing_source(pod, text)
            if found is None:
                continue
            kind, name, key = found
            ns = namespace_of(pod)
            what = f"{kind} {ns}/{name}" + (f" has no key {key}" if key else " does not exist")
            owner = describe_owner(sov, pod)
            rel = release_of(workload_of(sov, pod))
            present = _keys_of(sov, kind, ns, name) if key else None
            if present is not None:
                # The object exists and lacks the key: add it, or fix the key's name (the
                # key names are not secret; their values are never read here).
                fix = (f"add key {key} to {kind} {ns}/{name} (it has: "
                       f"{', '.join(present) or 'no keys'}), or correct the key the reference "
                       f"names in {owner}")
            elif kind == "Secret":
                fix = (f"make the chart that references it ({rel or owner}) create Secret "
                       f"{ns}/{name}, or provide it (a lookup-or-generate template, an "
                       "existingSecret, or a reflector source)")
            else:
                fix = (f"create ConfigMap {ns}/{name}" + (f" with key {key}" if key else "")
                       + f" (the chart that references it: {rel or owner}), or fix the "
                       "reference's name/key in the pod template")
            out.append(blocking(
                "pod.secret-missing" if kind == "Secret" else "pod.configmap-missing",
                subject(kind, name, ns),
                f"{what}; pod {ns}/{name_of(pod)} of {owner} cannot start ({text})", fix,
                pod=f"{ns}/{name_of(pod)}", kubelet=text))
            break
    return out


def _container(pod: Obj, name: str | None) -> Obj:
    containers = (pod.get("spec") or {}).get("containers") or []
    for c in containers:
        if c.get("name") == name:
            return c  # type: ignore[no-any-return]
    return containers[0] if containers else {}


def _event_container(ev: Obj) -> str | None:
    path = str((ev.get("involvedObject") or {}).get("fieldPath", ""))
    m = re.search(r"\{(.+)\}", path)
    return m.group(1) if m else None


def probe_target(container: Obj, kind: str) -> str:
    """`GET /path on port 8080`, `TCP port 5432`, `exec [cmd]`, `gRPC port 9090`."""
    probe = container.get(f"{kind}Probe") or {}
    if "httpGet" in probe:
        h = probe["httpGet"]
        return f"GET {h.get('path', '/')} on port {h.get('port', '')}"
    if "tcpSocket" in probe:
        return f"TCP port {probe['tcpSocket'].get('port', '')}"
    if "grpc" in probe:
        return f"gRPC port {probe['grpc'].get('port', '')}"
    if "exec" in probe:
        return f"exec {' '.join(str(a) for a in probe['exec'].get('command') or [])}"
    return "?"


def container_ports(container: Obj) -> list[str]:
    return [f"{p.get('containerPort')}" + (f" ({p['name']})" if p.get("name") else "")
            for p in container.get("ports") or []]


def _restarts(pod: Obj) -> int:
    return sum(int(cs.get("restartCount", 0)) for cs in
               (pod.get("status") or {}).get("containerStatuses") or [])


def _probe_why(output: str) -> str:
    low = output.lower()
    if "connection refused" in low:
        return "connection refused: nothing listens on the probed port"
    if "deadline exceeded" in low or "timeout" in low or "timed out" in low:
        return "the probe timed out (timeoutSeconds too short, or the app hangs)"
    if "no such host" in low:
        return "the probe's host does not resolve"
    if "unable to resolve port" in low:
        return "the probe names a port the container does not declare"
    return output.strip()[:200]


def probe_failures(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    """pod.probe-http-error (an HTTP status) and pod.probe-failed (any other cause: refused,
    timeout, exec, unresolved port), from the kubelet's `Unhealthy` events."""
    out: list[Finding] = []
    for pod in pods:
        events = events_for(sov, pod)
        kills = sum(int(e.get("count", 1)) for e in events if e.get("reason") == "Killing"
                    and "probe" in str(e.get("message", "")))
        unhealthy = [e for e in events if e.get("reason") == "Unhealthy"]
        # Liveness/startup kill the container: those are the cause; readiness only unlists.
        unhealthy.sort(key=lambda e: "Readiness" in str(e.get("message", "")))
        for ev in unhealthy:
            msg = str(ev.get("message", ""))
            m = PROBE_FAILED.search(msg)
            if not m:
                continue
            kind, output = m.group(1), m.group(2)
            # A failure the pod recovered from (a slow first answer) is history, not a cause:
            # readiness counts while the pod is not Ready, liveness/startup once they kill.
            if pod_ready(pod) and (kind == "Readiness" or not kills):
                continue
            c = _container(pod, _event_container(ev))
            target = probe_target(c, kind.lower())
            ref = f"{namespace_of(pod)}/{name_of(pod)}"
            count, restarts = int(ev.get("count", 1)), _restarts(pod)
            effect = (f"the kubelet killed it {kills} time(s)" if kills and kind != "Readiness"
                      else "the pod is never Ready, so its Service has no endpoint"
                      if kind == "Readiness" else "it is being restarted")
            owner = describe_owner(sov, pod)
            status = PROBE_STATUS.search(msg)
            if status:
                path = ((c.get(f"{kind.lower()}Probe") or {}).get("httpGet") or {}).get(
                    "path", "/")
                out.append(blocking(
                    "pod.probe-http-error", subject_of(pod),
                    f"{kind} probe {target} of pod {ref} answers HTTP {status.group(2)} "
                    f"({count} failures, {restarts} restarts): {effect}",
                    f"point the {kind.lower()} probe of {owner} at a path the app serves "
                    f"(it answers {status.group(2)} on {path}), e.g. the app's context path",
                    event=msg, path=str(path), status=status.group(2), probe=kind.lower()))
                break
            ports = container_ports(c)
            declared = f"; container {c.get('name')} declares port(s) " \
                f"{', '.join(ports)}" if ports else \
                f"; container {c.get('name')} declares no ports"
            why = _probe_why(output)
            # A starting or loaded pod misses a probe or two: that is not yet a cause. It is
            # one once the kubelet kills for it, or the failure repeats past the threshold
            # (a port nothing listens on); a slow answer alone stays a warning.
            threshold = int((c.get(f"{kind.lower()}Probe") or {}).get("failureThreshold", 3))
            persistent = bool(kills and kind != "Readiness") or (
                count >= threshold and "timed out" not in why)
            fix = (f"point the {kind.lower()} probe of {owner} at the port the app listens "
                   f"on{' (' + ports[0].split()[0] + ')' if ports else ''}"
                   if "refused" in why or "declare" in why else
                   f"raise the {kind.lower()} probe's timeoutSeconds/initialDelaySeconds in "
                   f"{owner}, or find why the app does not answer" if "timed out" in why else
                   f"fix the {kind.lower()} probe of {owner} (it fails: {why})")
            found = blocking(
                "pod.probe-failed", subject_of(pod),
                f"{kind} probe {target} of pod {ref} fails: {why} ({count} failures, "
                f"{restarts} restarts{declared}): {effect}", fix,
                event=msg, probe=kind.lower(), target=target, ports=", ".join(ports))
            out.append(found if persistent else
                       found.model_copy(update={"severity": Severity.WARNING}))
            break
    return out


def crashloops(sov: Sovereign, pods: list[Obj], *, skip: set[str]) -> list[Finding]:
    """pod.crashloop with the last termination: reason, exit code, OOMKilled, log tail."""
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
            reason = str(term.get("reason", "") or "")
            oom = reason == "OOMKilled"
            cause = "killed for exceeding its memory limit (OOMKilled)" if oom else \
                term.get("message") or next(
                    (ln for ln in reversed(lines) if CRASH_CAUSE.search(ln)),
                    lines[-1] if lines else "")
            owner = describe_owner(sov, pod)
            limit = ((_container(pod, cs.get("name")).get("resources") or {}).get("limits")
                     or {}).get("memory")
            if oom:
                fix = (f"raise the memory limit of container {cs.get('name')} in {owner}"
                       + (f" (now {limit})" if limit else "") + ", or lower the app's use")
            else:
                fix = f"fix what the container's last output says, in {owner}" + (
                    " (a volume mounted at a path the entrypoint rewrites: mount its parent "
                    "directory instead)" if "read-only file system" in str(cause).lower()
                    else "")
            out.append(blocking(
                "pod.crashloop", subject_of(pod),
                f"container {cs.get('name')} of pod {ref} is in CrashLoopBackOff "
                f"(last exit {term.get('exitCode', '?')}"
                + (f" {reason}" if reason else "")
                + f", {cs.get('restartCount', 0)} restarts): {cause or 'no log output'}",
                fix, last_log="\n".join(lines[-5:]), exit_code=str(term.get("exitCode", "")),
                reason=reason))
    return out


def unschedulable(sov: Sovereign, pods: list[Obj]) -> list[Finding]:
    """pod.unschedulable: PodScheduled=False Unschedulable, with the scheduler's reasons."""
    out: list[Finding] = []
    for pod in pods:
        cond = next((c for c in (pod.get("status") or {}).get("conditions") or []
                     if c.get("type") == "PodScheduled"), None)
        if not cond or cond.get("status") != "False" or cond.get("reason") != "Unschedulable":
            continue
        msg = str(cond.get("message", ""))
        owner = describe_owner(sov, pod)
        spec = pod.get("spec") or {}
        if "node affinity/selector" in msg:
            fix = (f"make the nodeSelector/affinity of {owner} "
                   f"({spec.get('nodeSelector') or spec.get('affinity')}) match a node's "
                   "labels, or label a node")
        elif "Insufficient" in msg:
            fix = f"lower the resource requests of {owner}, or add capacity"
        elif "taint" in msg:
            fix = f"add a toleration for the node's taint to {owner}, or remove the taint"
        elif claim := CLAIM_UNRESOLVED.search(msg):
            name, state = claim.group(1), claim.group(2)
            fix = (f"create PersistentVolumeClaim {namespace_of(pod)}/{name}, or correct the "
                   f"claimName in {owner}" if state == "not found" else
                   f"wait for PersistentVolumeClaim {namespace_of(pod)}/{name} to go (or "
                   f"remove its finalizers), then recreate it for {owner}")
        else:
            fix = f"make {owner} fit a node (the scheduler's message says what does not fit)"
        out.append(blocking(
            "pod.unschedulable", subject_of(pod),
            f"pod {namespace_of(pod)}/{name_of(pod)} of {owner} cannot be scheduled: {msg}",
            fix, scheduler=msg))
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
    probe = probe_failures(sov, pods)
    # A liveness kill shows as a crash loop too; the probe is the cause, not the exit.
    probed = {f"{f.subject.namespace}/{f.subject.name}" for f in probe if f.subject
              and f.evidence.get("probe") != "readiness"}
    return unschedulable(sov, pods) + source_missing(sov, pods) + probe + \
        crashloops(sov, pods, skip=probed) + image_pulls(sov, pods) + \
        optional_secrets_missing(sov, pods)


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
