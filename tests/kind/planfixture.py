"""The fixed inputs the golden plan is rendered from."""

from __future__ import annotations

from pathlib import Path

from e2e.config import Settings
from e2e.providers.kind import KindProvider
from e2e.providers.kind.plan import KindPlan

GOLDEN = Path(__file__).parent / "golden"


class NoRuntime:
    def problem(self) -> str | None:
        return "unused"


def golden_plan() -> KindPlan:
    settings = Settings(sovereign="kind", cycle="t7", report_dir=Path("reports"),
                        fqdn="sovereign.test")
    return KindProvider(settings, runtime=NoRuntime()).plan()  # type: ignore[arg-type]
