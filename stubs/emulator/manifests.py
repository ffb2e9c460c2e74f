"""Load the emulated Sovereign's base manifests (plus overlays) and apply them to the store.

Files under clusters/emulated/base are read in sorted path order, overlays are applied
(overlays.py), then `${VAR}` / `${VAR:-default}` placeholders are substituted as Flux's
postBuild.substitute does (an unset variable without a default becomes empty). Objects
from `base/<dir>/` where the manifests also declare a Flux Kustomization
`flux-system/<dir>` get kustomize-controller's ownership labels, so that Kustomization's
health checks cover them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .kubeapi.errors import ApiError
from .kubeapi.store import Store
from .overlays import OverlayError, apply_overlay

DEFAULT_MANIFESTS_DIR = Path(__file__).resolve().parents[2] / "clusters" / "emulated" / "base"
KS_NAME = "kustomize.toolkit.fluxcd.io/name"
KS_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

Doc = dict[str, Any]


def substitute(text: str, variables: Mapping[str, str]) -> str:
    return _VAR.sub(lambda m: variables.get(m.group(1), m.group(2) or ""), text)


def substitute_doc(doc: Doc, variables: Mapping[str, str]) -> Doc:
    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return substitute(v, variables)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return walk(doc)  # type: ignore[no-any-return]


def load_base(manifests_dir: Path = DEFAULT_MANIFESTS_DIR) -> list[Doc]:
    docs: list[Doc] = []
    if not manifests_dir.exists():
        return docs
    kustomizations = set()
    files = sorted(p for p in manifests_dir.rglob("*") if p.suffix in (".yaml", ".yml"))
    loaded: list[tuple[Path, Doc]] = []
    for f in files:
        try:
            parts = [d for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)]
        except yaml.YAMLError as e:
            raise OverlayError(f"{f}: invalid YAML: {' '.join(str(e).split())}") from None
        for d in parts:
            if d.get("kind") == "Kustomization" and str(d.get("apiVersion", "")).startswith(
                    "kustomize.toolkit.fluxcd.io/"):
                kustomizations.add((d.get("metadata") or {}).get("name"))
            if d.get("kind"):
                loaded.append((f, d))
    for f, d in loaded:
        rel = f.relative_to(manifests_dir)
        if len(rel.parts) > 1 and rel.parts[0] in kustomizations:
            labels = d.setdefault("metadata", {}).setdefault("labels", {})
            labels.setdefault(KS_NAME, rel.parts[0])
            labels.setdefault(KS_NAMESPACE, "flux-system")
        docs.append(d)
    return docs


def build(manifests_dir: Path | None = DEFAULT_MANIFESTS_DIR, overlays: Sequence[Path] = (),
          variables: Mapping[str, str] | None = None) -> list[Doc]:
    """Base (None: no base) + overlays, substituted: what the cluster should hold."""
    docs = load_base(manifests_dir) if manifests_dir is not None else []
    for overlay in overlays:
        docs = apply_overlay(docs, Path(overlay))
    return [substitute_doc(d, variables or {}) for d in docs]


def apply_docs(store: Store, docs: Sequence[Doc]) -> None:
    """Create (or replace) each object in order, like `kubectl apply` of the built kit."""
    for doc in docs:
        rt = store.registry.by_kind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
        if rt is None:
            raise OverlayError(f"{doc.get('apiVersion')}/{doc.get('kind')} "
                               f"{(doc.get('metadata') or {}).get('name')}: no such kind served")
        meta = doc.get("metadata") or {}
        ns = meta.get("namespace") if rt.namespaced else None
        body = copy.deepcopy(doc)
        try:
            if store.try_get(rt, ns, meta.get("name", "")) is None:
                store.create(rt, ns, body)
            else:
                store.replace(rt, ns, meta["name"], body)
        except ApiError as e:
            raise OverlayError(f"{doc.get('kind')}/{meta.get('name')}: {e.message}") from None
