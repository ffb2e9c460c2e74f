"""Every Finding code the harness can emit, with a one-line title: the single list of root
causes. Reports group failures by these codes (Allure categories, history, signoff).

A diagnoser that emits a code not listed here still works (its failure lands in the
"no known Finding code" group), but tests/report/test_allure_categories.py scans the
diagnosers and probes and fails until the code is added here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["CODES", "is_known", "title"]

# code -> what it means, in a few words (the Allure category name is "<code>: <title>").
CODES: Final = MappingProxyType({
    # the harness itself
    "step.setup-failed": "a step could not do its action (the message names what refused it)",
    "harness.probe-error": "the harness itself failed (a bug, not a platform fault)",
    "harness.interrupted": "the run was interrupted while the step was waiting",
    "kube.rbac-denied": "the Kubernetes API refused the harness's requests",
    "stuck.no-progress": "no rule names the cause; the evidence of what stood still",
    # the path to the target (not the platform)
    "net.api-unreachable": "the Kubernetes API could not be reached (after retries)",
    "net.gateway-unreachable": "the Sovereign's gateway could not be reached (after retries)",
    # Flux / the bootstrap kit
    "flux.install-failed": "a HelmRelease failed to install or upgrade",
    "flux.artifact-failed": "a HelmRelease's chart could not be fetched",
    "flux.dependency-root": "HelmReleases wait on a failed dependency",
    "flux.chart-pin-lag": "a HelmRelease is pinned to a stale chart version",
    "flux.dependency-missing": "a HelmRelease depends on a HelmRelease that does not exist",
    "flux.values-missing": "a HelmRelease takes values from a ConfigMap/Secret (or key) that "
                           "does not exist",
    "flux.suspended": "a Flux object is suspended, so it is never reconciled",
    # pods
    "pod.secret-missing": "a pod needs a Secret (or key) that does not exist",
    "pod.probe-http-error": "a pod's HTTP probe answers an error status",
    "pod.crashloop": "a container is in CrashLoopBackOff",
    "pod.image-pull": "a container image cannot be pulled",
    "pod.optional-secret-missing": "an optional Secret reference is unset (a copy exists "
                                   "elsewhere)",
    "pod.configmap-missing": "a pod needs a ConfigMap (or key) that does not exist",
    "pod.probe-failed": "a liveness, readiness or startup probe fails",
    "pod.unschedulable": "a pod fits no node",
    "pod.restarted": "a pod restarted while the workloads settled",
    # Services, workloads, Jobs, APIs, conditions
    "service.no-endpoints": "a Service the journey needs has no endpoint that serves",
    "workload.scaled-to-zero": "a workload the journey needs runs 0 replicas",
    "workload.not-progressing": "a rollout stopped progressing",
    "job.failed": "a Job failed (backoff limit or deadline)",
    "api.kind-not-served": "a kind or version the journey needs is not served",
    "resource.condition-false": "a resource's readiness condition is False with a reason",
    # the network, seen from a component or the harness
    "net.dns-failure": "a host name does not resolve",
    "net.connection-refused": "nothing listens on the host:port dialled",
    "net.tls-error": "the TLS handshake fails",
    "net.timeout": "a host does not answer in time",
    # Gateway API routes
    "route.parent-missing": "an HTTPRoute's parent Gateway does not exist",
    "route.not-accepted": "an HTTPRoute is not accepted by its Gateway",
    "route.backend-missing": "an HTTPRoute's backend Service does not exist",
    "route.refs-unresolved": "an HTTPRoute's references do not resolve",
    "route.host-unrouted": "no accepted HTTPRoute serves a host the platform uses",
    "route.backend-port-missing": "an HTTPRoute sends traffic to a port its Service does not "
                                  "expose",
    # Gateways
    "gateway.listener-invalid": "a Gateway listener is refused or not programmed",
    "gateway.controller-off": "no controller answers a GatewayClass (its controller is off)",
    # Gitea
    "gitea.token-is-password": "a Gitea token Secret holds the admin password",
    "gitea.token-invalid": "a Gitea token is refused by Gitea",
    # cutover and the platform services
    "cutover.step-failed": "a cutover step failed",
    "sandbox.no-admin-secret": "the sandbox controller has no NewAPI admin Secret",
    "sandbox.admin-secret-mismatch": "the sandbox controller's NewAPI admin secret is not "
                                     "the bridge's",
    # the tenant's journey
    "marketplace.slug-taken": "the tenant slug is already taken",
    "marketplace.checkout-refused": "the marketplace refused the checkout",
    "provisioning.job-failed": "the provisioning job failed",
    "newapi.mint-refused": "NewAPI refused to mint the sandbox token",
    "token.capability-excess": "a sandbox token carries capabilities its plan does not grant",
    "token.capability-missing": "a sandbox token lacks capabilities its plan grants",
})


def is_known(code: str) -> bool:
    return code in CODES


def title(code: str) -> str:
    """The code's title; an unknown code says so instead of failing (reports must render)."""
    return CODES.get(code, "not in the list of known Finding codes")

