"""Requirement: the emulated API answers as the real one does.

Every case of cases.py runs against an emulated API server (an empty emulated cluster
with the shipped CRDs) and against the oracle (the same CRDs installed), in a fresh
namespace of the same name on both; the answers are compared after normalise().

A case listed in docs/DESIGN.md "Known fidelity gaps" (a line starting "- `oracle:<case>`")
must still differ: when the emulator catches up, that test fails until the entry goes.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.oracle.rawapi import RawApi
from stubs.emulator.runtime import Emulator, EmulatorThread
from tests.oracle import cases_ssa, cases_validation  # noqa: F401  (they register cases)
from tests.oracle.cases import CASES
from tests.oracle.normalise import normalise

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "DESIGN.md"
_GAP = re.compile(r"^- `oracle:([a-z0-9-]+)`:?\s*(.*)$")


def known_gaps() -> dict[str, str]:
    """case -> reason, from docs/DESIGN.md."""
    return {m.group(1): m.group(2) for line in DESIGN.read_text().splitlines()
            if (m := _GAP.match(line))}


@pytest.fixture(scope="module")
def emulated_raw() -> Iterator[RawApi]:
    thread = EmulatorThread(Emulator())
    info = thread.start()
    api = RawApi.from_kubeconfig(info.kubeconfig())
    yield api
    api.close()
    thread.stop()


def _run(api: RawApi, case: str, ns: str) -> Any:
    created = api.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": ns}})
    assert created.status == 201, created.body
    return normalise(CASES[case](api, ns))


def _diff(emulated: Any, real: Any) -> str:
    a = json.dumps(emulated, indent=1, sort_keys=True, default=str).splitlines()
    b = json.dumps(real, indent=1, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "emulated", "oracle", lineterm="", n=2))


def test_every_listed_gap_names_a_case() -> None:
    unknown = sorted(set(known_gaps()) - set(CASES))
    assert not unknown, f"docs/DESIGN.md lists oracle gaps for no case: {unknown}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_emulated_api_answers_as_the_real_one(case: str, emulated_raw: RawApi,
                                              oracle_raw: RawApi,
                                              crds_installed: dict[str, list[str]]) -> None:
    ns = f"d-{uuid.uuid4().hex[:8]}"
    emulated, real = _run(emulated_raw, case, ns), _run(oracle_raw, case, ns)
    gap = known_gaps().get(case)
    if gap is not None:
        assert emulated != real, (
            f"docs/DESIGN.md lists `oracle:{case}` as a known gap ({gap}), but the emulated "
            "API now answers as the real one: remove the entry")
    else:
        assert emulated == real, f"emulated API differs from kube-apiserver:\n" \
                                 f"{_diff(emulated, real)}"
