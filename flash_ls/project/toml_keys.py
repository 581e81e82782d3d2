"""Where each key of a TOML document is written: tomllib gives values, never positions.

A small scanner over text that tomllib has already accepted: it follows table headers
(``[tool.flash-ls.severity]``), dotted keys (``tool.flash-ls.ignore = ...``) and inline tables
(``severity = { FL301 = "x" }``), skips strings, arrays and comments, and records the span of
every key it defines. Keys inside arrays (``[{ a = 1 }]``) are not recorded: no configuration
problem names one.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from flash_ls.span import Span

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = " \t\r"
_SCALAR_END = ",]}\n#"

KeyPath = tuple[str, ...]


def key_spans(text: str) -> dict[KeyPath, Span]:
    """Every key path defined in ``text`` -> the span of its last part, where first written."""
    return _Scanner(text).run()


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a document's keys, values and table headers are written."""

    keys: dict[KeyPath, Span]
    """As :func:`key_spans`."""
    values: dict[KeyPath, Span]
    """Key path of a ``key = value`` pair -> the span of its value (arrays and inline tables
    whole, strings with their quotes)."""
    headers: dict[KeyPath, int]
    """Table path of a ``[table]`` header -> its line."""


def layout(text: str) -> Layout:
    """The :class:`Layout` of ``text`` (valid TOML)."""
    scanner = _Scanner(text)
    keys = scanner.run()
    return Layout(keys, scanner.values, scanner.headers)


def locate(spans: dict[KeyPath, Span], path: Sequence[str]) -> Span | None:
    """The span of ``path``, else of its longest defined prefix; None when no part is defined."""
    for length in range(len(path), 0, -1):
        found = spans.get(tuple(path[:length]))
        if found is not None:
            return found
    return None


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 0
        self.line_start = 0
        self.found: dict[KeyPath, Span] = {}
        self.values: dict[KeyPath, Span] = {}
        self.headers: dict[KeyPath, int] = {}

    # -- moving through the text ---------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        newlines = self.text.count("\n", self.pos, end)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.pos, end) + 1
        self.pos = end

    def skip_spaces(self) -> None:
        while self.peek() and self.peek() in _BLANK:
            self.advance()

    def skip_blank(self) -> None:
        """Spaces, newlines and comments."""
        while self.peek():
            if self.peek() in _BLANK or self.peek() == "\n":
                self.advance()
            elif self.peek() == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    # -- the document --------------------------------------------------------------------------

    def run(self) -> dict[KeyPath, Span]:
        table: KeyPath = ()
        while True:
            self.skip_blank()
            if not self.peek():
                return self.found
            if self.peek() == "[":
                line = self.line
                self.advance(2 if self.peek(1) == "[" else 1)
                table = self.key((), record=True)
                self.headers.setdefault(table, line)
                self.skip_spaces()
                while self.peek() == "]":
                    self.advance()
            else:
                self.pair(table, record=True)

    def pair(self, prefix: KeyPath, *, record: bool) -> None:
        path = self.key(prefix, record=record)
        self.skip_spaces()
        if self.peek() == "=":
            self.advance()
        self.skip_spaces()
        line, start = self.line, self.pos - self.line_start
        self.value(path, record=record)
        if record:
            end = self.pos - self.line_start
            self.values.setdefault(path, Span(line, start, self.line, end))

    def key(self, prefix: KeyPath, *, record: bool) -> KeyPath:
        """A dotted key; records each of its prefixes (``a.b.c`` defines ``a`` and ``a.b``)."""
        path = prefix
        while True:
            self.skip_spaces()
            line, start = self.line, self.pos - self.line_start
            path = (*path, self.key_part())
            if record:
                self.found.setdefault(path, Span(line, start, line, self.pos - self.line_start))
            self.skip_spaces()
            if self.peek() != ".":
                return path
            self.advance()

    def key_part(self) -> str:
        quote = self.peek()
        if quote in ('"', "'"):
            start = self.pos
            self.string()
            # The text is valid TOML: let tomllib decode the quoted key's escapes.
            return str(tomllib.loads(f"k = {self.text[start : self.pos]}")["k"])
        match = _BARE_KEY.match(self.text, self.pos)
        if match is None:
            self.advance()  # cannot happen in valid TOML; never loop on it
            return ""
        self.advance(match.end() - self.pos)
        return match.group()

    def value(self, path: KeyPath, *, record: bool) -> None:
        first = self.peek()
        if first == "{":
            self.advance()
            self.items(path, "}", record=record)
        elif first == "[":
            self.advance()
            self.items(path, "]", record=False)
        elif first in ('"', "'"):
            self.string()
        else:
            while self.peek() and self.peek() not in _SCALAR_END:
                self.advance()

    def items(self, path: KeyPath, close: str, *, record: bool) -> None:
        """The entries of an inline table (``close`` is ``}``) or an array (``]``)."""
        while True:
            self.skip_blank()
            current = self.peek()
            if not current or current == close:
                self.advance()
                return
            if current == ",":
                self.advance()
            elif close == "}":
                self.pair(path, record=record)
            else:
                self.value(path, record=False)

    def string(self) -> None:
        quote = self.peek()
        delimiter = quote * 3 if self.text.startswith(quote * 3, self.pos) else quote
        self.advance(len(delimiter))
        while self.peek():
            if quote == '"' and self.peek() == "\\":
                self.advance(2)
            elif self.text.startswith(delimiter, self.pos):
                self.advance(len(delimiter))
                if len(delimiter) == 3:
                    while self.peek() == quote:  # up to two quotes may end the content
                        self.advance()
                return
            else:
                self.advance()
