"""Copies of chunk facts moved down by some lines (cached facts are never mutated).

Specialised per fact class: this runs for every statement that moved after an edit, so it avoids
generic dataclass recursion (``dataclasses.fields``/``replace`` per object).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flash_ls.parse.extract import ChunkFacts
from flash_ls.parse.facts import (
    Binding,
    Body,
    CallExpr,
    CallSite,
    Decorator,
    Definition,
    Expr,
    Import,
    ImportedName,
    Keyword,
    Literal,
    MappingExpr,
    Method,
    ModuleCall,
    NameExpr,
    NameUse,
    OtherExpr,
    SequenceExpr,
    SyntaxProblem,
)
from flash_ls.span import Span


def shift_chunk(facts: ChunkFacts, lines: int) -> ChunkFacts:
    if lines == 0:
        return facts
    imports = {id(imp): _import(imp, lines) for imp in facts.imports}
    return ChunkFacts(
        imports=list(imports.values()),
        bindings=[_binding(b, lines, imports) for b in facts.bindings],
        definitions=[_definition(d, lines) for d in facts.definitions],
        module_calls=[ModuleCall(_call(m.call, lines)) for m in facts.module_calls],
        syntax_errors=[SyntaxProblem(_span(p.span, lines), p.message) for p in facts.syntax_errors],
    )


def _span(span: Span, n: int) -> Span:
    return Span(span.start_line + n, span.start_col, span.end_line + n, span.end_col)


def _opt_span(span: Span | None, n: int) -> Span | None:
    return (
        None
        if span is None
        else Span(span.start_line + n, span.start_col, span.end_line + n, span.end_col)
    )


def _name(name: ImportedName, n: int) -> ImportedName:
    return ImportedName(name.name, name.alias, _span(name.span, n))


def _import(imp: Import, n: int) -> Import:
    names = tuple(_name(name, n) for name in imp.names)
    return Import(imp.module, names, imp.level, _span(imp.span, n), imp.guarded, imp.nested)


def _binding(binding: Binding, n: int, imports: dict[int, Import]) -> Binding:
    imp = binding.import_
    imported = binding.imported
    new_imp: Import | None = None
    new_imported: ImportedName | None = None
    if imp is not None:
        new_imp = imports.get(id(imp)) or _import(imp, n)
        if imported is not None:
            # Keep ``imported`` one of ``import_.names`` (as the extractor made it).
            for old, new in zip(imp.names, new_imp.names, strict=True):
                if old is imported:
                    new_imported = new
                    break
    if imported is not None and new_imported is None:
        new_imported = _name(imported, n)
    value = binding.value
    return Binding(
        binding.name,
        binding.kind,
        _span(binding.span, n),
        None if value is None else _expr(value, n),
        new_imp,
        new_imported,
    )


def _literal(e: Any, n: int) -> Expr:
    return Literal(_span(e.span, n), e.text, e.value)


def _sequence(e: Any, n: int) -> Expr:
    items = tuple(_expr(item, n) for item in e.items)
    return SequenceExpr(_span(e.span, n), e.text, e.kind, items, e.has_star)


def _mapping(e: Any, n: int) -> Expr:
    items = tuple(
        (None if key is None else _expr(key, n), _expr(value, n)) for key, value in e.items
    )
    return MappingExpr(_span(e.span, n), e.text, items)


def _name_expr(e: Any, n: int) -> Expr:
    return NameExpr(_span(e.span, n), e.text, e.dotted)


def _other(e: Any, n: int) -> Expr:
    return OtherExpr(_span(e.span, n), e.text)


def _keyword(k: Keyword, n: int) -> Keyword:
    return Keyword(k.name, _expr(k.value, n), _span(k.span, n), _span(k.name_span, n))


def _call(e: CallExpr, n: int) -> CallExpr:
    return CallExpr(
        _span(e.span, n),
        e.text,
        _expr(e.func, n),
        tuple(_expr(a, n) for a in e.args),
        tuple(_keyword(k, n) for k in e.keywords),
        e.has_star_args,
    )


_EXPRS: dict[type, Callable[[Any, int], Expr]] = {
    Literal: _literal,
    SequenceExpr: _sequence,
    MappingExpr: _mapping,
    NameExpr: _name_expr,
    OtherExpr: _other,
    CallExpr: _call,
}


def _expr(e: Expr, n: int) -> Expr:
    return _EXPRS[type(e)](e, n)


def _body(body: Body, n: int) -> Body:
    return Body(
        imports=[_import(imp, n) for imp in body.imports],
        free_names=[NameUse(u.name, _span(u.span, n)) for u in body.free_names],
        calls=[CallSite(c.callee, _span(c.span, n)) for c in body.calls],
        first_statement=_opt_span(body.first_statement, n),
        docstring_end=_opt_span(body.docstring_end, n),
        indent=body.indent,
        inline_body=body.inline_body,
    )


def _decorator(dec: Decorator, n: int) -> Decorator:
    return Decorator(_expr(dec.expr, n), _span(dec.span, n))


def _definition(d: Definition, n: int) -> Definition:
    return Definition(
        name=d.name,
        kind=d.kind,
        is_async=d.is_async,
        span=_span(d.span, n),
        name_span=_span(d.name_span, n),
        decorators=[_decorator(dec, n) for dec in d.decorators],
        params=d.params,
        body=_body(d.body, n),
        methods=[
            Method(
                m.name,
                m.is_async,
                m.params,
                _span(m.span, n),
                m.required_params,
                tuple(_decorator(dec, n) for dec in m.decorators),
            )
            for m in d.methods
        ],
        def_line_span=_opt_span(d.def_line_span, n),
    )
