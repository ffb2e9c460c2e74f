"""One typed settings object. Precedence: command line > SOVEREIGN_E2E_* env > ini > default.

Each value remembers where it came from (`sources`), so errors and the report header can
say "--step-timeout from env SOVEREIGN_E2E_STEP_TIMEOUT" rather than just "bad value".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

PROVIDERS = ("emulated", "kubeconfig", "kind")
ENV_PREFIX = "SOVEREIGN_E2E_"


@dataclass
class Settings:
    sovereign: str = "emulated"
    cycle: str | None = None
    report_dir: Path = Path("reports")
    overlays: list[Path] = field(default_factory=list)
    kubeconfig: Path | None = None
    context: str | None = None
    fqdn: str | None = None
    gateway_url: str | None = None
    gateway_insecure: bool = False
    step_timeouts: dict[str, float] = field(default_factory=dict)
    step_stalls: dict[str, float] = field(default_factory=dict)
    keep_on_failure: bool = False
    # kind target
    kind_cluster: str | None = None
    keep_cluster: bool = False
    bootstrap_kit: Path | None = None
    platform_repo: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def timeout_for(self, step_id: str, default: float) -> float:
        return _per_step(self.step_timeouts, step_id, default)

    def stall_for(self, step_id: str, default: float) -> float:
        return _per_step(self.step_stalls, step_id, default)


def _per_step(table: Mapping[str, float], step_id: str, default: float) -> float:
    number, _, slug = step_id.partition("-")
    for key in (step_id, slug, number, str(int(number)) if number.isdigit() else number):
        if key in table:
            return table[key]
    return default


def parse_step_seconds(items: list[str], where: str, known_ids: list[str]) -> dict[str, float]:
    """`ID=SECONDS` items (ID: `05`, `5`, `bootstrap-kit-converged` or the full id)."""
    known: set[str] = set()
    for sid in known_ids:
        number, _, slug = sid.partition("-")
        known |= {sid, slug, number, str(int(number))}
    out: dict[str, float] = {}
    for item in items:
        for part in (p.strip() for p in item.split(",")):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep:
                raise ConfigError(f"{where}: {part!r} is not ID=SECONDS (e.g. "
                                  "05=600 or bootstrap-kit-converged=600)")
            if key not in known:
                raise ConfigError(f"{where}: unknown step {key!r}; steps are "
                                  f"{', '.join(known_ids)}")
            try:
                seconds = float(value)
            except ValueError as e:
                raise ConfigError(f"{where}: {value!r} is not a number of seconds") from e
            if seconds <= 0:
                raise ConfigError(f"{where}: seconds must be positive, got {value}")
            out[key] = seconds
    return out


def user_path(value: str) -> Path:
    """A path as the user wrote it, `~` expanded: a shell leaves `--kubeconfig=~/x` alone
    (tilde expansion applies to whole words), and `=` is how path options must be written
    (see rootdir_guard)."""
    return Path(value).expanduser()


def resolve(cli: Mapping[str, Any], ini: Callable[[str], Any],
            environ: Mapping[str, str] | None = None,
            step_ids: list[str] | None = None) -> Settings:
    """Build Settings from the three sources; `cli` holds None for options not given."""
    env = os.environ if environ is None else environ
    s = Settings()

    def pick(name: str, cast: Callable[[Any], Any] = str) -> Any:
        if cli.get(name) not in (None, [], ""):
            s.sources[name] = f"--{name.replace('_', '-')}"
            return cast(cli[name])
        env_key = ENV_PREFIX + name.upper()
        if env.get(env_key):
            s.sources[name] = f"env {env_key}"
            return cast(env[env_key])
        ini_value = ini(f"sovereign_{name}")
        if ini_value not in (None, "", []):
            s.sources[name] = f"ini sovereign_{name}"
            return cast(ini_value)
        s.sources[name] = "default"
        return None

    def as_list(value: Any) -> list[str]:
        if isinstance(value, str):
            return [v for v in value.replace(",", " ").split() if v]
        return [str(v) for v in value]

    if (v := pick("sovereign")) is not None:
        if v not in PROVIDERS:
            raise ConfigError(f"--sovereign {v!r} ({s.sources['sovereign']}) is not one of "
                              f"{', '.join(PROVIDERS)}")
        s.sovereign = v
    s.cycle = pick("cycle")
    if s.cycle is not None and not (s.cycle.startswith("t") and s.cycle[1:].isdigit()):
        raise ConfigError(f"--cycle {s.cycle!r} ({s.sources['cycle']}) must look like t23")
    if (v := pick("report_dir", user_path)) is not None:
        s.report_dir = v
    overlays = pick("overlay", as_list)
    s.overlays = [user_path(p) for p in overlays or []]
    for p in s.overlays:
        if not p.is_dir():
            raise ConfigError(f"--overlay {p} ({s.sources['overlay']}) is not a directory: "
                              "pass a directory holding kustomization.yaml")
    s.kubeconfig = pick("kubeconfig", user_path)
    s.context = pick("context")
    s.fqdn = pick("fqdn")
    s.gateway_url = pick("gateway_url")
    if s.gateway_url and not s.gateway_url.startswith(("http://", "https://")):
        raise ConfigError(f"--gateway-url {s.gateway_url!r} must start with http:// or "
                          "https://")
    s.gateway_insecure = bool(pick("gateway_insecure", _as_bool))
    s.keep_on_failure = bool(pick("keep_on_failure", _as_bool))
    s.kind_cluster = pick("kind_cluster")
    s.keep_cluster = bool(pick("keep_cluster", _as_bool))
    s.bootstrap_kit = pick("bootstrap_kit", user_path)
    s.platform_repo = pick("platform_repo", user_path)
    for name in ("bootstrap_kit", "platform_repo"):
        path = getattr(s, name)
        if path is not None and not path.is_dir():
            raise ConfigError(f"--{name.replace('_', '-')} {path} ({s.sources[name]}) is not "
                              "a directory: pass the kit directory (--bootstrap-kit) or a "
                              "checkout of the platform repository (--platform-repo)")
    ids = step_ids or []
    if (v := pick("step_timeout", as_list)) is not None:
        s.step_timeouts = parse_step_seconds(v, s.sources["step_timeout"], ids)
    if (v := pick("step_stall", as_list)) is not None:
        s.step_stalls = parse_step_seconds(v, s.sources["step_stall"], ids)
    return s


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")
