"""The 16 steps as data. Ids are stable (`NN-slug`); numbers are the order.

Timeouts and stall windows suit a real cluster (image pulls, Flux intervals); they are
overridable per step (`--step-timeout`, `--step-stall`), and a target may shorten the
stall window (see the provider's Attachment.stall_after).
"""

from __future__ import annotations

from ..diagnose import apis, attribution, conditions, flux, gateways, jobs, pods, routes, services
from ..kube import gvr
from ..kube.gvr import GVR
from ..report.model import Finding, Severity
from .model import Diagnoser, Step, StepContext
from .probes import cluster, kit, platform, sandbox, tenant, workloads
from .probes import routes as route_probe

MIN = 60.0


def _flux(ctx: StepContext) -> list[Finding]:
    # A Job that failed while the kit converges is read here, where it is seen.
    found = jobs.failed_jobs(ctx.sov) + flux.failed_releases(ctx.sov) + \
        flux.dependency_roots(ctx.sov) + _kit_references(ctx)
    if any(f.code == "flux.artifact-failed" for f in found):
        found = routes.unrouted_hosts(ctx.sov) + found  # a pull that EOFs: whose host?
    if not any(f.code == "flux.install-failed" for f in found):
        waiting_pods = [p for p in ctx.sov.informers(gvr.PODS).items()
                        if (p.get("status") or {}).get("phase") != "Succeeded"]
        found += pods.all_pod_findings(ctx.sov, waiting_pods)
    if any(f.severity == Severity.BLOCKING for f in found):
        # The pin-lag check asks the registry for every release (HTTP, with retries): a
        # warning, so it must not hold up a step that already has its cause.
        return found
    return found + flux.chart_pin_lag(ctx.sov)


def _gateway(ctx: StepContext) -> list[Finding]:
    return gateways.unclaimed_classes(ctx.sov) + gateways.listener_findings(ctx.sov)


def _kit_references(ctx: StepContext) -> list[Finding]:
    """What the kit's HelmReleases name that does not exist (a dependency, a values source)."""
    return flux.missing_dependencies(ctx.sov) + flux.missing_values_sources(ctx.sov) + \
        flux.suspended(ctx.sov)


def served(*kinds: GVR) -> Diagnoser:
    """api.kind-not-served for the kinds a step reads: fail fast instead of 404s."""

    def diagnose(ctx: StepContext) -> list[Finding]:
        return apis.not_served(ctx.sov, kinds)

    return diagnose


def _routes(ctx: StepContext) -> list[Finding]:
    return services.with_workload_causes(
        ctx.sov, routes.route_findings(ctx.sov) + services.service_findings(ctx.sov))


def service_path(name: str) -> Diagnoser:
    """Diagnose the way to `<name>.<fqdn>`: its routes, its backends, a stale chart."""

    def diagnose(ctx: StepContext) -> list[Finding]:
        host = f"{name}.{ctx.sov.fqdn}"
        found = routes.findings_for_host(ctx.sov, host)
        return attribution.with_stale_roots(ctx.sov, found + backend_findings(ctx, host))

    return diagnose


def backend_findings(ctx: StepContext, host: str) -> list[Finding]:
    """Why the Services behind `host`'s routes do not serve (no endpoint, wrong port)."""
    backends = set()
    for route in ctx.sov.informers(gvr.HTTPROUTES).items():
        if host in ((route.get("spec") or {}).get("hostnames") or []):
            ns = (route.get("metadata") or {}).get("namespace", "")
            for rule in (route.get("spec") or {}).get("rules") or []:
                for b in rule.get("backendRefs") or []:
                    backends.add((b.get("namespace") or ns, b.get("name", "")))
    return services.with_workload_causes(ctx.sov, services.service_findings(
        ctx.sov, backends)) if backends else []


def _sandbox(ctx: StepContext) -> list[Finding]:
    found = platform.diagnose_newapi(ctx) + sandbox.diagnose_sandbox(ctx)
    # A Sandbox its controller marked Ready=False for a reason no rule above names.
    return found + conditions.unexplained_false(ctx.sov, (gvr.SANDBOXES,), found)


STEPS: tuple[Step, ...] = (
    Step(1, "cluster-reachable", "the API answers and nodes are Ready",
         cluster.cluster_reachable, timeout=5 * MIN, stall_after=2 * MIN,
         watches=(gvr.NODES,)),
    Step(2, "cni-ready", "the CNI's agents (Cilium) are Ready", cluster.cni_ready, needs=(1,),
         timeout=10 * MIN, stall_after=5 * MIN, watches=(gvr.DAEMONSETS, gvr.PODS)),
    Step(3, "gateway-programmed", "GatewayClass accepted, the Gateway programmed",
         cluster.gateway_programmed, needs=(2,), timeout=10 * MIN, stall_after=5 * MIN,
         watches=(gvr.GATEWAYCLASSES, gvr.GATEWAYS), diagnosers=(_gateway,)),
    Step(4, "bootstrap-kit-applied", "Flux sources and every HelmRelease of the kit exist",
         kit.kit_applied, needs=(1,), timeout=10 * MIN, stall_after=5 * MIN,
         watches=(gvr.HELMRELEASES, gvr.HELMREPOSITORIES), diagnosers=(_kit_references,)),
    Step(5, "bootstrap-kit-converged", "every HelmRelease Ready at its pinned chart version",
         kit.kit_converged, needs=(2, 4), timeout=40 * MIN, stall_after=10 * MIN,
         watches=(gvr.HELMRELEASES, gvr.HELMREPOSITORIES, gvr.PODS, gvr.EVENTS,
                  gvr.HTTPROUTES, gvr.GATEWAYS, gvr.CONFIGMAPS, gvr.DEPLOYMENTS),
         diagnosers=(_flux,)),
    Step(6, "workloads-healthy", "no pod failing; every routed Service has ready endpoints",
         workloads.workloads_healthy, needs=(5,), timeout=15 * MIN, stall_after=5 * MIN,
         watches=(gvr.PODS, gvr.EVENTS, gvr.SERVICES, gvr.ENDPOINTSLICES, gvr.HTTPROUTES,
                  gvr.DEPLOYMENTS, gvr.STATEFULSETS, gvr.DAEMONSETS, gvr.JOBS),
         diagnosers=(workloads.diagnose_workloads,), settle=30.0),
    Step(7, "gitea-reachable", "Gitea answers through the gateway; admin basic auth works",
         platform.gitea_reachable, needs=(3, 5), timeout=5 * MIN, stall_after=2 * MIN,
         watches=(gvr.SECRETS, gvr.HTTPROUTES), diagnosers=(service_path("gitea"),)),
    Step(8, "cutover-complete", "cutover steps 01..09 done; the provisioning token is a token",
         platform.cutover_complete, needs=(7,), timeout=20 * MIN, stall_after=5 * MIN,
         watches=(gvr.CONFIGMAPS, gvr.SECRETS, gvr.JOBS),
         diagnosers=(platform.diagnose_cutover,)),
    Step(9, "newapi-ready", "the NewAPI bridge answers; its admin secret is where the "
         "sandbox controller reads it", platform.newapi_ready, needs=(3, 5),
         timeout=5 * MIN, stall_after=2 * MIN, watches=(gvr.SECRETS, gvr.DEPLOYMENTS),
         diagnosers=(platform.diagnose_newapi, service_path("newapi"))),
    Step(10, "voucher-issued", "a sovereign-admin issues a voucher", tenant.voucher_issued,
         needs=(3, 5), timeout=2 * MIN, stall_after=1 * MIN, watches=(gvr.SECRETS,),
         diagnosers=(service_path("marketplace"),)),
    Step(11, "tenant-signed-up", "a tenant identity and org exist", tenant.tenant_signed_up,
         needs=(3, 5), timeout=2 * MIN, stall_after=1 * MIN, setup=tenant.sign_up,
         diagnosers=(service_path("marketplace"),)),
    Step(12, "voucher-checkout", "checkout with the voucher returns 200 and leads to the job",
         tenant.voucher_checkout, needs=(10, 11), timeout=2 * MIN, stall_after=1 * MIN,
         diagnosers=(service_path("marketplace"),)),
    Step(13, "provisioning-job-done", "the provisioning job reports success",
         tenant.provisioning_job_done, needs=(8, 12), timeout=15 * MIN, stall_after=5 * MIN,
         watches=(gvr.ORGANIZATIONS,),
         diagnosers=(served(gvr.ORGANIZATIONS), tenant.diagnose_provisioning,
                     service_path("marketplace"))),
    Step(14, "organization-created", "the tenant's Organization CR is Ready and its Gitea "
         "org exists", tenant.organization_created, needs=(13,), timeout=5 * MIN,
         stall_after=2 * MIN, watches=(gvr.ORGANIZATIONS,),
         diagnosers=(served(gvr.ORGANIZATIONS), tenant.diagnose_provisioning)),
    Step(15, "routes-accepted", "every HTTPRoute accepted and resolved, each answering "
         "through the gateway", route_probe.routes_accepted, needs=(3, 14),
         timeout=10 * MIN, stall_after=3 * MIN,
         watches=(gvr.HTTPROUTES, gvr.GATEWAYS, gvr.SERVICES, gvr.ENDPOINTSLICES),
         diagnosers=(_routes,)),
    Step(16, "sandbox-token-minted", "a Sandbox gets its token; the JWT carries its plan's "
         "capabilities and no more", sandbox.sandbox_token_minted, needs=(9, 14),
         timeout=10 * MIN, stall_after=3 * MIN, setup=sandbox.create_sandbox,
         watches=(gvr.SANDBOXES, gvr.SECRETS), diagnosers=(served(gvr.SANDBOXES), _sandbox)),
)

STEP_IDS = [s.id for s in STEPS]
BY_NUMBER = {s.number: s for s in STEPS}
