"""Stand-ins for the outside tools the kind target runs: `kind`, `helm`, `git` and a
`kubectl` wrapper. Each records its argv (JSON lines in $FAKE_TOOLS_DIR/calls.jsonl), then
does what the real tool would do to the emulated world:

- `kind create cluster` brings up an emulated cluster (`sovereign-e2e emulator up`, a
  process of its own) and writes its kubeconfig; `get clusters` lists them; `delete
  cluster` stops it. The config file is checked the way kind validates it.
- `helm upgrade --install` applies what the chart would (tests/kind/fakes/*-chart.yaml,
  with Helm's ownership metadata) and Helm's release record; for Cilium also the CRDs
  its operator registers (CiliumLoadBalancerIPPool, CiliumL2AnnouncementPolicy).
- `git` is the real git (it pushes to the Gitea stand-in over git's smart HTTP).
- `kubectl` is the real kubectl, with upstream URLs served from the emulator's CRD copies
  (no downloads here) and `--validate=false` (the emulated API has no OpenAPI document).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
CRDS = REPO / "clusters" / "emulated" / "crds"
HERE = Path(__file__).resolve().parent
URL_FILES = {
    "standard-install.yaml": [CRDS / "gateway-api.yaml"],
    "gateway.networking.k8s.io_tlsroutes.yaml": [CRDS / "gateway-api.yaml"],
}
# What each chart puts in the cluster (as far as the harness and the emulator look).
CHARTS = {
    "cilium/cilium": [HERE / "cilium-chart.yaml"],
    "fluxcd-community/flux2": [CRDS / "flux-source.yaml", CRDS / "flux-kustomize.yaml",
                               CRDS / "flux-helm.yaml", HERE / "flux-chart.yaml"],
}


def state_dir() -> Path:
    d = Path(os.environ["FAKE_TOOLS_DIR"])
    (d / "clusters").mkdir(parents=True, exist_ok=True)
    return d


def record(tool: str, argv: list[str]) -> None:
    with (state_dir() / "calls.jsonl").open("a") as f:
        f.write(json.dumps({"tool": tool, "argv": [tool, *argv]}) + "\n")


def fail(msg: str, code: int = 1) -> None:
    print(f"ERROR: {msg}", file=sys.stderr)
    sys.exit(code)


def opt(argv: list[str], name: str) -> str | None:
    for i, a in enumerate(argv):
        if a.startswith(f"{name}="):
            return a.split("=", 1)[1]
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
    return None


# ---- kind ----------------------------------------------------------------------------
def kind(argv: list[str]) -> None:
    clusters = state_dir() / "clusters"
    if argv[:2] == ["get", "clusters"]:
        for f in sorted(clusters.glob("*.json")):
            print(f.stem)
        return
    if argv[:2] == ["create", "cluster"]:
        name = opt(argv, "--name") or "kind"
        kubeconfig = opt(argv, "--kubeconfig")
        config = opt(argv, "--config")
        if config:
            cfg = yaml.safe_load(Path(config).read_text())
            if cfg.get("apiVersion") != "kind.x-k8s.io/v1alpha4" or cfg.get("kind") != "Cluster":
                fail(f"{config}: not a kind v1alpha4 Cluster")
            mode = (cfg.get("networking") or {}).get("kubeProxyMode", "iptables")
            if mode not in ("iptables", "ipvs", "nftables", "none"):
                fail(f"invalid kubeProxyMode: {mode}")
        if (clusters / f"{name}.json").exists():
            fail(f'node(s) already exist for a cluster with the name "{name}"')
        # Like kind, the cluster is visible from the moment its node exists.
        (clusters / f"{name}.json").write_text(json.dumps({"pid": None}))
        log = open(state_dir() / f"{name}.emulator.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "e2e.cli", "emulator", "up", "--bare", "--kubeconfig",
             str(state_dir() / f"{name}.kubeconfig")], cwd=REPO, stdout=subprocess.PIPE,
            stderr=log, text=True, start_new_session=True)
        (clusters / f"{name}.json").write_text(json.dumps({"pid": proc.pid}))
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            fail("the emulated cluster did not come up")
        info = json.loads(line)
        (clusters / f"{name}.json").write_text(json.dumps({"pid": proc.pid, **info}))
        with (state_dir() / "emulators.jsonl").open("a") as started:  # for leak checks
            server = yaml.safe_load(Path(info["kubeconfig"]).read_text())
            started.write(json.dumps({"name": name, "pid": proc.pid,
                                      "api": server["clusters"][0]["cluster"]["server"],
                                      "gateway": info.get("gateway")}) + "\n")
        if kubeconfig:
            shutil.copy(info["kubeconfig"], kubeconfig)
        print(f'Creating cluster "{name}" ...', file=sys.stderr)
        return
    if argv[:2] == ["export", "kubeconfig"]:
        name = opt(argv, "--name") or "kind"
        f = clusters / f"{name}.json"
        if not f.exists():
            fail(f'could not locate any control plane nodes for cluster named "{name}"')
        target = opt(argv, "--kubeconfig")
        if target:
            shutil.copy(json.loads(f.read_text())["kubeconfig"], target)
        print(f"Set kubectl context to \"kind-{name}\"", file=sys.stderr)
        return
    if argv[:2] == ["delete", "cluster"]:
        name = opt(argv, "--name") or "kind"
        f = clusters / f"{name}.json"
        if f.exists():
            pid = json.loads(f.read_text()).get("pid")
            if pid:
                stop(pid)
            f.unlink()
        print(f'Deleting cluster "{name}" ...', file=sys.stderr)
        return
    fail(f"fake kind: unsupported {argv}", 2)


def stop(pid: int) -> None:
    if pid <= 0:  # no process of its own (killpg(0) would signal our own group)
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)


# ---- kubectl -------------------------------------------------------------------------
def real_kubectl(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    exe = os.environ["FAKE_REAL_KUBECTL"]
    return subprocess.run([exe, *argv], input=stdin, text=True, check=False)


def kubectl(argv: list[str]) -> None:
    out: list[str] = []
    files: list[Path] = []
    for a in argv:
        if a.startswith("https://"):
            files += URL_FILES[a.rsplit("/", 1)[-1]]
        else:
            out.append(a)
    if files:
        out.pop()  # the `-f` before the URL: one `-f` per local copy instead
        for f in files:
            out += ["-f", str(f)]
    if "apply" in out:
        out.insert(out.index("apply") + 1, "--validate=false")
    stdin = None if files else (sys.stdin.read() if "-" in out else None)
    sys.exit(real_kubectl(out, stdin).returncode)


# ---- helm ----------------------------------------------------------------------------
def helm(argv: list[str]) -> None:
    if argv[:2] == ["repo", "add"]:
        return
    kubeconfig = opt(argv, "--kubeconfig")
    if "upgrade" in argv and "--install" in argv:
        release = argv[argv.index("--install") + 1]
        ns = opt(argv, "--namespace") or "default"
        values = yaml.safe_load(sys.stdin.read()) if opt(argv, "--values") == "-" else {}
        chart = argv[argv.index("--install") + 2]
        if chart not in CHARTS:
            fail(f'repo {chart.split("/")[0]} not found')
        # The chart's objects, with Helm's ownership metadata (what lets a later release
        # of the same name adopt them).
        docs = [d for f in CHARTS[chart] for d in yaml.safe_load_all(f.read_text())
                if d and (d["kind"] != "GatewayClass"
                          or values.get("gatewayAPI", {}).get("enabled"))]
        for d in docs:
            meta = d["metadata"]
            meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
            meta["annotations"] = {"meta.helm.sh/release-name": release,
                                   "meta.helm.sh/release-namespace": ns}
        rc = real_kubectl(["--kubeconfig", str(kubeconfig), "apply", "--server-side",
                           "--validate=false", "--field-manager=helm", "-f", "-"],
                          yaml.safe_dump_all(docs)).returncode
        if rc:
            sys.exit(rc)
        if chart == "cilium/cilium":  # what Cilium's operator registers when it starts
            rc = real_kubectl(["--kubeconfig", str(kubeconfig), "apply", "--server-side",
                               "--validate=false", "--field-manager=cilium-operator",
                               "-f", str(HERE / "cilium-crds.yaml")]).returncode
            if rc:
                sys.exit(rc)
        record_release = {"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                          "metadata": {"name": f"sh.helm.release.v1.{release}.v1",
                                       "namespace": ns,
                                       "labels": {"owner": "helm", "name": release,
                                                  "status": "deployed", "version": "1"}},
                          "data": {"release": base64.b64encode(json.dumps(
                              {"name": release, "chart": opt(argv, "--version")}).encode())
                              .decode()}}
        sys.exit(real_kubectl(["--kubeconfig", str(kubeconfig), "apply", "--server-side",
                               "--validate=false", "--field-manager=helm", "-f", "-"],
                              yaml.safe_dump(record_release)).returncode)
    fail(f"fake helm: unsupported {argv}", 2)


# ---- git ----------------------------------------------------------------------------
def git(argv: list[str]) -> None:
    # The real git, push included: the Gitea stand-in speaks git's smart HTTP protocol.
    sys.exit(subprocess.run([os.environ["FAKE_REAL_GIT"], *argv], check=False).returncode)


def main() -> None:
    tool, argv = sys.argv[1], sys.argv[2:]
    record(tool, argv)
    {"kind": kind, "kubectl": kubectl, "helm": helm, "git": git}[tool](argv)


if __name__ == "__main__":
    main()
