"""Exact spans that features and fixes rely on, where ``ast`` gives no position or a different one.

The expected values are the ones the former libcst extractor produced (0-based lines, code-point
columns); ``ast`` counts UTF-8 bytes, includes a tuple's parentheses, has no position for a
definition's name and none for a decorator's ``@``.
"""

from __future__ import annotations

import sys

import pytest

from flash_ls.parse import parse_file
from flash_ls.parse.facts import (
    CallExpr,
    Definition,
    FileFacts,
    Literal,
    NameExpr,
    OtherExpr,
    SequenceExpr,
)
from flash_ls.span import Span

SDK = "from runpod_flash import Endpoint\n"


def full(text: str) -> FileFacts:
    return parse_file(text, full=True)


def only_definition(text: str) -> Definition:
    (definition,) = full(text).definitions
    return definition


def test_decorators_spans_exclude_the_at_and_the_definition_starts_at_the_first_one() -> None:
    d = only_definition(
        '@ foo\n# comment\n\n@Endpoint(name="w")  # trailing\nasync  def \\\n  work(a,\n b):\n'
        "    return a\n"
    )
    assert d.span == Span(0, 0, 7, 12)
    assert [dec.span for dec in d.decorators] == [Span(0, 2, 0, 5), Span(3, 1, 3, 19)]
    assert [dec.expr.text for dec in d.decorators] == ["foo", 'Endpoint(name="w")']
    # The name after extra spaces and a line continuation; the header from its line's column 0.
    assert d.name == "work" and d.name_span == Span(5, 2, 5, 6)
    assert d.def_line_span == Span(5, 0, 7, 4)
    assert d.is_async and d.params == ("a", "b")


def test_crlf_non_ascii_and_tab_indented_body() -> None:
    d = only_definition("@E(name='é😀')\r\ndef é_f(ä):\r\n\t'''dóc'''\r\n\treturn ä\r\n")
    assert d.decorators[0].span == Span(0, 1, 0, 13)
    assert d.name_span == Span(1, 4, 1, 7)
    assert d.body.indent == "\t"
    assert d.body.docstring_end == Span(2, 1, 2, 10)
    assert d.body.first_statement == Span(3, 1, 3, 9)
    assert d.span.end_line == 3 and d.span.end_col == 9


def test_lone_cr_and_form_feed_lines_count_as_editors_count_them() -> None:
    text = (
        SDK
        + "X = 1\x0c\n\x0c\n@Endpoint(name='a')\rdef f(): return 1\r# a\u2028comment\n"
        + ("def g():\n    return '\x85'\n")
    )
    f = full(text)
    assert [(d.name, d.span.start_line, d.name_span) for d in f.definitions] == [
        ("f", 3, Span(4, 4, 4, 5)),
        ("g", 6, Span(6, 4, 6, 5)),
    ]
    assert f.line_count == 9


def test_inline_bodies() -> None:
    d = only_definition("@E(name='a')\rdef f(): return 1; x = 2  # c\r")
    assert d.body.inline_body
    assert d.body.first_statement == Span(1, 9, 1, 17)
    assert d.span == Span(0, 0, 1, 24)
    assert d.def_line_span == Span(1, 0, 1, 9)
    docstring_inline = only_definition("def d(): '''doc'''\n").body
    assert docstring_inline.docstring_end is None
    assert docstring_inline.first_statement == Span(0, 9, 0, 18)
    continued = only_definition("def f(): \\\n  return 1\n").body
    assert continued.inline_body and continued.first_statement == Span(1, 2, 1, 10)


@pytest.mark.parametrize(
    ("text", "docstring_end", "first_statement"),
    [
        # Not a docstring when another statement shares its line: the whole line comes first.
        ("def a():\n    '''doc'''; x = 1\n", None, Span(1, 4, 1, 20)),
        ('def b():\n    "a" "b"\n    return 1\n', Span(1, 4, 1, 11), Span(2, 4, 2, 12)),
        ("def b():\n    b'bytes'\n    return 1\n", Span(1, 4, 1, 12), Span(2, 4, 2, 12)),
        ('def c():\n    f"{x}"\n    return 1\n', None, Span(1, 4, 1, 10)),
        ('def c():\n    f"{x}" "y"\n    return 1\n', Span(1, 4, 1, 14), Span(2, 4, 2, 12)),
        # A compound statement ends where its last statement does (not at a trailing ``;``).
        (
            'def e():\n    """doc"""\n    if x:\n        pass\n    else:\n        y = 1;\n',
            Span(1, 4, 1, 13),
            Span(2, 4, 5, 13),
        ),
        ("def s():\n    # leading\n    x = 1; y = 2;  # c\n", None, Span(2, 4, 2, 16)),
        ('class C:\n    """Only a docstring."""\n', Span(1, 4, 1, 27), None),
    ],
)
def test_docstring_and_first_statement(
    text: str, docstring_end: Span | None, first_statement: Span | None
) -> None:
    body = only_definition(text).body
    assert body.docstring_end == docstring_end
    assert body.first_statement == first_statement
    assert not body.inline_body and body.indent == "    "


def test_definitions_nested_in_module_blocks_keep_their_indentation() -> None:
    spaces = only_definition("if x:\n    def f():\n        '''é'''\n        return 1\n")
    assert spaces.span == Span(1, 4, 3, 16)
    assert spaces.def_line_span == Span(1, 0, 2, 8)
    assert spaces.body.indent == "        "
    assert spaces.body.docstring_end == Span(2, 8, 2, 15)
    tabs = only_definition("try:\n\tdef f():\n\t\treturn 1\nexcept E:\n\tpass\n")
    assert tabs.body.indent == "\t\t"  # tabs kept


def test_multi_line_header() -> None:
    d = only_definition("def w(\n    a,\n    b,\n) -> (\n    int\n):\n    return a\n")
    assert d.def_line_span == Span(0, 0, 6, 4)
    assert d.body.first_statement == Span(6, 4, 6, 12)


def test_methods_and_required_init_params() -> None:
    d = only_definition(
        "class M(Base, metaclass=Meta):\n"
        "    def __init__(self, a, /, b, c=1, *args, d, e=2, **kw): pass\n"
        "    @property\n"
        "    async def run(cls, q): ...\n"
        "    def reset(self=None): pass\n"
    )
    methods = {m.name: m for m in d.methods}
    assert methods["__init__"].params == ("a", "b", "c", "d", "e")
    assert methods["__init__"].required_params == 3
    assert methods["__init__"].span == Span(1, 8, 1, 16)
    assert methods["run"].is_async and methods["run"].params == ("q",)
    assert methods["run"].span == Span(3, 14, 3, 17)
    assert methods["reset"].required_params == 0
    assert d.def_line_span == Span(0, 0, 1, 4)


def test_expression_values_and_keyword_name_spans() -> None:
    text = (
        "api = E(name='é', gpu=('A',  # c\n   'B'), n=-1, p=+2.5, t=True, z=None, b=b'x',"
        " s='é' 'b', fs=f'{a}', c=1j, g=f(x for x in y), ü=3)\n"
    )
    f = full(text)
    call = f.bindings["api"][0].value
    assert isinstance(call, CallExpr)
    values = {kw.name: kw.value for kw in call.keywords}
    gpu = values["gpu"]
    assert isinstance(gpu, SequenceExpr) and gpu.kind == "tuple"
    assert gpu.span == Span(0, 23, 1, 6) and gpu.text == "'A',  # c\n   'B'"  # no parentheses
    literals = {name: v.value for name, v in values.items() if isinstance(v, Literal)}
    assert literals == {
        "name": "é",
        "n": -1,
        "p": 2.5,
        "t": True,
        "z": None,
        "b": b"x",
        "s": "éb",
        "ü": 3,
    }
    assert all(isinstance(values[name], OtherExpr) for name in ("fs", "c"))
    generator = call.keyword("g")
    assert generator is not None and isinstance(generator.value, CallExpr)
    assert generator.value.args[0].text == "x for x in y"
    name = call.keyword("name")
    assert name is not None and name.name_span == Span(0, 8, 0, 12)
    umlaut = call.keyword("ü")
    assert umlaut is not None and umlaut.name_span.end_col - umlaut.name_span.start_col == 1
    assert umlaut.span.start_col == text.splitlines()[1].index("ü=")  # code points, not bytes


@pytest.mark.parametrize(
    ("source", "text", "kind"),
    [
        ("x = (1, 2, )\n", "1, 2,", "tuple"),
        ("x = ( 1, 2 )\n", "1, 2", "tuple"),
        ("x = ((1, 2))\n", "1, 2", "tuple"),
        ("x = ( )\n", "", "tuple"),
        ("x = (a), b\n", "(a), b", "tuple"),  # the first parenthesis is the element's
        ("x = ((a), b)\n", "(a), b", "tuple"),
        ("x = 1, 2,  # c\n", "1, 2,", "tuple"),
        ("x = [*a, (b)]\n", "[*a, (b)]", "list"),
    ],
)
def test_sequence_spans_exclude_their_own_parentheses(source: str, text: str, kind: str) -> None:
    value = full(source).bindings["x"][0].value
    assert isinstance(value, SequenceExpr) and value.kind == kind and value.text == text


def test_guards_and_nested_module_level_imports() -> None:
    f = full(
        "if TYPE_CHECKING:\n    import torch\n    def hidden(): ...\n"
        "elif x:\n    import a\nelse:\n    import b\n"
        "if __name__ == '__main__':\n    import requests\n"
        "async with ctx():\n    import c\n"
        "for i in y:\n    import d\n"
        "with ctx():\n    def visible(): ...\n"
    )
    flags = {n.name: (imp.guarded, imp.nested) for imp in f.imports for n in imp.names}
    assert flags == {
        "torch": (True, True),
        "a": (False, True),
        "b": (False, True),
        "requests": (True, True),
        "c": (False, True),
        "d": (False, True),
    }
    assert [d.name for d in f.definitions] == ["visible"]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+ syntax")
def test_imports_under_try_except_star() -> None:
    f = full("try:\n    import a\nexcept* ImportError:\n    import b\n")
    assert [(imp.names[0].name, imp.nested) for imp in f.imports] == [("a", True), ("b", True)]


def test_body_names_with_walrus_lambda_match_and_comprehensions() -> None:
    d = only_definition(
        "async def work(x):\n"
        "    global G\n"
        "    async with open(path) as fh:\n"
        "        data = [y := fh.read() for _ in range(3)]\n"
        "    match data:\n"
        "        case [first, *rest] | {'k': first, **rest}:\n"
        "            pass\n"
        "        case Point(x=0) as p:\n"
        "            return p\n"
        "    try:\n"
        "        pass\n"
        "    except Exception as error:\n"
        "        raise Wrapped(error)\n"
        "    return (lambda q, *r: q + r + y + G)(first, rest, missing)\n"
    )
    assert [u.name for u in d.body.free_names] == ["path", "Point", "Wrapped", "G", "missing"]
    assert [c.callee for c in d.body.calls] == ["open", "fh.read", "range", "Wrapped"]


def test_syntax_errors_come_from_cpython_with_its_message_and_position() -> None:
    f = full(SDK + "x = 'é' + (\n\n@Endpoint(name='w')\ndef w(): ...\n")
    assert [(p.span, p.message) for p in f.syntax_errors] == [
        (Span(1, 10, 1, 11), "'(' was never closed")
    ]
    assert [d.name for d in f.definitions] == ["w"]


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "-" * 100_000 + "1\n",  # MemoryError in the parser
        "x = a" + ".a" * 100_000 + "\n",  # RecursionError building the tree
        "x = f" + "()" * 2_000 + "\n",
        "x = 1\x00\n",
    ],
)
def test_unparseable_statements_never_raise(text: str) -> None:
    f = full(SDK + text)
    assert len(f.syntax_errors) == 1 and f.syntax_errors[0].span.start_line == 1


def test_long_expressions_in_bodies_are_walked_without_recursion() -> None:
    d = only_definition("def f():\n    return " + " + ".join(["g(x)"] * 900) + "\n")
    assert len(d.body.calls) == 900 and [u.name for u in d.body.free_names] == ["g", "x"]
    chained = only_definition("def f():\n    return g" + "()" * 2_000 + "\n")
    assert [c.callee for c in chained.body.calls] == ["g"]  # ``g()()``: no dotted callee


def test_bom_and_coding_declaration() -> None:
    f = full("\ufeff@Endpoint(name='é')\ndef f(): ...\n")
    assert f.definitions[0].span.start_col == 1 and f.definitions[0].decorators[0].span == Span(
        0, 2, 0, 20
    )
    coded = full("# -*- coding: latin-1 -*-\nX = 'é'\n").bindings["X"][0].value
    assert isinstance(coded, Literal) and coded.value == "é"


def test_light_facts_are_the_module_level_subset_of_full_facts() -> None:
    text = (
        "import os; make(k=1)\nX = (1, 2)\nasync for i in y:\n    import a\n"
        "def f():\n    import inner\nclass C: ...\n"
    )
    light, whole = parse_file(text, full=False), full(text)
    assert light.imports == whole.imports
    assert light.module_calls == whole.module_calls
    kept = {
        n: [b for b in bs if b.kind not in ("function", "class")]
        for n, bs in whole.bindings.items()
    }
    assert light.bindings == {n: bs for n, bs in kept.items() if bs}
    assert light.definitions == [] and isinstance(whole.bindings["X"][0].value, SequenceExpr)
    assert isinstance(whole.module_calls[0].call.func, NameExpr)
