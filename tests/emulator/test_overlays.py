"""Overlays over clusters/emulated/base: strategic merge and JSON 6902 patches addressed by
kind/namespace/name, extra resources, `${VAR}` substitution after patching, and one-line
errors naming the file and the object."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from stubs.emulator.helm.controller import HelmController
from stubs.emulator.manifests import build
from stubs.emulator.overlays import OverlayError
from stubs.emulator.runtime import DEFAULT_MANIFESTS_DIR, Emulator

from .test_helm import HR, FakeWorkloads, rt, until

VARS = {"SOVEREIGN_FQDN": "sovereign.test"}


def overlay(tmp: Path, kustomization: str, **files: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "kustomization.yaml").write_text(kustomization)
    for name, text in files.items():
        (tmp / name).write_text(text)
    return tmp


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def test_both_patch_kinds_and_resources(tmp_path: Path) -> None:
    ov = overlay(tmp_path / "o", """
resources: [extra.yaml]
patches:
  - target: {kind: HelmRelease, name: bp-guacamole, namespace: flux-system}
    patch: |
      spec:
        values:
          guacamole:
            probe: {path: /}
  - target: {kind: HelmRelease, name: bp-self-sovereign-cutover}
    patch: |
      - {op: replace, path: /spec/chart/spec/version, value: "0.1.29"}
  - target: {kind: HelmRelease, name: bp-self-sovereign-cutover}
    path: harbor.yaml
""", **{"extra.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: sandbox}\n",
        "harbor.yaml": "spec:\n  values:\n    sovereign:\n      harborPublicURL: "
                       "https://harbor.${SOVEREIGN_FQDN}\n"})
    docs = build(DEFAULT_MANIFESTS_DIR, [ov], VARS)
    guac = find(docs, "HelmRelease", "bp-guacamole")["spec"]["values"]["guacamole"]
    assert guac == {"probe": {"path": "/"}, "httproute": {"host": "guacamole.sovereign.test"}}
    cut = find(docs, "HelmRelease", "bp-self-sovereign-cutover")["spec"]
    assert cut["chart"]["spec"]["version"] == "0.1.29"
    assert cut["values"]["sovereign"]["harborPublicURL"] == "https://harbor.sovereign.test"
    assert find(docs, "Namespace", "sandbox")
    base = build(DEFAULT_MANIFESTS_DIR, [], VARS)
    assert find(base, "HelmRelease", "bp-self-sovereign-cutover")["spec"]["chart"]["spec"][
        "version"] == "0.1.30"
    assert not any(d["kind"] == "Namespace" and d["metadata"]["name"] == "sandbox"
                   for d in base)
    # Unset variables with a default expand to it (empty here), as Flux's envsubst does.
    newapi = find(base, "HelmRelease", "bp-newapi")["spec"]["values"]
    assert newapi["defaultChannels"]["qwenBankDhofar"]["attestation"]["accountId"] == ""


@pytest.mark.parametrize(("kustomization", "files", "expected"), [
    ("patches:\n  - target: {kind: HelmRelease, name: bp-nope}\n    patch: 'spec: {}'\n", {},
     r"kustomization\.yaml: patches\[0\]: target HelmRelease/bp-nope not found"),
    ("resources: [missing.yaml]\n", {}, r"missing\.yaml: file not found"),
    ("resources: [bad.yaml]\n", {"bad.yaml": "a: [1,\n"}, r"bad\.yaml: invalid YAML: "),
    ("patches:\n  - target: {kind: HelmRelease, name: bp-newapi}\n    patch: |\n"
     "      - {op: replace, path: /spec/nothere/x, value: 1}\n", {},
     r"patches\[0\]: HelmRelease/flux-system/bp-newapi: "),
    ("patches: [{patch: 'a: 1'}]\n", {}, r"patches\[0\]: needs a `target` mapping"),
])
def test_broken_overlays_name_the_file_and_object(tmp_path: Path, kustomization: str,
                                                  files: dict[str, str], expected: str) -> None:
    ov = overlay(tmp_path / "o", kustomization, **files)
    with pytest.raises(OverlayError, match=expected) as e:
        build(DEFAULT_MANIFESTS_DIR, [ov], VARS)
    assert "\n" not in str(e.value)
    with pytest.raises(OverlayError, match=r"kustomization\.yaml: file not found"):
        build(DEFAULT_MANIFESTS_DIR, [tmp_path / "absent"], VARS)


def test_overlay_applies_at_emulator_start(tmp_path: Path) -> None:
    """The seed's flow-server mistake, made by a values overlay: the route parents on a
    gateway that does not exist."""
    ov = overlay(tmp_path / "o", """
patches:
  - target: {kind: HelmRelease, name: bp-openova-flow-server}
    patch: |
      spec:
        dependsOn: null
        values:
          flowServer:
            httproute:
              gatewayRef: {name: catalyst-gateway}
""")
    routes = ("gateway.networking.k8s.io", "v1", "httproutes")

    async def main() -> None:
        em = Emulator(manifests_dir=DEFAULT_MANIFESTS_DIR, overlays=[ov],
                      components=[HelmController(), FakeWorkloads()])
        await em.start()
        try:
            def route() -> dict[str, Any] | None:
                return em.store.try_get(rt(em, routes), "catalyst-system", "openova-flow-server")

            await until(em, HR, lambda: route() is not None)
            route_obj = route()
            assert route_obj is not None
            assert route_obj["spec"]["parentRefs"][0]["name"] == "catalyst-gateway"
            assert route_obj["spec"]["parentRefs"][0]["namespace"] == "kube-system"
        finally:
            await em.stop()

    asyncio.run(main())
