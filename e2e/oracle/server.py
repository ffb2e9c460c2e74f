"""Run the oracle: etcd and kube-apiserver on loopback ports, TLS from a per-run CA, one
static bearer token, service-account keys; ready when /readyz says so; stopped cleanly.

The flags follow controller-runtime's envtest where the issue is silent: RBAC with the
token's user in system:masters, a 10.0.0.0/24 service range, privileged pods allowed, and
the ServiceAccount admission plugin off (no controller-manager creates `default` accounts).
"""

from __future__ import annotations

import base64
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx
import yaml

from e2e.oracle import pki
from e2e.oracle.binaries import OracleBinaries, find_binaries

READY_TIMEOUT = 180.0  # a cold kube-apiserver on 2 shared cores takes 10-40 s
STOP_GRACE = 15.0
USER = "oracle-admin"


class OracleStartError(Exception):
    """etcd or kube-apiserver exited or never became ready; the message has its log tail."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class OracleServer:
    """`with OracleServer() as oracle:` ... `oracle.kubeconfig()`; or start()/stop()."""

    def __init__(self, binaries: OracleBinaries | None = None,
                 workdir: Path | None = None) -> None:
        self.binaries = binaries or find_binaries()
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sovereign-oracle-"))
        self.token = secrets.token_urlsafe(32)
        self.port = 0
        self._procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        self._logs: list[IO[bytes]] = []
        self.pki: pki.OraclePki | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = READY_TIMEOUT) -> OracleServer:
        try:
            try:
                self._start(timeout)
            except OracleStartError as e:
                # The free ports were free when picked, not necessarily when bound: another
                # process may have taken one in between. Once more, on new ports.
                if "address already in use" not in str(e):
                    raise
                self._stop_processes()
                shutil.rmtree(self.workdir / "etcd", ignore_errors=True)
                self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        certs = self.workdir / "pki"
        certs.mkdir(parents=True, exist_ok=True)
        self.pki = pki.generate(certs)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.token},{USER},{USER}-uid,"system:masters"\n')
        tokens.chmod(0o600)
        client_port, peer_port, self.port = _free_port(), _free_port(), _free_port()
        etcd_url, peer_url = f"http://127.0.0.1:{client_port}", f"http://127.0.0.1:{peer_port}"
        self._spawn("etcd", [
            str(self.binaries.etcd), "--name=oracle", f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=oracle={peer_url}", "--unsafe-no-fsync=true",
            "--log-level=warn"])
        self._spawn("kube-apiserver", [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--tls-cert-file={self.pki.serving_cert}",
            f"--tls-private-key-file={self.pki.serving_key}",
            f"--cert-dir={certs}",
            f"--token-auth-file={tokens}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.pki.sa_pub}",
            f"--service-account-signing-key-file={self.pki.sa_key}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--allow-privileged=true",
            "--disable-admission-plugins=ServiceAccount",
            "--profiling=false"])
        self._wait_ready(timeout)

    def _spawn(self, name: str, argv: list[str]) -> None:
        log_path = self.workdir / f"{name}.log"
        log = log_path.open("wb")
        self._logs.append(log)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self._procs.append((name, proc, log_path))

    def _exited(self) -> str | None:
        for name, proc, log in self._procs:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}:\n{_tail(log)}"
        return None

    def _wait_ready(self, timeout: float) -> None:
        """Poll /readyz (growing interval) until 200, a process exits, or the deadline."""
        deadline = time.monotonic() + timeout
        interval, last = 0.1, "no answer yet"
        with self.http() as http:
            while True:
                if (why := self._exited()) is not None:
                    raise OracleStartError(why)
                try:
                    r = http.get("/readyz", params={"verbose": "1"})
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}: " + " ".join(
                        ln for ln in r.text.splitlines() if ln.startswith("[-]"))
                except httpx.TransportError as e:
                    last = f"{type(e).__name__}: {e}"
                if time.monotonic() > deadline:
                    raise OracleStartError(
                        f"kube-apiserver not ready after {timeout:.0f}s ({last}); log tail:\n"
                        + _tail(self.workdir / "kube-apiserver.log"))
                time.sleep(interval)
                interval = min(interval * 1.5, 1.0)

    def stop(self) -> None:
        """Stop both processes; remove the work dir if this server made it."""
        self._stop_processes()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_processes(self) -> None:
        """SIGTERM kube-apiserver, then etcd (reverse start order); SIGKILL after a grace."""
        for _name, proc, _log in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_GRACE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> OracleServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- clients -------------------------------------------------------------------------

    def http(self, **kwargs: Any) -> httpx.Client:
        """An httpx client with the CA and the token (for raw requests in tests)."""
        assert self.pki is not None, "start() first"
        return httpx.Client(base_url=self.url, verify=self.ssl_context(),
                            headers={"Authorization": f"Bearer {self.token}"},
                            timeout=30.0, **kwargs)

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts this run's CA only."""
        assert self.pki is not None, "start() first"
        return ssl.create_default_context(cafile=str(self.pki.ca_cert))

    def kubeconfig(self) -> dict[str, Any]:
        assert self.pki is not None, "start() first"
        ca = base64.b64encode(self.pki.ca_cert.read_bytes()).decode()
        return {
            "apiVersion": "v1", "kind": "Config", "current-context": "oracle",
            "clusters": [{"name": "oracle", "cluster": {
                "server": self.url, "certificate-authority-data": ca}}],
            "users": [{"name": USER, "user": {"token": self.token}}],
            "contexts": [{"name": "oracle", "context": {"cluster": "oracle", "user": USER}}],
        }

    def write_kubeconfig(self, path: Path) -> Path:
        """Atomically, mode 0600: the file holds the bearer token."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        tmp.chmod(0o600)
        tmp.replace(path)
        return path

