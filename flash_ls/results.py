"""Replay of `flash-ls check` results for apps where nothing changed (the CLI's warm path).

A check result depends on the app's files and on little else: the tool itself, the options, a few
environment variables, and for the size rules what pip resolves for the app's dependencies and
what the package index says about their wheels. This cache stores each app's findings with a
*stamp* of those inputs:

- the tool: its version and the text of every ``flash_ls`` module (any change of code misses);
- the options (``--select``, ``--ignore``, overrides) and the ``FLASH_*``/``RUNPOD_*``/``PIP_*``
  variables (pip's configuration decides the resolution);
- every file and directory under the app root, as ``(relative path, size, mtime, inode)``, so an
  edit, a new or deleted file, a grown data file, a new ``.gitignore`` line or size report all
  miss; virtualenvs are stamped by their ``site-packages`` directories (an install or uninstall
  changes them) instead of file by file;
- an expiry: the findings of a Flash app rest on a dependency resolution (redone daily, as new
  releases change it), so they are replayed for at most :data:`INDEX_REPLAY_SECONDS`; a folder
  that is not a Flash app has no findings to go stale.

File contents are not read: stamps are what ``git status``, ruff and mypy trust as well. The race
they share, a file rewritten within the file system's timestamp granularity after the stamp was
taken, is closed the same way git closes it: a result is not stored while any stamped file is
younger than :data:`RACY_NS` (two seconds on file systems with whole-second timestamps).

Apps whose results cannot be replayed soundly are never stored: a configured interpreter (its
pip and configuration live outside the app), or a size estimate that rests on something of the
moment (offline, a timeout, an unreachable index). Fixes are stored with their edits only when the run computed them
(JSON or SARIF output); a run that needs edits does not replay a result stored without them.
A replay prints what a fresh check in its format prints: a fix whose edits turned out to be
none is replayed as not computed, as a fresh ``text`` check (which never computes them) sees it,
while a fix known without edits when planned (``NoEdits``) keeps its reason.
Front ends do not replay when they need more than findings (``--fix``, ``--diff``, ``--verbose``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls import __version__
from flash_ls.diagnostic import Diagnostic, Fix, NoEdits
from flash_ls.project.cache import write_pickle

if TYPE_CHECKING:  # a replay without config problems never loads the config module
    from flash_ls.project.config import ConfigProblem

log = logging.getLogger(__name__)

PACK_NAME = "results.pack"
INDEX_REPLAY_SECONDS = 3600.0
RACY_NS = 500_000_000
COARSE_RACY_NS = 2_000_000_000
_ENV_PREFIXES = ("FLASH_", "RUNPOD_", "PIP_")
# Never part of what a check reads: VCS data and tool caches (they change on every run of git,
# mypy, pytest... and would make every stamp miss).
_UNSTAMPED = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)


@dataclass(frozen=True, slots=True)
class AppResult:
    """What a check of one app produced, as replayed: findings, config problems, and the files
    checked (none when the app does not use Flash)."""

    diagnostics: tuple[Diagnostic, ...]
    problems: tuple[ConfigProblem, ...]
    files: tuple[Path, ...] = ()


class _NotStored:
    """Stands for the edits of a fix that were not computed when its finding was stored, or were
    computed and turned out to be none: either way the replay's format decides as a fresh check
    of it does (``text`` takes them to exist, ``json`` computes them: none)."""

    def __call__(self) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NotStored)

    def __hash__(self) -> int:
        return hash(_NotStored)


def _pack(result: AppResult, with_edits: bool) -> bytes:
    """Pickle ``result``; a fix keeps its edits only when computed (or ``with_edits``)."""
    rows = []
    for d in result.diagnostics:
        fix = None
        if d.fix is not None:
            reason = d.fix.unavailable_reason
            edits = d.fix.edits if (with_edits or d.fix.computed) and reason is None else None
            fix = (d.fix.message, d.fix.safe, edits or None, reason)
        rows.append(
            (
                d.code,
                d.slug,
                d.severity,
                d.path,
                d.span,
                d.message,
                d.related,
                fix,
                d.alternatives,
                d.notes,
            )
        )
    return pickle.dumps((rows, result.problems, result.files), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(blob: bytes) -> AppResult:
    rows, problems, files = pickle.loads(blob)
    diagnostics = []
    for code, slug, severity, path, span, message, related, fix, alternatives, notes in rows:
        made = None
        if fix is not None:
            fix_message, safe, edits, reason = fix
            if reason is not None:
                made = Fix(fix_message, NoEdits(reason), safe)
            else:
                made = Fix(fix_message, edits if edits is not None else _NotStored(), safe)
        diagnostics.append(
            Diagnostic(
                code, slug, severity, path, span, message, related, made, alternatives, notes
            )
        )
    return AppResult(tuple(diagnostics), tuple(problems), tuple(files))


class ResultCache:
    """One pack file of ``app root -> (stamp, expiry, pickled AppResult)`` per cache directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, tuple[str, float, bool, bytes]] | None = None
        self._new: dict[str, tuple[str, float, bool, bytes]] = {}
        self._trees: _Trees | None = None  # one run's walks
        self._lock = threading.Lock()

    def stamp(self, root: Path, options: Mapping[str, object]) -> str | None:
        """The stamp of everything a check of ``root`` with ``options`` reads; None when it cannot
        be trusted now (a file too young, an unreadable directory). Stamping a folder first
        makes the stamps of the apps below it free (one walk)."""
        if self._trees is None:
            # A cache directory inside the app (``XDG_CACHE_HOME=$PWD/.cache`` in CI) changes on
            # every run: it is not part of what a check reads.
            self._trees = _Trees(time.time_ns(), frozenset({os.path.realpath(self.directory)}))
        tree = self._trees.digest(str(root))
        if tree is None:
            return None
        digest = hashlib.blake2b(_salt(options), digest_size=20)
        digest.update(os.fsencode(root))
        digest.update(tree)
        return digest.hexdigest()

    def get(self, root: Path, stamp: str, *, need_edits: bool = False) -> AppResult | None:
        """The stored result of ``root`` if its stamp is ``stamp`` and it has not expired; with
        ``need_edits`` only one whose fixes were stored with their edits."""
        entries = self._load()
        found = entries.get(str(root))
        if found is None:
            return None
        stored_stamp, expires, has_edits, blob = found
        if stored_stamp != stamp or expires < time.time() or (need_edits and not has_edits):
            return None
        try:
            return _unpack(blob)
        except Exception:  # a damaged entry is a miss, never an error
            return None

    def put(
        self, root: Path, stamp: str, result: AppResult, *, expires: float, with_edits: bool
    ) -> None:
        """Store ``result`` for the next run; fix edits are computed only ``with_edits``."""
        try:
            blob = _pack(result, with_edits)
        except Exception as err:  # an unpicklable finding only costs the replay
            log.debug("cannot store the check result of %s: %s", root, err)
            return
        with self._lock:
            self._new[str(root)] = (stamp, expires, with_edits, blob)

    def flush(self) -> None:
        """Write the results stored by this run, merged into what the pack holds. The next check
        walks the disk again (the walk of this one is forgotten)."""
        with self._lock:
            self._trees = None
            if not self._new:
                return
            entries = {**_read(self._file()), **self._new}
            now = time.time()
            # Expired results, and those of folders that are gone (temporary checkouts), go.
            entries = {k: v for k, v in entries.items() if v[1] >= now and os.path.isdir(k)}
            if not write_pickle(self._file(), entries):
                return
            self._entries = entries
            self._new.clear()

    def _file(self) -> Path:
        return self.directory / PACK_NAME

    def _load(self) -> dict[str, tuple[str, float, bool, bytes]]:
        with self._lock:
            if self._entries is None:
                self._entries = _read(self._file())
            return self._entries


def _read(path: Path) -> dict[str, tuple[str, float, bool, bytes]]:
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except FileNotFoundError:
        return {}
    except Exception as err:  # an unreadable pack is an empty one
        log.debug("ignoring unreadable results cache %s: %s", path, err)
        return {}
    return data if isinstance(data, dict) else {}


def _salt(options: Mapping[str, object]) -> bytes:
    """The tool, the options and the environment variables a check may read."""
    parts = [_tool_tag(), repr(sorted((k, repr(v)) for k, v in options.items()))]
    parts.extend(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith(_ENV_PREFIXES))
    return "\0".join(parts).encode("utf-8", "surrogatepass")


@functools.cache
def _tool_tag() -> str:
    """The flash-ls code and the Python running it (its grammar decides what parses)."""
    digest = hashlib.blake2b(
        f"{__version__} {sys.implementation.cache_tag}".encode(), digest_size=16
    )
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


class _Trees:
    """Digests of directory trees, each a hash of its entries' stamps and its subtrees' digests,
    so one walk of a folder stamps every app below it. None: something in it is not trustworthy
    now (a racy file, an unreadable directory); that spoils its ancestors, not its siblings."""

    def __init__(self, now_ns: int, skipped: frozenset[str]) -> None:
        self.now_ns = now_ns
        self.skipped = skipped  # real paths never stamped (the cache directory itself)
        self.digests: dict[str, bytes | None] = {}
        self._top = os.sep  # the real path (with a trailing separator) of the tree being stamped

    def digest(self, directory: str) -> bytes | None:
        real = os.path.realpath(directory)
        self._top = real.rstrip(os.sep) + os.sep
        try:
            return self._walk(directory, real, frozenset())
        except RecursionError:
            return None

    def _walk(self, directory: str, real: str, ancestors: frozenset[str]) -> bytes | None:
        if directory in self.digests:
            return self.digests[directory]
        digest = hashlib.blake2b(digest_size=20)
        trusted = True
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            entries = []
            trusted = False
        inner = ancestors | {real}
        for entry in entries:
            name = entry.name
            if name in _UNSTAMPED or f"{real}/{name}" in self.skipped:
                continue
            try:
                info = entry.stat()
                is_dir = entry.is_dir()
                linked = entry.is_symlink()
            except OSError:
                digest.update(f"?{name}\0".encode("utf-8", "surrogatepass"))
                continue
            if _racy(info.st_mtime_ns, self.now_ns):
                trusted = False
            kind = "d" if is_dir else "f"
            digest.update(
                f"{kind}{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\0".encode(
                    "utf-8", "surrogatepass"
                )
            )
            if not is_dir:
                continue
            child_real = os.path.realpath(entry.path) if linked else f"{real}/{name}"
            if child_real in inner:
                digest.update(b"loop\0")  # a symlink back up the tree: nothing new below
                continue
            if linked and not child_real.startswith(self._top):
                # A link out of the tree (to / even): the check reads nothing through it.
                digest.update(f"out\0{child_real}\0".encode("utf-8", "surrogatepass"))
                continue
            if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                child = _environment_digest(entry.path, self.now_ns)
            else:
                child = self._walk(entry.path, child_real, inner)
            if child is None:
                trusted = False
            else:
                digest.update(child)
        result = digest.digest() if trusted else None
        self.digests[directory] = result
        return result


def _environment_digest(venv: str, now_ns: int) -> bytes | None:
    """A virtualenv by its site-packages directories: installing or removing a distribution
    adds or removes a ``*.dist-info`` entry, which changes the directory's stamp."""
    digest = hashlib.blake2b(b"venv", digest_size=20)
    for lib in ("lib", "lib64", "Lib"):
        base = os.path.join(venv, lib)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            for site in (os.path.join(base, name, "site-packages"), os.path.join(base, name)):
                try:
                    info = os.stat(site)
                except OSError:
                    continue
                if _racy(info.st_mtime_ns, now_ns):
                    return None
                digest.update(f"{lib}/{name}\0{info.st_mtime_ns}\0".encode("utf-8", "replace"))
    return digest.digest()


def _racy(mtime_ns: int, now_ns: int) -> bool:
    window = COARSE_RACY_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return mtime_ns > now_ns - window
