"""Where the names a module-level import binds are used, read with the stdlib ``ast`` (no libcst).

A move-import fix (FL108, FL301, FL302) says which functions get the import before anything is
edited ("Move `import torch` into infer() and warmup()"), and exists only when no use lies outside
a function. This module answers that when the finding is made; the edits are planned later, with
libcst, by ``flash_ls.fixes.import_edits``, whose ``SourceAnalysis.uses`` asks the same question and
follows the same rules, so that the two agree (the edits are checked against this answer):

- a use is a load (or ``del``) of the name that no scope around it binds: function, lambda and
  comprehension scopes and the class body it is directly in (a method does not see its class's
  names). A binding later in the same scope than the use does not count for it (the enclosing
  scope's binding is looked up instead), ``global``/``nonlocal`` names are looked up outside;
- each use belongs to the outermost ``def`` around it; a use outside any ``def`` (module level, a
  class body, a decorator, a default value, an annotation, a lambda outside functions) has none.
  String annotations are not read.

The file is split into top-level statements and only the statements mentioning a name are parsed,
cached by their text, so re-checking an edited file re-reads only what changed.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flash_ls.parse.extract import SOURCE_NAME
from flash_ls.parse.split import split_statements
from flash_ls.span import Span

_USES_CACHE_SIZE = 32
_CHUNK_CACHE_SIZE = 4096

# Positions while reading one statement: (0-based line, UTF-8 byte column) as ``ast`` gives them.
_Position = tuple[int, int]
_ALWAYS = (-1, -1)  # a binding visible everywhere in its scope (parameters, comprehension targets)
_LINE_BREAK = re.compile(r"\r\n?|\n")
# Nodes with nothing to read below them (a literal's thousands of items are mostly these).
_LEAVES = (ast.Constant, ast.expr_context)


@dataclass(frozen=True, slots=True)
class Site:
    """A ``def`` an import can go into: the outermost function around some uses of a name."""

    name: str
    span: Span  # from ``def`` (or ``async``) to the end of the body; decorators are not included
    insertable: bool = True  # False: a one-line body starting with a docstring has no room for it


@dataclass(frozen=True, slots=True)
class Usage:
    """Where the names bound by one import are used."""

    sites: tuple[tuple[Site, frozenset[str]], ...] = ()  # source order, with the names used there
    outside: tuple[tuple[str, Span], ...] = ()  # uses not inside any ``def``, in source order
    unused: frozenset[str] = frozenset()
    # The top-level statements whose text mentions a name (those read to answer, as libcst reads
    # them for the edits): their characters in all, and how deep the deepest one nests.
    read_chars: int = 0
    depth: int = 0

    def sites_within(self, span: Span) -> tuple[tuple[Site, frozenset[str]], ...]:
        """The sites lying inside ``span`` (a module-level definition)."""
        return tuple((site, names) for site, names in self.sites if within(site.span, span))


def within(inner: Span, outer: Span) -> bool:
    """Whether ``inner`` lies inside ``outer`` (positions, not just lines)."""
    return (outer.start_line, outer.start_col) <= (inner.start_line, inner.start_col) and (
        inner.end_line,
        inner.end_col,
    ) <= (outer.end_line, outer.end_col)


# ---------------------------------------------------------------------------------------------
# One top-level statement


@dataclass(slots=True)
class _Scope:
    kind: str  # "module" | "function" | "lambda" | "class" | "comprehension"
    parent: _Scope | None
    site: Site | None = None  # functions: the ``def`` itself
    bindings: dict[str, list[_Position]] = field(default_factory=dict)  # name -> where bound
    declared: dict[str, str] = field(default_factory=dict)  # name -> "global" | "nonlocal"

    def bind(self, name: str, done: _Position) -> None:
        self.bindings.setdefault(name, []).append(done)


def _visible(scope: _Scope | None) -> _Scope | None:
    """The first scope from ``scope`` up whose names nested functions see (class bodies are not)."""
    while scope is not None and scope.kind == "class":
        scope = scope.parent
    return scope


class _Reader:
    """Scopes, bindings and name loads of one statement; then the loads of module-level names."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE_BREAK.split(text)  # as ``ast`` counts lines
        self.module = _Scope("module", None)
        self.loads: list[tuple[ast.Name, _Scope, _Position]] = []
        # Loads in this scope count as made at this position (a comprehension's element is
        # evaluated after its conditions, though written before them).
        self.late: tuple[_Scope, _Position] | None = None
        # How deep the walk has gone (a chain of ``and``/``or`` counts once per operand, as libcst
        # nests it), and the deepest it went: what the fixes' libcst edits would have to recurse.
        self.level = 0
        self.deepest = 0

    # -- positions -------------------------------------------------------------------------------

    def col(self, line: int, offset: int) -> int:
        """Code-point column of a UTF-8 byte offset on 0-based ``line``."""
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        if text.isascii():
            return offset
        return len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace"))

    def span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = (node.end_lineno or node.lineno) - 1
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno - 1,
            self.col(node.lineno - 1, node.col_offset),
            end_line,
            self.col(end_line, end_col),
        )

    @staticmethod
    def start(node: ast.expr | ast.stmt) -> _Position:
        return (node.lineno - 1, node.col_offset)

    @staticmethod
    def end(node: ast.expr | ast.stmt) -> _Position:
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return ((node.end_lineno or node.lineno) - 1, end_col)

    # -- walking ---------------------------------------------------------------------------------

    def statements(self, body: Iterable[ast.stmt], scope: _Scope) -> None:
        for stmt in body:
            self.node(stmt, scope)

    def nodes(self, nodes: Iterable[ast.AST | None], scope: _Scope) -> None:
        for node in nodes:
            if node is not None:
                self.node(node, scope)

    def node(self, node: ast.AST, scope: _Scope) -> None:
        step = len(node.values) - 1 if isinstance(node, ast.BoolOp) else 1
        self.level += step
        if self.level > self.deepest:
            self.deepest = self.level
        self._node(node, scope)
        self.level -= step

    def _node(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                scope.bind(node.id, _ALWAYS)  # targets are read by ``target``; this is a fallback
            else:
                self.load(node, scope)  # Load and Del both use the name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.class_(node, scope)
        elif isinstance(node, ast.Lambda):
            self.nodes([*node.args.defaults, *node.args.kw_defaults], scope)
            inner = _Scope("lambda", scope)
            self.parameters(node.args, inner)
            self.node(node.body, inner)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self.comprehension(node, scope)
        elif isinstance(node, ast.Assign):
            self.node(node.value, scope)
            for target in node.targets:
                self.target(target, scope, self.end(node))
        elif isinstance(node, ast.AugAssign):
            self.node(node.value, scope)
            self.target(node.target, scope, self.end(node))
        elif isinstance(node, ast.AnnAssign):
            self.nodes([node.annotation, node.value], scope)
            self.target(node.target, scope, self.end(node))
        elif isinstance(node, ast.NamedExpr):
            self.node(node.value, scope)
            self.target(node.target, scope, self.end(node))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.target(node.target, scope, self.end(node.target))
            self.node(node.iter, scope)
            self.statements(node.body, scope)
            self.statements(node.orelse, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.node(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, scope, self.end(item.optional_vars))
            self.statements(node.body, scope)
        elif isinstance(node, ast.ExceptHandler):
            if node.type is not None:
                self.node(node.type, scope)
                if node.name:
                    scope.bind(node.name, self.end(node.type))
            self.statements(node.body, scope)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    bound = alias.asname or alias.name.split(".", 1)[0]
                    scope.bind(bound, self.end(node))
        elif isinstance(node, ast.Global):
            scope.declared.update(dict.fromkeys(node.names, "global"))
        elif isinstance(node, ast.Nonlocal):
            scope.declared.update(dict.fromkeys(node.names, "nonlocal"))
        elif isinstance(node, ast.Constant):
            return  # string annotations are not read
        else:
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, _LEAVES):
                    self.node(child, scope)

    def load(self, node: ast.Name, scope: _Scope) -> None:
        late = self.late
        at = late[1] if late is not None and late[0] is scope else self.start(node)
        self.loads.append((node, scope, at))

    def target(self, node: ast.AST, scope: _Scope, done: _Position) -> None:
        """An assignment target: names are bound (from ``done`` on), the rest is read."""
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                scope.bind(node.id, done)
            else:
                self.load(node, scope)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element, scope, done)
        elif isinstance(node, ast.Starred):
            self.target(node.value, scope, done)
        else:
            self.node(node, scope)  # ``a.b = ...`` / ``a[i] = ...`` read ``a`` (and ``i``)

    def parameters(self, args: ast.arguments, scope: _Scope) -> None:
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                scope.bind(arg.arg, _ALWAYS)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope) -> None:
        # Decorators, defaults, annotations and the return annotation run where the def is.
        args = node.args
        outer: list[ast.AST | None] = [*node.decorator_list, *args.defaults, *args.kw_defaults]
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                outer.append(arg.annotation)
        outer.append(node.returns)
        self.nodes(outer, scope)
        scope.bind(node.name, self.end(node))
        site = Site(node.name, self.span(node), self.insertable(node))
        inner = _Scope("function", scope, site)
        self.parameters(args, inner)
        self.statements(node.body, inner)

    def insertable(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """False for ``def f(): "doc"; ...``: a one-line body that starts with a docstring."""
        first = node.body[0]
        line = self.lines[first.lineno - 1] if first.lineno - 1 < len(self.lines) else ""
        inline = bool(line.encode("utf-8", "surrogatepass")[: first.col_offset].strip())
        docstring = (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, (str, bytes))
        )
        return not (inline and docstring)

    def class_(self, node: ast.ClassDef, scope: _Scope) -> None:
        self.nodes([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)], scope)
        scope.bind(node.name, self.end(node))
        self.statements(node.body, _Scope("class", scope))

    def comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, scope: _Scope
    ) -> None:
        # The first iterable is evaluated outside; every target is seen by the whole comprehension.
        self.node(node.generators[0].iter, scope)
        inner = _Scope("comprehension", scope)
        for generator in node.generators:
            self.target(generator.target, inner, _ALWAYS)
        for index, generator in enumerate(node.generators):
            if index:
                self.node(generator.iter, inner)
            self.nodes(generator.ifs, inner)
        outer_late, self.late = self.late, (inner, self.end(node))
        if isinstance(node, ast.DictComp):
            self.nodes([node.key, node.value], inner)
        else:
            self.node(node.elt, inner)
        self.late = outer_late

    # -- resolving -------------------------------------------------------------------------------

    def global_loads(self) -> Iterator[tuple[str, Span, Site | None]]:
        """Loads that no enclosing scope binds, with the outermost ``def`` around each."""
        for name, scope, at in self.loads:
            if self.is_global(name.id, scope, at):
                yield name.id, self.span(name), _outermost_def(scope)

    def is_global(self, name: str, scope: _Scope, at: _Position) -> bool:
        if scope.kind == "module":
            return True
        if name in scope.declared:
            return _resolves_globally(name, scope)
        bound = scope.bindings.get(name)
        if bound is None:
            return _resolves_globally(name, _visible(scope.parent))
        if any(done <= at for done in bound):
            return False
        # Bound only after this use: the enclosing scope's binding is what the use sees.
        return _resolves_globally(name, scope.parent)


def _resolves_globally(name: str, scope: _Scope | None) -> bool:
    """Whether looking ``name`` up from ``scope`` outwards ends at module level (or nowhere)."""
    while scope is not None and scope.kind != "module":
        declared = scope.declared.get(name)
        if declared == "global":
            return True
        if declared == "nonlocal":
            scope = _visible(scope.parent)
            continue
        if name in scope.bindings:
            return False
        scope = _visible(scope.parent)
    return True


def _outermost_def(scope: _Scope) -> Site | None:
    """The outermost ``def`` around a scope; None at module or class level, or in a lambda only."""
    outermost: _Scope | None = None
    current: _Scope | None = scope
    while current is not None:
        if current.kind in ("function", "lambda"):
            outermost = current
        current = current.parent
    return outermost.site if outermost is not None else None


_Loads = tuple[tuple[str, Span, Site | None], ...]


@functools.lru_cache(maxsize=_CHUNK_CACHE_SIZE)
def _chunk_loads(text: str) -> tuple[_Loads, int] | None:
    """The loads of module-level names in one statement (positions relative to it) and how deep
    the statement nests; None when it does not parse."""
    try:
        module = ast.parse(text, SOURCE_NAME)
        reader = _Reader(text)
        reader.statements(module.body, reader.module)
        return tuple(reader.global_loads()), reader.deepest
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# ---------------------------------------------------------------------------------------------
# A file


class FileUses:
    """A file's top-level statements, read when a question concerns them."""

    def __init__(self, text: str) -> None:
        self._pieces = [(c.start_line, c.text) for c in split_statements(text)[0]]

    def uses(self, names: Iterable[str]) -> Usage | None:
        """Where each of ``names`` (bound by a module-level import) is used in the file.

        None when a statement mentioning a name does not parse.
        """
        wanted = set(names)
        unused = set(wanted)
        outside: list[tuple[str, Span]] = []
        by_site: dict[Site, set[str]] = {}
        read_chars = depth = 0
        for start, text in self._pieces:
            if not any(name in text for name in wanted):
                continue
            read = _chunk_loads(text)
            if read is None:
                return None
            loads, deepest = read
            read_chars += len(text)
            depth = max(depth, deepest)
            for name, span, site in loads:
                if name not in wanted:
                    continue
                unused.discard(name)
                if site is None:
                    outside.append((name, span.shifted(start)))
                    continue
                if start:
                    site = Site(site.name, site.span.shifted(start), site.insertable)
                by_site.setdefault(site, set()).add(name)
        sites = sorted(by_site.items(), key=lambda item: (item[0].span, item[0].name))
        return Usage(
            sites=tuple((site, frozenset(used)) for site, used in sites),
            outside=tuple(sorted(outside, key=lambda item: item[1])),
            unused=frozenset(unused),
            read_chars=read_chars,
            depth=depth,
        )


@functools.lru_cache(maxsize=_USES_CACHE_SIZE)
def file_uses(text: str) -> FileUses:
    """The uses reader of ``text`` (statements are parsed lazily, when a question needs them)."""
    return FileUses(text)
