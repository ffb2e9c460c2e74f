"""The mini-Helm's template functions against Helm's and Sprig's documented behaviour.

Expected values come from the Helm docs (helm.sh/docs/chart_template_guide/
function_list, functions_and_pipelines, howto/charts_tips_and_tricks), Sprig's docs
(masterminds.github.io/sprig) and, where the docs are silent, Helm v3.16 / Sprig v3.3.0
source (pkg/engine/engine.go, funcs.go, lookup_func.go; sprig strings.go, defaults.go),
checked against Go's fmt, encoding/json and sigs.k8s.io/yaml v1.4.0.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from stubs.emulator.helm.charts import Chart
from stubs.emulator.helm.controller import HelmController
from stubs.emulator.helm.render import Lookup, RenderError, render_chart
from stubs.emulator.kubeapi.store import Store

FILE = "t/templates/cm.yaml"


def render(body: str, values: dict[str, Any] | None = None,
           lookup: Lookup | None = None) -> dict[str, Any]:
    """Render a one-template chart whose ConfigMap data is `body`; return its data."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n" + body
    chart = Chart("t", "0.1.0", {"Chart.yaml": "name: t\nversion: 0.1.0\n",
                                 "templates/cm.yaml": text})
    out = render_chart(chart, values or {}, release_name="r", namespace="ns", lookup=lookup)
    data: dict[str, Any] = out[0].obj["data"]
    return data


def render_error(body: str, values: dict[str, Any] | None = None,
                 lookup: Lookup | None = None) -> str:
    with pytest.raises(RenderError) as e:
        render(body, values, lookup)
    return str(e.value)


def test_default_uses_sprigs_empty() -> None:
    # function_list "default": Numeric 0, "", [], {}, false and nil are empty -> DEFAULT.
    # The case: `replicas: 0 | default 1` renders 1 in Helm (Jinja's keeps 0).
    assert render("  r: {{ values.replicas | default(1) }}\n", {"replicas": 0}) == {"r": 1}
    empties: tuple[Any, ...] = (0, 0.0, "", [], {}, False, None)
    for given in empties:
        assert render("  v: {{ values.x | default('foo') }}\n", {"x": given}) == {"v": "foo"}
    assert render("  v: {{ values.missing | default('foo') }}\n") == {"v": "foo"}
    # functions_and_pipelines: `default "tea"` keeps a set value ("coffee").
    for kept, shown in ((3, "3"), ("coffee", "coffee"), (True, "true"), ("0", "0")):
        assert render("  v: {{ values.x | default('tea') | quote }}\n", {"x": kept}) == \
            {"v": shown}
    # The function form takes Helm's order: `default "foo" .Bar`.
    assert render("  v: {{ default('foo', values.bar) }}\n", {"bar": ""}) == {"v": "foo"}
    # Jinja's `default(x, true)` and its `d` alias do not exist in Helm: refused.
    assert "default takes one argument" in render_error(
        "  v: {{ values.x | default(1, true) }}\n", {"x": 0})
    assert render_error("  v: {{ values.x | d(1) }}\n").startswith("parse error at (t/")


def test_empty_is_the_zero_value_of_the_type() -> None:
    # function_list "empty": true for the values `default` treats as empty.
    for value, expected in ((0, "true"), (0.0, "true"), ("", "true"), ([], "true"),
                            ({}, "true"), (False, "true"), (None, "true"), (1, "false"),
                            ("0", "false"), (" ", "false"), ([0], "false"), (True, "false")):
        assert render("  e: {{ empty(values.x) | quote }}\n", {"x": value}) == {"e": expected}
    assert render("  e: {{ values.missing | empty | quote }}\n") == {"e": "true"}


def test_required_fails_on_nil_and_empty_string_only() -> None:
    # charts_tips_and_tricks: `required "A valid .Values.who entry required!" .Values.who`
    # stops rendering with that message; engine.go prints it as `execution error at`.
    body = '  who: {{ required("A valid .Values.who entry required!", values.who) }}\n'
    for missing in ({}, {"who": None}, {"who": ""}):
        assert render_error(body, missing) == (
            f"execution error at ({FILE}:5:10): A valid .Values.who entry required!")
    assert render(body, {"who": "me"}) == {"who": "me"}
    # engine.go's `required` tests `val == nil` and `val == ""` only: 0 and false pass
    # (the docs' "see default" overstates it).
    assert render("  n: {{ values.n | required('n') | quote }}\n", {"n": 0}) == {"n": "0"}
    assert render("  b: {{ required('b', values.b) | quote }}\n", {"b": False}) == \
        {"b": "false"}


def test_quote_is_gos_q_of_each_non_nil_argument() -> None:
    # functions_and_pipelines: `quote .Values.favorite.drink` -> "coffee".
    assert render("  drink: {{ quote(values.drink) }}\n", {"drink": "coffee"}) == \
        {"drink": "coffee"}
    cases = [  # (argument, the text Helm writes into the template)
        ("coffee", '"coffee"'), (3, '"3"'), (1.5, '"1.5"'), (True, '"true"'),
        ('say "hi"\n', r'"say \"hi\"\n"'), (["a", "b"], '"[a b]"'), ({"b": 1, "a": 2},
                                                                        '"map[a:2 b:1]"')]
    for value, text in cases:
        assert render("  q: '{{ values.x | quote }}'\n", {"x": value}) == {"q": text}
    # Sprig's quote skips nil arguments: a missing value quotes to nothing, not `""`.
    assert render("  q: '{{ values.missing | quote }}'\n") == {"q": ""}
    # Several arguments: each quoted, space-separated.
    assert render("  q: '{{ quote(values.a, values.none, values.b) }}'\n",
                  {"a": "x", "b": 2}) == {"q": '"x" "2"'}


def test_to_yaml_marshals_as_sigs_k8s_yaml() -> None:
    # function_list "toYaml": lists sit at their key's indent (`hobbies:` then `- hiking`).
    # Keys come out sorted (Go's json.Marshal, then go-yaml), the final newline trimmed.
    bob = {"name": "bob", "age": 25, "hobbies": ["hiking", "fishing", "cooking"]}
    got = render("  y: {{ toYaml(values.people) | quote }}\n", {"people": [bob]})
    assert got["y"] == "- age: 25\n  hobbies:\n  - hiking\n  - fishing\n  - cooking\n  name: bob"
    strings = {"t": "true", "e": "", "n": "1", "y": "y", "m": "a\nb", "p": "plain",
               "f": 2.0, "z": None, "k10": 1, "k9": 2}
    assert render("  y: {{ toYaml(values.s) | quote }}\n", {"s": strings})["y"] == (
        'e: ""\nf: 2\nk9: 2\nk10: 1\nm: |-\n  a\n  b\n"n": "1"\np: plain\nt: "true"\n'
        '"y": "y"\nz: null')  # go-yaml reads y and n as booleans: quoted, keys too
    assert render("  y: {{ toYaml(values.s) | quote }}\n", {"s": "text"}) == {"y": "text"}
    assert render("  y: {{ toYaml(values.missing) | quote }}\n") == {"y": "null"}
    same = {"a": 1}
    assert render("  y: {{ toYaml(values.l) | quote }}\n", {"l": [same, same]}) == \
        {"y": "- a: 1\n- a: 1"}  # the same object twice: no YAML anchors


def test_indent_and_nindent_pad_every_line() -> None:
    # function_list "indent": "indent every line"; Sprig's strings.go pads empty lines too.
    assert render("  i: {{ indent(2, values.t) | quote }}\n", {"t": "a\n\nb"}) == \
        {"i": "  a\n  \n  b"}
    # "nindent": the same, with a new line prepended.
    assert render("  i: {{ values.t | nindent(4) | quote }}\n", {"t": "a\nb"}) == \
        {"i": "\n    a\n    b"}
    assert "expected string; got int" in render_error("  i: {{ values.n | indent(2) }}\n",
                                                      {"n": 5})


def test_tpl_renders_a_string_as_a_template() -> None:
    # charts_tips_and_tricks "Using the 'tpl' Function": template "{{ .Values.name }}"
    # with name "Tom" renders Tom (here in the stand-ins' Jinja: `values.name`).
    values = {"template": "{{ values.name }}", "name": "Tom"}
    assert render("  t: {{ tpl(values.template, root) }}\n", values) == {"t": "Tom"}
    # Errors name the inner template "gotpl", as Helm 3.16's tplFun does.
    err = render_error("  t: {{ tpl(values.template, root) }}\n", {"template": "{{ x }"})
    assert 'error calling tpl: cannot parse template "{{ x }": template: gotpl:1: ' in err
    err = render_error("  t: {{ tpl(values.template, root) }}\n",
                       {"template": "{{ values.a.b }}"})
    assert ('error calling tpl: error during tpl function execution for "{{ values.a.b }}": '
            'template: gotpl:1:3: executing "gotpl" at <values.a.b>: nil pointer evaluating '
            "interface {}.b") in err
    # `required` inside tpl surfaces as Helm's execution error at the tpl call.
    assert render_error("  t: {{ tpl(values.template, root) }}\n",
                        {"template": "{{ required('need x', values.x) }}"}) == \
        f"execution error at ({FILE}:5:8): need x"


def test_lookup_as_helm_documents_it() -> None:
    store = Store()
    ns_rt = store.registry.get("", "v1", "namespaces")
    cm_rt = store.registry.get("", "v1", "configmaps")
    assert ns_rt is not None and cm_rt is not None
    for ns in ("a", "b"):
        store.create(ns_rt, None, {"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": ns}})
        store.create(cm_rt, ns, {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": f"cm-{ns}", "namespace": ns},
                                 "data": {"k": ns}})
    controller = HelmController()
    controller.emulator = SimpleNamespace(store=store)  # type: ignore[assignment]
    look = controller._lookup
    # functions_and_pipelines "Using the lookup function": an object is a dictionary...
    assert look("v1", "ConfigMap", "a", "cm-a")["data"] == {"k": "a"}
    # ... "When no object is found, an empty value is returned".
    assert look("v1", "ConfigMap", "a", "cm-b") == {}
    # An empty name lists (`.items`); an empty namespace too lists across namespaces.
    listed = look("v1", "ConfigMap", "a", "")
    assert listed["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["cm-a"]
    assert [i["metadata"]["name"] for i in look("v1", "ConfigMap", "", "")["items"]] == \
        ["cm-a", "cm-b"]
    assert look("v1", "Namespace", "", "a")["metadata"]["name"] == "a"
    body = "  k: {{ lookup('v1', 'ConfigMap', 'a', 'cm-a').data.k }}\n"
    assert render(body, lookup=look) == {"k": "a"}
    # `helm template` / client-side --dry-run never contact the cluster: empty map.
    assert render("  n: {{ lookup('v1', 'ConfigMap', 'a', 'cm-a') | length }}\n") == {"n": 0}
    # An API group version the server does not serve is an error (lookup_func.go).
    err = render_error("  x: {{ lookup('nope.io/v1', 'Thing', 'a', 'x') }}\n", lookup=look)
    assert err.startswith(f'template: {FILE}:5:8: executing "{FILE}" at <lookup(')
    assert ("error calling lookup: unable to get apiresource from unstructured: "
            "nope.io/v1, Kind=Thing") in err
