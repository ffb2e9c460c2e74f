"""What the harness leaves behind: reports and kubeconfigs 0600 in directories it creates
0700; no secret in any process's argv during a run; every server it starts listens on
127.0.0.1 only."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import yaml

from e2e.kube import gvr
from e2e.kube.client import KubeClient, load_api_client
from e2e.redact import Redactor
from e2e.report.model import CycleReport, StepResult, StepStatus, Target
from e2e.report.store import ReportStore
from stubs.emulator.assemble import build_emulator
from stubs.emulator.runtime import EmulatorInfo, EmulatorThread

REPO = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _report(cycle: str) -> CycleReport:
    step = StepResult(id="01-cluster-reachable", number=1, title="t", status=StepStatus.PENDING)
    return CycleReport(cycle=cycle, target=Target(provider="emulated", fqdn="sovereign.test"),
                       started_at="2026-01-01T00:00:00Z", steps=[step])


def test_reports_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    store = ReportStore(tmp_path / "new" / "reports")
    store.start_cycle(_report, Redactor())
    path = store.save(_report("t2"), Redactor())
    assert _mode(store.report_dir) == 0o700
    assert _mode(path) == 0o600 and _mode(store.path_for("t1")) == 0o600
    assert all(_mode(p) == 0o600 for p in store.report_dir.iterdir())  # the lock file too


def test_kubeconfigs_are_0600_in_a_0700_directory(tmp_path: Path) -> None:
    info = EmulatorInfo(api_url="https://127.0.0.1:1", token="t", fqdn="sovereign.test")
    path = info.write_kubeconfig(tmp_path / "fresh" / "kubeconfig")
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def _listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets `pid` listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            hexaddr, hexport = cols[1].split(":")
            if v6:
                addr = "::1" if hexaddr == "0" * 24 + "01000000" else f"v6:{hexaddr}"
            else:
                addr = ".".join(str(int(hexaddr[i:i + 2], 16)) for i in (6, 4, 2, 0))
            found.add((addr, int(hexport, 16)))
    return found


def test_every_emulated_server_listens_on_loopback_only() -> None:
    before = _listening(os.getpid())
    thread = EmulatorThread(build_emulator(fqdn="sovereign.test"))
    thread.start()
    try:
        # The apps start as their pods do: wait for the Sovereign to converge a little.
        end = time.monotonic() + 20
        while time.monotonic() < end and len(_listening(os.getpid()) - before) < 10:
            time.sleep(0.2)
        opened = _listening(os.getpid()) - before
    finally:
        thread.stop()
    assert len(opened) >= 10, opened  # the API server, the gateway, the apps
    assert {addr for addr, _ in opened} == {"127.0.0.1"}, opened


def _cmdlines() -> list[str]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                out.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace"))
            except OSError:
                continue
    return out


def test_no_secret_appears_in_any_argv_during_a_run(tmp_path: Path) -> None:
    """A Sovereign started by hand, the journey against it (the kubeconfig target): while
    it runs, no process on the machine has the bearer token or a platform secret in its
    command line."""
    kubeconfig = tmp_path / "kc" / "kubeconfig"
    emulator = subprocess.Popen([sys.executable, "-m", "e2e.cli", "emulator", "up",
                                 "--kubeconfig", str(kubeconfig)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    run = None
    try:
        assert emulator.stdout is not None
        ready = json.loads(emulator.stdout.readline())
        run = subprocess.Popen(
            [sys.executable, "-m", "e2e.cli", "run", "-k", "journey", "-q",
             "-p", "no:cacheprovider", str(REPO / "scenarios" / "test_journey.py"),
             "--sovereign", "kubeconfig", f"--kubeconfig={kubeconfig}",
             "--gateway-url", ready["gateway"], f"--report-dir={tmp_path / 'reports'}"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        seen: set[str] = set()  # every command line on the machine while the run runs
        scans = 0
        while run.poll() is None:
            seen.update(_cmdlines())
            scans += 1
            time.sleep(0.1)
        out = run.stdout.read().decode() if run.stdout else ""
        # The verdict is not this test's business (a starved machine can fail a probe);
        # that the journey ran and reported is.
        assert run.returncode in (0, 1), out[-2000:]
        assert "cycle t1" in out and scans >= 3
        # The secrets the run handled: the bearer token and the platform's Secrets.
        user = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]
        secrets = {user["token"]}
        kube = KubeClient(load_api_client(kubeconfig, None))
        for ns, name in (("sme", "sme-secrets"), ("gitea", "gitea-admin-secret"),
                         ("newapi", "newapi-bp-newapi-token-signing-key")):
            data = kube.get(gvr.SECRETS, name, ns).get("data") or {}
            secrets |= {base64.b64decode(v).decode() for v in data.values()}
        kube.close()
        secrets = {s for s in secrets if len(s) >= 8}
        assert len(secrets) >= 4
        leaked = [s[:4] + "..." for s in secrets if any(s in line for line in seen)]
        assert not leaked, f"a secret in a command line: {leaked}"
    finally:
        for proc in (run, emulator):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(30)
