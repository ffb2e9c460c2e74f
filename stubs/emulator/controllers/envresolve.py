"""A container's environment, resolved from the pod spec the way the kubelet does it.

Order (kubelet makeEnvironmentVariables): `envFrom` sources first, then `env` entries,
which override; `$(VAR)` in values expands from variables defined earlier (`$$` escapes).
A missing non-optional Secret/ConfigMap or key raises ConfigError with the kubelet's text
(`secret "x" not found`, `couldn't find key k in Secret ns/x`); an optional one leaves the
variable out entirely. Values are secrets: errors never carry them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from ..kubeapi.store import Store

Obj = dict[str, Any]
_EXPAND = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_SHELL = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class ConfigError(Exception):
    """CreateContainerConfigError: the message is what the kubelet writes."""


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion; unknown references stay as written."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _EXPAND.sub(sub, value)


def shell_expand(value: str, env: Mapping[str, str]) -> str:
    """`$VAR` / `${VAR}` as a shell entrypoint would expand them (unset -> empty)."""
    return _SHELL.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)


def _decode(data: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for k, v in data.items():
        try:
            out[k] = base64.b64decode(v).decode("utf-8", errors="replace")
        except ValueError:
            out[k] = ""
    return out


class SourceReader:
    """Reads Secrets and ConfigMaps of one namespace as the kubelet's managers do."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store = store
        self.namespace = namespace

    def secret(self, name: str) -> dict[str, str] | None:
        rt = self.store.registry.get("", "v1", "secrets")
        assert rt is not None
        obj = self.store.try_get(rt, self.namespace, name)
        return None if obj is None else _decode(obj.get("data") or {})

    def configmap(self, name: str) -> dict[str, str] | None:
        rt = self.store.registry.get("", "v1", "configmaps")
        assert rt is not None
        obj = self.store.try_get(rt, self.namespace, name)
        if obj is None:
            return None
        data = dict(obj.get("data") or {})
        data.update(_decode(obj.get("binaryData") or {}))
        return data


def _field_ref(pod: Obj, path: str) -> str:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
        "status.hostIPs": ",".join(i["ip"] for i in status.get("hostIPs") or []),
        "status.podIPs": ",".join(i["ip"] for i in status.get("podIPs") or []),
    }
    return str(simple.get(path) or "")


def resolve_env(store: Store, pod: Obj, container: Obj,
                image_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment of `container` (image ENV defaults, then the pod spec)."""
    ns = pod["metadata"]["namespace"]
    src = SourceReader(store, ns)
    env: dict[str, str] = dict(image_env or {})
    for ef in container.get("envFrom") or []:
        prefix = ef.get("prefix", "")
        if "configMapRef" in ef:
            ref = ef["configMapRef"]
            data = src.configmap(ref.get("name", ""))
            if data is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'configmap "{ref.get("name", "")}" not found')
        elif "secretRef" in ef:
            ref = ef["secretRef"]
            data = src.secret(ref.get("name", ""))
            if data is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'secret "{ref.get("name", "")}" not found')
        else:
            continue
        for k, v in data.items():
            env[prefix + k] = v
    for e in container.get("env") or []:
        name = e["name"]
        if "valueFrom" not in e:
            env[name] = expand(str(e.get("value", "")), env)
            continue
        vf = e["valueFrom"]
        if "secretKeyRef" in vf or "configMapKeyRef" in vf:
            is_secret = "secretKeyRef" in vf
            ref = vf["secretKeyRef"] if is_secret else vf["configMapKeyRef"]
            ref_name, key = ref.get("name", ""), ref.get("key", "")
            data = src.secret(ref_name) if is_secret else src.configmap(ref_name)
            if data is None:
                if ref.get("optional"):
                    continue
                kind = "secret" if is_secret else "configmap"
                raise ConfigError(f'{kind} "{ref_name}" not found')
            if key not in data:
                if ref.get("optional"):
                    continue
                kind = "Secret" if is_secret else "ConfigMap"
                raise ConfigError(f"couldn't find key {key} in {kind} {ns}/{ref_name}")
            env[name] = data[key]
        elif "fieldRef" in vf:
            env[name] = _field_ref(pod, vf["fieldRef"].get("fieldPath", ""))
        elif "resourceFieldRef" in vf:
            env[name] = "0"
    return env
