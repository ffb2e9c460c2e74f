"""The kind target's pins, read from clusters/kind/versions.yaml (sources: docs/DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

REPO_ROOT = Path(__file__).resolve().parents[3]
VERSIONS_FILE = REPO_ROOT / "clusters" / "kind" / "versions.yaml"


class _Pins(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ChartPin(_Pins):
    chart: str
    repository: str
    version: str


CiliumPin = ChartPin  # the name the Cilium pin was first given


class Versions(_Pins):
    kind: str
    kind_node_image: str = Field(alias="kindNodeImage")
    kubectl: str
    gateway_api: str = Field(alias="gatewayAPI")
    cilium: ChartPin
    flux: str
    flux_chart: ChartPin = Field(alias="fluxChart")
    gitea_image: str = Field(alias="giteaImage")
    newapi_image: str = Field(alias="newapiImage")


def load_versions(path: Path = VERSIONS_FILE) -> Versions:
    return Versions.model_validate(yaml.safe_load(path.read_text()))
