"""What the walk creates on the Sovereign is deleted at the end, unless the cycle failed and
--keep-on-failure asks to keep the evidence."""

from __future__ import annotations

from pathlib import Path

from e2e.config import Settings
from e2e.kube import gvr
from e2e.report.model import Verdict
from e2e.session import JourneySession


def test_the_sandbox_is_deleted_after_a_passing_cycle(tmp_path: Path) -> None:
    session = JourneySession(Settings(report_dir=tmp_path))
    session.start()
    try:
        report = session.run_all()
        assert report.verdict is Verdict.PASS
        assert session.sov is not None and session.runner is not None
        created = list(session.runner.ctx.state.created)
        assert [(g.plural, name) for g, _, name in created] == [("sandboxes", "e2e-sandbox")]
        assert session.cleanup() == []
        _, ns, name = created[0]
        assert session.sov.kube.try_get(gvr.SANDBOXES, name, ns) is None
    finally:
        session.close()
