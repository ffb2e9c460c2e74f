"""The benchmark scripts import and parse their options (they are run by hand, not here),
and their small pure helpers classify requests and route status correctly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = ["bench_emulator", "bench_journey", "bench_faults"]
# Ids that keep `pytest -k journey` (the main job) to the journey's own steps.
IDS = ["emulator", "sixteen-steps", "faults"]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS, ids=IDS)
def test_help_exits_zero_and_names_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        load(name).main(["--help"])
    assert exc.value.code == 0
    assert "--runs" in capsys.readouterr().out


@pytest.mark.parametrize("name", SCRIPTS, ids=IDS)
def test_zero_runs_is_a_usage_error(name: str) -> None:
    with pytest.raises(SystemExit) as exc:
        load(name).main(["--runs", "0"])
    assert exc.value.code == 2


def test_client_verb_tells_lists_from_gets() -> None:
    verb = load("bench_journey").client_verb
    assert verb("GET", "/api/v1/pods", None) == "list"
    assert verb("GET", "/api/v1/namespaces/gitea/secrets", {}) == "list"
    assert verb("GET", "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", None) == "list"
    assert verb("GET", "/api/v1/pods", {"watch": "true"}) == "watch"
    assert verb("GET", "/api/v1/namespaces/gitea", None) == "get"
    assert verb("GET", "/api/v1/namespaces/gitea/pods/g-0/log", None) == "get"
    assert verb("GET", "/version", None) == "get"
    assert verb("POST", "/apis/x.io/v1/namespaces/a/sandboxes", None) == "post"


def test_route_accepted_needs_every_gateway_parent() -> None:
    accepted = load("bench_emulator").route_accepted
    ok = [{"type": "Accepted", "status": "True"}]
    route: dict[str, Any] = {"metadata": {"namespace": "gitea", "name": "gitea"},
             "spec": {"parentRefs": [{"name": "gw", "namespace": "kube-system"},
                                     {"name": "other"}]},
             "status": {"parents": [{"parentRef": {"name": "gw", "namespace": "kube-system"},
                                     "conditions": ok}]}}
    assert not accepted(route)  # gitea/other has no status entry
    route["status"]["parents"].append({"parentRef": {"name": "other"}, "conditions": ok})
    assert accepted(route)
    route["status"]["parents"][1]["conditions"] = [{"type": "Accepted", "status": "False"}]
    assert not accepted(route)
