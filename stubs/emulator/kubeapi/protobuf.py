"""Just enough of Kubernetes' protobuf encoding to read the review kinds kubectl sends.

`kubectl auth can-i` / `whoami` post SelfSubject*Reviews through typed clients that
encode protobuf (client-go does not fall back to JSON on 415 for protobuf). The envelope
is `k8s\\x00` + runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2}; the reviews'
fields are few and flat, so a wire-format reader and a field map are enough (why not a
protobuf library: the generated.proto files are not on PyPI and we need five fields).
Responses are JSON, which client-go decodes by the response's Content-Type.
"""

from __future__ import annotations

from typing import Any

from . import errors

MAGIC = b"k8s\x00"
Fields = dict[int, list[Any]]

# Field numbers from k8s.io/api/authorization/v1/generated.proto.
RESOURCE_ATTRIBUTES = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource",
                       6: "subresource", 7: "name"}
NON_RESOURCE_ATTRIBUTES = {1: "path", 2: "verb"}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf: bytes) -> Fields:
    """Field number -> values (varints as int, length-delimited as bytes)."""
    out: Fields = {}
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _strings(buf: bytes, names: dict[int, str]) -> dict[str, str]:
    f = fields(buf)
    return {name: f[n][0].decode() for n, name in names.items() if n in f}


def decode_review(raw: bytes) -> dict[str, Any]:
    """A SelfSubjectAccessReview / RulesReview / SelfSubjectReview body as JSON would be."""
    try:
        if not raw.startswith(MAGIC):
            raise ValueError("no k8s protobuf envelope")
        unknown = fields(raw[len(MAGIC):])
        type_meta = _strings(unknown.get(1, [b""])[0], {1: "apiVersion", 2: "kind"})
        obj = fields(unknown.get(2, [b""])[0])
        body: dict[str, Any] = {**type_meta, "metadata": {}, "spec": {}}
        spec = fields(obj.get(2, [b""])[0])
        kind = type_meta.get("kind")
        if kind == "SelfSubjectAccessReview":
            if 1 in spec:
                body["spec"]["resourceAttributes"] = _strings(spec[1][0], RESOURCE_ATTRIBUTES)
            if 2 in spec:
                body["spec"]["nonResourceAttributes"] = _strings(spec[2][0],
                                                                 NON_RESOURCE_ATTRIBUTES)
        elif kind == "SelfSubjectRulesReview" and 1 in spec:
            body["spec"]["namespace"] = spec[1][0].decode()
        return body
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise errors.bad_request(f"the protobuf request body could not be decoded: {e}") from e
