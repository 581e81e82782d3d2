"""Apply text edits and fixes to file contents (``--fix``, ``--diff``, fix-all code actions).

Positions are ``Span``s: 0-based lines ended by ``\\n``, ``\\r\\n`` or ``\\r`` (as the facts count
them), columns in code points. A column past the end of its line is clamped to the line's end,
and the end of a CRLF line is *before* its ``\\r``, so an edit never splits a ``\\r\\n`` pair.

``fix_until_stable`` is the one fix loop: ``flash-ls check --fix``/``--diff`` and the editor's
fix-all apply fixes, re-check and apply again until nothing applicable remains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls.diagnostic import Diagnostic, Fix, TextEdit

MAX_FIX_ROUNDS = 10
"""Rounds of fixing and re-checking before ``fix_until_stable`` gives up."""

_LINE_END = re.compile(r"\r\n|\r|\n")
# (start offset, end offset, new text) in a text's code points.
_Resolved = tuple[int, int, str]


class _Offsets:
    """Converts (line, column) positions of one text to string offsets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0]
        self._ends: list[int] = []  # where each line's text ends (its line end excluded)
        for end in _LINE_END.finditer(text):
            self._ends.append(end.start())
            self._starts.append(end.end())
        self._ends.append(len(text))

    def offset(self, line: int, col: int) -> int:
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self._text)
        start = self._starts[line]
        return start + min(max(col, 0), self._ends[line] - start)

    def resolve(self, edit: TextEdit) -> _Resolved:
        span = edit.span
        start = self.offset(span.start_line, span.start_col)
        end = max(start, self.offset(span.end_line, span.end_col))
        return start, end, edit.new_text


def _overlaps(a: _Resolved, b: _Resolved) -> bool:
    """Whether two edits touch the same text. Inserts at one point do not overlap; equal edits do."""
    if a == b:
        return True
    return a[0] < b[1] and b[0] < a[1]


def _conflicts(edit: _Resolved, accepted: Sequence[_Resolved]) -> bool:
    """Whether ``edit`` (at or after every accepted edit) overlaps one of them."""
    # Accepted edits are sorted and disjoint, so their ends never decrease.
    for other in reversed(accepted):
        if other[1] < edit[0]:
            return False
        if _overlaps(other, edit):
            return True
    return False


def _splice(text: str, edits: Sequence[_Resolved]) -> str:
    """Apply edits sorted by position and known not to overlap (same result as last-to-first)."""
    pieces: list[str] = []
    position = 0
    for start, end, new_text in edits:
        pieces.append(text[position:start])
        pieces.append(new_text)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _by_position(edits: Iterable[_Resolved]) -> list[_Resolved]:
    # Stable: inserts at one point keep their given order, and an insert precedes a replacement
    # that starts at the same point.
    return sorted(edits, key=lambda edit: (edit[0], edit[1]))


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply ``edits`` (all for this ``text``; their paths are not checked).

    Overlapping edits: the first by start position is kept and the others are skipped. Several
    inserts at one point are all applied, in the given order; an edit repeated verbatim applies once.
    """
    offsets = _Offsets(text)
    accepted: list[_Resolved] = []
    for edit in _by_position(offsets.resolve(e) for e in edits):
        if not _conflicts(edit, accepted):
            accepted.append(edit)
    return _splice(text, accepted)


@dataclass
class AppliedFixes:
    """The outcome of ``apply_fixes_detailed``."""

    texts: dict[Path, str] = field(default_factory=dict)
    """New contents of the files that changed."""
    applied: list[Fix] = field(default_factory=list)
    """Distinct fixes applied, in the order they were considered."""
    skipped: list[Fix] = field(default_factory=list)
    """Fixes left out: an edit overlaps an applied fix or edits a file not in ``text_by_path``, or
    the fix has no edits (its edits could not be computed)."""


def apply_fixes_detailed(text_by_path: Mapping[Path, str], fixes: Iterable[Fix]) -> AppliedFixes:
    """Apply ``fixes`` atomically, in the given order: a fix whose edits conflict with an already
    applied fix (or with each other) is skipped as a whole. A fix equal to one already applied is
    dropped silently (two findings sharing one fix). Re-check and call again for the skipped ones.
    """
    offsets: dict[Path, _Offsets] = {}
    accepted: dict[Path, list[_Resolved]] = {}
    outcome = AppliedFixes()
    seen: set[Fix] = set()
    for fix in fixes:
        if fix in seen:
            continue
        seen.add(fix)
        planned = _plan(fix, text_by_path, offsets, accepted)
        if planned is None:
            outcome.skipped.append(fix)
            continue
        for path, edit in planned:
            accepted.setdefault(path, []).append(edit)
        outcome.applied.append(fix)
    for path, edits in accepted.items():
        original = text_by_path[path]
        new_text = _splice(original, _by_position(edits))
        if new_text != original:
            outcome.texts[path] = new_text
    return outcome


def apply_fixes(text_by_path: Mapping[Path, str], fixes: Iterable[Fix]) -> dict[Path, str]:
    """New contents of the files changed by applying ``fixes`` (see ``apply_fixes_detailed``)."""
    return apply_fixes_detailed(text_by_path, fixes).texts


def _plan(
    fix: Fix,
    text_by_path: Mapping[Path, str],
    offsets: dict[Path, _Offsets],
    accepted: Mapping[Path, list[_Resolved]],
) -> list[tuple[Path, _Resolved]] | None:
    """The fix's resolved edits, or None when it cannot be applied (a conflict, no edits)."""
    edits = fix.edits  # a lazy fix computes them here
    if not edits:
        return None
    planned: list[tuple[Path, _Resolved]] = []
    for edit in edits:
        text = text_by_path.get(edit.path)
        if text is None:
            return None
        if edit.path not in offsets:
            offsets[edit.path] = _Offsets(text)
        resolved = offsets[edit.path].resolve(edit)
        taken = [e for p, e in planned if p == edit.path] + accepted.get(edit.path, [])
        if any(_overlaps(resolved, other) for other in taken):
            return None
        planned.append((edit.path, resolved))
    return planned


def applicable(diagnostic: Diagnostic, *, unsafe: bool = False) -> bool:
    """Whether ``--fix`` (with ``--unsafe-fixes``: ``unsafe``) would apply the finding's fix.

    Edits not computed yet are taken to exist (a plain check never computes them); a fix whose
    edits turned out impossible is not applicable.
    """
    fix = diagnostic.fix
    return fix is not None and (fix.safe or unsafe) and (not fix.computed or fix.available)


@dataclass
class FixRun:
    """The outcome of ``fix_until_stable``."""

    texts: dict[Path, str]
    """The text of every file a fix edited, after the last round."""
    originals: dict[Path, str]
    """The same files' text before the first round."""
    fixed: int
    """Findings whose fix was applied, over all rounds (a fix shared by two findings counts two)."""
    diagnostics: list[Diagnostic]
    """The findings of the last check (of the fixed texts)."""
    converged: bool
    """False when fixes still applied after ``max_rounds`` rounds (the texts are those of the
    last round)."""


def fix_until_stable(
    diagnostics: Sequence[Diagnostic],
    read: Callable[[Path], str | None],
    recheck: Callable[[Mapping[Path, str]], Sequence[Diagnostic]],
    *,
    unsafe: bool = False,
    max_rounds: int = MAX_FIX_ROUNDS,
) -> FixRun:
    """Apply the fixes of ``diagnostics``, re-check, and repeat until no fix applies.

    ``read(path)`` gives a file's text before any fix (None: the file cannot be edited);
    ``recheck(texts)`` gives the findings when the files in ``texts`` have those contents. Each
    round applies every safe fix (``unsafe``: every fix) that does not conflict with another;
    a conflicting one is applied in a later round if its finding is still there. A fix equal to
    one applied in an earlier round is never applied again (the check cannot see that change,
    a ``.gitignore`` line say, so applying it again would only repeat it).
    """
    current: dict[Path, str] = {}
    originals: dict[Path, str] = {}
    done: set[Fix] = set()
    fixed = 0
    found = list(diagnostics)
    for round_ in range(max_rounds + 1):
        fixes = [
            d.fix
            for d in found
            if d.fix is not None and applicable(d, unsafe=unsafe) and d.fix not in done
        ]
        texts: dict[Path, str] = {}
        for fix in fixes:
            for edit in fix.edits:
                if edit.path not in texts:
                    text = current[edit.path] if edit.path in current else read(edit.path)
                    if text is not None:
                        texts[edit.path] = text
        outcome = apply_fixes_detailed(texts, fixes)
        if not outcome.texts:
            return FixRun(current, originals, fixed, found, converged=True)
        if round_ == max_rounds:
            break
        applied = set(outcome.applied)
        done.update(applied)
        fixed += sum(1 for d in found if d.fix in applied)
        for path, text in outcome.texts.items():
            originals.setdefault(path, texts[path])
            current[path] = text
        found = list(recheck(current))
    return FixRun(current, originals, fixed, found, converged=False)
