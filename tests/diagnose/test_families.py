"""Each diagnoser family on the signals a real cluster writes, and each Finding's fix text:
it must name the object to change and what to change in it."""

from __future__ import annotations

from typing import Any

from e2e.diagnose import apis, causality, conditions, flux, jobs, net, pods, routes, services
from e2e.kube import gvr

from .fakesov import FakeSov, event, meta, pod

Obj = dict[str, Any]


def deployment(name: str, replicas: int = 1, labels: dict[str, str] | None = None,
               conds: list[Obj] | None = None, env: list[Obj] | None = None) -> Obj:
    labels = labels or {"app": name}
    return {"kind": "Deployment", "metadata": meta(name),
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "env": env or []}]}}},
            "status": {"conditions": conds or []}}


def service(name: str, selector: dict[str, str], target: Any = 8080) -> Obj:
    return {"kind": "Service", "metadata": meta(name),
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target}]}}


def route(backend: str) -> Obj:
    return {"kind": "HTTPRoute", "metadata": meta(f"{backend}-route"),
            "spec": {"rules": [{"backendRefs": [{"name": backend, "port": 80}]}]}}


def waiting(reason: str, message: str, name: str = "app") -> list[Obj]:
    return [{"name": name, "ready": False, "restartCount": 0,
             "state": {"waiting": {"reason": reason, "message": message}}}]


# ---- pods ---------------------------------------------------------------------------------

def test_configmap_missing_from_env_and_from_a_volume_key() -> None:
    env = pod("web-1", statuses=waiting("CreateContainerConfigError",
                                        'configmap "web-config" not found'))
    vol = pod("api-1", volumes=[{"name": "conf", "configMap": {"name": "api-conf"}}])
    sov = FakeSov().add(env, vol, event(vol, "FailedMount", 'MountVolume.SetUp failed for '
                                        'volume "conf" : configmap references non-existent '
                                        "config key: app.yaml"))
    a, b = pods.source_missing(sov, [env, vol])  # type: ignore[arg-type]
    assert (a.code, a.subject.name) == ("pod.configmap-missing", "web-config")  # type: ignore[union-attr]
    assert a.hint.startswith("create ConfigMap apps/web-config (the chart that references")
    assert (b.code, b.subject.name) == ("pod.configmap-missing", "api-conf")  # type: ignore[union-attr]
    assert "ConfigMap apps/api-conf has no key app.yaml" in b.message
    assert b.hint.startswith("create ConfigMap apps/api-conf with key app.yaml")


def test_secret_key_missing_keeps_its_code_and_fix() -> None:
    p = pod("db-1", statuses=waiting("CreateContainerConfigError",
                                     "couldn't find key password in Secret apps/db"))
    [f] = pods.source_missing(FakeSov().add(p), [p])  # type: ignore[arg-type]
    assert f.code == "pod.secret-missing" and "has no key password" in f.message
    assert "create Secret apps/db" in f.hint
    # The Secret exists with other keys: add the key (or fix its name), never "create it".
    secret = {"kind": "Secret", "metadata": meta("db"), "data": {"pass": "c2VjcmV0"}}
    [g] = pods.source_missing(FakeSov().add(p, secret), [p])  # type: ignore[arg-type]
    assert g.hint == ("add key password to Secret apps/db (it has: pass), or correct the key "
                      "the reference names in pod apps/db-1")
    assert "c2VjcmV0" not in g.hint + g.message


def test_liveness_refused_names_probe_port_and_the_containers_port() -> None:
    c = {"name": "app", "ports": [{"containerPort": 8080, "name": "http"}],
         "livenessProbe": {"httpGet": {"path": "/healthz", "port": 9090}}}
    p = pod("web-1", containers=[c], statuses=[{"name": "app", "restartCount": 3}])
    ev = event(p, "Unhealthy", 'Liveness probe failed: Get "http://10.0.0.5:9090/healthz": '
               "dial tcp 10.0.0.5:9090: connect: connection refused", count=9)
    ev["involvedObject"]["fieldPath"] = "spec.containers{app}"
    kill = event(p, "Killing", "Container app failed liveness probe, will be restarted",
                 type_="Normal", count=3)
    [f] = pods.probe_failures(FakeSov().add(p, ev, kill), [p])  # type: ignore[arg-type]
    assert f.code == "pod.probe-failed" and f.severity.value == "BLOCKING"
    assert "Liveness probe GET /healthz on port 9090" in f.message
    assert "connection refused" in f.message and "declares port(s) 8080 (http)" in f.message
    assert "killed it 3 time(s)" in f.message
    assert f.hint == ("point the liveness probe of pod apps/web-1 at the port the app "
                      "listens on (8080)")


def test_probe_timeout_and_http_status() -> None:
    c = {"name": "app", "readinessProbe": {"httpGet": {"path": "/ready", "port": 80}}}
    p = pod("slow-1", containers=[c])
    ev = event(p, "Unhealthy", 'Readiness probe failed: Get "http://10.0.0.6:80/ready": '
               "context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
    [f] = pods.probe_failures(FakeSov().add(p, ev), [p])  # type: ignore[arg-type]
    assert f.code == "pod.probe-failed" and "timed out" in f.message
    assert f.severity.value == "WARNING"  # one slow answer is not yet a cause
    assert "its Service has no endpoint" in f.message
    assert f.hint.startswith("raise the readiness probe's timeoutSeconds")
    q = pod("guac-1", containers=[{"name": "app", "livenessProbe": {
        "httpGet": {"path": "/", "port": 8080}}}])
    ev2 = event(q, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404")
    [g] = pods.probe_failures(FakeSov().add(q, ev2), [q])  # type: ignore[arg-type]
    assert g.code == "pod.probe-http-error" and "answers HTTP 404" in g.message
    assert "(it answers 404 on /)" in g.hint


def test_crashloop_oomkilled_names_the_memory_limit() -> None:
    c = {"name": "app", "resources": {"limits": {"memory": "64Mi"}}}
    p = pod("eater-1", containers=[c], statuses=[{
        "name": "app", "restartCount": 5,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}])
    [f] = pods.crashloops(FakeSov().add(p), [p], skip=set())  # type: ignore[arg-type]
    assert "last exit 137 OOMKilled" in f.message and "OOMKilled" in f.evidence["reason"]
    assert f.hint == ("raise the memory limit of container app in pod apps/eater-1 "
                      "(now 64Mi), or lower the app's use")


def test_unschedulable_names_the_selector() -> None:
    p = pod("gpu-1", phase="Pending", conditions=[{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 node(s) didn't match Pod's node "
                   "affinity/selector."}])
    p["spec"]["nodeSelector"] = {"gpu": "true"}
    [f] = pods.unschedulable(FakeSov().add(p), [p])  # type: ignore[arg-type]
    assert f.code == "pod.unschedulable" and "didn't match" in f.message
    assert "{'gpu': 'true'}" in f.hint and "match a node's labels" in f.hint


def test_unschedulable_for_a_claim_names_the_claim() -> None:
    p = pod("db-1", phase="Pending", conditions=[{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": '0/1 nodes are available: persistentvolumeclaim "db-data" not found. '
                   "preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                   "scheduling."}])
    [f] = pods.unschedulable(FakeSov().add(p), [p])  # type: ignore[arg-type]
    assert f.hint.startswith("create PersistentVolumeClaim apps/db-data, or correct the "
                             "claimName in ")
    p["status"]["conditions"][0]["message"] = (
        '0/1 nodes are available: persistentvolumeclaim "db-data" is being deleted.')
    [g] = pods.unschedulable(FakeSov().add(p), [p])  # type: ignore[arg-type]
    assert g.hint.startswith("wait for PersistentVolumeClaim apps/db-data to go")


# ---- services and workloads ---------------------------------------------------------------

def test_selector_matching_no_pod() -> None:
    sov = FakeSov().add(service("web", {"app": "webb"}), route("web"),
                        pod("web-1", labels={"app": "web"}))
    [f] = services.service_findings(sov)  # type: ignore[arg-type]
    assert f.code == "service.no-endpoints" and "matches no pod" in f.message
    assert "app=web" in f.message
    assert f.hint.startswith("make the selector of Service apps/web match")


def test_target_port_no_container_exposes() -> None:
    p = pod("web-1", labels={"app": "web"},
            containers=[{"name": "app", "ports": [{"containerPort": 8080}]}])
    sov = FakeSov().add(service("web", {"app": "web"}, target=8081), route("web"), p)
    [f] = services.service_findings(sov)  # type: ignore[arg-type]
    assert "targets port 8081, which no container" in f.message
    assert f.hint == "set targetPort of Service apps/web to the port the container listens " \
                     "on (8080)"


def test_scaled_to_zero_beats_no_endpoints() -> None:
    sov = FakeSov().add(service("web", {"app": "web"}), route("web"),
                        deployment("web", replicas=0))
    [f] = services.service_findings(sov)  # type: ignore[arg-type]
    assert f.code == "workload.scaled-to-zero" and f.subject.kind == "Deployment"  # type: ignore[union-attr]
    assert f.hint.startswith("set replicas >= 1 for Deployment apps/web")


def test_progress_deadline_exceeded() -> None:
    d = deployment("web", conds=[{"type": "Progressing", "status": "False",
                                  "reason": "ProgressDeadlineExceeded",
                                  "message": 'ReplicaSet "web-1" has timed out progressing.'}])
    [f] = services.not_progressing(FakeSov().add(d))  # type: ignore[arg-type]
    assert f.code == "workload.not-progressing" and "ProgressDeadlineExceeded" in f.message
    assert f.hint.startswith("fix what keeps the new pods of Deployment apps/web")


def test_replica_failure_names_the_quota_and_the_service_follows() -> None:
    msg = ('pods "web-5d8f-" is forbidden: failed quota: compute: must specify limits.memory '
           "for: app; requests.memory for: app")
    d = deployment("web", conds=[{"type": "ReplicaFailure", "status": "True",
                                  "reason": "FailedCreate", "message": msg}])
    sov = FakeSov().add(d, service("web", {"app": "web"}), route("web"))
    [f] = services.not_progressing(sov)  # type: ignore[arg-type]
    assert f.code == "workload.not-progressing" and msg in f.message
    assert f.hint.startswith("set resources limits.memory, requests.memory for container(s) "
                             "app of Deployment apps/web (in its manifest): ResourceQuota "
                             "apps/compute requires them")
    # The Service's selector is right: it names the workload that cannot create pods, and
    # is downstream of it (not "the selector matches no pod").
    [s] = services.service_findings(sov)  # type: ignore[arg-type]
    assert "the pods of Deployment apps/web, which has none" in s.message and msg in s.message
    assert s.hint.startswith("fix what keeps Deployment apps/web from creating its pods")
    ordered = causality.upstream_first(sov, [s, f])  # type: ignore[arg-type]
    assert [x.code for x in ordered] == ["workload.not-progressing", "service.no-endpoints"]
    # Where only the Service is diagnosed (a route's step), its workload's cause joins it.
    joined = services.with_workload_causes(sov, [s])  # type: ignore[arg-type]
    assert [x.code for x in joined] == ["service.no-endpoints", "workload.not-progressing"]


def test_refusal_fixes_by_cause() -> None:
    exceeded = ('pods "web-1-" is forbidden: exceeded quota: small, requested: pods=1, used: '
                "pods=1, limited: pods=1")
    assert services.refusal_fix("Deployment apps/web", "flux-system/web", "apps", exceeded) \
        .startswith("raise the hard limits of ResourceQuota apps/small, or lower what "
                    "Deployment apps/web requests (in the values of HelmRelease flux-system/web)")
    sa = ('pods "web-1-" is forbidden: error looking up service account apps/web: '
          'serviceaccount "web" not found')
    assert services.refusal_fix("Deployment apps/web", None, "apps", sa).startswith(
        "create ServiceAccount apps/web")
    assert services.refusal_fix("Deployment apps/web", None, "apps", "denied by webhook") == (
        "fix what the API server refuses in Deployment apps/web's pods (in its manifest), then "
        "roll it out again")


def test_statefulset_failed_create_event() -> None:
    sts = {"kind": "StatefulSet", "metadata": meta("db"), "spec": {}, "status": {}}
    msg = ('create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: exceeded '
           "quota: small, requested: pods=1, used: pods=1, limited: pods=1")
    [f] = services.not_progressing(FakeSov().add(sts, event(sts, "FailedCreate", msg)))  # type: ignore[arg-type]
    assert f.subject.kind == "StatefulSet" and msg in f.message  # type: ignore[union-attr]
    assert f.hint.startswith("raise the hard limits of ResourceQuota apps/small")


# ---- jobs, network, APIs, conditions ------------------------------------------------------

def test_failed_job_reads_its_published_status_and_the_network_error() -> None:
    job = {"kind": "Job", "metadata": meta("cutover", "catalyst-system"),
           "spec": {"template": {"spec": {"containers": [{"name": "cutover", "env": [
               {"name": "STATUS", "value": "catalyst-system/cutover-status"},
               {"name": "GITEA_URL", "value": "http://gitea-htp.gitea.svc:3000"}]}]}}},
           "status": {"failed": 3, "conditions": [{
               "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
               "message": "Job has reached the specified backoff limit"}]}}
    cm = {"kind": "ConfigMap", "metadata": meta("cutover-status", "catalyst-system"),
          "data": {"step-01": "done", "step-02": "failed: GET http://gitea-htp.gitea.svc:3000"
                   "/api/v1/version: lookup gitea-htp.gitea.svc.cluster.local: no such host"}}
    attempt = pod("cutover-abcde", "catalyst-system", labels={"job-name": "cutover"},
                  phase="Failed", containers=[{"name": "cutover"}])
    sov = FakeSov().add(job, cm, attempt)
    sov.kube.logs[("catalyst-system", "cutover-abcde", "cutover")] = "step 02: FAILED"
    [f] = jobs.failed_jobs(sov)  # type: ignore[arg-type]
    assert f.code == "job.failed" and "BackoffLimitExceeded" in f.message
    assert "ConfigMap catalyst-system/cutover-status says step-02 failed" in f.message
    assert "gitea-htp.gitea.svc.cluster.local does not resolve" in f.message
    assert f.hint.startswith("in Job catalyst-system/cutover env GITEA_URL: correct the host")
    assert f.hint.endswith("then delete Job catalyst-system/cutover so it runs again")


def test_net_codes_and_harness_gateway_hint() -> None:
    sov = FakeSov()
    cases = {
        "dial tcp 10.96.0.10:5432: connect: connection refused": "net.connection-refused",
        "x509: certificate signed by unknown authority": "net.tls-error",
        "dial tcp 10.0.0.9:443: i/o timeout": "net.timeout",
        "lookup db.apps.svc.cluster.local: no such host": "net.dns-failure",
    }
    for line, code in cases.items():
        [f] = net.network_findings_in(sov, line, where="pod apps/x")  # type: ignore[arg-type]
        assert f.code == code, line
    [g] = net.harness_call_findings(sov, "HTTPCallError: GET https://gitea.sovereign.test/: "  # type: ignore[arg-type]
                                    "ConnectError: [Errno 111] Connection refused")
    assert g.code == "net.connection-refused" and "--gateway-url" in g.hint
    [h] = net.network_findings_in(sov, 'Post "https://api.apps.svc:8080/x": http: server '  # type: ignore[arg-type]
                                  "gave HTTP response to HTTPS client", where="pod apps/x")
    assert h.code == "net.tls-error" and h.subject.name == "api.apps.svc:8080"  # type: ignore[union-attr]
    assert h.hint == ("the server speaks plain HTTP on that port: use http:// in the URL (or "
                      "make the server serve TLS)")
    svc = {**service("db", {"app": "db"}), "spec": {"clusterIP": "10.96.0.10"}}
    owned, unowned = (net.network_findings_in(FakeSov().add(svc), f"dial tcp {ip}:5432: i/o "  # type: ignore[arg-type]
                                              "timeout", where="pod apps/x")[0]
                      for ip in ("10.96.0.10", "10.96.7.7"))
    assert owned.hint == net.FIX["net.timeout"]
    assert unowned.hint.startswith("no Service or pod has the address 10.96.7.7: an IP pinned")


class NoCrdSov(FakeSov):
    def __init__(self, crd: Obj | None) -> None:
        super().__init__()
        self.crd = crd
        outer = self

        class Kube:
            def try_get(self, g: Any, name: str, ns: str | None = None) -> Obj | None:
                return outer.crd

        self.kube = Kube()  # type: ignore[assignment]

    def informers(self, g: Any) -> Any:
        if g == gvr.SANDBOXES:
            from e2e.errors import KubeNotFound
            raise KubeNotFound(404, "NotFound", "the server could not find the resource")
        return super().informers(g)


def test_kind_not_served_names_the_crd_and_the_version() -> None:
    [f] = apis.not_served(NoCrdSov(None), [gvr.SANDBOXES])  # type: ignore[arg-type]
    assert f.code == "api.kind-not-served" and "does not exist" in f.message
    assert f.hint.startswith("install the CRD sandboxes.sandbox.openova.io")
    crd = {"kind": "CustomResourceDefinition", "metadata": {"name": "sandboxes.sandbox.openova.io"},
           "spec": {"versions": [{"name": "v1alpha1", "served": False},
                                 {"name": "v1alpha2", "served": True}]},
           "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    [g] = apis.not_served(NoCrdSov(crd), [gvr.SANDBOXES])  # type: ignore[arg-type]
    assert "does not serve v1alpha1 (served: v1alpha2)" in g.message
    assert g.hint.startswith("serve v1alpha1 again in CRD sandboxes.sandbox.openova.io")


def helmrelease(name: str, reason: str, message: str, **spec: Any) -> Obj:
    return {"kind": "HelmRelease", "metadata": meta(name, "flux-system"), "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": reason,
                                       "message": message}]}}


def test_flux_dependency_missing_names_the_closest_release() -> None:
    grafana = helmrelease("bp-grafana", "DependencyNotReady",
                          "unable to get 'flux-system/bp-keycloack' dependency: helmreleases."
                          'helm.toolkit.fluxcd.io "bp-keycloack" not found',
                          dependsOn=[{"name": "bp-keycloack"}])
    keycloak = {"kind": "HelmRelease", "metadata": meta("bp-keycloak", "flux-system"),
                "spec": {}, "status": {}}
    [f] = flux.missing_dependencies(FakeSov().add(grafana, keycloak))  # type: ignore[arg-type]
    assert f.code == "flux.dependency-missing" and f.subject.name == "bp-grafana"  # type: ignore[union-attr]
    assert f.hint == ("correct dependsOn of HelmRelease flux-system/bp-grafana: "
                      "flux-system/bp-keycloack does not exist (did you mean bp-keycloak?)")
    # A dependency that exists and is merely not ready is not this rule's.
    grafana["spec"]["dependsOn"] = [{"name": "bp-keycloak"}]
    assert flux.missing_dependencies(FakeSov().add(grafana, keycloak)) == []  # type: ignore[arg-type]


def test_flux_values_missing_object_or_key() -> None:
    ref = [{"kind": "ConfigMap", "name": "grafana-values", "valuesKey": "values.yaml"}]
    hr = helmrelease("bp-grafana", "ValuesError", "could not resolve ConfigMap chart values "
                     "reference 'flux-system/grafana-values' with key 'values.yaml'",
                     valuesFrom=ref)
    [f] = flux.missing_values_sources(FakeSov().add(hr))  # type: ignore[arg-type]
    assert (f.code, str(f.subject)) == ("flux.values-missing",
                                        "ConfigMap/flux-system/grafana-values")
    assert f.hint.startswith("create ConfigMap flux-system/grafana-values with key values.yaml,"
                             " or correct the valuesFrom of HelmRelease flux-system/bp-grafana")
    cm = {"kind": "ConfigMap", "metadata": meta("grafana-values", "flux-system"),
          "data": {"values.yml": "x: 1"}}
    [g] = flux.missing_values_sources(FakeSov().add(hr, cm))  # type: ignore[arg-type]
    assert g.hint.startswith("add key values.yaml to ConfigMap flux-system/grafana-values (it "
                             "has: values.yml)")
    # Before helm-controller says so, a missing source is not yet a cause.
    hr["status"]["conditions"][0].update(reason="Progressing", message="reconciling")
    assert flux.missing_values_sources(FakeSov().add(hr)) == []  # type: ignore[arg-type]


def test_condition_false_names_the_reason() -> None:
    sb = {"kind": "Sandbox", "metadata": meta("sb-1", "tenant-a"), "status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "TokenMintFailed",
         "message": "bridge answered 401"}]}}
    [f] = conditions.condition_false(FakeSov().add(sb), [gvr.SANDBOXES])  # type: ignore[arg-type]
    assert f.code == "resource.condition-false"
    assert f.message == \
        "Sandbox tenant-a/sb-1 is Ready=False TokenMintFailed: bridge answered 401"
    assert "(TokenMintFailed)" in f.hint


# ---- causality ----------------------------------------------------------------------------

def test_upstream_cause_heads_the_list() -> None:
    p = pod("web-1", labels={"app": "web"}, statuses=waiting(
        "CreateContainerConfigError", 'configmap "web-config" not found'))
    sov = FakeSov().add(service("web", {"app": "web"}), route("web"), p)
    p["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "web-config"}}]
    found = services.service_findings(sov) + pods.source_missing(sov, [p])  # type: ignore[arg-type]
    assert [f.code for f in found] == ["service.no-endpoints", "pod.configmap-missing"]
    ordered = causality.upstream_first(sov, found)  # type: ignore[arg-type]
    assert [f.code for f in ordered] == ["pod.configmap-missing", "service.no-endpoints"]


# ---- routes -------------------------------------------------------------------------------

def test_backend_port_the_service_does_not_expose() -> None:
    svc = service("web", {"app": "web"})
    svc["spec"]["ports"][0]["name"] = "http"
    wrong = route("web")
    wrong["spec"]["rules"][0]["backendRefs"][0]["port"] = 8080
    [f] = routes.route_findings(FakeSov().add(svc, wrong))  # type: ignore[arg-type]
    assert f.code == "route.backend-port-missing" and f.subject is not None
    assert (f.subject.kind, f.subject.name) == ("HTTPRoute", "web-route")
    assert "port 8080 of Service apps/web, which exposes no such port (it has: 80/http)" in \
        f.message
    assert f.hint.startswith("set the backendRef port of HTTPRoute apps/web-route to a port "
                             "of Service apps/web (80/http), or add port 8080")
    # The same route on the Service's port: nothing to say.
    assert routes.route_findings(FakeSov().add(svc, route("web"))) == []  # type: ignore[arg-type]
