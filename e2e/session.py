"""One journey against one target: bring it up, walk the steps, keep the cycle report.

Used by the pytest plugin (one test item per step) and by the fault scenarios (whole
journeys against overlaid Sovereigns). The report is written after every step
change, so a killed run leaves an IN-FLIGHT report that says where it was.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from . import deadline, interrupts
from .clients.http import PlatformHTTP
from .config import Settings
from .errors import ConfigError, E2EError, KubeNotFound
from .journey.model import JourneyState, Step, StepContext
from .journey.runner import JourneyRunner, ProgressCallback
from .journey.steps import STEPS
from .journey.versions import read_platform
from .kube.client import KubeClient, load_api_client
from .provenance import harness_info
from .providers import Attachment, Provider, provider_for
from .redact import RedactingFilter, Redactor
from .report.model import (
    CycleReport,
    Finding,
    SetupAction,
    SetupError,
    Severity,
    StepResult,
    StepStatus,
    Target,
    Writer,
)
from .report.store import ReportStore
from .sovereign import Sovereign

HARNESS_LOGGERS = ("sovereign_e2e.kube", "sovereign_e2e.journey")
log = logging.getLogger("sovereign_e2e.journey")
PROGRESS_WRITE_EVERY = 2.0  # seconds between IN-FLIGHT report refreshes while waiting
# Seconds the closing calls may take against a target that stopped answering.
FINISH_BUDGET = 10.0
CLEANUP_BUDGET = 30.0


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
        self.action = "start"  # what start() is doing: named in an ERROR report
        self.setup_error: SetupError | None = None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Bring the target up and write the cycle's first report. When that fails, an
        ERROR report (the action, the problem, its evidence) is written before the error
        propagates, so a night that never reached step 01 still reaches history."""
        try:
            self._start()
        except Exception as e:
            self._record_setup_error(e)
            raise

    def _start(self) -> None:
        self.action = "claim the cycle id"
        if self.settings.cycle and self.store.path_for(self.settings.cycle).exists():
            raise ConfigError(f"--cycle {self.settings.cycle}: "
                              f"{self.store.path_for(self.settings.cycle)} exists already; pick "
                              "another cycle id or leave --cycle out (the next free one is used)")
        # Log records of the harness pass the same boundary as report files. A filter on a
        # logger applies to records logged on it, so each of our loggers gets one.
        self._log_filter = RedactingFilter(self.redactor)
        for name in HARNESS_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self.action = (f"bring up the {self.provider.name} target"
                       if self.provider.name != "kubeconfig" else "attach to the cluster")
        self.attachment = att = self.provider.create_or_attach()
        self.action = "load the target's kubeconfig"
        kube = KubeClient(load_api_client(att.kubeconfig, att.context))
        self.action = "open the gateway client"
        http = PlatformHTTP(att.fqdn, att.gateway_url, verify=not self.settings.gateway_insecure)
        self.sov = Sovereign(self.provider.name, att.fqdn, kube, http, self.redactor,
                             dict(att.details))
        ctx = StepContext(self.sov, JourneyState(), self.settings)
        self.runner = JourneyRunner(self.steps, ctx, on_update=self._record,
                                    on_progress=self._progress, stall_cap=att.stall_after)
        target = Target(provider=self.provider.name, fqdn=att.fqdn, api_server=kube.server,
                        details={k: v for k, v in att.details.items() if v},
                        setup=self._setup_actions(att.setup))

        def build(cycle: str) -> CycleReport:
            return CycleReport(cycle=cycle, target=target, started_at=datetime.now(UTC),
                               steps=[self.runner.pending(s) for s in self.steps],  # type: ignore[union-attr]
                               harness=self._harness_info(), writer=_writer())

        self.action = "write the cycle report"
        if self.settings.cycle:
            self.report = build(self.settings.cycle)
            self.report_path = self.store.save(self.report, self.redactor)
        else:
            self.report = self.store.start_cycle(build, self.redactor)
            self.report_path = self.store.path_for(self.report.cycle)

    def _setup_actions(self, actions: list[dict[str, str]]) -> list[SetupAction]:
        return [SetupAction(name=a["name"], status=a["status"], seconds=float(a["seconds"]),
                            detail=self.redactor.redact_text(a["detail"])) for a in actions]

    def _harness_info(self) -> dict[str, str]:
        return harness_info(self.settings.sources)

    def _record_setup_error(self, error: Exception) -> None:
        """Write an ERROR cycle report for a run that failed before step 01. Its own
        failure (an unwritable report dir) is logged: the setup error is what to show."""
        message = self.redactor.redact_text(" ".join(str(error).split()) or
                                            type(error).__name__)
        self.setup_error = SetupError(
            action=self.action, message=message,
            hint=_SETUP_HINTS.get(self.action, "fix what the message names, then rerun"),
            evidence=self.redactor.redact(self._setup_evidence(error)))
        target = Target(provider=self.provider.name,
                        fqdn=self.settings.fqdn or (self.attachment.fqdn if self.attachment
                                                    else ""),
                        api_server=None, details={},
                        # A provider that brings the target up in timed actions (kind)
                        # says how far it got and which action failed.
                        setup=self._setup_actions(getattr(self.provider, "setup", [])))
        steps = [StepResult(id=s.id, number=s.number, title=s.title, status=StepStatus.NOT_RUN,
                            progress="not run: setup failed") for s in self.steps]
        now = datetime.now(UTC)

        def build(cycle: str) -> CycleReport:
            return CycleReport(cycle=cycle, target=target, started_at=now, ended_at=now,
                               steps=steps, harness=self._harness_info(),
                               setup_error=self.setup_error)

        try:
            if self.report is not None:  # the first report was written: it becomes ERROR
                self.report = self.report.with_updates(setup_error=self.setup_error,
                                                       ended_at=now, writer=None)
                self._save()
            else:  # claim the next free id (never the taken --cycle)
                self.report = self.store.start_cycle(build, self.redactor)
                self.report_path = self.store.path_for(self.report.cycle)
        except Exception as e:  # the report dir itself is the problem: say so, keep going
            log.warning("could not write the ERROR cycle report: %s",
                        self.redactor.redact_text(str(e)))
            self.report_path = None

    def _setup_evidence(self, error: Exception) -> dict[str, str]:
        s = self.settings
        evidence = {"error": type(error).__name__}
        cause = error.__cause__ or error.__context__
        if cause is not None:  # the library's own words (a YAML parser, urllib3)
            evidence["cause"] = f"{type(cause).__name__}: {' '.join(str(cause).split())}"[:500]
        evidence["target"] = s.sovereign
        if s.kubeconfig:
            evidence["kubeconfig"] = str(s.kubeconfig)
        if s.context:
            evidence["context"] = s.context
        if s.overlays:
            evidence["overlays"] = ", ".join(str(p) for p in s.overlays)
        if s.cycle:
            evidence["cycle"] = s.cycle
        where = ", ".join(f"{k} from {v}" for k, v in sorted(s.sources.items())
                          if v != "default")
        if where:
            evidence["settings"] = where
        return evidence

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
            elif step.status is StepStatus.RUNNING:  # interrupted (a signal, Ctrl-C) mid-wait
                signum = interrupts.first_signal()
                why = signal.Signals(signum).name if signum else "an interrupt"
                self.report = self.report.with_step(step.model_copy(update={
                    "status": StepStatus.INTERRUPTED, "ended_at": datetime.now(UTC),
                    "progress": f"interrupted ({why}) while waiting for: "
                                f"{step.waiting_for or 'its first answer'}",
                    "findings": [Finding(
                        code="harness.interrupted", severity=Severity.BLOCKING,
                        subject=None, message=f"the run was stopped ({why}) while {step.id} "
                        f"was waiting ({step.waiting_for or 'no progress recorded'})",
                        hint="rerun; if nobody stopped it, look for what sent the signal "
                             "(a CI timeout or cancel)", evidence={})]}))
        # Bounded: an unreachable cluster must not hold the report (or an interrupt) back.
        with deadline.deadline(time.monotonic() + FINISH_BUDGET):
            platform = read_platform(self.sov.kube) if self.sov is not None else None
        self.report = self.report.with_updates(ended_at=datetime.now(UTC), writer=None,
                                               platform=platform or self.report.platform)
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
        with deadline.deadline(time.monotonic() + CLEANUP_BUDGET):
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
        if self.report.writer is not None:  # the heartbeat: readers judge a killed run by it
            self.report = self.report.with_updates(writer=_writer())
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


_SETUP_HINTS = {
    "claim the cycle id": "pick another --cycle, or leave it out (the next free id is used)",
    "attach to the cluster": "check --kubeconfig/--context and that the API server answers "
                             "(kubectl --kubeconfig <file> version)",
    "bring up the emulated target": "fix the overlay or setting the message names, then rerun",
    "load the target's kubeconfig": "check the kubeconfig the target wrote (--kubeconfig, "
                                    "--context)",
}


def _writer() -> Writer:
    return Writer(pid=os.getpid(), host=socket.gethostname(), heartbeat_at=datetime.now(UTC))
