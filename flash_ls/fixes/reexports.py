"""Edits of the FL307 fix: import names from the module that defines them, not from the package
whose ``__init__.py`` re-exports them (``from service import api`` becomes
``from service.api import api``).

``RewriteReexport`` is the fix's edit producer: the rule decides when the finding is made which
module each name comes from (the fix's message names it); the edits are made with libcst
(``flash_ls.fixes.import_edits``) only when someone asks for them, and keep the file as written:

- every name of the statement goes to one module: the module is rewritten in place (and a name
  imported under another name in ``__init__.py`` gets an ``as``);
- otherwise the moved names leave the statement (the others stay), and one ``from ... import``
  line per defining module follows it, with its indentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls.diagnostic import TextEdit
from flash_ls.parse.facts import Import, ImportedName
from flash_ls.span import Span

if TYPE_CHECKING:  # libcst is imported only when the edits are wanted
    import libcst as cst

    from flash_ls.fixes.import_edits import SourceAnalysis


@dataclass(frozen=True, slots=True)
class RewriteReexport:
    """The edits importing ``moves`` — (name as imported, new module as written, name as it
    will be written) — from their defining modules instead of the statement ``imp``."""

    path: Path
    text: str
    imp: Import
    moves: tuple[tuple[ImportedName, str, str], ...]

    def __call__(self) -> tuple[TextEdit, ...] | None:
        import libcst as cst  # only when the edits are wanted

        from flash_ls.fixes import import_edits

        analysis = import_edits.analyze(self.text)
        node = analysis.import_node(self.imp.span)
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            return None
        modules = list(dict.fromkeys(module for _, module, _ in self.moves))
        if len(self.moves) == len(self.imp.names) and len(modules) == 1:
            return self._in_place(analysis, node, modules[0])
        line = analysis.parent(node)
        if not isinstance(line, cst.SimpleStatementLine):
            return None  # ``if x: from pkg import a``: no line of its own to add after
        moved = [name for name, _, _ in self.moves]
        statements = [
            "from {} import {}".format(
                module, ", ".join(spelled for _, m, spelled in self.moves if m == module)
            )
            for module in modules
        ]
        span = analysis.span(line)
        indent = analysis.line(span.start_line)[: span.start_col]
        newline = analysis.newline
        if len(moved) == len(self.imp.names):
            # The statement goes as a whole: its place takes the new lines.
            own = analysis.span(node)
            text = (newline + indent).join(statements)
            return (TextEdit(self.path, own, text),)
        removal = import_edits.remove_import_names(self.path, analysis, self.imp, moved)
        if removal is None:
            return None
        after = span.end_line + 1
        if after < analysis.line_count:
            text = "".join(f"{indent}{s}{newline}" for s in statements)
            insert = TextEdit(self.path, Span.point(after), text)
        else:  # the statement ends the file without a line break
            end = len(analysis.line(span.end_line))
            text = "".join(f"{newline}{indent}{s}" for s in statements)
            insert = TextEdit(self.path, Span.point(span.end_line, end), text)
        return (*removal, insert)

    def _in_place(
        self, analysis: SourceAnalysis, node: cst.ImportFrom, module: str
    ) -> tuple[TextEdit, ...] | None:
        """One defining module for every name: rewrite the module, and names that need an ``as``."""
        parts = [*node.relative, *([node.module] if node.module is not None else [])]
        if not parts:
            return None
        start, end = analysis.span(parts[0]), analysis.span(parts[-1])
        written = Span(start.start_line, start.start_col, end.end_line, end.end_col)
        edits = [TextEdit(self.path, written, module)]
        for name, _, spelled in self.moves:
            if spelled != (f"{name.name} as {name.alias}" if name.alias else name.name):
                edits.append(TextEdit(self.path, name.span, spelled))
        return tuple(edits)
