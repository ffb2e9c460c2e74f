"""App keys and the stand-in's configuration read from the container environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from .db import GiteaDB
from .versions import DEFAULT_VERSION, GiteaVersion, parse_version


@dataclass(frozen=True)
class GiteaConfig:
    version: GiteaVersion
    root_url: str = ""  # GITEA__server__ROOT_URL; empty: derive from the request

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GiteaConfig:
        version = GiteaVersion(env.get("GITEA_EMULATED_VERSION") or DEFAULT_VERSION)
        parse_version(version.text)  # fail at start on an unparsable version
        return cls(version=version, root_url=env.get("GITEA__server__ROOT_URL", ""))


DB_KEY = web.AppKey("gitea_db", GiteaDB)
CONFIG_KEY = web.AppKey("gitea_config", GiteaConfig)
