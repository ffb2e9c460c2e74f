"""exec probes run against the app model: what a command does in this container.

The app model lists, per image, the executables on its $PATH (`commands`). A command the
image has runs through a small table of known behaviours answered from the container's real
state: the files its ConfigMap/Secret volumes mount (`cat`), what its process serves on the
pod network (`curl`, `wget`, `pg_isready`, `redis-cli ping`), a shell's `-c` string. A
command the image lacks is what runc reports through containerd's ExecSync, which the
kubelet's exec prober turns into a probe *error* (the result is thrown away): `rpc error:
code = Unknown desc = failed to exec in container: failed to start exec "<id>": OCI runtime
exec failed: exec failed: unable to start container process: exec: "<cmd>": executable
file not found in $PATH: unknown` (pkg/probe/exec/exec.go, pkg/kubelet/prober/prober.go).
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from ..appmodel import KNOWN_COMMANDS
from ..network import PodNetwork

PG_PORT, REDIS_PORT = 5432, 6379


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None  # None: the process could not be started (an exec *error*)
    output: str


@dataclass
class Container:
    """What an exec sees of its container."""

    commands: frozenset[str]
    pod_ip: str
    network: PodNetwork
    session: aiohttp.ClientSession
    read_file: Callable[[str], str | None]
    exec_id_seed: str = ""


def _exec_error(argv0: str, seed: str) -> ExecResult:
    exec_id = hashlib.sha256(f"{seed}/{argv0}".encode()).hexdigest()
    why = (f"stat {argv0}: no such file or directory" if argv0.startswith("/")
           else "executable file not found in $PATH")
    return ExecResult(None, (
        "rpc error: code = Unknown desc = failed to exec in container: failed to start exec "
        f'"{exec_id}": OCI runtime exec failed: exec failed: unable to start container '
        f'process: exec: "{argv0}": {why}: unknown'))


async def run_exec(argv: list[str], c: Container) -> ExecResult:
    """Run `argv` in the container the way its image would."""
    if not argv:
        return ExecResult(None, "rpc error: code = Unknown desc = command is empty")
    name = posixpath.basename(argv[0])
    if name not in c.commands or name not in KNOWN_COMMANDS:
        return _exec_error(argv[0], c.exec_id_seed)
    return await BEHAVIOURS[name](argv[1:], c)


async def _shell(args: list[str], c: Container) -> ExecResult:
    if len(args) < 2 or args[0] != "-c":
        return ExecResult(0, "")
    script = args[1]
    # `a && b` and `a || b` of simple commands, left to right, as sh runs them.
    result, op = ExecResult(0, ""), "&&"
    out: list[str] = []
    tokens = shlex.split(script)
    cmd: list[str] = []
    for tok in [*tokens, "&&"]:
        if tok not in ("&&", "||", ";"):
            cmd.append(tok)
            continue
        if cmd and (op == ";" or (op == "&&") == (result.exit_code == 0)):
            result = await _in_shell(cmd, c)
            out.append(result.output)
        cmd, op = [], tok
    return ExecResult(result.exit_code, "".join(out))


async def _in_shell(cmd: list[str], c: Container) -> ExecResult:
    result = await run_exec(cmd, c)
    if result.exit_code is None:  # sh reports a missing command itself, exit 127
        return ExecResult(127, f"sh: {cmd[0]}: not found\n")
    return result


async def _cat(args: list[str], c: Container) -> ExecResult:
    out, code = [], 0
    for path in args:
        text = c.read_file(path)
        if text is None:
            out.append(f"cat: can't open '{path}': No such file or directory\n")
            code = 1
        else:
            out.append(text)
    return ExecResult(code, "".join(out))


async def _true(args: list[str], c: Container) -> ExecResult:
    return ExecResult(0, "")


async def _false(args: list[str], c: Container) -> ExecResult:
    return ExecResult(1, "")


def _local_url(args: list[str]) -> tuple[str, int, str] | None:
    """(host, port, path) of the first http URL in args that names this pod."""
    for a in args:
        if a.startswith("http://"):
            hostport, _, path = a[len("http://"):].partition("/")
            host, _, port = hostport.partition(":")
            return host, int(port or 80), "/" + path
    return None


async def _get(c: Container, port: int, path: str) -> int | None:
    """The status of GET path on this pod's port, None when nothing listens."""
    base = c.network.resolve(c.pod_ip, port)
    if base is None:
        return None
    try:
        async with c.session.get(base + path, allow_redirects=False,
                                 timeout=aiohttp.ClientTimeout(total=5)) as resp:
            await resp.read()
            return resp.status
    except (aiohttp.ClientError, TimeoutError):
        return None


def _own_host(host: str, c: Container) -> bool:
    return host in ("localhost", "127.0.0.1", c.pod_ip)


async def _curl(args: list[str], c: Container) -> ExecResult:
    url = _local_url(args)
    if url is None:
        return ExecResult(2, "curl: (2) no URL specified\n")
    host, port, path = url
    status = await _get(c, port, path) if _own_host(host, c) else None
    if status is None:
        return ExecResult(7, f"curl: (7) Failed to connect to {host} port {port} after 0 ms: "
                             "Couldn't connect to server\n")
    if status >= 400 and any(a.startswith("-") and "f" in a for a in args):
        return ExecResult(22, f"curl: (22) The requested URL returned error: {status}\n")
    return ExecResult(0, "")


async def _wget(args: list[str], c: Container) -> ExecResult:
    url = _local_url(args)
    if url is None:
        return ExecResult(1, "wget: missing URL\n")
    host, port, path = url
    status = await _get(c, port, path) if _own_host(host, c) else None
    if status is None:
        return ExecResult(1, f"wget: can't connect to remote host ({host}): "
                             "Connection refused\n")
    if status >= 400:
        return ExecResult(1, f"wget: server returned error: HTTP/1.1 {status}\n")
    return ExecResult(0, "")


async def _pg_isready(args: list[str], c: Container) -> ExecResult:
    port = PG_PORT
    if "-p" in args[:-1]:
        port = int(args[args.index("-p") + 1])
    where = f"/var/run/postgresql:{port}"
    if c.network.resolve(c.pod_ip, port) is None:
        return ExecResult(2, f"{where} - no response\n")
    return ExecResult(0, f"{where} - accepting connections\n")


async def _redis_cli(args: list[str], c: Container) -> ExecResult:
    port = REDIS_PORT
    if "-p" in args[:-1]:
        port = int(args[args.index("-p") + 1])
    if c.network.resolve(c.pod_ip, port) is None:
        return ExecResult(1, f"Could not connect to Redis at 127.0.0.1:{port}: Connection "
                             "refused\n")
    return ExecResult(0, "PONG\n" if args[-1:] == ["ping"] else "")


BEHAVIOURS: dict[str, Callable[[list[str], Container], Awaitable[ExecResult]]] = {
    "sh": _shell, "bash": _shell, "cat": _cat, "true": _true, "false": _false,
    "curl": _curl, "wget": _wget, "pg_isready": _pg_isready, "redis-cli": _redis_cli,
}
assert set(BEHAVIOURS) == KNOWN_COMMANDS, "the app model's list and the behaviours agree"
