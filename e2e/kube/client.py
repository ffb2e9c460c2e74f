"""A thin REST client over the official `kubernetes` ApiClient, returning plain dicts.

Why not the typed APIs or DynamicClient: the journey reads CRDs and built-ins alike by
coordinates it knows, and DynamicClient's discovery costs dozens of requests per run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.utils.retry import Backoff, on_retry_after_error
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry
from yaml import YAMLError

from .. import deadline
from ..errors import TRANSIENT_STATUSES, ClusterUnreachable, ConfigError, KubeAPIError, kube_error
from .gvr import GVR

Obj = dict[str, Any]
POOL_SIZE = 48
LIST_PAGE_SIZE = 500
# client-go's shape (wait.Backoff): 5 calls, delays 0.1, 0.2, 0.4, 0.8 s, each plus up to
# 100% jitter so that many clients do not retry in step. A server's Retry-After wins when
# longer; no wait ever runs past the running step's deadline (e2e.deadline).
BACKOFF = Backoff(steps=5, duration=0.1, factor=2.0, jitter=1.0)
# Methods safe to resend after the request may have reached the server. A POST is resent
# only when it surely did not (the connection was never made) or the server said 429.
IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
CONNECT_TIMEOUT = 10.0
CALL_BUDGET = 2.0


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
    pool_kw = api.rest_client.pool_manager.connection_pool_kw
    pool_kw["maxsize"] = POOL_SIZE
    # urllib3 retries only connections never made (safe for any method); every other
    # retry is KubeClient's, with back-off and the step's deadline.
    pool_kw["retries"] = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0,
                               backoff_factor=0.05, respect_retry_after_header=False,
                               raise_on_status=False)
    return api


class _StatusError(Exception):
    """An error status inside the retry loop (carries headers for Retry-After)."""

    def __init__(self, status: int, reason: str, body: str, headers: dict[str, str]) -> None:
        super().__init__(f"{status} {reason}")
        self.status, self.reason, self.body, self.headers = status, reason, body, headers


class _OutOfTime(Exception):
    """The next retry would start past the step's deadline."""


def _never_sent(e: BaseException) -> bool:
    """A connection that was never made carried no request: safe to retry for any method."""
    if isinstance(e, MaxRetryError):
        e = e.reason or e
    return isinstance(e, NewConnectionError | ConnectTimeoutError)


class KubeClient:
    def __init__(self, api: k8s.ApiClient, *, request_timeout: float = 30.0,
                 backoff: Backoff = BACKOFF) -> None:
        self.api = api
        self.request_timeout = request_timeout
        self.backoff = backoff

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def _call(self, method: str, path: str, *, query: dict[str, Any] | None = None,
              body: Any = None, content_type: str = "application/json",
              stream: bool = False, text: bool = False, timeout: float | None = None) -> Any:
        """One API call (JSON, or `text`, or the open `stream`), retried on resets,
        timeouts, 429 and 5xx (see BACKOFF and IDEMPOTENT); the last failure becomes our
        error (ClusterUnreachable, KubeAPIError)."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        read_timeout = timeout if timeout is not None else self.request_timeout
        failures: list[BaseException] = []

        def attempt() -> Any:
            try:
                return self._call_once(method, path, params, headers, body, stream,
                                       read_timeout, text)
            except BaseException as e:
                failures.append(e)
                raise

        def retriable(e: Exception) -> bool:
            if isinstance(e, _StatusError):
                return e.status == 429 or (e.status in TRANSIENT_STATUSES and
                                           method in IDEMPOTENT)
            if isinstance(e, Urllib3Error | OSError):
                return method in IDEMPOTENT or _never_sent(e)
            return False

        def sleep(seconds: float) -> None:
            if not deadline.allows_wait(seconds):
                raise _OutOfTime
            time.sleep(seconds)

        try:
            # A call and its retries get at most CALL_BUDGET timeouts (and never more than
            # the running step has left).
            with deadline.deadline(time.monotonic() + CALL_BUDGET * read_timeout):
                return on_retry_after_error(self.backoff, retriable, attempt,
                                            sleep_func=sleep)
        except _OutOfTime:
            raise self._our_error(failures[-1], path) from failures[-1]
        except (_StatusError, Urllib3Error, OSError) as e:
            raise self._our_error(e, path) from e

    def _our_error(self, e: BaseException, path: str) -> Exception:
        if isinstance(e, _StatusError):
            return kube_error(e.status, e.reason, e.body, path)
        return ClusterUnreachable(f"Kubernetes API {self.server} unreachable: "
                                  f"{type(e).__name__}: {e}")

    def _call_once(self, method: str, path: str, params: list[tuple[str, Any]],
                   headers: dict[str, str], body: Any, stream: bool,
                   read_timeout: float, text: bool = False) -> Any:
        m, url, hdrs, data, post = self.api.param_serialize(
            method, path, query_params=params, header_params=dict(headers), body=body,
            auth_settings=["BearerToken"])
        # (connect, read): read is the longest silence allowed between bytes, so a
        # half-open connection ends in a timeout, never a hang.
        timeouts = (deadline.clip_timeout(CONNECT_TIMEOUT),
                    read_timeout if stream else deadline.clip_timeout(read_timeout))
        try:
            resp = self.api.call_api(m, url, header_params=hdrs, body=data, post_params=post,
                                     _request_timeout=timeouts)
        except ApiException as e:
            raise _StatusError(e.status or 0, e.reason or "", str(e.body or ""),
                               dict(e.headers or {})) from e
        raw = resp.response  # the urllib3 response, not yet read
        if raw.status >= 400:
            raise _StatusError(raw.status, str(raw.reason or ""),
                               raw.data.decode(errors="replace"), dict(raw.headers))
        if stream:
            return raw
        data_bytes = raw.data  # a reset mid-body raises here, inside the retry loop
        if text:
            return data_bytes.decode(errors="replace")
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
        return self._call("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log",  # type: ignore[no-any-return]
                          query={"container": container, "tailLines": tail_lines}, text=True)

    # ---- writes (the journey creates few objects: a Sandbox, say) -------------------------
    def create(self, gvr: GVR, body: Obj, namespace: str | None = None) -> Obj:
        return self._call("POST", gvr.path(namespace), body=body)  # type: ignore[no-any-return]

    def delete(self, gvr: GVR, name: str, namespace: str | None = None) -> None:
        self._call("DELETE", gvr.path(namespace, name))

    # ---- watch ---------------------------------------------------------------------------
    def watch_lines(self, gvr: GVR, resource_version: str, *, namespace: str | None = None,
                    timeout_seconds: int = 60, idle_timeout: float | None = None,
                    on_open: Callable[[Any], None] | None = None) -> Iterator[Obj]:
        """Raw watch events ({"type", "object"}) from `resource_version`, with bookmarks.
        `on_open` gets the open response, so a caller can close it to stop the watch.
        A stream silent for `idle_timeout` (default: 10 s past the server's own end of the
        watch) is broken off: a half-open connection cannot hold a watch forever."""
        resp = self._call(
            "GET", gvr.path(namespace), stream=True,
            timeout=idle_timeout if idle_timeout is not None else timeout_seconds + 10,
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
