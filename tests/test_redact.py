"""The Redactor: registered values (in every encoding), secret shapes, structures."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from e2e.redact import Redactor, redactor_for

PW = "Hunter2-Gitea-Adm1n!"
HEX = "0123456789abcdef0123456789abcdef01234567"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzYW5kYm94LTEiLCJleHAiOjE3MDB9."
       "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk")


def test_registered_value_is_labelled() -> None:
    r = redactor_for({"gitea-admin-password": PW})
    assert r.redact_text(f"login admin/{PW} failed") == \
        "login admin/[redacted:gitea-admin-password] failed"


@pytest.mark.parametrize("encode", [
    lambda v: v,
    lambda v: base64.b64encode(v.encode()).decode(),
    lambda v: base64.urlsafe_b64encode(v.encode()).decode(),
    lambda v: urllib.parse.quote(v, safe=""),
    lambda v: json.dumps(v),
    lambda v: json.dumps(json.dumps(v)),
])
def test_registered_value_in_every_encoding(encode: object) -> None:
    r = redactor_for({"pw": 'pa"ss\\wörd 12/+='})
    encoded = encode('pa"ss\\wörd 12/+=')  # type: ignore[operator]
    out = r.redact_text(f"before {encoded} after")
    assert encoded not in out and "[redacted:pw]" in out


def test_longest_value_wins_and_short_values_are_ignored() -> None:
    r = Redactor()
    r.add("abcdefgh", "short")
    r.add("abcdefgh-and-more", "long")
    r.add("ab", "tiny")  # would garble every report: not registered
    r.add(None, "absent")
    assert r.redact_text("x abcdefgh-and-more y abcdefgh ab") == \
        "x [redacted:long] y [redacted:short] ab"
    assert len(r) == 2


def test_bytes_and_trailing_newline() -> None:
    r = Redactor()
    r.add(b"s3cr3t-from-secret\n", "k")
    assert r.redact_text("v=s3cr3t-from-secret") == "v=[redacted:k]"


def test_last_four_only_when_asked_and_long_enough() -> None:
    assert redactor_for({"t": HEX}).redact_text(HEX) == "[redacted:t]"
    r = redactor_for({"t": HEX, "s": "shortpw1"}, last_four=True)
    assert r.redact_text(HEX) == "[redacted:t…4567]"
    assert r.redact_text("shortpw1") == "[redacted:s]"


@pytest.mark.parametrize(("text", "secret"), [
    ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
    ("authorization: token " + HEX, HEX),
    ("Authorization: Basic Z2l0ZWE6cGFzc3dvcmQ=", "Z2l0ZWE6cGFzc3dvcmQ="),
    ('{"Authorization": "Bearer sk-123456789"}', "sk-123456789"),
    ("curl -H 'Proxy-Authorization: Basic dXNlcjpwYXNz'", "dXNlcjpwYXNz"),
    ("sent bearer sk-live-abcdef123456 to newapi", "sk-live-abcdef123456"),
    ("Basic dXNlcjpwYXNzd29yZA== was rejected", "dXNlcjpwYXNzd29yZA=="),
    ("use token 4f3c2b1a0e9d8c7b6a5f4e3d2c1b in the header", "4f3c2b1a0e9d8c7b6a5f4e3d2c1b"),
    (f"LLM_GATEWAY_TOKEN={JWT}", JWT),
    (f"got {JWT} back", JWT),
    ("GET /api/v1/user?access_token=abcd1234&page=1", "abcd1234"),
    ("https://gitea.test/api?token=xyz987&x=1", "xyz987"),
    ("password=hunter22 user=admin", "hunter22"),
    ("  password: c2VjcmV0LXBhc3N3b3Jk\n  username: YWRtaW4=", "c2VjcmV0LXBhc3N3b3Jk"),
    ('{"GITHUB_TOKEN": "ghp_abcdefghijkl"}', "ghp_abcdefghijkl"),
    ('{\\"password\\": \\"in-escaped-json\\"}', "in-escaped-json"),
    ("ADMIN_SECRET=s3cr3t!", "s3cr3t!"),
    ("https://admin:p4ssw0rd@gitea.sovereign.test/org", "p4ssw0rd"),
    (f"gitea token {HEX} minted", HEX),
])
def test_secret_shapes(text: str, secret: str) -> None:
    out = Redactor().redact_text(text)
    assert secret not in out, out
    assert "[redacted:" in out


@pytest.mark.parametrize("text", [
    "Gitea answered 401 Unauthorized for the token: it is the admin password",
    "Bearer authentication failed",
    "gitea.token-is-password on Secret/gitea/gitea-admin-secret",
    "route.parent-missing: HTTPRoute sme/marketplace parent kube-system/cilium-gateway",
    "lastAppliedRevision: main@sha1:" + HEX,
    '"commit": "' + HEX + '"',
    "chart digest sha256:" + "ab" * 32,
    "host gitea.sovereign.test resolved to 127.0.0.1",
    "key password not found in Secret gitea/gitea-admin-secret",
])
def test_ordinary_text_is_kept(text: str) -> None:
    assert Redactor().redact_text(text) == text


def test_redaction_is_idempotent() -> None:
    r = redactor_for({"pw": PW}, last_four=True)
    samples = [f"Authorization: token {HEX}", f"password={PW}&x=1", f"Bearer {JWT}",
               f'{{"token": "{HEX}"}}', f"login {PW}", "Basic dXNlcjpwYXNzd29yZA=="]
    for sample in samples:
        once = r.redact_text(sample)
        assert r.redact_text(once) == once


def test_structures_are_redacted_recursively() -> None:
    r = redactor_for({"pw": PW})
    data = {
        "message": f"login with {PW}",
        "headers": {"Authorization": "token abc", "Accept": "application/json"},
        "env": [{"name": "GITHUB_TOKEN", "value": "x"}, {"password": "hunter2"}],
        "nested": ({"client_secret": "abc"}, 3, None),
        "commit": HEX,
        "count": 5,
    }
    out = r.redact(data)
    assert out["message"] == "login with [redacted:pw]"
    assert out["headers"] == {"Authorization": "[redacted:authorization]",
                              "Accept": "application/json"}
    assert out["env"][1] == {"password": "[redacted:password]"}
    assert out["nested"] == ({"client_secret": "[redacted:client_secret]"}, 3, None)
    assert out["commit"] == HEX and out["count"] == 5
    assert data["message"] == f"login with {PW}"  # the input is not mutated


def test_markers_survive_json_xml_markdown() -> None:
    # The marker has no character that needs escaping, so a final text pass over any
    # rendered artifact keeps it well-formed.
    r = redactor_for({"pw": PW})
    doc = json.dumps({"a": f"x {PW} y", "b": f"password={PW}"})
    assert json.loads(r.redact_text(doc)) == {"a": "x [redacted:pw] y",
                                              "b": "password=[redacted:pw]"}
    assert not set(r.marker("label", PW)) & set("<>&\"'\\`|*_")


def test_finding_codes_are_not_keys() -> None:
    text = "gitea.token-is-password: Gitea answered 401; sandbox.token-missing: no Secret"
    assert Redactor().redact_text(text) == text


def test_logging_filter_redacts_messages_args_and_tracebacks() -> None:
    import io
    import logging

    from e2e.redact import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(redactor_for({"pw": PW})))
    log = logging.getLogger("test-redact-filter")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("login with %s and Authorization: Bearer %s", PW, "abc.def-123456")
        try:
            raise RuntimeError(f"bad password {PW}")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert PW not in text and "abc.def-123456" not in text
    assert "login with [redacted:pw]" in text and "RuntimeError: bad password [redacted:pw]" in text
