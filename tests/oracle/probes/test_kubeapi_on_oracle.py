"""The kube API probe scenarios of tests/kubeapi/, run unchanged against the real
kube-apiserver: the assertions we wrote from our reading of upstream must hold there too.

Every test function (and module-level fixture) of every tests/kubeapi/test_*.py is taken
in, renamed `test_<module>__<name>`. A scenario that fails on the real server is either
fixed (in the test, when our reading was wrong) or listed in docs/DESIGN.md "Known fidelity
gaps" as "- `oracle-probe:<module>::<test>`: reason"; it then runs as a strict xfail, so
an entry that starts passing fails until it is removed.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

KUBEAPI = Path(__file__).resolve().parents[2] / "kubeapi"
DESIGN = Path(__file__).resolve().parents[3] / "docs" / "DESIGN.md"
_GAP = re.compile(r"^- `oracle-probe:([\w]+)::([\w]+)`:?\s*(.*)$")


# Scenarios the oracle cannot run: like envtest it has no kube-controller-manager.
ORACLE_LIMITS = {
    ("test_crud", "test_owner_references_are_garbage_collected"):
        "needs the garbage collector (kube-controller-manager), which the oracle does not run",
    ("test_crud", "test_cluster_scoped_and_namespace_deletion"):
        "needs the namespace controller (kube-controller-manager), which the oracle does not run",
}


def known_probe_gaps() -> dict[tuple[str, str], str]:
    return {(m.group(1), m.group(2)): m.group(3) for line in DESIGN.read_text().splitlines()
            if (m := _GAP.match(line))}


def _copy(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object: marks added here must not reach tests/kubeapi's own test."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)
    return run


def _take_in() -> list[tuple[str, str]]:
    taken: list[tuple[str, str]] = []
    gaps = known_probe_gaps()
    for path in sorted(KUBEAPI.glob("test_*.py")):
        module = importlib.import_module(f"tests.kubeapi.{path.stem}")
        for name, obj in vars(module).items():
            if hasattr(obj, "_fixture_function_marker") or hasattr(obj, "_pytestfixturefunction"):
                globals()[name] = obj  # a module-level fixture the tests ask for by name
            elif name.startswith("test_") and callable(obj):
                fn: Any = _copy(obj)
                if (path.stem, name) in ORACLE_LIMITS:
                    fn = pytest.mark.skip(reason=ORACLE_LIMITS[(path.stem, name)])(fn)
                elif (path.stem, name) in gaps:
                    fn = pytest.mark.xfail(reason=gaps[(path.stem, name)], strict=True)(fn)
                globals()[f"test_{path.stem.removeprefix('test_')}__{name}"] = fn
                taken.append((path.stem, name))
    return taken


TAKEN = _take_in()


@pytest.fixture
def small_history() -> None:
    pytest.skip("shrinks the emulated API's event history from inside; the real server's "
                "compaction is etcd's")


def test_every_listed_probe_gap_names_a_scenario() -> None:
    unknown = sorted(set(known_probe_gaps()) - set(TAKEN))
    assert not unknown, f"docs/DESIGN.md lists oracle-probe gaps for no scenario: {unknown}"
    assert len(TAKEN) > 40, "tests/kubeapi's scenarios were not taken in"
