"""Flux post-renderers over rendered manifests: targeted strategic merge and JSON 6902
patches, untargeted patches matched by their own id, images; mistakes fail the render."""

from __future__ import annotations

import pytest

from stubs.emulator.helm.postrender import post_render
from stubs.emulator.helm.render import Manifest, RenderError


def rendered() -> list[Manifest]:
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "grafana", "labels": {"app": "grafana"}},
              "spec": {"replicas": 1, "template": {"spec": {"containers": [
                  {"name": "grafana", "image": "docker.io/grafana/grafana:11.3.0"}]}}}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "grafana"},
           "spec": {"selector": {"app": "grafana"}, "ports": [{"port": 80, "targetPort": 3000}]}}
    return [Manifest("bp-grafana/templates/deployment.yaml", deploy),
            Manifest("bp-grafana/templates/service.yaml", svc)]


def test_patches_and_images_apply_in_order() -> None:
    out = post_render(rendered(), [{"kustomize": {
        "patches": [
            {"target": {"kind": "Deployment", "name": "grafana"},
             "patch": "- {op: replace, path: /spec/replicas, value: 0}"},
            {"patch": "apiVersion: v1\nkind: Service\nmetadata: {name: grafana}\n"
                      "spec: {selector: {app: grafna}}"},
            {"target": {"kind": "Service", "labelSelector": "app=nothing"},
             "patch": "spec: {type: NodePort}"}],
        "images": [{"name": "docker.io/grafana/grafana", "newTag": "11.4.0"}]}}], "mon")
    deploy, svc = out[0].obj, out[1].obj
    assert deploy["spec"]["replicas"] == 0
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "docker.io/grafana/grafana:11.4.0"
    assert svc["spec"]["selector"] == {"app": "grafna"} and "type" not in svc["spec"]


def test_an_untargeted_patch_matching_nothing_fails_the_render() -> None:
    with pytest.raises(RenderError, match=r"no matches for Id Service\.grafana-x"):
        post_render(rendered(), [{"kustomize": {"patches": [
            {"patch": "apiVersion: v1\nkind: Service\nmetadata: {name: grafana-x}\n"}]}}],
            "mon")
