"""`pytest -k journey` is the main job: it must select the 16 journey steps and nothing else
(a harness test whose name says "journey" would run, slowly, inside the main job). It
collects only scenarios/ (pytest's testpaths), so the harness's own tests are not even
imported, and it needs none of the dev extras."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# The dev extras (`pip install -e '.[dev]'`); the main job must not need any of them.
DEV_ONLY = ("schemathesis", "hypothesis", "importlinter", "mypy", "ruff")


def test_main_job_needs_no_dev_extra_and_collects_only_the_scenarios(tmp_path: Path) -> None:
    """`pip install -e .` then `pytest -k journey`: as if the dev extras were absent (a
    module of each name that refuses to import), from the repository root, no paths."""
    for name in DEV_ONLY:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(
            f"raise ImportError('{name} is a dev extra, not installed')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    # Not installed, their pytest plugins (entry points) would not load either.
    no_plugins = ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           *no_plugins, "--collect-only", "-q", "-k", "journey"], cwd=REPO,
                          env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    selected = [line for line in done.stdout.splitlines() if "::" in line]
    assert len(selected) == 16 and all(line.startswith("scenarios/test_journey.py::")
                                       for line in selected), selected
    # Nothing of the harness's own suite was collected (not even to be deselected).
    summary = done.stdout.strip().splitlines()[-1]
    deselected = int(summary.split("/")[1].split()[0]) - 16 if "/" in summary else 0
    from e2e.faults import discover

    assert deselected == len(discover(REPO / "scenarios" / "faults")) + 1, summary
