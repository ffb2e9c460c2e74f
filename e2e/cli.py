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


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sovereign-e2e",
        description="End-to-end harness for Sovereign provisioning.",
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
    return parser


async def _emulator_up(args: argparse.Namespace) -> int:
    from stubs.emulator.runtime import Emulator

    emulator = Emulator(fqdn=args.fqdn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        info = await emulator.start()
        path = info.write_kubeconfig(args.kubeconfig)
        print(json.dumps({"kubeconfig": str(path), "gateway": info.gateway_url,
                          "fqdn": info.fqdn}), flush=True)
        await stop.wait()
    finally:
        await emulator.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "emulator" and args.emulator_command == "up":
            return asyncio.run(_emulator_up(args))
    except CliError as e:
        print(f"sovereign-e2e: error: {e}", file=sys.stderr)
        return 2
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    sys.exit(main())
