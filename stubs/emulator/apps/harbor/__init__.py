"""Harbor as the Sovereign's chart registry (the pull side of the OCI distribution API).

After cutover step 06 the HelmRepositories point at `oci://<harbor host>/openova-io`; the
helm-controller then pulls charts through the gateway from here. Project `openova-io`
serves the chart index (clusters/emulated/charts, the same charts the cutover mirrors from
ghcr.io). Endpoints:
- `GET /v2/` -> 200 `{}` (API version check);
- `GET /v2/<project>/<chart>/tags/list` -> `{"name", "tags"}`;
- `GET /v2/<project>/<chart>/manifests/<version>` -> an OCI image manifest whose layer
  (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`) is the chart .tgz;
- `GET /v2/<project>/<chart>/blobs/<digest>` -> the .tgz;
- `GET /api/v2.0/health` -> `{"status": "healthy"}` (probes).
Unknown repositories/tags answer 404 with the registry's error envelope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from ...helm.charts import CHART_LAYER_MEDIA_TYPE, DEFAULT_CHARTS_DIR, Chart, ChartIndex
from .. import AppContext, register_app

PROJECT = "openova-io"
CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"


def _error(status: int, code: str, message: str) -> web.Response:
    body = {"errors": [{"code": code, "message": message}]}
    return web.json_response(body, status=status)


def registry_app(index: ChartIndex) -> web.Application:
    """The registry endpoints over a chart index (also used directly in tests)."""

    def chart_of(request: web.Request) -> str | None:
        if request.match_info["project"] != PROJECT:
            return None
        name = request.match_info["chart"]
        return name if index.versions(name) else None

    def load(request: web.Request, name: str) -> Chart | None:
        return index.get(name, request.match_info["ref"])

    async def ping(request: web.Request) -> web.Response:
        # The distribution API's version check: registries identify themselves by header.
        return web.json_response({}, headers={
            "Docker-Distribution-Api-Version": "registry/2.0"})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "healthy"})

    async def tags(request: web.Request) -> web.Response:
        name = chart_of(request)
        if name is None:
            return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
        return web.json_response({"name": f"{PROJECT}/{name}", "tags": index.versions(name)})

    async def manifest(request: web.Request) -> web.Response:
        name = chart_of(request)
        chart = load(request, name) if name else None
        if chart is None:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        package = chart.package()
        config = json.dumps(chart.metadata, sort_keys=True).encode()
        body = {
            "schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "size": len(config),
                       "digest": "sha256:" + hashlib.sha256(config).hexdigest()},
            "layers": [{"mediaType": CHART_LAYER_MEDIA_TYPE, "size": len(package),
                        "digest": "sha256:" + hashlib.sha256(package).hexdigest()}],
        }
        return web.json_response(body, content_type=MANIFEST_MEDIA_TYPE)

    async def blob(request: web.Request) -> web.Response:
        name = chart_of(request)
        want = request.match_info["digest"]
        for version in index.versions(name) if name else []:
            chart = index.get(name or "", version)
            if chart is None:
                continue
            package = chart.package()
            if "sha256:" + hashlib.sha256(package).hexdigest() == want:
                return web.Response(body=package, content_type="application/octet-stream")
        return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")

    async def index_page(request: web.Request) -> web.Response:
        return web.Response(text="Harbor\n", content_type="text/html")

    app = web.Application()
    app.router.add_get("/v2/", ping)
    app.router.add_get("/api/v2.0/health", health)
    app.router.add_get("/v2/{project}/{chart}/tags/list", tags)
    app.router.add_get("/v2/{project}/{chart}/manifests/{ref}", manifest)
    app.router.add_get("/v2/{project}/{chart}/blobs/{digest}", blob)
    app.router.add_get("/", index_page)
    return app


@register_app("harbor")
def harbor_app(env: Mapping[str, str], ctx: AppContext) -> web.Application:
    charts_dir = getattr(ctx.emulator, "charts_dir", None)
    ctx.log("harbor-core: serving chart registry project " + PROJECT)
    return registry_app(ChartIndex(Path(charts_dir or DEFAULT_CHARTS_DIR)))
