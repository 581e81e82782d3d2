"""Moving or copying a module-level import into the functions using it, planned in two steps.

When a finding is made, ``plan_move``/``plan_copy`` decide from ``flash_ls.fixes.uses`` (stdlib
``ast``) whether the fix exists, which functions get the import (the fix's message names them) and
whether it is safe. The edits come from ``flash_ls.fixes.import_edits`` (libcst) only when
someone asks for them: ``MoveImport`` and ``CopyImport`` are the fixes' edit producers (see
``flash_ls.diagnostic.Fix``). They compare by value, so the fixes of FL301 and FL302 for one import
are equal, and they check that libcst sees the functions the message promised.

libcst reads every top-level statement whose text mentions a name, at about 20 µs a character,
and recurses as deep as the code nests. A fix whose statements are longer than
``MAX_FIX_SOURCE_CHARS`` in all, or nest deeper than ``MAX_FIX_DEPTH`` (where libcst runs out of
recursion), is planned without edits (``NoEdits``, with the reason): its finding and advice stay,
and every output format and cache state agrees that ``--fix`` does not apply it. (``flash-ls
check`` spends at most 2 s on a file; a 3,000-line endpoint took 3 s of libcst.)

Otherwise a producer has no edits (its fix is then skipped by ``--fix`` and fix-all) only when
libcst and ``ast`` disagree: a statement only libcst fails to parse, or scoping corners they read
differently (a ``match`` capture named like the import, a ``nonlocal`` assignment to it, a one-line
body after ``def f(): ...;``). The sites are compared by function name and line: ``ast`` counts a
form feed before ``def`` as a column, libcst does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flash_ls.diagnostic import NoEdits, TextEdit
from flash_ls.fixes.uses import Site, Usage, file_uses, within
from flash_ls.parse.facts import Import, ImportedName
from flash_ls.span import Span

MAX_FIX_SOURCE_CHARS = 30_000
"""Characters of the statements mentioning the names beyond which a move or copy fix has no edits
(libcst would read them all: about 0.6 s)."""
MAX_FIX_DEPTH = 80
"""Nesting (``ast`` levels, an ``and``/``or`` chain counting once per operand) beyond which a move
or copy fix has no edits: libcst's metadata runs out of Python's default recursion limit at about
140 nested lists, 400 calls in a chain (the margin is for the stack of whoever asks for the edits)."""

# What a fix promises about one function: (name, start line, names imported there).
_SiteKey = tuple[str, int, frozenset[str]]


def import_statements(imp: Import, names: Sequence[ImportedName]) -> list[str]:
    """Source lines importing ``names`` the way ``imp`` does (one ``import x`` line per module)."""

    def spelled(name: ImportedName) -> str:
        return f"{name.name} as {name.alias}" if name.alias else name.name

    if imp.is_from:
        module = "." * imp.level + (imp.module or "")
        return [f"from {module} import {', '.join(spelled(n) for n in names)}"]
    return [f"import {spelled(n)}" for n in names]


def describe_functions(names: Sequence[str]) -> str:
    """``predict()``, ``predict() and train()``, ``a(), b() and c()``."""
    labels = [f"{name}()" for name in names]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _keys(sites: Sequence[tuple[Site, frozenset[str]]]) -> tuple[_SiteKey, ...]:
    return tuple((s.name, s.span.start_line, names) for s, names in sites)


def _beyond_libcst(usage: Usage, names: Sequence[ImportedName]) -> NoEdits | None:
    """Why libcst is not asked for the edits of a fix over ``usage``'s statements, if it is not."""
    label = " or ".join(f"'{name}'" for name in _bound(names))
    if usage.read_chars > MAX_FIX_SOURCE_CHARS:
        return NoEdits(
            f"the statements that mention {label} are {usage.read_chars:,} characters long; "
            f"the fix edits at most {MAX_FIX_SOURCE_CHARS:,}"
        )
    if usage.depth > MAX_FIX_DEPTH:
        return NoEdits(
            f"the code that mentions {label} is nested {usage.depth} levels deep; the fix edits "
            f"at most {MAX_FIX_DEPTH}"
        )
    return None


def _bound(names: Sequence[ImportedName]) -> list[str]:
    return [n.bound for n in names]


# ---------------------------------------------------------------------------------------------
# Move (FL108, FL301; FL302 offers the same fix)


@dataclass(frozen=True, slots=True)
class MoveImport:
    """The edits removing ``names`` from the module-level ``imp`` and importing them in every
    function using them (the producer of a move fix's edits)."""

    path: Path
    text: str
    imp: Import
    names: tuple[ImportedName, ...]
    sites: tuple[_SiteKey, ...]  # the functions the message names
    unused: frozenset[str]

    def __call__(self) -> tuple[TextEdit, ...] | None:
        from flash_ls.fixes import import_edits  # libcst: only when the edits are wanted

        plan = import_edits.move_import(
            self.path, import_edits.analyze(self.text), self.imp, self.names
        )
        if plan is None:
            return None
        sites = tuple(
            (site.name, site.span.start_line, frozenset(names)) for site, names in plan.uses.sites
        )
        if sites != self.sites or plan.uses.unused != self.unused:
            return None  # libcst reads the uses differently: not what the message says
        return plan.edits


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """A possible move: where the names are used, and the producer of its edits."""

    usage: Usage
    edits: MoveImport | NoEdits  # NoEdits: libcst is not asked (see ``MAX_FIX_SOURCE_CHARS``)

    @property
    def sites(self) -> list[Site]:
        return [site for site, _ in self.usage.sites]


def plan_move(
    path: Path, text: str, imp: Import, names: Sequence[ImportedName]
) -> PlannedMove | None:
    """How ``names`` of the module-level ``imp`` would move into the functions using them.

    None when a name is used outside any function (module level, a class body, a decorator, a
    default value, an annotation, a lambda): the import must then stay where it is.
    """
    usage = file_uses(text).uses(_bound(names))
    if usage is None or usage.outside:
        return None
    if not all(site.insertable for site, _ in usage.sites):
        return None
    beyond = _beyond_libcst(usage, names)
    if beyond is not None:
        return PlannedMove(usage, beyond)
    producer = MoveImport(path, text, imp, tuple(names), _keys(usage.sites), usage.unused)
    return PlannedMove(usage, producer)


# ---------------------------------------------------------------------------------------------
# Copy (FL302 when the import stays at module level)


@dataclass(frozen=True, slots=True)
class CopyImport:
    """The edits importing ``names`` (as ``imp`` does) in the functions inside ``within`` that
    use them (the producer of a copy fix's edits)."""

    path: Path
    text: str
    imp: Import
    names: tuple[ImportedName, ...]
    within: Span
    body: Span
    sites: tuple[_SiteKey, ...]

    def __call__(self) -> tuple[TextEdit, ...] | None:
        from flash_ls.fixes import import_edits  # libcst: only when the edits are wanted

        analysis = import_edits.analyze(self.text)
        uses = analysis.uses(self.imp.span, _bound(self.names))
        if uses is None:
            return None
        sites = tuple(
            (site.name, site.span.start_line, frozenset(names))
            for site, names in uses.sites_within(self.within)
        )
        if sites != self.sites:
            return None
        return import_edits.copy_import(
            self.path, analysis, self.imp, self.names, self.within, self.body
        )


def plan_copy(
    path: Path,
    text: str,
    imp: Import,
    names: Sequence[ImportedName],
    within_span: Span,
    body: Span,
) -> CopyImport | NoEdits | None:
    """The producer importing ``names`` in every function inside ``within_span`` using them.

    ``body`` is the part of ``within_span`` shipped as source (a class body, not its decorators):
    None when a use there is not inside a function (a class attribute, say), or no function
    inside uses them; ``NoEdits`` when libcst is not asked (see ``MAX_FIX_SOURCE_CHARS``).
    """
    usage = file_uses(text).uses(_bound(names))
    if usage is None or any(within(span, body) for _, span in usage.outside):
        return None
    sites = usage.sites_within(within_span)
    if not sites or not all(site.insertable for site, _ in sites):
        return None
    beyond = _beyond_libcst(usage, names)
    if beyond is not None:
        return beyond
    return CopyImport(path, text, imp, tuple(names), within_span, body, _keys(sites))
