"""Settings precedence (command line > env > ini > default) and one-line input errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.config import resolve
from e2e.errors import ConfigError
from e2e.journey.steps import STEP_IDS


def no_ini(key: str) -> Any:
    return None


def test_defaults() -> None:
    s = resolve({}, no_ini, environ={}, step_ids=STEP_IDS)
    assert s.sovereign == "emulated"
    assert s.report_dir == Path("reports")
    assert s.sources["sovereign"] == "default"


def test_precedence_cli_over_env_over_ini() -> None:
    ini = {"sovereign_report_dir": "from-ini", "sovereign_fqdn": "ini.example"}.get
    env = {"SOVEREIGN_E2E_REPORT_DIR": "from-env"}
    s = resolve({"report_dir": "from-cli"}, ini, environ=env, step_ids=STEP_IDS)
    assert s.report_dir == Path("from-cli") and s.sources["report_dir"] == "--report-dir"
    s = resolve({}, ini, environ=env, step_ids=STEP_IDS)
    assert s.report_dir == Path("from-env")
    assert s.sources["report_dir"] == "env SOVEREIGN_E2E_REPORT_DIR"
    assert s.fqdn == "ini.example" and s.sources["fqdn"] == "ini sovereign_fqdn"


def test_step_timeouts_by_number_slug_or_id() -> None:
    s = resolve({"step_timeout": ["05=1800", "routes-accepted=60,16-sandbox-token-minted=9"]},
                no_ini, environ={}, step_ids=STEP_IDS)
    assert s.timeout_for("05-bootstrap-kit-converged", 1.0) == 1800
    assert s.timeout_for("15-routes-accepted", 1.0) == 60
    assert s.timeout_for("16-sandbox-token-minted", 1.0) == 9
    assert s.timeout_for("01-cluster-reachable", 1.0) == 1.0


@pytest.mark.parametrize(("cli", "needle"), [
    ({"step_timeout": ["nonsense"]}, "is not ID=SECONDS"),
    ({"step_timeout": ["99=5"]}, "unknown step '99'"),
    ({"step_timeout": ["05=-1"]}, "must be positive"),
    ({"step_timeout": ["05=soon"]}, "is not a number"),
    ({"cycle": "23"}, "must look like t23"),
    ({"gateway_url": "127.0.0.1:80"}, "must start with http"),
    ({"sovereign": "minikube"}, "is not one of"),
    ({"overlay": ["/no/such/overlay"]}, "is not a directory"),
])
def test_bad_input_is_one_clear_line(cli: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(cli, no_ini, environ={}, step_ids=STEP_IDS)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_env_error_names_its_source() -> None:
    with pytest.raises(ConfigError, match="env SOVEREIGN_E2E_STEP_TIMEOUT"):
        resolve({}, no_ini, environ={"SOVEREIGN_E2E_STEP_TIMEOUT": "x"}, step_ids=STEP_IDS)


def test_paths_written_after_an_equals_sign_expand_the_home_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `--kubeconfig=~/.kube/t23.yaml`: the shell leaves `~` alone inside a word.
    monkeypatch.setenv("HOME", str(tmp_path))
    s = resolve({"kubeconfig": "~/.kube/t23.yaml", "report_dir": "~/reports"}, no_ini,
                environ={}, step_ids=STEP_IDS)
    assert s.kubeconfig == tmp_path / ".kube" / "t23.yaml"
    assert s.report_dir == tmp_path / "reports"
