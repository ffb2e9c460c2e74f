"""The report's JSON Schema (serialisation form, derived fields included), checked in as
docs/report.schema.json; a test keeps it current. Regenerate with
`python -m e2e.report.schema docs/report.schema.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from e2e.report.model import API_VERSION, CycleReport

SCHEMA_PATH = Path("docs") / "report.schema.json"


def report_json_schema() -> dict[str, Any]:
    schema = CycleReport.model_json_schema(mode="serialization", by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://sovereign-e2e/schemas/{API_VERSION}/CycleReport.json",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n"


def write_report_schema(path: Path = SCHEMA_PATH) -> Path:
    from e2e.report.store import atomic_write_text

    atomic_write_text(Path(path), schema_text())
    return Path(path)


if __name__ == "__main__":
    print(write_report_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_PATH))
