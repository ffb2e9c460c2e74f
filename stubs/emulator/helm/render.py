"""A mini-Helm: chart templates are Jinja2, rendered with Helm's functions and error shapes.

Template context: `values` (chart values.yaml deep-merged with the release values),
`release` (name, namespace, service, isInstall, isUpgrade, revision), `chart` (name,
version, appVersion). Functions (as globals and, where Helm pipes them, filters):
`required(msg, v)`, `fail(msg)`, `lookup(apiVersion, kind, namespace, name)` (the live
object, or an empty mapping as Helm returns), `randAlphaNum(n)`, `b64enc`, `b64dec`,
`toYaml`, `fromYaml`, `toJson`, `nindent`, `indent` (all lines, as Sprig's), `quote`; the
chart's `templates/_helpers.tpl` macros are available as `h.<name>(...)`. Undefined names
raise (StrictUndefined).

Errors come out as Helm prints them (HELM v3.16 pkg/engine/engine.go):
- `required`/`fail`: `execution error at (<chart>/templates/<file>:<line>:<col>): <msg>`;
  line is the template line of the top-level template file being rendered (a call inside
  a helper is reported where the helper was called, like Go's `include`), col is the
  0-based offset of the first token of the action on that line (Go's text/template
  ErrorContext), so `{{- fail(...) }}` at the start of line 1 reports `:1:4`;
- other runtime errors: `template: <file>:<line>:<col>: executing "<file>" at <...>: <msg>`;
- syntax errors: `parse error at (<file>:<line>): <msg>`;
- rendered text that is not YAML: `YAML parse error on <file>: error converting YAML to
  JSON: <msg>`.
Files whose name starts with `_` are helpers (importable, never rendered themselves).
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
import secrets
import string
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import yaml

from .charts import Chart

Lookup = Callable[[str, str, str, str], Mapping[str, Any]]
_ALNUM = string.ascii_letters + string.digits
_ACTION = re.compile(r"\{[{%]-?\s*")


class RenderError(Exception):
    """A chart failed to render; str() is the message in Helm's shape."""


class HelmFail(Exception):
    """Raised by `required` and `fail` inside a template."""


@dataclass(frozen=True)
class Manifest:
    template: str  # "<chart>/templates/<file>"
    obj: dict[str, Any]


def _required(msg: str, value: Any = None) -> Any:
    # Undefined first: StrictUndefined raises on any comparison.
    if isinstance(value, jinja2.Undefined) or value is None or value == "":
        raise HelmFail(msg)
    return value


def _fail(msg: str) -> str:
    raise HelmFail(msg)


def _to_yaml(value: Any) -> str:
    if value is None or isinstance(value, jinja2.Undefined):
        return "null"
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False).rstrip("\n")


def _from_yaml(text: Any) -> Any:
    return yaml.safe_load(str(text))


def _nindent(text: Any, width: int) -> str:
    pad = " " * width
    return "\n" + "\n".join(pad + line if line else line for line in str(text).split("\n"))


def _indent(text: Any, width: int) -> str:
    return _nindent(text, width)[1:]


def _quote(value: Any) -> str:
    return json.dumps("" if value is None else str(value))


def _b64enc(value: Any) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _b64dec(value: Any) -> str:
    return base64.b64decode(str(value)).decode()


def _rand_alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(int(n)))


class _ChartEnvironment(jinja2.Environment):
    """Resolves `{% import "_helpers.tpl" %}` relative to the importing template."""

    def join_path(self, template: str, parent: str) -> str:
        if "/" in template:
            return template
        return posixpath.join(posixpath.dirname(parent), template)


def _environment(chart: Chart, lookup: Lookup) -> _ChartEnvironment:
    sources = {f"{chart.name}/{path}": text for path, text in chart.templates.items()}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in sources:
            return None
        return sources[name], name, lambda: True

    env = _ChartEnvironment(loader=jinja2.FunctionLoader(load),
                            undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                            trim_blocks=True, lstrip_blocks=True, autoescape=False)
    funcs: dict[str, Any] = {
        "required": _required, "fail": _fail, "toYaml": _to_yaml, "toJson": json.dumps,
        "b64enc": _b64enc, "b64dec": _b64dec, "randAlphaNum": _rand_alnum,
        "quote": _quote, "nindent": _nindent, "fromYaml": _from_yaml,
        "lookup": lambda api_version, kind, namespace, name: dict(
            lookup(api_version, kind, namespace, name) or {}),
    }
    env.globals.update(funcs)
    env.filters.update({"toYaml": _to_yaml, "toJson": json.dumps, "b64enc": _b64enc,
                        "b64dec": _b64dec, "quote": _quote, "nindent": _nindent,
                        "indent": _indent, "fromYaml": _from_yaml})
    helpers = f"{chart.name}/templates/_helpers.tpl"
    if helpers in sources:
        # The chart's named helpers, callable from every template as `h.<macro>(...)`.
        env.globals["h"] = env.get_template(helpers).module
    return env


def _location(exc: BaseException, template: str, source: str) -> tuple[int, int]:
    """Line and Go-style column of the failing action in `template` (best effort)."""
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == template and frame.lineno:
            line = frame.lineno
            break  # the outermost frame in the top-level template, as Go reports include
    if not line:
        return 1, 0
    lines = source.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    m = _ACTION.search(text)
    return line, (m.end() if m else 0)


def _expression(source: str, line: int, col: int) -> str:
    text = source.split("\n")[line - 1] if line else ""
    end = text.find("}}", col)
    return text[col:end if end >= 0 else None].strip().rstrip("-").strip()


def render_chart(chart: Chart, values: Mapping[str, Any], *, release_name: str,
                 namespace: str, lookup: Lookup, is_upgrade: bool = False,
                 revision: int = 1) -> list[Manifest]:
    """Render every non-helper template; raise RenderError in Helm's shape."""
    env = _environment(chart, lookup)
    context = {
        "values": dict(values),
        "release": {"name": release_name, "namespace": namespace, "service": "Helm",
                    "isInstall": not is_upgrade, "isUpgrade": is_upgrade,
                    "revision": revision},
        "chart": {"name": chart.name, "version": chart.version,
                  "appVersion": chart.app_version},
    }
    out: list[Manifest] = []
    for path, source in chart.templates.items():
        if posixpath.basename(path).startswith("_"):
            continue
        name = f"{chart.name}/{path}"
        try:
            text = env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as e:
            where = e.filename or name
            raise RenderError(f"parse error at ({where}:{e.lineno}): {e.message}") from None
        except HelmFail as e:
            line, col = _location(e, name, source)
            raise RenderError(f"execution error at ({name}:{line}:{col}): {e}") from None
        except Exception as e:  # an undefined value, a bad call: Go's exec error, wrapped
            line, col = _location(e, name, source)
            expr = _expression(source, line, col)
            # Helm's cleanupExecError rewrites Go's `template: f:L:C: executing ...` form.
            raise RenderError(f'execution error at ({name}:{line}:{col}): executing '
                              f'"{name}" at <{expr}>: {e}') from None
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError as e:
            msg = str(e).replace("\n", " ")
            raise RenderError(f"YAML parse error on {name}: error converting YAML to "
                              f"JSON: {msg}") from None
        for doc in docs:
            if isinstance(doc, dict) and doc:
                out.append(Manifest(name, doc))
    return out
