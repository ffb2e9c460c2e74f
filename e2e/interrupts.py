"""Signals that stop a run: SIGINT (Ctrl-C) and SIGTERM (a CI job cancelled).

The first one raises KeyboardInterrupt in the main thread, as Ctrl-C does by default, so
pytest stops and tears down: the journey's session marks the running step INTERRUPTED,
writes the report and deletes what the journey created. A second signal while that runs
does not cut it short (it says so on stderr); a third ends the process at once. The exit
code of `sovereign-e2e run` is then 128 + the first signal's number (130, 143).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)
received: list[int] = []


def install() -> bool:
    """Handle SIGINT and SIGTERM (only the main thread may); False when not possible."""
    if threading.current_thread() is not threading.main_thread():
        return False
    for sig in HANDLED:
        signal.signal(sig, _handle)
    return True


def _handle(signum: int, frame: FrameType | None) -> None:
    received.append(signum)
    name = signal.Signals(signum).name
    if len(received) == 1:
        raise KeyboardInterrupt(f"{name}: stopping the run")
    if len(received) == 2:
        sys.stderr.write(f"\nsovereign-e2e: {name} again: still writing the report and "
                         "deleting what the journey created; a third signal stops at once\n")
        return
    os._exit(128 + received[0])


def first_signal() -> int | None:
    return received[0] if received else None


def exit_code(default: int) -> int:
    """128 + the first signal's number after a signal, else `default`."""
    return 128 + received[0] if received else default
