"""libcst -> facts for one top-level statement chunk (positions relative to the chunk).

Imported lazily (``flash_ls.parse`` does not import libcst until a chunk needs it)."""

from __future__ import annotations

import ast
import builtins
import contextlib
from collections.abc import Iterable, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

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
from flash_ls.parse.light import AstBodies, ChunkFacts
from flash_ls.span import Span

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__class__"}


def extract_chunk(text: str) -> ChunkFacts:
    """Parse one top-level statement chunk; a syntax error becomes a ``SyntaxProblem``."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        return ChunkFacts(syntax_errors=[_syntax_problem(text, err)])
    except (RecursionError, MemoryError, ValueError) as err:
        return ChunkFacts(syntax_errors=[SyntaxProblem(Span(0, 0, 0, 1), f"cannot parse: {err}")])
    return _ChunkExtractor(text, _positions(module), module.default_indent).run(module.body)


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """Every node's range, from one position-recording codegen pass over the tree.

    ``MetadataWrapper.resolve`` runs the same pass plus a full no-op batched visit of the tree
    and a copy of the result (about half its cost); the provider is driven directly when its
    internals are the ones we know (libcst 1.x), through the wrapper otherwise.
    """
    provider = PositionProvider()
    try:
        provider._gen_impl(module)
        computed = provider._computed
    except AttributeError:  # pragma: no cover - a libcst without these internals
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return computed  # type: ignore[return-value]


def _syntax_problem(text: str, err: cst.ParserSyntaxError) -> SyntaxProblem:
    """Where and why a statement does not parse.

    libcst decides that it is broken (its grammar does not depend on the running Python); CPython's
    compiler, when it agrees, says where and why more precisely ("'(' was never closed").
    """
    line = max(err.raw_line - 1, 0)
    col = max(err.raw_column, 0)
    message = err.message.strip().splitlines()[0] if err.message.strip() else "invalid syntax"
    # A value CPython cannot even compile (NUL bytes, too deep) keeps libcst's location.
    with contextlib.suppress(ValueError, RecursionError, MemoryError):
        try:
            compile(text, "<statement>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as py_err:
            if py_err.lineno is not None:
                line = py_err.lineno - 1
                col = max((py_err.offset or 1) - 1, 0)
                message = py_err.msg
    return SyntaxProblem(Span(line, col, line, col + 1), message)


class _ChunkExtractor:
    def __init__(self, text: str, positions: object, default_indent: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self._bodies: AstBodies | None = None
        self.positions = positions
        self.default_indent = default_indent
        self.facts = ChunkFacts()

    # -- positions ---------------------------------------------------------------------------

    def span(self, node: cst.CSTNode) -> Span:
        rng: CodeRange = self.positions[node]  # type: ignore[index]
        return Span(rng.start.line - 1, rng.start.column, rng.end.line - 1, rng.end.column)

    def source(self, span: Span) -> str:
        if span.start_line == span.end_line:
            return self.lines[span.start_line][span.start_col : span.end_col]
        parts = [self.lines[span.start_line][span.start_col :]]
        parts.extend(self.lines[span.start_line + 1 : span.end_line])
        parts.append(self.lines[span.end_line][: span.end_col])
        return "".join(parts)

    # -- statements --------------------------------------------------------------------------

    def run(self, body: Sequence[cst.BaseStatement]) -> ChunkFacts:
        self.statements(body, guarded=False, nested=False)
        return self.facts

    def statements(self, body: Iterable[cst.BaseStatement], *, guarded: bool, nested: bool) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self.small_statement(small, guarded=guarded, nested=nested)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                if not guarded:
                    self.definition(stmt)
            elif isinstance(stmt, cst.If):
                self.if_statement(stmt, guarded=guarded, nested=nested)
            elif isinstance(stmt, cst.Try):
                self.block(stmt.body, guarded, nested=True)
                for handler in stmt.handlers:
                    self.block(handler.body, guarded, nested=True)
                if stmt.orelse:
                    self.block(stmt.orelse.body, guarded, nested=True)
                if stmt.finalbody:
                    self.block(stmt.finalbody.body, guarded, nested=True)
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                self.block(stmt.body, guarded, nested=True)

    def block(self, suite: cst.BaseSuite, guarded: bool, *, nested: bool) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.statements(suite.body, guarded=guarded, nested=nested)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.small_statement(small, guarded=guarded, nested=nested)

    def if_statement(self, stmt: cst.If, *, guarded: bool, nested: bool) -> None:
        test = stmt.test
        is_type_checking = _dotted(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        is_main = _is_main_check(test)
        self.block(stmt.body, guarded or is_type_checking or is_main, nested=True)
        orelse = stmt.orelse
        if isinstance(orelse, cst.If):
            self.if_statement(orelse, guarded=guarded, nested=True)
        elif isinstance(orelse, cst.Else):
            # ``else`` of a TYPE_CHECKING test runs at import; of a __main__ test it does too.
            self.block(orelse.body, guarded, nested=True)

    def small_statement(
        self, small: cst.BaseSmallStatement, *, guarded: bool, nested: bool
    ) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            imp = self.import_(small, guarded=guarded, nested=nested)
            self.facts.imports.append(imp)
            for name in imp.names:
                if name.name != "*":
                    self.facts.bindings.append(
                        Binding(name.bound, "import", name.span, import_=imp, imported=name)
                    )
        elif guarded:
            return
        elif isinstance(small, cst.Assign):
            value = self.expr(small.value)
            for target in small.targets:
                self.assign_target(target.target, value)
        elif isinstance(small, cst.AnnAssign):
            if isinstance(small.target, cst.Name):
                annotated = self.expr(small.value) if small.value is not None else None
                self.facts.bindings.append(
                    Binding(
                        small.target.value, "annotated", self.span(small.target), value=annotated
                    )
                )
        elif isinstance(small, cst.AugAssign):
            if isinstance(small.target, cst.Name):
                self.facts.bindings.append(
                    Binding(small.target.value, "other", self.span(small.target))
                )
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = self.expr(small.value)
            if isinstance(call, CallExpr):
                self.facts.module_calls.append(ModuleCall(call))

    def assign_target(self, target: cst.BaseAssignTargetExpression, value: Expr) -> None:
        if isinstance(target, cst.Name):
            self.facts.bindings.append(
                Binding(target.value, "assign", self.span(target), value=value)
            )
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.Name):
                    self.facts.bindings.append(Binding(inner.value, "other", self.span(inner)))

    def import_(self, node: cst.Import | cst.ImportFrom, *, guarded: bool, nested: bool) -> Import:
        names: list[ImportedName] = []
        if isinstance(node, cst.Import):
            for alias in node.names:
                names.append(self.imported_name(alias))
            return Import(None, tuple(names), 0, self.span(node), guarded, nested)
        module = _dotted(node.module) if node.module is not None else None
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            star = ImportedName("*", None, self.span(node.names))
            return Import(module, (star,), level, self.span(node), guarded, nested)
        for alias in node.names:
            names.append(self.imported_name(alias))
        return Import(module or None, tuple(names), level, self.span(node), guarded, nested)

    def imported_name(self, alias: cst.ImportAlias) -> ImportedName:
        asname = None
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            asname = alias.asname.name.value
        return ImportedName(_dotted(alias.name) or "", asname, self.span(alias))

    # -- definitions -------------------------------------------------------------------------

    def definition(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        decorators = [
            Decorator(self.expr(d.decorator), self.span(d.decorator)) for d in node.decorators
        ]
        body = self.body(node)
        span = self.span(node)
        if node.decorators:
            # libcst's range of a definition starts at ``def``; the statement starts at its first ``@``.
            first = self.span(node.decorators[0])
            span = Span(first.start_line, first.start_col, span.end_line, span.end_col)
        name_span = self.span(node.name)
        header_end = self.span(node.body)
        header = Span(name_span.start_line, 0, header_end.start_line, header_end.start_col)
        if isinstance(node, cst.FunctionDef):
            definition = Definition(
                name=node.name.value,
                kind="function",
                is_async=node.asynchronous is not None,
                span=span,
                name_span=name_span,
                decorators=decorators,
                params=_param_names(node.params, skip_self=False),
                body=body,
                def_line_span=header,
            )
        else:
            definition = Definition(
                name=node.name.value,
                kind="class",
                is_async=False,
                span=span,
                name_span=name_span,
                decorators=decorators,
                params=(),
                body=body,
                methods=self.methods(node),
                def_line_span=header,
            )
        self.facts.definitions.append(definition)
        kind = "function" if isinstance(node, cst.FunctionDef) else "class"
        self.facts.bindings.append(Binding(node.name.value, kind, name_span))

    def methods(self, node: cst.ClassDef) -> list[Method]:
        found: list[Method] = []
        if not isinstance(node.body, cst.IndentedBlock):
            return found
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                params = _param_names(stmt.params, skip_self=True)
                found.append(
                    Method(
                        stmt.name.value,
                        stmt.asynchronous is not None,
                        params,
                        self.span(stmt.name),
                        _required_params(stmt.params),
                    )
                )
        return found

    def body(self, node: cst.FunctionDef | cst.ClassDef) -> Body:
        body = Body()
        suite = node.body
        if isinstance(suite, cst.SimpleStatementSuite):
            body.inline_body = True
            statements: Sequence[cst.CSTNode] = list(suite.body)
        else:
            assert isinstance(suite, cst.IndentedBlock)
            indent = suite.indent if suite.indent is not None else self.default_indent
            def_col = self.span(node).start_col
            body.indent = " " * def_col + indent
            statements = list(suite.body)
        if statements and _is_docstring(statements[0]):
            body.docstring_end = self.span(statements[0])
            statements = statements[1:]
        if statements:
            body.first_statement = self.span(statements[0])
        if self._bodies is None:
            self._bodies = AstBodies(self.text)
        names = self._bodies.body(node.name.value, self.span(node.name).start_line, set(_BUILTINS))
        if names is not None:
            body.imports, body.calls, body.free_names = names.imports, names.calls, names.free_names
            return body
        collector = _BodyCollector(self)
        if isinstance(node, cst.FunctionDef):
            collector.bind_params(node.params)
        node.body.visit(collector)
        body.imports = collector.imports
        body.calls = collector.calls
        body.free_names = [use for use in collector.uses if use.name not in collector.bound]
        return body

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: cst.BaseExpression) -> Expr:
        span = self.span(node)
        text = self.source(span)
        if isinstance(node, cst.SimpleString):
            return Literal(span, text, node.evaluated_value)
        if isinstance(node, cst.ConcatenatedString):
            value = node.evaluated_value
            if value is None:
                return OtherExpr(span, text)
            return Literal(span, text, value)
        if isinstance(node, (cst.Integer, cst.Float)):
            return Literal(span, text, node.evaluated_value)
        if isinstance(node, cst.UnaryOperation) and isinstance(
            node.expression, (cst.Integer, cst.Float)
        ):
            inner = node.expression.evaluated_value
            if isinstance(node.operator, cst.Minus):
                return Literal(span, text, -inner)
            if isinstance(node.operator, cst.Plus):
                return Literal(span, text, inner)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return Literal(span, text, {"True": True, "False": False, "None": None}[node.value])
            return NameExpr(span, text, node.value)
        if isinstance(node, cst.Attribute):
            dotted = _dotted(node)
            if dotted is not None:
                return NameExpr(span, text, dotted)
            return OtherExpr(span, text)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(node)]
            items: list[Expr] = []
            has_star = False
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    has_star = True
                else:
                    items.append(self.expr(element.value))
            return SequenceExpr(span, text, kind, tuple(items), has_star)
        if isinstance(node, cst.Dict):
            pairs: list[tuple[Expr | None, Expr]] = []
            for entry in node.elements:
                if isinstance(entry, cst.DictElement):
                    pairs.append((self.expr(entry.key), self.expr(entry.value)))
                else:
                    pairs.append((None, self.expr(entry.value)))
            return MappingExpr(span, text, tuple(pairs))
        if isinstance(node, cst.Call):
            return self.call(node, span, text)
        return OtherExpr(span, text)

    def call(self, node: cst.Call, span: Span, text: str) -> CallExpr:
        args: list[Expr] = []
        keywords: list[Keyword] = []
        has_star = False
        for arg in node.args:
            if arg.star == "*":
                has_star = True
            elif arg.star == "**":
                value = self.expr(arg.value)
                keywords.append(Keyword(None, value, self.span(arg), value.span))
            elif arg.keyword is not None:
                value = self.expr(arg.value)
                keywords.append(
                    Keyword(arg.keyword.value, value, self.span(arg), self.span(arg.keyword))
                )
            else:
                args.append(self.expr(arg.value))
        return CallExpr(span, text, self.expr(node.func), tuple(args), tuple(keywords), has_star)


class _BodyCollector(cst.CSTVisitor):
    """Imports, calls, and names a body binds and uses (one flat scope: errs toward binding)."""

    def __init__(self, owner: _ChunkExtractor) -> None:
        self.owner = owner
        self.imports: list[Import] = []
        self.calls: list[CallSite] = []
        self.uses: list[NameUse] = []
        self.bound: set[str] = set(_BUILTINS)
        self._seen_uses: set[str] = set()

    def bind_params(self, params: cst.Parameters) -> None:
        for param in _all_params(params):
            self.bound.add(param.name.value)

    def visit_Import(self, node: cst.Import) -> bool:
        imp = self.owner.import_(node, guarded=False, nested=True)
        self.imports.append(imp)
        self.bound.update(n.bound for n in imp.names)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        imp = self.owner.import_(node, guarded=False, nested=True)
        self.imports.append(imp)
        self.bound.update(n.bound for n in imp.names if n.name != "*")
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        self.bind_params(node.params)
        return True

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return True

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.bind_params(node.params)
        return True

    def visit_Decorator(self, node: cst.Decorator) -> bool:
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        dotted = _dotted(node.func)
        if dotted is not None:
            self.calls.append(CallSite(dotted, self.owner.span(node)))
        return True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        self._bind_target(node.target)
        return True

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        self._bind_target(node.target)
        return True

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self._bind_target(node.target)
        return True

    def visit_For(self, node: cst.For) -> bool:
        self._bind_target(node.target)
        return True

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        self._bind_target(node.target)
        return True

    def visit_AsName(self, node: cst.AsName) -> bool:
        self._bind_target(node.name)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self._bind_target(node.target)
        return True

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False

    def visit_MatchAs(self, node: cst.MatchAs) -> bool:
        if node.name is not None:
            self.bound.add(node.name.value)
        return True

    def visit_Name(self, node: cst.Name) -> bool:
        if node.value not in self._seen_uses:
            self._seen_uses.add(node.value)
            self.uses.append(NameUse(node.value, self.owner.span(node)))
        return False

    def _bind_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.bound.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value)


def _dotted(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _is_main_check(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0].comparator
    left = test.left
    sides = [left, target]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [
        s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"
    ]
    return bool(names) and bool(strings)


def _is_docstring(stmt: cst.CSTNode) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        found.append(params.star_arg)
    if params.star_kwarg is not None:
        found.append(params.star_kwarg)
    return found


def _param_names(params: cst.Parameters, *, skip_self: bool) -> tuple[str, ...]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    if skip_self and names and names[0] in ("self", "cls"):
        names = names[1:]
    return tuple(names)


def _required_params(params: cst.Parameters) -> int:
    positional = [*params.posonly_params, *params.params]
    if positional and positional[0].name.value in ("self", "cls"):
        positional = positional[1:]
    required = sum(1 for p in positional if p.default is None)
    required += sum(1 for p in params.kwonly_params if p.default is None)
    return required
