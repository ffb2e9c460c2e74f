"""Schemathesis against the stub NewAPI's and the Gitea stand-in's own API documents.

Each service is served on a loopback port; generated requests must never get a 5xx and
every response must conform to the document (status, content type, body schema). Few
examples per operation so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

# A dev extra: without it this module is skipped with the reason, not a collection error.
schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra: "
                                   "pip install -e '.[dev]'")
from aiohttp import web  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

from stubs.emulator.apps.gitea import GiteaDB, configure_admin  # noqa: E402
from stubs.emulator.apps.gitea import create_app as create_gitea  # noqa: E402
from stubs.emulator.apps.gitea.swagger import swagger_document  # noqa: E402
from stubs.emulator.apps.gitea.versions import DEFAULT_VERSION, GiteaVersion  # noqa: E402
from stubs.newapi import create_app as create_newapi  # noqa: E402
from stubs.newapi.openapi import openapi_document  # noqa: E402

ADMIN_SECRET = "a" * 64
GITEA_ADMIN, GITEA_PASSWORD = "gitea_admin", "schema-test-password"

CHECKS: list[Any] = [schemathesis.checks.not_a_server_error, status_code_conformance,
                     response_schema_conformance]
FAST = settings(max_examples=5, deadline=None, derandomize=True, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


@pytest.fixture
def newapi_url(serve_app: Callable[[web.Application], str]) -> str:
    return serve_app(create_newapi({"NEWAPI_ADMIN_SECRET": ADMIN_SECRET,
                                    "NEWAPI_TOKEN_SIGNING_KEY": "k" * 64}))


@pytest.fixture
def gitea_url(serve_app: Callable[[web.Application], str]) -> str:
    env = {"GITEA_ADMIN_USERNAME": GITEA_ADMIN, "GITEA_ADMIN_PASSWORD": GITEA_PASSWORD}
    db = GiteaDB()
    configure_admin(db, env, lambda line: None)
    return serve_app(create_gitea(db, env))


# The documents are static, so the schemas load at collection; the servers are per test.
newapi = schemathesis.openapi.from_dict(openapi_document())
gitea = schemathesis.openapi.from_dict(swagger_document(GiteaVersion(DEFAULT_VERSION)))


def operations(schema: Any) -> list[Any]:
    """One pytest parameter per operation, so every item has its own node id.

    Not `schema.parametrize()`: on pytest 9.2 its items all share the test function's node id
    (pytest builds the id from `originalname` and the callspec, schemathesis 4.32 passes
    neither), and pytest-xdist's `--dist loadfile` keeps one item per node id: 19 of these
    21 tests were silently not run under `-n`. tests/test_xdist.py checks the counts."""
    return [pytest.param(op, id=op.label)
            for op in (result.ok() for result in schema.get_all_operations())]


def check(operation: Any, **call: Any) -> None:
    """Generated requests for one operation; each response checked against the document."""
    @given(case=operation.as_strategy())
    @FAST
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS, **call)

    run()


@pytest.mark.parametrize("operation", operations(newapi))
def test_newapi_conforms_to_its_openapi(operation: Any, newapi_url: str) -> None:
    check(operation, base_url=newapi_url, headers={"Authorization": f"Bearer {ADMIN_SECRET}"})


@pytest.mark.parametrize("operation", operations(gitea))
def test_gitea_conforms_to_its_swagger(operation: Any, gitea_url: str) -> None:
    check(operation, base_url=f"{gitea_url}/api/v1", auth=(GITEA_ADMIN, GITEA_PASSWORD))
