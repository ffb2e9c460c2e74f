"""Transient errors are not verdicts: the clients retry, watches resume, acting calls are
not repeated blind, every call has a timeout, and a target that stays unreachable ends the
step with a net.* Finding, never one that blames the platform."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from e2e import deadline
from e2e.clients.http import PlatformHTTP
from e2e.config import Settings
from e2e.errors import ClusterUnreachable, HTTPCallError, KubeAPIError, is_reachability_error
from e2e.kube import gvr
from e2e.kube.client import KubeClient, load_api_client
from e2e.kube.informer import Informers
from e2e.report.model import StepStatus
from stubs.emulator.runtime import Emulator, EmulatorInfo, EmulatorThread
from tests.chaos.journeys import start_emulator, walk_with_chaos
from tests.chaos.proxy import BLACKHOLE, ChaosProfile, ChaosProxy, Fate, Plan

CLEAN = ChaosProfile()


@pytest.fixture(scope="module")
def api() -> Iterator[EmulatorInfo]:
    thread = EmulatorThread(Emulator())
    yield thread.start()
    thread.stop()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _kube_via(proxy: ChaosProxy, info: EmulatorInfo, tmp: Path, **kw: float) -> KubeClient:
    proxied = dataclasses.replace(info, api_url=f"http://{proxy.url_host}")
    return KubeClient(load_api_client(proxied.write_kubeconfig(tmp / "kc"), None), **kw)


def _only(n_faulty: set[int], plan: Plan) -> object:
    return lambda n: plan if n in n_faulty else Plan(Fate.CLEAN, 0.0)


# ---- Kubernetes API -------------------------------------------------------------------------
def test_kube_reads_retry_resets(api: EmulatorInfo, tmp_path: Path) -> None:
    profile = ChaosProfile(reset_at_accept=1.0, max_faults=3)
    with ChaosProxy(_port(api.api_url), profile, seed=1) as proxy:
        kube = _kube_via(proxy, api, tmp_path)
        version = kube.version()
        kube.close()
    assert version["gitVersion"] and len(proxy.log.faults) == 3


def test_a_kube_create_whose_answer_is_lost_is_not_sent_again(api: EmulatorInfo,
                                                              tmp_path: Path) -> None:
    """The create reached the server (the reset came mid-answer): a resend would meet 409
    AlreadyExists; the client reports the lost answer instead, and the object is there."""
    lost = Plan(Fate.RESET_MIDWAY, 0.0, after_bytes=1)
    with ChaosProxy(_port(api.api_url), CLEAN, seed=0,
                    schedule=_only({0}, lost)) as proxy:  # type: ignore[arg-type]
        kube = _kube_via(proxy, api, tmp_path)
        body = {"metadata": {"name": "once"}}
        with pytest.raises(ClusterUnreachable) as err:
            kube.create(gvr.NAMESPACES, body)
        assert is_reachability_error(err.value)
        assert kube.get(gvr.NAMESPACES, "once")["metadata"]["name"] == "once"
        kube.close()


class _Flaky(BaseHTTPRequestHandler):
    """429 with Retry-After: 1 for the first request of each path, then 200."""

    seen: set[str] = set()
    lock = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            first = self.path not in self.seen
            self.seen.add(self.path)
        body = b'{"message":"slow down"}' if first else b'{"gitVersion":"v1.31.0"}'
        self.send_response(429 if first else 200)
        if first:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    _Flaky.seen = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_retry_after_is_honoured_by_both_clients(flaky: str, tmp_path: Path) -> None:
    info = EmulatorInfo(api_url=flaky, token="t", fqdn="sovereign.test")
    kube = KubeClient(load_api_client(info.write_kubeconfig(tmp_path / "kc"), None))
    started = time.monotonic()
    assert kube.version()["gitVersion"] == "v1.31.0"
    assert time.monotonic() - started >= 1.0
    kube.close()
    http = PlatformHTTP("sovereign.test", flaky)
    started = time.monotonic()
    assert http.call("GET", "gitea", "/api/v1/version").status == 200
    assert time.monotonic() - started >= 1.0
    http.close()


def test_no_retry_waits_past_the_step_deadline(flaky: str, tmp_path: Path) -> None:
    info = EmulatorInfo(api_url=flaky, token="t", fqdn="sovereign.test")
    kube = KubeClient(load_api_client(info.write_kubeconfig(tmp_path / "kc"), None))
    http = PlatformHTTP("sovereign.test", flaky)
    started = time.monotonic()
    with deadline.deadline(time.monotonic() + 0.3):
        with pytest.raises(KubeAPIError) as err:
            kube.version()
        assert err.value.status == 429
        with pytest.raises(HTTPCallError, match="429"):  # Retry-After 1 s: past the deadline
            http.call("GET", "gitea", "/x")
    assert time.monotonic() - started < 0.9
    kube.close()
    http.close()


# ---- watches --------------------------------------------------------------------------------
def test_cut_watches_resume_from_their_resource_version(api: EmulatorInfo,
                                                        tmp_path: Path) -> None:
    cuts = ChaosProfile(cut=1.0, cut_after=(0.2, 0.4), max_faults=20)
    direct = KubeClient(load_api_client(api.write_kubeconfig(tmp_path / "direct"), None))
    direct.create(gvr.NAMESPACES, {"metadata": {"name": "cuts"}})
    with ChaosProxy(_port(api.api_url), cuts, seed=3) as proxy:
        kube = _kube_via(proxy, api, tmp_path)
        informers = Informers(kube)
        inf = informers(gvr.CONFIGMAPS)
        for i in range(8):
            direct.create(gvr.CONFIGMAPS, {"metadata": {"name": f"cm-{i}"}}, "cuts")
            time.sleep(0.15)
        end = time.monotonic() + 10
        while time.monotonic() < end and len(inf.items(
                lambda o: o["metadata"]["namespace"] == "cuts")) < 8:
            time.sleep(0.05)
        names = {o["metadata"]["name"] for o in inf.items(
            lambda o: o["metadata"]["namespace"] == "cuts")}
        informers.stop()
        kube.close()
    direct.close()
    assert names == {f"cm-{i}" for i in range(8)}
    assert proxy.log.count(Fate.CUT) >= 2
    assert inf.resumes >= 2 and inf.relists == 1  # resumed, never listed again


def test_a_half_open_watch_ends_by_its_idle_timeout(api: EmulatorInfo, tmp_path: Path
                                                     ) -> None:
    # Headers and a few events pass, then the connection goes silent and stays open.
    silent = Plan(Fate.STALL, 0.0, after_bytes=400)
    with ChaosProxy(_port(api.api_url), CLEAN, seed=0,
                    schedule=lambda n: silent) as proxy:
        kube = _kube_via(proxy, api, tmp_path)
        started = time.monotonic()
        with pytest.raises(ClusterUnreachable):
            for _ in kube.watch_lines(gvr.NAMESPACES, "0", timeout_seconds=30,
                                      idle_timeout=0.5):
                pass
        assert time.monotonic() - started < 5
        kube.close()


# ---- the runner -----------------------------------------------------------------------------
def test_an_unreachable_api_ends_the_step_with_a_net_finding(tmp_path: Path) -> None:
    emulator = start_emulator()
    try:
        run = walk_with_chaos(emulator, 0, kube=BLACKHOLE, gateway=CLEAN, report_dir=tmp_path,
                              settings=Settings(report_dir=tmp_path,
                                                step_timeouts={"01-cluster-reachable": 3}))
    finally:
        emulator.stop()
    ff = run.report.first_failure
    assert ff is not None and ff.step == "01-cluster-reachable"
    assert ff.status is StepStatus.FAIL and ff.code == "net.api-unreachable"
    assert run.seconds < 20, f"the runner took {run.seconds:.0f}s"


def test_an_unreachable_gateway_ends_the_step_with_a_net_finding(tmp_path: Path) -> None:
    emulator = start_emulator()
    try:
        run = walk_with_chaos(emulator, 0, kube=CLEAN, gateway=BLACKHOLE, report_dir=tmp_path,
                              settings=Settings(report_dir=tmp_path,
                                                step_timeouts={"07-gitea-reachable": 3}))
    finally:
        emulator.stop()
    ff = run.report.first_failure
    assert ff is not None and ff.step == "07-gitea-reachable"
    assert ff.status is StepStatus.FAIL and ff.code == "net.gateway-unreachable"
    assert not [f for f in run.report.findings if not f.code.startswith("net.")]
    # Bounded: each diagnoser that needs the gateway gets 10 s before it is skipped.
    assert run.seconds < 60, f"the runner took {run.seconds:.0f}s"
