"""Split a module into top-level statements cheaply, tolerant of broken code.

Each chunk is parsed (and cached) on its own, so an edit re-parses only the statement it touched and
a syntax error costs only its own statement. Chunks are contiguous: their texts concatenate to the
original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters ``str.splitlines`` breaks lines on but Python's tokenizer and editors do not.
_OTHER_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_CLAUSE = re.compile(r"(else|elif|except|finally)\b")
# Column-0 lines that almost surely start a new statement even inside an unclosed bracket.
_RECOVERY = re.compile(r"(@|(async\s+)?def\s|class\s|import\s|from\s+\S+\s+import\b)")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


# (line text, depth, open string) -> state after the line and its comments: an edited file is
# rescanned with dictionary lookups for every line but the edited ones.
_LineScan = tuple[int, "str | None", bool, list[tuple[int, str]]]
_LINES: dict[tuple[str, int, str | None], _LineScan] = {}
_LINE_CACHE_SIZE = 30_000
_LINE_CACHE_CHARS = 4 * 1024 * 1024  # a few huge lines must not keep gigabytes alive
_line_chars = 0  # of the cached lines


@dataclass(frozen=True, slots=True)
class Chunk:
    start_line: int
    text: str


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    col: int
    text: str


@dataclass(slots=True)
class _ScanState:
    depth: int = 0
    string: str | None = None  # the open delimiter: ''' """ ' "
    continued: bool = False  # backslash at the end of the previous line

    @property
    def clean(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued


def split_lines(text: str) -> list[str]:
    """Lines with their ends, broken only at ``\\n``, ``\\r\\n`` and ``\\r`` (as Python and editors count
    lines; ``str.splitlines`` also breaks at form feeds and other separators)."""
    if _OTHER_BREAKS.search(text) is None:
        return text.splitlines(keepends=True)
    return _LINE.findall(text)


def line_texts(text: str) -> list[str]:
    """The lines of ``split_lines`` without their ends (``str.splitlines()`` as Python counts
    lines): what a fact's line number indexes."""
    if _OTHER_BREAKS.search(text) is None:
        return text.splitlines()
    return [line.rstrip("\r\n") for line in _LINE.findall(text)]


def split_statements(text: str) -> tuple[list[Chunk], list[Comment]]:
    """Top-level statement chunks and every comment (outside strings) of ``text``."""
    lines = split_lines(text)
    chunks: list[Chunk] = []
    comments: list[Comment] = []
    state = _ScanState()
    start = 0
    started = False  # the current chunk holds a line of code
    in_decorators = False
    for number, line in enumerate(lines):
        # Python ignores a byte order mark, and indentation restarts after a form feed.
        head = line.lstrip("\ufeff\f") if line[:1] in ("\ufeff", "\f") else line
        first = head[:1]
        code_at_column_0 = bool(first) and not first.isspace() and first != "#"
        if code_at_column_0 and (
            state.clean or (state.string is None and _RECOVERY.match(head) is not None)
        ):
            clause = _CLAUSE.match(head)
            if started and not clause and not in_decorators:
                chunks.append(Chunk(start, "".join(lines[start:number])))
                start = number
            if not clause:
                # Decorators stay in one chunk with the def/class they decorate.
                in_decorators = head.startswith("@")
            started = True
            state = _ScanState()
        key = (line, state.depth, state.string)
        scanned = _LINES.get(key)
        if scanned is None:
            found: list[Comment] = []
            _scan_line(line, number, state, found)
            scanned = (state.depth, state.string, state.continued, [(c.col, c.text) for c in found])
            _remember(key, scanned)
        else:
            state.depth, state.string, state.continued = scanned[0], scanned[1], scanned[2]
        for col, comment in scanned[3]:
            comments.append(Comment(number, col, comment))
    if lines:
        chunks.append(Chunk(start, "".join(lines[start:])))
    return chunks, comments


def _remember(key: tuple[str, int, str | None], scanned: _LineScan) -> None:
    global _line_chars
    if len(_LINES) >= _LINE_CACHE_SIZE or _line_chars + len(key[0]) > _LINE_CACHE_CHARS:
        _LINES.clear()
        _line_chars = 0
    _LINES[key] = scanned
    _line_chars += len(key[0])


# Characters that change the scanner's state; everything between them is skipped in C.
_SPECIAL = re.compile(r"[#\"'\\()\[\]{}]")
_LINE_END = ("\n", "\r", "")


def _scan_line(line: str, number: int, state: _ScanState, comments: list[Comment]) -> None:
    i = 0
    n = len(line)
    state.continued = False
    search = _SPECIAL.search
    while i < n:
        delim = state.string
        if delim is not None:
            close = line.find(delim, i)
            escape = line.find("\\", i, close if close != -1 else n)
            if escape != -1:
                if line[escape + 1 : escape + 2] in _LINE_END:
                    state.continued = True
                i = escape + 2
                continue
            if close == -1:
                break
            state.string = None
            i = close + len(delim)
            continue
        found = search(line, i)
        if found is None:
            break
        i = found.start()
        c = line[i]
        if c == "#":
            comments.append(Comment(number, i, line[i:].rstrip("\r\n")))
            return
        if c == '"' or c == "'":
            triple = line[i : i + 3]
            if triple == '"""' or triple == "'''":
                state.string = triple
                i += 3
            else:
                state.string = c
                i += 1
            continue
        if c in "([{":
            state.depth += 1
        elif c in _CLOSERS:
            state.depth = max(0, state.depth - 1)
        elif c == "\\" and line[i + 1 : i + 2] in _LINE_END:
            state.continued = True
        i += 1
    if state.string in ('"', "'") and not state.continued:
        # An unterminated one-line string ends at the line end (a syntax error of its statement).
        state.string = None
