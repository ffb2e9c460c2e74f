"""Flux's post-renderers: `spec.postRenderers[].kustomize` over the rendered manifests.

helm-controller runs them in order after Helm renders the chart and before it applies
(internal/postrender/kustomize.go; API `Kustomize`): `patches[]` with a `patch` string (a
strategic merge patch mapping, or a JSON 6902 list) and an optional `target` selector
(group, version, kind, name, namespace, labelSelector); `images[]` (name, newName, newTag,
digest). A targeted patch that matches nothing is a no-op, as in kustomize; an untargeted
strategic merge patch is matched by its own apiVersion/kind/name and fails the release when
nothing matches (kustomize: `no matches for Id`). This is how operators customise a chart
they do not own; nothing here knows why a patch was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from ..kubeapi.errors import ApiError
from ..kubeapi.patches import json_patch, merge_patch, strategic_merge
from ..kubeapi.selectors import parse_label_selector
from .render import Manifest, RenderError

Obj = dict[str, Any]
BUILTIN_GROUPS = frozenset({"", "apps", "batch", "policy", "autoscaling",
                            "rbac.authorization.k8s.io", "networking.k8s.io",
                            "discovery.k8s.io"})


def _group_version(obj: Obj) -> tuple[str, str]:
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    return group, version


def _matches(obj: Obj, target: Obj, namespace: str) -> bool:
    meta = obj.get("metadata") or {}
    group, version = _group_version(obj)
    checks = (("group", group), ("version", version), ("kind", obj.get("kind")),
              ("name", meta.get("name")), ("namespace", meta.get("namespace") or namespace))
    if any(target.get(k) and target[k] != v for k, v in checks):
        return False
    if target.get("labelSelector"):
        try:
            selector = parse_label_selector(str(target["labelSelector"]))
        except Exception:
            return False
        return bool(selector(meta.get("labels") or {}))
    return True


def _apply(obj: Obj, body: Any) -> Obj:
    if isinstance(body, list):
        out = json_patch(obj, body)
    else:
        group, _ = _group_version(obj)
        merge = strategic_merge if group in BUILTIN_GROUPS else merge_patch
        out = merge(obj, {k: v for k, v in body.items() if k not in ("apiVersion", "kind")})
    if not isinstance(out, dict):
        raise RenderError("error while running post render on files: patch result is not "
                          "an object")
    return out


def _images(obj: Obj, images: Sequence[Obj]) -> Obj:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or obj.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        ref = str(c.get("image", ""))
        name = ref.split("@")[0].rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else \
            ref.split("@")[0]
        for img in images:
            if img.get("name") != name:
                continue
            new = str(img.get("newName") or name)
            if img.get("digest"):
                c["image"] = f"{new}@{img['digest']}"
            else:
                tag = img.get("newTag") or (ref[len(name) + 1:] if len(ref) > len(name) else "")
                c["image"] = f"{new}:{tag}" if tag else new
    return obj


def post_render(manifests: list[Manifest], post_renderers: Sequence[Obj],
                namespace: str) -> list[Manifest]:
    out = list(manifests)
    for pr in post_renderers or []:
        kz = (pr or {}).get("kustomize") or {}
        for i, entry in enumerate(kz.get("patches") or []):
            try:
                body = yaml.safe_load(str(entry.get("patch", "")))
            except yaml.YAMLError as e:
                raise RenderError(f"error while running post render on files: patches[{i}]: "
                                  f"{' '.join(str(e).split())}") from None
            if not isinstance(body, (dict, list)):
                raise RenderError(f"error while running post render on files: patches[{i}] "
                                  "must be a mapping or a list of operations")
            target = entry.get("target")
            if target is None:
                if not isinstance(body, dict):
                    raise RenderError("error while running post render on files: a JSON 6902 "
                                      "patch needs a target")
                meta = body.get("metadata") or {}
                target = {"kind": body.get("kind"), "name": meta.get("name"),
                          "namespace": meta.get("namespace")}
            hits = [n for n, m in enumerate(out) if _matches(m.obj, target, namespace)]
            if not hits and entry.get("target") is None:
                raise RenderError(f"error while running post render on files: no matches for "
                                  f"Id {target.get('kind')}.{target.get('name')}")
            for n in hits:
                try:
                    out[n] = Manifest(out[n].template, _apply(out[n].obj, body))
                except ApiError as e:
                    raise RenderError("error while running post render on files: "
                                      f"{e.message}") from None
        if kz.get("images"):
            out = [Manifest(m.template, _images(m.obj, kz["images"])) for m in out]
    return out
