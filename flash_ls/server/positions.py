"""Every conversion between engine positions and LSP positions lives here.

The engine counts lines from 0 (split on ``\\n``) and columns in code points (``Span``). LSP counts
columns in the negotiated position encoding: UTF-16 code units by default, UTF-8 bytes or code
points (UTF-32) when the client offers them. A column past the end of its line is clamped to the
line's end (before a trailing ``\\r``), as ``fixes/apply.py`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from flash_ls.span import Span

UTF8 = types.PositionEncodingKind.Utf8.value
UTF16 = types.PositionEncodingKind.Utf16.value
UTF32 = types.PositionEncodingKind.Utf32.value
SUPPORTED_ENCODINGS = (UTF8, UTF16, UTF32)


def negotiate_encoding(offered: Sequence[str] | None) -> str:
    """The client's first offered encoding that the server supports; UTF-16 when none is offered."""
    for encoding in offered or ():
        value = getattr(encoding, "value", encoding)
        if value in SUPPORTED_ENCODINGS:
            return str(value)
    return UTF16


def _width(char: str, encoding: str) -> int:
    """Code units of one code point in ``encoding``."""
    code = ord(char)
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    if encoding == UTF8:
        if code < 0x80:
            return 1
        if code < 0x800:
            return 2
        return 3 if code < 0x10000 else 4
    return 1


def units_to_column(line: str, character: int, encoding: str) -> int:
    """An LSP ``character`` on ``line`` as a code-point column (clamped to the line)."""
    if encoding == UTF32 or line.isascii():
        return max(0, min(character, len(line)))
    consumed = 0
    for index, char in enumerate(line):
        if consumed >= character:
            return index
        consumed += _width(char, encoding)
        if consumed > character:
            return index  # inside a surrogate pair / multi-byte char: snap to its start
    return len(line)


def column_to_units(line: str, column: int, encoding: str) -> int:
    """A code-point column on ``line`` as an LSP ``character`` (clamped to the line)."""
    column = max(0, min(column, len(line)))
    if encoding == UTF32 or line.isascii():
        return column
    return sum(_width(char, encoding) for char in line[:column])


class LineIndex:
    """Positions of one text: engine (line, code-point column) <-> LSP ``Position``."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.encoding = encoding
        lines = text.split("\n")
        self.lines = [line[:-1] if line.endswith("\r") else line for line in lines]

    def line(self, number: int) -> str:
        if 0 <= number < len(self.lines):
            return self.lines[number]
        return ""

    def position(self, line: int, column: int) -> types.Position:
        """Engine point -> LSP position. A line past the end maps to the end of the text."""
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return types.Position(
                last, column_to_units(self.lines[last], len(self.lines[last]), self.encoding)
            )
        line = max(line, 0)
        return types.Position(line, column_to_units(self.lines[line], column, self.encoding))

    def range(self, span: Span) -> types.Range:
        """Engine ``Span`` -> LSP ``Range``."""
        return types.Range(
            self.position(span.start_line, span.start_col),
            self.position(span.end_line, span.end_col),
        )

    def point(self, position: types.Position) -> tuple[int, int]:
        """LSP position -> engine (line, code-point column)."""
        return position.line, units_to_column(
            self.line(position.line), position.character, self.encoding
        )

    def span(self, range_: types.Range) -> Span:
        """LSP ``Range`` -> engine ``Span``."""
        start = self.point(range_.start)
        end = self.point(range_.end)
        return Span(start[0], start[1], end[0], end[1])

    def end(self) -> types.Position:
        """The position just after the last character of the text."""
        return self.position(len(self.lines) - 1, len(self.lines[-1]))

    def whole(self) -> types.Range:
        """A range covering the entire text."""
        return types.Range(types.Position(0, 0), self.end())


def changed_span(old: str, new: str) -> tuple[Span, str] | None:
    """The smallest single replacement turning ``old`` into ``new``: (span in ``old``, new text).

    None when the texts are equal. The replaced range never splits a ``\r\n`` pair.
    """
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    if prefix > 0 and old[prefix - 1] == "\r":
        prefix -= 1
    end = len(old) - suffix
    if suffix > 0 and end > 0 and old[end - 1] == "\r" and old[end] == "\n":
        suffix -= 1
        end += 1
    start_line = old.count("\n", 0, prefix)
    start_col = prefix - (old.rfind("\n", 0, prefix) + 1)
    end_line = old.count("\n", 0, end)
    end_col = end - (old.rfind("\n", 0, end) + 1)
    return Span(start_line, start_col, end_line, end_col), new[prefix : len(new) - suffix]


def path_to_uri(path: Path) -> str:
    """A ``file://`` URI for an absolute path (as editors spell them)."""
    return path.absolute().as_uri()


def uri_to_path(uri: str) -> Path | None:
    """The local path of a ``file://`` URI; None for other schemes (``untitled:``)."""
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    found = to_fs_path(uri)
    return Path(found) if found else None
