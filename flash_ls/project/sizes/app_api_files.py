"""The project files ``rp flash deploy`` (the app API of runpod 2.0.0rc2) packs into an artifact,
with their sizes (``stat``, never read): ``package_project``'s walk in ``runpod/apps/deploy.py``
(runpod-app-api.md 5.6), reproduced.

It differs from runpod_flash's selection (``flash_ls.project.ignore``): its defaults
(``platform.APP_DEFAULT_IGNORES``), every directory's ``.gitignore`` scoped to its directory, the
root's ``.runpodignore`` applied last (it may re-include a default: ``!tests/``), protected paths
nothing re-includes (``.env``, keys, ``.git``...), directories tested with a trailing slash (an
ignored directory is not entered), symlinks never followed nor shipped. Each App of the project
gets an artifact with the whole tree.

A listing is kept per app root while no walked directory changed (at most 30 s: a file rewritten
in place keeps its directory's mtime), and computed once per ``App`` object.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pathspec

from flash_ls import platform
from flash_ls.project.app import App
from flash_ls.project.sizes.shipped import ShippedFile

_LOCK = threading.RLock()
_CACHE_SECONDS = 30.0
_ROOTS_KEPT = 64


@dataclass(frozen=True, slots=True)
class _Listing:
    dirs: dict[str, int]  # walked directory -> mtime_ns
    files: tuple[ShippedFile, ...]
    walked_at: float


_LISTINGS: dict[Path, _Listing] = {}


@functools.lru_cache(maxsize=256)
def _spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _load(path: Path) -> pathspec.GitIgnoreSpec:
    """An ignore file's patterns (none for a missing file or a symlink), as rc2 reads them."""
    try:
        if path.is_symlink() or not path.is_file():
            return _spec(())
        return _spec(tuple(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError):
        return _spec(())


def _ignored(rel: str, patterns: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    """rc2's ``_is_ignored``: the last spec with a decision on ``rel`` wins."""
    ignored = False
    for prefix, spec in patterns:
        result = spec.check_file(rel[len(prefix) :])
        if result.include is not None:
            ignored = result.include
    return ignored


def app_api_shipped_files(app: App) -> list[ShippedFile]:
    """Every file ``rp flash deploy`` packs from ``app.root``, sorted by path, with its size."""
    return list(app.derived(_shipped))


def _shipped(app: App) -> tuple[ShippedFile, ...]:
    root = app.root
    with _LOCK:
        known = _LISTINGS.get(root)
    if known is not None and _still_valid(known):
        return known.files
    listing = _walk(root)
    with _LOCK:
        _LISTINGS.pop(root, None)
        _LISTINGS[root] = listing
        while len(_LISTINGS) > _ROOTS_KEPT:
            del _LISTINGS[next(iter(_LISTINGS))]
    return listing.files


def _still_valid(listing: _Listing) -> bool:
    if time.monotonic() - listing.walked_at > _CACHE_SECONDS:
        return False
    for directory, mtime in listing.dirs.items():
        try:
            if os.stat(directory).st_mtime_ns != mtime:
                return False
        except OSError:
            return False
    return True


def _walk(root: Path) -> _Listing:
    started = time.monotonic()
    protected = _spec(platform.APP_PROTECTED_IGNORES)
    runpod_ignores = _load(root / platform.APP_IGNORE_FILE)
    git_ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = [
        ("", _spec(platform.APP_DEFAULT_IGNORES))
    ]
    dirs: dict[str, int] = {}
    files: list[ShippedFile] = []
    for directory, subdirs, names in os.walk(root, followlinks=False):
        here = Path(directory)
        try:
            dirs[directory] = os.stat(directory).st_mtime_ns
        except OSError:
            dirs[directory] = 0
        relative = here.relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        while not prefix.startswith(git_ignores[-1][0]):
            git_ignores.pop()
        git_ignores.append((prefix, _load(here / platform.APP_GITIGNORE_FILE)))
        patterns = [*git_ignores, ("", runpod_ignores)]
        kept = []
        for name in sorted(subdirs):
            rel = prefix + name + "/"
            path = here / name
            if path.is_symlink() or protected.match_file(rel) or _ignored(rel, patterns):
                continue
            kept.append(name)
        subdirs[:] = kept
        for name in sorted(names):
            rel = prefix + name
            path = here / name
            if path.is_symlink() or protected.match_file(rel) or _ignored(rel, patterns):
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            if not os.path.isfile(path):
                continue
            files.append(ShippedFile(rel, path, stat.st_size))
    files.sort(key=lambda f: f.rel)
    return _Listing(dirs, tuple(files), started)


def clear_cache() -> None:
    """Forget every listing (tests)."""
    with _LOCK:
        _LISTINGS.clear()


def exclusion_reason(root: Path, rel: str) -> str | None:
    """Why ``rp flash deploy`` leaves the file ``rel`` out of the artifact (None: it ships): the
    ignore file (or rc2's defaults) whose pattern decides, for the file or a directory above it."""
    protected = _spec(platform.APP_PROTECTED_IGNORES)
    runpod_ignores = ("", _load(root / platform.APP_IGNORE_FILE), platform.APP_IGNORE_FILE)
    layers = [("", _spec(platform.APP_DEFAULT_IGNORES), "rp flash deploy's default ignores")]
    parts = rel.split("/")
    for depth in range(len(parts)):
        prefix = "".join(f"{p}/" for p in parts[:depth])
        folder = root.joinpath(*parts[:depth])
        where = f"{prefix}{platform.APP_GITIGNORE_FILE}"
        layers.append((prefix, _load(folder / platform.APP_GITIGNORE_FILE), where))
        last = depth == len(parts) - 1
        path = prefix + parts[depth] + ("" if last else "/")
        if (folder / parts[depth]).is_symlink():
            return "a symlink, which never ships"
        if protected.match_file(path):
            return "a protected path, which never ships"
        decided = None
        for layer_prefix, spec, label in [*layers, runpod_ignores]:
            result = spec.check_file(path[len(layer_prefix) :])
            if result.include is not None:
                decided = label if result.include else None
        if decided is not None:
            return decided
    return None
