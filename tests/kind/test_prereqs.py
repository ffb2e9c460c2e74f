"""Prerequisites: one line naming what is missing and how to install it, before anything."""

from __future__ import annotations

import pytest

from e2e.providers.kind.prereqs import PrerequisiteMissing, check_prerequisites

ALL = {"kind": "/usr/bin/kind", "helm": "/usr/bin/helm", "git": "/usr/bin/git",
       "kubectl": "/usr/bin/kubectl"}


def which_from(found: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda tool: found.get(tool)


def test_all_present() -> None:
    tools = check_prerequisites(None, which_from(ALL))
    assert str(tools.kind) == "/usr/bin/kind" and str(tools.kubectl) == "/usr/bin/kubectl"


def test_kubectl_is_optional_pytest_kind_fetches_the_pin() -> None:
    tools = check_prerequisites(None, which_from({k: v for k, v in ALL.items()
                                                  if k != "kubectl"}))
    assert tools.kubectl is None


@pytest.mark.parametrize("missing,hint", [("kind", "go install sigs.k8s.io/kind@v0.27.0"),
                                          ("helm", "helm.sh/docs/intro/install"),
                                          ("git", "apt-get install git")])
def test_missing_tool_is_one_line_with_the_fix(missing: str, hint: str) -> None:
    with pytest.raises(PrerequisiteMissing) as e:
        check_prerequisites(None, which_from({k: v for k, v in ALL.items() if k != missing}))
    text = str(e.value)
    assert "\n" not in text and f"`{missing}` on PATH" in text and hint in text


def test_docker_is_checked_first() -> None:
    with pytest.raises(PrerequisiteMissing, match=r"needs Docker: no engine.*docs\.docker\.com"):
        check_prerequisites("no engine", which_from({}))


def test_no_engine_here_is_reported_by_the_testcontainers_runtime(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from e2e.providers.kind.containers import TestcontainersRuntime

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    problem = TestcontainersRuntime().problem()
    assert problem is not None and problem.startswith("no Docker engine answers")
