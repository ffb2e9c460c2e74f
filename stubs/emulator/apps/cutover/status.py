"""The cutover-status ConfigMap: current state per step plus an append-only audit trail.

Shape (all values strings, as ConfigMap data must be):
- `steps`: the steps this run executes, `NN-name` comma-separated (what CUTOVER_STEPS chose);
- `step-NN`: `running`, `done`, or `failed: <reason>` for the latest attempt of step NN;
- `completed`: RFC3339 time the last run finished every step; removed when a run starts
  and set again only if that run passes, so a stale value never outlives a failed rerun;
- `history`: one line per transition, `<time> step-NN <name> <state>`, oldest first, kept
  to the last HISTORY_LINES lines. Step numbers are stable across chart versions, so the
  trail of older runs stays readable (why step 09 was appended rather than renumbered).
"""

from __future__ import annotations

from collections.abc import Callable

from ...kubeapi import errors
from ...kubeapi.store import Store
from .config import ObjectRef
from .kube import Obj, core, now_rfc3339

HISTORY_LINES = 200


class StatusRecorder:
    def __init__(self, store: Store, ref: ObjectRef,
                 clock: Callable[[], str] = now_rfc3339) -> None:
        self.store = store
        self.ref = ref
        self.clock = clock

    def _update(self, change: Callable[[dict[str, str]], None]) -> None:
        rt = core(self.store, "configmaps")

        def apply(current: Obj) -> Obj:
            body = dict(current) if current else {"metadata": {"name": self.ref.name,
                                                               "namespace": self.ref.namespace}}
            data = dict(body.get("data") or {})
            change(data)
            body["data"] = data
            return body

        try:
            self.store.patch(rt, self.ref.namespace, self.ref.name, apply,
                             create_if_missing=True)
        except errors.ApiError as e:  # e.g. the namespace is gone; the log still has it
            raise RuntimeError(f"cannot record cutover status in {self.ref}: {e.message}") from e

    def _history(self, data: dict[str, str], line: str) -> None:
        lines = [ln for ln in (data.get("history") or "").splitlines() if ln]
        lines.append(f"{self.clock()} {line}")
        data["history"] = "\n".join(lines[-HISTORY_LINES:]) + "\n"

    def start_run(self, steps: list[tuple[str, str]]) -> None:
        def change(data: dict[str, str]) -> None:
            data["steps"] = ",".join(f"{num}-{name}" for num, name in steps)
            data.pop("completed", None)
            self._history(data, "run started: " + data["steps"])

        self._update(change)

    def step(self, num: str, name: str, state: str) -> None:
        def change(data: dict[str, str]) -> None:
            data[f"step-{num}"] = state
            self._history(data, f"step-{num} {name} {state}")

        self._update(change)

    def complete(self) -> None:
        def change(data: dict[str, str]) -> None:
            data["completed"] = self.clock()
            self._history(data, "run completed")

        self._update(change)
