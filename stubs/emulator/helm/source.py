"""Pull a chart version for a HelmRepository URL, as source-controller does for `type: oci`.

- Outside the Sovereign's FQDN there is one registry, the upstream the platform publishes
  to (oci://ghcr.io/openova-io): the chart index directory. Another repository path on
  ghcr.io does not hold the platform's charts (`...: not found`; what ghcr.io answers for
  a package that does not exist, not found or denied, is not confirmed here), and any
  other host does not resolve (`dial tcp: lookup <host>: no such host`).
- A host under the FQDN (Harbor, after cutover step 06 rewrites the repositories) is pulled
  over HTTP through the Sovereign's gateway, with that Host header: the OCI distribution
  calls `GET /v2/<repo>/<chart>/tags/list`, `.../manifests/<version>` and
  `.../blobs/<digest>` (the chart .tgz layer). So the pull works only if an Accepted
  HTTPRoute publishes that host and Harbor answers behind it.
Failures carry source-controller's wording (the part after `chart pull error: failed to
download chart for remote reference: `), e.g.
`failed to get 'oci://h/p/c:1.0.0': failed to perform "FetchReference" on source:
h/p/c:1.0.0: not found` (one line).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

from .charts import CHART_LAYER_MEDIA_TYPE, Chart, ChartIndex, chart_from_package

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# Where the platform publishes its charts (the bootstrap-kit's HelmRepository URL).
UPSTREAM_HOST, UPSTREAM_REPO = "ghcr.io", "openova-io"


class ChartPullError(Exception):
    """The chart could not be pulled; str() is source-controller's error text."""


@dataclass
class ChartSource:
    index: ChartIndex
    fqdn: str
    # The gateway's base URL, read at pull time (the gateway may start after us).
    gateway_url: Callable[[], str | None]
    timeout: float = 10.0

    def is_sovereign_host(self, host: str) -> bool:
        return host == self.fqdn or host.endswith("." + self.fqdn)

    async def pull(self, url: str, chart: str, version: str) -> Chart:
        parsed = urlparse(url)
        host = parsed.netloc
        repo = parsed.path.strip("/")
        name = f"{repo}/{chart}" if repo else chart
        ref = f"oci://{host}/{name}:{version}"
        if not self.is_sovereign_host(host):
            if host != UPSTREAM_HOST:
                raise ChartPullError(
                    f'failed to get \'{ref}\': failed to perform "FetchReference" on source: '
                    f'Get "https://{host}/v2/{name}/manifests/{version}": dial tcp: lookup '
                    f"{host}: no such host")
            found = self.index.get(chart, version) if repo == UPSTREAM_REPO else None
            if found is None:
                raise ChartPullError(_not_found(ref, host, name, version))
            return found
        return await self._pull_http(host, name, version, ref)

    async def _pull_http(self, host: str, name: str, version: str, ref: str) -> Chart:
        base = self.gateway_url()
        fetch = f'failed to get \'{ref}\': failed to perform "FetchReference" on source'
        if not base:
            raise ChartPullError(f'{fetch}: Get "https://{host}/v2/{name}/tags/list": dial '
                                 f"tcp: lookup {host}: no such host")
        headers = {"Host": host}
        async with httpx.AsyncClient(base_url=base, timeout=self.timeout,
                                     headers=headers) as client:
            tags_path = f"/v2/{name}/tags/list"
            resp = await _get(client, host, tags_path, fetch)
            if resp.status_code == 404:
                raise ChartPullError(_not_found(ref, host, name, version))
            _check(resp, host, tags_path, fetch)
            if version not in (_json(resp, host, tags_path, fetch).get("tags") or []):
                raise ChartPullError(_not_found(ref, host, name, version))
            man_path = f"/v2/{name}/manifests/{version}"
            resp = await _get(client, host, man_path, fetch, accept=OCI_MANIFEST)
            if resp.status_code == 404:
                raise ChartPullError(_not_found(ref, host, name, version))
            _check(resp, host, man_path, fetch)
            layers = [la for la in _json(resp, host, man_path, fetch).get("layers") or []
                      if la.get("mediaType") == CHART_LAYER_MEDIA_TYPE]
            if not layers:
                raise ChartPullError(f"failed to get '{ref}': no chart content layer")
            blob_digest = str(layers[0].get("digest", ""))
            blob_path = f"/v2/{name}/blobs/{blob_digest}"
            resp = await _get(client, host, blob_path, fetch)
            _check(resp, host, blob_path, fetch)
            got = "sha256:" + hashlib.sha256(resp.content).hexdigest()
            if got != blob_digest:
                raise ChartPullError(f"failed to get '{ref}': digest mismatch: expected "
                                     f"{blob_digest}, got {got}")
            try:
                return chart_from_package(resp.content)
            except Exception as e:  # a corrupt layer
                raise ChartPullError(f"failed to get '{ref}': {e}") from None


def _not_found(ref: str, host: str, name: str, version: str) -> str:
    return (f'failed to get \'{ref}\': failed to perform "FetchReference" on source: '
            f"{host}/{name}:{version}: not found")


async def _get(client: httpx.AsyncClient, host: str, path: str, fetch: str,
               accept: str | None = None) -> httpx.Response:
    try:
        return await client.get(path, headers={"Accept": accept} if accept else None)
    except httpx.ConnectError:
        raise ChartPullError(f'{fetch}: Get "https://{host}{path}": dial tcp: connect: '
                             "connection refused") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout):
        raise ChartPullError(f'{fetch}: Get "https://{host}{path}": EOF') from None


def _check(resp: httpx.Response, host: str, path: str, fetch: str) -> None:
    if resp.status_code >= 300:
        raise ChartPullError(f'{fetch}: GET "https://{host}{path}": response status code '
                             f"{resp.status_code}: {resp.reason_phrase}")


def _json(resp: httpx.Response, host: str, path: str, fetch: str) -> dict:  # type: ignore[type-arg]
    try:
        body = resp.json()
    except ValueError:
        raise ChartPullError(f'{fetch}: GET "https://{host}{path}": invalid character in '
                             "response body") from None
    return body if isinstance(body, dict) else {}
