"""Renderings of a CycleReport, chosen by `ReportFormat`. Each renderer is a pure function
`render(report) -> str`; `render()` here adds the redaction boundary around them: values are
redacted in the model before rendering, and the rendered text is redacted again as the last
step (defence in depth), so no renderer can leak a secret by formatting it differently.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from e2e.redact import Redactor
from e2e.report.model import CycleReport

__all__ = ["ReportFormat", "render"]


class ReportFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"
    JUNIT = "junit"
    HTML = "html"

    @property
    def suffix(self) -> str:
        return {"markdown": ".md", "json": ".json", "junit": ".xml", "html": ".html"}[self.value]



def _renderer(fmt: ReportFormat) -> Callable[[CycleReport], str]:
    # Imported lazily: one renderer's dependencies never load for another.
    if fmt is ReportFormat.MARKDOWN:
        from e2e.report.render import markdown
        return markdown.render
    if fmt is ReportFormat.JSON:
        from e2e.report.render import json
        return json.render
    if fmt is ReportFormat.JUNIT:
        from e2e.report.render import junit
        return junit.render
    from e2e.report.render import html
    return html.render


def render(report: CycleReport, fmt: ReportFormat | str, redactor: Redactor | None = None) -> str:
    fmt = ReportFormat(fmt)
    redactor = redactor or Redactor()
    clean = CycleReport.from_dict(redactor.redact(report.to_dict()))
    return redactor.redact_text(_renderer(fmt)(clean))
