"""Parse one file into ``FileFacts``: a pure function of its text, cached per top-level statement."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import re
import threading
import warnings
from collections import OrderedDict
from typing import Any, TypeVar

from flash_ls.parse.extract import ChunkFacts, extract_chunk
from flash_ls.parse.facts import FileFacts, Suppression, SyntaxProblem
from flash_ls.parse.split import Chunk, Comment, split_statements
from flash_ls.span import Span

__all__ = ["FileFacts", "clear_cache", "is_flash_relevant", "parse_file"]

SDK_MODULE = "runpod_flash"
_SUPPRESS = re.compile(r"#\s*flash-ls:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[^\]]*)\])?", re.I)
_CHUNK_CACHE_SIZE = 20_000
_T = TypeVar("_T")


class _ChunkCache:
    """LRU of chunk text -> facts; shared by every file (identical statements parse once)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, ChunkFacts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> ChunkFacts:
        with self._lock:
            found = self._data.get(text)
            if found is not None:
                self._data.move_to_end(text)
                return found
        facts = extract_chunk(text)
        with self._lock:
            self._data[text] = facts
            if len(self._data) > self._size:
                self._data.popitem(last=False)
        return facts

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _ChunkCache(_CHUNK_CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached statement parse (tests and memory pressure)."""
    _CACHE.clear()


def is_flash_relevant(text: str) -> bool:
    """Cheap prefilter: can this file declare or use an endpoint at all?

    A file that mentions neither the SDK nor decorators cannot declare endpoints; only its imports
    matter (for cross-file rules), so only import statements are parsed.
    """
    return SDK_MODULE in text or "@" in text or "Endpoint" in text


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_file(text: str) -> FileFacts:
    """Facts of one file. Never raises: unparseable statements become syntax problems."""
    chunks, comments = split_statements(text)
    relevant = is_flash_relevant(text)
    facts = FileFacts(
        text_hash=content_hash(text),
        line_count=text.count("\n") + 1,
        mentions_flash=SDK_MODULE in text,
        fully_parsed=relevant,
    )
    for chunk in chunks:
        if not relevant and not _may_import(chunk):
            continue
        _merge(facts, _CACHE.get(chunk.text), chunk)
    if not relevant and not facts.syntax_errors:
        # Prefiltered statements were never parsed, but the build imports this file too.
        _check_syntax(facts, text)
    _read_suppressions(facts, comments)
    return facts


def _check_syntax(facts: FileFacts, text: str) -> None:
    """Record the first syntax error of a file with ``ast`` (much cheaper than libcst)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as err:
        line = max((err.lineno or 1) - 1, 0)
        col = max((err.offset or 1) - 1, 0)
        facts.syntax_errors.append(
            SyntaxProblem(Span(line, col, line, col + 1), err.msg or "invalid syntax")
        )
    except (RecursionError, MemoryError, ValueError) as err:
        facts.syntax_errors.append(SyntaxProblem(Span(0, 0, 0, 1), f"cannot parse: {err}"))


# ``NAME = ...`` / ``NAME: T = ...`` at module level: constants other files may import.
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*\s*(?::[^=\n]*)?=(?!=)")


def _may_import(chunk: Chunk) -> bool:
    """Statements of a prefiltered file still worth parsing: imports and module constants."""
    return "import" in chunk.text or _ASSIGNMENT.match(chunk.text) is not None


def _merge(facts: FileFacts, chunk_facts: ChunkFacts, chunk: Chunk) -> None:
    shift = chunk.start_line
    for imp in chunk_facts.imports:
        facts.imports.append(_shifted(imp, shift))
    for binding in chunk_facts.bindings:
        facts.bindings.setdefault(binding.name, []).append(_shifted(binding, shift))
    for definition in chunk_facts.definitions:
        facts.definitions.append(_shifted(definition, shift))
    for call in chunk_facts.module_calls:
        facts.module_calls.append(_shifted(call, shift))
    for problem in chunk_facts.syntax_errors:
        facts.syntax_errors.append(_shifted(problem, shift))


def _shifted(value: _T, lines: int) -> _T:
    """A copy of a facts object with every Span moved down by ``lines`` (cached facts stay intact)."""
    if lines == 0:
        return value
    shifted: _T = _shift(value, lines)
    return shifted


def _shift(value: Any, lines: int) -> Any:
    if isinstance(value, Span):
        return value.shifted(lines)
    if isinstance(value, (str, int, float, bool, bytes)) or value is None:
        return value
    if isinstance(value, tuple):
        return tuple(_shift(v, lines) for v in value)
    if isinstance(value, list):
        return [_shift(v, lines) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _shift(getattr(value, f.name), lines) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _read_suppressions(facts: FileFacts, comments: list[Comment]) -> None:
    for comment in comments:
        match = _SUPPRESS.search(comment.text)
        if match is None:
            continue
        codes_text = match.group("codes")
        codes = None
        if codes_text is not None:
            codes = frozenset(c.strip() for c in codes_text.split(",") if c.strip())
        span = Span(comment.line, comment.col, comment.line, comment.col + len(comment.text))
        suppression = Suppression(comment.line, codes, span)
        if match.group("file"):
            facts.file_suppressions.append(suppression)
        else:
            facts.suppressions[comment.line] = suppression
