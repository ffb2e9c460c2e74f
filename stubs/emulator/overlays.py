"""Overlays: extra manifests and kustomize-style patches over clusters/emulated/base.

An overlay is a directory with a `kustomization.yaml`:

    resources:            # extra manifest files (relative to the overlay), appended in order
      - extra.yaml
    patches:
      - target: {kind: HelmRelease, name: bp-guacamole, namespace: flux-system}
        patch: |          # a mapping: strategic merge patch
          spec:
            values:
              guacamole: {probe: {path: /}}
      - target: {kind: HelmRelease, name: bp-newapi}
        patch: |          # a list: JSON 6902 operations
          - {op: replace, path: /spec/chart/spec/version, value: 1.4.10}
      - target: {kind: HelmRelease, name: bp-sandbox}
        path: sandbox-patch.yaml   # or the patch in a file

As in kustomize, a strategic merge patch on a custom resource (HelmRelease values) is a
JSON merge patch: maps merge, lists are replaced, `null` deletes. A target without a
namespace matches that kind/name in any namespace. Patches apply before `${VAR}`
substitution, as Flux's postBuild does. Every mistake (missing file, bad YAML, no target)
raises `OverlayError` naming the file and the object.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .kubeapi.errors import ApiError
from .kubeapi.patches import json_patch, merge_patch, strategic_merge

Doc = dict[str, Any]
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling",
                            "rbac.authorization.k8s.io", "networking.k8s.io",
                            "discovery.k8s.io", "coordination.k8s.io"})


class OverlayError(Exception):
    """An overlay cannot be applied; the message is one line naming the file and object."""


def _read_yaml_docs(path: Path) -> list[Any]:
    if not path.is_file():
        raise OverlayError(f"{path}: file not found")
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        raise OverlayError(f"{path}: invalid YAML: {' '.join(str(e).split())}") from None


def _object_id(doc: Doc) -> str:
    meta = doc.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{doc.get('kind', '?')}/{ns}{meta.get('name', '?')}"


def matches(doc: Doc, target: dict[str, Any]) -> bool:
    meta = doc.get("metadata") or {}
    if target.get("kind") and doc.get("kind") != target["kind"]:
        return False
    if target.get("name") and meta.get("name") != target["name"]:
        return False
    return not (target.get("namespace") and meta.get("namespace") != target["namespace"])


def patch_body(where: str, entry: dict[str, Any], root: Path) -> Any:
    if "path" in entry:
        docs = _read_yaml_docs(root / str(entry["path"]))
        if len(docs) != 1:
            raise OverlayError(f"{root / str(entry['path'])}: expected one YAML document")
        return docs[0]
    text = entry.get("patch")
    if not isinstance(text, str):
        raise OverlayError(f"{where}: needs `patch` (inline YAML) or `path`")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise OverlayError(f"{where}: invalid YAML: {' '.join(str(e).split())}") from None


def apply_patch(doc: Doc, body: Any, where: str) -> Doc:
    try:
        if isinstance(body, list):
            out = json_patch(doc, body)
        elif isinstance(body, dict):
            group = str(doc.get("apiVersion", "")).rpartition("/")[0]
            merge = strategic_merge if group in BUILTIN_GROUPS else merge_patch
            body = {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}
            out = merge(doc, body)
        else:
            raise OverlayError(f"{where}: a patch must be a mapping or a list of operations")
    except ApiError as e:
        raise OverlayError(f"{where}: {_object_id(doc)}: {e.message}") from None
    if not isinstance(out, dict):
        raise OverlayError(f"{where}: {_object_id(doc)}: patch result is not an object")
    return out


def apply_overlay(docs: Sequence[Doc], overlay: Path) -> list[Doc]:
    """Return base docs + the overlay's resources, with its patches applied."""
    kfile = overlay / "kustomization.yaml"
    spec_docs = _read_yaml_docs(kfile)
    spec = spec_docs[0] if spec_docs else {}
    if not isinstance(spec, dict):
        raise OverlayError(f"{kfile}: must be a mapping with resources/patches")
    out = [dict(d) for d in docs]
    for res in spec.get("resources") or []:
        for doc in _read_yaml_docs(overlay / str(res)):
            if not isinstance(doc, dict) or not doc.get("kind"):
                raise OverlayError(f"{overlay / str(res)}: every document needs a kind")
            out.append(doc)
    for i, entry in enumerate(spec.get("patches") or []):
        where = f"{kfile}: patches[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("target"), dict):
            raise OverlayError(f"{where}: needs a `target` mapping (kind, name, namespace)")
        target = entry["target"]
        body = patch_body(where, entry, overlay)
        hits = [n for n, d in enumerate(out) if matches(d, target)]
        if not hits:
            ns = f"{target['namespace']}/" if target.get("namespace") else ""
            raise OverlayError(f"{where}: target {target.get('kind', '?')}/{ns}"
                               f"{target.get('name', '?')} not found")
        for n in hits:
            out[n] = apply_patch(out[n], body, where)
    return out
