"""`pytest -k journey` is the main job: it must select the 16 journey steps and nothing else
(a harness test whose name says "journey" would run, slowly, inside the main job)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_main_job_keyword_selects_exactly_the_sixteen_steps(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-k", "journey",
                                           str(REPO / "tests"), str(REPO / "scenarios"))
    selected = [line for line in result.outlines if "::" in line]
    assert len(selected) == 16, selected
    assert all("scenarios/test_journey.py::test_journey[" in line for line in selected)
