"""Edits that remove or move a module-level ``name = Endpoint(...)`` declaration (FL105, FL109).

- ``removal_edit`` deletes the declaration's lines; ``overwritten_declarations`` finds the earlier
  ``name = Endpoint(...)`` statements it overwrites before anything reads ``name`` (dead too);
- ``move_declaration`` moves it into the one module that registers its routes (FL109), with the
  imports its arguments need there, when that is certainly right: nothing else uses the name
  where it is declared, and no other file imports it from there.

Plain text work on the facts' positions; the only parsing is ``ast`` on the ``Endpoint(...)`` call
to list the names it reads.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flash_ls.diagnostic import TextEdit
from flash_ls.fixes.uses import file_uses
from flash_ls.parse.facts import Binding, CallExpr, Import, NameExpr
from flash_ls.platform import SDK_MODULE
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile
    from flash_ls.project.endpoint_model import Endpoint

# Expressions with scopes of their own: the names they read are not simply the call's.
_SCOPED = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr)


def _lines(text: str) -> list[str]:
    """Lines as the facts count them (ended by ``\\n``, ``\\r\\n`` or ``\\r``), without their ends."""
    return re.split(r"\r\n|\r|\n", text)


def _statement_lines(source: SourceFile, variable: str | None, call_span: Span) -> range | None:
    """The lines of a module-level ``[variable =] Endpoint(...)`` statement; None when it shares
    a line with other code or sits in a block."""
    if source.text is None:
        return None
    start_line = call_span.start_line
    if variable is not None:
        binding = source.facts.binding(variable)
        if binding is not None:
            start_line = binding.span.start_line
    return _lines_from(_lines(source.text), start_line, call_span)


def _lines_from(lines: list[str], start_line: int, call_span: Span) -> range | None:
    """The lines of the statement starting on ``start_line`` whose value is the call at
    ``call_span`` (see ``_statement_lines``)."""
    end = _after_closing_parentheses(lines, start_line, call_span)
    if end is None:
        return None
    end_line, end_col = end
    rest = lines[end_line][end_col:].strip()
    if rest and not rest.startswith("#"):
        return None  # something else shares the line (a comment goes with the statement)
    if lines[start_line][: len(lines[start_line]) - len(lines[start_line].lstrip())]:
        return None  # indented (inside if/try): removing may empty a block
    return range(start_line, end_line + 1)


def _after_closing_parentheses(
    lines: list[str], start_line: int, call: Span
) -> tuple[int, int] | None:
    """Where the statement ends after the call: past the ``)`` of parentheses opened around it
    (``api = (\n    Endpoint(...)\n)``; a call's span leaves them out). None when anything
    else follows the call before they close."""
    if call.end_line >= len(lines):
        return None
    before = "\n".join(
        [*lines[start_line : call.start_line], lines[call.start_line][: call.start_col]]
    )
    opened = before.count("(") - before.count(")")
    line, col = call.end_line, call.end_col
    while opened > 0:
        rest = lines[line][col:].lstrip()
        if rest.startswith(")"):
            opened -= 1
            col = len(lines[line]) - len(rest) + 1
        elif not rest or rest.startswith("#"):
            line, col = line + 1, 0
            if line >= len(lines):
                return None
        else:
            return None
    return line, col


def removal_edit(source: SourceFile, variable: str | None, call_span: Span) -> TextEdit | None:
    """The edit deleting a module-level ``[variable =] Endpoint(...)`` statement's lines."""
    found = _statement_lines(source, variable, call_span)
    if found is None:
        return None
    return TextEdit(source.path, Span(found.start, 0, found.stop, 0), "")


def overwritten_declarations(source: SourceFile, variable: str, call: CallExpr) -> list[Binding]:
    """The module-level ``variable = <the same callee>(...)`` statements that the last binding of
    ``variable`` (``variable = call``) overwrites before anything reads ``variable``, nearest
    first: nothing can ever see them. Each is alone on its lines; code between two of them or a
    later one's call that reads ``variable`` (or may: code that does not parse) ends the run."""
    if source.text is None or not isinstance(call.func, NameExpr):
        return []
    bindings = source.facts.bindings.get(variable, [])
    if len(bindings) < 2 or bindings[-1].value != call:
        return []
    lines = _lines(source.text)
    found: list[Binding] = []
    later = bindings[-1]
    later_lines = _lines_from(lines, later.span.start_line, call.span)
    for binding in reversed(bindings[:-1]):
        value = binding.value
        if (
            later_lines is None
            or binding.kind not in ("assign", "annotated")
            or not isinstance(value, CallExpr)
            or not isinstance(value.func, NameExpr)
            or value.func.dotted != call.func.dotted
        ):
            break
        statement = _lines_from(lines, binding.span.start_line, value.span)
        if statement is None or statement.stop > later_lines.start:
            break
        assert later.value is not None
        between = "\n".join(lines[statement.stop : later_lines.start])
        call_names = _read_names(_text(lines, later.value.span))
        if call_names is None or variable in call_names or _may_read(between, variable):
            break
        found.append(binding)
        later, later_lines = binding, statement
    return found


def _may_read(code: str, variable: str) -> bool:
    """Whether top-level statements ``code`` may read (or rebind) ``variable``: it is named there,
    or the code does not parse."""
    if variable not in code:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == variable:
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)) and variable in node.names:
            return True
    return False


def _text(lines: list[str], span: Span) -> str:
    """The text of ``span`` (lines joined by ``\\n``)."""
    if span.start_line == span.end_line:
        return lines[span.start_line][span.start_col : span.end_col]
    return "\n".join(
        [
            lines[span.start_line][span.start_col :],
            *lines[span.start_line + 1 : span.end_line],
            lines[span.end_line][: span.end_col],
        ]
    )


def removal_edits(source: SourceFile, bindings: list[Binding]) -> list[TextEdit]:
    """The edits deleting the statements of ``bindings`` (``overwritten_declarations``)."""
    lines = _lines(source.text or "")
    edits = []
    for binding in bindings:
        if binding.value is None:
            continue
        statement = _lines_from(lines, binding.span.start_line, binding.value.span)
        if statement is not None:
            edits.append(TextEdit(source.path, Span(statement.start, 0, statement.stop, 0), ""))
    return edits


def _tidy_removal(source: SourceFile, lines: list[str], statement: range) -> TextEdit:
    """Delete ``statement``'s lines, and one blank line more when blank lines would then meet."""
    stop = statement.stop
    before_blank = statement.start == 0 or not lines[statement.start - 1].strip()
    if before_blank and stop < len(lines) - 1 and not lines[stop].strip():
        stop += 1
    return TextEdit(source.path, Span(statement.start, 0, stop, 0), "")


def _read_names(call_text: str) -> list[str] | None:
    """The names an ``Endpoint(...)`` call reads, each once; None when it has inner scopes."""
    try:
        tree = ast.parse(call_text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, _SCOPED):
            return None
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


def _imports_reaching(source: SourceFile) -> Iterator[Import]:
    """Every import statement of ``source``, module level and in function bodies."""
    yield from source.facts.imports
    for definition in source.facts.definitions:
        yield from definition.body.imports


def _reaches(app: App, source: SourceFile, imp: Import, module: str, variable: str) -> bool:
    """Whether ``imp`` (in ``source``) imports ``variable`` from ``module`` or the module itself."""
    if imp.is_from:
        base = app.import_target(source, imp)
        if base == module:
            return any(n.name in (variable, "*") for n in imp.names)
        return any(f"{base}.{n.name}" == module for n in imp.names)
    return any(n.name == module or n.name.startswith(module + ".") for n in imp.names)


def move_declaration(
    app: App, endpoint: Endpoint, routes: SourceFile, statement: Import
) -> tuple[TextEdit, ...] | None:
    """Edits moving ``endpoint``'s declaration into ``routes``, replacing its import there.

    ``statement`` is the module-level ``from <declaring module> import <variable>`` of ``routes``.
    None unless the move is certainly right (see the module docstring).
    """
    decl = endpoint.decl
    home, variable = decl.file, decl.variable
    if variable is None or home.text is None or routes.text is None:
        return None
    if len(home.facts.bindings.get(variable, ())) != 1:
        return None
    usage = file_uses(home.text).uses([variable])
    if usage is None or variable not in usage.unused:
        return None  # the declaring module uses it for something else
    if (
        statement.guarded
        or statement.nested
        or statement.span.start_col != 0
        or len(statement.names) != 1
        or statement.names[0].alias is not None
        or len(routes.facts.bindings.get(variable, ())) != 1
        or app.module_file(app.import_target(routes, statement)) is not home
    ):
        return None
    for other in app.files.values():
        if other is home:
            continue
        if not other.facts.fully_parsed:
            # Its function bodies were not read: any mention of the module may be an import.
            if other.text is None or home.module.rpartition(".")[2] in other.text:
                return None
            continue
        for imp in _imports_reaching(other):
            if imp is not statement and _reaches(app, other, imp, home.module, variable):
                return None  # someone else imports it (or the whole module) from there
    declared = _statement_lines(home, variable, decl.call.span)
    names = _read_names(decl.call.text)
    anchor = _anchor(routes, endpoint)
    if declared is None or names is None or variable in names or anchor is None:
        return None
    imports = _needed_imports(app, home, routes, statement, names, anchor)
    if imports is None:
        return None
    if _lines(routes.text)[statement.span.end_line][statement.span.end_col :].strip():
        return None  # something else shares the import's line
    home_lines = _lines(home.text)
    moved = [home_lines[index] for index in declared]
    newline = "\r\n" if "\r\n" in routes.text else "\n"
    taken = Span(statement.span.start_line, 0, statement.span.end_line + 1, 0)
    edits = [_tidy_removal(home, home_lines, declared)]
    if anchor == statement.span.end_line:
        # The import is the last one above the routes: the declaration takes its place.
        above = bool(imports) or any(
            imp.span.end_line < statement.span.start_line for imp in routes.facts.imports
        )
        block = [*imports, *([""] if above else []), *moved]
        edits.append(TextEdit(routes.path, taken, newline.join(block) + newline))
    else:
        block = [*imports, "", *moved]
        edits += [
            TextEdit(routes.path, taken, ""),
            TextEdit(routes.path, Span.point(anchor + 1), newline.join(block) + newline),
        ]
    return tuple(edits)


def _anchor(routes: SourceFile, endpoint: Endpoint) -> int | None:
    """The line after which the declaration goes: the end of the last module-level import above
    the first route, with nothing else on that line."""
    first_use = min(r.decorator.span.start_line for r in endpoint.routes if r.file is routes)
    ends = [
        imp.span.end_line
        for imp in routes.facts.imports
        if not imp.nested and not imp.guarded and imp.span.end_line < first_use
    ]
    if not ends or routes.text is None:
        return None
    line = max(ends)
    last = max((i for i in routes.facts.imports if i.span.end_line == line), key=lambda i: i.span)
    rest = _lines(routes.text)[line][last.span.end_col :].strip()
    return line if not rest or rest.startswith("#") else None


def _needed_imports(
    app: App,
    home: SourceFile,
    routes: SourceFile,
    statement: Import,
    names: list[str],
    anchor: int,
) -> list[str] | None:
    """Import lines that give ``routes`` every name the declaration reads, as ``home`` binds it;
    None when a name means something else there or cannot be brought over."""
    # module -> names for ``from`` imports (None: a plain ``import`` line), in first-use order.
    wanted: dict[tuple[str, bool], list[str]] = {}
    home_module = "." * statement.level + (statement.module or "")
    for name in names:
        here = app.qualified(home, name)
        bound = routes.facts.binding(name)
        if bound is not None:
            if app.qualified(routes, name) != here or bound.span.start_line > anchor:
                return None
            continue
        if app.qualified(routes, name) == here and here.startswith(f"{SDK_MODULE}:"):
            continue  # ``from runpod_flash import *`` in the routes module too
        origin = home.facts.binding(name)
        if origin is None:
            if here.startswith(f"{SDK_MODULE}:"):
                wanted.setdefault((SDK_MODULE, True), []).append(name)
            elif not hasattr(builtins, name):
                return None
            continue
        imp, imported = origin.import_, origin.imported
        if origin.kind == "import" and imp is not None and imported is not None:
            if imp.guarded:
                return None
            shown = f"{imported.name} as {imported.alias}" if imported.alias else imported.name
            if imp.is_from:
                wanted.setdefault((app.import_target(home, imp), True), []).append(shown)
            else:
                wanted.setdefault((shown, False), [])
        else:
            # Defined in the declaring module: import it from there, as the routes module did.
            wanted.setdefault((home_module, True), []).append(name)
    return [
        f"from {module} import {', '.join(listed)}" if is_from else f"import {module}"
        for (module, is_from), listed in wanted.items()
    ]
