"""Volume SetUp checks of the kubelet's secret/configMap/projected volume plugins.

A non-optional Secret or ConfigMap volume whose object (or a listed key) is missing fails
MountVolume.SetUp with the plugin's error, and the pod stays ContainerCreating; an
optional one is mounted empty. Other volume types mount.
"""

from __future__ import annotations

from typing import Any

from ..kubeapi.store import Store
from .envresolve import SourceReader

Obj = dict[str, Any]


def _check_source(src: SourceReader, kind: str, name: str, items: list[Obj],
                  optional: bool) -> str | None:
    data = src.secret(name) if kind == "secret" else src.configmap(name)
    if data is None:
        return None if optional else f'{kind} "{name}" not found'
    for item in items:
        key = item.get("key", "")
        if key not in data and not optional:
            return (f"references non-existent secret key: {key}" if kind == "secret"
                    else f"configmap references non-existent config key: {key}")
    return None


def setup_error(store: Store, namespace: str, volume: Obj) -> str | None:
    """The SetUp error of one pod volume, or None when it mounts."""
    src = SourceReader(store, namespace)
    if "secret" in volume:
        v = volume["secret"]
        return _check_source(src, "secret", v.get("secretName", ""), v.get("items") or [],
                             bool(v.get("optional")))
    if "configMap" in volume:
        v = volume["configMap"]
        return _check_source(src, "configmap", v.get("name", ""), v.get("items") or [],
                             bool(v.get("optional")))
    if "projected" in volume:
        for source in (volume["projected"] or {}).get("sources") or []:
            for kind, key in (("secret", "secret"), ("configmap", "configMap")):
                if key in source:
                    s = source[key]
                    err = _check_source(src, kind, s.get("name", ""), s.get("items") or [],
                                        bool(s.get("optional")))
                    if err:
                        return err
    return None


def mount_errors(store: Store, pod: Obj) -> list[tuple[str, str]]:
    """(volume name, SetUp error) for each pod volume that does not mount."""
    ns = pod["metadata"]["namespace"]
    out = []
    for vol in (pod.get("spec") or {}).get("volumes") or []:
        err = setup_error(store, ns, vol)
        if err:
            out.append((vol.get("name", ""), err))
    return out


def mounted_file(store: Store, pod: Obj, container: Obj, path: str) -> str | None:
    """The content of `path` in the container when a Secret or ConfigMap volume mounts it
    (a key, an item's path, or a subPath mount), else None: what `cat` would read."""
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    src = SourceReader(store, (pod.get("metadata") or {}).get("namespace", ""))
    for m in container.get("volumeMounts") or []:
        vol = volumes.get(m.get("name")) or {}
        kind = "secret" if "secret" in vol else "configMap" if "configMap" in vol else None
        if kind is None:
            continue
        ref = vol[kind]
        data = (src.secret(str(ref.get("secretName", ""))) if kind == "secret"
                else src.configmap(str(ref.get("name", "")))) or {}
        files = {str(i.get("path")): data[i["key"]] for i in ref.get("items") or []
                 if i.get("key") in data} if ref.get("items") else dict(data)
        mount = str(m.get("mountPath", "")).rstrip("/")
        if m.get("subPath"):
            if path == mount and m["subPath"] in files:
                return files[m["subPath"]]
            continue
        for rel, text in files.items():
            if f"{mount}/{rel}" == path:
                return text
    return None
