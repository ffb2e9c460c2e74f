"""One journey against one target: bring it up, walk the steps, keep the cycle report.

Used by the pytest plugin (one test item per step) and by the fault scenarios (whole
journeys against overlaid Sovereigns). The report is written after every step
change, so a killed run leaves an IN-FLIGHT report that says where it was.
"""

from __future__ import annotations

import logging
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .clients.http import PlatformHTTP
from .config import Settings
from .errors import ConfigError, E2EError, KubeNotFound
from .journey.model import JourneyState, Step, StepContext
from .journey.runner import JourneyRunner, ProgressCallback
from .journey.steps import STEPS
from .kube.client import KubeClient, load_api_client
from .providers import Attachment, Provider, provider_for
from .redact import RedactingFilter, Redactor
from .report.model import (
    CycleReport,
    Finding,
    SetupAction,
    Severity,
    StepResult,
    StepStatus,
    Target,
)
from .report.store import ReportStore
from .sovereign import Sovereign

HARNESS_LOGGERS = ("sovereign_e2e.kube", "sovereign_e2e.journey")
log = logging.getLogger("sovereign_e2e.journey")
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
        self._log_filter: logging.Filter | None = None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.cycle and self.store.path_for(self.settings.cycle).exists():
            raise ConfigError(f"--cycle {self.settings.cycle}: "
                              f"{self.store.path_for(self.settings.cycle)} exists already; pick "
                              "another cycle id or leave --cycle out (the next free one is used)")
        # Log records of the harness pass the same boundary as report files. A filter on a
        # logger applies to records logged on it, so each of our loggers gets one.
        self._log_filter = RedactingFilter(self.redactor)
        for name in HARNESS_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self.attachment = att = self.provider.create_or_attach()
        kube = KubeClient(load_api_client(att.kubeconfig, att.context))
        http = PlatformHTTP(att.fqdn, att.gateway_url, verify=not self.settings.gateway_insecure)
        self.sov = Sovereign(self.provider.name, att.fqdn, kube, http, self.redactor,
                             dict(att.details))
        ctx = StepContext(self.sov, JourneyState(), self.settings)
        self.runner = JourneyRunner(self.steps, ctx, on_update=self._record,
                                    on_progress=self._progress, stall_cap=att.stall_after)
        target = Target(provider=self.provider.name, fqdn=att.fqdn, api_server=kube.server,
                        details={k: v for k, v in att.details.items() if v},
                        setup=[SetupAction(name=a["name"], status=a["status"],
                                           seconds=float(a["seconds"]),
                                           detail=self.redactor.redact_text(a["detail"]))
                               for a in att.setup])

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

    def cleanup(self) -> list[str]:
        """Delete what the journey created, newest first; keep it when the cycle failed and
        --keep-on-failure asks for the evidence. Returns the errors (never raises)."""
        if self.runner is None or self.sov is None:
            return []
        failed = self.report is not None and self.report.verdict.value not in (
            "PASS", "INCOMPLETE", "IN-FLIGHT")
        if failed and self.settings.keep_on_failure:
            return []
        errors = []
        for gvr, namespace, name in reversed(self.runner.ctx.state.created):
            try:
                self.sov.kube.delete(gvr, name, namespace)
            except KubeNotFound:
                continue
            except E2EError as e:
                errors.append(f"delete {gvr} {namespace}/{name}: {e}")
        self.runner.ctx.state.created.clear()
        return errors

    def close(self) -> None:
        for error in self.cleanup():
            log.warning("cleanup: %s", self.redactor.redact_text(error))
        if self.sov is not None:
            self.sov.close()
        self.provider.destroy()
        if self._log_filter is not None:
            for name in HARNESS_LOGGERS:
                logging.getLogger(name).removeFilter(self._log_filter)

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
