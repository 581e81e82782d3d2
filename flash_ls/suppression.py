"""The suppression comment syntax, in one place: parsed by ``flash_ls.parse``, written by the
"suppress on this line" fix, and read by hover.

``# flash-ls: ignore[FL301, top-level-import]`` at the end of a line suppresses those rules on
it, ``# flash-ls: ignore`` every rule; ``# flash-ls: ignore-file[...]`` (or bare) anywhere in a
file suppresses them in the whole file. Case and the spaces around ``:`` do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

DIRECTIVE_PREFIX: Final = "flash-ls:"
"""What starts every flash-ls comment directive (after ``#``)."""

PATTERN: Final = re.compile(
    r"#\s*flash-ls:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE
)
"""One suppression comment: ``file`` is set for ``ignore-file``; ``codes`` is the text between
the brackets, None when there are none (every rule)."""

_CODE = re.compile(r"[^,\s]+")


def find(comment: str) -> re.Match[str] | None:
    """The first suppression in ``comment`` (the text of one comment, from its ``#``)."""
    return PATTERN.search(comment)


def codes(match: re.Match[str]) -> frozenset[str] | None:
    """The codes and slugs a suppression names, None when it names none (every rule)."""
    text = match.group("codes")
    if text is None:
        return None
    return frozenset(code.strip() for code in text.split(",") if code.strip())


def code_columns(line: str) -> Iterator[tuple[str, int, int]]:
    """Each code or slug written in a bracketed suppression on ``line``, with its columns."""
    for match in PATTERN.finditer(line):
        text = match.group("codes")
        if text is None:
            continue
        offset = match.start("codes")
        for code in _CODE.finditer(text):
            yield code.group(), offset + code.start(), offset + code.end()


def line_comment(code: str) -> str:
    """The comment that suppresses ``code`` on its line."""
    return f"# flash-ls: ignore[{code}]"
