"""The parse cache: content hash -> FileFacts, in memory and (for the CLI) on disk."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
from pathlib import Path

from flash_ls import __version__
from flash_ls.parse import FileFacts, content_hash, parse_file

log = logging.getLogger(__name__)


class FactsCache:
    """Content-hash -> FileFacts, in memory and optionally on disk (one pickle per hash)."""

    def __init__(self, directory: Path | None = None, memory_limit: int = 50_000) -> None:
        self.directory = directory
        self._memory: dict[str, FileFacts] = {}
        self._limit = memory_limit
        self._lock = threading.Lock()

    def facts(self, text: str) -> FileFacts:
        key = content_hash(text)
        with self._lock:
            found = self._memory.get(key)
        if found is not None:
            return found
        found = self._load(key)
        if found is None:
            found = parse_file(text)
            self._store(key, found)
        with self._lock:
            if len(self._memory) >= self._limit:
                self._memory.pop(next(iter(self._memory)))
            self._memory[key] = found
        return found

    def _file(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / key[:2] / f"{key}.pickle"

    def _load(self, key: str) -> FileFacts | None:
        path = self._file(key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                found = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            return None
        return found if isinstance(found, FileFacts) else None

    def _store(self, key: str, facts: FileFacts) -> None:
        path = self._file(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError as err:  # a read-only cache directory must not break checking
            log.debug("cannot write facts cache %s: %s", path, err)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/flash-ls/<version>`` (the cache format follows the tool version)."""
    base = os.environ.get("FLASH_LS_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("FLASH_LS_CACHE_DIR"):
        root = root / "flash-ls"
    return root / _cache_tag()


def _cache_tag() -> str:
    """Changes whenever the parser that produced cached facts changes, not only on releases."""
    digest = hashlib.sha1(__version__.encode())
    for source in sorted((Path(__file__).parent.parent / "parse").glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]
