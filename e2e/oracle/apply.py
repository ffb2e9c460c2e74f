"""Put manifests to a real API server: discovery (kind -> resource path), server-side apply
(real or `dryRun=All`), and CRD installation that waits for Established."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from e2e.oracle.rawapi import Answer, RawApi

FIELD_MANAGER = "sovereign-e2e"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class Resource:
    group_version: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None, name: str | None = None) -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        return f"{base}/{self.plural}" + (f"/{name}" if name else "")


class Discovery:
    """apiVersion + kind -> Resource, read from the server's discovery (refetched on a miss:
    a CRD just installed adds a group version)."""

    def __init__(self, api: RawApi) -> None:
        self.api = api
        self._known: dict[tuple[str, str], Resource] = {}

    def _load(self, group_version: str) -> None:
        path = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
        answer = self.api.get(path)
        if answer.status != 200:
            return
        for r in answer.body.get("resources", []):
            if "/" not in r["name"]:
                self._known[(group_version, r["kind"])] = Resource(
                    group_version, r["name"], bool(r["namespaced"]))

    def resource(self, api_version: str, kind: str) -> Resource | None:
        if (api_version, kind) not in self._known:
            self._load(api_version)
        return self._known.get((api_version, kind))


def apply(api: RawApi, discovery: Discovery, doc: dict[str, Any], *,
          dry_run: bool) -> Answer:
    """Server-side apply of `doc` (as `kubectl apply --server-side --force-conflicts`, with
    `--dry-run=server` when dry_run). A kind the server does not serve is a 404 answer with
    the same wording kubectl gives."""
    api_version, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    meta = doc.get("metadata") or {}
    res = discovery.resource(api_version, kind)
    if res is None:
        return Answer(404, {"kind": "Status", "reason": "NotFound", "message":
                            f'no matches for kind "{kind}" in version "{api_version}"'})
    params: dict[str, Any] = {"fieldManager": FIELD_MANAGER, "force": "true"}
    if dry_run:
        params["dryRun"] = "All"
    return api.patch(res.path(meta.get("namespace") or "default", meta.get("name")), doc,
                     APPLY_PATCH, params=params)


def wait_established(api: RawApi, name: str, timeout: float = 30.0) -> Answer:
    """GET the CRD with a growing interval until Established=True or the deadline; the last
    answer is returned either way (the caller reports its conditions)."""
    deadline, interval = time.monotonic() + timeout, 0.05
    while True:
        answer = api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        status = answer.body.get("status") if isinstance(answer.body, dict) else None
        conditions = (status or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True"
               for c in conditions) or time.monotonic() > deadline:
            return answer
        time.sleep(interval)
        interval = min(interval * 2, 1.0)


def message(answer: Answer) -> str:
    """The server's own words for a rejection: the Status message (it lists the causes)."""
    if isinstance(answer.body, dict) and answer.body.get("message"):
        return f"HTTP {answer.status} {answer.body.get('reason', '')}: {answer.body['message']}"
    return f"HTTP {answer.status}: {str(answer.body)[:500]}"
