"""One journey against one target: bring it up, walk the steps, keep the cycle report.

Used by the pytest plugin (one test item per step) and by the fault scenarios (whole
journeys against overlaid Sovereigns). The report is written after every step
change, so a killed run leaves an IN-FLIGHT report that says where it was.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..clients.http import PlatformHTTP
from ..config import Settings
from ..kube.client import KubeClient, load_api_client
from ..providers import Attachment, Provider, provider_for
from ..redact import Redactor
from ..report.model import CycleReport, Finding, Severity, StepResult, StepStatus, Target
from ..report.store import ReportStore
from ..sovereign import Sovereign
from .model import JourneyState, Step, StepContext
from .runner import JourneyRunner, ProgressCallback
from .steps import STEPS

PROGRESS_WRITE_EVERY = 2.0  # seconds between IN-FLIGHT report refreshes while waiting


class JourneySession:
    def __init__(self, settings: Settings, *, steps: tuple[Step, ...] = STEPS,
                 on_progress: ProgressCallback | None = None,
                 provider: Provider | None = None) -> None:
        self.settings = settings
        self.steps = steps
        self.provider = provider or provider_for(settings)
        self.redactor = Redactor()
        self.store = ReportStore(settings.report_dir)
        self._on_progress = on_progress
        self.attachment: Attachment | None = None
        self.sov: Sovereign | None = None
        self.runner: JourneyRunner | None = None
        self.report: CycleReport | None = None
        self.report_path: Path | None = None
        self._last_progress_write = 0.0

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.attachment = att = self.provider.create_or_attach()
        kube = KubeClient(load_api_client(att.kubeconfig, att.context))
        http = PlatformHTTP(att.fqdn, att.gateway_url, verify=not self.settings.gateway_insecure)
        self.sov = Sovereign(self.provider.name, att.fqdn, kube, http, self.redactor,
                             dict(att.details))
        ctx = StepContext(self.sov, JourneyState(), self.settings)
        self.runner = JourneyRunner(self.steps, ctx, on_update=self._record,
                                    on_progress=self._progress, stall_cap=att.stall_after)
        target = Target(provider=self.provider.name, fqdn=att.fqdn, api_server=kube.server,
                        details={k: v for k, v in att.details.items() if v})

        def build(cycle: str) -> CycleReport:
            return CycleReport(cycle=cycle, target=target, started_at=datetime.now(UTC),
                               steps=[self.runner.pending(s) for s in self.steps],  # type: ignore[union-attr]
                               harness=self._harness_info())

        if self.settings.cycle:
            self.report = build(self.settings.cycle)
            self.report_path = self.store.save(self.report, self.redactor)
        else:
            self.report = self.store.start_cycle(build, self.redactor)
            self.report_path = self.store.path_for(self.report.cycle)

    def _harness_info(self) -> dict[str, str]:
        return {"version": __version__, "python": platform.python_version(),
                "sources": ", ".join(f"{k}={v}" for k, v in sorted(
                    self.settings.sources.items()) if v != "default")}

    def run_step(self, number: int) -> StepResult:
        assert self.runner is not None, "start() first"
        return self.runner.ensure(number)

    def run_all(self) -> CycleReport:
        for step in self.steps:
            self.run_step(step.number)
        return self.finish()

    def run_until_failure(self) -> CycleReport:
        """Walk the steps in order and stop at the first that does not pass (fail fast,
        keeping the evidence); the verdict is decided there."""
        for step in self.steps:
            if self.run_step(step.number).status.value != "PASS":
                break
        return self.finish()

    def finish(self) -> CycleReport:
        """Close the report: steps never reached are NOT-RUN (a partial selection, or a
        walk stopped at its first failure); the verdict follows from the steps."""
        assert self.report is not None
        for step in self.report.steps:
            if step.status is StepStatus.PENDING:
                self.report = self.report.with_step(step.model_copy(update={
                    "status": StepStatus.NOT_RUN, "progress": "not run"}))
            elif step.status is StepStatus.RUNNING:  # interrupted (Ctrl-C, a crash) mid-wait
                self.report = self.report.with_step(step.model_copy(update={
                    "status": StepStatus.FAIL, "ended_at": datetime.now(UTC),
                    "progress": f"interrupted while waiting for: {step.waiting_for}",
                    "findings": [Finding(
                        code="harness.interrupted", severity=Severity.BLOCKING,
                        subject=None, message=f"the run stopped while {step.id} was "
                        f"waiting ({step.waiting_for or 'no progress recorded'})",
                        hint="rerun; if it was not stopped by hand, read the run's output "
                             "for the harness error", evidence={})]}))
        self.report = self.report.with_updates(ended_at=datetime.now(UTC))
        self._save()
        return self.report

    def close(self) -> None:
        if self.sov is not None:
            self.sov.close()
        self.provider.destroy()

    # ---- report --------------------------------------------------------------------------
    def _record(self, result: StepResult) -> None:
        assert self.report is not None
        self.report = self.report.with_step(result)
        self._save()

    def _save(self) -> None:
        assert self.report is not None
        self.report_path = self.store.save(self.report, self.redactor)

    def _progress(self, step: Step, elapsed: float, waiting_for: str) -> None:
        now = time.monotonic()
        if self.report is not None and now - self._last_progress_write >= \
                PROGRESS_WRITE_EVERY:
            self._last_progress_write = now
            current = self.report.step(step.id)
            self.report = self.report.with_step(current.model_copy(update={
                "waiting_for": self.redactor.redact_text(waiting_for)}))
            self._save()
        if self._on_progress is not None:
            self._on_progress(step, elapsed, self.redactor.redact_text(waiting_for))

    @property
    def result_of(self) -> Callable[[int], StepResult | None]:
        return lambda n: self.runner.results.get(n) if self.runner else None
