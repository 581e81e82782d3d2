"""The parse cache: content hash -> FileFacts, in memory and (for the CLI) on disk.

On disk the cache is one pack file per cache directory: a pickled ``{content hash: pickled facts}``
dict, read with one ``open`` on the first lookup and rewritten (atomically, merged with what other
processes wrote meanwhile) by ``flush()`` only when this run parsed something new. Each entry stays
a separate pickle so a lookup unpickles only the facts it needs, not the whole pack.

Correctness rule: entries are keyed by the hash of the file's text and nothing else. The file is
always read (its text is part of the ``SourceFile``), so mtime/size/inode are never trusted and
there is no racy-timestamp window: an edit that keeps the size and restores the mtime still changes
the hash. The cache directory's tag covers the parser and this module, so facts written by another
parser or another serialization are never read.

Facts are slotted (mostly frozen) dataclasses; pickle's default path rebuilds them through
``dataclasses._dataclass_setstate``, which calls ``fields()`` per object. The pickler here reduces
each of them to ``(cls, field values)`` instead: unpickling is one constructor call per object.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import functools
import hashlib
import io
import logging
import os
import pickle
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flash_ls import __version__

if TYPE_CHECKING:  # the parser is imported on the first lookup: finding the cache needs none of it
    from flash_ls.parse import FileFacts

log = logging.getLogger(__name__)

PACK_NAME = "facts.pack"
# Rewriting the pack keeps every entry used or made by this run, plus older ones (other projects,
# earlier versions of files) while the pack stays under this size: every run reads it whole.
PACK_LIMIT_BYTES = 32 * 1024 * 1024
_LOAD_ERRORS = (
    OSError,
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
    TypeError,
    ValueError,
    IndexError,
)


class FactsCache:
    """Content-hash -> FileFacts, in memory and optionally on disk (one pack file, see the module)."""

    def __init__(self, directory: Path | None = None, memory_limit: int = 50_000) -> None:
        self.directory = directory
        self._memory: dict[str, FileFacts] = {}
        self._limit = memory_limit
        self._lock = threading.Lock()
        self._pack: dict[str, bytes] | None = None  # loaded on the first lookup
        self._pack_stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the pack we read
        self._used: set[str] = set()  # keys looked up in the pack by this run
        self._new: dict[str, bytes] = {}  # facts parsed by this run, not yet written

    def facts(self, text: str) -> FileFacts:
        """The facts ``parse_file(text)`` returns (full or light, decided from the text)."""
        return self._facts(text, None)

    def full_facts(self, text: str) -> FileFacts:
        """``parse_file(text, full=True)``: a light file that turned out to need full facts."""
        return self._facts(text, True)

    def _facts(self, text: str, full: bool | None) -> FileFacts:
        from flash_ls.parse import content_hash, parse_file

        text_hash = content_hash(text)
        key = text_hash if full is None else f"full:{text_hash}"
        with self._lock:
            found = self._memory.get(key)
        if found is not None:
            return found
        found = self._load(key)
        if found is None:
            found = parse_file(text, full=full, text_hash=text_hash)
            self._store(key, found)
        with self._lock:
            if len(self._memory) >= self._limit:
                self._memory.pop(next(iter(self._memory)))
            self._memory[key] = found
        return found

    # -- disk --------------------------------------------------------------------------------

    def _file(self) -> Path | None:
        return None if self.directory is None else self.directory / PACK_NAME

    def _load(self, key: str) -> FileFacts | None:
        if self.directory is None:
            return None
        with self._lock:
            if self._pack is None:
                self._pack, self._pack_stamp = _read_pack(self._file())
            blob = self._pack.get(key)
            if blob is None:
                return None
            self._used.add(key)
        try:
            found = pickle.loads(blob)
        except _LOAD_ERRORS:
            return None
        from flash_ls.parse import FileFacts

        return found if isinstance(found, FileFacts) else None

    def _store(self, key: str, facts: FileFacts) -> None:
        if self.directory is None:
            return
        try:
            blob = dumps(facts)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as err:
            log.debug("cannot serialise facts %s: %s", key, err)
            return
        with self._lock:
            self._new[key] = blob

    def flush(self) -> None:
        """Write what this run parsed (nothing to do after a warm run that parsed nothing)."""
        path = self._file()
        with self._lock:
            if path is None or not self._new:
                return
            old = self._pack if self._pack is not None else {}
            stamp = _stamp(path)
            if stamp is not None and stamp != self._pack_stamp:
                old = {**old, **_read_pack(path)[0]}  # another process wrote meanwhile: merge
            keep = {k: old[k] for k in self._used if k in old}
            keep.update(self._new)
            total = sum(len(blob) for blob in keep.values())
            for key, blob in old.items():
                if total + len(blob) > PACK_LIMIT_BYTES:
                    break
                if key not in keep:
                    keep[key] = blob
                    total += len(blob)
            if not write_pickle(path, keep):
                return
            self._pack, self._pack_stamp = keep, _stamp(path)
            self._used.update(self._new)
            self._new.clear()


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new one, never
    half of one (a temporary file beside it, unique per process and thread, then a rename).
    Raises ``OSError``; the temporary file never stays behind."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def write_cache_file(path: Path, data: bytes) -> bool:
    """:func:`replace_file` for a cache: False when it cannot be written (a read-only cache
    directory must not break a run)."""
    try:
        replace_file(path, data)
    except OSError as err:
        log.debug("cannot write the cache file %s: %s", path, err)
        return False
    return True


def write_pickle(path: Path, data: object) -> bool:
    """Pickle ``data`` to the cache file ``path`` (see :func:`write_cache_file`)."""
    return write_cache_file(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _read_pack(path: Path | None) -> tuple[dict[str, bytes], tuple[int, int] | None]:
    if path is None:
        return {}, None
    try:
        with path.open("rb") as handle:
            stamp = os.fstat(handle.fileno())
            pack = pickle.load(handle)
    except FileNotFoundError:
        return {}, None
    except _LOAD_ERRORS as err:
        log.debug("ignoring unreadable facts cache %s: %s", path, err)
        return {}, None
    if not isinstance(pack, dict):
        return {}, None
    return pack, (stamp.st_mtime_ns, stamp.st_size)


# -- serialization -----------------------------------------------------------------------------

_DISPATCH: dict[type, Callable[[Any], Any]] | None = None


def _reducer(cls: type) -> Callable[[Any], Any] | None:
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        return None  # cls(*values) would not rebuild it: pickle's default path
    names = tuple(f.name for f in fields)

    def reduce(obj: Any) -> tuple[type, tuple[Any, ...]]:
        return (cls, tuple([getattr(obj, name) for name in names]))

    return reduce


def _dispatch_table() -> dict[type, Callable[[Any], Any]]:
    global _DISPATCH
    if _DISPATCH is None:
        import flash_ls.parse.facts as facts_module
        import flash_ls.span as span_module

        table: dict[type, Callable[[Any], Any]] = dict(copyreg.dispatch_table)
        for module in (facts_module, span_module):
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and dataclasses.is_dataclass(value)
                    and value.__module__ == module.__name__
                ):
                    reduce = _reducer(value)
                    if reduce is not None:
                        table[value] = reduce
        _DISPATCH = table
    return _DISPATCH


def dumps(facts: FileFacts) -> bytes:
    """Pickle ``facts`` with one ``(cls, field values)`` reduction per facts object."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table()
    pickler.dump(facts)
    return buffer.getvalue()


# -- location ----------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/flash-ls/<version>`` (the cache format follows the tool version)."""
    base = os.environ.get("FLASH_LS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("FLASH_LS_CACHE_DIR"):
        root = root / "flash-ls"
    return root / _cache_tag()


@functools.cache
def _cache_tag() -> str:
    """Changes whenever the parser that produced cached facts (or their encoding) changes: the
    code, and the Python whose grammar decides what parses."""
    digest = hashlib.sha1(f"{__version__} {sys.implementation.cache_tag}".encode())
    here = Path(__file__)
    sources = [*sorted((here.parent.parent / "parse").glob("*.py")), here.parent.parent / "span.py"]
    for source in [*sources, here]:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]
