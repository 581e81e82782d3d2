"""Parse one file into ``FileFacts``: a pure function of its text, cached per top-level statement."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from flash_ls import suppression
from flash_ls.parse.extract import ChunkFacts, extract_full, extract_light
from flash_ls.parse.facts import FileFacts, Suppression
from flash_ls.parse.shift import shift_chunk
from flash_ls.parse.split import Comment, split_statements
from flash_ls.platform import APP_API_MODULE, APP_CLASS, SDK_MODULE
from flash_ls.span import Span

__all__ = ["FileFacts", "clear_cache", "is_app_api_relevant", "is_flash_relevant", "parse_file"]

_CHUNK_CACHE_SIZE = 20_000
# The caches are bounded by the size of their statements too: facts take tens of bytes per
# character of their statement (20 for code, 50 for a list of strings), and an editor makes a new
# version of a statement per keystroke (a 1 MB statement edited 30 times kept 1.5 GB alive).
_CHUNK_CACHE_CHARS = 4 * 1024 * 1024


class _ChunkCache:
    """LRU of chunk text -> (start line, facts at that line); shared by every file.

    Facts are extracted where the chunk starts and stored where they were last used, so
    re-assembling a file whose statements did not move (an edit that keeps the line count) copies
    nothing; a moved statement is shifted once.
    """

    def __init__(
        self, size: int, extract: Callable[[str, int], ChunkFacts], chars: int = _CHUNK_CACHE_CHARS
    ) -> None:
        self._size = size
        self._max_chars = chars
        self._chars = 0  # of the cached statements
        self._extract = extract
        self._data: OrderedDict[str, tuple[int, ChunkFacts]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str, line: int) -> ChunkFacts:
        with self._lock:
            found = self._data.get(text)
            if found is not None:
                self._data.move_to_end(text)
        if found is not None:
            at, facts = found
            if at == line:
                return facts
            facts = shift_chunk(facts, line - at)
        else:
            facts = self._extract(text, line)
        with self._lock:
            if text not in self._data:
                self._chars += len(text)
            self._data[text] = (line, facts)
            while len(self._data) > self._size or (
                self._chars > self._max_chars and len(self._data) > 1
            ):
                old, _ = self._data.popitem(last=False)
                self._chars -= len(old)
        return facts

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._chars = 0


_FULL = _ChunkCache(_CHUNK_CACHE_SIZE, extract_full)
_LIGHT = _ChunkCache(_CHUNK_CACHE_SIZE, extract_light)


def clear_cache() -> None:
    """Forget every cached statement parse (tests and memory pressure)."""
    _FULL.clear()
    _LIGHT.clear()


def is_flash_relevant(text: str) -> bool:
    """Text-only prefilter: does this file mention the SDK (so it needs every fact)?

    A file that does not can still declare routes on an endpoint imported from another app module
    (``from common import api`` + ``@api.post``); the workspace decides that across files and asks
    for full facts with ``parse_file(text, full=True)``.
    """
    return SDK_MODULE in text


# ``import runpod`` / ``from runpod(.apps) import ...``; ``\b`` keeps ``runpod_flash`` out. The
# module name is searched alone (a literal: a fast scan), the keyword before it then checked:
# ``\b(?:import|from)[ \t]+runpod\b`` as one pattern tries every position of the file.
_APP_API_NAME = re.compile(rf"{re.escape(APP_API_MODULE)}\b")
_IMPORT_KEYWORD = re.compile(r"\b(?:import|from)\Z")


def is_app_api_relevant(text: str) -> bool:
    """Text-only prefilter of the app API: does this file import ``runpod`` and name ``App``?

    Such a file gets every fact, as a Flash file does; a file that only imports an app from
    another module (``from main import app`` + ``@app.queue``) gets them from the workspace. A
    legacy worker (``import runpod`` for ``runpod.serverless``) names no ``App`` and stays light.
    """
    return APP_CLASS in text and _imports_app_api(text)


def _imports_app_api(text: str) -> bool:
    for match in _APP_API_NAME.finditer(text):
        end = match.start()
        while end > 0 and text[end - 1] in " \t":
            end -= 1
        if end < match.start() and _IMPORT_KEYWORD.search(text, max(0, end - 7), end):
            return True
    return False


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def parse_file(text: str, *, full: bool | None = None, text_hash: str | None = None) -> FileFacts:
    """Facts of one file. Never raises: unparseable statements become syntax problems.

    ``full=None`` decides from the text alone (``is_flash_relevant``). Light facts
    (``fully_parsed=False``) hold only module-level imports, assignments and bare calls, read from
    the statements that can hold them; other statements are not parsed. ``text_hash``: the
    text's ``content_hash``, when the caller has it already.
    """
    mentions_flash = SDK_MODULE in text
    mentions_app_api = is_app_api_relevant(text)
    if full is None:
        full = mentions_flash or mentions_app_api
    chunks, comments = split_statements(text)
    facts = FileFacts(
        text_hash=text_hash if text_hash is not None else content_hash(text),
        line_count=_line_count(text),
        mentions_flash=mentions_flash,
        fully_parsed=full,
        mentions_app_api=mentions_app_api,
    )
    cache = _FULL if full else _LIGHT
    for chunk in chunks:
        if not full and not _may_import(chunk.text):
            continue
        _merge(facts, cache.get(chunk.text, chunk.start_line))
    _read_suppressions(facts, comments)
    return facts


def _line_count(text: str) -> int:
    """Lines as Python counts them: ends are ``\\n``, ``\\r\\n`` and ``\\r``."""
    if "\r" not in text:
        return text.count("\n") + 1
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


# ``NAME = ...`` / ``NAME: T = ...`` at module level: constants other files may import.
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*\s*(?::[^=\n]*)?=(?!=)")
# Leading blank/comment lines, then a definition: never holds module-level imports or constants.
_DEFINITION = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*(?:@|def\b|class\b|async\s+def\b)")


def _may_import(text: str) -> bool:
    """Statements of a light file worth parsing: imports, module constants (not definitions)."""
    if "import" in text:
        return _DEFINITION.match(text) is None
    return _ASSIGNMENT.match(text) is not None


def _merge(facts: FileFacts, chunk_facts: ChunkFacts) -> None:
    facts.imports.extend(chunk_facts.imports)
    bindings = facts.bindings
    for binding in chunk_facts.bindings:
        found = bindings.get(binding.name)
        if found is None:
            bindings[binding.name] = [binding]
        else:
            found.append(binding)
    facts.definitions.extend(chunk_facts.definitions)
    facts.module_calls.extend(chunk_facts.module_calls)
    facts.syntax_errors.extend(chunk_facts.syntax_errors)


def _read_suppressions(facts: FileFacts, comments: list[Comment]) -> None:
    for comment in comments:
        match = suppression.find(comment.text)
        if match is None:
            continue
        span = Span(comment.line, comment.col, comment.line, comment.col + len(comment.text))
        found = Suppression(comment.line, suppression.codes(match), span)
        if match.group("file"):
            facts.file_suppressions.append(found)
        else:
            facts.suppressions[comment.line] = found
