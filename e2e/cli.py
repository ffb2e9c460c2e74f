"""`sovereign-e2e`: run the journey, read reports, and start the emulated Sovereign.

Thin on purpose: it parses arguments and hands off to pytest, the report store or the
emulator. Subcommands grow with the project (run, report, history, signoff, plan, lint).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_KUBECONFIG = Path("reports") / "emulated.kubeconfig"
DEFAULT_ORACLE_KUBECONFIG = Path("reports") / "oracle.kubeconfig"


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sovereign-e2e",
        description="End-to-end harness for Sovereign provisioning.",
        epilog=(
            "examples:\n"
            "  sovereign-e2e run                  the journey, emulated Sovereign\n"
            "  sovereign-e2e run -k journey --sovereign kubeconfig --kubeconfig t23.yaml\n"
            "  sovereign-e2e emulator up --overlay scenarios/faults/<name>/overlay\n"
            "  sovereign-e2e oracle up            a real kube-apiserver (tools/build-oracle)\n"
            "  sovereign-e2e report --format html --output t23.html\n"
            "  sovereign-e2e history              the cycle log (t13 FAIL, t14 PASS, ...)\n"
            "  sovereign-e2e signoff --require-passes 2"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    emu = sub.add_parser("emulator", help="run the emulated Sovereign")
    emu_sub = emu.add_subparsers(dest="emulator_command", metavar="ACTION")
    emu_sub.required = True
    up = emu_sub.add_parser(
        "up",
        help="start the emulated Sovereign in the foreground",
        description=(
            "Start the emulated Sovereign on loopback, write a kubeconfig, print one JSON line "
            '({"kubeconfig": ..., "gateway": ..., "fqdn": ...}) once it is ready, and run '
            "until SIGINT/SIGTERM."
        ),
    )
    up.add_argument("--kubeconfig", type=Path, default=DEFAULT_KUBECONFIG,
                    help=f"where to write the kubeconfig (default: {DEFAULT_KUBECONFIG})")
    up.add_argument("--fqdn", default="sovereign.test",
                    help="the Sovereign's FQDN (default: sovereign.test)")
    up.add_argument("--bare", action="store_true",
                    help="a bare cluster, as `kind create cluster` leaves one: no CRDs but "
                         "the platform's, no Sovereign; install the rest with kubectl, "
                         "helm and Flux")
    up.add_argument("--overlay", type=Path, action="append", default=[], metavar="DIR",
                    help="overlay directory (DIR/kustomization.yaml: extra manifests and "
                         "patches) applied to the default Sovereign; repeatable")
    plan = sub.add_parser(
        "plan", help="print what a target's bring-up would run, without running it",
        description="Print every action of bringing the target up, in order: the exact "
                    "commands and manifests, what each waits for and its timeout. Nothing "
                    "is created.")
    plan.add_argument("--sovereign", default="kind", help="the target (only kind has a plan)")
    plan.add_argument("--format", choices=["text", "json"], default="text")
    plan.add_argument("--cycle", help="the cycle id (default: the next in --report-dir)")
    plan.add_argument("--kind-cluster", metavar="NAME",
                      help="the cluster's name (default sovereign-<cycle>)")
    plan.add_argument("--fqdn", help="the Sovereign's FQDN (default sovereign.test)")
    plan.add_argument("--report-dir", type=Path, default=Path("reports"),
                      help="where reports (and the kind work dir) go (default reports/)")
    plan.add_argument("--bootstrap-kit", type=Path, metavar="DIR",
                      help="the bootstrap-kit directory to push")
    plan.add_argument("--platform-repo", type=Path, metavar="DIR",
                      help="a platform checkout (its clusters/_template/bootstrap-kit)")
    _add_oracle_command(sub)
    _add_report_commands(sub)
    # Listed for `sovereign-e2e --help`; its arguments never reach argparse (see main).
    sub.add_parser("run", add_help=False, help="run the journey with pytest (every argument "
                                               "goes to pytest; `run --help` for more)")
    return parser


def _add_oracle_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    oracle = sub.add_parser("oracle", help="run the oracle: a real etcd and kube-apiserver")
    oracle_sub = oracle.add_subparsers(dest="oracle_command", metavar="ACTION")
    oracle_sub.required = True
    up = oracle_sub.add_parser(
        "up",
        help="start a real kube-apiserver (and etcd) on loopback in the foreground",
        description=(
            "Start the pinned etcd and kube-apiserver built by tools/build-oracle on loopback "
            "(TLS from a per-run CA, a bearer token generated for this run), write a "
            'kubeconfig, print one JSON line ({"kubeconfig": ..., "server": ..., '
            '"version": ...}) once /readyz answers, and run until SIGINT/SIGTERM.'),
    )
    up.add_argument("--kubeconfig", type=Path, default=DEFAULT_ORACLE_KUBECONFIG,
                    help=f"where to write the kubeconfig (default: {DEFAULT_ORACLE_KUBECONFIG})")


def _oracle_up(args: argparse.Namespace) -> int:
    from e2e.oracle import OracleServer, OracleUnavailable
    from e2e.oracle.server import OracleStartError

    try:
        server = OracleServer()
    except OracleUnavailable as e:
        raise CliError(str(e)) from None
    stopping = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stop)
    try:
        try:
            server.start()
        except OracleStartError as e:
            raise CliError(f"oracle did not start: {e}") from None
        path = server.write_kubeconfig(args.kubeconfig)
        print(json.dumps({"kubeconfig": str(path), "server": server.url,
                          "version": server.binaries.kubernetes_version}), flush=True)
        signal.pause()
    except KeyboardInterrupt:
        if not stopping:
            raise
    finally:
        server.stop()
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def _add_report_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from e2e.report.commands import DEFAULT_REPORT_DIR
    from e2e.report.render import ReportFormat

    dir_help = f"where the cycle reports are (default: {DEFAULT_REPORT_DIR})"
    rep = sub.add_parser("report", help="render a cycle report",
                         description="Render one cycle's report (default: the latest cycle, "
                                     "Markdown, to stdout).")
    rep.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help=dir_help)
    rep.add_argument("--cycle", help="the cycle id, e.g. t23 (default: the latest)")
    rep.add_argument("--format", type=ReportFormat, default=ReportFormat.MARKDOWN,
                     choices=list(ReportFormat), help="output format (default: markdown)")
    rep.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    hist = sub.add_parser("history", help="print the cycle log",
                          description="Print the cycle log: consecutive cycles with the same "
                                      "verdict and root cause grouped, with the stopping step.")
    hist.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help=dir_help)
    hist.add_argument("--format", choices=["text", "html"], default="text",
                      help="text (the cycle log) or html (a trend chart of steps passed per "
                           "cycle, and the log); default: text")
    hist.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    sign = sub.add_parser(
        "signoff", help="the release sign-off report: GO/NO-GO with what was signed",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The release sign-off from the latest N cycles: GO (exit 0) only when "
                    "each is PASS with no blocking finding, on a real target, on one platform "
                    "version, with no step regressed or flaky; NO-GO (exit 1) with its "
                    "reasons otherwise, also when there are no reports. It names the "
                    "targets, the platform's chart versions, the harness version and commit, "
                    "p50 per step against the previous sign-off, flaky steps, and every "
                    "root cause once with its fix. A GO is recorded in "
                    "<report-dir>/signoffs/ as the next sign-off's baseline.",
        epilog="examples:\n"
               "  sovereign-e2e signoff --require-passes 2 --output signoff.md\n"
               "  sovereign-e2e signoff --format html --output signoff.html\n"
               "  sovereign-e2e signoff --json | jq .decision\n"
               "  sovereign-e2e signoff --allow-emulated     the harness against the emulator")
    sign.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, help=dir_help)
    sign.add_argument("--require-passes", type=_positive_int, default=1, metavar="N",
                      help="the latest N cycles must all be PASS (default: 1)")
    sign.add_argument("--format", choices=["markdown", "html"], default="markdown",
                      help="markdown (default) or html")
    sign.add_argument("--json", action="store_true",
                      help="print the sign-off as JSON instead (every field of the report)")
    sign.add_argument("--output", type=Path, help="write to this file (default: stdout)")
    sign.add_argument("--allow-emulated", action="store_true",
                      help="allow GO on cycles against the emulated Sovereign (the title "
                           "says so): signs off the harness, not a release")
    sign.add_argument("--regression-threshold", type=_percent, default=50, metavar="PCT",
                      help="a step whose p50 is more than PCT%% slower (and 5 s) than at the "
                           "previous sign-off is a regression (default: 50)")
    sign.add_argument("--no-record", action="store_true",
                      help="do not record a GO in <report-dir>/signoffs/")


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0")
    return value


def _report_command(args: argparse.Namespace) -> int:
    from e2e.report import commands
    from e2e.report.errors import ReportError

    try:
        if args.command == "report":
            text = commands.report_text(args.report_dir, args.cycle, args.format)
            if args.output is None:
                sys.stdout.write(text)
            else:
                commands.write_output(args.output, text)
            return 0
        if args.command == "history":
            text = commands.history_text(args.report_dir, args.format)
            if args.output is None:
                sys.stdout.write(text)
            else:
                commands.write_output(args.output, text)
                if args.format == "html":  # the bars link to these, beside the page
                    commands.write_cycle_pages(args.report_dir, args.output.parent)
            return 0
        return _signoff(args)
    except ReportError as e:
        raise CliError(str(e)) from None


def _signoff(args: argparse.Namespace) -> int:
    from e2e.report import commands
    from e2e.report.render.signoff import render_html, render_markdown
    from e2e.report.signoff_records import record_signoff

    decision = commands.signoff_decision(args.report_dir, args.require_passes,
                                         allow_emulated=args.allow_emulated,
                                         threshold=args.regression_threshold / 100)
    text = decision.to_json() if args.json else \
        render_html(decision) if args.format == "html" else render_markdown(decision)
    if args.output is None:
        sys.stdout.write(text)
    else:
        commands.write_output(args.output, text)
    if not args.no_record:
        try:
            record_signoff(args.report_dir, decision)
        except OSError as e:
            print(f"sovereign-e2e: warning: could not record the sign-off in "
                  f"{args.report_dir}: {e.strerror or e}", file=sys.stderr)
    return decision.exit_code


async def _emulator_up(args: argparse.Namespace) -> int:
    from stubs.emulator.assemble import build_emulator
    from stubs.emulator.overlays import OverlayError

    for overlay in args.overlay:
        if not (overlay / "kustomization.yaml").is_file():
            raise CliError(f"--overlay {overlay}: no kustomization.yaml there; pass a "
                           "directory holding one (see README, Overlays)")
    if args.bare and args.overlay:
        raise CliError("emulator up: --bare and --overlay do not go together (an overlay "
                       "changes the default Sovereign, which --bare does not apply)")
    emulator = build_emulator(fqdn=args.fqdn, overlays=args.overlay, bare=args.bare)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            info = await emulator.start()
        except OverlayError as e:
            raise CliError(str(e)) from None
        path = info.write_kubeconfig(args.kubeconfig)
        print(json.dumps({"kubeconfig": str(path), "gateway": info.gateway_url,
                          "fqdn": info.fqdn}), flush=True)
        await stop.wait()
    finally:
        await emulator.stop()
    return 0


def _plan(args: argparse.Namespace) -> int:
    from e2e.config import resolve
    from e2e.errors import ConfigError

    if args.sovereign != "kind":
        raise CliError(f"plan --sovereign {args.sovereign}: only the kind target has a plan "
                       "(emulated starts in-process, kubeconfig creates nothing)")
    cli = {"sovereign": "kind", "cycle": args.cycle, "kind_cluster": args.kind_cluster,
           "fqdn": args.fqdn, "report_dir": args.report_dir,
           "bootstrap_kit": args.bootstrap_kit, "platform_repo": args.platform_repo}
    try:
        settings = resolve(cli, lambda _key: None, environ={})
        from e2e.providers.kind import KindProvider

        plan = KindProvider(settings, runtime=_NoRuntime()).plan()  # type: ignore[arg-type]
    except ConfigError as e:
        raise CliError(str(e)) from None
    sys.stdout.write(plan.to_json() if args.format == "json" else plan.to_text())
    sys.stdout.flush()
    # The plan is for reading anywhere; whether this machine can run it is one line more.
    from e2e.providers.kind.containers import TestcontainersRuntime
    from e2e.providers.kind.prereqs import check_prerequisites

    try:
        check_prerequisites(TestcontainersRuntime().problem())
    except ConfigError as e:
        print(f"sovereign-e2e: this machine cannot run the plan: {e}", file=sys.stderr)
        return PREREQUISITE_MISSING
    return 0


# `plan` printed the plan, but a prerequisite of running it is missing here.
PREREQUISITE_MISSING = 3


class _NoRuntime:
    """`plan` starts nothing: a runtime that is never asked to."""

    def problem(self) -> str | None:
        return "not used by plan"


# -- run: pytest is the engine -----------------------------------------------------------

RUN_USAGE = "usage: sovereign-e2e run [PYTEST ARGS...]"


def _default_run_args() -> list[str]:
    """`-k journey` on the scenarios of the repo this package runs from, if there is one
    (an editable install or a checkout); otherwise pytest's own default, the current dir."""
    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    return ["-k", "journey", *([str(scenarios)] if scenarios.is_dir() else [])]


def _run_help() -> str:
    from e2e.plugin import HELP

    options = "\n".join(f"  --{name.replace('_', '-'):<20} {text}"
                        for name, text in HELP.items())
    return (f"{RUN_USAGE}\n\n"
            "Run pytest with the sovereign-e2e plugin (it loads by itself) and exit with "
            "pytest's exit code.\nEvery argument goes to pytest unchanged; with none, "
            f"this runs: pytest {' '.join(_default_run_args())}\n\n"
            "Examples:\n"
            "  sovereign-e2e run -k journey --sovereign kubeconfig --kubeconfig t23.yaml\n"
            "  sovereign-e2e run -k 'journey and routes' --alluredir allure-results\n\n"
            f"The Sovereign options (also settable in pytest ini as sovereign_<name>):\n"
            f"{options}\n\n"
            "All of pytest's options: pytest --help\n")


def _run(args: list[str]) -> int:
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(_run_help())
        return 0
    import pytest

    from e2e import interrupts

    code = int(pytest.main(args or _default_run_args()))
    # After SIGINT/SIGTERM pytest says "interrupted" (2); the shell convention says which.
    return interrupts.exit_code(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        return _run(argv[1:])
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "emulator" and args.emulator_command == "up":
            return asyncio.run(_emulator_up(args))
        if args.command == "plan":
            return _plan(args)
        if args.command == "oracle" and args.oracle_command == "up":
            return _oracle_up(args)
        if args.command in ("report", "history", "signoff"):
            return _report_command(args)
    except CliError as e:
        print(f"sovereign-e2e: error: {e}", file=sys.stderr)
        return 2
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    sys.exit(main())
