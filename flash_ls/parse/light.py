"""Light facts of one statement chunk with the stdlib ``ast`` (no libcst import, ~10x cheaper).

Used for files that cannot involve Flash: only module-level imports, assignments and bare calls
are extracted, with the same fact classes and code-point positions as the libcst extractor.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from typing import Any

from flash_ls.parse.facts import (
    Binding,
    CallExpr,
    CallSite,
    Definition,
    Expr,
    Import,
    ImportedName,
    Keyword,
    Literal,
    MappingExpr,
    ModuleCall,
    NameExpr,
    NameUse,
    OtherExpr,
    SequenceExpr,
    SyntaxProblem,
)
from flash_ls.span import Span


@dataclass(slots=True)
class ChunkFacts:
    imports: list[Import] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    module_calls: list[ModuleCall] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)


def extract_light(text: str) -> ChunkFacts:
    """Imports, module-level bindings and bare calls of one chunk; a syntax error is a problem."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = ast.parse(text)
    except SyntaxError as err:
        line = max((err.lineno or 1) - 1, 0)
        col = max((err.offset or 1) - 1, 0)
        problem = SyntaxProblem(Span(line, col, line, col + 1), err.msg or "invalid syntax")
        return ChunkFacts(syntax_errors=[problem])
    except (RecursionError, MemoryError, ValueError) as err:
        return ChunkFacts(syntax_errors=[SyntaxProblem(Span(0, 0, 0, 1), f"cannot parse: {err}")])
    extractor = _LightExtractor(text)
    extractor.statements(module.body, guarded=False, nested=False)
    return extractor.facts


class _LightExtractor:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self._encoded: dict[int, bytes] = {}
        self.facts = ChunkFacts()

    # -- positions: ast columns are UTF-8 byte offsets, facts count code points ----------------

    def col(self, line: int, offset: int) -> int:
        """Code-point column of a byte offset on 0-based ``line``."""
        if line >= len(self.lines):
            return offset
        text = self.lines[line]
        if text.isascii():
            return offset
        data = self._encoded.get(line)
        if data is None:
            data = text.encode("utf-8", "surrogatepass")
            self._encoded[line] = data
        return len(data[:offset].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        start = node.lineno - 1  # type: ignore[attr-defined]
        end = (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        end_offset = node.end_col_offset  # type: ignore[attr-defined]
        if end_offset is None:
            end_offset = node.col_offset  # type: ignore[attr-defined]
        return Span(
            start,
            self.col(start, node.col_offset),  # type: ignore[attr-defined]
            end,
            self.col(end, end_offset),
        )

    def source(self, span: Span) -> str:
        if span.start_line == span.end_line:
            return self.lines[span.start_line][span.start_col : span.end_col]
        parts = [self.lines[span.start_line][span.start_col :]]
        parts.extend(self.lines[span.start_line + 1 : span.end_line])
        parts.append(self.lines[span.end_line][: span.end_col])
        return "".join(parts)

    # -- statements ----------------------------------------------------------------------------

    def statements(self, body: list[ast.stmt], *, guarded: bool, nested: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.import_(stmt, guarded=guarded, nested=nested)
            elif isinstance(stmt, ast.If):
                test = stmt.test
                special = _dotted(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                special = special or _is_main_check(test)
                self.statements(stmt.body, guarded=guarded or special, nested=True)
                # ``elif`` is a nested If in ``orelse``; ``else`` runs at import either way.
                self.statements(stmt.orelse, guarded=guarded, nested=True)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                self.statements(stmt.body, guarded=guarded, nested=True)  # type: ignore[attr-defined]
                for handler in stmt.handlers:  # type: ignore[attr-defined]
                    self.statements(handler.body, guarded=guarded, nested=True)
                self.statements(stmt.orelse, guarded=guarded, nested=True)  # type: ignore[attr-defined]
                self.statements(stmt.finalbody, guarded=guarded, nested=True)  # type: ignore[attr-defined]
            elif isinstance(stmt, (ast.With, ast.For, ast.While)):
                self.statements(stmt.body, guarded=guarded, nested=True)
            elif guarded:
                continue
            elif isinstance(stmt, ast.Assign):
                value = self.expr(stmt.value)
                for target in stmt.targets:
                    self.assign_target(target, value)
            elif isinstance(stmt, ast.AnnAssign):
                if isinstance(stmt.target, ast.Name):
                    annotated = self.expr(stmt.value) if stmt.value is not None else None
                    self.facts.bindings.append(
                        Binding(
                            stmt.target.id, "annotated", self.span(stmt.target), value=annotated
                        )
                    )
            elif isinstance(stmt, ast.AugAssign):
                if isinstance(stmt.target, ast.Name):
                    self.facts.bindings.append(
                        Binding(stmt.target.id, "other", self.span(stmt.target))
                    )
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = self.expr(stmt.value)
                if isinstance(call, CallExpr):
                    self.facts.module_calls.append(ModuleCall(call))

    def assign_target(self, target: ast.expr, value: Expr) -> None:
        if isinstance(target, ast.Name):
            self.facts.bindings.append(Binding(target.id, "assign", self.span(target), value=value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                inner = element.value if isinstance(element, ast.Starred) else element
                if isinstance(inner, ast.Name):
                    self.facts.bindings.append(Binding(inner.id, "other", self.span(inner)))

    def import_fact(
        self, node: ast.Import | ast.ImportFrom, *, guarded: bool, nested: bool
    ) -> Import:
        names = tuple(
            ImportedName(alias.name, alias.asname, self.span(alias)) for alias in node.names
        )
        if isinstance(node, ast.Import):
            return Import(None, names, 0, self.span(node), guarded, nested)
        return Import(node.module or None, names, node.level, self.span(node), guarded, nested)

    def import_(self, node: ast.Import | ast.ImportFrom, *, guarded: bool, nested: bool) -> None:
        imp = self.import_fact(node, guarded=guarded, nested=nested)
        self.facts.imports.append(imp)
        for name in imp.names:
            if name.name != "*":
                self.facts.bindings.append(
                    Binding(name.bound, "import", name.span, import_=imp, imported=name)
                )

    # -- expressions ---------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Expr:
        span = self.span(node)
        if isinstance(node, ast.Tuple) and self._parenthesised(node, span):
            # ast counts a tuple's own parentheses in its range; libcst does not.
            span = Span(span.start_line, span.start_col + 1, span.end_line, span.end_col - 1)
        text = self.source(span)
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or isinstance(value, (str, bytes, bool, int, float)):
                return Literal(span, text, value)
            return OtherExpr(span, text)  # Ellipsis, complex
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            inner = node.operand.value
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                if isinstance(node.op, ast.USub):
                    return Literal(span, text, -inner)
                if isinstance(node.op, ast.UAdd):
                    return Literal(span, text, inner)
            return OtherExpr(span, text)
        if isinstance(node, ast.Name):
            return NameExpr(span, text, node.id)
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None:
                return NameExpr(span, text, dotted)
            return OtherExpr(span, text)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            kind = "list" if isinstance(node, ast.List) else "tuple"
            if isinstance(node, ast.Set):
                kind = "set"
            items: list[Expr] = []
            has_star = False
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    has_star = True
                else:
                    items.append(self.expr(element))
            return SequenceExpr(span, text, kind, tuple(items), has_star)
        if isinstance(node, ast.Dict):
            pairs: list[tuple[Expr | None, Expr]] = []
            for key, item in zip(node.keys, node.values, strict=True):
                pairs.append((self.expr(key) if key is not None else None, self.expr(item)))
            return MappingExpr(span, text, tuple(pairs))
        if isinstance(node, ast.Call):
            return self.call(node, span, text)
        return OtherExpr(span, text)

    def _parenthesised(self, node: ast.Tuple, span: Span) -> bool:
        if self.lines[span.start_line][span.start_col : span.start_col + 1] != "(":
            return False
        if not node.elts:
            return True
        first = node.elts[0]
        return (first.lineno - 1, first.col_offset) > (
            node.lineno - 1,
            node.col_offset,
        )

    def call(self, node: ast.Call, span: Span, text: str) -> CallExpr:
        args: list[Expr] = []
        has_star = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                has_star = True
            else:
                args.append(self.expr(arg))
        keywords: list[Keyword] = []
        for kw in node.keywords:
            value = self.expr(kw.value)
            kw_span = self.span(kw)
            if kw.arg is None:
                keywords.append(Keyword(None, value, kw_span, value.span))
            else:
                name_span = Span(
                    kw_span.start_line,
                    kw_span.start_col,
                    kw_span.start_line,
                    kw_span.start_col + len(kw.arg),
                )
                keywords.append(Keyword(kw.arg, value, kw_span, name_span))
        return CallExpr(span, text, self.expr(node.func), tuple(args), tuple(keywords), has_star)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _is_main_check(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(strings)


# ---------------------------------------------------------------------------------------------
# Function and class bodies (used by the full extractor: a libcst visitor over every node of a
# body costs more than parsing it; ``ast`` walks it in C-backed loops).


@dataclass(slots=True)
class BodyNames:
    imports: list[Import]
    calls: list[CallSite]
    free_names: list[NameUse]


class AstBodies:
    """Body facts of the definitions of one chunk, from its ``ast`` (None when it does not parse)."""

    def __init__(self, text: str) -> None:
        self.extractor = _LightExtractor(text)
        self.definitions: dict[tuple[str, int], ast.AST] = {}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = ast.parse(text)
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return
        for node in ast.walk(module):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.definitions.setdefault((node.name, node.lineno - 1), node)

    def body(self, name: str, line: int, bound: set[str]) -> BodyNames | None:
        """What the body of the definition ``name`` on (0-based) ``line`` imports, calls and uses."""
        node = self.definitions.get((name, line))
        if node is None:
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _bind_arguments(node.args, bound)
        walker = _BodyWalker(self.extractor, bound)
        for stmt in node.body:  # type: ignore[attr-defined]
            walker.walk(stmt)
        span = self.extractor.span
        walker.calls.sort(
            key=lambda c: (c[0].lineno, c[0].col_offset, -c[0].end_lineno, -c[0].end_col_offset)
        )
        walker.uses.sort(key=lambda n: (n.lineno, n.col_offset))
        seen: set[str] = set()
        free: list[NameUse] = []
        for use in walker.uses:
            if use.id in seen:
                continue
            seen.add(use.id)
            if use.id not in bound:
                free.append(NameUse(use.id, span(use)))
        calls = [CallSite(dotted, span(call)) for call, dotted in walker.calls]
        return BodyNames(walker.imports, calls, free)


def _bind_arguments(args: ast.arguments, bound: set[str]) -> None:
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        bound.add(arg.arg)
    if args.vararg is not None:
        bound.add(args.vararg.arg)
    if args.kwarg is not None:
        bound.add(args.kwarg.arg)


def _bind_target(target: ast.AST, bound: set[str]) -> None:
    if isinstance(target, ast.Name):
        bound.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind_target(element, bound)
    elif isinstance(target, ast.Starred):
        _bind_target(target.value, bound)


class _BodyWalker:
    """Imports, calls and names of a body (one flat scope: errs toward binding)."""

    def __init__(self, extractor: _LightExtractor, bound: set[str]) -> None:
        self.extractor = extractor
        self.bound = bound
        self.imports: list[Import] = []
        self.calls: list[tuple[Any, str]] = []
        self.uses: list[ast.Name] = []

    def walk(self, node: ast.AST) -> None:
        kind = type(node)
        bound = self.bound
        if kind is ast.Name:
            self.uses.append(node)  # type: ignore[arg-type]
            return
        if kind is ast.Import or kind is ast.ImportFrom:
            imp = self.extractor.import_fact(node, guarded=False, nested=True)  # type: ignore[arg-type]
            self.imports.append(imp)
            bound.update(n.bound for n in imp.names if n.name != "*")
            return
        if kind is ast.Call:
            dotted = _dotted(node.func)  # type: ignore[attr-defined]
            if dotted is not None:
                self.calls.append((node, dotted))
        elif kind is ast.Attribute:
            self.walk(node.value)  # type: ignore[attr-defined]
            return
        elif kind is ast.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                _bind_target(target, bound)
        elif kind in (
            ast.AnnAssign,
            ast.AugAssign,
            ast.For,
            ast.AsyncFor,
            ast.comprehension,
            ast.NamedExpr,
        ):
            _bind_target(node.target, bound)  # type: ignore[attr-defined]
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            bound.add(node.name)  # type: ignore[attr-defined]
            _bind_arguments(node.args, bound)  # type: ignore[attr-defined]
        elif kind is ast.ClassDef:
            bound.add(node.name)  # type: ignore[attr-defined]
        elif kind is ast.Lambda:
            _bind_arguments(node.args, bound)  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            if node.optional_vars is not None:  # type: ignore[attr-defined]
                _bind_target(node.optional_vars, bound)  # type: ignore[attr-defined]
        elif kind is ast.ExceptHandler or kind is ast.MatchAs:
            if node.name:  # type: ignore[attr-defined]
                bound.add(node.name)  # type: ignore[attr-defined]
        elif kind is ast.Global or kind is ast.Nonlocal:
            return
        for child in ast.iter_child_nodes(node):
            self.walk(child)
