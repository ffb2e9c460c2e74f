"""The emulated kubelet: runs the pods bound to the node and writes what a kubelet writes.

Per pod, in the kubelet's order: mount volumes (a missing Secret/ConfigMap keeps the pod
ContainerCreating with FailedMount events), create the sandbox (pod IP), run init
containers to completion, then each container: pull the image (it must exist in the app
model; else ErrImagePull -> ImagePullBackOff), resolve env (CreateContainerConfigError on a
missing Secret or key), run the entrypoint model (removing a mount point fails with the
image's own log line), start the app on loopback and register podIP:port. A process whose
working set (the app model's `memory`) exceeds the container's memory limit is killed by
the kernel's OOM killer a moment after start (exit 137, reason OOMKilled). Exits restart
per restartPolicy with the crash back-off (10s doubling to 5m -> CrashLoopBackOff). Probes
are real HTTP requests on timers. Durations are scaled by the emulator's time_scale;
messages keep the real numbers. Pod status, Events and logs are written as a kubelet
writes them (platform-facts §4).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp

from .. import apps as apps_package
from ..appmodel import DEFAULT_APPS_FILE, DEFAULT_PORT, AppModel, ImageModel, parse_image
from ..apps import APP_FACTORIES, AppContext, AppFactory
from ..apps.generic import generic_app
from ..kubeapi import errors
from ..kubeapi.quantity import quantity
from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent
from .backoff import Backoff, go_duration
from .base import Controller, Key
from .containers import ContainerRun, PodRun, serve_app
from .envresolve import ConfigError, resolve_env, shell_expand
from .events import NODE_NAME, EventRecorder, container_field_path, object_ref
from .execprobe import Container as ExecContainer
from .grpcprobe import serve_health
from .nodes import NODE_IP
from .podstatus import build_status
from .probes import ProbeSpec, run_probe
from .volumes import mount_errors, mounted_file

log = logging.getLogger("sovereign.emulator.kubelet")
Obj = dict[str, Any]

CONFIG_RETRY = 10.0  # pod worker back-off after a sync error (kubelet backOffPeriod)
MOUNT_RETRY_INITIAL, MOUNT_RETRY_MAX = 0.5, 122.0  # operation executor exponential back-off
MOUNT_TIMEOUT = 123.0  # WaitForAttachAndMount: 2m3s
# Seconds a process takes to grow to its working set after start: when that is above the
# container's memory limit, the cgroup's OOM killer ends it then.
OOM_AFTER = 3.0
PROBE_FIELDS = (("Startup", "startupProbe"), ("Liveness", "livenessProbe"),
                ("Readiness", "readinessProbe"))


APP_MODULES = ("stubs.newapi.emulated",)  # registered apps that live outside stubs.emulator.apps


def load_app_plugins() -> None:
    """Import every app package so its @register_app runs (as an image brings its binary)."""
    names = [f"{apps_package.__name__}.{m.name}"
             for m in pkgutil.iter_modules(apps_package.__path__)]
    for name in [*names, *APP_MODULES]:
        try:
            importlib.import_module(name)
        except ImportError as e:
            log.warning("app module %s not loaded: %s", name, e)


def pod_label(pod: Obj) -> str:
    """format.Pod: `<name>_<ns>(<uid>)`."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta['uid']})"


class Kubelet(Controller):
    name = "kubelet"

    def __init__(self, app_model: AppModel | None = None,
                 app_model_path: Path | None = None) -> None:
        super().__init__()
        self._app_model = app_model
        self._app_model_path = app_model_path or DEFAULT_APPS_FILE
        self.app_model = AppModel()
        self.runs: dict[str, PodRun] = {}  # pod uid -> runtime
        self.by_key: dict[tuple[str, str], str] = {}  # (ns, name) -> uid
        self.images_present: set[str] = set()
        # resourceVersion of our own last status write per pod: that event needs no sync.
        self._written: dict[tuple[str, str], str] = {}
        self.session: aiohttp.ClientSession | None = None
        self._bg: set[asyncio.Task[Any]] = set()
        self.recorder: EventRecorder | None = None
        self.crash_backoff = Backoff(10.0, 300.0, 1.0)
        self.pull_backoff = Backoff(10.0, 300.0, 1.0)

    # ---- setup ------------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        assert self.emulator is not None
        return self.emulator.time_scale

    @property
    def pods_rt(self) -> ResourceType:
        return self.rt("", "v1", "pods")

    async def setup(self) -> None:
        self.app_model = self._app_model or AppModel.load(self._app_model_path)
        load_app_plugins()
        self.crash_backoff = Backoff(10.0, 300.0, self.scale)
        self.pull_backoff = Backoff(10.0, 300.0, self.scale)
        self.recorder = EventRecorder(self.store, "kubelet", NODE_NAME)
        self.session = aiohttp.ClientSession()

    def watches(self) -> Iterable[ResourceType]:
        return (self.pods_rt,)

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        pod_key = (meta["namespace"], meta["name"])
        if event.type == "MODIFIED" and self._written.get(pod_key) == meta["resourceVersion"]:
            return
        if event.type == "DELETED" or (event.obj.get("spec") or {}).get("nodeName") == NODE_NAME:
            yield ("Pod", *pod_key)

    async def stop(self) -> None:
        await super().stop()
        for run in list(self.runs.values()):
            await self.teardown(run, record=False)
        for task in list(self._bg):
            task.cancel()
        if self.session is not None:
            await self.session.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)

    def event(self, pod: Obj, type_: str, reason: str, message: str,
              container: str | None = None, init: bool = False) -> None:
        assert self.recorder is not None
        path = container_field_path(container, init) if container else ""
        self.recorder.record(object_ref(pod, path), type_, reason, message)

    # ---- reconcile --------------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        _, ns, name = key
        pod = self.store.try_get(self.pods_rt, ns, name)
        old_uid = self.by_key.get((ns, name))
        if old_uid and (pod is None or pod["metadata"]["uid"] != old_uid):
            await self.teardown(self.runs[old_uid])
        if pod is None or (pod.get("spec") or {}).get("nodeName") != NODE_NAME:
            return None
        uid = pod["metadata"]["uid"]
        run = self.runs.get(uid)
        if run is None:
            spec = pod.get("spec") or {}
            containers = {c["name"]: ContainerRun(c["name"], True, c.get("image", ""))
                          for c in spec.get("initContainers") or []}
            containers.update({c["name"]: ContainerRun(c["name"], False, c.get("image", ""))
                               for c in spec.get("containers") or []})
            run = PodRun(uid, ns, name, containers)
            self.runs[uid] = run
            self.by_key[(ns, name)] = uid
        if run.finished:
            return None
        delay = await self.sync(pod, run)
        self.write_status(pod, run)
        return delay

    async def sync(self, pod: Obj, run: PodRun) -> float | None:
        spec = pod.get("spec") or {}
        if not run.volumes_ok:
            delay = self.mount(pod, run)
            if delay is not None:
                return delay
        if run.ip is None:
            assert self.emulator is not None
            run.ip = self.emulator.network.allocate_ip()
        policy = spec.get("restartPolicy", "Always")
        delays: list[float] = []
        for c in spec.get("initContainers") or []:
            cr = run.containers[c["name"]]
            if cr.terminated and cr.state["terminated"]["exitCode"] == 0:
                continue
            init_policy = "Never" if policy == "Never" else "OnFailure"
            d = await self.step(pod, run, c, cr, init_policy)
            return d
        for c in spec.get("containers") or []:
            d = await self.step(pod, run, c, run.containers[c["name"]], policy)
            if d is not None:
                delays.append(d)
        return min(delays) if delays else None

    def mount(self, pod: Obj, run: PodRun) -> float | None:
        """SetUp of every volume; the retry delay while one fails, else None."""
        errs = mount_errors(self.store, pod)
        if not errs:
            run.volumes_ok = True
            return None
        vnow = self.crash_backoff.now()
        if run.mount_attempts == 0:
            run.mount_started = vnow
            run.mount_timeout_reported = vnow
        for vol, err in errs:
            self.event(pod, "Warning", "FailedMount",
                       f'MountVolume.SetUp failed for volume "{vol}" : {err}')
        if vnow - run.mount_timeout_reported >= MOUNT_TIMEOUT:
            run.mount_timeout_reported = vnow
            unmounted = " ".join(v for v, _ in errs)
            every = " ".join(v.get("name", "") for v in pod["spec"].get("volumes") or [])
            self.event(pod, "Warning", "FailedMount",
                       f"Unable to attach or mount volumes: unmounted volumes=[{unmounted}], "
                       f"unattached volumes=[{every}]: timed out waiting for the condition")
        delay = min(MOUNT_RETRY_INITIAL * 2 ** run.mount_attempts, MOUNT_RETRY_MAX)
        run.mount_attempts += 1
        return delay * self.scale

    # ---- one container ----------------------------------------------------------------------
    async def step(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun,
                   policy: str) -> float | None:
        """Move one container a step; returns seconds until it needs another look."""
        if cr.running:
            return None
        restarting = cr.finished_at is not None and (
            cr.terminated or cr.state.get("waiting", {}).get("reason") == "CrashLoopBackOff")
        if restarting:
            last = cr.state.get("terminated") or cr.last_state.get("terminated") or {}
            code = int(last.get("exitCode", 0))
            if not (policy == "Always" or (policy == "OnFailure" and code != 0)):
                return None
            key = f"{run.uid}/{cr.name}"
            assert cr.finished_at is not None
            if self.crash_backoff.in_backoff_since(key, cr.finished_at):
                self.crash_loop(pod, cr, key)
                return self.crash_backoff.remaining(key, cr.finished_at) + 0.005
            self.crash_backoff.next(key, cr.finished_at)
            cr.last_state = {"terminated": last}
            cr.restart_count += 1
        return await self.start_container(pod, run, c, cr)

    def crash_loop(self, pod: Obj, cr: ContainerRun, key: str) -> None:
        d = go_duration(self.crash_backoff.get(key))
        if cr.terminated:
            cr.last_state = {"terminated": cr.state["terminated"]}
        cr.state = {"waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {d} restarting failed container={cr.name} "
                       f"pod={pod_label(pod)}"}}
        if cr.backoff_reported != cr.finished_at:
            cr.backoff_reported = cr.finished_at
            self.event(pod, "Warning", "BackOff",
                       f"Back-off restarting failed container {cr.name} in pod {pod_label(pod)}",
                       cr.name, cr.init)

    def pull(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun) -> tuple[
            ImageModel | None, float | None]:
        """EnsureImageExists: (the image's model, None) or (None, retry delay)."""
        image = c.get("image", "")
        ref = parse_image(image)
        model = self.app_model.find(image)
        policy = c.get("imagePullPolicy", "IfNotPresent")
        name, init = cr.name, cr.init
        present = model is not None and str(ref) in self.images_present
        if policy == "Never" and not present:
            msg = f'Container image "{image}" is not present with pull policy of Never'
            cr.state = {"waiting": {"reason": "ErrImageNeverPull", "message": msg}}
            self.event(pod, "Warning", "ErrImageNeverPull", msg, name, init)
            return None, CONFIG_RETRY * self.scale
        if present and policy != "Always":
            self.event(pod, "Normal", "Pulled",
                       f'Container image "{image}" already present on machine', name, init)
        else:
            key = f"{run.uid}_{image}"
            vnow = self.pull_backoff.now()
            if self.pull_backoff.in_backoff_since_update(key, vnow):
                msg = f'Back-off pulling image "{image}"'
                cr.state = {"waiting": {"reason": "ImagePullBackOff", "message": msg}}
                self.event(pod, "Normal", "BackOff", msg, name, init)
                self.event(pod, "Warning", "Failed", "Error: ImagePullBackOff", name, init)
                return None, self.pull_backoff.remaining_since_update(key) + 0.005
            self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', name, init)
            if model is None:
                err = (f'rpc error: code = NotFound desc = failed to pull and unpack image '
                       f'"{ref}": failed to resolve reference "{ref}": {ref}: not found')
                self.pull_backoff.next(key, vnow)
                cr.state = {"waiting": {"reason": "ErrImagePull", "message": err}}
                self.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {err}',
                           name, init)
                self.event(pod, "Warning", "Failed", "Error: ErrImagePull", name, init)
                return None, 0.0
            size = 20_000_000 + int(hashlib.sha256(str(ref).encode()).hexdigest()[:6], 16)
            self.event(pod, "Normal", "Pulled",
                       f'Successfully pulled image "{image}" in 1.021s (1.021s including '
                       f"waiting). Image size: {size} bytes.", name, init)
            self.images_present.add(str(ref))
        digest = hashlib.sha256(str(ref).encode()).hexdigest()
        cr.image_id = f"{ref.repository}@sha256:{digest}"
        return model, None

    async def start_container(self, pod: Obj, run: PodRun, c: Obj,
                              cr: ContainerRun) -> float | None:
        model, delay = self.pull(pod, run, c, cr)
        if model is None:
            return delay
        try:
            env = resolve_env(self.store, pod, c, model.env_map())
        except ConfigError as e:
            cr.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
            self.event(pod, "Warning", "Failed", f"Error: {e}", cr.name, cr.init)
            return CONFIG_RETRY * self.scale
        self.event(pod, "Normal", "Created", f"Created container {cr.name}", cr.name, cr.init)
        self.event(pod, "Normal", "Started", f"Started container {cr.name}", cr.name, cr.init)
        cr.mark_running()
        cr.started = False
        cr.ready = False
        ns, name = run.namespace, run.name
        for line in model.entrypoint.log:
            self.store.append_log(ns, name, cr.name, shell_expand(line, env))
        mounts = {str(m.get("mountPath", "")).rstrip("/") for m in c.get("volumeMounts") or []}
        for target in model.entrypoint.removes:
            path = shell_expand(target, env).rstrip("/")
            if path and path in mounts:
                self.store.append_log(ns, name, cr.name,
                                      f"rm: cannot remove '{path}': Read-only file system")
                self.exited(run, cr, 1, "Error")
                return 0.0
        factory = self.factory(model)
        assert self.emulator is not None and run.ip is not None
        gen = cr.generation
        ctx = AppContext(self.emulator, ns, name, cr.name,
                         on_exit=lambda code, reason: self.on_exit(run.uid, cr.name, gen,
                                                                   code, reason))
        try:
            runner, url = await serve_app(factory(env, ctx))
        except Exception as e:  # a process that dies at start
            self.store.append_log(ns, name, cr.name, f"fatal: {type(e).__name__}")
            log.warning("app of %s/%s[%s] failed to start: %s", ns, name, cr.name,
                        type(e).__name__)
            if cr.running and cr.generation == gen:
                self.exited(run, cr, 1, "Error")
            return 0.0
        if not (cr.running and cr.generation == gen):
            await runner.cleanup()  # exited while starting
            return 0.0
        port = model.port or next((int(p["containerPort"]) for p in c.get("ports") or []),
                                  DEFAULT_PORT)
        cr.runner, cr.port, cr.url = runner, port, url
        run.routes[port] = url
        self.emulator.network.register(run.ip, port, url)
        if model.grpc is not None:  # the process's grpc.health.v1 server
            cr.grpc_server, grpc_url = await serve_health(model.grpc.services)
            cr.grpc_port = model.grpc.port
            run.routes[model.grpc.port] = grpc_url
            self.emulator.network.register(run.ip, model.grpc.port, grpc_url)
        if cr.init and model.app == "generic":
            self.on_exit(run.uid, cr.name, gen, 0, "Completed")  # a generic init step is done
            return None
        self.watch_memory(run, c, cr, model)
        self.start_probes(pod, run, c, cr)
        return None

    def watch_memory(self, run: PodRun, c: Obj, cr: ContainerRun, model: ImageModel) -> None:
        """The memory cgroup: a limit below what the process grows to gets it OOM-killed
        (the runtime reports exit 137, reason OOMKilled; the restart policy does the rest)."""
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if model.memory is None or limit is None or quantity(limit) >= model.memory:
            return
        gen = cr.generation
        loop = asyncio.get_running_loop()
        # Kept with the probe timers: a container that stops first cancels it.
        cr.probe_timers["memory"] = loop.call_later(
            OOM_AFTER * self.scale,
            lambda: self.on_exit(run.uid, cr.name, gen, 137, "OOMKilled"))

    def factory(self, model: ImageModel) -> AppFactory:
        if model.app != "generic" and model.app in APP_FACTORIES:
            return APP_FACTORIES[model.app]
        if model.app != "generic":
            log.warning("no app registered as %r; serving it as a generic app", model.app)
        return generic_app(model.paths)

    # ---- exits ------------------------------------------------------------------------------
    def exited(self, run: PodRun, cr: ContainerRun, code: int, reason: str) -> None:
        cr.mark_terminated(code, reason, self.crash_backoff.now())
        self.enqueue(("Pod", run.namespace, run.name))

    def on_exit(self, uid: str, container: str, gen: int, code: int, reason: str) -> None:
        """ctx.exit from an app: stop its server, then let a sync apply the restart policy."""
        self._spawn(self._exit(uid, container, gen, code, reason))

    async def _exit(self, uid: str, container: str, gen: int, code: int, reason: str) -> None:
        run = self.runs.get(uid)
        if run is None:
            return
        cr = run.containers[container]
        if cr.generation != gen or not cr.running:
            return
        cr.mark_terminated(code, reason, self.crash_backoff.now())
        await self.stop_container(run, cr)
        self.enqueue(("Pod", run.namespace, run.name))

    async def stop_container(self, run: PodRun, cr: ContainerRun) -> None:
        assert self.emulator is not None
        cr.cancel_probes()
        if cr.port is not None or cr.grpc_port is not None:
            run.routes.pop(cr.port or -1, None)
            run.routes.pop(cr.grpc_port or -1, None)
            if run.ip:
                self.emulator.network.unregister(run.ip)
                for port, url in run.routes.items():
                    self.emulator.network.register(run.ip, port, url)
        runner, cr.runner, cr.port, cr.url = cr.runner, None, None, None
        grpc_server, cr.grpc_server, cr.grpc_port = cr.grpc_server, None, None
        if grpc_server is not None:
            await grpc_server.stop(None)
        if runner is not None:
            try:
                await runner.cleanup()
            except Exception:  # the app's own cleanup failing must not wedge the kubelet
                log.exception("stopping container %s of %s/%s", cr.name, run.namespace,
                              run.name)

    async def teardown(self, run: PodRun, record: bool = True) -> None:
        """The pod is gone (deleted or replaced): stop everything it ran."""
        self.runs.pop(run.uid, None)
        if self.by_key.get((run.namespace, run.name)) == run.uid:
            del self.by_key[(run.namespace, run.name)]
            self._written.pop((run.namespace, run.name), None)
        for cr in run.containers.values():
            cr.generation += 1
            await self.stop_container(run, cr)
        if run.ip and self.emulator is not None:
            self.emulator.network.unregister(run.ip)
        self.crash_backoff.forget(run.uid)
        self.pull_backoff.forget(run.uid)
        if self.recorder is not None:
            self.recorder.forget(run.uid)

    # ---- probes -----------------------------------------------------------------------------
    def start_probes(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun) -> None:
        specs = {kind: ProbeSpec.parse(kind, c[f]) for kind, f in PROBE_FIELDS if c.get(f)}
        if "Startup" in specs:
            self.schedule_probe(pod, run, c, cr, specs["Startup"], specs, first=True)
            return
        self.started(pod, run, c, cr, specs)

    def started(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun,
                specs: dict[str, ProbeSpec]) -> None:
        cr.started = True
        if "Readiness" not in specs:
            cr.ready = True
        for kind in ("Liveness", "Readiness"):
            if kind in specs:
                self.schedule_probe(pod, run, c, cr, specs[kind], specs, first=True)
        self.enqueue(("Pod", run.namespace, run.name))

    def schedule_probe(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun, spec: ProbeSpec,
                       specs: dict[str, ProbeSpec], first: bool = False) -> None:
        delay = (spec.initial_delay if first else spec.period) * self.scale
        gen = cr.generation
        loop = asyncio.get_running_loop()
        cr.probe_timers[spec.kind] = loop.call_later(
            delay, lambda: self._spawn(self.probe(pod, run, c, cr, spec, specs, gen)))

    async def probe(self, pod: Obj, run: PodRun, c: Obj, cr: ContainerRun, spec: ProbeSpec,
                    specs: dict[str, ProbeSpec], gen: int) -> None:
        if cr.generation != gen or not cr.running or run.ip is None or self.session is None:
            return
        assert self.emulator is not None
        model = self.app_model.find(cr.image)
        exec_in = ExecContainer(
            model.commands if model else frozenset(), run.ip, self.emulator.network,
            self.session, lambda path: mounted_file(self.store, pod, c, path),
            exec_id_seed=f"{cr.container_id}/{cr.generation}")
        # The timeout is not scaled: it bounds how long a real app takes to answer, which
        # the emulator's time scale does not shorten. (Scaled, a busy machine's stalls
        # alone made probes of healthy apps time out and pods restart.)
        result, output = await run_probe(spec, c, run.ip, self.emulator.network,
                                         self.session, spec.timeout, exec_in)
        if cr.generation != gen or not cr.running:
            return
        if result == "unknown":
            # prober.go: an errored probe is reported and its result thrown away.
            self.event(pod, "Warning", "Unhealthy",
                       f"{spec.kind} probe errored and resulted in unknown state: {output}",
                       cr.name, cr.init)
            self.schedule_probe(pod, run, c, cr, spec, specs)
            return
        ok = result == "success"
        good, bad = cr.probe_counts.get(spec.kind, (0, 0))
        good, bad = (good + 1, 0) if ok else (0, bad + 1)
        cr.probe_counts[spec.kind] = (good, bad)
        if not ok:
            self.event(pod, "Warning", "Unhealthy", f"{spec.kind} probe failed: {output}",
                       cr.name, cr.init)
        key = ("Pod", run.namespace, run.name)
        if spec.kind in ("Liveness", "Startup") and bad >= spec.failure_threshold:
            what = "liveness" if spec.kind == "Liveness" else "startup"
            self.event(pod, "Normal", "Killing",
                       f"Container {cr.name} failed {what} probe, will be restarted",
                       cr.name, cr.init)
            cr.mark_terminated(137, "Error", self.crash_backoff.now())
            await self.stop_container(run, cr)
            self.enqueue(key)
            return
        if spec.kind == "Startup" and ok and good >= spec.success_threshold:
            cr.probe_timers.pop("Startup", None)
            self.started(pod, run, c, cr, specs)
            return
        if spec.kind == "Readiness":
            if ok and good >= spec.success_threshold and not cr.ready:
                cr.ready = True
                self.enqueue(key)
            elif not ok and not cr.ready and good == 0 and bad == 1:
                pass  # never ready yet: nothing changes
            elif not ok and bad >= spec.failure_threshold and cr.ready:
                cr.ready = False
                self.enqueue(key)
        self.schedule_probe(pod, run, c, cr, spec, specs)

    # ---- status -----------------------------------------------------------------------------
    def write_status(self, pod: Obj, run: PodRun) -> None:
        status = build_status(pod, run, NODE_IP)
        if status["phase"] in ("Succeeded", "Failed"):
            run.finished = True
            if run.ip and self.emulator is not None:
                self.emulator.network.unregister(run.ip)
            for cr in run.containers.values():
                cr.cancel_probes()
        meta = pod["metadata"]

        def put(current: Obj) -> Obj:
            if current["metadata"].get("uid") != meta["uid"]:
                return current
            current["status"] = status
            return current

        try:
            written = self.store.patch(self.pods_rt, meta["namespace"], meta["name"], put,
                                       subresource="status")
            self._written[(meta["namespace"], meta["name"])] = \
                written["metadata"]["resourceVersion"]
        except errors.ApiError:
            pass  # deleted meanwhile; the DELETED event tears the run down
