"""Edits of the import fixes (FL108, FL301, FL302), made with libcst to keep the file as written.

Imported only when a fix's edits are wanted (``flash_ls.fixes.moves`` plans the fixes without it).

- ``analyze(text)`` answers where the names an import binds are used: inside which ``def`` (the
  outermost function around the use) or outside any function (module level, class bodies,
  decorators, default values, annotations, lambdas). It parses the file one top-level statement
  at a time, only the statements that mention the names, cached by statement text.
  ``flash_ls.fixes.uses`` answers the same question with the stdlib ``ast``, by the same rules.
- ``insert_import`` puts an import statement at the top of a function body: after the docstring
  and after imports already there, with the body's indentation. A one-line body
  (``def f(): return x``) is turned into a block.
- ``remove_import_names`` removes some or all names of a module-level import: ``import a, b`` keeps
  ``b`` when only ``a`` goes; a statement that is the last one of its block becomes ``pass``;
  ``import a; import b`` keeps the other statement.
- ``move_import`` combines both; ``copy_import`` only inserts.

Every function returns ``None`` when it cannot produce an edit that is certainly right; the fix
then has no edits. Positions are ``Span``s (0-based lines ended by ``\\n``, ``\\r\\n`` or ``\\r``,
code-point columns).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    BuiltinScope,
    FunctionScope,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)

from flash_ls.diagnostic import TextEdit
from flash_ls.fixes.moves import import_statements
from flash_ls.parse.facts import Import, ImportedName
from flash_ls.parse.split import split_statements
from flash_ls.platform import is_stdlib
from flash_ls.span import Span
from flash_ls.suppression import DIRECTIVE_PREFIX

_ANALYSIS_CACHE_SIZE = 32
_CHUNK_CACHE_SIZE = 4096
_LINE_END = re.compile(r"\r\n|\r|\n")


# ---------------------------------------------------------------------------------------------
# Analysis: where the names an import binds are used


@dataclass(frozen=True, eq=False, slots=True)
class FunctionSite:
    """A ``def`` an import can be moved into: the outermost function around some uses of a name."""

    node: cst.FunctionDef
    name: str
    span: Span  # the whole statement, decorators included


@dataclass(slots=True)
class NameUses:
    """Where the names bound by one import are used."""

    sites: list[tuple[FunctionSite, set[str]]] = field(default_factory=list)  # source order
    outside: list[tuple[str, Span]] = field(default_factory=list)  # not inside any def
    unused: set[str] = field(default_factory=set)

    def sites_within(self, span: Span) -> list[tuple[FunctionSite, set[str]]]:
        """The sites lying inside ``span`` (a module-level definition)."""
        return [(site, names) for site, names in self.sites if _within(site.span, span)]


class _Chunk:
    """One top-level statement parsed by libcst (positions relative to the statement)."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._wrapper = wrapper
        self.positions = wrapper.resolve(PositionProvider)
        scopes = wrapper.resolve(ScopeProvider)
        self.imports: dict[Span, cst.Import | cst.ImportFrom] = {}
        for node in self.positions:
            if isinstance(node, (cst.Import, cst.ImportFrom)) and isinstance(
                scopes.get(node), GlobalScope
            ):
                self.imports[self.span(node)] = node
        # Loads of names no function around them binds: uses of module-level names (a builtin
        # too: a module-level import may shadow it), with the outermost ``def`` around each
        # (None outside functions).
        self.global_uses: list[tuple[str, cst.CSTNode, cst.FunctionDef | None]] = []
        seen: set[int] = set()
        for scope in {s for s in scopes.values() if s is not None}:
            for access in scope.accesses:
                if id(access.node) in seen or not all(
                    isinstance(r.scope, (GlobalScope, BuiltinScope)) for r in access.referents
                ):
                    continue
                seen.add(id(access.node))
                name = _base_name(access.node)
                if name is not None:
                    self.global_uses.append((name, access.node, _outermost_def(access.scope)))

    @functools.cached_property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        """Each node's parent: resolved when first asked for (the import's statement needs them,
        a function the import goes into does not; a third of the time of a long statement)."""
        return self._wrapper.resolve(ParentNodeProvider)

    def span(self, node: cst.CSTNode) -> Span:
        rng = self.positions[node]
        return Span(rng.start.line - 1, rng.start.column, rng.end.line - 1, rng.end.column)

    def has_block(self) -> bool:
        return any(isinstance(node, cst.IndentedBlock) for node in self.positions)


def _base_name(node: cst.CSTNode) -> str | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _outermost_def(scope: object) -> cst.FunctionDef | None:
    """The outermost ``def`` around a scope; None at module/class level or in a lambda only."""
    outermost: FunctionScope | None = None
    current = scope
    while current is not None and not isinstance(current, GlobalScope):
        if isinstance(current, FunctionScope):
            outermost = current
        current = getattr(current, "parent", None)
    if outermost is None or not isinstance(outermost.node, cst.FunctionDef):
        return None
    return outermost.node


@functools.lru_cache(maxsize=_CHUNK_CACHE_SIZE)
def _chunk(text: str) -> _Chunk | None:
    try:
        return _Chunk(cst.parse_module(text))
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    except Exception:  # metadata resolution on odd code must never break a check
        return None


class SourceAnalysis:
    """A file as libcst sees it, one top-level statement at a time.

    Statements are parsed only when a question concerns them (a statement that does not mention
    a name cannot use it) and cached by their text like the facts, so an edit re-parses only the
    statement it touched. A use of a module-level name is any load of it that no function around
    it binds.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._pieces = [(c.start_line, c.text) for c in split_statements(text)[0]]
        # Lines end at \n, \r\n and \r, as the facts and libcst count them.
        self._lines = _LINE_END.split(text)
        self.newline = (
            "\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n"
        )
        self._parsed: dict[int, _Chunk] = {}  # the statements parsed so far, by index

    def _chunk(self, index: int) -> _Chunk | None:
        if index in self._parsed:
            return self._parsed[index]
        text = self._pieces[index][1]
        if any(self._pieces[other][1] == text for other in self._parsed):
            # A second identical statement (a repeated import): its nodes must be its own, since
            # positions are found through the node.
            chunk = _chunk.__wrapped__(text)
        else:
            chunk = _chunk(text)
        if chunk is not None:
            self._parsed[index] = chunk
        return chunk

    @functools.cached_property
    def default_indent(self) -> str:
        """The file's indentation unit (libcst's guess from the first indented block)."""
        for index in range(len(self._pieces)):
            chunk = self._chunk(index)
            if chunk is not None and chunk.has_block():
                return chunk.module.default_indent
        return "    "

    # -- positions ---------------------------------------------------------------------------

    def _owner(self, node: cst.CSTNode) -> tuple[int, _Chunk]:
        """The parsed statement a node belongs to (nodes only come from parsed statements)."""
        for index, chunk in self._parsed.items():
            if node in chunk.positions:
                return self._pieces[index][0], chunk
        raise KeyError(node)

    def span(self, node: cst.CSTNode) -> Span:
        start, chunk = self._owner(node)
        return chunk.span(node).shifted(start)

    def code(self, node: cst.CSTNode) -> str:
        return self._owner(node)[1].module.code_for_node(node)

    def line(self, index: int) -> str:
        """Line ``index`` without its line ending ("" past the end)."""
        if not 0 <= index < len(self._lines):
            return ""
        text = self._lines[index]
        return text[:-1] if text.endswith("\r") else text

    @property
    def line_count(self) -> int:
        return len(self._lines)

    # -- imports -----------------------------------------------------------------------------

    def import_node(self, span: Span) -> cst.Import | cst.ImportFrom | None:
        """The module-level import statement at ``span`` (an ``Import.span`` from the facts)."""
        owner = None
        for index, (start, _) in enumerate(self._pieces):
            if start > span.start_line:
                break
            owner = index
        if owner is None:
            return None
        chunk = self._chunk(owner)
        start = self._pieces[owner][0]
        return chunk.imports.get(span.shifted(-start)) if chunk is not None else None

    def uses(self, import_span: Span, names: Iterable[str]) -> NameUses | None:
        """Where each of ``names`` (bound by the import at ``import_span``) is used in the file.

        None when the import is not found or a statement mentioning a name does not parse.
        """
        if self.import_node(import_span) is None:
            return None
        wanted = set(names)
        result = NameUses(unused=set(wanted))
        by_site: dict[int, tuple[FunctionSite, set[str]]] = {}
        for index, (start, text) in enumerate(self._pieces):
            if not any(name in text for name in wanted):
                continue
            chunk = self._chunk(index)
            if chunk is None:
                return None
            for name, node, fn in chunk.global_uses:
                if name not in wanted:
                    continue
                result.unused.discard(name)
                if fn is None:
                    result.outside.append((name, chunk.span(node).shifted(start)))
                    continue
                if id(fn) not in by_site:
                    site = FunctionSite(fn, fn.name.value, chunk.span(fn).shifted(start))
                    by_site[id(fn)] = (site, set())
                by_site[id(fn)][1].add(name)
        result.sites = sorted(by_site.values(), key=lambda item: item[0].span)
        result.outside.sort(key=lambda item: item[1])
        return result

    # -- statement context -------------------------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._owner(node)[1].parents.get(node)


@functools.lru_cache(maxsize=_ANALYSIS_CACHE_SIZE)
def analyze(text: str) -> SourceAnalysis:
    """The analysis of ``text`` (statements are parsed lazily, when a question needs them)."""
    return SourceAnalysis(text)


def _within(inner: Span, outer: Span) -> bool:
    return (outer.start_line, outer.start_col) <= (inner.start_line, inner.start_col) and (
        inner.end_line,
        inner.end_col,
    ) <= (outer.end_line, outer.end_col)


# ---------------------------------------------------------------------------------------------
# Import statements


def _trailing_comment(analysis: SourceAnalysis, node: cst.CSTNode) -> str | None:
    """The comment at the end of the line holding a one-statement import (``# why``): it moves
    with the import."""
    line = analysis.parent(node)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    comment = line.trailing_whitespace.comment
    if comment is None:
        return None
    # Directives about the module-level line (suppressions, noqa, isort) are not carried along.
    directive = comment.value.lstrip("#").strip().lower()
    if directive.startswith((DIRECTIVE_PREFIX, "noqa", "isort:", "ruff:")):
        return None
    return comment.value


def insert_import(
    path: Path, analysis: SourceAnalysis, site: FunctionSite, statements: Sequence[str]
) -> TextEdit | None:
    """Insert ``statements`` at the top of ``site``'s body.

    They go after the docstring, among the imports the body starts with: in sorted position within
    the last group of the same kind (standard library or not; straight imports before ``from``
    imports, by module, as isort and ruff order them) when that group is sorted, else after the
    imports. A body that starts with code gets them first, above any comment leading into it.
    """
    fn = site.node
    body = fn.body
    if isinstance(body, cst.SimpleStatementSuite):
        return _inline_to_block(path, analysis, fn, body, statements)
    if not isinstance(body, cst.IndentedBlock) or not body.body or not statements:
        return None
    stmts = list(body.body)
    start = 1 if _is_docstring(stmts[0]) else 0
    end = start
    while end < len(stmts) and _is_import_line(stmts[end]):
        end += 1
    imports = stmts[start:end]
    if imports:
        anchor, before = _placement(analysis, imports, statements[0])
        if before:
            return _insert_before(path, analysis, anchor, statements)
        return _insert_after(path, analysis, anchor, statements)
    if start:
        return _insert_after(path, analysis, stmts[0], statements)
    return _insert_before(path, analysis, stmts[0], statements)


def _insert_after(
    path: Path, analysis: SourceAnalysis, anchor: cst.CSTNode, statements: Sequence[str]
) -> TextEdit | None:
    """New lines right after the statement ``anchor``, indented like it."""
    span = analysis.span(anchor)
    indent = analysis.line(span.start_line)[: span.start_col]
    if indent.strip():
        return None
    newline = analysis.newline
    text = "".join(f"{indent}{s}{newline}" for s in statements)
    after = span.end_line + 1
    if after < analysis.line_count:
        return TextEdit(path, Span.point(after), text)
    # The anchor ends the file without a final newline.
    end_col = len(analysis.line(span.end_line))
    return TextEdit(path, Span.point(span.end_line, end_col), newline + text[: -len(newline)])


def _insert_before(
    path: Path, analysis: SourceAnalysis, anchor: cst.CSTNode, statements: Sequence[str]
) -> TextEdit | None:
    """New lines above the statement ``anchor`` and the comment lines directly above it."""
    span = analysis.span(anchor)
    indent = analysis.line(span.start_line)[: span.start_col]
    if indent.strip():
        return None  # the statement does not start its line
    line = span.start_line
    while line > 0 and analysis.line(line - 1).strip().startswith("#"):
        line -= 1
    newline = analysis.newline
    text = "".join(f"{indent}{s}{newline}" for s in statements)
    return TextEdit(path, Span.point(line), text)


def _import_key(statement: str) -> tuple[int, str]:
    """isort/ruff order within a group: ``import x`` lines first, then ``from x import``, by module."""
    words = statement.split()
    if len(words) < 2:
        return (2, statement.lower())
    return (0 if words[0] == "import" else 1, words[1].lower())


def _is_stdlib_statement(statement: str) -> bool:
    words = statement.split()
    return len(words) >= 2 and not words[1].startswith(".") and is_stdlib(words[1])


def _import_groups(imports: Sequence[cst.BaseStatement]) -> list[list[cst.BaseStatement]]:
    """Consecutive imports split where a blank line separates them."""
    groups: list[list[cst.BaseStatement]] = []
    for index, stmt in enumerate(imports):
        leading = getattr(stmt, "leading_lines", ())
        if not groups or (index and any(not line.comment for line in leading)):
            groups.append([])
        groups[-1].append(stmt)
    return groups


def _placement(
    analysis: SourceAnalysis, imports: Sequence[cst.BaseStatement], statement: str
) -> tuple[cst.BaseStatement, bool]:
    """Where ``statement`` goes among a body's leading imports: (anchor, before anchor?).

    Within the last group of the same kind (standard library or not) when that group is sorted,
    at its sorted position; otherwise after the last import.
    """
    stdlib = _is_stdlib_statement(statement)
    key = _import_key(statement)
    for group in reversed(_import_groups(imports)):
        texts = [analysis.code(s.body[0]) for s in group if isinstance(s, cst.SimpleStatementLine)]
        if len(texts) != len(group) or any(_is_stdlib_statement(t) != stdlib for t in texts):
            continue
        keys = [_import_key(t) for t in texts]
        if keys != sorted(keys):
            break
        for stmt, other in zip(group, keys, strict=True):
            if key < other:
                return stmt, True
        return group[-1], False
    return imports[-1], False


def _inline_to_block(
    path: Path,
    analysis: SourceAnalysis,
    fn: cst.FunctionDef,
    body: cst.SimpleStatementSuite,
    statements: Sequence[str],
) -> TextEdit | None:
    """``def f(): return x`` -> a block with the imports first (the statements keep their line)."""
    if not body.body or _is_docstring_small(body.body[0]):
        return None
    first = analysis.span(body.body[0])
    line = analysis.line(first.start_line)
    colon = first.start_col - len(body.leading_whitespace.value) - 1
    if colon < 0 or line[colon : colon + 1] != ":":
        return None
    def_span = analysis.span(fn)
    def_indent = analysis.line(def_span.start_line)[: def_span.start_col]
    if def_indent.strip():
        return None
    indent = def_indent + analysis.default_indent
    newline = analysis.newline
    text = "".join(f"{newline}{indent}{s}" for s in statements) + newline + indent
    return TextEdit(
        path, Span(first.start_line, colon + 1, first.start_line, first.start_col), text
    )


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and _is_docstring_small(stmt.body[0])
    )


def _is_docstring_small(small: cst.CSTNode) -> bool:
    return isinstance(small, cst.Expr) and isinstance(
        small.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and bool(stmt.body)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    )


def remove_import_names(
    path: Path, analysis: SourceAnalysis, imp: Import, names: Sequence[ImportedName]
) -> list[TextEdit] | None:
    """Edits removing ``names`` from the module-level import ``imp`` (the whole statement if all)."""
    node = analysis.import_node(imp.span)
    if node is None:
        return None
    removed = {n.span for n in names}
    kept = [n for n in imp.names if n.span not in removed]
    if kept:
        return _remove_aliases(path, analysis, imp, removed)
    return _remove_statement(path, analysis, node)


def _remove_aliases(
    path: Path, analysis: SourceAnalysis, imp: Import, removed: set[Span]
) -> list[TextEdit]:
    """``import a, b, c`` minus some names, keeping the others and the statement's layout.

    In a parenthesised one-name-per-line import, the removed names' lines go (with their
    comments); otherwise each name goes with the comma that separates it from its neighbour.
    """
    aliases = list(imp.names)
    gone = [n for n in aliases if n.span in removed]
    kept_lines = {n.span.start_line for n in aliases if n.span not in removed} | {
        n.span.end_line for n in aliases if n.span not in removed
    }
    if all(_alone_on_line(analysis, n.span) and n.span.start_line not in kept_lines for n in gone):
        return [
            TextEdit(path, Span(n.span.start_line, 0, n.span.start_line + 1, 0), "") for n in gone
        ]
    last_kept = max(i for i, n in enumerate(aliases) if n.span not in removed)
    edits: list[TextEdit] = []
    for i, name in enumerate(aliases):
        if name.span not in removed or i > last_kept:
            continue
        # A name before the last kept one: remove it up to the start of the next name.
        nxt = aliases[i + 1].span
        edits.append(
            TextEdit(
                path,
                Span(name.span.start_line, name.span.start_col, nxt.start_line, nxt.start_col),
                "",
            )
        )
    if last_kept < len(aliases) - 1:
        # Names after the last kept one: remove from the end of the kept name (its comma goes too).
        start = aliases[last_kept].span
        end = aliases[-1].span
        edits.append(
            TextEdit(path, Span(start.end_line, start.end_col, end.end_line, end.end_col), "")
        )
    return edits


def _alone_on_line(analysis: SourceAnalysis, span: Span) -> bool:
    """Whether a name has its own line: ``    name,  # comment``."""
    if span.start_line != span.end_line or span.start_line + 1 >= analysis.line_count:
        return False
    line = analysis.line(span.start_line)
    rest = line[span.end_col :].strip()
    if rest.startswith(","):
        rest = rest[1:].strip()
    return not line[: span.start_col].strip() and (not rest or rest.startswith("#"))


def _remove_statement(
    path: Path, analysis: SourceAnalysis, node: cst.CSTNode
) -> list[TextEdit] | None:
    line_node = analysis.parent(node)
    span = analysis.span(node)
    if (
        isinstance(line_node, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
        and len(line_node.body) > 1
    ):
        smalls = list(line_node.body)
        index = next(i for i, s in enumerate(smalls) if s is node)
        if index < len(smalls) - 1:
            nxt = analysis.span(smalls[index + 1])
            return [
                TextEdit(
                    path, Span(span.start_line, span.start_col, nxt.start_line, nxt.start_col), ""
                )
            ]
        prev = analysis.span(smalls[index - 1])
        return [TextEdit(path, Span(prev.end_line, prev.end_col, span.end_line, span.end_col), "")]
    if isinstance(line_node, cst.SimpleStatementSuite):
        # ``if cond: import a``: the suite must keep a statement.
        return [TextEdit(path, span, "pass")]
    if not isinstance(line_node, cst.SimpleStatementLine):
        return None
    container = analysis.parent(line_node)
    statement = analysis.span(line_node)
    if isinstance(container, cst.IndentedBlock):
        return _remove_from_block(path, analysis, container, line_node)
    if not isinstance(container, cst.Module):
        return None
    return [_delete_lines(path, analysis, statement.start_line, statement.end_line, tidy=True)]


def _remove_from_block(
    path: Path,
    analysis: SourceAnalysis,
    block: cst.IndentedBlock,
    line_node: cst.SimpleStatementLine,
) -> list[TextEdit]:
    """Remove one statement line of an ``if``/``try``/``with`` block; ``pass`` when it was the last.

    The edit covers the whole block so that two removals from one block conflict (and are applied
    one after the other, each seeing what the other left) instead of emptying it together.
    """
    first = analysis.span(block.body[0])
    last = analysis.span(block.body[-1])
    statement = analysis.span(line_node)
    newline = analysis.newline
    kept: list[str] = []
    for index in range(first.start_line, last.end_line + 1):
        if statement.start_line <= index <= statement.end_line:
            if len(block.body) == 1 and index == statement.start_line:
                indent = analysis.line(index)[: statement.start_col]
                kept.append(f"{indent}pass")
            continue
        kept.append(analysis.line(index))
    end_col = len(analysis.line(last.end_line))
    return [TextEdit(path, Span(first.start_line, 0, last.end_line, end_col), newline.join(kept))]


def _delete_lines(
    path: Path, analysis: SourceAnalysis, start: int, end: int, *, tidy: bool
) -> TextEdit:
    """Delete lines ``start..end``; with ``tidy``, also one blank line if blanks would then meet."""
    after = end + 1
    if tidy and after < analysis.line_count - 1 and not analysis.line(after).strip():
        before_blank = start == 0 or not analysis.line(start - 1).strip()
        if before_blank:
            after += 1
    if after < analysis.line_count:
        return TextEdit(path, Span(start, 0, after, 0), "")
    # The statement ends the file without a final newline: take the previous line break instead.
    end_col = len(analysis.line(end))
    if start > 0:
        return TextEdit(path, Span(start - 1, len(analysis.line(start - 1)), end, end_col), "")
    return TextEdit(path, Span(start, 0, end, end_col), "")


@dataclass(frozen=True, slots=True)
class MovePlan:
    """How the names of one import would move into functions."""

    uses: NameUses
    edits: tuple[TextEdit, ...]
    sites: tuple[FunctionSite, ...]


def move_import(
    path: Path,
    analysis: SourceAnalysis,
    imp: Import,
    names: Sequence[ImportedName],
    *,
    carry_comment: bool = True,
) -> MovePlan | None:
    """Remove ``names`` from the module-level ``imp`` and import them in every function using them.

    None when a name is used outside any function (module level, a class body, a decorator, a
    default value, an annotation, a lambda): the import must then stay where it is.
    """
    node = analysis.import_node(imp.span)
    if node is None:
        return None
    uses = analysis.uses(imp.span, [n.bound for n in names])
    if uses is None or uses.outside:
        return None
    comment = None
    if carry_comment and len(names) == len(imp.names):
        comment = _trailing_comment(analysis, node)
    edits: list[TextEdit] = []
    for site, used in uses.sites:
        statements = import_statements(imp, [n for n in names if n.bound in used])
        if comment is not None:
            statements = [f"{s}  {comment}" for s in statements]
        edit = insert_import(path, analysis, site, statements)
        if edit is None:
            return None
        edits.append(edit)
    removal = remove_import_names(path, analysis, imp, names)
    if removal is None:
        return None
    return MovePlan(uses, tuple([*removal, *edits]), tuple(site for site, _ in uses.sites))


def copy_import(
    path: Path,
    analysis: SourceAnalysis,
    imp: Import,
    names: Sequence[ImportedName],
    within: Span,
    body: Span,
) -> tuple[TextEdit, ...] | None:
    """Import ``names`` (as ``imp`` does) in every function inside ``within`` that uses them.

    ``body`` is the part of ``within`` that is shipped as source (a class body, not its
    decorators): None when a use there is not inside a function (a class attribute, say).
    """
    uses = analysis.uses(imp.span, [n.bound for n in names])
    if uses is None:
        return None
    if any(_within(span, body) for _, span in uses.outside):
        return None
    edits: list[TextEdit] = []
    for site, used in uses.sites_within(within):
        statements = import_statements(imp, [n for n in names if n.bound in used])
        edit = insert_import(path, analysis, site, statements)
        if edit is None:
            return None
        edits.append(edit)
    return tuple(edits) if edits else None
