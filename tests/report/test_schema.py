"""The checked-in JSON Schema is the model's."""

from __future__ import annotations

import json
from pathlib import Path

from e2e.report.model import API_VERSION
from e2e.report.schema import SCHEMA_PATH, report_json_schema, schema_text
from tests.report.conftest import BuildReport

REPO = Path(__file__).resolve().parents[2]


def test_checked_in_schema_is_current() -> None:
    checked_in = (REPO / SCHEMA_PATH).read_text()
    assert checked_in == schema_text(), (
        "docs/report.schema.json is stale: run `python -m e2e.report.schema`")


def test_schema_describes_the_serialised_report(build_report: BuildReport) -> None:
    schema = report_json_schema()
    assert schema["properties"]["apiVersion"]["const"] == API_VERSION
    data = json.loads(build_report().to_json())
    assert set(data) == set(schema["properties"])
    assert {"verdict", "first_failure", "findings"} <= set(schema["required"])
