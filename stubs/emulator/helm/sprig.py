"""Helm's and Sprig's template functions with their Go semantics, for the Jinja2 charts.

The pure functions (no cluster, no template engine); render.py binds them into the chart
environment. Each follows Helm v3.16 (pkg/engine/funcs.go, engine.go) and Sprig v3.3.0,
the version Helm 3.16 vendors, where Python's or Jinja's own behaviour differs:

- `empty`/`default`: Sprig's "empty" is the type's zero value: nil, false, 0, 0.0, "",
  and an empty list or map. `0 | default 1` is 1 (Jinja's `default` would keep the 0).
- `required`: only nil and "" are missing (Helm's engine.go); 0, false and [] pass.
- `quote`: Go's `%q` of each non-nil argument's `%v` text, joined by spaces; nil gives
  nothing at all (not `""`).
- `toYaml`: sigs.k8s.io/yaml's Marshal (JSON, then go-yaml v2): keys sorted go-yaml's
  way, strings that would read back as another type double-quoted, multi-line strings as
  literal blocks, whole floats as integers, no anchors, the final newline trimmed.
- `toJson`: Go's json.Marshal: compact, keys sorted, `<`, `>`, `&` escaped.
- `indent`/`nindent`: every line is padded, empty ones included (Sprig's strings.go).

A missing value is Go's nil: render.py's `HelmNil` (an Undefined) counts as nil here.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import jinja2
import yaml


class HelmFail(Exception):
    """Raised by `required` and `fail`: Helm prints it as `execution error at (...)`."""


def is_nil(value: Any) -> bool:
    return value is None or isinstance(value, jinja2.Undefined)


def empty(value: Any) -> bool:
    """Sprig's `empty`: true for the zero value of the value's type."""
    if is_nil(value):
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float, complex)):
        return value == 0
    if isinstance(value, (str, bytes, Mapping, Sequence, set, frozenset)):
        return len(value) == 0
    return False  # a struct: never empty


def default(default_value: Any, *given: Any) -> Any:
    """Sprig's `default DEFAULT GIVEN`: GIVEN unless it is empty."""
    if not given or empty(given[0]):
        return default_value
    return given[0]


def default_filter(value: Any, *args: Any) -> Any:
    """`value | default(d)`: Helm's `value | default d`. Jinja's second (boolean) argument
    has no Helm counterpart, so it is refused rather than silently meaning something."""
    if len(args) != 1:
        raise TypeError(f"default takes one argument after the pipe (Helm's `default "
                        f"DEFAULT VALUE`), got {len(args)}")
    return default(args[0], value)


def required(msg: str, value: Any = None) -> Any:
    """Helm's `required MSG VALUE`: fails on nil or the empty string only."""
    if is_nil(value) or (isinstance(value, str) and value == ""):
        raise HelmFail(msg)
    return value


def fail(msg: str) -> str:
    raise HelmFail(msg)


# ---- Go's fmt: %v and %q -------------------------------------------------------------
def go_float(f: float) -> str:
    """Go's %v of a float64 (strconv's shortest 'g'): exponent form when the decimal
    exponent is below -4 or at least 6, so 1e+06, 123456, 1.5, 1e-05, 0.0001."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    # repr() is the shortest round-tripping decimal, the digits Go picks as well.
    sign, digits, exponent = Decimal(repr(f)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    x = len(digits) + exponent - 1  # the decimal exponent of the first digit
    minus = "-" if sign else ""
    if x < -4 or x >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if x < 0 else '+'}{abs(x):02d}"
    return minus + format(Decimal(text).scaleb(exponent), "f")


def go_value(value: Any) -> str:
    """Go's `%v` of a value as Helm holds it (maps print sorted, as fmt does)."""
    if is_nil(value):
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        inner = " ".join(f"{go_value(k)}:{go_value(v)}" for k, v in
                         sorted(value.items(), key=lambda kv: str(kv[0])))
        return f"map[{inner}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    return str(value)


_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r",
               "\t": r"\t", "\v": r"\v", "\\": r"\\", '"': r"\""}


def _go_printable(ch: str) -> bool:
    # Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space.
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def go_quote(text: str) -> str:
    """Go's `%q` of a string (strconv.Quote): printable runes kept, others escaped."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif _go_printable(ch):
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def quote(*values: Any) -> str:
    """Sprig's `quote`: each non-nil argument as `%q` of its `%v`, space-separated."""
    return " ".join(go_quote(go_value(v)) for v in values if not is_nil(v))


# ---- toYaml / toJson -------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    """What Go's json.Marshal makes of a value: whole floats become integers (go-yaml
    reads the JSON number back as an int), nil stays null."""
    if is_nil(value):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _go_yaml_key(key: str) -> tuple[tuple[int, int, int], ...]:
    """go-yaml v2's map key order: runs of digits compare as numbers, other non-letters
    sort before digits, digits before letters, letters by code point."""
    parts: list[tuple[int, int, int]] = []
    i = 0
    while i < len(key):
        ch = key[i]
        if "0" <= ch <= "9":
            j = i
            while j < len(key) and "0" <= key[j] <= "9":
                j += 1
            parts.append((1, int(key[i:j]), j - i))
            i = j
            continue
        parts.append((2 if ch.isalpha() else 0, ord(ch), 0))
        i += 1
    return tuple(parts)


# go-yaml v2 reads these plain scalars as booleans too (YAML 1.1's y/n), so it quotes them.
_GO_YAML_BOOLS = {"y", "Y", "n", "N"}


class _GoYamlDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # JSON has no anchors: the same object twice is written twice


def _represent_str(dumper: _GoYamlDumper, text: str) -> yaml.ScalarNode:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, text, (True, False))
    if resolved != "tag:yaml.org,2002:str" or text in _GO_YAML_BOOLS:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


def _represent_float(dumper: _GoYamlDumper, value: float) -> yaml.ScalarNode:
    if math.isnan(value):
        text = ".NaN"
    elif math.isinf(value):
        text = ".Inf" if value > 0 else "-.Inf"
    else:
        text = go_float(value)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _represent_dict(dumper: _GoYamlDumper, value: Mapping[str, Any]) -> yaml.MappingNode:
    items = sorted(value.items(), key=lambda kv: _go_yaml_key(kv[0]))
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


# `<<` and `=` are PyYAML's merge and value tags; go-yaml writes them bare.
_GoYamlDumper.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()}
# go-yaml reads 1e3 and 1e+21 as floats (PyYAML's YAML 1.1 resolver wants a dot): it
# writes such floats bare and quotes such strings.
_GoYamlDumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"))
_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(float, _represent_float)
_GoYamlDumper.add_representer(dict, _represent_dict)


def to_yaml(value: Any) -> str:
    """Helm's `toYaml`; like Helm it swallows a marshal error into ""."""
    try:
        text = yaml.dump(_jsonable(value), Dumper=_GoYamlDumper, default_flow_style=False,
                         allow_unicode=True, sort_keys=False, width=80)
    except (yaml.YAMLError, ValueError, TypeError):
        return ""
    text = text.removesuffix("...\n")  # PyYAML ends a bare top-level scalar with `...`
    return text.removesuffix("\n")


def _go_json_float(f: float) -> str:
    # encoding/json: plain decimals from 1e-6 up to 1e21, else exponent form (`1e-7`).
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {go_float(f)}")
    if 1e-6 <= abs(f) < 1e21:
        return format(Decimal(repr(f)), "f")
    mantissa, _, exp = go_float(f).partition("e")
    return f"{mantissa}e{int(exp):+d}"


def _go_json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                        ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(ch, esc)
        return text
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{_go_json(str(k))}:{_go_json(v)}"
                              for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")


def to_json(value: Any) -> str:
    """Helm's `toJson` (Go's json.Marshal: compact, keys sorted, HTML characters escaped);
    "" when the value cannot be marshalled, as Helm swallows the error."""
    try:
        return _go_json(_jsonable(value))
    except (ValueError, TypeError):
        return ""


# ---- indent / nindent ------------------------------------------------------------------
def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return type(value).__name__


def _string_arg(value: Any) -> str:
    # Sprig's indent takes a Go string: text/template refuses any other type.
    if is_nil(value):
        raise TypeError("invalid value; expected string")
    if not isinstance(value, str):
        raise TypeError(f"wrong type for value; expected string; got {_go_type(value)}")
    return value


def indent(spaces: int, text: Any) -> str:
    """Sprig's `indent N TEXT`: N spaces before every line, empty lines too."""
    pad = " " * int(spaces)
    return pad + _string_arg(text).replace("\n", "\n" + pad)


def nindent(spaces: int, text: Any) -> str:
    """Sprig's `nindent N TEXT`: a newline, then `indent N TEXT`."""
    return "\n" + indent(spaces, text)
