"""``requirements.txt`` and requirement strings, read the way `flash build` reads them.

The official build (``build.py::collect_requirements``) takes every stripped, non-empty line that
does not start with ``#`` and passes it to ``pip install`` as one argument each; it never
interprets the file as pip does. Each line is additionally parsed as a PEP 508 requirement here
so rules can name the distribution and point at lines pip would reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from flash_ls.span import Span

REQUIREMENTS_FILE = "requirements.txt"

# Line ends as editors count them: one line per \n, \r\n or \r (str.splitlines also splits on \f...).
_LINE_END = re.compile(r"\r\n|\r|\n")
# The characters the official build's extract_package_name splits a requirement on.
_OFFICIAL_SPLIT = re.compile(r"[<>=!\[;]")


@dataclass(frozen=True, slots=True)
class RequirementLine:
    """One entry of ``requirements.txt`` as the official build passes it to pip."""

    raw: str
    """The stripped text of the entry, exactly what `flash build` hands to pip."""
    line: int
    """0-based line number."""
    span: Span
    """Where ``raw`` sits in the file (columns in code points)."""
    name: str | None
    """PEP 503 normalised distribution name; None for options and invalid entries."""
    error: str | None
    """Why the entry is not a valid PEP 508 requirement; None when it is (or for options)."""
    is_option: bool = False
    """A pip option line (``-r``, ``-e``, ``--index-url`` ...), not a requirement.

    The official build still hands it to pip as a single argument, which pip misreads.
    """
    requirement: Requirement | None = field(default=None, compare=False)
    """The parsed requirement (specifier, extras, marker), when valid."""

    @property
    def official_name(self) -> str:
        """The package name the official build's exclusion filter sees (see :func:`official_package_name`)."""
        return official_package_name(self.raw)


def parse_requirement(text: str) -> tuple[str | None, str | None]:
    """``(normalised name, None)`` for a valid PEP 508 requirement, else ``(None, error message)``.

    Used for ``requirements.txt`` entries and ``dependencies=[...]`` strings alike.
    """
    requirement, error = _parse(text)
    if requirement is None:
        return None, error
    return canonicalize_name(requirement.name), None


def _parse(text: str) -> tuple[Requirement | None, str | None]:
    stripped = text.strip()
    if not stripped:
        return None, "empty requirement"
    try:
        return Requirement(stripped), None
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "invalid requirement"
        if "#" in stripped:
            # pip gets the whole line as one argument, so an inline comment breaks the install.
            reason = f"inline comment is passed to pip as part of the requirement ({reason})"
        return None, f"not a valid PEP 508 requirement: {reason}"


def official_package_name(req: str) -> str:
    """The package name exactly as `flash build`'s ``extract_package_name`` computes it.

    It splits on ``< > = ! [ ;`` only, then strips and lowercases, so ``torch~=2.0`` and
    ``torch @ https://...`` are not recognised as ``torch`` and ``my_pkg`` stays ``my_pkg``.
    The build compares this against its excluded packages (torch, torchvision, ...).
    """
    return _OFFICIAL_SPLIT.split(req)[0].strip().lower()


def parse_requirements_text(text: str) -> list[RequirementLine]:
    """The entries of a ``requirements.txt`` text, in order (blank and ``#`` lines skipped)."""
    entries: list[RequirementLine] = []
    for number, line in enumerate(_LINE_END.split(text)):
        offset = 0
        # The build uses str.splitlines(), which also breaks on \f, \v, \x1c ...; keep its pieces.
        for piece in line.splitlines(keepends=True) or [""]:
            entry = _entry(piece, number, offset)
            offset += len(piece)
            if entry is not None:
                entries.append(entry)
    return entries


def _entry(piece: str, number: int, offset: int) -> RequirementLine | None:
    raw = piece.strip()
    if not raw or raw.startswith("#"):
        return None
    start = offset + piece.index(raw[0])
    span = Span(number, start, number, start + len(raw))
    if raw.startswith("-"):
        return RequirementLine(raw, number, span, None, None, is_option=True)
    requirement, error = _parse(raw)
    name = canonicalize_name(requirement.name) if requirement is not None else None
    return RequirementLine(raw, number, span, name, error, requirement=requirement)


def read_requirements(app_root: Path) -> list[RequirementLine]:
    """The entries of ``app_root/requirements.txt``; empty when the file is missing or unreadable."""
    try:
        text = (app_root / REQUIREMENTS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return parse_requirements_text(text)
