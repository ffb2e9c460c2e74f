"""The kind provider's whole code path, run against stand-ins for Docker, kind, Helm and
git (tests/kind/fakes, tests/kind/process_runtime.py): what it runs equals the plan, and
teardown deletes only what the run created."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from e2e.config import Settings
from e2e.providers.kind import KindProvider
from e2e.providers.kind.plan import SECRET_VALUES

from .conftest import REPO, FakeWorld


def settings(world: FakeWorld, **kw: object) -> Settings:
    return Settings(sovereign="kind", cycle="t1", report_dir=world.root / "reports", **kw)  # type: ignore[arg-type]


def test_bring_up_runs_the_plan_and_tears_down(fake_world: FakeWorld) -> None:
    provider = KindProvider(settings(fake_world), runtime=fake_world.runtime)
    plan = provider.plan()
    att = provider.create_or_attach()
    try:
        values = dict(provider._values)
        assert fake_world.calls() == plan.subprocess_argv(values)
        secrets = [values[k] for k in SECRET_VALUES]
        assert all(s and not any(s in a for argv in fake_world.calls() for a in argv)
                   for s in secrets)
        assert [a["name"] for a in att.setup] == [a.name for a in plan.actions]
        assert all(a["status"] == "PASS" for a in att.setup), att.setup
        assert fake_world.clusters() == ["sovereign-t1"]
        assert att.kubeconfig is not None and att.kubeconfig.exists()
        assert att.gateway_url and att.gateway_url.startswith("http://")
        assert set(fake_world.runtime.registry_get()) == {"sovereign-t1-gitea",
                                                          "sovereign-t1-newapi"}
    finally:
        provider.destroy()
    assert fake_world.clusters() == []
    assert fake_world.runtime.registry_get() == {}
    assert not provider.work_dir.exists()  # the kubeconfig went with the cluster
    assert fake_world.calls()[-1][:3] == ["kind", "delete", "cluster"]


def test_a_cluster_that_was_there_is_reused_and_survives(fake_world: FakeWorld) -> None:
    subprocess.run(["kind", "create", "cluster", "--name=mine",
                    f"--kubeconfig={fake_world.root / 'mine.kubeconfig'}"], check=True)
    provider = KindProvider(settings(fake_world, kind_cluster="mine"),
                            runtime=fake_world.runtime)
    plan = provider.plan()
    provider.create_or_attach()
    assert fake_world.calls()[1:] == plan.subprocess_argv(dict(provider._values), existing=True)
    assert not any(c[:3] == ["kind", "create", "cluster"] for c in fake_world.calls()[1:])
    assert any("re-used" in a["detail"] for a in provider.setup)
    provider.destroy()
    assert fake_world.clusters() == ["mine"]  # never ours to delete
    assert fake_world.runtime.registry_get() == {}  # the containers were ours


def test_keep_cluster_keeps_everything_and_says_how_to_reach_it(
        fake_world: FakeWorld, capsys: pytest.CaptureFixture[str]) -> None:
    provider = KindProvider(settings(fake_world, keep_cluster=True), runtime=fake_world.runtime)
    provider.create_or_attach()
    provider.destroy()
    assert fake_world.clusters() == ["sovereign-t1"]
    assert "kind delete cluster --name sovereign-t1" in capsys.readouterr().out
    provider.teardown()  # what the user would do by hand
    assert fake_world.clusters() == []


def test_a_failed_create_tears_down_what_was_half_made(fake_world: FakeWorld) -> None:
    # A container of the same name that this run did not make: bring-up stops there.
    fake_world.runtime.registry_put("sovereign-t1-newapi", {"labels": {}, "pid": 0})
    provider = KindProvider(settings(fake_world), runtime=fake_world.runtime)
    with pytest.raises(Exception, match="exists already"):
        provider.create_or_attach()
    assert fake_world.clusters() == []  # the cluster it made is gone
    assert set(fake_world.runtime.registry_get()) == {"sovereign-t1-newapi"}  # not ours: kept
    assert [a["status"] for a in provider.setup][-1] == "FAIL"


SIGINT_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from e2e.config import Settings
from e2e.providers.kind import KindProvider
from tests.kind.process_runtime import ProcessRuntime
p = KindProvider(Settings(sovereign="kind", cycle="t1", report_dir=Path("reports")),
                 runtime=ProcessRuntime(Path("containers")))
try:
    p.create_or_attach()
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def test_sigint_mid_create_leaves_nothing(fake_world: FakeWorld) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT.format(repo=str(REPO))],
                            cwd=fake_world.root, stdout=subprocess.PIPE, text=True)
    marker = fake_world.state / "clusters" / "sovereign-t1.json"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "kind create never started"
    os.kill(proc.pid, signal.SIGINT)  # while `kind create cluster` runs
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in out
    assert fake_world.clusters() == []
    assert not list((fake_world.root / ".sovereign-e2e" / "kind").glob("*/kubeconfig"))
