"""The project files `flash build` ships, with their sizes (``stat``, never read).

The walk follows the official ignore rules (:mod:`flash_ls.project.ignore`), is cached per app
root and ignore rules in memory (redone when a walked directory's mtime changes, or after
:data:`_FILES_CACHE_SECONDS` for files rewritten in place) and on disk (a later process reuses a
listing while no walked directory changed), and an ``App`` object's listing is computed once: the
rules of one check (FL401-FL403, ``--verbose``) share it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flash_ls.project.app import App
from flash_ls.project.cache import default_cache_dir, write_pickle
from flash_ls.project.ignore import iter_shipped_files

_T = TypeVar("_T")
_LOCK = threading.RLock()
_FILES_CACHE_SECONDS = 30.0  # a file rewritten in place keeps its directory's mtime


# ---------------------------------------------------------------------------------------------
# Shipped project files


@dataclass(frozen=True, slots=True)
class ShippedFile:
    """A project file `flash build` copies into the artifact."""

    rel: str
    path: Path
    bytes: int


@dataclass(slots=True)
class _FilesEntry:
    dirs: dict[Path, int]  # walked directory -> mtime_ns when walked
    files: tuple[ShippedFile, ...]  # sorted by rel
    walked_at: float
    positions: dict[str, int] = field(default_factory=dict)  # rel -> index in files


_FILES_CACHE: dict[tuple[Path, tuple[str, ...]], _FilesEntry] = {}
# The last App of each root and its listing: the rules of one check (FL401-FL403, --verbose)
# share one listing instead of validating the walk again.
_SHIPPED: dict[Path, tuple[App, list[ShippedFile]]] = {}
_ROOTS_KEPT = 256  # apps remembered by root (the last App of each)


def remember_last(store: dict[Path, _T], root: Path, value: _T) -> None:
    """``store[root] = value``, most recent last, forgetting the oldest roots beyond a bound."""
    store.pop(root, None)
    store[root] = value
    while len(store) > _ROOTS_KEPT:
        del store[next(iter(store))]


def shipped_files(app: App) -> list[ShippedFile]:
    """Every file the build ships, sorted by path, with its size.

    Sizes come from ``stat``; an open editor buffer of a ``.py`` file counts with its current size.
    The walk is cached per app root and ignore rules, and redone when a directory's mtime changes
    (or after :data:`_FILES_CACHE_SECONDS`, for files rewritten in place). The listing of an
    ``App`` object is computed once (an edit builds a new App).
    """
    with _LOCK:
        known = _SHIPPED.get(app.root)
    if known is not None and known[0] is app:
        return list(known[1])
    key = (app.root, app.ignore.patterns)
    with _LOCK:
        entry = _FILES_CACHE.get(key)
    if entry is None or not _still_valid(entry):
        entry = _walk_files(app)
        with _LOCK:
            _FILES_CACHE[key] = entry
    files = _with_buffers(entry, app)
    with _LOCK:
        remember_last(_SHIPPED, app.root, (app, files))
    return list(files)


def _with_buffers(entry: _FilesEntry, app: App) -> list[ShippedFile]:
    """The walked files with the app's ``.py`` sources (editor buffers) at their current size."""
    changed: list[ShippedFile] = []
    for source in app.files.values():
        if not source.shipped or source.text is None:
            continue
        position = entry.positions.get(source.rel)
        if position is not None:
            walked = entry.files[position]
            if walked.bytes == source.size and walked.path == source.path:
                continue
        changed.append(ShippedFile(source.rel, source.path, source.size))
    if not changed:
        return list(entry.files)
    by_rel = {f.rel: f for f in entry.files}
    for shipped in changed:
        by_rel[shipped.rel] = shipped
    return [by_rel[rel] for rel in sorted(by_rel)]


def _still_valid(entry: _FilesEntry) -> bool:
    if time.monotonic() - entry.walked_at > _FILES_CACHE_SECONDS:
        return False
    for directory, mtime in entry.dirs.items():
        try:
            if directory.stat().st_mtime_ns != mtime:
                return False
        except OSError:
            return False
    return True


def _walk_files(app: App) -> _FilesEntry:
    """The shipped files of ``app`` with their sizes (``stat`` now), listed by a walk or, when no
    walked directory changed since a previous process walked the same tree, from the disk cache."""
    started = time.monotonic()
    listed = _load_listing(app)
    if listed is None:
        listed = _list_shipped(app)
    dirs, rels = listed
    by_rel: dict[str, ShippedFile] = {}
    root = app.root
    for rel in rels:
        path = root / rel
        try:
            size = os.stat(path).st_size
        except OSError:
            continue
        by_rel[rel] = ShippedFile(rel, path, size)
    files = tuple(by_rel[rel] for rel in sorted(by_rel))
    positions = {f.rel: i for i, f in enumerate(files)}
    return _FilesEntry({Path(d): m for d, m in dirs.items()}, files, started, positions)


_LISTING_VERSION = 1
# A directory modified this close to the walk may change again within the same timestamp tick
# (git's "racy" case): such a listing is not written to disk.
_RACY_NS = 2_000_000_000


def _list_shipped(app: App) -> tuple[dict[str, int], list[str]]:
    """Walk like :func:`iter_shipped_files`, also recording every walked directory's mtime.

    Plain trees are walked here (stat before scan, so a later change always shows in the mtime);
    a tree with a symlink or an unreadable directory falls back to ``iter_shipped_files`` (the
    reference walk, which guards loops and escapes) and is not cached on disk.
    """
    wall = time.time_ns()
    root = str(app.root)
    check = app.ignore._check
    dirs: dict[str, int] = {}
    rels: list[str] = []
    stack: list[tuple[str, str]] = [(root, "")]
    plain = True
    while stack and plain:
        directory, rel_dir = stack.pop()
        try:
            dirs[directory] = os.stat(directory).st_mtime_ns
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            plain = False
            break
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if check(rel) is not None:
                continue
            try:
                if entry.is_symlink():
                    plain = False
                    break
                if entry.is_file():
                    rels.append(rel)
                elif entry.is_dir():
                    stack.append((entry.path, rel))
            except OSError:
                plain = False
                break
    if not plain:
        reference = [
            p.relative_to(app.root).as_posix() for p in iter_shipped_files(app.root, app.ignore)
        ]
        return {root: _mtime(root)}, reference
    rels.sort()
    if all(m < wall - _RACY_NS for m in dirs.values()):
        _save_listing(app, dirs, rels)
    return dirs, rels


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _listing_file(app: App) -> Path:
    key = hashlib.sha1("\0".join((str(app.root), *app.ignore.patterns)).encode()).hexdigest()
    return default_cache_dir() / "walks" / f"{key[:24]}.pickle"


def _load_listing(app: App) -> tuple[dict[str, int], list[str]] | None:
    try:
        with _listing_file(app).open("rb") as handle:
            data = pickle.load(handle)
        version, root, patterns, dirs, rels = data
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    if version != _LISTING_VERSION or root != str(app.root) or patterns != app.ignore.patterns:
        return None
    for directory, mtime in dirs.items():
        if _mtime(directory) != mtime:
            return None
    return dirs, rels


def _save_listing(app: App, dirs: dict[str, int], rels: list[str]) -> None:
    path = _listing_file(app)
    write_pickle(path, (_LISTING_VERSION, str(app.root), app.ignore.patterns, dirs, rels))


def clear_caches() -> None:
    """Forget every cached walk and listing (tests)."""
    with _LOCK:
        _FILES_CACHE.clear()
        _SHIPPED.clear()
