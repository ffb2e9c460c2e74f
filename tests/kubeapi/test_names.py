"""Object names checked on create as kube-apiserver does (the wording and each kind's rule
are pinned against the real server by tests/oracle/cases_validation.py `create-422-names`)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from stubs.emulator.kubeapi import names


@pytest.mark.parametrize(("rule", "value", "ok"), [
    (names.subdomain, "a.b-c", True), (names.subdomain, "A", False),
    (names.subdomain, "a" * 254, False), (names.label, "a.b", False),
    (names.label, "abc-1", True), (names.dns1035, "1abc", False),
    (names.dns1035, "abc-1", True), (names.path_segment, "system:x", True),
    (names.path_segment, "a/b", False), (names.path_segment, "..", False)])
def test_name_rules(rule: names.Rule, value: str, ok: bool) -> None:
    assert (rule(value) == []) is ok


def test_a_generated_name_keeps_a_58_character_prefix() -> None:
    made = names.generate("x" * 70)
    assert len(made) == 63 and made.startswith("x" * 58)


def test_an_invalid_name_is_422_with_the_field_cause(core: client.CoreV1Api, ns: str) -> None:
    with pytest.raises(client.ApiException) as e:
        core.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(generate_name="Bad-")))
    body = json.loads(e.value.body or "{}")
    assert (e.value.status, body["reason"]) == (422, "Invalid")
    fields = [c["field"] for c in body["details"]["causes"]]
    assert fields == ["metadata.generateName", "metadata.name"]
    assert "a lowercase RFC 1123 subdomain must consist" in body["message"]
