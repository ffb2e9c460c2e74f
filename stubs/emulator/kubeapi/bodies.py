"""Request bodies as kube-apiserver reads them: the size limit, the media types, decoding.

What the real server (v1.34, checked against the oracle: tests/kubeapi/test_bad_input.py
runs there too) answers for a body it cannot take:
- over 3 MiB (`--max-request-body-bytes`' default): 413 RequestEntityTooLarge, "Request
  entity too large: limit is 3145728"; refused while reading, not by Content-Length;
- a create/update body in a media type it does not decode: 415 UnsupportedMediaType; a
  missing Content-Type is read as JSON;
- a patch whose Content-Type is not a patch type (plain `application/json` included):
  415 "415: Unsupported Media Type" with empty details;
- JSON it cannot parse (malformed, nested past Go's depth limit, not an object): 400
  BadRequest; bytes that are not UTF-8 inside a JSON string are read as U+FFFD (Go's
  encoding/json), outside one they are a syntax error.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from . import errors

MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
JSON = "application/json"
YAML = "application/yaml"
# What a create or update decodes; protobuf and CBOR are not served here, so clients
# (client-go) that try them fall back to JSON on the 415.
OBJECT_MEDIA_TYPES = (JSON, YAML)


def too_large() -> errors.ApiError:
    return errors.ApiError(413, "RequestEntityTooLarge",
                           f"Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}")


def unsupported_object_type() -> errors.ApiError:
    return errors.ApiError(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(OBJECT_MEDIA_TYPES))


def _text(raw: bytes) -> str:
    # Go's encoding/json reads an invalid UTF-8 byte as U+FFFD; outside a string the
    # replacement character is then a syntax error, as there.
    return raw.decode("utf-8", errors="replace")


def parse_json(raw: bytes) -> Any:
    """JSON as Go decodes it; ValueError (with the parser's words) when it cannot."""
    try:
        return json.loads(_text(raw))
    except RecursionError as e:  # Go stops at a depth of 10000: "exceeded max depth"
        raise ValueError("exceeded max depth") from e


def decode_object(raw: bytes, content_type: str | None, kind: str) -> dict[str, Any]:
    """The object of a create or update; `content_type` None when the header is absent."""
    media = (content_type or JSON).split(";", 1)[0].strip().lower()
    if media not in OBJECT_MEDIA_TYPES:
        raise unsupported_object_type()
    unrecognized = f"the object provided is unrecognized (must be of type {kind})"
    if media == YAML:
        try:
            body = yaml.safe_load(_text(raw)) if raw else None
        except yaml.YAMLError as e:
            raise errors.bad_request(f"{unrecognized}: {e}") from e
    else:
        try:
            body = parse_json(raw)
        except ValueError as e:
            raise errors.bad_request(f"{unrecognized}: couldn't get version/kind; "
                                     f"json parse error: {e}") from e
    if not isinstance(body, dict):
        raise errors.bad_request(f"{unrecognized}: couldn't get version/kind; json parse "
                                 "error: the body is not a JSON object")
    return body


def decode_patch(raw: bytes, media: str, apply_type: str) -> Any:
    """A patch body of a patch media type (checked by the caller)."""
    try:
        if media == apply_type:
            return yaml.safe_load(_text(raw)) if raw else {}
        return parse_json(raw) if raw else {}
    except yaml.YAMLError as e:
        raise errors.bad_request(f"error decoding YAML: {e}") from e
    except ValueError as e:
        raise errors.bad_request(f"error decoding patch: {e}") from e
