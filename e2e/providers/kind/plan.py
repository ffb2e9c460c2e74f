"""The kind target's plan: every action in order, its exact commands or manifests, what it
waits for and its timeout. `sovereign-e2e plan --sovereign kind` prints it; the provider
executes it, command for command, so what you read is what runs.

Values known only at run time are `${NAME}` placeholders (LATE_VALUES says where each
comes from); secrets are placeholders too, so a printed plan never holds one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from . import manifests as m
from .versions import Versions

Tool = Literal["kind", "kubectl", "helm", "git", "container", "http"]
WaitKind = Literal["api", "crd", "workload", "nodes", "http", "gateway"]

GITEA_ADMIN = "sovereign-admin"
KIT_REPO = "sovereign-kit"
KIT_SECRET = "sovereign-kit-git"
GIT_TOKEN_ENV = "SOVEREIGN_E2E_GIT_TOKEN"
LATE_VALUES = {
    "LB_POOL_CIDR": "the last /27 of the `kind` Docker network's IPv4 subnet (read after "
                    "the cluster exists), e.g. 172.18.255.224/27 for 172.18.0.0/16",
    "GITEA_IP": "the Gitea container's IP on the `kind` network",
    "NEWAPI_IP": "the stub NewAPI container's IP on the `kind` network",
    "GITEA_URL": "the Gitea container's HTTP address as the runner reaches it (mapped port)",
    "GITEA_TOKEN": "secret: the token minted through Gitea's API (never printed)",
    "NEWAPI_ADMIN_SECRET": "secret: generated for this run (never printed)",
    "NEWAPI_SIGNING_KEY": "secret: generated for this run (never printed)",
}
SECRET_VALUES = ("GITEA_TOKEN", "NEWAPI_ADMIN_SECRET", "NEWAPI_SIGNING_KEY")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(_Frozen):
    tool: Tool
    argv: list[str]
    stdin: str | None = None  # a manifest or values file, fed on stdin (never a temp path)
    cwd: str | None = None
    user: str | None = None  # for `container` commands: the user to exec as


class Wait(_Frozen):
    kind: WaitKind
    target: str
    description: str


class ContainerSpec(_Frozen):
    name: str
    image: str
    build: dict[str, str] | None = None  # {context, dockerfile}: built before it runs
    network: str = "kind"
    env: dict[str, str] = {}
    ports: list[int] = []
    labels: dict[str, str] = {}
    health_path: str = "/"


class Action(_Frozen):
    name: str
    title: str
    commands: list[Command] = []
    containers: list[ContainerSpec] = []
    waits: list[Wait] = []
    timeout: float


class KindPlan(_Frozen):
    cluster: str
    cycle: str
    fqdn: str
    work_dir: str
    kubeconfig: str
    versions: dict[str, str]
    late_values: dict[str, str]
    actions: list[Action]

    def action(self, name: str) -> Action:
        return next(a for a in self.actions if a.name == name)

    def subprocess_argv(self, values: dict[str, str] | None = None) -> list[list[str]]:
        """The kind/kubectl/helm/git argv, in order, with late values filled in."""
        return [[resolve(a, values or {}) for a in c.argv] for act in self.actions
                for c in act.commands if c.tool in ("kind", "kubectl", "helm", "git")]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"

    def to_text(self) -> str:
        return render_text(self)


def resolve(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("${" + key + "}", value)
    return text


@dataclass(frozen=True)
class PlanInputs:
    cluster: str
    cycle: str
    fqdn: str
    work_dir: Path
    kit_path: Path
    kit_subpath: str  # where the kit sits in the pushed repository
    versions: Versions


def _kubectl_apply(kubeconfig: str, *, url: str | None = None,
                   stdin: str | None = None) -> Command:
    # Server-side apply with our field manager: ownership is visible in managedFields, and
    # CRDs re-applied over an older install take over the fields (--force-conflicts).
    argv = ["kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side",
            f"--field-manager={m.FIELD_MANAGER}", "--force-conflicts", "-f", url or "-"]
    return Command(tool="kubectl", argv=argv, stdin=stdin)


def build_plan(inp: PlanInputs) -> KindPlan:
    v = inp.versions
    work = inp.work_dir
    kubeconfig = str(work / "kubeconfig")
    config_file = str(work / "kind-config.yaml")
    repo_dir = str(work / "kit-repo")
    labels = {m.MARKER_LABEL: inp.cluster}
    gitea_name, newapi_name = f"{inp.cluster}-gitea", f"{inp.cluster}-newapi"

    cluster = Action(
        name="cluster", title="kind cluster (pytest-kind KindCluster)",
        commands=[
            # Ours (was it there before? then it is re-used and never deleted), then
            # pytest-kind's own check and its create (skipped for an existing cluster).
            Command(tool="kind", argv=["kind", "get", "clusters"]),
            Command(tool="kind", argv=["kind", "get", "clusters"]),
            Command(tool="kind", argv=["kind", "create", "cluster", f"--name={inp.cluster}",
                                       f"--kubeconfig={kubeconfig}",
                                       f"--image={v.kind_node_image}",
                                       "--config", config_file],
                    stdin=None),
            _kubectl_apply(kubeconfig, stdin=m.dump(m.marker(inp.cluster, inp.cycle))),
        ],
        waits=[Wait(kind="api", target=kubeconfig,
                    description="the API server answers /version")],
        timeout=300)
    crds = Action(
        name="gateway-api-crds",
        title=f"Gateway API {v.gateway_api} CRDs (standard + experimental TLSRoute), "
              "before Cilium",
        commands=[_kubectl_apply(kubeconfig, url=u) for u in m.gateway_api_urls(v.gateway_api)],
        waits=[Wait(kind="crd", target=f"{c}.gateway.networking.k8s.io",
                    description="CRD Established") for c in m.GATEWAY_API_CRDS],
        timeout=120)
    cilium = Action(
        name="cilium", title=f"Cilium {v.cilium.version} with Helm (Gateway API, KPR, "
                             "L2 announcements)",
        commands=[
            Command(tool="helm", argv=["helm", "repo", "add", v.cilium.chart,
                                       v.cilium.repository, "--force-update"]),
            Command(tool="helm", argv=[
                "helm", "--kubeconfig", kubeconfig, "upgrade", "--install", "cilium",
                f"{v.cilium.chart}/cilium", "--version", v.cilium.version,
                "--namespace", "kube-system", "--values", "-"],
                stdin=m.dump(m.cilium_values(inp.cluster))),
        ],
        waits=[Wait(kind="workload", target="DaemonSet/kube-system/cilium",
                    description="every agent Ready"),
               Wait(kind="workload", target="Deployment/kube-system/cilium-operator",
                    description="Available"),
               Wait(kind="nodes", target="all", description="every node Ready (CNI up)"),
               Wait(kind="crd", target="ciliumloadbalancerippools.cilium.io",
                    description="registered by the operator"),
               Wait(kind="crd", target="ciliuml2announcementpolicies.cilium.io",
                    description="registered by the operator")],
        timeout=600)
    lb = Action(
        name="lb-ipam", title="LoadBalancer addresses from the kind network (LB-IPAM + L2)",
        commands=[_kubectl_apply(kubeconfig, stdin=m.dump(m.lb_ipam("${LB_POOL_CIDR}")))],
        timeout=60)
    containers = Action(
        name="containers", title="Gitea and the stub NewAPI as containers on the kind network",
        containers=[
            ContainerSpec(name=gitea_name, image=v.gitea_image, ports=[3000], labels=labels,
                          env={"GITEA__security__INSTALL_LOCK": "true",
                               "GITEA__server__ROOT_URL": "http://gitea-http.gitea.svc:3000/",
                               "GITEA__database__DB_TYPE": "sqlite3",
                               "GITEA__service__DISABLE_REGISTRATION": "true"},
                          health_path="/api/v1/version"),
            ContainerSpec(name=newapi_name, image=v.newapi_image,
                          build={"context": ".", "dockerfile": "stubs/newapi/Dockerfile"},
                          ports=[3000], labels=labels,
                          env={"PORT": "3000",
                               "NEWAPI_ADMIN_SECRET": "${NEWAPI_ADMIN_SECRET}",
                               "NEWAPI_TOKEN_SIGNING_KEY": "${NEWAPI_SIGNING_KEY}"},
                          health_path="/healthz"),
        ],
        commands=[
            Command(tool="container", argv=[
                gitea_name, "gitea", "admin", "user", "create", "--admin",
                "--username", GITEA_ADMIN, "--email", f"{GITEA_ADMIN}@{inp.fqdn}",
                "--random-password", "--must-change-password=false"],
                user="git"),  # Gitea refuses to run as root
            Command(tool="http", argv=["POST", f"${{GITEA_URL}}/api/v1/users/{GITEA_ADMIN}"
                                               "/tokens", "scopes=write:repository,"
                                               "write:user,write:organization"]),
            Command(tool="http", argv=["POST", "${GITEA_URL}/api/v1/user/repos",
                                       f"name={KIT_REPO}"]),
        ],
        waits=[Wait(kind="http", target=f"{gitea_name}:3000/api/v1/version",
                    description="Gitea answers"),
               Wait(kind="http", target=f"{newapi_name}:3000/healthz",
                    description="the stub NewAPI answers")],
        timeout=300)
    services = Action(
        name="container-services",
        title="selector-less Services + EndpointSlices: pods reach the containers by name",
        commands=[_kubectl_apply(kubeconfig, stdin=m.dump(
            [m.namespace("gitea"), m.namespace("newapi"), m.namespace("flux-system"),
             *m.external_service("gitea", "gitea-http", 3000, "${GITEA_IP}"),
             *m.external_service("newapi", "newapi", 3000, "${NEWAPI_IP}")])),
            _kubectl_apply(kubeconfig, stdin=m.dump([
                m.secret("newapi", "newapi-bp-newapi-token-signing-key",
                         {"SIGNING_KEY": "${NEWAPI_SIGNING_KEY}",
                          "ADMIN_SECRET": "${NEWAPI_ADMIN_SECRET}"}),
                m.secret("flux-system", KIT_SECRET,
                         {"username": GITEA_ADMIN, "password": "${GITEA_TOKEN}"})]))],
        timeout=60)
    flux = Action(
        name="flux", title=f"Flux {v.flux}",
        commands=[_kubectl_apply(kubeconfig, url=m.flux_install_url(v.flux))],
        waits=[Wait(kind="workload", target=f"Deployment/flux-system/{c}",
                    description="Available") for c in m.FLUX_CONTROLLERS],
        timeout=300)
    git_env_helper = ("!f() { echo username=" + GITEA_ADMIN + "; echo \"password=$"
                      + GIT_TOKEN_ENV + "\"; }; f")
    kit = Action(
        name="bootstrap-kit",
        title="the bootstrap-kit with the kind profile, pushed to Gitea; Flux applies it",
        commands=[
            Command(tool="git", argv=["git", "init", "-q", "-b", "main"], cwd=repo_dir),
            Command(tool="git", argv=["git", "add", "-A"], cwd=repo_dir),
            Command(tool="git", argv=["git", "-c", "user.name=sovereign-e2e", "-c",
                                      "user.email=sovereign-e2e@localhost", "commit", "-q",
                                      "-m", f"bootstrap-kit for {inp.cluster}"],
                    cwd=repo_dir),
            Command(tool="git", argv=["git", "-c", f"credential.helper={git_env_helper}",
                                      "push", "-q",
                                      f"${{GITEA_URL}}/{GITEA_ADMIN}/{KIT_REPO}.git",
                                      "main"], cwd=repo_dir),
            _kubectl_apply(kubeconfig, stdin=m.dump(m.flux_sources(
                f"http://gitea-http.gitea.svc:3000/{GITEA_ADMIN}/{KIT_REPO}.git",
                "./clusters/kind", inp.fqdn, KIT_SECRET))),
        ],
        timeout=120)
    gateway = Action(
        name="gateway-address", title="the Sovereign's Gateway address (the journey's "
                                      "gateway URL, unless --gateway-url)",
        waits=[Wait(kind="gateway", target="kube-system/cilium-gateway",
                    description="status.addresses[0] set by LB-IPAM")],
        timeout=1800)
    return KindPlan(
        cluster=inp.cluster, cycle=inp.cycle, fqdn=inp.fqdn, work_dir=str(work),
        kubeconfig=kubeconfig,
        versions={"kind": v.kind, "kindNodeImage": v.kind_node_image, "kubectl": v.kubectl,
                  "gatewayAPI": v.gateway_api, "cilium": v.cilium.version, "flux": v.flux,
                  "giteaImage": v.gitea_image, "newapiImage": v.newapi_image,
                  "bootstrapKit": f"{inp.kit_path} -> {inp.kit_subpath}"},
        late_values=LATE_VALUES,
        actions=[cluster, crds, cilium, lb, containers, services, flux, kit, gateway])


def kind_config_text(plan: KindPlan, node_image: str) -> str:
    return m.dump(m.kind_config(plan.cluster, node_image))


def render_text(plan: KindPlan) -> str:
    out = [f"plan: --sovereign kind, cluster {plan.cluster}, cycle {plan.cycle}, "
           f"fqdn {plan.fqdn}", f"work dir: {plan.work_dir}", "pinned versions:"]
    out += [f"  {k}: {v}" for k, v in plan.versions.items()]
    out.append("values known at run time:")
    out += [f"  ${{{k}}}: {v}" for k, v in plan.late_values.items()]
    for n, act in enumerate(plan.actions, 1):
        out += ["", f"{n}. {act.name}: {act.title} (timeout {act.timeout:.0f}s)"]
        if act.name == "cluster":
            out.append("   kind config (--config):")
            out += ["     " + line for line in kind_config_text(
                plan, plan.versions["kindNodeImage"]).splitlines()]
        for spec in act.containers:
            out.append(f"   container {spec.name}: image {spec.image}"
                       + (f" (built from {spec.build['dockerfile']})" if spec.build else "")
                       + f", network {spec.network}, ports {spec.ports}")
            out += [f"     env {k}={v}" for k, v in spec.env.items()]
            out += [f"     label {k}={v}" for k, v in spec.labels.items()]
        for cmd in act.commands:
            where = f" (in {cmd.cwd})" if cmd.cwd else ""
            prefix = {"container": f"exec (as {cmd.user}) in ", "http": "HTTP "}.get(
                cmd.tool, "$ ")
            out.append(f"   {prefix}{' '.join(cmd.argv)}{where}")
            if cmd.stdin:
                out += ["     | " + line for line in cmd.stdin.rstrip().splitlines()]
        for w in act.waits:
            out.append(f"   wait: {w.kind} {w.target}: {w.description}")
    out += ["", "teardown: delete only what this run created (cluster with marker "
            f"ConfigMap {'/'.join(m.MARKER_CONFIGMAP)}, containers labelled "
            f"{m.MARKER_LABEL}={plan.cluster}); --keep-cluster keeps everything"]
    return "\n".join(out) + "\n"
