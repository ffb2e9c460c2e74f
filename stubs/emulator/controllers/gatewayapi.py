"""The Cilium Gateway API controller (controllerName `io.cilium/gateway-controller`).

Writes the status Cilium writes: GatewayClass Accepted (`Valid GatewayClass`) with
supportedFeatures; Gateways of a Cilium class Accepted (`Gateway successfully scheduled`)
and Programmed with the address the emulator's gateway proxy listens on (loopback), and
per-listener status with attachedRoutes; HTTPRoute `status.parents` from Cilium's route
checks (see routechecks.py).

Where Cilium releases differ, `cilium_version` decides (platform-facts §2): up to 1.17 a
dedicated HTTPRoute reconciler writes an entry for every parentRef, so a missing Gateway
gives Accepted=False/InvalidHTTPRoute; from 1.18 route status is written by the Gateway
reconciler only for existing Gateways of a Cilium class, so a missing parent gets no entry.

Like Cilium's operator, it runs its Gateway API controllers only when its configuration
(ConfigMap kube-system/cilium-config, rendered by Cilium's chart) says
`enable-gateway-api: "true"`: before Cilium is installed, or with the chart's
`gatewayAPI.enabled` off, no class is accepted and no Gateway gets a status.

Everything is recomputed on any change of the inputs (classes, Gateways, routes, Services,
ReferenceGrants, Namespaces, Secrets); unchanged status keeps its lastTransitionTime so
the writes are no-ops.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from ..kubeapi.resources import ResourceType
from ..kubeapi.store import WatchEvent, now_iso
from . import lbipam
from .base import Controller, Key
from .routechecks import (
    BACKEND_CHECKS,
    GATEWAY_CHECKS,
    GATEWAY_GROUP,
    RouteInput,
    grant_allows,
    host_intersection,
    parent_key,
    selector_matches,
)

Obj = dict[str, Any]
CONTROLLER_NAME = "io.cilium/gateway-controller"
GATEWAY_ADDRESS = "127.0.0.1"  # the emulator's gateway proxy binds loopback
ALL: Key = ("all", "", "")
CILIUM_CONFIG = ("kube-system", "cilium-config")
SUPPORTED_FEATURES = ("Gateway", "GatewayPort8080", "GatewayStaticAddresses", "GRPCRoute",
                      "HTTPRoute", "HTTPRouteDestinationPortMatching",
                      "HTTPRouteHostRewrite", "HTTPRouteMethodMatching",
                      "HTTPRoutePathRedirect", "HTTPRoutePathRewrite",
                      "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching",
                      "HTTPRouteRequestMirror", "HTTPRouteRequestMultipleMirrors",
                      "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect",
                      "ReferenceGrant", "TLSRoute")


def parse_version(version: str) -> tuple[int, ...]:
    parts = []
    for p in version.lstrip("v").split(".")[:3]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _cond(prev: list[Obj], type_: str, status: str, reason: str, message: str,
          generation: int) -> Obj:
    old = next((c for c in prev if c.get("type") == type_), None)
    stamp = (old.get("lastTransitionTime") if old and old.get("status") == status
             else None) or now_iso()
    return {"type": type_, "status": status, "reason": reason, "message": message,
            "observedGeneration": generation, "lastTransitionTime": stamp}


def _valid_pem(secret: Obj) -> bool:
    data = secret.get("data") or {}
    for key in ("tls.crt", "tls.key"):
        try:
            if b"-----BEGIN" not in base64.b64decode(data.get(key, "")):
                return False
        except ValueError:
            return False
    return True


class GatewayAPIController(Controller):
    name = "cilium-gateway"

    def __init__(self, cilium_version: str | None = None) -> None:
        super().__init__()
        self._version = cilium_version
        self._lb: dict[tuple[str, str], str] = {}  # Gateway -> its LB-IPAM address

    @property
    def cilium_version(self) -> str:
        if self._version:
            return self._version
        assert self.emulator is not None
        return self.emulator.cilium_version

    @property
    def route_status_per_parent(self) -> bool:
        """Cilium <= 1.17: the HTTPRoute reconciler writes every parentRef's status."""
        return parse_version(self.cilium_version) < (1, 18)

    def gw_rt(self, plural: str, version: str = "v1") -> ResourceType | None:
        return self.store.registry.get(GATEWAY_GROUP, version, plural)

    def watches(self) -> Iterable[ResourceType]:
        out = [self.rt("", "v1", "services"), self.rt("", "v1", "namespaces"),
               self.rt("", "v1", "secrets"), self.rt("", "v1", "configmaps")]
        for plural, version in (("gatewayclasses", "v1"), ("gateways", "v1"),
                                ("httproutes", "v1"), ("referencegrants", "v1beta1")):
            rt = self.gw_rt(plural, version)
            if rt is None:
                # Cilium's operator does not start its Gateway controllers without the CRDs.
                return ()
            out.append(rt)
        # It also requires GRPCRoute and the experimental TLSRoute, though it routes neither
        # here ("Required GatewayAPI resources are not found": no controllers at all).
        if self.gw_rt("grpcroutes") is None or self.gw_rt("tlsroutes", "v1alpha2") is None:
            return ()
        # LB-IPAM's pools and L2 policies, once Cilium's operator has registered them.
        for plural in ("ciliumloadbalancerippools", "ciliuml2announcementpolicies"):
            rt = self.store.registry.get(lbipam.GROUP, lbipam.VERSION, plural)
            if rt is not None:
                out.append(rt)
        return out

    def keys_for(self, event: WatchEvent) -> Iterable[Key]:
        meta = event.obj["metadata"]
        if event.obj.get("kind") == "ConfigMap" and (meta.get("namespace"), meta.get("name")) \
                != CILIUM_CONFIG:
            return
        yield ALL

    def enabled(self) -> bool:
        """The operator's `enable-gateway-api`, read from its ConfigMap."""
        config = self.store.try_get(self.rt("", "v1", "configmaps"), *CILIUM_CONFIG)
        return ((config or {}).get("data") or {}).get("enable-gateway-api") == "true"

    def _list(self, plural: str, version: str = "v1") -> list[Obj]:
        rt = self.gw_rt(plural, version)
        return self.store.list(rt)[0] if rt else []

    async def reconcile(self, key: Key) -> float | None:
        if not self.enabled():
            return None
        classes = {c["metadata"]["name"]: c for c in self._list("gatewayclasses")}
        ours = {n for n, c in classes.items()
                if (c.get("spec") or {}).get("controllerName") == CONTROLLER_NAME}
        for name in ours:
            self._class_status(classes[name])
        gateways = {(g["metadata"]["namespace"], g["metadata"]["name"]): g
                    for g in self._list("gateways")}
        our_gateways = {k: g for k, g in gateways.items()
                        if (g.get("spec") or {}).get("gatewayClassName") in ours}
        namespaces = {n["metadata"]["name"]: n
                      for n in self.store.list(self.rt("", "v1", "namespaces"))[0]}
        services = {(s["metadata"]["namespace"], s["metadata"]["name"])
                    for s in self.store.list(self.rt("", "v1", "services"))[0]}
        grants = self._list("referencegrants", "v1beta1")
        routes = self._list("httproutes")
        new_status: dict[tuple[str, str], list[Obj]] = {}
        for route in routes:
            new_status[(route["metadata"]["namespace"], route["metadata"]["name"])] = \
                self._route_parents(route, gateways, our_gateways, namespaces, services,
                                    grants)
        for route in routes:
            meta = route["metadata"]
            self._write_status("httproutes", route,
                               {"parents": new_status[(meta["namespace"], meta["name"])]})
        lb = await self._load_balancer(our_gateways)
        for key, gw in our_gateways.items():
            self._gateway_status(gw, routes, new_status, namespaces, grants,
                                 GATEWAY_ADDRESS if lb is None else lb.get(key))
        return None

    async def _load_balancer(self, gateways: dict[tuple[str, str], Obj]
                             ) -> dict[tuple[str, str], str] | None:
        """Gateway -> address. None: no LB-IPAM pool, the emulated Sovereign's loopback
        address for every Gateway; an empty mapping entry: none free in the pools."""
        if not lbipam.pool_addresses(self.store):
            self._lb = {}
            return None
        self._lb = lbipam.assign(self.store, sorted(gateways), self._lb)
        if lbipam.announced(self.store):
            for key, address in self._lb.items():
                for listener in (gateways[key].get("spec") or {}).get("listeners") or []:
                    if listener.get("protocol") == "HTTP" and listener.get("port"):
                        await self._announce(address, int(listener["port"]))
        return {k: v for k, v in self._lb.items()}

    async def _announce(self, address: str, port: int) -> None:
        from ..gateway import GatewayProxy

        assert self.emulator is not None
        for component in self.emulator.components:
            if isinstance(component, GatewayProxy):
                await component.listen(address, port)

    # ---- GatewayClass -----------------------------------------------------------------------
    def _class_status(self, gwc: Obj) -> None:
        prev = (gwc.get("status") or {}).get("conditions") or []
        gen = gwc["metadata"].get("generation", 1)
        ref = (gwc.get("spec") or {}).get("parametersRef")
        if ref is not None and ref.get("kind") != "CiliumGatewayClassConfig":
            accepted = _cond(prev, "Accepted", "False", "InvalidParameters",
                             "Invalid GatewayClass", gen)
        else:
            accepted = _cond(prev, "Accepted", "True", "Accepted", "Valid GatewayClass", gen)
        conds = [accepted, *(c for c in prev if c.get("type") not in ("Accepted",))]
        status = {"conditions": conds,
                  "supportedFeatures": [{"name": f} for f in sorted(SUPPORTED_FEATURES)]}
        self._write_status("gatewayclasses", gwc, status)

    # ---- HTTPRoute --------------------------------------------------------------------------
    def _route_parents(self, route: Obj, gateways: dict[tuple[str, str], Obj],
                       our_gateways: dict[tuple[str, str], Obj], namespaces: dict[str, Obj],
                       services: set[tuple[str, str]], grants: list[Obj]) -> list[Obj]:
        meta, spec = route["metadata"], route.get("spec") or {}
        ns = meta["namespace"]
        gen = meta.get("generation", 1)
        prev_parents = (route.get("status") or {}).get("parents") or []
        i = RouteInput(route, our_gateways, namespaces, services, grants)
        refs: dict[tuple[Any, ...], Obj] = {}
        for ref in spec.get("parentRefs") or []:
            if ref.get("group", GATEWAY_GROUP) != GATEWAY_GROUP or \
                    ref.get("kind", "Gateway") != "Gateway":
                continue
            gw_key = (ref.get("namespace") or ns, ref["name"])
            if gw_key not in gateways:
                if not self.route_status_per_parent:
                    continue  # Cilium >= 1.18: only existing Cilium Gateways get an entry
            elif gw_key not in our_gateways:
                continue  # another controller's Gateway
            key = parent_key(ref, ns)
            refs[key] = ref
            i.set_parent(key, "Accepted", "True", "Accepted", "Accepted HTTPRoute")
            i.set_parent(key, "ResolvedRefs", "True", "ResolvedRefs",
                         "Service reference is valid")
            for check in GATEWAY_CHECKS:
                if not check(i, ref, key):
                    break
        if refs:
            for backend_check in BACKEND_CHECKS:
                if not backend_check(i):
                    break
        parents = [p for p in prev_parents if p.get("controllerName") != CONTROLLER_NAME]
        for key, ref in refs.items():
            prev: Obj = next((p for p in prev_parents
                         if p.get("controllerName") == CONTROLLER_NAME
                         and parent_key(p.get("parentRef") or {"name": ""}, ns) == key), {})
            prev_conds = prev.get("conditions") or []
            conds = [_cond(prev_conds, t, *i.conditions[key][t], gen)
                     for t in ("Accepted", "ResolvedRefs")]
            parent_ref = {"group": GATEWAY_GROUP, "kind": "Gateway", **ref}
            parents.append({"parentRef": parent_ref, "controllerName": CONTROLLER_NAME,
                            "conditions": conds})
        return parents

    # ---- Gateway ----------------------------------------------------------------------------
    def _listener_conditions(self, gw: Obj, listener: Obj, grants: list[Obj],
                             prev: list[Obj]) -> tuple[list[Obj], list[Obj]]:
        gen = gw["metadata"].get("generation", 1)
        gw_ns = gw["metadata"]["namespace"]
        protocol = listener.get("protocol", "HTTP")
        proto_kind = "TLSRoute" if protocol == "TLS" else "HTTPRoute"
        kinds_spec = (listener.get("allowedRoutes") or {}).get("kinds") or []
        if kinds_spec:
            supported = [k for k in kinds_spec if k.get("kind") == proto_kind
                         and k.get("group", GATEWAY_GROUP) == GATEWAY_GROUP]
            invalid_kinds = len(supported) != len(kinds_spec)
        else:
            supported, invalid_kinds = [{"group": GATEWAY_GROUP, "kind": proto_kind}], False
        if invalid_kinds:
            return supported, [_cond(prev, "ResolvedRefs", "False", "InvalidRouteKinds",
                                     "Invalid Route Kinds", gen)]
        conds = {
            "Programmed": _cond(prev, "Programmed", "True", "Programmed",
                                "Listener Programmed", gen),
            "Accepted": _cond(prev, "Accepted", "True", "Accepted", "Listener Accepted", gen),
            "ResolvedRefs": _cond(prev, "ResolvedRefs", "True", "ResolvedRefs",
                                  "Resolved Refs", gen),
        }
        problem: tuple[str, str] | None = None
        secrets_rt = self.rt("", "v1", "secrets")
        for cert in (listener.get("tls") or {}).get("certificateRefs") or []:
            if cert.get("group", "") != "" or cert.get("kind", "Secret") != "Secret":
                problem = ("InvalidCertificateRef", "Invalid CertificateRef")
                break
            cert_ns = cert.get("namespace") or gw_ns
            if cert_ns != gw_ns and not grant_allows(
                    grants, from_group=GATEWAY_GROUP, from_kind="Gateway", from_ns=gw_ns,
                    to_group="", to_kind="Secret", to_ns=cert_ns, to_name=cert["name"]):
                problem = ("RefNotPermitted", "CertificateRef is not permitted")
                break
            secret = self.store.try_get(secrets_rt, cert_ns, cert["name"])
            if secret is None or not _valid_pem(secret):
                problem = ("InvalidCertificateRef", "Invalid CertificateRef")
                break
        if problem:
            conds["ResolvedRefs"] = _cond(prev, "ResolvedRefs", "False", problem[0], problem[1],
                                          gen)
            conds["Programmed"] = _cond(prev, "Programmed", "False", "Invalid",
                                        "Invalid CertificateRef", gen)
        return supported, list(conds.values())

    def _attached(self, gw: Obj, listener: Obj, routes: list[Obj],
                  parents: dict[tuple[str, str], list[Obj]], namespaces: dict[str, Obj]) -> int:
        gw_ns, gw_name = gw["metadata"]["namespace"], gw["metadata"]["name"]
        count = 0
        for route in routes:
            rns = route["metadata"]["namespace"]
            attachable = any(
                (p["parentRef"].get("namespace") or rns) == gw_ns
                and p["parentRef"]["name"] == gw_name
                and any((c["type"] == "Accepted" and c["status"] == "True")
                        or (c["type"] == "ResolvedRefs" and c["status"] == "False")
                        for c in p["conditions"])
                for p in parents[(rns, route["metadata"]["name"])]
                if p.get("controllerName") == CONTROLLER_NAME)
            if not attachable:
                continue
            allowed = ((listener.get("allowedRoutes") or {}).get("namespaces")
                       or {"from": "Same"})
            origin = allowed.get("from", "Same")
            if origin == "Same" and rns != gw_ns:
                continue
            if origin == "Selector":
                labels = (namespaces.get(rns, {}).get("metadata") or {}).get("labels") or {}
                if not selector_matches(allowed.get("selector") or {}, labels):
                    continue
            hosts = list((route.get("spec") or {}).get("hostnames") or [])
            if not host_intersection(listener.get("hostname"), hosts):
                continue
            matched = False
            for ref in (route.get("spec") or {}).get("parentRefs") or []:
                if ref["name"] != gw_name or (ref.get("namespace") or rns) != gw_ns:
                    continue
                if (ref.get("sectionName") in (None, listener.get("name"))
                        and ref.get("port") in (None, listener.get("port"))):
                    matched = True
            count += matched
        return count

    def _gateway_status(self, gw: Obj, routes: list[Obj],
                        parents: dict[tuple[str, str], list[Obj]], namespaces: dict[str, Obj],
                        grants: list[Obj], address: str | None = GATEWAY_ADDRESS) -> None:
        gen = gw["metadata"].get("generation", 1)
        prev_status = gw.get("status") or {}
        prev_listeners = {ls.get("name"): ls for ls in prev_status.get("listeners") or []}
        listeners = []
        for listener in (gw.get("spec") or {}).get("listeners") or []:
            prev = (prev_listeners.get(listener.get("name")) or {}).get("conditions") or []
            supported, conds = self._listener_conditions(gw, listener, grants, prev)
            listeners.append({
                "name": listener.get("name"),
                "supportedKinds": supported,
                "attachedRoutes": self._attached(gw, listener, routes, parents, namespaces),
                "conditions": conds,
            })
        prev = prev_status.get("conditions") or []
        any_accepted = any(c["type"] == "Accepted" and c["status"] == "True"
                           for ls in listeners for c in ls["conditions"])
        if not any_accepted:
            conds = [_cond(prev, "Accepted", "False", "ListenersNotValid",
                           "No Accepted Listeners", gen),
                     _cond(prev, "Programmed", "False", "Invalid",
                           "No Accepted Listeners", gen)]
            addresses: list[Obj] = []
        else:
            programmed = ("Gateway successfully reconciled" if self.route_status_per_parent
                          else "Gateway Programmed")
            conds = [_cond(prev, "Accepted", "True", "Accepted",
                           "Gateway successfully scheduled", gen),
                     _cond(prev, "Programmed", "True", "Programmed", programmed, gen)]
            addresses = [{"type": "IPAddress", "value": address}] if address else []
        status = {"addresses": addresses, "conditions": conds, "listeners": listeners}
        self._write_status("gateways", gw, status)

    # ---- writes -----------------------------------------------------------------------------
    def _write_status(self, plural: str, obj: Obj, status: Obj) -> None:
        rt = self.gw_rt(plural)
        assert rt is not None
        meta = obj["metadata"]
        if obj.get("status") == status:
            return

        def put(current: Obj) -> Obj:
            current["status"] = status
            return current

        self.store.patch(rt, meta.get("namespace"), meta["name"], put, subresource="status")
