"""A thin REST client over the official `kubernetes` ApiClient, returning plain dicts.

Why not the typed APIs or DynamicClient: the journey reads CRDs and built-ins alike by
coordinates it knows, and DynamicClient's discovery costs dozens of requests per run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from urllib3.exceptions import HTTPError as Urllib3Error
from yaml import YAMLError

from ..errors import ClusterUnreachable, ConfigError, KubeAPIError, kube_error
from .gvr import GVR

Obj = dict[str, Any]
POOL_SIZE = 48
LIST_PAGE_SIZE = 500


def load_api_client(kubeconfig: Path | None, context: str | None) -> k8s.ApiClient:
    """Build an ApiClient; a broken kubeconfig is one ConfigError line naming file and fix."""
    if kubeconfig is not None and not kubeconfig.exists():
        raise ConfigError(f"kubeconfig {kubeconfig} does not exist: pass --kubeconfig with the "
                          "path of a readable kubeconfig file")
    try:
        api = k8s_config.new_client_from_config(
            config_file=str(kubeconfig) if kubeconfig else None, context=context)
    except (ConfigException, YAMLError, ValueError, TypeError, AttributeError) as e:
        where = kubeconfig or "the default kubeconfig (KUBECONFIG or ~/.kube/config)"
        detail = " ".join(str(e).split())[:160] if str(e) else type(e).__name__
        raise ConfigError(f"kubeconfig {where} is not usable ({detail}): check the file, or "
                          "pass --kubeconfig/--context") from e
    # One long-lived watch per informer plus the reads: more than urllib3's default 10.
    api.rest_client.pool_manager.connection_pool_kw["maxsize"] = POOL_SIZE
    return api


class KubeClient:
    def __init__(self, api: k8s.ApiClient, *, request_timeout: float = 30.0) -> None:
        self.api = api
        self.request_timeout = request_timeout

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def _call(self, method: str, path: str, *, query: dict[str, Any] | None = None,
              body: Any = None, content_type: str = "application/json",
              stream: bool = False, timeout: float | None = None) -> Any:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        try:
            m, url, hdrs, data, post = self.api.param_serialize(
                method, path, query_params=params, header_params=headers, body=body,
                auth_settings=["BearerToken"])
            resp = self.api.call_api(
                m, url, header_params=hdrs, body=data, post_params=post,
                _request_timeout=timeout if timeout is not None else self.request_timeout)
        except ApiException as e:
            raise kube_error(e.status or 0, e.reason or "", str(e.body or ""), path) from e
        except (Urllib3Error, OSError) as e:
            raise ClusterUnreachable(f"Kubernetes API {self.server} unreachable: {e}") from e
        raw = resp.response  # the urllib3 response, not yet read
        if raw.status >= 400:
            text = raw.data.decode(errors="replace")
            raise kube_error(raw.status, str(raw.reason or ""), text, path)
        if stream:
            return raw
        data_bytes = raw.data
        return json.loads(data_bytes) if data_bytes else None

    def close(self) -> None:
        self.api.close()

    # ---- reads ---------------------------------------------------------------------------
    def get(self, gvr: GVR, name: str, namespace: str | None = None) -> Obj:
        return self._call("GET", gvr.path(namespace, name))  # type: ignore[no-any-return]

    def try_get(self, gvr: GVR, name: str, namespace: str | None = None) -> Obj | None:
        from ..errors import KubeNotFound

        try:
            return self.get(gvr, name, namespace)
        except KubeNotFound:
            return None

    def list(self, gvr: GVR, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None,
             page_size: int = LIST_PAGE_SIZE) -> tuple[list[Obj], str]:
        """All matching objects, fetched in pages (a big cluster has many Events)."""
        items: list[Obj] = []
        token: str | None = None
        while True:
            data = self._call("GET", gvr.path(namespace), query={
                "labelSelector": label_selector, "fieldSelector": field_selector,
                "limit": page_size, "continue": token})
            items.extend(data.get("items") or [])
            meta = data.get("metadata") or {}
            token = meta.get("continue") or None
            if not token:
                return items, str(meta.get("resourceVersion", ""))

    def version(self) -> Obj:
        return self._call("GET", "/version", timeout=10)  # type: ignore[no-any-return]

    def pod_log(self, namespace: str, name: str, container: str | None = None,
                tail_lines: int = 50) -> str:
        resp = self._call("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log",
                          query={"container": container, "tailLines": tail_lines}, stream=True)
        return resp.data.decode(errors="replace")  # type: ignore[no-any-return]

    # ---- writes (the journey creates few objects: a Sandbox, say) -------------------------
    def create(self, gvr: GVR, body: Obj, namespace: str | None = None) -> Obj:
        return self._call("POST", gvr.path(namespace), body=body)  # type: ignore[no-any-return]

    def delete(self, gvr: GVR, name: str, namespace: str | None = None) -> None:
        self._call("DELETE", gvr.path(namespace, name))

    # ---- watch ---------------------------------------------------------------------------
    def watch_lines(self, gvr: GVR, resource_version: str, *, namespace: str | None = None,
                    timeout_seconds: int = 60,
                    on_open: Callable[[Any], None] | None = None) -> Iterator[Obj]:
        """Raw watch events ({"type", "object"}) from `resource_version`, with bookmarks.
        `on_open` gets the open response, so a caller can close it to stop the watch."""
        resp = self._call(
            "GET", gvr.path(namespace), stream=True, timeout=timeout_seconds + 10,
            query={"watch": "true", "resourceVersion": resource_version,
                   "allowWatchBookmarks": "true", "timeoutSeconds": timeout_seconds})
        if on_open is not None:
            on_open(resp)
        buf = b""
        try:
            for chunk in resp.stream(4096, decode_content=False):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (Urllib3Error, OSError) as e:
            raise ClusterUnreachable(f"watch on {gvr} broke: {e}") from e
        finally:
            resp.release_conn()


__all__ = ["KubeAPIError", "KubeClient", "load_api_client"]
