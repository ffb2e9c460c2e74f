"""`metadata.name` and `metadata.generateName` checked on create, as kube-apiserver v1.34
does (apimachinery's ValidateObjectMeta with each kind's name rule), and names made from a
generateName as its SimpleNameGenerator makes them.

The rule per kind, observed on the oracle (the differential case `create-422-names`):
RFC 1123 subdomain for most kinds and every custom resource; RFC 1123 label for Namespace
and StatefulSet (a name with dots: "must not contain dots"); RFC 1035 label for Service;
a path segment for the RBAC kinds (colons allowed: `system:...`); none for core Events.
A generateName is checked as a prefix (a trailing '-' is allowed), and the name made from
it is checked too, so a bad prefix gives two causes.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable

_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_RE = re.compile(f"^{_SUBDOMAIN}$")
LABEL_RE = re.compile(f"^{_LABEL}$")
_DNS1035_RE = re.compile(f"^{_DNS1035}$")

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    f"used for validation is '{_SUBDOMAIN}')")
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    f"regex used for validation is '{_LABEL}')")
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    f"'abc-123', regex used for validation is '{_DNS1035}')")

# What SimpleNameGenerator appends: 5 characters without vowels (no words), base cut to 58.
_GENERATED_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_GENERATED_BASE = 63 - 5


def subdomain(value: str) -> list[str]:
    out = []
    if len(value) > 253:
        out.append("must be no more than 253 characters")
    if not SUBDOMAIN_RE.match(value):
        out.append(SUBDOMAIN_MSG)
    return out


def label(value: str) -> list[str]:
    out = []
    if len(value) > 63:
        out.append("must be no more than 63 characters")
    if not LABEL_RE.match(value):
        # A valid subdomain that fails only for its dots gets the shorter message.
        out.append("must not contain dots" if SUBDOMAIN_RE.match(value) else LABEL_MSG)
    return out


def dns1035(value: str) -> list[str]:
    out = []
    if len(value) > 63:
        out.append("must be no more than 63 characters")
    if not _DNS1035_RE.match(value):
        out.append(DNS1035_MSG)
    return out


def path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


Rule = Callable[[str], list[str]]
_BY_KEY: dict[tuple[str, str], Rule | None] = {
    ("", "namespaces"): label,
    ("apps", "statefulsets"): label,
    ("", "services"): dns1035,
    ("", "events"): None,
    ("rbac.authorization.k8s.io", "roles"): path_segment,
    ("rbac.authorization.k8s.io", "clusterroles"): path_segment,
    ("rbac.authorization.k8s.io", "rolebindings"): path_segment,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): path_segment,
}


def rule_for(key: tuple[str, str]) -> Rule | None:
    """The name rule of a kind (group, plural); subdomain unless listed."""
    return _BY_KEY.get(key, subdomain)


def generate(prefix: str) -> str:
    """A name from a generateName, as kube-apiserver's SimpleNameGenerator makes it."""
    suffix = "".join(random.choice(_GENERATED_ALPHABET) for _ in range(5))
    return prefix[:_MAX_GENERATED_BASE] + suffix


def causes(key: tuple[str, str], meta: dict[str, object]) -> list[dict[str, str]]:
    """The 422 causes of a new object's name and generateName (empty when valid)."""
    check = rule_for(key)
    if check is None:
        return []
    out = []
    prefix = meta.get("generateName")
    if isinstance(prefix, str) and prefix:
        masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix  # a prefix may end in '-'
        out += [_invalid("metadata.generateName", prefix, m) for m in check(masked)]
    name = meta.get("name")
    if isinstance(name, str) and name:
        out += [_invalid("metadata.name", name, m) for m in check(name)]
    return out


def _invalid(field: str, value: str, detail: str) -> dict[str, str]:
    shown = json.dumps(value, ensure_ascii=False)
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}",
            "field": field}
