"""Keeps Organization status current: when an Organization's generation moves past
`status.observedGeneration` (a spec edit, or one created by someone else), check its Gitea
org again and write Ready accordingly. Driven by a watch on the Store, not by polling."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from .gitea import GiteaClient, GiteaError
from .organization import ORG_GROUP, ORG_PLURAL, ORG_VERSION, set_ready

if TYPE_CHECKING:
    from .worker import Provisioner


class OrganizationStatus:
    def __init__(self, worker: Provisioner, stop: asyncio.Event) -> None:
        self.worker = worker
        self.stop = stop

    async def run(self) -> None:
        store = self.worker.store
        rt = store.registry.get(ORG_GROUP, ORG_VERSION, ORG_PLURAL)
        if rt is None:
            self.worker.ctx.log("organizations.orgs.openova.io is not served; "
                                "Organization status is not maintained")
            return
        async for event in store.watch(rt):
            if event.type != "DELETED":
                await self.reconcile(event.obj["metadata"]["name"])

    async def reconcile(self, name: str) -> None:
        store = self.worker.store
        rt = store.registry.get(ORG_GROUP, ORG_VERSION, ORG_PLURAL)
        obj = store.try_get(rt, None, name)
        if obj is None:
            return
        if (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]:
            return
        org = (obj.get("spec") or {}).get("giteaOrg") or name
        url = self.worker.org_url(org)
        token = self.worker.read_token()
        if token is None:
            set_ready(store, name, False, "GiteaError", "no Gitea token available", url)
            return
        gitea = GiteaClient(self.worker.client, self.worker.gitea_url, token)
        try:
            exists = await gitea.org_exists(org)
        except GiteaError as e:
            set_ready(store, name, False, "GiteaError", f"gitea returned {e.status}: {e.message}",
                      url)
            return
        except httpx.HTTPError as e:
            set_ready(store, name, False, "GiteaError", f"gitea unreachable: {e}", url)
            return
        if exists:
            set_ready(store, name, True, "Provisioned", f"Gitea organization {org} is ready", url)
        else:
            set_ready(store, name, False, "GiteaOrgMissing",
                      f"Gitea organization {org} does not exist", url)
