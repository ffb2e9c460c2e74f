"""Validation of built-in kinds, the part of k8s.io/kubernetes' `pkg/apis/*/validation`
the emulator's kinds meet most: each violation a cause of a 422 Invalid, worded and
ordered as kube-apiserver v1.34.4 answers (observed on the oracle; the differential case
`builtin-validation` pins it).

Covered: label keys and values; ConfigMap/Secret keys; pod specs (of Pods and workload
templates): containers required, container names (RFC 1123 label, unique), image
required, imagePullPolicy, restartPolicy (workloads: Always only; Jobs: OnFailure/Never),
container ports and protocols, env names, volume mounts naming a volume; workloads:
replicas >= 0, selector required and matching the template's labels, Deployment strategy
type; Services: type, ports required (unless ExternalName or headless), port and
targetPort ranges, protocols, names required when several and unique.
Not covered (the real server checks them): everything else, e.g. probes, resources,
volumes' sources, affinity, security contexts, Service IPs, immutable fields on update.
`metadata.name` and `generateName` are checked by names.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .names import LABEL_MSG as DNS1123_LABEL_MSG
from .names import LABEL_RE, SUBDOMAIN_RE

Cause = dict[str, str]

_NAME_PART_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")

_NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
_CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')")
_PORT_RANGE = "must be between 1 and 65535, inclusive"
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_WORKLOAD_KEYS = {("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                  ("apps", "replicasets")}


def _go(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Causes:
    def __init__(self) -> None:
        self.items: list[Cause] = []

    def add(self, reason: str, field: str, message: str) -> None:
        self.items.append({"reason": reason, "message": message, "field": field})

    def required(self, field: str) -> None:
        self.add("FieldValueRequired", field, "Required value")

    def invalid(self, field: str, value: Any, detail: str) -> None:
        self.add("FieldValueInvalid", field, f"Invalid value: {_go(value)}: {detail}")

    def not_supported(self, field: str, value: Any, supported: tuple[str, ...]) -> None:
        listed = ", ".join(_go(v) for v in supported)
        self.add("FieldValueNotSupported", field,
                 f"Unsupported value: {_go(value)}: supported values: {listed}")

    def duplicate(self, field: str, value: Any) -> None:
        self.add("FieldValueDuplicate", field, f"Duplicate value: {_go(value)}")


def _labels(labels: Any, field: str, out: _Causes) -> None:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if not _NAME_PART_RE.match(name):
            out.invalid(field, key, _NAME_PART_MSG)
        elif len(name) > 63:
            out.invalid(field, key, "name part must be no more than 63 characters")
        if prefix and (len(prefix) > 253 or not SUBDOMAIN_RE.match(prefix)):
            out.invalid(field, key, "prefix part a lowercase RFC 1123 subdomain must consist "
                        "of lower case alphanumeric characters, '-' or '.', and must start "
                        "and end with an alphanumeric character (e.g. 'example.com', regex "
                        "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]"
                        "([-a-z0-9]*[a-z0-9])?)*')")
        if isinstance(value, str) and (len(value) > 63 or not _LABEL_VALUE_RE.match(value)):
            detail = (_LABEL_VALUE_MSG if _LABEL_VALUE_RE.match(value) is None
                      else "must be no more than 63 characters")
            out.invalid(field, value, detail)


def _config_keys(data: Any, field: str, out: _Causes) -> None:
    if not isinstance(data, dict):
        return
    for key in data:
        if not _CONFIG_KEY_RE.match(key) or key in (".", ".."):
            out.invalid(f"{field}[{key}]", key, _CONFIG_KEY_MSG)


def _containers(spec: dict[str, Any], field: str, out: _Causes) -> None:
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)}
    seen: set[str] = set()
    for list_name in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(list_name) or []):
            if not isinstance(c, dict):
                continue
            at = f"{field}.{list_name}[{i}]"
            name = c.get("name")
            if not name:
                out.required(f"{at}.name")
            elif not LABEL_RE.match(name) or len(name) > 63:
                out.invalid(f"{at}.name", name, DNS1123_LABEL_MSG)
            elif name in seen:
                out.duplicate(f"{at}.name", name)
            if name:
                seen.add(name)
            if not c.get("image"):
                out.required(f"{at}.image")
            for j, port in enumerate(c.get("ports") or []):
                if not isinstance(port, dict):
                    continue
                number = port.get("containerPort")
                if isinstance(number, int) and not 1 <= number <= 65535:
                    out.invalid(f"{at}.ports[{j}].containerPort", number, _PORT_RANGE)
                if port.get("protocol") not in (None, *_PROTOCOLS):
                    out.not_supported(f"{at}.ports[{j}].protocol", port["protocol"],
                                      _PROTOCOLS)
            for j, env in enumerate(c.get("env") or []):
                if isinstance(env, dict) and not env.get("name"):
                    out.required(f"{at}.env[{j}].name")
            for j, mount in enumerate(c.get("volumeMounts") or []):
                if isinstance(mount, dict) and mount.get("name") not in volumes:
                    out.add("FieldValueNotFound", f"{at}.volumeMounts[{j}].name",
                            f"Not found: {_go(mount.get('name'))}")
            policy = c.get("imagePullPolicy")
            if policy is not None and policy not in _PULL_POLICIES:
                out.not_supported(f"{at}.imagePullPolicy", policy, _PULL_POLICIES)


def pod_spec(spec: Any, field: str, out: _Causes,
             restart_policies: tuple[str, ...] = ("Always", "OnFailure", "Never")) -> None:
    if not isinstance(spec, dict):
        return
    if not spec.get("containers"):
        out.required(f"{field}.containers")
    _containers(spec, field, out)
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in restart_policies:
        out.not_supported(f"{field}.restartPolicy", policy, restart_policies)


def _selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    if not isinstance(selector, dict):
        return False
    match = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (
                op == "NotIn" and labels.get(key) in values) or (
                op == "Exists" and key not in labels) or (
                op == "DoesNotExist" and key in labels):
            return False
    return bool(match or selector.get("matchExpressions"))


def _workload(obj: dict[str, Any], kind: str, out: _Causes) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        out.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    selector = spec.get("selector")
    if not selector:
        out.required("spec.selector")
    raw_template = spec.get("template")
    template: dict[str, Any] = raw_template if isinstance(raw_template, dict) else {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not _selector_matches(selector, labels):
        out.invalid("spec.template.metadata.labels", labels,
                    "`selector` does not match template `labels`")
    pod_spec(template.get("spec"), "spec.template.spec", out, ("Always",))
    strategy = spec.get("strategy")
    if kind == "Deployment" and isinstance(strategy, dict) and strategy.get("type") not in (
            None, "Recreate", "RollingUpdate"):
        shown = {"Type": strategy.get("type"), "RollingUpdate": strategy.get("rollingUpdate")}
        out.not_supported("spec.strategy", shown, ("Recreate", "RollingUpdate"))


def _service(obj: dict[str, Any], out: _Causes) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    kind = spec.get("type")
    ports = spec.get("ports") or []
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        out.required("spec.ports")
    names: set[str] = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        at = f"spec.ports[{i}]"
        name = port.get("name")
        if len(ports) > 1 and not name:
            out.required(f"{at}.name")
        elif name and name in names:
            out.duplicate(f"{at}.name", name)
        if name:
            names.add(name)
        number = port.get("port")
        if isinstance(number, int) and not 1 <= number <= 65535:
            out.invalid(f"{at}.port", number, _PORT_RANGE)
        if port.get("protocol") not in (None, *_PROTOCOLS):
            out.not_supported(f"{at}.protocol", port["protocol"], _PROTOCOLS)
        target = port.get("targetPort")
        if isinstance(target, int) and not 1 <= target <= 65535:
            out.invalid(f"{at}.targetPort", target, _PORT_RANGE)
    if kind is not None and kind not in _SERVICE_TYPES:
        out.not_supported("spec.type", kind, _SERVICE_TYPES)


def validate(key: tuple[str, str], kind: str, obj: dict[str, Any]) -> list[Cause]:
    """The causes of a 422 for a built-in object (empty when valid or not covered)."""
    out = _Causes()
    _labels((obj.get("metadata") or {}).get("labels"), "metadata.labels", out)
    if key in (("", "configmaps"), ("", "secrets")):
        _config_keys(obj.get("data"), "data", out)
        _config_keys(obj.get("binaryData"), "binaryData", out)
    elif key == ("", "pods"):
        pod_spec(obj.get("spec"), "spec", out)
    elif key in _WORKLOAD_KEYS:
        _workload(obj, kind, out)
    elif key == ("batch", "jobs"):
        template = (obj.get("spec") or {}).get("template") or {}
        pod_spec(template.get("spec"), "spec.template.spec", out, ("OnFailure", "Never"))
    elif key == ("", "services"):
        _service(obj, out)
    return out.items
