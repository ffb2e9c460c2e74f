"""The Kubernetes REST API over aiohttp, backed by `Store`.

URL shapes served (core group under /api/v1, others under /apis/G/V):
  .../{plural}                              list, watch, create, deletecollection
  .../{plural}/{name}[/{subresource}]       cluster-scoped object
  .../namespaces/{ns}/{plural}              namespaced list, watch, create
  .../namespaces/{ns}/{plural}/{name}[/{subresource}]
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import (
    anonymous,
    bodies,
    errors,
    fieldmanager,
    fieldvalidation,
    openapi,
    patches,
    protobuf,
    reviews,
    scale,
    tables,
)
from .resources import REVIEW_KEYS, ResourceType
from .store import Store

PROTOBUF = "application/vnd.kubernetes.protobuf"
# Per-request warnings for the response's Warning headers.
WARNINGS_KEY: web.RequestKey[list[str]] = web.RequestKey("warnings", list)
LIVENESS_CHECK = 2.0  # seconds between checks that a watching client is still there

STORE_KEY: web.AppKey[Store] = web.AppKey("store", Store)
LOG_KEY: web.AppKey[RequestLog] = web.AppKey("request_log", object)  # type: ignore[arg-type]

# The Kubernetes release the emulator claims to be: the same as the oracle it is checked
# against (tools/oracle-versions.env builds kube-apiserver v1.34.4). "+..." is semver build
# metadata, so the version compares equal to v1.34.4 (as "v1.34.4+k3s1" does).
KUBE_VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.4+sovereign-emulator",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass
class RequestLog:
    """Counts API requests (bench and tests read it); never records bodies."""

    total: int = 0
    by_verb: Counter[str] = field(default_factory=Counter)

    def record(self, verb: str) -> None:
        self.total += 1
        self.by_verb[verb] += 1


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def _warn(resp: web.Response, warnings: list[str]) -> web.Response:
    """RFC 7234 Warning headers, as the API server sends them (code 299, agent "-")."""
    for w in warnings:
        escaped = w.replace("\\", "\\\\").replace('"', '\\"')
        resp.headers.add("Warning", f'299 - "{escaped}"')
    return resp


def _error(e: errors.ApiError) -> web.Response:
    return _json(e.status(), e.code)


def _encode_continue(start: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"start": start}).encode()).decode()


def _decode_continue(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
    except (ValueError, KeyError, TypeError) as e:
        raise errors.bad_request(f"invalid continue token {token!r}") from e


OPTIONS_KIND = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions",
                "DELETE": "DeleteOptions"}


def _dry_run(request: web.Request, from_body: list[str] | None = None) -> bool:
    """`dryRun=All`: validate and answer, persist nothing (the only value the server knows).

    From the query, or from a DeleteOptions body (`from_body`).
    """
    values = request.query.getall("dryRun", []) if from_body is None else list(from_body)
    if any(value != "All" for value in values):
        # The real server reports the whole list, Go-quoted: `Unsupported value: ["Some"]`.
        kind = OPTIONS_KIND.get(request.method, "CreateOptions")
        listed = "[" + " ".join(json.dumps(v) for v in values) + "]"
        raise errors.invalid_causes(kind, "", [{
            "reason": "FieldValueNotSupported", "field": "dryRun",
            "message": f'Unsupported value: {listed}: supported values: "All"'}],
            group="meta.k8s.io")
    return bool(values)


def _manager(request: web.Request) -> str:
    """The request's field manager: `fieldManager`, else from the User-Agent."""
    return request.query.get("fieldManager") or fieldmanager.manager_from_user_agent(
        request.headers.get("User-Agent", ""))


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def _resolve(store: Store, group: str, version: str, parts: list[str]) -> Target:
    registry = store.registry

    def lookup(plural: str) -> ResourceType:
        rt = registry.get(group, version, plural)
        if rt is None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return rt

    if len(parts) >= 3 and parts[0] == "namespaces" and registry.get(group, version, parts[2]):
        rt = lookup(parts[2])
        if not rt.namespaced:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        name = parts[3] if len(parts) > 3 else None
        sub = parts[4] if len(parts) > 4 else None
        if len(parts) > 5:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return Target(rt, parts[1], name, sub)
    if 1 <= len(parts) <= 3:
        rt = lookup(parts[0])
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if rt.namespaced and name is not None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return Target(rt, None, name, sub)
    raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")


class KubeApiServer:
    """Builds the aiohttp application. `token` is the bearer token clients must present."""

    def __init__(self, store: Store, token: str, bookmark_interval: float = 5.0) -> None:
        self.store = store
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.request_log = RequestLog()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_middleware],
                              client_max_size=bodies.MAX_REQUEST_BODY_BYTES)
        app[STORE_KEY] = self.store
        app.router.add_get("/version", self._version)
        app.router.add_get("/version/", self._version)  # the Python client's VersionApi
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._healthz)
        app.router.add_get("/livez", self._healthz)
        # Discovery answers with and without the trailing slash the Python client sends.
        for suffix in ("", "/"):
            app.router.add_get("/api" + suffix, self._core_versions)
            app.router.add_get("/api/v1" + suffix, self._core_resources)
            app.router.add_get("/apis" + suffix, self._api_groups)
            app.router.add_get("/apis/{group}" + suffix, self._api_group)
            app.router.add_get("/apis/{group}/{version}" + suffix, self._group_resources)
        app.router.add_get("/openapi/v2", self._openapi_v2)
        app.router.add_get("/openapi/v3", self._openapi_v3_index)
        app.router.add_get("/openapi/v3/api/v1", self._openapi_v3_core)
        app.router.add_get("/openapi/v3/apis/{group}/{version}", self._openapi_v3_group)
        app.router.add_route("*", "/api/v1/{path:.+}", self._core_dispatch)
        app.router.add_route("*", "/apis/{group}/{version}/{path:.+}", self._group_dispatch)
        return app

    # ---- middleware ----------------------------------------------------------------------
    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if anonymous.is_anonymous(header):
            if request.path not in anonymous.PUBLIC_INFO_PATHS:
                return _error(anonymous.forbidden(request.method, request.path, request.query))
        elif not hmac.compare_digest(header.split(" ", 2)[1].encode(), self.token.encode()):
            return _error(errors.unauthorized())
        verb = request.method.lower()
        if request.query.get("watch") in ("true", "1"):
            verb = "watch"
        self.request_log.record(verb)
        try:
            return await handler(request)
        except errors.ApiError as e:
            return _error(e)
        except web.HTTPRequestEntityTooLarge:  # aiohttp's client_max_size, while reading
            return _error(bodies.too_large())
        except web.HTTPNotFound:
            return _error(errors.ApiError(404, "NotFound",
                                          "the server could not find the requested resource"))
        except web.HTTPMethodNotAllowed as e:
            return _error(errors.method_not_allowed(f"method {e.method} not allowed"))

    # ---- discovery -----------------------------------------------------------------------
    async def _version(self, request: web.Request) -> web.Response:
        return _json(KUBE_VERSION)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _core_versions(self, request: web.Request) -> web.Response:
        return _json({"kind": "APIVersions", "versions": ["v1"],
                      "serverAddressByClientCIDRs": [
                          {"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]})

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources: list[dict[str, Any]] = []
        for rt in sorted(self.store.registry.in_group_version(group, version),
                         key=lambda r: r.plural):
            resources.extend(rt.discovery_entries())
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}

    async def _core_resources(self, request: web.Request) -> web.Response:
        return _json(self._resource_list("", "v1"))

    def _group_entry(self, group: str, versions: list[str]) -> dict[str, Any]:
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": vs, "preferredVersion": vs[0]}

    async def _api_groups(self, request: web.Request) -> web.Response:
        groups = [self._group_entry(g, vs) for g, vs in sorted(
            self.store.registry.groups().items()) if g]
        return _json({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})

    async def _api_group(self, request: web.Request) -> web.Response:
        group = request.match_info["group"]
        versions = self.store.registry.groups().get(group)
        if not versions:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return _json({"kind": "APIGroup", "apiVersion": "v1",
                      **self._group_entry(group, versions)})

    async def _group_resources(self, request: web.Request) -> web.Response:
        group, version = request.match_info["group"], request.match_info["version"]
        if not self.store.registry.in_group_version(group, version):
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        return _json(self._resource_list(group, version))

    async def _check_fields(self, request: web.Request, t: Target, body: Any) -> list[str]:
        """Unknown fields under fieldValidation=Strict/Warn (only when the client asks)."""
        how = fieldvalidation.mode(request.query.get("fieldValidation"))
        if how in (None, "Ignore") or t.subresource:
            return []
        await asyncio.to_thread(openapi.builtin_schemas)
        schema = openapi.kind_schema(t.rt, self._crds())
        return fieldvalidation.check(body, schema, openapi.builtin_schemas(), how, t.rt.kind,
                                     t.rt.version)

    # ---- OpenAPI (openapi.py) ---------------------------------------------------------------
    def _crds(self) -> list[dict[str, Any]]:
        rt = self.store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rt is not None
        return self.store.list(rt)[0]

    def _gv_hash(self, gv: str, crds: list[dict[str, Any]]) -> str:
        # Changes when the served CRDs change (built-in schemas are fixed per process).
        token = ",".join(f"{c['metadata']['name']}@{c['metadata']['resourceVersion']}"
                         for c in crds)
        return hashlib.sha512(f"{gv}|{token}|{KUBE_VERSION['gitVersion']}".encode()
                              ).hexdigest().upper()

    async def _gv_schemas(self, group: str, version: str) -> dict[str, Any]:
        types = self.store.registry.in_group_version(group, version)
        if not types:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        await asyncio.to_thread(openapi.builtin_schemas)  # built once, off the loop
        return openapi.group_version_schemas(group, version, types, self._crds())

    async def _openapi_v3_index(self, request: web.Request) -> web.Response:
        crds = self._crds()
        paths: dict[str, Any] = {}
        for group, versions in sorted(self.store.registry.groups().items()):
            for version in versions:
                gv = f"apis/{group}/{version}" if group else f"api/{version}"
                paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash="
                                                  f"{self._gv_hash(gv, crds)}"}
        return _json({"paths": paths})

    async def _openapi_v3_core(self, request: web.Request) -> web.Response:
        return await self._openapi_v3("", "v1")

    async def _openapi_v3_group(self, request: web.Request) -> web.Response:
        return await self._openapi_v3(request.match_info["group"],
                                      request.match_info["version"])

    async def _openapi_v3(self, group: str, version: str) -> web.Response:
        schemas = await self._gv_schemas(group, version)
        return _json(openapi.v3_document(KUBE_VERSION["gitVersion"], schemas,
                                         self.store.registry.in_group_version(group, version)))

    async def _openapi_v2(self, request: web.Request) -> web.Response:
        schemas: dict[str, Any] = {}
        for group, versions in self.store.registry.groups().items():
            for version in versions:
                schemas.update(await self._gv_schemas(group, version))
        return _json(openapi.v2_document(KUBE_VERSION["gitVersion"], schemas))

    # ---- resources -----------------------------------------------------------------------
    async def _core_dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        return await self._dispatch(request, _resolve(self.store, "", "v1", parts))

    async def _group_dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.match_info["path"].split("/") if p]
        target = _resolve(self.store, request.match_info["group"],
                          request.match_info["version"], parts)
        return await self._dispatch(request, target)

    async def _dispatch(self, request: web.Request, t: Target) -> web.StreamResponse:
        method = request.method
        q = request.query
        if t.subresource == "log" and t.rt.key == ("", "pods") and method == "GET":
            assert t.namespace and t.name
            tail = q.get("tailLines")
            text = self.store.read_log(t.namespace, t.name, q.get("container"),
                                       int(tail) if tail else None)
            return web.Response(text=text, content_type="text/plain")
        if t.subresource and t.subresource not in t.rt.subresources:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested "
                                                   "resource")
        if t.rt.key in REVIEW_KEYS:
            if method != "POST" or t.name is not None:
                raise errors.method_not_allowed(f"method {method} not allowed on {t.rt.plural}")
            if request.content_type == PROTOBUF:  # what kubectl auth's typed client sends
                body = protobuf.decode_review(await request.read())
            else:
                body = await self._body(request, t.rt.kind)
            return _json(reviews.answer(t.rt.plural, body), 201)
        if t.subresource == "scale" and t.name is not None:
            return _json(await self._scale(request, t))
        as_table = tables.wants_table(request.headers.get("Accept", ""))
        dry_run = _dry_run(request)
        if method == "DELETE" and request.can_read_body:
            # kubectl sends DeleteOptions in the body: {"dryRun": ["All"], ...}
            dry_run = _dry_run(request, (await self._body(request)).get("dryRun")) or dry_run
        if t.name is None:
            if method == "GET":
                if q.get("watch") in ("true", "1"):
                    return await self._watch(request, t, as_table)
                listing = self._list(t, q.get("labelSelector"), q.get("fieldSelector"),
                                     q.get("limit"), q.get("continue"))
                if as_table:
                    return _json(tables.table(
                        t.rt, self.store.registry.is_custom(t.rt), listing["items"],
                        listing["metadata"], q.get("includeObject")))
                for item in listing["items"]:
                    item.pop("apiVersion", None)
                    item.pop("kind", None)
                return _json(listing)
            if method == "POST":
                body = await self._body(request, t.rt.kind)
                warnings = await self._check_fields(request, t, body)
                if t.namespace and (body.get("metadata") or {}).get("namespace") not in (
                        None, "", t.namespace):
                    raise errors.bad_request(
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request")
                obj = self.store.create(t.rt, t.namespace, body, dry_run=dry_run,
                                        manager=_manager(request))
                return _warn(_json(obj, 201), warnings)
            if method == "DELETE":
                items, _ = self.store.list(t.rt, t.namespace, q.get("labelSelector"),
                                           q.get("fieldSelector"))
                for item in items:
                    self.store.delete(t.rt, item["metadata"].get("namespace"),
                                      item["metadata"]["name"], dry_run=dry_run)
                return _json({"kind": f"{t.rt.kind}List", "apiVersion": t.rt.api_version,
                              "metadata": {"resourceVersion": str(
                                  self.store.resource_version)}, "items": items})
            raise errors.method_not_allowed(f"method {method} not allowed on a collection")
        if method == "GET":
            obj = self.store.get(t.rt, t.namespace, t.name)
            if as_table and t.subresource is None:
                return _json(tables.table(
                    t.rt, self.store.registry.is_custom(t.rt), [obj],
                    {"resourceVersion": obj["metadata"]["resourceVersion"]},
                    q.get("includeObject")))
            return _json(obj)
        if method == "PUT":
            body = await self._body(request, t.rt.kind)
            warnings = await self._check_fields(request, t, body)
            return _warn(_json(self.store.replace(t.rt, t.namespace, t.name, body,
                                                  t.subresource, dry_run=dry_run,
                                                  manager=_manager(request))), warnings)
        if method == "PATCH":
            patched, created = await self._patch(request, t)
            return _warn(_json(patched, 201 if created else 200),
                         request.get(WARNINGS_KEY, []))
        if method == "DELETE":
            return _json(self.store.delete(t.rt, t.namespace, t.name, dry_run=dry_run))
        raise errors.method_not_allowed(f"method {method} not allowed")

    def _list(self, t: Target, label_selector: str | None,
              field_selector: str | None, limit: str | None = None,
              token: str | None = None) -> dict[str, Any]:
        items, rv = self.store.list(t.rt, t.namespace, label_selector, field_selector)
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        # Chunking (limit/continue): the token says where the next page starts. Pages are
        # cut from the current state (the real server serves them from a snapshot).
        start = _decode_continue(token) if token else 0
        if limit:
            try:
                size = int(limit)
            except ValueError as e:
                raise errors.bad_request(f"invalid limit {limit!r}") from e
            if size > 0:
                rest = len(items) - start - size
                items = items[start:start + size]
                if rest > 0:
                    meta["continue"] = _encode_continue(start + size)
                    meta["remainingItemCount"] = rest
        elif start:
            items = items[start:]
        return {"kind": f"{t.rt.kind}List", "apiVersion": t.rt.api_version,
                "metadata": meta, "items": items}

    async def _body(self, request: web.Request, kind: str = "") -> dict[str, Any]:
        """The object a create, update, review or delete (its options) carries."""
        raw = await request.read()
        if request.method == "DELETE" and not raw:
            return {}
        return bodies.decode_object(raw, request.headers.get("Content-Type"), kind)

    async def _patch(self, request: web.Request, t: Target) -> tuple[dict[str, Any], bool]:
        """The patched object, and whether the patch created it (an apply can)."""
        assert t.name is not None
        ctype = request.content_type
        if ctype not in patches.PATCH_TYPES:
            raise errors.unsupported_media_type()
        body = bodies.decode_patch(await request.read(), ctype, patches.APPLY_PATCH)
        if ctype != patches.JSON_PATCH:  # a JSON patch is a list of operations
            request[WARNINGS_KEY] = await self._check_fields(request, t, body)
        if ctype == patches.APPLY_PATCH and not request.query.get("fieldManager"):
            raise errors.ApiError(
                422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
                "required for apply patch",
                {"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [
                    {"reason": "FieldValueRequired", "field": "fieldManager",
                     "message": "Required value: is required for apply patch"}]})

        if ctype == patches.APPLY_PATCH:
            if not isinstance(body, dict):
                raise errors.bad_request("patch body must be an object")
            force = request.query.get("force") in ("true", "1")
            return self.store.apply(t.rt, t.namespace, t.name, body, manager=_manager(request),
                                    force=force, subresource=t.subresource,
                                    dry_run=_dry_run(request))

        def apply_fn(current: dict[str, Any]) -> dict[str, Any]:
            return patches.apply(ctype, current, body)

        return self.store.patch(t.rt, t.namespace, t.name, apply_fn, t.subresource,
                                dry_run=_dry_run(request), manager=_manager(request)), False

    async def _scale(self, request: web.Request, t: Target) -> dict[str, Any]:
        """GET/PUT/PATCH of /scale: an autoscaling/v1 Scale over the parent's replicas."""
        assert t.name is not None
        current = self.store.get(t.rt, t.namespace, t.name)
        if request.method == "GET":
            return scale.to_scale(t.rt, current)
        if request.method == "PUT":
            body = await self._body(request, "Scale")
            want_rv = (body.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != current["metadata"]["resourceVersion"]:
                raise errors.conflict(t.rt.plural, t.rt.group, t.name)
        elif request.method == "PATCH":
            ctype = request.content_type
            if ctype not in patches.PATCH_TYPES or ctype == patches.APPLY_PATCH:
                raise errors.unsupported_media_type()
            patch_body = bodies.decode_patch(await request.read(), ctype, patches.APPLY_PATCH)
            body = patches.apply(ctype, scale.to_scale(t.rt, current), patch_body)
        else:
            raise errors.method_not_allowed(f"method {request.method} not allowed on scale")
        replicas = scale.replicas_of(body, t.rt.kind, t.name)
        updated = self.store.replace(t.rt, t.namespace, t.name,
                                     scale.with_replicas(t.rt, current, replicas), "scale",
                                     dry_run=_dry_run(request), manager=_manager(request))
        return scale.to_scale(t.rt, updated)

    async def _watch(self, request: web.Request, t: Target,
                     as_table: bool = False) -> web.StreamResponse:
        q = request.query
        timeout = float(q.get("timeoutSeconds") or 1800)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        resp = web.StreamResponse(headers={"Content-Type": "application/json",
                                           "Transfer-Encoding": "chunked"})
        try:
            sub = self.store.watch(t.rt, t.namespace, q.get("resourceVersion"),
                                   q.get("labelSelector"), q.get("fieldSelector"))
        except errors.ApiError as e:
            if e.code != 410:
                raise
            # As the API server does: the watch opens (200), then one ERROR event says 410.
            await resp.prepare(request)
            await resp.write((json.dumps({"type": "ERROR", "object": e.status()}) + "\n").encode())
            await resp.write_eof()
            return resp
        await resp.prepare(request)
        # sendInitialEvents (watch-list): the synthetic ADDED events queued by store.watch,
        # then one BOOKMARK annotated k8s.io/initial-events-end, as the API server sends.
        initial_left = sub.queue.qsize() if q.get("sendInitialEvents") == "true" else None
        if initial_left == 0 and bookmarks:
            await self._send_bookmark(resp, t, initial_events_end=True)
        deadline = time.monotonic() + timeout
        first_event = True
        next_bookmark = time.monotonic() + self.bookmark_interval
        try:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                # Wake at least every LIVENESS_CHECK seconds to notice a client that left,
                # so an idle, abandoned watch does not hold its subscription until timeout.
                wait = min(deadline - now, LIVENESS_CHECK)
                if bookmarks:
                    wait = min(wait, max(0.0, next_bookmark - now))
                try:
                    ev = await asyncio.wait_for(sub.queue.get(), timeout=wait)
                except TimeoutError:
                    if request.transport is None or request.transport.is_closing():
                        return resp
                    if bookmarks and time.monotonic() >= next_bookmark:
                        await self._send_bookmark(resp, t)
                        next_bookmark = time.monotonic() + self.bookmark_interval
                    continue
                if ev is None:
                    break
                obj = ev.obj
                if as_table:
                    # Each event carries a one-row Table; only the first has the columns.
                    obj = tables.table(t.rt, self.store.registry.is_custom(t.rt), [obj],
                                       {"resourceVersion": obj["metadata"]["resourceVersion"]},
                                       q.get("includeObject"), with_columns=first_event)
                    first_event = False
                line = json.dumps({"type": ev.type, "object": obj}) + "\n"
                await resp.write(line.encode())
                if initial_left:
                    initial_left -= 1
                    if initial_left == 0 and bookmarks:
                        await self._send_bookmark(resp, t, initial_events_end=True)
            if bookmarks:
                await self._send_bookmark(resp, t)
            await resp.write_eof()
        except ConnectionResetError:
            pass  # the client went away; nothing to tell it
        finally:
            sub.close()
        return resp

    async def _send_bookmark(self, resp: web.StreamResponse, t: Target, *,
                             initial_events_end: bool = False) -> None:
        meta: dict[str, Any] = {"resourceVersion": str(self.store.resource_version)}
        if initial_events_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": t.rt.kind, "apiVersion": t.rt.api_version, "metadata": meta}
        await resp.write((json.dumps({"type": "BOOKMARK", "object": obj}) + "\n").encode())
