"""Which project files `flash build` ships: the official ignore rules, reproduced exactly.

The official build (``runpod_flash/cli/utils/ignore.py``, identical in 1.19 and 1.21) reads the
app root's ``.gitignore`` only, appends :data:`BUILTIN_PATTERNS`, and matches each path relative to
the app root with pathspec's gitwildmatch patterns. It walks the tree with ``iterdir`` and tests
every entry *without* a trailing slash, so a directory is skipped entirely only when a pattern
matches its bare path (``lib``, ``node_modules``). Directory-only patterns (``tests/``, ``docs/``,
``.venv/``) do not match the bare directory: the build descends and excludes the files one by one,
which lets the trailing ``!README.md`` re-include e.g. ``docs/README.md``. Both quirks are kept
here because the file list must equal the official one (source fingerprint, size budget, FL404).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

try:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as _GitWildMatch
except ImportError:  # pathspec < 1.0: the same pattern class under its old name
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern as _GitWildMatch

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=64)
def pattern_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """``.gitignore``-style ``patterns`` (the ``exclude`` setting) as one compiled spec."""
    return pathspec.PathSpec.from_lines(_GitWildMatch, patterns)


BUILTIN_PATTERNS: tuple[str, ...] = (
    ".build/",
    ".flash/",
    ".runpod/",
    "*.tar.gz",
    ".git/",
    ".gitignore",
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    "*.pyd",
    "*.egg-info/",
    "dist/",
    "build/",
    ".venv/",
    "venv/",
    "env/",
    ".vscode/",
    ".idea/",
    ".env",
    ".env.local",
    "tests/",
    "test_*.py",
    "*_test.py",
    "docs/",
    "*.md",
    "!README.md",
)
"""Patterns `flash build` always appends after the root ``.gitignore``, in its order."""

GITIGNORE_LABEL = ".gitignore: "
"""Prefix of :meth:`IgnoreRules.matching_pattern` results that come from the root ``.gitignore``."""


def read_gitignore_patterns(app_root: Path) -> list[str]:
    """Patterns of ``app_root/.gitignore`` as the official build reads them.

    Lines are stripped; blank lines and lines starting with ``#`` are dropped. A missing or
    unreadable file gives no patterns (the build only logs a warning).
    """
    path = app_root / ".gitignore"
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    patterns = []
    for raw in content.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            patterns.append(line)
    return patterns


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> _GitWildMatch | None:
    """The compiled pattern, or None when pathspec rejects it (``!``, a trailing backslash).

    Remembered: every app shares the built-in patterns (compiled objects are only read)."""
    try:
        return _GitWildMatch(pattern)
    except ValueError:
        return None


@dataclass(frozen=True)
class IgnoreRules:
    """The ignore rules of one app root: root ``.gitignore`` patterns, then the built-ins.

    ``patterns`` holds the patterns in matching order. A ``.gitignore`` line that pathspec
    rejects makes the official build crash; it is left out here and listed in
    ``invalid_patterns`` so a rule can report it.
    """

    gitignore_patterns: tuple[str, ...] = ()
    patterns: tuple[str, ...] = field(init=False)
    invalid_patterns: tuple[str, ...] = field(init=False)
    _gitignore_count: int = field(init=False, repr=False, compare=False)
    _spec: pathspec.PathSpec = field(init=False, repr=False, compare=False)
    # One regex matching whatever any excluding pattern matches (None: not available), and the
    # results for directory prefixes, which many files share.
    _any: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _dirs: dict[str, int | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        valid: list[str] = []
        invalid: list[str] = []
        compiled = []
        for pattern in (*self.gitignore_patterns, *BUILTIN_PATTERNS):
            result = _compile(pattern)
            if result is None:
                invalid.append(pattern)
            else:
                valid.append(pattern)
                compiled.append(result)
        object.__setattr__(self, "patterns", tuple(valid))
        object.__setattr__(self, "invalid_patterns", tuple(invalid))
        object.__setattr__(self, "_gitignore_count", len(valid) - len(BUILTIN_PATTERNS))
        object.__setattr__(self, "_spec", pathspec.PathSpec(compiled))
        object.__setattr__(self, "_any", _union(tuple(valid)))
        object.__setattr__(self, "_dirs", {})

    @classmethod
    def load(cls, app_root: Path) -> IgnoreRules:
        """Read the rules of ``app_root`` (its ``.gitignore`` only; nested ones are not honoured)."""
        return cls(tuple(read_gitignore_patterns(app_root)))

    def _check(self, rel: str) -> int | None:
        """Index of the pattern that excludes ``rel`` (last match wins), or None if it is kept."""
        if self._any is not None and self._any.match(rel) is None:
            return None  # no excluding pattern matches: kept whatever the negations say
        result = self._spec.check_file(rel)
        return result.index if result.include else None

    def _check_dir(self, rel: str) -> int | None:
        try:
            return self._dirs[rel]
        except KeyError:
            index = self._dirs[rel] = self._check(rel)
            return index

    def _excluding_index(self, rel_path: str, is_dir: bool) -> int | None:
        rel = _normalise(rel_path)
        if not rel:
            return None
        # The build never enters a directory whose bare path matches, whatever lies below it.
        end = rel.find("/")
        while end != -1:
            index = self._check_dir(rel[:end])
            if index is not None:
                return index
            end = rel.find("/", end + 1)
        return self._check(rel + "/" if is_dir else rel)

    def is_ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        """Whether `flash build` leaves ``rel_path`` (relative to the app root, POSIX) out.

        A file is ignored when an ancestor directory is skipped by the walk or when the file itself
        matches. With ``is_dir=True`` the directory is tested as ``rel_path/`` (git semantics, so
        ``tests/`` matches); files below it may still be re-included by a negation such as
        ``!README.md``.
        """
        return self._excluding_index(rel_path, is_dir) is not None

    def matching_pattern(self, rel_path: str, is_dir: bool = False) -> str | None:
        """The pattern that excludes ``rel_path``, for messages: ``"tests/"`` or ``".gitignore: lib/"``."""
        index = self._excluding_index(rel_path, is_dir)
        if index is None:
            return None
        pattern = self.patterns[index]
        if index < self._gitignore_count:
            return GITIGNORE_LABEL + pattern
        return pattern

    def skips_dir(self, rel_dir: str) -> bool:
        """Whether the official walk never enters ``rel_dir`` (a pattern matches its bare path)."""
        return self._check(_normalise(rel_dir)) is not None


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


@functools.lru_cache(maxsize=256)
def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for the excluding (non-negated) patterns, to rule most paths out in one match.

    Relies on pathspec's regex patterns; any surprise (another pattern class, a regex that does
    not combine) gives None and every path goes through pathspec itself.
    """
    parts = []
    for text in patterns:
        pattern = _compile(text)
        if pattern is None or not pattern.include:
            continue
        regex = getattr(pattern, "regex", None)
        if not isinstance(regex, re.Pattern) or not isinstance(regex.pattern, str):
            return None
        parts.append("(?:" + _NAMED_GROUP.sub("(?:", regex.pattern) + ")")
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


def _normalise(rel_path: str) -> str:
    rel = rel_path.replace("\\", "/").strip("/")
    while rel.startswith("./"):
        rel = rel[2:]
    return rel


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def iter_shipped_files(app_root: Path, rules: IgnoreRules) -> Iterator[Path]:
    """Yield every file `flash build` copies from ``app_root``, as paths under ``app_root``.

    Walks like the official build (entries are tested on their bare relative path, a matching
    directory is skipped entirely, symlinks are followed) with three guards the build lacks:
    symlink loops are cut, nothing that resolves outside ``app_root`` is yielded, and unreadable
    directories are skipped. Entries are yielded in name order, directory by directory.
    """
    try:
        real_root = app_root.resolve()
    except (OSError, RuntimeError):
        return
    yield from _walk(app_root, "", rules, real_root, (real_root,))


def _walk(
    directory: Path,
    rel_dir: str,
    rules: IgnoreRules,
    real_root: Path,
    ancestors: tuple[Path, ...],
) -> Iterator[Path]:
    """Files below ``directory``; ``ancestors`` are the resolved directories being walked."""
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        log.debug("skipping unreadable directory %s: %s", directory, exc)
        return
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        if rules._check(rel) is not None:
            continue
        try:
            is_file = entry.is_file()
            is_dir = not is_file and entry.is_dir()
            if not (is_file or is_dir):
                continue
            path = directory / entry.name
            # Without a symlink the real path is known: saves a realpath() per entry.
            real = path.resolve() if entry.is_symlink() else ancestors[-1] / entry.name
        except (OSError, RuntimeError):  # RuntimeError: symlink loop on Python < 3.13
            continue
        if not _is_within(real, real_root):
            continue
        if is_file:
            yield path
        elif real not in ancestors:
            yield from _walk(path, rel, rules, real_root, (*ancestors, real))
