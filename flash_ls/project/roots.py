"""App roots: which directory is the Flash app a file belongs to (rules.md, "Shared behaviour").

The app root of a file is the nearest ancestor directory, not above the boundary (the workspace
folder or the checked path), that holds ``pyproject.toml``, ``requirements.txt`` or ``.flash/``;
without one it is the boundary itself. Paths are compared lexically (absolute, normalised, not
resolved) so roots keep the spelling the editor and the CLI use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

APP_MARKER_FILES: tuple[str, ...] = ("pyproject.toml", "requirements.txt")
"""Files whose presence makes a directory an app root."""

APP_MARKER_DIRS: tuple[str, ...] = (".flash",)
"""Directories whose presence makes a directory an app root."""

SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".flash",
        "site-packages",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
    }
)
"""Directory names :func:`discover_apps` never enters."""


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def is_app_root(directory: Path) -> bool:
    """Whether ``directory`` holds one of the app markers."""
    try:
        return any((directory / name).is_file() for name in APP_MARKER_FILES) or any(
            (directory / name).is_dir() for name in APP_MARKER_DIRS
        )
    except OSError:
        return False


def app_root_for(path: Path, boundary: Path) -> Path:
    """The app root of ``path`` (a file, or a directory standing for itself), never above ``boundary``.

    A path outside ``boundary`` (or a ``boundary`` that is a file) is treated as if the path's own
    directory were the boundary. The path need not exist (an unsaved editor buffer): a missing
    path is taken to be a file.
    """
    path = _absolute(path)
    boundary = _absolute(boundary)
    start = path if path.is_dir() else path.parent
    if not (start == boundary or boundary in start.parents):
        boundary = start
    for directory in (start, *start.parents):
        if is_app_root(directory) or directory == boundary:
            return directory
    return boundary  # unreachable: boundary is start or one of its parents


def discover_apps(boundary: Path) -> list[Path]:
    """Every app root under the directory ``boundary``, sorted.

    A directory is an app root when it holds a marker (nested apps included); ``boundary`` is one
    too when it holds ``.py`` files that belong to no other app. Tool and environment directories
    (:data:`SKIPPED_DIRS`, and any virtualenv) are not entered, nor symlinks leading outside
    ``boundary``; symlink loops are cut. A ``boundary`` that is not a directory gives no apps.
    """
    boundary = _absolute(boundary)
    if not boundary.is_dir():
        return []
    roots: set[Path] = set()
    loose_python = False
    real_boundary = os.path.realpath(boundary)
    visited: set[str] = set()
    # (directory, whether some directory between boundary and it, itself included, is an app)
    stack: list[tuple[Path, bool]] = [(boundary, False)]
    # Symlinked directories wait until the real tree is walked, so real paths win.
    linked: list[tuple[Path, bool]] = []
    while stack or linked:
        directory, in_app = stack.pop() if stack else linked.pop()
        real = os.path.realpath(directory)
        if real in visited:  # a symlink back to a directory already walked
            continue
        if os.path.commonpath((real, real_boundary)) != real_boundary:  # symlinked elsewhere
            continue
        visited.add(real)
        if directory != boundary and is_app_root(directory):
            roots.add(directory)
            in_app = True
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.name not in SKIPPED_DIRS and not _is_virtualenv(entry.path):
                        pending = linked if entry.is_symlink() else stack
                        pending.append((directory / entry.name, in_app))
                elif not in_app and entry.name.endswith(".py") and entry.is_file():
                    loose_python = True
            except OSError:
                continue
    if loose_python or is_app_root(boundary):
        roots.add(boundary)
    return sorted(roots)


def _is_virtualenv(directory: str) -> bool:
    # Virtualenvs under any name (env/, .env-3.11/) hold thousands of files and no app.
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))


def containing_folder(path: Path, folders: Sequence[Path]) -> Path:
    """The innermost of the (resolved) ``folders`` holding ``path``; for a path in none of them,
    its own directory (a file) or itself (a directory)."""
    path = path.resolve()
    best: Path | None = None
    for folder in folders:
        inside = path == folder or folder in path.parents
        if inside and (best is None or len(folder.parts) > len(best.parts)):
            best = folder
    return best if best is not None else (path.parent if path.suffix else path)


def app_root_in(path: Path, folders: Sequence[Path]) -> Path:
    """The app root of ``path`` when ``folders`` (resolved) are the workspace folders."""
    path = path.resolve()
    # app_root_for decides file vs directory itself: passing a missing directory would make it
    # start one level higher (at "/" for "/missing/x.py") and scan from there.
    return app_root_for(path, containing_folder(path, folders))


def app_roots_in(folders: Sequence[Path]) -> list[Path]:
    """Every app root under the (resolved) ``folders``, resolved and sorted."""
    roots: set[Path] = set()
    for folder in folders:
        if folder.is_file():
            roots.add(app_root_in(folder, folders))
        else:
            roots.update(p.resolve() for p in discover_apps(folder))
    return sorted(roots)
