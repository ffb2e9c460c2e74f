"""The sovereign-e2e pytest plugin (entry point `pytest11`): options, the journey fixtures,
one test item per step, live progress and the cycle verdict in the terminal summary.

Wiring only: the work is in e2e.journey (runner, steps), e2e.providers and e2e.report.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from . import interrupts, rootdir_guard, xdist_scheduling
from .config import PROVIDERS, Settings, resolve
from .errors import ConfigError, E2EError
from .journey.model import Step
from .journey.steps import STEP_IDS, STEPS
from .providers import provider_for
from .report.model import StepResult, StepStatus
from .session import JourneySession

SESSION_KEY = pytest.StashKey[JourneySession]()
SETTINGS_KEY = pytest.StashKey[Settings]()
ERROR_KEY = pytest.StashKey[str]()
WORKER_SUMMARIES_KEY = pytest.StashKey[list[list[str]]]()
SETUP_FAILED_ON_WORKER_KEY = pytest.StashKey[bool]()
JOURNEY_WORKERS_KEY = pytest.StashKey[dict[str, set[str]]]()
WAITS_KEY = pytest.StashKey["_AllureWaits"]()

# Help strings shared by the option and its ini twin.
HELP = {
    "sovereign": f"target: {'|'.join(PROVIDERS)} (default emulated)",
    "cycle": "cycle id for the report, e.g. t23 (default: one after the highest in the "
             "report dir)",
    "report_dir": "where cycle reports are written (default reports/)",
    "overlay": "overlay directory (kustomization.yaml) applied to the emulated Sovereign; "
               "repeatable",
    "kubeconfig": "kubeconfig of the Sovereign (kubeconfig provider)",
    "context": "kubeconfig context to use",
    "fqdn": "the Sovereign's FQDN (default: from its Gateway; sovereign.test when emulated)",
    "gateway_url": "send gateway traffic to this address with the right Host (default: the "
                   "Gateway's address, else DNS of <name>.<fqdn>)",
    "gateway_insecure": "do not verify the gateway's TLS certificate",
    "step_timeout": "per-step timeout override ID=SECONDS (e.g. 05=1800); repeatable",
    "step_stall": "per-step stall window override ID=SECONDS; repeatable",
    "keep_on_failure": "keep what the journey created when a step fails (for debugging)",
    "kind_cluster": "kind target: the cluster's name (default sovereign-<cycle>)",
    "keep_cluster": "kind target: keep the cluster and containers after the run",
    "bootstrap_kit": "kind target: the bootstrap-kit directory to push (default: the "
                     "emulated Sovereign's copy)",
    "platform_repo": "kind target: a platform checkout; its clusters/_template/bootstrap-kit "
                     "is pushed",
}


def _pytest_kind_defines_kubeconfig(pluginmanager: pytest.PytestPluginManager) -> bool:
    """pytest-kind (a dependency, for the kind provider) registers `--kubeconfig` too, with
    the same meaning; whichever plugin loads first, the option must be defined once."""
    if pluginmanager.is_blocked("pytest-kind"):
        return False
    return importlib.util.find_spec("pytest_kind") is not None


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("sovereign-e2e", "Sovereign end-to-end journey")
    group.addoption("--sovereign", choices=PROVIDERS, default=None, help=HELP["sovereign"])
    group.addoption("--cycle", default=None, metavar="ID", help=HELP["cycle"])
    group.addoption("--report-dir", default=None, metavar="DIR", help=HELP["report_dir"])
    group.addoption("--overlay", action="append", default=None, metavar="DIR",
                    help=HELP["overlay"])
    if not _pytest_kind_defines_kubeconfig(pluginmanager):
        group.addoption("--kubeconfig", default=None, metavar="PATH", help=HELP["kubeconfig"])
    group.addoption("--context", default=None, metavar="NAME", help=HELP["context"])
    group.addoption("--fqdn", default=None, help=HELP["fqdn"])
    group.addoption("--gateway-url", default=None, metavar="URL", help=HELP["gateway_url"])
    group.addoption("--gateway-insecure", action="store_true", default=None,
                    help=HELP["gateway_insecure"])
    group.addoption("--step-timeout", action="append", default=None, metavar="ID=SECONDS",
                    help=HELP["step_timeout"])
    group.addoption("--step-stall", action="append", default=None, metavar="ID=SECONDS",
                    help=HELP["step_stall"])
    group.addoption("--keep-on-failure", action="store_true", default=None,
                    help=HELP["keep_on_failure"])
    group.addoption("--kind-cluster", default=None, metavar="NAME", help=HELP["kind_cluster"])
    if not _pytest_kind_defines_kubeconfig(pluginmanager):  # pytest-kind has --keep-cluster
        group.addoption("--keep-cluster", action="store_true", default=None,
                        help=HELP["keep_cluster"])
    group.addoption("--bootstrap-kit", default=None, metavar="DIR",
                    help=HELP["bootstrap_kit"])
    group.addoption("--platform-repo", default=None, metavar="DIR",
                    help=HELP["platform_repo"])
    for name, text in HELP.items():
        parser.addini(f"sovereign_{name}", text, default=None)


def _settings(config: pytest.Config) -> Settings:
    if SETTINGS_KEY not in config.stash:
        cli = {name: config.getoption(name) for name in HELP}
        if cli.get("keep_cluster") is False:  # pytest-kind's store_true: False = not given
            cli["keep_cluster"] = None

        def ini(key: str) -> Any:
            try:
                return config.getini(key)
            except ValueError:
                return None

        config.stash[SETTINGS_KEY] = resolve(cli, ini, step_ids=STEP_IDS)
    return config.stash[SETTINGS_KEY]


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (a CI cancel) stops the run like Ctrl-C: the report ends INTERRUPTED at the
    # running step and what the journey created is deleted; see e2e/interrupts.py.
    interrupts.install()
    config.addinivalue_line("markers", "journey: a step of the 16-step Sovereign journey")
    config.addinivalue_line("markers", "fault(name): a fault scenario of scenarios/faults/")
    misread = rootdir_guard.misread_option(config)
    if misread:
        raise pytest.UsageError(misread)
    try:
        _settings(config)
    except ConfigError as e:
        raise pytest.UsageError(str(e)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = _settings(config)
    where = {k: v for k, v in s.sources.items() if v != "default"}
    extra = f" ({', '.join(f'{k} from {v}' for k, v in sorted(where.items()))})" if where else ""
    lines = [f"sovereign-e2e: target {s.sovereign}, reports in {s.report_dir}{extra}"]
    dist = getattr(config.option, "dist", "no")
    if getattr(config.option, "numprocesses", None) and \
            dist in xdist_scheduling.SPLITTING_DIST:
        lines.append(f"sovereign-e2e: --dist {dist}: each journey module's steps go to one "
                     "worker, other tests one by one")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "journey_step" in metafunc.fixturenames:
        metafunc.parametrize("journey_step", [s.number for s in STEPS], ids=STEP_IDS,
                             indirect=True)


# tryfirst: xdist's worker reads xdist_group marks in its own modifyitems hook, which
# would otherwise run before this one and never see the mark.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "journey_step" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.journey)
            # Keep a journey's steps on one worker under `-n N --dist loadgroup`; one group
            # per module, so two journey modules run on two workers (two Sovereigns).
            module = item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group(f"sovereign-journey:{module}"))


class _LiveProgress:
    """'still waiting' lines; plain lines, no live widgets (xdist-safe).

    At a terminal a line every 2 s reads as a live status. Without one (CI logs) that is
    ~600 lines for a 20-minute step: there a line is printed when what the step waits for
    changes, and otherwise at most every 30 s."""

    TERMINAL_EVERY = 2.0
    LOG_EVERY = 30.0

    def __init__(self, config: pytest.Config, *, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.reporter = config.pluginmanager.get_plugin("terminalreporter")
        # Lines must reach the terminal while output capture is on (as live logging does).
        self.capture = config.pluginmanager.get_plugin("capturemanager")
        self.enabled = self.reporter is not None and config.get_verbosity() >= 0 and \
            not hasattr(config, "workerinput")
        # sys.stdout is pytest's capture by now; the real stream is sys.__stdout__.
        self.tty = _isatty() if tty is None else tty
        self.clock = clock
        self._last = -float("inf")
        self._last_text: tuple[str, str] | None = None

    def __call__(self, step: Step, elapsed: float, waiting_for: str) -> None:
        if not self.enabled or elapsed < 2.0:
            return
        now = self.clock()
        text = (step.id, waiting_for)
        if self.tty:
            due = now - self._last >= self.TERMINAL_EVERY
        else:
            # a change is news (but a burst of changes is one line per 2 s at most)
            due = (text != self._last_text and now - self._last >= self.TERMINAL_EVERY) or \
                now - self._last >= self.LOG_EVERY
        if not due:
            return
        self._last, self._last_text = now, text
        self.write(f"  [{step.id}] {elapsed:5.1f}s waiting for: {waiting_for[:160]}")

    def write(self, line: str) -> None:
        if self.capture is not None:
            with self.capture.global_and_fixture_disabled():
                self.reporter.write_line(line)  # type: ignore[union-attr]
        else:
            self.reporter.write_line(line)  # type: ignore[union-attr]


def _isatty() -> bool:
    stream = sys.__stdout__
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def _setup_failure_line(session: JourneySession, error: E2EError) -> str:
    """One line: what failed, the problem, the fix, and where the ERROR report went."""
    failure = session.setup_error
    problem = " ".join(str(error).split())
    line = f"sovereign-e2e: cannot {failure.action if failure else session.action}: {problem}"
    # A ConfigError names its fix by contract; other errors (an unreachable API) get the
    # action's hint.
    if failure is not None and failure.hint and not isinstance(error, ConfigError):
        line += f" — {failure.hint}"
    if session.report is not None and session.report_path is not None:
        line += f" (cycle {session.report.cycle} ERROR, {session.report_path})"
    return line


def _start_session(config: pytest.Config) -> JourneySession | str:
    """The started session, or the one-line reason it could not start (an ERROR report
    has been written by then)."""
    if SESSION_KEY in config.stash:
        return config.stash[SESSION_KEY]
    if ERROR_KEY in config.stash:
        return config.stash[ERROR_KEY]
    live = _LiveProgress(config)
    on_progress: Callable[[Step, float, str], None] = live
    if _alluredir(config):
        waits = config.stash[WAITS_KEY] = _AllureWaits()

        def on_progress(step: Step, elapsed: float, waiting_for: str) -> None:
            waits(step, elapsed, waiting_for)
            live(step, elapsed, waiting_for)

    settings = _settings(config)
    runtime = config.hook.pytest_sovereign_container_runtime(config=config)
    # A plugin's container runtime (e2e/hookspecs.py) goes to the provider; otherwise the
    # session picks the provider itself.
    extra = {} if runtime is None else {
        "provider": provider_for(settings, container_runtime=runtime)}
    session = JourneySession(settings, on_progress=on_progress, **extra)
    try:
        session.start()
    except E2EError as e:
        session.close()
        config.stash[ERROR_KEY] = _setup_failure_line(session, e)
        return config.stash[ERROR_KEY]
    config.stash[SESSION_KEY] = session
    return session


def _runs_journey(session: pytest.Session) -> bool:
    return any("journey_step" in getattr(item, "fixturenames", ()) for item in session.items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Bring the target up before the first test when the journey is selected, so a setup
    failure is one line and a usage error (exit 4), not the same error on 16 items.

    Not on an xdist worker: it learns which items it runs only while running them, so its
    session starts lazily in the fixture (and a failure there is short, not chained)."""
    config = session.config
    if config.option.collectonly or hasattr(config, "workerinput") or \
            config.pluginmanager.has_plugin("dsession") or not _runs_journey(session):
        return
    started = _start_session(config)
    if isinstance(started, str):
        raise pytest.UsageError(started)


@pytest.fixture(scope="session")
def sovereign_journey(pytestconfig: pytest.Config,
                      request: pytest.FixtureRequest) -> Iterator[JourneySession]:
    """The journey session: the target brought up once, its cycle report kept current."""
    started = _start_session(pytestconfig)
    if isinstance(started, str):
        if hasattr(pytestconfig, "workerinput"):
            # An xdist worker: this item errors, the worker runs nothing more, and the
            # controller stops the run (exit 4, as serially) rather than 16 ERRORs.
            request.session.shouldfail = started
        pytest.fail(started, pytrace=False)  # outside any `except`: no chained traceback
    try:
        yield started
    finally:
        started.finish()
        started.close()


@dataclass(frozen=True)
class StepRequest:
    """What the `journey_step` fixture hands over at setup: the step to run. The step runs
    in the test's call phase (pytest_runtest_call below), so its time is the test's time in
    every report (Allure's durations and timeline, JUnit, --durations), and the test function
    receives the StepResult."""

    number: int


@pytest.fixture
def journey_step(request: pytest.FixtureRequest,
                 sovereign_journey: JourneySession) -> StepRequest:
    """One step of the journey (its needs run first); a blocked step is a skip."""
    return StepRequest(int(request.param))


def _run_requested_step(item: pytest.Item) -> StepResult | None:
    funcargs = getattr(item, "funcargs", {})
    request = funcargs.get("journey_step")
    session = item.config.stash.get(SESSION_KEY, None)
    if not isinstance(request, StepRequest) or session is None:
        return None
    waits = item.config.stash.get(WAITS_KEY, None)
    try:
        result = session.run_step(request.number)
    finally:
        if waits is not None:
            waits.close()
    funcargs["journey_step"] = result
    return result


def expect_pass(result: StepResult) -> None:
    """Fail the test with the step's verdict, root cause and fix (no traceback noise)."""
    if result.status == StepStatus.PASS:
        return
    cause = result.root_cause
    # The root cause's code leads the message: Allure's categories match on it.
    code = f"{cause.code} " if cause is not None else ""
    lines = [f"{code}{result.id} {result.status.value}: {result.progress}"]
    if cause is not None:
        lines.append(f"  {cause.code} {cause.subject or ''}: {cause.message}")
        lines.append(f"  fix: {cause.hint}")
    pytest.fail("\n".join(lines), pytrace=False)


def _summary(session: JourneySession) -> list[str]:
    """The cycle verdict: a separator title first, then detail lines."""
    report = session.report
    if report is None:
        return []
    where = f" ({session.report_path})" if session.report_path else ""
    verdict = report.verdict.value
    ff = report.first_failure
    if ff is not None and ff.status not in (StepStatus.PASS, StepStatus.NOT_RUN):
        code = f" {ff.code}" if ff.code else ""
        lines = [f"cycle {report.cycle} {verdict}: stopped at {ff.step} {ff.status.value}"
                 f"{code}{where}"]
        if ff.finding is not None:
            lines += [f"  {ff.finding.message}", f"  fix: {ff.finding.hint}"]
        return lines
    ran = sum(1 for s in report.steps if s.status == StepStatus.PASS)
    skipped = sum(1 for s in report.steps if s.status == StepStatus.NOT_RUN)
    note = f" ({skipped} not selected)" if skipped else ""
    return [f"cycle {report.cycle} {verdict}: {ran}/{len(report.steps)} steps passed"
            f"{note}{where}"]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    journey = config.stash.get(SESSION_KEY, None)
    if hasattr(config, "workeroutput"):
        # On an xdist worker: send the verdict home, the controller prints it.
        lines = _summary(journey) if journey is not None else \
            [config.stash[ERROR_KEY]] if ERROR_KEY in config.stash else []
        config.workeroutput["sovereign_e2e_summary"] = lines  # type: ignore[attr-defined]
        config.workeroutput["sovereign_e2e_setup_failed"] = (  # type: ignore[attr-defined]
            journey is None and ERROR_KEY in config.stash)
    elif config.stash.get(SETUP_FAILED_ON_WORKER_KEY, False):
        # A worker could not bring the target up: a usage error, as in a serial run.
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    _write_allure_launch_files(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    lines = getattr(node, "workeroutput", {}).get("sovereign_e2e_summary")
    if lines:
        node.config.stash.setdefault(WORKER_SUMMARIES_KEY, []).append(lines)
    if getattr(node, "workeroutput", {}).get("sovereign_e2e_setup_failed"):
        node.config.stash[SETUP_FAILED_ON_WORKER_KEY] = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`load`, `worksteal` and `loadgroup` would split a journey: see e2e/xdist_scheduling."""
    return xdist_scheduling.make_scheduler(config, log)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """On the xdist controller: which workers ran each journey module's steps."""
    node = getattr(report, "node", None)
    module = xdist_scheduling.journey_module(report.nodeid)
    if node is None or module is None or report.when != "call":
        return
    workers = node.config.stash.setdefault(JOURNEY_WORKERS_KEY, {})
    workers.setdefault(module, set()).add(node.gateway.id)


def split_journey_warning(config: pytest.Config) -> str | None:
    """The warning for a journey whose steps ran on several workers (a worker that crashed
    and was replaced, another plugin's scheduler), or None."""
    ran: dict[str, set[str]] = config.stash.get(JOURNEY_WORKERS_KEY, {})
    split = {module: sorted(w) for module, w in sorted(ran.items()) if len(w) > 1}
    if not split:
        return None
    where = "; ".join(f"{m} on {', '.join(w)}" for m, w in split.items())
    return (f"sovereign-e2e: warning: the journey's steps ran on several workers ({where}): "
            "each worker brings up its own Sovereign and walks only the steps its share "
            "needs, so these are partial cycles (INCOMPLETE), not one. Keep a journey on one "
            "worker: add --dist loadfile (e.g. pytest -n 2 --dist loadfile -k journey).")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    warning = split_journey_warning(config)
    if warning:  # printed once, beside the partial cycles it explains
        terminalreporter.write_sep("=", "journey split across workers", yellow=True)
        terminalreporter.write_line(warning)
    collected: list[list[str]] = config.stash.get(WORKER_SUMMARIES_KEY, [])
    summaries = list(collected)
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        summaries.insert(0, _summary(session))
    for lines in summaries:
        if not lines:
            continue
        terminalreporter.write_sep("=", lines[0])
        for line in lines[1:]:
            terminalreporter.write_line(line)


# ---- Allure (--alluredir from allure-pytest) ----------------------------------------------
# Additive: attaches each journey step's evidence and findings to its Allure test result and
# writes the launch files (categories.json, environment.properties). Idle without --alluredir.

def _alluredir(config: pytest.Config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)


# Not a wrapper: wrappers (allure-pytest's, which times the call) run around it.
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Run the journey step inside the call phase, then hand its result to the test."""
    result = _run_requested_step(item)
    if result is None:
        return
    session = item.config.stash[SESSION_KEY]
    if _alluredir(item.config):
        from .report.render.allure import attach_step

        attach_step(result, session.redactor)
    if result.status == StepStatus.BLOCKED:
        # `-ra` prints the test file's line, not the step: the reason names the step.
        pytest.skip(f"{result.id} {result.progress or f'blocked by {result.blocked_by}'}")


class _AllureWaits:
    """Each thing a step waits for, as an Allure step from when the wait began until what
    it waits for changed (or the step ended): the test's timeline shows where time went."""

    MAX_STEPS = 200  # a wait whose text changes on every event must not flood the report

    def __init__(self) -> None:
        self._open: Any = None
        self._key: tuple[str, str] | None = None
        self._count = 0

    def __call__(self, step: Step, elapsed: float, waiting_for: str) -> None:
        key = (step.id, waiting_for)
        if key == self._key or self._count >= self.MAX_STEPS:
            return
        import allure

        self.close()
        self._count += 1
        self._open = allure.step(f"{step.id} waiting for: {waiting_for[:200]}")
        self._open.__enter__()
        self._key = key

    def close(self) -> None:
        if self._open is not None:
            self._open.__exit__(None, None, None)
        self._open, self._key = None, None


def _write_allure_launch_files(session: pytest.Session) -> None:
    config = session.config
    alluredir = _alluredir(config)
    if not alluredir:
        return
    from pathlib import Path

    from . import __version__
    from .redact import Redactor
    from .report.render.allure import environment, write_launch_files

    journey = config.stash.get(SESSION_KEY, None)
    settings = _settings(config)
    env = environment(journey.report if journey else None, provider=settings.sovereign,
                      fqdn=settings.fqdn, cycle=settings.cycle, version=__version__)
    # Under xdist the worker that ran the journey knows the target; the controller does not.
    controller = config.pluginmanager.has_plugin("dsession")
    write_launch_files(Path(alluredir), None if controller else env,
                       journey.redactor if journey else Redactor())
