"""``requirements.txt`` and requirement strings, read the way `flash build` reads them.

The official build (``build.py::collect_requirements``) takes every stripped, non-empty line that
does not start with ``#`` and passes it to ``pip install`` as one argument each; it never
interprets the file as pip does. Each line is additionally parsed as a PEP 508 requirement here
so rules can name the distribution and point at lines pip would reject.

Parsing with ``packaging`` is cached per string (and per ``requirements.txt`` text): an app is
rebuilt after every edit, but its requirement strings rarely change. The cached
:class:`~packaging.requirements.Requirement` objects are shared; callers must not modify them.
"""

from __future__ import annotations

import functools
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
    _, name, error = _parse(text.strip())
    return name, error


def requirement_of(text: str) -> Requirement | None:
    """The parsed PEP 508 requirement of ``text`` (stripped), None when it is not valid.

    Cached: the same string is parsed once per process. Do not modify the result.
    """
    return _parse(text.strip())[0]


_PARSE_CACHE_SIZE = 8192


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse(stripped: str) -> tuple[Requirement | None, str | None, str | None]:
    """``(requirement, normalised name, None)`` or ``(None, None, error message)``."""
    if not stripped:
        return None, None, "empty requirement"
    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "invalid requirement"
        if "#" in stripped:
            # pip gets the whole line as one argument, so an inline comment breaks the install.
            reason = f"inline comment is passed to pip as part of the requirement ({reason})"
        return None, None, f"not a valid PEP 508 requirement: {reason}"
    return requirement, canonicalize_name(requirement.name), None


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def official_package_name(req: str) -> str:
    """The package name exactly as `flash build`'s ``extract_package_name`` computes it.

    It splits on ``< > = ! [ ;`` only, then strips and lowercases, so ``torch~=2.0`` and
    ``torch @ https://...`` are not recognised as ``torch`` and ``my_pkg`` stays ``my_pkg``.
    The build compares this against its excluded packages (torch, torchvision, ...).
    """
    return _OFFICIAL_SPLIT.split(req)[0].strip().lower()


def parse_requirements_text(text: str) -> list[RequirementLine]:
    """The entries of a ``requirements.txt`` text, in order (blank and ``#`` lines skipped)."""
    return list(_parse_text(text))


@functools.lru_cache(maxsize=256)
def _parse_text(text: str) -> tuple[RequirementLine, ...]:
    entries: list[RequirementLine] = []
    for number, line in enumerate(_LINE_END.split(text)):
        offset = 0
        # The build uses str.splitlines(), which also breaks on \f, \v, \x1c ...; keep its pieces.
        for piece in line.splitlines(keepends=True) or [""]:
            entry = _entry(piece, number, offset)
            offset += len(piece)
            if entry is not None:
                entries.append(entry)
    return tuple(entries)


def _entry(piece: str, number: int, offset: int) -> RequirementLine | None:
    raw = piece.strip()
    if not raw or raw.startswith("#"):
        return None
    start = offset + piece.index(raw[0])
    span = Span(number, start, number, start + len(raw))
    if raw.startswith("-"):
        return RequirementLine(raw, number, span, None, None, is_option=True)
    requirement, name, error = _parse(raw)
    return RequirementLine(raw, number, span, name, error, requirement=requirement)


def read_requirements(app_root: Path) -> list[RequirementLine]:
    """The entries of ``app_root/requirements.txt``; empty when the file is missing or unreadable."""
    try:
        text = (app_root / REQUIREMENTS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return parse_requirements_text(text)
