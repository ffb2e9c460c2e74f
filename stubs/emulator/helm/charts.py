"""A Helm chart as files, and the upstream chart index (the charts directory).

The index layout is `<root>/<chart>/<version>/` holding Chart.yaml, values.yaml and
templates/. Which version directories exist is what the registry offers: a pin to a
version that is not there fails to pull, as it would against ghcr.io.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CHARTS_DIR = Path(__file__).resolve().parents[3] / "clusters" / "emulated" / "charts"
CHART_LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


@dataclass(frozen=True)
class Chart:
    """A chart version: its files keyed by path relative to the chart root."""

    name: str
    version: str
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def metadata(self) -> dict[str, Any]:
        return yaml.safe_load(self.files.get("Chart.yaml", "")) or {}

    @property
    def app_version(self) -> str:
        return str(self.metadata.get("appVersion", ""))

    @property
    def default_values(self) -> dict[str, Any]:
        return yaml.safe_load(self.files.get("values.yaml", "")) or {}

    @property
    def templates(self) -> dict[str, str]:
        return {p: t for p, t in sorted(self.files.items()) if p.startswith("templates/")}

    def package(self) -> bytes:
        """A deterministic .tgz (`<chart>/<path>` entries), as `helm package` lays it out."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            for path, text in sorted(self.files.items()):
                data = text.encode()
                info = tarfile.TarInfo(f"{self.name}/{path}")
                info.size = len(data)
                info.mtime = 0
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for path, text in sorted(self.files.items()):
            h.update(path.encode() + b"\0" + text.encode() + b"\0")
        return "sha256:" + h.hexdigest()


def chart_from_dir(path: Path) -> Chart:
    files = {str(f.relative_to(path)): f.read_text()
             for f in sorted(path.rglob("*")) if f.is_file()}
    meta = yaml.safe_load(files.get("Chart.yaml", "")) or {}
    return Chart(str(meta.get("name", path.parent.name)),
                 str(meta.get("version", path.name)), files)


def chart_from_package(data: bytes) -> Chart:
    """Load a .tgz made by `Chart.package` (or `helm package`)."""
    files: dict[str, str] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            _, _, rel = member.name.partition("/")
            files[rel] = fh.read().decode()
    if "Chart.yaml" not in files:
        raise ValueError("Chart.yaml file is missing")
    meta = yaml.safe_load(files["Chart.yaml"]) or {}
    return Chart(str(meta.get("name", "")), str(meta.get("version", "")), files)


class ChartIndex:
    """The upstream registry: one directory per chart, one subdirectory per version."""

    def __init__(self, root: Path = DEFAULT_CHARTS_DIR) -> None:
        self.root = root

    def charts(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def versions(self, chart: str) -> list[str]:
        d = self.root / chart
        if not d.is_dir():
            return []
        return sorted((p.name for p in d.iterdir() if (p / "Chart.yaml").is_file()),
                      key=_semver_key)

    def get(self, chart: str, version: str) -> Chart | None:
        d = self.root / chart / version
        if not (d / "Chart.yaml").is_file():
            return None
        return chart_from_dir(d)


def _semver_key(v: str) -> tuple[int, ...]:
    core = v.split("-", 1)[0].split("+", 1)[0]
    try:
        return tuple(int(x) for x in core.split("."))
    except ValueError:
        return (0,)
