"""Secrets never appear in any report, log, attachment or argv.

Plant, run, scan: an emulated Sovereign holds random secrets (the Gitea admin password, the
provisioning token, NewAPI's ADMIN_SECRET and SIGNING_KEY, the platform JWT_SECRET, the
sandbox token the journey mints, the API server's bearer token). A whole journey runs
through pytest against it with every output turned on; then every artifact is scanned for
each secret: whole (raw, base64, URL- and JSON-escaped) and in part (any eight characters
in a row, which catches truncated and "last characters" leaks), plus any JWT at all (the
harness's own session tokens are never in the cluster to plant).

The emulator runs in this process, so its DEBUG log is scanned too; the journey runs in a
pytest subprocess with `--sovereign kubeconfig`, as against a real cluster.
"""

from __future__ import annotations

import ast
import base64
import json
import logging
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from e2e.cli import main as cli_main
from stubs.emulator.assemble import build_emulator
from stubs.emulator.runtime import EmulatorThread

REPO = Path(__file__).resolve().parents[1]
FAULT = REPO / "scenarios" / "faults" / "gitea-token-is-password" / "overlay"
JOURNEY = """
from e2e.plugin import expect_pass
def test_journey(journey_step):
    expect_pass(journey_step)
"""
WINDOW = 8  # no run of this many characters of a secret may appear anywhere
JWT = re.compile(r"eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]{8,}")
NOT_SECRET_KEYS = {"username", "tls.crt"}
PLANTED = ("gitea/gitea-admin-secret.password", "sme/provisioning-github-token.GITHUB_TOKEN",
           "newapi/newapi-bp-newapi-token-signing-key.ADMIN_SECRET",
           "newapi/newapi-bp-newapi-token-signing-key.SIGNING_KEY",
           "sme/sme-secrets.JWT_SECRET", "kubeconfig.token")


@contextmanager
def emulated_sovereign(tmp_path: Path, overlays: list[Path]) -> Iterator[tuple[Path, str]]:
    thread = EmulatorThread(build_emulator(overlays=overlays))
    try:
        info = thread.start()
        assert info.gateway_url is not None
        yield info.write_kubeconfig(tmp_path / "kc.yaml"), info.gateway_url
    finally:
        thread.stop()


def core_api(kubeconfig: Path) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))


def items(response: Any) -> list[dict[str, Any]]:
    """A list call's items as plain JSON (`_preload_content=False`: no Optional models)."""
    return json.loads(response.data)["items"]  # type: ignore[no-any-return]


def cluster_secrets(kubeconfig: Path) -> dict[str, str]:
    """Every secret value in the cluster (and the kubeconfig's token), by where it lives."""
    found = {"kubeconfig.token": yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]
             ["token"]}
    for s in items(core_api(kubeconfig).list_secret_for_all_namespaces(
            _preload_content=False)):
        if s.get("type") == "kubernetes.io/tls":
            continue  # the emulator's certificate is placeholder text, not a secret
        for key, raw in (s.get("data") or {}).items():
            value = base64.b64decode(raw).decode()
            where = f"{s['metadata']['namespace']}/{s['metadata']['name']}.{key}"
            if key == ".dockerconfigjson":
                for registry, auth in json.loads(value)["auths"].items():
                    found.update({f"{where}[{registry}].{k}": auth[k]
                                  for k in ("password", "auth") if auth.get(k)})
            elif key not in NOT_SECRET_KEYS:
                found[where] = value
    return found


def all_pod_logs(kubeconfig: Path) -> dict[str, str]:
    """The emulated components' container logs: a component must not log a secret either."""
    core = core_api(kubeconfig)
    logs = {}
    for pod in items(core.list_pod_for_all_namespaces(_preload_content=False)):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        for c in pod["spec"]["containers"]:
            try:
                logs[f"pod log {ns}/{name}/{c['name']}"] = core.read_namespaced_pod_log(
                    name, ns, container=c["name"])
            except client.ApiException as e:
                if e.status != 400:  # 400: the container has not started (nothing logged)
                    raise
    return logs


def encodings(value: str) -> set[str]:
    raw = value.encode()
    return {value, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
            base64.b64encode(raw).decode().rstrip("="), urllib.parse.quote(value, safe=""),
            json.dumps(value)[1:-1]}


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    found = []
    for where, value in secrets.items():
        if any(form in text for form in encodings(value)):
            found.append(f"{where} (whole)")
            continue
        part = next((value[i:i + WINDOW] for i in range(len(value) - WINDOW + 1)
                     if value[i:i + WINDOW] in text), None)
        if part is not None:
            found.append(f"{where} (part {part!r})")
    found += [f"a JWT {m.group(0)[:12]}…" for m in JWT.finditer(text)]
    return found


def cli_output(*argv: str) -> str:
    out = StringIO()
    with redirect_stdout(out):
        assert cli_main(list(argv)) in (0, 1)  # signoff: 1 is NO-GO
    return out.getvalue()


def artifacts(tmp_path: Path, result: pytest.RunResult, reports: Path) -> dict[str, str]:
    """Every file the run wrote, every rendering and command output, and pytest's output."""
    texts = {"pytest stdout": "\n".join(result.outlines),
             "pytest stderr": "\n".join(result.errlines)}
    (tmp_path / "rendered").mkdir()
    for fmt in ("markdown", "json", "junit", "html"):
        assert cli_main(["report", "--report-dir", str(reports), "--format", fmt, "--output",
                         str(tmp_path / "rendered" / f"report.{fmt}")]) == 0
    texts["history"] = cli_output("history", "--report-dir", str(reports))
    texts["signoff"] = cli_output("signoff", "--report-dir", str(reports))
    texts["signoff --json"] = cli_output("signoff", "--json", "--report-dir", str(reports))
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        if path.name != "kc.yaml":  # the kubeconfig is the one place its token belongs
            texts[str(path.relative_to(tmp_path))] = path.read_text(errors="replace")
    return texts


@pytest.mark.parametrize(("overlay", "verdict", "code"), [
    (None, "PASS", None),
    (FAULT, "FAIL", "gitea.token-is-password"),
], ids=["clean", "gitea-token-is-password"])
def test_no_artifact_carries_a_secret(pytester: pytest.Pytester, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture, overlay: Path | None,
                                      verdict: str, code: str | None) -> None:
    caplog.set_level(logging.DEBUG)  # the emulator's own log, at its most talkative
    run = tmp_path / "run"
    reports = run / "reports"
    with emulated_sovereign(tmp_path, [overlay] if overlay else []) as (kubeconfig, gateway):
        pytester.makepyfile(test_journey=JOURNEY)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--sovereign", "kubeconfig",
            "--kubeconfig", str(kubeconfig), "--gateway-url", gateway,
            "--report-dir", str(reports), "--junitxml", str(run / "junit.xml"),
            "--log-file", str(run / "pytest.log"), "--log-file-level", "DEBUG",
            "-o", "log_cli=true", "--log-cli-level", "DEBUG", "-rA",
            "--alluredir", str(run / "allure"), timeout=180)
        secrets = cluster_secrets(kubeconfig)
        pod_logs = all_pod_logs(kubeconfig)

    report = json.loads((reports / "t1.json").read_text())
    assert report["verdict"] == verdict
    if code is not None:
        # The finding is about the password, so redaction had something to do.
        assert report["first_failure"]["finding"]["code"] == code
        assert secrets["sme/provisioning-github-token.GITHUB_TOKEN"] == \
            secrets["gitea/gitea-admin-secret.password"]
    else:
        # The sandbox token minted at step 16 is gone with its Sandbox (the journey cleans
        # up after itself); any JWT in an artifact is a leak, which covers it.
        assert not any(k.endswith(".LLM_GATEWAY_TOKEN") for k in secrets)
    assert set(PLANTED) <= set(secrets)

    texts = artifacts(run, result, reports)
    texts["emulator log"] = caplog.text
    texts.update(pod_logs)
    assert {"pytest.log", "junit.xml", "reports/t1.json", "rendered/report.html"} <= set(texts)
    assert any(name.startswith("allure/") for name in texts)
    assert all(texts[k] for k in ("pytest stdout", "pytest.log", "history", "emulator log"))
    assert any(text for name, text in pod_logs.items())
    found = {name: hits for name, text in texts.items() if (hits := leaks(text, secrets))}
    assert not found, found


def test_the_scan_finds_what_it_looks_for() -> None:
    secrets = {"s": "Zq8-r7Tq1pLm3xVb"}
    assert leaks("nothing here", secrets) == []
    assert leaks("x Zq8-r7Tq1pLm3xVb y", secrets) == ["s (whole)"]
    assert leaks(base64.b64encode(b"Zq8-r7Tq1pLm3xVb").decode(), secrets) == ["s (whole)"]
    assert leaks("last eight characters …1pLm3xVb match", secrets) == ["s (part '1pLm3xVb')"]
    assert leaks("[redacted:s…3xVb]", secrets) == []  # a four-character hint is allowed
    assert leaks("Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", {}) == ["a JWT eyJhbGciOi.e…"]


# ---- argv --------------------------------------------------------------------------------
# The harness and the emulator start no process, except the kind provider (kind, kubectl,
# helm, git). A process start must pass secrets by file, stdin or environment, and is listed
# here with its own check: the kind provider's is tests/kind/test_kind_journey.py (the
# recorded argv of a whole run hold none of the run's secrets) and the plan's placeholders
# (tests/kind/test_plan.py::test_no_secret_in_the_plan).
SPAWNERS = {("subprocess", None), ("os", "system"), ("os", "popen"), ("os", "execv"),
            ("os", "execve"), ("os", "execvp"), ("os", "execvpe"), ("os", "execl"),
            ("os", "execle"), ("os", "execlp"), ("os", "execlpe"), ("os", "spawnv"),
            ("os", "spawnve"), ("os", "spawnl"), ("os", "posix_spawn"),
            ("os", "posix_spawnp"), ("asyncio", "create_subprocess_exec"),
            ("asyncio", "create_subprocess_shell"), ("pty", "spawn")}
# Files that may start processes, each reviewed: what goes on its command lines.
# e2e/oracle/server.py: etcd and kube-apiserver get paths, ports and flags; the bearer token
# goes in --token-auth-file (mode 0600). tests/oracle/test_oracle_server.py scans their argv.
# e2e/providers/kind/__init__.py: kind, helm, git, kubectl get paths, names and manifests on
# stdin; credentials go through files or the API, never argv.
# e2e/oracle/upstream_crds.py: tools/fetch-upstream-crds --print, a fixed argv.
ALLOWED_SPAWNS: set[str] = {"e2e/oracle/server.py", "e2e/providers/kind/__init__.py",
                            "e2e/oracle/upstream_crds.py"}


def process_starts(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            mod = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                name = alias.name if mod is None else mod
                attr = None if mod is None else alias.name
                if (name.split(".")[0], None) in SPAWNERS or (name, attr) in SPAWNERS:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                (node.value.id, node.attr) in SPAWNERS:
            found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_harness_and_emulator_put_nothing_on_a_command_line() -> None:
    sources = [p for d in ("e2e", "stubs") for p in sorted((REPO / d).rglob("*.py"))]
    assert len(sources) > 50
    starts = [s for p in sources for s in process_starts(p)]
    assert [s for s in starts if s.split(":")[0] not in ALLOWED_SPAWNS] == []


def test_no_option_takes_a_secret_on_the_command_line() -> None:
    from e2e.cli import _build_parser
    from e2e.plugin import HELP

    secretish = re.compile(r"password|secret|token|api[-_]?key|credential", re.IGNORECASE)
    options = [a for a in _walk_options(_build_parser())] + [f"--{k}" for k in HELP]
    assert len(options) > 10
    assert [o for o in options if secretish.search(o)] == []


def _walk_options(parser: object) -> Iterator[str]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    for action in parser._actions:
        yield from action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _walk_options(sub)
