"""`kustomize build` as kustomize-controller runs it on a source artifact, for the parts a
bootstrap-kit and its profiles use: `resources` (files, and directories with their own
kustomization.yaml), `patches` (inline or `path`; a strategic merge patch, `$patch:
delete`, or JSON 6902 operations; selected by `target`). A directory without a
kustomization.yaml stands for every manifest under it, as Flux generates one. Paths may
not leave the artifact. Errors raise OverlayError with kustomize's kind of message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..overlays import OverlayError, apply_patch, matches, patch_body

Doc = dict[str, Any]
NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def build(path: Path, root: Path | None = None) -> list[Doc]:
    root = (root or path).resolve()
    path = path.resolve()
    if not path.is_relative_to(root):
        raise OverlayError(f"security; file '{path}' is not in or below '{root}'")
    if not path.is_dir():
        raise OverlayError(f"kustomization path not found: stat {path}: no such file or "
                           "directory")
    kfile = next((path / n for n in NAMES if (path / n).is_file()), None)
    if kfile is None:
        return [d for f in sorted(path.rglob("*.y*ml")) if f.suffix in (".yaml", ".yml")
                for d in _docs(f)]
    spec = yaml.safe_load(kfile.read_text()) or {}
    docs: list[Doc] = []
    for res in spec.get("resources") or []:
        target = (path / str(res)).resolve()
        if not target.is_relative_to(root):
            raise OverlayError(f"security; file '{target}' is not in or below '{root}'")
        docs += build(target, root) if target.is_dir() else _docs(target)
    for i, entry in enumerate(spec.get("patches") or []):
        where = f"{kfile.relative_to(root)}: patches[{i}]"
        body = patch_body(where, entry, path)
        target = entry.get("target") or {}
        if isinstance(body, dict) and not target:
            meta = body.get("metadata") or {}
            target = {"kind": body.get("kind"), "name": meta.get("name")}
        hits = [n for n, d in enumerate(docs) if matches(d, target)]
        if isinstance(body, dict) and body.get("$patch") == "delete":
            docs = [d for n, d in enumerate(docs) if n not in hits]
            continue
        for n in hits:
            docs[n] = apply_patch(docs[n], body, where)
    return docs


def _docs(f: Path) -> list[Doc]:
    if not f.is_file():
        raise OverlayError(f"accumulating resources: '{f}': no such file or directory")
    try:
        return [d for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)
                and d.get("kind")]
    except yaml.YAMLError as e:
        raise OverlayError(f"{f.name}: invalid YAML: {' '.join(str(e).split())}") from None
