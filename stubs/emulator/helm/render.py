"""A mini-Helm: chart templates are Jinja2, rendered with Helm's functions and error shapes.

Template context: `values` (chart values.yaml deep-merged with the release values),
`release` (name, namespace, service, isInstall, isUpgrade, revision), `chart` (name,
version, appVersion), and `root` (the whole context, Helm's `$`).

Helm's semantics, not Jinja's (sprig.py holds the functions, each as Helm v3.16 and Sprig
v3.3 define it): `default`, `empty`, `required`, `fail`, `quote`, `toYaml`, `toJson`,
`indent`, `nindent`, `tpl(text, root)`, `lookup(apiVersion, kind, namespace, name)`,
`randAlphaNum(n)`, `b64enc`, `b64dec`, `fromYaml`. As globals they take Helm's argument
order (`default(1, x)` is `default 1 x`); as filters the piped value comes first, as
Helm's pipeline passes it last (`x | default(1)` is `x | default 1`, so `0 | default(1)`
is 1). Jinja's own `default`/`d` filters are replaced, so a chart cannot fall into
Jinja's semantics (`0 | default(1)` keeping 0, `default(x, true)`) by accident. A
missing value is Go's nil (Helm renders with `missingkey=zero`): it prints as nothing,
is false, and a field of it fails with Go's `nil pointer evaluating interface {}.<f>`.
`lookup` answers the live object, an empty map when it is absent, a `<Kind>List` when
the name is empty, and always an empty map under `helm template` (render_chart's
`lookup=None`). The chart's `templates/_helpers.tpl` macros are available as
`h.<name>(...)`.

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

from . import sprig
from .charts import Chart
from .sprig import HelmFail

Lookup = Callable[[str, str, str, str], Mapping[str, Any]]
_ALNUM = string.ascii_letters + string.digits
_ACTION = re.compile(r"\{[{%]-?\s*")


class RenderError(Exception):
    """A chart failed to render; str() is the message in Helm's shape."""


@dataclass(frozen=True)
class Manifest:
    template: str  # "<chart>/templates/<file>"
    obj: dict[str, Any]


def _b64enc(value: Any) -> str:
    return base64.b64encode(str(value).encode()).decode()


def _b64dec(value: Any) -> str:
    return base64.b64decode(str(value)).decode()


def _rand_alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(int(n)))


def _print(value: Any) -> Any:
    """What `{{ x }}` writes, as Go's text/template prints it: true (not True), 2 for a
    whole float, map[a:1] and [a b] for collections, nothing for a missing value."""
    if sprig.is_nil(value):
        return ""
    return value if isinstance(value, str) else sprig.go_value(value)


def _from_yaml(text: Any) -> Any:
    return yaml.safe_load(str(text))


class HelmExecError(Exception):
    """A function that returns a Go error (`tpl`, `lookup`): str() is the text Go's
    text/template puts after `executing "<file>" at <...>: `."""


class HelmNil(jinja2.Undefined):
    """A missing value: Helm renders with `missingkey=zero`, so it is Go's nil: prints
    as nothing, is false, is empty for `default`/`empty`, missing for `required`."""


class _ChartEnvironment(jinja2.Environment):
    """Resolves `{% import "_helpers.tpl" %}` relative to the importing template, and
    fails a field of nil as Go does (`.Values.a.b` when `a` is unset or null)."""

    def join_path(self, template: str, parent: str) -> str:
        if "/" in template:
            return template
        return posixpath.join(posixpath.dirname(parent), template)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if sprig.is_nil(obj):
            raise HelmExecError(f"nil pointer evaluating interface {{}}.{attribute}")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if sprig.is_nil(obj):
            raise HelmExecError(f"nil pointer evaluating interface {{}}.{argument}")
        return super().getitem(obj, argument)


# tpl's inner template is named after the engine's root template, as Helm 3.16 does
# (`t.New(parent.Name())` with parent "gotpl"), so its errors read `template: gotpl:1:...`.
_TPL_NAME = "gotpl"


def _tpl_function(env: _ChartEnvironment) -> Callable[[Any, Any], str]:
    def tpl(text: Any, context: Any) -> str:
        if not isinstance(text, str):
            raise TypeError(f"wrong type for value; expected string; got "
                            f"{type(text).__name__}")
        if not isinstance(context, Mapping):
            # Jinja has no `.`: the context's keys become the template's names.
            raise HelmExecError("error calling tpl: the context must be a mapping such as "
                                "`root` (Jinja has no `.`)")
        try:
            template = env.from_string(text)
        except jinja2.TemplateSyntaxError as e:
            raise HelmExecError(f"error calling tpl: cannot parse template "
                                f"{sprig.go_quote(text)}: template: {_TPL_NAME}:{e.lineno}: "
                                f"{e.message}") from None
        try:
            return template.render(dict(context))
        except HelmFail:
            raise  # `required`/`fail` inside tpl: Helm reports them at the tpl call
        except Exception as e:
            line, col = _location(e, "<template>", text)
            expr = _expression(text, line, col)
            raise HelmExecError(f"error calling tpl: error during tpl function execution for "
                                f"{sprig.go_quote(text)}: template: {_TPL_NAME}:{line}:{col}: "
                                f'executing "{_TPL_NAME}" at <{expr}>: {e}') from None
    return tpl


def _lookup_function(lookup: Lookup | None) -> Callable[[str, str, str, str], dict[str, Any]]:
    def call(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        if lookup is None:  # `helm template` and client-side dry-run: no cluster, empty map
            return {}
        try:
            return dict(lookup(api_version, kind, namespace, name) or {})
        except LookupError as e:
            raise HelmExecError(f"error calling lookup: {e.args[0] if e.args else e}") \
                from None
    return call


def _environment(chart: Chart, lookup: Lookup | None) -> _ChartEnvironment:
    sources = {f"{chart.name}/{path}": text for path, text in chart.templates.items()}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in sources:
            return None
        return sources[name], name, lambda: True

    env = _ChartEnvironment(loader=jinja2.FunctionLoader(load), undefined=HelmNil,
                            finalize=_print, keep_trailing_newline=True, trim_blocks=True,
                            lstrip_blocks=True, autoescape=False)
    # Globals take Helm's argument order (`default(1, x)` is `default 1 x`); filters get
    # the piped value first, as Helm's pipeline passes it last (`x | default(1)`).
    env.globals.update({
        "default": sprig.default, "empty": sprig.empty, "required": sprig.required,
        "fail": sprig.fail, "quote": sprig.quote, "toYaml": sprig.to_yaml,
        "toJson": sprig.to_json, "indent": sprig.indent, "nindent": sprig.nindent,
        "fromYaml": _from_yaml, "b64enc": _b64enc, "b64dec": _b64dec,
        "randAlphaNum": _rand_alnum, "tpl": _tpl_function(env),
        "lookup": _lookup_function(lookup),
    })
    # Jinja's own `default`/`d` keep 0, "" and false (and take a boolean second argument):
    # replaced, so a chart cannot fall into Jinja's semantics by accident.
    env.filters.pop("d", None)
    env.filters.update({
        "default": sprig.default_filter, "empty": sprig.empty,
        "required": lambda value, msg: sprig.required(msg, value),
        "quote": sprig.quote, "toYaml": sprig.to_yaml, "toJson": sprig.to_json,
        "indent": lambda text, n: sprig.indent(n, text),
        "nindent": lambda text, n: sprig.nindent(n, text),
        "fromYaml": _from_yaml, "b64enc": _b64enc, "b64dec": _b64dec,
    })
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
                 namespace: str, lookup: Lookup | None, is_upgrade: bool = False,
                 revision: int = 1) -> list[Manifest]:
    """Render every non-helper template; raise RenderError in Helm's shape.

    `lookup=None` renders as `helm template` (or a client-side dry-run) does: no cluster,
    so every `lookup` answers an empty map."""
    env = _environment(chart, lookup)
    context: dict[str, Any] = {
        "values": dict(values),
        "release": {"name": release_name, "namespace": namespace, "service": "Helm",
                    "isInstall": not is_upgrade, "isUpgrade": is_upgrade,
                    "revision": revision},
        "chart": {"name": chart.name, "version": chart.version,
                  "appVersion": chart.app_version},
    }
    context["root"] = context  # Helm's `$`, for `tpl(text, root)` (Jinja has no `.`)
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
        except Exception as e:  # a field of nil, a bad call: Go's exec error
            line, col = _location(e, name, source)
            expr = _expression(source, line, col)
            # Helm 3.16's cleanupExecError rewrites only `required`/`fail` messages; any
            # other exec error comes out as Go's text/template wrote it.
            raise RenderError(f'template: {name}:{line}:{col}: executing "{name}" at '
                              f'<{expr}>: {e}') from None
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
