"""Facts of one top-level statement chunk, read with the stdlib ``ast`` (positions chunk-relative).

One ``ast.parse`` per chunk serves everything. Full facts (files that may declare endpoints) add
the module-level definitions with their decorators, parameters, methods and bodies; light facts
are the subset of module-level imports, bindings and bare calls.

``ast`` and the facts disagree on a few conventions, reconciled here:

- columns: ``ast`` counts UTF-8 bytes, facts count code points (converted only on non-ASCII lines);
- lines: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (``str.splitlines`` also breaks on ``\\f``...);
- a tuple's own parentheses and a generator's are not part of the expression's span (as for any
  other parenthesised expression);
- a definition's span starts at its first ``@``; its name, which ``ast`` does not locate, is found
  in the text after ``def``/``class``;
- a compound statement ends where its last statement ends (``ast`` counts a trailing ``;``).
"""

from __future__ import annotations

import ast
import builtins
import logging
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

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
from flash_ls.parse.split import split_lines
from flash_ls.span import Span

log = logging.getLogger(__name__)

SOURCE_NAME = "<flash-ls>"
"""The file name user code is parsed under: warnings about it (invalid escape sequences, ``is``
with a literal) are the user's linters' business, so they are ignored by that name, with one
filter installed here (``warnings.catch_warnings`` around each parse is not thread-safe)."""
warnings.filterwarnings("ignore", module=re.escape(SOURCE_NAME) + r"\Z")

__all__ = ["ChunkFacts", "extract_chunk", "extract_full", "extract_light"]

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__class__"}
_BOM = "\ufeff"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# ``try``/``except*`` (Python 3.11+) has the fields of ``try``.
_TRY: tuple[type[ast.stmt], ...] = tuple(
    getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name)
)
_BLOCKS = (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)
_ENDS_WITH_ORELSE = frozenset({ast.If, ast.For, ast.AsyncFor, ast.While})
_ENDS_WITH_BODY = frozenset({*_DEFINITIONS, ast.With, ast.AsyncWith})
_TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")


@dataclass(slots=True)
class ChunkFacts:
    imports: list[Import] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    module_calls: list[ModuleCall] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)


def extract_full(text: str, line: int = 0) -> ChunkFacts:
    """Every fact of one chunk: imports, bindings, bare calls and definitions with their bodies."""
    return extract_chunk(text, line, full=True)


def extract_light(text: str, line: int = 0) -> ChunkFacts:
    """Module-level imports, bindings and bare calls of one chunk (no definitions)."""
    return extract_chunk(text, line, full=False)


def extract_chunk(text: str, line: int = 0, *, full: bool = True) -> ChunkFacts:
    """Parse one top-level statement chunk that starts on (0-based) ``line`` of its file.

    A statement that does not parse is a ``SyntaxProblem``; nothing raises.
    """
    bom = text.startswith(_BOM)  # decoded without ``utf-8-sig``: Python skips it, so do we
    try:
        module = ast.parse(text[1:] if bom else text, SOURCE_NAME)
    except SyntaxError as err:
        row = max((err.lineno or 1) - 1, 0)
        col = max((err.offset or 1) - 1, 0) + (1 if bom and row == 0 else 0)
        at = _error_span(text, line, row, col)
        return ChunkFacts(syntax_errors=[SyntaxProblem(at, err.msg or "invalid syntax")])
    except (RecursionError, MemoryError, ValueError) as err:
        return _cannot_parse(f"cannot parse: {str(err) or type(err).__name__}", text, line)
    try:
        return _Extractor(text, line, full=full, bom=bom).run(module.body)
    except RecursionError:  # parsed, but nested deeper than Python's stack allows to walk
        return _cannot_parse("cannot parse: too deeply nested", text, line)
    except Exception:  # a flash-ls bug must cost this statement, not the whole check
        log.exception("cannot analyse the statement at line %d", line + 1)
        return _cannot_parse("flash-ls could not analyse this statement (see its log)", text, line)


def _error_span(text: str, line: int, row: int, col: int) -> Span:
    """One character at CPython's error position, kept inside the chunk's text: CPython may put
    it just past a line's end (``expected an indented block``: an empty range there) or on the
    line after the last one (the end of the input: the end of the last line)."""
    lines = split_lines(text)
    if not lines:
        return Span(line, 0, line, 0)
    if row >= len(lines):
        row, col = len(lines) - 1, len(lines[-1])
    size = len(lines[row].rstrip("\r\n"))
    col = min(col, size)
    return Span(line + row, col, line + row, min(col + 1, size))


def _cannot_parse(message: str, text: str, line: int) -> ChunkFacts:
    """The problem of a statement that does not parse at all: on its first character."""
    lines = split_lines(text)
    row = next((i for i, part in enumerate(lines) if part.strip()), 0)
    first = lines[row] if lines else ""
    col = len(first) - len(first.lstrip())
    end = min(col + 1, len(first.rstrip("\r\n")))
    return ChunkFacts(
        syntax_errors=[SyntaxProblem(Span(line + row, col, line + row, end), message)]
    )


class _Extractor:
    """Positions are chunk-relative inside (``ast`` lines - 1, code-point columns); the spans
    of facts are moved down by ``base``, the chunk's first line in its file."""

    def __init__(self, text: str, base: int, *, full: bool, bom: bool) -> None:
        self.lines = split_lines(text)
        self.base = base
        self.full = full
        self.ascii = text.isascii()
        self.bom = bom
        self._encoded: dict[int, bytes] = {}
        self.facts = ChunkFacts()

    def run(self, body: list[ast.stmt]) -> ChunkFacts:
        self.statements(body, guarded=False, nested=False)
        return self.facts

    # -- positions: ``ast`` columns are UTF-8 byte offsets, facts count code points --------------

    def col(self, line: int, offset: int) -> int:
        """Code-point column of the byte ``offset`` on 0-based ``line``."""
        if self.ascii or line >= len(self.lines):
            return offset
        text = self.lines[line]
        if text.isascii():
            return offset
        skip = 1 if self.bom and line == 0 else 0  # ``ast`` did not see the BOM
        data = self._encoded.get(line)
        if data is None:
            data = text[skip:].encode("utf-8", "surrogatepass")
            self._encoded[line] = data
        return skip + len(data[:offset].decode("utf-8", "replace"))

    def start(self, node: Any) -> tuple[int, int]:
        line = node.lineno - 1
        return line, self.col(line, node.col_offset)

    def end(self, node: Any) -> tuple[int, int]:
        line = node.end_lineno - 1
        return line, self.col(line, node.end_col_offset)

    def span(self, node: Any) -> Span:
        base = self.base
        if self.ascii:
            start, end = node.lineno - 1, node.end_lineno - 1
            return Span(start + base, node.col_offset, end + base, node.end_col_offset)
        start, end = node.lineno - 1, node.end_lineno - 1
        start_col, end_col = self.col(start, node.col_offset), self.col(end, node.end_col_offset)
        return Span(start + base, start_col, end + base, end_col)

    def at(self, line: int, col: int, end_line: int, end_col: int) -> Span:
        """The fact span of a chunk-relative range."""
        return Span(line + self.base, col, end_line + self.base, end_col)

    def source(self, span: Span) -> str:
        lines = self.lines
        start, end = span.start_line - self.base, span.end_line - self.base
        if start == end:
            return lines[start][span.start_col : span.end_col]
        parts = [lines[start][span.start_col :]]
        parts.extend(lines[start + 1 : end])
        parts.append(lines[end][: span.end_col])
        return "".join(parts)

    def statement_end(self, stmt: ast.stmt) -> tuple[int, int]:
        """Where a statement ends: a compound one ends with its last statement (not a ``;``)."""
        while True:
            kind = stmt.__class__
            if kind in _ENDS_WITH_ORELSE:
                stmt = (stmt.orelse or stmt.body)[-1]  # type: ignore[attr-defined]
            elif kind in _ENDS_WITH_BODY:
                stmt = stmt.body[-1]  # type: ignore[attr-defined]
            elif kind in _TRY:
                block = cast(ast.Try, stmt)  # or ``try``/``except*`` (Python 3.11+), alike
                handlers = block.handlers
                last = block.finalbody or block.orelse or (handlers and handlers[-1].body)
                stmt = (last or block.body)[-1]
            elif kind is ast.Match:
                stmt = stmt.cases[-1].body[-1]  # type: ignore[attr-defined]
            else:
                return self.end(stmt)

    # -- scanning the text between nodes (whitespace, comments, line continuations) -------------

    def skip_space(self, line: int, col: int) -> tuple[int, int]:
        """The first position at or after (line, col) that is not whitespace, a comment or a
        line end (callers are between brackets or inside one logical line)."""
        lines = self.lines
        while line < len(lines):
            text = lines[line]
            size = len(text)
            while col < size and text[col] in " \t\f":
                col += 1
            if col < size:
                char = text[col]
                if char not in "#\r\n" and (char != "\\" or text[col + 1 : col + 2] not in _ENDS):
                    return line, col
            line, col = line + 1, 0
        return line, col

    def last_closing(self, line: int, col: int, stop: tuple[int, int]) -> tuple[int, int]:
        """The end of the last ``)`` or ``,`` from (line, col) up to ``stop`` (else (line, col))."""
        found = (line, col)
        while (line, col) < stop:
            line, col = self.skip_space(line, col)
            if (line, col) >= stop:
                break
            if self.lines[line][col] in "),":
                found = (line, col + 1)
            col += 1
        return found

    def word_end(self, line: int, col: int) -> int:
        """The end of the identifier starting at (line, col), as written (not NFKC-normalised)."""
        text = self.lines[line]
        if text.isascii():
            found = _ASCII_WORD.match(text, col)
            return found.end() if found else col
        end = col
        while end < len(text):
            char = text[end]
            if char.isascii():
                if not (char.isalnum() or char == "_"):
                    break
            elif not ("a" + char).isidentifier():
                break
            end += 1
        return end

    # -- statements --------------------------------------------------------------------------

    def statements(self, body: list[ast.stmt], *, guarded: bool, nested: bool) -> None:
        facts = self.facts
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.import_(stmt, guarded=guarded, nested=nested)
            elif isinstance(stmt, _DEFINITIONS):
                if self.full and not guarded:
                    self.definition(stmt)
            elif isinstance(stmt, ast.If):
                test = stmt.test
                special = _dotted(test) in _TYPE_CHECKING or _is_main_check(test)
                self.statements(stmt.body, guarded=guarded or special, nested=True)
                # ``elif`` is an If in ``orelse``; ``else`` runs at import either way.
                self.statements(stmt.orelse, guarded=guarded, nested=True)
            elif isinstance(stmt, _TRY):
                stmt = cast(ast.Try, stmt)  # or ``try``/``except*`` (Python 3.11+), alike
                self.statements(stmt.body, guarded=guarded, nested=True)
                for handler in stmt.handlers:
                    self.statements(handler.body, guarded=guarded, nested=True)
                self.statements(stmt.orelse, guarded=guarded, nested=True)
                self.statements(stmt.finalbody, guarded=guarded, nested=True)
            elif isinstance(stmt, _BLOCKS):
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
                    facts.bindings.append(
                        Binding(
                            stmt.target.id, "annotated", self.span(stmt.target), value=annotated
                        )
                    )
            elif isinstance(stmt, ast.AugAssign):
                if isinstance(stmt.target, ast.Name):
                    facts.bindings.append(Binding(stmt.target.id, "other", self.span(stmt.target)))
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = self.expr(stmt.value)
                if isinstance(call, CallExpr):
                    facts.module_calls.append(ModuleCall(call))

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

    # -- definitions -------------------------------------------------------------------------

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        decorators = [self.decorator(item) for item in node.decorator_list]
        start_line, start_col = self.start(node)
        if node.decorator_list:
            start_line, start_col = self.at_sign(node.decorator_list[0])
        end_line, end_col = self.statement_end(node)
        name_line, name_col, name_end = self.name_position(node)
        name_span = self.at(name_line, name_col, name_line, name_end)
        block_line, block_col = self.start(node.body[0])
        definition = Definition(
            name=node.name,
            kind="class" if isinstance(node, ast.ClassDef) else "function",
            is_async=isinstance(node, ast.AsyncFunctionDef),
            span=self.at(start_line, start_col, end_line, end_col),
            name_span=name_span,
            decorators=decorators,
            params=() if isinstance(node, ast.ClassDef) else _param_names(node.args),
            body=self.body(node, (name_line, name_end)),
            methods=self.methods(node) if isinstance(node, ast.ClassDef) else [],
            # From column 0 of the name's line to the body, as code lenses show it.
            def_line_span=self.at(name_line, 0, block_line, block_col),
        )
        self.facts.definitions.append(definition)
        self.facts.bindings.append(Binding(node.name, definition.kind, name_span))

    def decorator(self, item: ast.expr) -> Decorator:
        expr = self.expr(item)
        return Decorator(expr, expr.span)

    def at_sign(self, decorator: ast.expr) -> tuple[int, int]:
        """Where ``@`` is: the line that starts with it, at or above the decorator's expression."""
        line, _ = self.start(decorator)
        for number in range(line, -1, -1):
            text = self.lines[number]
            stripped = text.lstrip(" \t\f\ufeff")
            if stripped.startswith("@"):
                return number, len(text) - len(stripped)
        return self.start(decorator)

    def name_position(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> tuple[int, int, int]:
        """The line, column and end column of the name after ``def``/``async def``/``class``
        (``ast`` does not locate it)."""
        line, col = self.start(node)
        keywords: tuple[str, ...] = ("class",) if isinstance(node, ast.ClassDef) else ("def",)
        if isinstance(node, ast.AsyncFunctionDef):
            keywords = ("async", "def")
        for keyword in keywords:
            if not self.lines[line].startswith(keyword, col):
                break
            line, col = self.skip_space(line, col + len(keyword))
        if line >= len(self.lines):  # pragma: no cover - a parsed definition has a name
            line, col = self.start(node)
            return line, col, col
        return line, col, self.word_end(line, col)

    def methods(self, node: ast.ClassDef) -> list[Method]:
        found: list[Method] = []
        for stmt in node.body:
            if isinstance(stmt, _FUNCTIONS):
                names = _param_names(stmt.args)
                if names and names[0] in ("self", "cls"):
                    names = names[1:]
                line, col, end = self.name_position(stmt)
                found.append(
                    Method(
                        stmt.name,
                        isinstance(stmt, ast.AsyncFunctionDef),
                        names,
                        self.at(line, col, line, end),
                        _required_params(stmt.args),
                        tuple(self.decorator(item) for item in stmt.decorator_list),
                    )
                )
        return found

    def body(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
        name_end: tuple[int, int],
    ) -> Body:
        body = Body()
        statements = node.body
        if self.inline(node, name_end):
            # ``def f(): a; b``: the statements of the line (never a docstring).
            body.inline_body = True
            body.first_statement = self.span(statements[0])
        else:
            line = self.lines[statements[0].lineno - 1]
            body.indent = line[: len(line) - len(line.lstrip(" \t\f"))]
            first = self.logical_line(statements, 0)
            if first == 1 and self.is_docstring(statements[0]):
                body.docstring_end = self.line_span(statements, 0, 1)
                if len(statements) > 1:
                    body.first_statement = self.line_span(
                        statements, 1, self.logical_line(statements, 1)
                    )
            else:
                body.first_statement = self.line_span(statements, 0, first)
        self.body_names(node, body)
        return body

    def inline(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
        name_end: tuple[int, int],
    ) -> bool:
        """Whether the body follows the header's ``:`` on the same logical line."""
        body_line, body_col = self.start(node.body[0])
        if self.lines[body_line][:body_col].strip(" \t\f"):
            return True  # after the ``:`` on its line
        if body_line == 0 or not self.lines[body_line - 1].rstrip("\r\n").endswith("\\"):
            return False  # first on a new logical line: an indented block
        # After a ``\`` line (in a comment?): find the header's ``:``, after its last part,
        # past brackets, commas and ``*``/``/`` separators.
        last: Any = None
        if isinstance(node, ast.ClassDef):
            parts: list[Any] = [*node.bases, *node.keywords]
        else:
            args = node.args
            parts = [*args.posonlyargs, *args.args, *args.kwonlyargs, *args.defaults]
            parts.extend(d for d in args.kw_defaults if d is not None)
            parts.extend(a for a in (args.vararg, args.kwarg, node.returns) if a is not None)
        for part in parts:
            if last is None or (part.end_lineno, part.end_col_offset) > (
                last.end_lineno,
                last.end_col_offset,
            ):
                last = part
        line, col = name_end if last is None else self.end(last)
        while line < len(self.lines):
            line, col = self.skip_space(line, col)
            if line >= len(self.lines) or self.lines[line][col] == ":":
                break
            col += 1
        return self.joined(line, col + 1, body_line, body_col)

    def joined(self, line: int, col: int, to_line: int, to_col: int) -> bool:
        """Whether nothing but spaces, ``;`` and line continuations separates the two positions
        (they are on one logical line)."""
        lines = self.lines
        while line < to_line:
            rest = lines[line][col:].rstrip("\r\n")
            if "#" in rest or not rest.endswith("\\"):
                return False
            line, col = line + 1, 0
        return "#" not in lines[line][col:to_col]

    def is_docstring(self, stmt: ast.stmt) -> bool:
        """A string statement (implicitly concatenated ones too, a lone f-string not)."""
        if not isinstance(stmt, ast.Expr):
            return False
        value = stmt.value
        if isinstance(value, ast.Constant):
            return isinstance(value.value, (str, bytes))
        if not isinstance(value, ast.JoinedStr):
            return False
        text = self.source(self.span(value))
        return _string_end(text) < len(text)

    def logical_line(self, statements: list[ast.stmt], index: int) -> int:
        """The index after the last statement sharing the logical line of ``statements[index]``."""
        end = index + 1
        while end < len(statements):
            before, after = self.end(statements[end - 1]), self.start(statements[end])
            if not self.joined(*before, *after):
                break
            end += 1
        return end

    def line_span(self, statements: list[ast.stmt], first: int, end: int) -> Span:
        line, col = self.start(statements[first])
        return self.at(line, col, *self.statement_end(statements[end - 1]))

    # -- bodies: imports, calls and names (one flat scope, erring toward binding) -------------

    def body_names(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, body: Body
    ) -> None:
        """Imports, dotted calls and free names of a body, in one walk over its nodes.

        Every node of every body is visited, so the loop avoids per-node calls: the fields that
        can hold nodes come from a table per class, and nodes only need special handling when
        they bind names, import or call. The visiting order does not matter (results are sorted).
        """
        bound = set(_BUILTINS)
        if not isinstance(node, ast.ClassDef):
            _bind_arguments(node.args, bound)
        imports = body.imports
        calls: list[tuple[Any, str]] = []
        uses: list[Any] = []
        stack: list[Any] = list(node.body)
        pop, push, push_all = stack.pop, stack.append, stack.extend
        use, action_of, fields_of = uses.append, _ACTIONS.get, _NODE_FIELDS.get
        name_class = ast.Name
        while stack:
            item = pop()
            kind = item.__class__
            if kind is name_class:
                use(item)
                continue
            action = action_of(kind)
            if action is not None:
                if action == _CALL:
                    dotted = _dotted(item.func)
                    if dotted is not None:
                        calls.append((item, dotted))
                elif action == _LEAF:
                    continue
                elif action == _IMPORT:
                    imp = self.import_fact(item, guarded=False, nested=True)
                    imports.append(imp)
                    bound.update(n.bound for n in imp.names if n.name != "*")
                    continue
                elif action == _ASSIGN:
                    for target in item.targets:
                        _bind_target(target, bound)
                elif action == _TARGET:
                    _bind_target(item.target, bound)
                elif action == _FUNCTION:
                    bound.add(item.name)
                    _bind_arguments(item.args, bound)
                elif action == _LAMBDA:
                    _bind_arguments(item.args, bound)
                elif action == _WITH:
                    if item.optional_vars is not None:
                        _bind_target(item.optional_vars, bound)
                elif action == _NAMED:
                    if item.name:
                        bound.add(item.name)
                elif item.rest:  # _REST: ``case {**rest}``
                    bound.add(item.rest)
            fields = fields_of(kind)
            if fields is None:
                fields = _node_fields(kind)
            for field_name in fields:
                value = getattr(item, field_name)
                if value.__class__ is list:
                    push_all(value)
                elif value is not None:
                    push(value)
        imports.sort(key=_import_order)
        span = self.span
        free = [item for item in uses if item.id not in bound]
        free.sort(key=_use_order)
        seen: set[str] = set()
        for item in free:
            if item.id not in seen:
                seen.add(item.id)
                body.free_names.append(NameUse(item.id, span(item)))
        calls.sort(key=_call_order)
        body.calls = [CallSite(dotted, span(call)) for call, dotted in calls]

    # -- expressions ---------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Expr:
        if isinstance(node, (ast.Tuple, ast.GeneratorExp)):
            span = self.unparenthesised(node)
        else:
            span = self.span(node)
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

    def unparenthesised(self, node: ast.Tuple | ast.GeneratorExp) -> Span:
        """A tuple's or generator's span without its own parentheses (``ast`` includes them)."""
        start, end = self.start(node), self.end(node)
        if isinstance(node, ast.Tuple):
            if not self.lines[start[0]].startswith("(", start[1]):
                return self.span(node)
            if node.elts and not self.own_parenthesis(node.elts[0], start):
                return self.span(node)
            last: Any = node.elts[-1] if node.elts else None
        else:
            generator = node.generators[-1]
            last = generator.ifs[-1] if generator.ifs else generator.iter
        first = self.skip_space(start[0], start[1] + 1)
        if last is None:  # ``( )``: empty, where the ``)`` is
            return self.at(*first, *first)
        closing = (end[0], end[1] - 1)
        return self.at(*first, *self.last_closing(*self.end(last), closing))

    def own_parenthesis(self, first: ast.expr, start: tuple[int, int]) -> bool:
        """Whether the ``(`` at ``start`` is the tuple's: the first element (maybe parenthesised
        itself) does not close every ``(`` in front of it."""
        opened = 0
        line, col = start
        target = self.start(first)
        while (line, col) < target:
            line, col = self.skip_space(line, col)
            if (line, col) >= target:
                break
            opened += self.lines[line][col] == "("
            col += 1
        line, col = self.end(first)
        while opened:
            line, col = self.skip_space(line, col)
            if line >= len(self.lines) or self.lines[line][col] != ")":
                break
            opened -= 1
            col += 1
        return opened > 0

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
                continue
            line, col = kw_span.start_line, kw_span.start_col
            end = col + len(kw.arg) if self.ascii else self.word_end(line - self.base, col)
            keywords.append(Keyword(kw.arg, value, kw_span, Span(line, col, line, end)))
        return CallExpr(span, text, self.expr(node.func), tuple(args), tuple(keywords), has_star)


_ENDS = ("\n", "\r", "")
_ASCII_WORD = re.compile(r"\w+", re.ASCII)
# What the body walker does with a node besides visiting its children (``_LEAF``: nothing).
_CALL, _LEAF, _IMPORT, _ASSIGN, _TARGET, _FUNCTION, _LAMBDA, _WITH, _NAMED, _REST = range(10)
_ACTIONS: dict[type, int] = {
    ast.Call: _CALL,
    ast.Constant: _LEAF,
    ast.Global: _LEAF,
    ast.Nonlocal: _LEAF,
    ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT,
    ast.Assign: _ASSIGN,
    ast.AnnAssign: _TARGET,
    ast.AugAssign: _TARGET,
    ast.For: _TARGET,
    ast.AsyncFor: _TARGET,
    ast.comprehension: _TARGET,
    ast.NamedExpr: _TARGET,
    ast.FunctionDef: _FUNCTION,
    ast.AsyncFunctionDef: _FUNCTION,
    ast.ClassDef: _NAMED,
    ast.Lambda: _LAMBDA,
    ast.withitem: _WITH,
    ast.ExceptHandler: _NAMED,
    ast.MatchAs: _NAMED,
    ast.MatchStar: _NAMED,
    ast.MatchMapping: _REST,
}
# Fields that never hold a node worth visiting: names, numbers, contexts, operators.
_SCALAR_FIELDS = frozenset(
    {
        *("id", "attr", "arg", "name", "names", "asname", "module", "rest", "kwd_attrs"),
        *("ctx", "op", "ops", "kind", "tag", "level", "simple", "is_async", "conversion"),
        "type_comment",
    }
)
# Per node class, the fields that may hold a node or a list of nodes (``None`` in lists too).
_NODE_FIELDS: dict[type, tuple[str, ...]] = {type(None): ()}


def _node_fields(kind: type) -> tuple[str, ...]:
    fields = tuple(f for f in getattr(kind, "_fields", ()) if f not in _SCALAR_FIELDS)
    _NODE_FIELDS[kind] = fields
    return fields


def _import_order(imp: Import) -> tuple[int, int]:
    return (imp.span.start_line, imp.span.start_col)


def _call_order(item: tuple[Any, str]) -> tuple[int, int, int, int]:
    call = item[0]
    return (call.lineno, call.col_offset, -call.end_lineno, -call.end_col_offset)


def _use_order(name: ast.Name) -> tuple[int, int]:
    return (name.lineno, name.col_offset)


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


def _param_names(args: ast.arguments) -> tuple[str, ...]:
    return tuple(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))


def _required_params(args: ast.arguments) -> int:
    """Parameters without a default, ``self``/``cls`` excluded (for ``__init__``)."""
    positional = [*args.posonlyargs, *args.args]
    with_default = len(positional) - len(args.defaults)
    first = 1 if positional and positional[0].arg in ("self", "cls") else 0
    required = max(with_default - first, 0)
    return required + sum(1 for default in args.kw_defaults if default is None)


def _dotted(node: ast.AST) -> str | None:
    if node.__class__ is ast.Name:
        return node.id
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_main_check(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(strings)


_PREFIX = re.compile(r"[A-Za-z]*")


def _string_end(text: str) -> int:
    """The end of the first string literal of ``text`` (which starts with one)."""
    start = _PREFIX.match(text).end()  # type: ignore[union-attr]
    quote = text[start : start + 3]
    if quote not in ('"""', "'''"):
        quote = text[start]
    at = start + len(quote)
    while at < len(text):
        if text[at] == "\\":
            at += 2
        elif text.startswith(quote, at):
            return at + len(quote)
        else:
            at += 1
    return len(text)
