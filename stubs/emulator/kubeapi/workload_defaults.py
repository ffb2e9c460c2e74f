"""Defaults the API server's v1 defaulting functions give pods, templates and workloads.

From k8s.io/kubernetes pkg/apis/{core,apps,batch}/v1/defaults.go (what `kubectl get -o
yaml` / `describe` show on a real cluster): container probes (timeout 1s, period 10s,
success 1, failure 3, HTTP scheme), imagePullPolicy by tag (Always for `:latest` or no
tag, else IfNotPresent), termination message path/policy, port protocol, pod restart and
DNS policy, grace period, scheduler, Deployment RollingUpdate 25%/25% with history 10 and
progress deadline 600s, StatefulSet/DaemonSet update strategies, Job completions,
parallelism, backoffLimit 6. Only missing fields are filled.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _pull_policy(image: str) -> str:
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                       ("failureThreshold", 3)):
        probe.setdefault(key, value)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")
    grpc = probe.get("grpc")
    if isinstance(grpc, dict):
        grpc.setdefault("service", "")


def _container(c: Any) -> None:
    if not isinstance(c, dict):
        return
    if isinstance(c.get("image"), str):
        c.setdefault("imagePullPolicy", _pull_policy(c["image"]))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})  # a non-pointer struct: Go always serializes it
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
    for name in PROBES:
        _probe(c.get(name))
    for e in c.get("env") or []:
        ref = ((e or {}).get("valueFrom") or {}).get("fieldRef") if isinstance(e, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")


def pod_spec(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        _container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for source in ("secret", "configMap"):
            if isinstance(v.get(source), dict):
                v[source].setdefault("defaultMode", 0o644)


def pod(obj: Obj) -> None:
    """A Pod's spec: the PodSpec defaults plus what only SetDefaults_Pod adds (not a
    workload's template)."""
    spec = obj.get("spec")
    pod_spec(spec)
    if isinstance(spec, dict):
        spec.setdefault("enableServiceLinks", True)


def _template(obj: Obj) -> None:
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict):
        pod_spec(template.get("spec"))


def deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(obj)


def statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy",
                    {"whenDeleted": "Retain", "whenScaled": "Retain"})
    _template(obj)


def daemonset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(obj)


def replicaset(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj)


def job(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        # A Job's template must say Never or OnFailure; validation, not defaulting.
        restart = template["spec"].get("restartPolicy")
        pod_spec(template["spec"])
        if restart is None:
            template["spec"].pop("restartPolicy", None)


def service(spec: Obj) -> None:
    spec.setdefault("sessionAffinity", "None")
    stype = spec.get("type", "ClusterIP")
    if stype != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec.get("clusterIP"):
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    if stype in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")


WORKLOAD_DEFAULTS = {("apps", "deployments"): deployment, ("apps", "statefulsets"): statefulset,
                     ("apps", "daemonsets"): daemonset, ("apps", "replicasets"): replicaset,
                     ("batch", "jobs"): job}
