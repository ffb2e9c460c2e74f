"""kind: a fresh Sovereign on a local kind cluster, for the nightly run.

`KindProvider.plan()` builds the ordered plan (e2e/providers/kind/plan.py); `create_or_attach`
checks the prerequisites (nothing is created when one is missing), then executes the plan
action by action, each a named, timed entry of the report's target. Teardown deletes only
what this run created (marker checked), also after a failed create or SIGINT, and keeps
everything with --keep-cluster.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ...config import Settings
from ...errors import ConfigError, E2EError, ProviderError
from ...report.store import next_cycle_id
from ..base import Attachment
from . import manifests as m
from .containers import ContainerRuntime, RunningContainer, TestcontainersRuntime
from .kit import assemble_kit, kit_source, shown_path
from .plan import (
    GIT_TOKEN_ENV,
    GITEA_ADMIN,
    KIT_REPO,
    SECRET_VALUES,
    Action,
    Command,
    KindPlan,
    PlanInputs,
    build_plan,
    kind_config_text,
    resolve,
)
from .prereqs import Tools, check_prerequisites
from .versions import Versions, load_versions

log = logging.getLogger("sovereign_e2e.kind")
GATEWAY = ("kube-system", "cilium-gateway")
WORK_ROOT = Path(".sovereign-e2e") / "kind"


def cluster_name(settings: Settings, cycle: str) -> str:
    return settings.kind_cluster or f"sovereign-{cycle}"


class KindProvider:
    name = "kind"

    def __init__(self, settings: Settings, *, runtime: ContainerRuntime | None = None,
                 versions: Versions | None = None) -> None:
        self.settings = settings
        self.versions = versions or load_versions()
        self.runtime = runtime or TestcontainersRuntime(keep=settings.keep_cluster)
        self.cycle = settings.cycle or next_cycle_id(settings.report_dir)
        self.cluster = cluster_name(settings, self.cycle)
        # Not under the report dir: reports are uploaded, and the kubeconfig holds a key.
        self.work_dir = WORK_ROOT / self.cluster
        self.setup: list[dict[str, str]] = []  # the report's timed actions
        self.commands: list[list[str]] = []  # what ran (argv), in order
        self._values: dict[str, str] = {}
        self._tools: Tools | None = None
        self._kind: Any = None  # pytest-kind's KindCluster
        self._cluster_created = False
        self._containers: dict[str, RunningContainer] = {}
        self._kube: Any = None

    # ---- the plan ------------------------------------------------------------------------
    def plan(self) -> KindPlan:
        kit_path, subpath = kit_source(self.settings)
        return build_plan(PlanInputs(
            cluster=self.cluster, cycle=self.cycle, fqdn=self.fqdn, work_dir=self.work_dir,
            kit_path=kit_path, kit_subpath=subpath, versions=self.versions))

    @property
    def fqdn(self) -> str:
        return self.settings.fqdn or "sovereign.test"

    # ---- bring-up ------------------------------------------------------------------------
    def create_or_attach(self) -> Attachment:
        plan = self.plan()  # bad --bootstrap-kit/--platform-repo fail here, before anything
        self._tools = check_prerequisites(self.runtime.problem())
        try:
            for action in plan.actions:
                self._timed(action, plan)
        except BaseException as e:  # SIGINT (KeyboardInterrupt) too: tear down half-made
            if not self.settings.keep_cluster:
                for problem in self.teardown():
                    log.warning("teardown: %s", problem)
            if isinstance(e, subprocess.TimeoutExpired):
                raise ProviderError(f"`{' '.join(e.cmd)}` ran out of time") from e
            raise
        address = self._values.get("GATEWAY_ADDRESS")
        # The kind profile's Gateway listens on HTTP only (clusters/kind/gateway.yaml).
        url = self.settings.gateway_url or (f"http://{address}" if address else None)
        return Attachment(kubeconfig=Path(plan.kubeconfig), context=None, fqdn=self.fqdn,
                          gateway_url=url,
                          details={"kind_cluster": self.cluster,
                                   "node_image": self.versions.kind_node_image,
                                   "cilium": self.versions.cilium.version,
                                   "gateway_from": "--gateway-url" if self.settings.gateway_url
                                   else "Gateway status"},
                          setup=list(self.setup))

    def _timed(self, action: Action, plan: KindPlan) -> None:
        started = time.monotonic()
        deadline = started + action.timeout
        log.info("kind: %s: %s", action.name, action.title)
        entry = {"name": action.name, "status": "RUNNING", "seconds": "0", "detail": ""}
        self.setup.append(entry)
        try:
            detail = getattr(self, "_do_" + action.name.replace("-", "_"))(action, plan,
                                                                            deadline)
            entry.update(status="PASS", detail=detail or "")
        except BaseException as e:
            entry.update(status="FAIL", detail=str(e)[:300])
            raise
        finally:
            entry["seconds"] = f"{time.monotonic() - started:.1f}"

    # ---- actions (one method per plan action, same order) ----------------------------------
    def _do_cluster(self, action: Action, plan: KindPlan, deadline: float) -> str:
        import pytest_kind.cluster as pk

        tools = self._tools
        assert tools is not None
        before = self._run(action.commands[0], deadline, capture=True)
        existed = self.cluster in before.split()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = Path(action.commands[3].argv[-1])
        config.write_text(kind_config_text(plan, self.versions.kind_node_image))
        # pytest-kind 22.11 downloads kind v0.17.0 / kubectl v1.25.3 unless told otherwise:
        # the binaries on PATH win, else it fetches our pins.
        pk.KIND_VERSION, pk.KUBECTL_VERSION = self.versions.kind, self.versions.kubectl
        self._kind = pk.KindCluster(self.cluster, Path(plan.kubeconfig),
                                    image=self.versions.kind_node_image,
                                    kind_path=tools.kind, kubectl_path=tools.kubectl)
        self._cluster_created = not existed  # from here on, teardown may delete it
        if existed:  # pytest-kind reads the kubeconfig of a cluster it did not create
            self._run(action.commands[1], deadline)
        self.commands.append(action.commands[2].argv)  # pytest-kind's own `kind get`
        if not existed:
            self.commands.append(action.commands[3].argv)
        self._kind.create(config_file=config)
        from ...kube.client import KubeClient, load_api_client

        self._kube = KubeClient(load_api_client(Path(plan.kubeconfig), None))
        from .waits import wait_api

        note = wait_api(self._kube, deadline)
        if existed:
            return f"re-used the existing cluster {self.cluster} (never deleted); {note}"
        self._run(action.commands[4], deadline)
        return f"created {self.cluster}; {note}"

    def _do_gateway_api_crds(self, action: Action, plan: KindPlan, deadline: float) -> str:
        return self._commands_then_waits(action, deadline)

    def _do_cilium(self, action: Action, plan: KindPlan, deadline: float) -> str:
        return self._commands_then_waits(action, deadline)

    def _do_lb_ipam(self, action: Action, plan: KindPlan, deadline: float) -> str:
        subnet = self.runtime.network_subnet("kind")
        self._values["LB_POOL_CIDR"] = m.lb_pool_cidr(subnet)
        self._commands_then_waits(action, deadline)
        return f"pool {self._values['LB_POOL_CIDR']} from kind network {subnet}"

    def _do_containers(self, action: Action, plan: KindPlan, deadline: float) -> str:
        import httpx

        self._values["NEWAPI_ADMIN_SECRET"] = secrets.token_urlsafe(24)
        self._values["NEWAPI_SIGNING_KEY"] = secrets.token_urlsafe(32)
        env = os.environ
        self._values["GHCR_DOCKERCONFIG"] = m.ghcr_dockerconfig(
            env.get("SOVEREIGN_E2E_GHCR_USERNAME") or env.get("GITHUB_ACTOR"),
            env.get("SOVEREIGN_E2E_GHCR_TOKEN") or env.get("GITHUB_TOKEN"))
        for spec in action.containers:
            labels = self.runtime.labels_of(spec.name)
            if labels is not None:
                raise ProviderError(
                    f"a container named {spec.name} exists already (labels {labels}); it "
                    "was not made by this run and is left alone: remove it or pass "
                    "--kind-cluster with another name")
            env = {k: resolve(v, self._values) for k, v in spec.env.items()}
            self._containers[spec.name] = self.runtime.start(spec, env)
        gitea, newapi = (self._containers[s.name] for s in action.containers)
        self._values.update(GITEA_IP=gitea.ip("kind"), NEWAPI_IP=newapi.ip("kind"),
                            GITEA_URL=gitea.url(3000))
        for spec in action.containers:
            _http_ok(self._containers[spec.name].url(spec.ports[0]) + spec.health_path,
                     deadline)
        create_admin = action.commands[0]
        result = gitea.exec(create_admin.argv[1:], user=create_admin.user)
        if result.exit_code != 0:
            raise ProviderError(f"gitea admin user create exited {result.exit_code}: "
                                f"{result.output.strip()[-200:]}")
        password = _random_password(result.output)
        self._values["GITEA_ADMIN_PASSWORD"] = password
        base = self._values["GITEA_URL"]
        with httpx.Client(timeout=30) as http:
            r = http.post(f"{base}/api/v1/users/{GITEA_ADMIN}/tokens",
                          auth=(GITEA_ADMIN, password),
                          json={"name": f"sovereign-e2e-{self.cycle}",
                                "scopes": ["write:repository", "write:user",
                                           "write:organization"]})
            _check(r, "mint the Gitea token")
            self._values["GITEA_TOKEN"] = r.json()["sha1"]
            r = http.post(f"{base}/api/v1/user/repos",
                          headers={"Authorization": f"token {self._values['GITEA_TOKEN']}"},
                          json={"name": KIT_REPO, "private": True, "auto_init": False})
            _check(r, f"create the Gitea repository {KIT_REPO}")
        return (f"gitea {self._values['GITEA_IP']}, newapi {self._values['NEWAPI_IP']} on "
                "the kind network")

    def _do_container_services(self, action: Action, plan: KindPlan, deadline: float) -> str:
        return self._commands_then_waits(action, deadline)

    def _do_flux(self, action: Action, plan: KindPlan, deadline: float) -> str:
        return self._commands_then_waits(action, deadline)

    def _do_bootstrap_kit(self, action: Action, plan: KindPlan, deadline: float) -> str:
        kit_path, subpath = kit_source(self.settings)
        repo_dir = Path(action.commands[0].cwd or "")
        assemble_kit(kit_path, subpath, repo_dir)
        self._commands_then_waits(action, deadline)
        return f"{shown_path(kit_path)} pushed as {KIT_REPO} (path ./clusters/kind)"

    def _do_gateway_address(self, action: Action, plan: KindPlan, deadline: float) -> str:
        if self.settings.gateway_url:
            return f"not waited for: --gateway-url {self.settings.gateway_url} given"
        from .waits import gateway_address

        self._values["GATEWAY_ADDRESS"] = gateway_address(self._kube, *GATEWAY, deadline)
        return f"Gateway address {self._values['GATEWAY_ADDRESS']}"

    # ---- running commands ----------------------------------------------------------------
    def _commands_then_waits(self, action: Action, deadline: float) -> str:
        from . import waits as w

        for cmd in action.commands:
            self._run(cmd, deadline)
        notes = []
        for wait in action.waits:
            if wait.kind == "crd":
                notes.append(w.wait_crd(self._kube, wait.target, deadline))
            elif wait.kind == "workload":
                notes.append(w.wait_workload(self._kube, wait.target, deadline))
            elif wait.kind == "nodes":
                notes.append(w.wait_nodes(self._kube, deadline))
        return "; ".join(notes)

    def _run(self, cmd: Command, deadline: float, *, capture: bool = False) -> str:
        tools = self._tools
        assert tools is not None
        argv = [resolve(a, self._values) for a in cmd.argv]
        exe = {"kind": tools.kind, "helm": tools.helm, "git": tools.git,
               "kubectl": tools.kubectl or getattr(self._kind, "kubectl_path", None)}[cmd.tool]
        if exe is None:
            raise ProviderError("kubectl is not on PATH and pytest-kind has not fetched it")
        if cmd.tool == "kubectl" and self._kind is not None and tools.kubectl is None:
            self._kind.ensure_kubectl()
        env = {**os.environ, GIT_TOKEN_ENV: self._values.get("GITEA_TOKEN", "")}
        stdin = resolve(cmd.stdin, self._values) if cmd.stdin else None
        self.commands.append(argv)
        left = max(1.0, deadline - time.monotonic())
        proc = subprocess.run([str(exe), *argv[1:]], input=stdin, capture_output=True,
                              text=True, cwd=cmd.cwd, env=env, timeout=left, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [""]
            raise ProviderError(f"`{' '.join(argv[:6])} ...` exited {proc.returncode}: "
                                f"{self._scrub(last[0])[:240]}")
        return proc.stdout

    def _scrub(self, text: str) -> str:
        for key in SECRET_VALUES:
            if self._values.get(key):
                text = text.replace(self._values[key], f"[redacted:{key}]")
        return text

    # ---- teardown ------------------------------------------------------------------------
    def destroy(self) -> None:
        if self.settings.keep_cluster:
            if self._kind is not None or self._containers:
                print(self.keep_message(), flush=True)
            return
        for problem in self.teardown():
            log.warning("teardown: %s", problem)

    def keep_message(self) -> str:
        names = ", ".join(self._containers) or "none"
        return (f"sovereign-e2e: --keep-cluster: kept kind cluster {self.cluster} "
                f"(kubectl --kubeconfig {self.work_dir / 'kubeconfig'} get nodes) and "
                f"containers {names}; delete with `kind delete cluster --name "
                f"{self.cluster}` and `docker rm -f <container>`")

    def teardown(self) -> list[str]:
        """Containers, then the cluster, each only when its marker names this run.
        Returns the problems (never raises)."""
        problems: list[str] = []
        for name in reversed(list(self._containers)):
            try:
                labels = self.runtime.labels_of(name) or {}
                if labels.get(m.MARKER_LABEL) == self.cluster:
                    self.runtime.remove(name)
                else:
                    problems.append(f"container {name} lacks the marker label; left alone")
            except Exception as e:  # teardown goes on with the rest
                problems.append(f"remove container {name}: {e}")
        self._containers.clear()
        if self._cluster_created and self._kind is not None:
            verdict = self._marker_verdict()
            if verdict is None:
                try:
                    self._kind.delete()
                    shutil.rmtree(self.work_dir, ignore_errors=True)  # its kubeconfig too
                except (subprocess.CalledProcessError, OSError) as e:
                    problems.append(f"kind delete cluster {self.cluster}: {e}")
            else:
                problems.append(verdict)
        self._cluster_created = False
        if self._kube is not None:
            self._kube.close()
            self._kube = None
        return problems

    def _marker_verdict(self) -> str | None:
        """None when the cluster may be deleted: its marker names this run, or it has no
        marker yet because this run's create stopped before writing one."""
        if self._kube is None:
            return None
        from ...kube import gvr

        try:
            cm = self._kube.try_get(gvr.CONFIGMAPS, m.MARKER_CONFIGMAP[1],
                                    m.MARKER_CONFIGMAP[0])
        except E2EError:
            return None  # the API is gone with the half-made cluster
        if cm is None:
            return None
        data = cm.get("data") or {}
        if data.get("cluster") == self.cluster and data.get("cycle") == self.cycle:
            return None
        return (f"cluster {self.cluster} carries another run's marker "
                f"({data.get('cycle')}); left alone")


def _random_password(output: str) -> str:
    # gitea admin user create --random-password prints: generated random password is 'X'
    for line in output.splitlines():
        if "random password is" in line:
            return line.rsplit("'", 2)[-2]
    raise ProviderError("gitea admin user create did not print the generated password")


def _check(response: Any, what: str) -> None:
    if response.status_code >= 300:
        raise ProviderError(f"could not {what}: HTTP {response.status_code} "
                            f"{response.text[:160]}")


def _http_ok(url: str, deadline: float) -> None:
    import httpx

    delay, last = 0.2, ""
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return
            last = "HTTP 5xx"
        except httpx.HTTPError as e:
            last = type(e).__name__
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 3.0)
    raise ProviderError(f"timed out waiting for {url}: {last}")


__all__ = ["ConfigError", "KindProvider", "cluster_name"]
