"""Split a module into top-level statements cheaply, tolerant of broken code.

Each chunk is parsed (and cached) on its own, so an edit re-parses only the statement it touched and
a syntax error costs only its own statement. Chunks are contiguous: their texts concatenate to the
original text.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

# Characters ``str.splitlines`` breaks lines on but Python's tokenizer and editors do not.
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"

_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
_CLAUSE = re.compile(r"(else|elif|except|finally)\b")
# Column-0 lines that almost surely start a new statement even inside an unclosed bracket.
_RECOVERY = re.compile(r"(@|(async\s+)?def\s|class\s|import\s|from\s+\S+\s+import\b)")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _other_breaks(text: str) -> bool:
    # eight substring scans of a whole file cost less than one regex scan of it
    return any(char in text for char in _OTHER_BREAKS)


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
    if not _other_breaks(text):
        return text.splitlines(keepends=True)
    return _LINE.findall(text)


def line_texts(text: str) -> tuple[str, ...]:
    """The lines of ``split_lines`` without their ends (``str.splitlines()`` as Python counts
    lines): what a fact's line number indexes.

    The last few texts' splits are kept: in one check the engine, several rules and their fixes
    ask for the lines of the same file (the same ``str``, whose hash is computed once)."""
    if len(text) > _SHARED_LINES_CHARS:  # a huge file's lines must not stay alive
        return _line_texts(text)
    return _shared_line_texts(text)


_SHARED_LINES_CHARS = 1024 * 1024


def _line_texts(text: str) -> tuple[str, ...]:
    if not _other_breaks(text):
        return tuple(text.splitlines())
    return tuple(line.rstrip("\r\n") for line in _LINE.findall(text))


_shared_line_texts = functools.lru_cache(maxsize=8)(_line_texts)


def split_statements(text: str) -> tuple[list[Chunk], list[Comment]]:
    """Top-level statement chunks and every comment (outside strings) of ``text``.

    An edit of a file scanned recently (the same first or last line) rescans only from its first
    changed line until the scan is back in step with the old text's: the statements and comments
    before and after are the old ones, moved by the lines added or removed."""
    lines = split_lines(text)
    old = _previous_scan(lines)
    scan = _scan(lines, old)
    with _RECENT_LOCK:
        _RECENT.insert(0, scan)
        del _RECENT[_RECENT_KEPT:]
        while len(_RECENT) > 1 and sum(len(r.lines) for r in _RECENT) > _RECENT_LINES:
            _RECENT.pop()
    return list(scan.chunks), list(scan.comments)


# The state before a line: (depth, open string, backslash continuation, the chunk holds code,
# the chunk holds decorators so far). Equal states and equal lines scan the same.
_State = tuple[int, "str | None", bool, bool, bool]
_INITIAL: _State = (0, None, False, False, False)


@dataclass(frozen=True, slots=True)
class _Scanned:
    """One text's scan, kept to rescan the next version of the same file from its edit."""

    lines: list[str]
    states: list[_State]  # before each line
    starts: list[int]  # the first line of each chunk
    chunks: list[Chunk]
    comments: list[Comment]  # by line


_RECENT: list[_Scanned] = []  # most recent first
_RECENT_KEPT = 8  # files being edited at once
_RECENT_LINES = 400_000  # lines kept in all
_RECENT_LOCK = threading.Lock()


def _previous_scan(lines: list[str]) -> _Scanned | None:
    """The most recent scan with the same first and last lines as ``lines`` (else with one of
    them): in an editor, the file's previous version."""
    if not lines:
        return None
    with _RECENT_LOCK:
        recent = list(_RECENT)
    either = None
    for candidate in recent:
        old = candidate.lines
        if not old:
            continue
        first, last = old[0] == lines[0], old[-1] == lines[-1]
        if first and last:
            return candidate
        if either is None and (first or last):
            either = candidate
    return either


def _common_head(old: list[str], new: list[str]) -> int:
    """How many first lines are equal: a galloping search over slices (compared in C), whose
    cost grows with the answer."""
    limit = min(len(old), len(new))
    low, step = 0, 1  # old[:low] == new[:low]
    while low < limit:
        probe = min(limit, low + step)
        if old[low:probe] != new[low:probe]:
            return _last_true(low, probe - 1, lambda m: old[:m] == new[:m])
        low, step = probe, step * 2
    return low


def _common_tail(old: list[str], new: list[str], limit: int) -> int:
    """How many last lines are equal, at most ``limit``: galloping from ``limit`` down, since
    an edit usually leaves all but a few of the lines after it as they were."""
    if limit <= 0:
        return 0

    def same(count: int) -> bool:
        return count == 0 or old[len(old) - count :] == new[len(new) - count :]

    high, step = limit, 1  # the answer is at most high
    while not same(high):
        low = max(0, high - step)
        if same(low):
            return _last_true(low, high - 1, same)
        high, step = low, step * 2
    return high


def _last_true(low: int, high: int, holds: Callable[[int], bool]) -> int:
    """The largest ``m`` in ``[low, high]`` for which ``holds`` (true at ``low``, monotone)."""
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _scan(lines: list[str], old: _Scanned | None) -> _Scanned:
    """Scan ``lines``, reusing ``old`` (an earlier version of the text) where it still holds."""
    n = len(lines)
    head = tail = 0
    if old is not None:
        # The state after the old text's last line is not kept: that line is scanned again.
        head = min(_common_head(old.lines, lines), len(old.lines) - 1)
        tail = _common_tail(old.lines, lines, min(len(old.lines), n) - head)
    delta = n - len(old.lines) if old is not None else 0
    # The old text's scan up to its first changed line is this text's.
    if old is not None and head:
        keep = bisect.bisect_left(old.starts, head)  # chunks starting before the change
        states = old.states[:head]
        starts = old.starts[:keep]
        comments = old.comments[: bisect.bisect_left(old.comments, head, key=_comment_line)]
        packed = old.states[head]
    else:
        states, starts, comments, packed = [], [], [], _INITIAL
    depth, string, continued, started, in_decorators = packed
    state = _ScanState(depth, string, continued)
    resume = n - tail  # from here on, this text's lines are the old text's last lines
    number = head
    joined = False
    while number < n:
        if old is not None and number >= resume:
            packed = (state.depth, state.string, state.continued, started, in_decorators)
            if packed == old.states[number - delta]:
                joined = True
                break
        states.append((state.depth, state.string, state.continued, started, in_decorators))
        line = lines[number]
        # Python ignores a byte order mark, and indentation restarts after a form feed.
        head_text = line.lstrip("\ufeff\f") if line[:1] in ("\ufeff", "\f") else line
        first = head_text[:1]
        code_at_column_0 = bool(first) and not first.isspace() and first != "#"
        if code_at_column_0 and (
            state.clean or (state.string is None and _RECOVERY.match(head_text) is not None)
        ):
            clause = _CLAUSE.match(head_text)
            if started and not clause and not in_decorators:
                starts.append(number)
            if not clause:
                # Decorators stay in one chunk with the def/class they decorate.
                in_decorators = head_text.startswith("@")
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
        number += 1
    if joined and old is not None:
        # Back in step at ``number``: the rest is the old scan's, ``delta`` lines further.
        at = number - delta
        states.extend(old.states[at:])
        later = bisect.bisect_left(old.starts, max(at, 1))  # the first chunk's 0 is no break
        starts.extend(start + delta for start in old.starts[later:])
        moved = old.comments[bisect.bisect_left(old.comments, at, key=_comment_line) :]
        comments.extend(c if not delta else Comment(c.line + delta, c.col, c.text) for c in moved)
    if lines and (not starts or starts[0] != 0):
        starts.insert(0, 0)
    return _Scanned(
        lines, states, starts, _chunks(lines, starts, old, head, number, delta), comments
    )


def _comment_line(comment: Comment) -> int:
    return comment.line


def _chunks(
    lines: list[str], starts: list[int], old: _Scanned | None, head: int, joined_at: int, delta: int
) -> list[Chunk]:
    """The chunks between ``starts``; those the edit did not touch are the old ones."""
    n = len(lines)
    previous: dict[int, tuple[Chunk, int]] = {}  # start -> (chunk, end), of the old text
    if old is not None:
        ends = [*old.starts[1:], len(old.lines)]
        previous = {
            start: (chunk, end)
            for start, chunk, end in zip(old.starts, old.chunks, ends, strict=True)
        }
    chunks = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else n
        same: Chunk | None = None
        if end <= head:  # lines before the first changed one
            known = previous.get(start)
            same = known[0] if known is not None and known[1] == end else None
        elif start >= joined_at:  # lines after the scan came back in step
            known = previous.get(start - delta)
            if known is not None and known[1] == end - delta:
                same = known[0] if not delta else Chunk(start, known[0].text)
        chunks.append(same if same is not None else Chunk(start, "".join(lines[start:end])))
    return chunks


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
