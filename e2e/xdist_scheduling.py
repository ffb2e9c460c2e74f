"""Under pytest-xdist, a journey's steps run on one worker, whatever `--dist` says.

Each worker that runs journey steps brings up its own Sovereign and walks the steps its
share needs: a journey split across two workers is two partial (INCOMPLETE) cycles, not
one. `--dist loadfile` and `loadscope` keep a module together; `load` and `worksteal` hand
out single tests, and `loadgroup` (which would honour the plugin's `xdist_group` marks)
ignores them on pytest 9.2 (pytest-dev/pytest-xdist#1386). For those three the plugin
schedules through xdist's own hook (`pytest_xdist_make_scheduler`) with xdist's scope
scheduler: one work unit per journey module, one unit per test otherwise, so every other
test is still handed out one by one.

The controller sees node ids only (it collects nothing itself): a journey step is an item
whose id ends with a step id, `...::test_journey[05-bootstrap-kit-converged]`.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from .journey.steps import STEP_IDS

# The modes that would hand one journey's steps to different workers.
SPLITTING_DIST = ("load", "worksteal", "loadgroup")
_STEP_SUFFIXES = tuple(f"[{sid}]" for sid in STEP_IDS)


def journey_module(nodeid: str) -> str | None:
    """The module of a journey step's node id, or None for any other test."""
    # `--dist loadgroup` on pytest < 9.2 appends `@<group>` to the id.
    bare = nodeid.rsplit("@", 1)[0] if nodeid.rfind("@") > nodeid.rfind("]") else nodeid
    if bare.endswith(_STEP_SUFFIXES):
        return bare.split("::", 1)[0]
    return None


class JourneyWholeScheduling(LoadScopeScheduling):
    """xdist's scope scheduler with a journey module as one scope and every other test as
    its own (loadgroup: its `xdist_group` when the id carries one)."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.dist = config.getvalue("dist")

    def _split_scope(self, nodeid: str) -> str:
        module = journey_module(nodeid)
        if module is not None:
            return f"sovereign-journey:{module}"
        if self.dist == "loadgroup" and nodeid.rfind("@") > nodeid.rfind("]"):
            return nodeid.rsplit("@", 1)[-1]
        return nodeid


def make_scheduler(config: pytest.Config, log: Any) -> JourneyWholeScheduling | None:
    if config.getvalue("dist") in SPLITTING_DIST:
        return JourneyWholeScheduling(config, log)
    return None
