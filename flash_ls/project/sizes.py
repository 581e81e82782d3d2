"""How big the `flash build` artifact would be, without building it.

The artifact holds the shipped project files (the official ignore rules applied, sizes from
``stat``) and the distributions pip installs for the collected requirements (``requirements.txt``
lines and literal ``dependencies=[...]`` lists, as the build collects them), minus the excluded
packages (torch, torchvision, torchaudio, triton always; ``flash build --exclude`` on top).

Dependency sizes come from a chain of providers; for each distribution the first that knows wins:

1. :class:`ReportProvider`: ``.flash/size-report.json``, written by the build engine after its pip
   install (:class:`SizeReport`). When the report was built from exactly the current requirements,
   its distribution list is taken as the truth, transitive ones included.
2. :class:`EnvironmentProvider`: distributions installed in the app's environment (``.venv``/``venv``
   of the app, or ``[tool.flash-ls] python`` / ``--python``): ``*.dist-info/RECORD`` sizes, found
   without running the interpreter; ``Requires-Dist`` in ``METADATA`` leads to the transitive ones.
3. :class:`IndexProvider`: the package index's JSON API (``FLASH_LS_PYPI_URL``, PyPI by default): the
   size of the wheel pip would pick for manylinux x86_64 and the target CPython. Direct requirements
   only (their own dependencies are not counted, and the estimate says so). Answers are cached on
   disk; the lookups of one estimate never take more than :data:`INDEX_TIMEOUT` seconds in total.

Nothing here sits on the critical path more than it must:

- Index lookups run on a shared pool of threads, one request per distribution (and pin) however
  many apps or estimates ask for it. :func:`start_size_lookups` starts an app's lookups as soon as
  the app is loaded, so a multi-app check fetches while it parses; an estimate then waits at most
  until :data:`INDEX_TIMEOUT` after the lookup started (never, in the language server).
- The dependency part of an estimate is memoised by what it depends on: the declared requirement
  strings, the target Python, the excluded packages, the size report's and the environment's
  stamps and the index setting. Re-estimating an app after an edit that leaves those alone costs
  a dictionary look-up plus the shipped-file listing (cached per app, see :func:`shipped_files`).

Nothing is guessed: a distribution no provider knows is listed in :attr:`SizeEstimate.unknown` with
the reason in :attr:`SizeEstimate.notes`. Installed sizes (report, environment) are uncompressed and
wheel sizes compressed, while the platform limit applies to the gzipped tarball, so the estimate
errs high for installed packages.
"""

from __future__ import annotations

import concurrent.futures
import csv
import email.parser
import functools
import hashlib
import io
import json
import logging
import os
import pickle
import queue
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from flash_ls import __version__
from flash_ls.parse.facts import Literal, SequenceExpr
from flash_ls.platform import (
    BYTES_PER_MB,
    DEFAULT_PYTHON_VERSION,
    SIZE_PROHIBITIVE_PACKAGES,
    SUPPORTED_PYTHON_VERSIONS,
)
from flash_ls.project.app import App, DeclForm
from flash_ls.project.cache import default_cache_dir, replace_file, write_cache_file, write_pickle
from flash_ls.project.ignore import iter_shipped_files
from flash_ls.project.requirements import (
    REQUIREMENTS_FILE,
    official_package_name,
    parse_requirement,
    requirement_of,
)
from flash_ls.span import Span

if TYPE_CHECKING:
    import ssl

    from flash_ls.project.size_report import ReportDistribution as ReportDistribution
    from flash_ls.project.size_report import ReportFile as ReportFile
    from flash_ls.project.size_report import SizeReport as SizeReport

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SIZE_REPORT_PATH = ".flash/size-report.json"
"""Where the build engine writes its :class:`SizeReport`, relative to the app root."""

PYPI_URL_ENV = "FLASH_LS_PYPI_URL"
"""Base URL of the package index JSON API; empty or ``off`` disables index lookups."""
DEFAULT_PYPI_URL = "https://pypi.org/pypi"
INDEX_TIMEOUT = 2.0
"""Seconds an estimate may wait for the package index, counted from when its lookups started;
also the network timeout of one index request."""
_index_wait = INDEX_TIMEOUT


def set_index_wait(seconds: float) -> None:
    """How long a check may wait for package index answers (per check, whole process).

    The language server sets 0: it never waits on the network while someone types; the lookups
    finish in the background and their answers, cached on disk, serve the next check.
    """
    global _index_wait
    _index_wait = max(0.0, seconds)


# The wheels `flash build` asks pip for (pip expands manylinux2014 to 2010 and 1 as well).
PIP_PLATFORMS: tuple[str, ...] = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)

SOURCE_REPORT = "size-report"
SOURCE_ENVIRONMENT = "environment"
SOURCE_INDEX = "index"
SOURCE_UNKNOWN = "unknown"

_FILES_CACHE_SECONDS = 30.0  # a file rewritten in place keeps its directory's mtime
_OFFLINE_SECONDS = 60.0  # after a connection failure, do not try the index again for this long
_INDEX_TTL_PINNED = 30 * 24 * 3600.0
_INDEX_TTL_LATEST = 24 * 3600.0
_INDEX_TTL_MISSING = 3600.0
_INTERPRETER_TIMEOUT = 2.0


def plural(count: int, noun: str) -> str:
    """``plural(1, "file")`` -> ``"1 file"``, ``plural(3, "file")`` -> ``"3 files"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_size(size: int) -> str:
    """``1572864000`` -> ``"1500.0 MB"`` (MB of 1024**2 bytes, as the build measures)."""
    if size >= BYTES_PER_MB:
        return f"{size / BYTES_PER_MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------
# .flash/size-report.json
#
# The models (SizeReport, ReportFile, ReportDistribution) live in flash_ls.project.size_report,
# with pydantic: imported when a report is read or built, never by an app without one.

_REPORT_MODELS = frozenset({"ReportFile", "ReportDistribution", "SizeReport"})

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """``sizes.SizeReport`` and the other report models, imported on first use (PEP 562)."""
        if name in _REPORT_MODELS:
            from flash_ls.project import size_report

            return getattr(size_report, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_REPORT_CACHE: dict[Path, tuple[tuple[int, int], SizeReport | None, str | None]] = {}
_LOCK = threading.RLock()


def load_size_report(app_root: Path) -> tuple[SizeReport | None, str | None]:
    """The app's size report and, when it exists but cannot be used, why (never raises)."""
    path = app_root / SIZE_REPORT_PATH
    try:
        st = path.stat()
    except OSError:
        return None, None
    stamp = (st.st_mtime_ns, st.st_size)
    with _LOCK:
        cached = _REPORT_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    report: SizeReport | None = None
    problem: str | None = None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = f"{SIZE_REPORT_PATH} cannot be read: {exc.strerror or exc}"
    else:
        from pydantic import ValidationError

        from flash_ls.project import size_report

        try:
            report = size_report.SizeReport.model_validate_json(data)
        except ValidationError as exc:
            problem = (
                f"{SIZE_REPORT_PATH} is not a valid size report ({exc.error_count()} problems);"
                " rebuild"
            )
    with _LOCK:
        _REPORT_CACHE[path] = (stamp, report, problem)
    return report, problem


def write_size_report(app_root: Path, report: SizeReport) -> Path:
    """Write ``report`` to ``app_root/.flash/size-report.json`` atomically; returns the path."""
    path = app_root / SIZE_REPORT_PATH
    replace_file(path, (report.model_dump_json(indent=2) + "\n").encode("utf-8"))
    return path


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


def _remember(store: dict[Path, _T], root: Path, value: _T) -> None:
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
        _remember(_SHIPPED, app.root, (app, files))
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


# ---------------------------------------------------------------------------------------------
# Declared dependencies (what the build hands to pip)


@dataclass(frozen=True, slots=True)
class DeclaredDependency:
    """One requirement string the build collects, where it is written."""

    raw: str
    """The string as the build passes it to pip."""
    name: str | None
    """PEP 503 name; None when the string is not a valid requirement."""
    path: Path
    """``requirements.txt`` or the ``.py`` file with the ``dependencies=[...]`` list."""
    span: Span
    """The requirements.txt entry or the string literal in the list."""
    requirement: Requirement | None = field(default=None, compare=False)

    @property
    def official_name(self) -> str:
        """The name the build's pre-pip exclusion filter compares (``torch~=2`` stays unmatched)."""
        return official_package_name(self.raw)


def declared_dependencies(app: App) -> list[DeclaredDependency]:
    """The requirements `flash build` collects, in its order: ``requirements.txt`` lines, then the
    string literals of ``dependencies=[...]`` lists on recognised Endpoint/remote calls of shipped
    files (not through an alias, not an annotated assignment, not a bare call)."""
    found: list[DeclaredDependency] = []
    requirements_path = app.root / REQUIREMENTS_FILE
    for line in app.requirements:
        if line.is_option:
            continue
        found.append(
            DeclaredDependency(line.raw, line.name, requirements_path, line.span, line.requirement)
        )
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.via_alias or decl.annotated or decl.form is DeclForm.BARE:
            continue
        keyword = decl.call.keyword("dependencies")
        if keyword is None or not isinstance(keyword.value, SequenceExpr):
            continue
        if keyword.value.kind != "list":
            continue
        for item in keyword.value.items:
            if isinstance(item, Literal) and isinstance(item.value, str):
                requirement = _requirement(item.value)
                name, _ = parse_requirement(item.value)  # cached, like the parse
                found.append(
                    DeclaredDependency(item.value, name, decl.file.path, item.span, requirement)
                )
    return found


def _requirement(text: str) -> Requirement | None:
    return requirement_of(text)  # parsed once per string and process


def target_python_version(app: App) -> str:
    """The Python the build installs wheels for: the highest declared ``python_version``, else 3.12."""
    declared: list[str] = []
    for endpoint in app.endpoints:
        keyword = endpoint.decl.keyword("python_version")
        if keyword is None or not isinstance(keyword.value, Literal):
            continue
        value = keyword.value.value
        if isinstance(value, str) and value in SUPPORTED_PYTHON_VERSIONS:
            declared.append(value)
    if not declared:
        return DEFAULT_PYTHON_VERSION
    return max(declared, key=lambda v: tuple(int(p) for p in v.split(".")))


def marker_environment(python_version: str) -> dict[str, str]:
    """PEP 508 marker values of the workers: CPython ``python_version`` on Linux x86_64."""
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python_version}.0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{python_version}.0",
        "python_version": python_version,
        "sys_platform": "linux",
    }


# ---------------------------------------------------------------------------------------------
# Providers


@dataclass(frozen=True, slots=True)
class DistributionRequest:
    """A distribution whose size (and dependencies) the estimate needs."""

    name: str
    """PEP 503 name."""
    specifier: str = ""
    direct: bool = False
    """Named by the app itself (not pulled in by another distribution)."""
    need_size: bool = True
    """False for excluded packages: only their dependencies matter."""

    @property
    def pinned(self) -> str | None:
        """The version of an exact ``==X`` pin, else None."""
        try:
            specs = list(SpecifierSet(self.specifier))
        except ValueError:
            return None
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            return specs[0].version
        return None


@dataclass(frozen=True, slots=True)
class DistributionInfo:
    """What a provider knows about one distribution."""

    name: str
    version: str | None
    bytes: int | None
    source: str
    requires: tuple[str, ...] | None = None
    """``Requires-Dist`` lines; None when the provider does not know them."""
    excluded: bool = False
    """The build that wrote the size report dropped it from the tarball."""


@dataclass(slots=True)
class LookupResult:
    found: dict[str, DistributionInfo] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """name -> why it was not found (for ``--verbose``)."""
    provisional: bool = False
    """Some answer may come later (a lookup under way, the index unreachable or failing): the
    result should not be kept for long."""


class SizeProvider(Protocol):
    """Something that knows distribution sizes."""

    knows_dependencies: bool
    """Whether its answers carry ``Requires-Dist`` (asked again for dependencies only if so)."""

    def lookup(self, requests: Sequence[DistributionRequest]) -> LookupResult: ...


def _version_matches(version: str | None, pinned: str | None) -> bool:
    if pinned is None or version is None:
        return True
    try:
        return Version(version) == Version(pinned)
    except InvalidVersion:
        return version == pinned


class ReportProvider:
    """Sizes from the last build's ``.flash/size-report.json``."""

    knows_dependencies = True

    def __init__(self, report: SizeReport) -> None:
        self.report = report
        self._by_name: dict[str, DistributionInfo] = {}
        for dist in report.distributions:
            name = canonicalize_name(dist.name)
            requires = tuple(dist.requires) if dist.requires is not None else None
            info = DistributionInfo(
                name, dist.version, dist.bytes, SOURCE_REPORT, requires, dist.excluded
            )
            self._by_name.setdefault(name, info)

    def lookup(self, requests: Sequence[DistributionRequest]) -> LookupResult:
        result = LookupResult()
        for request in requests:
            info = self._by_name.get(request.name)
            if info is None:
                result.notes[request.name] = "not in the last build's size report"
            elif not _version_matches(info.version, request.pinned):
                result.notes[request.name] = (
                    f"the last build installed {info.version}, the app now pins {request.pinned}"
                )
            else:
                result.found[request.name] = info
        return result

    def installed_with(self, requirements: Iterable[str]) -> list[DistributionInfo] | None:
        """Every distribution of the report when it was built from exactly ``requirements``."""
        if self.report.requirements is None:
            return None
        if {r.strip() for r in self.report.requirements} != {r.strip() for r in requirements}:
            return None
        return list(self._by_name.values())


# -- installed environment ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _InstalledDist:
    version: str | None
    bytes: int | None
    requires: tuple[str, ...] | None


_SITE_CACHE: dict[Path, tuple[int, dict[str, Path]]] = {}
_DIST_CACHE: dict[Path, tuple[int, _InstalledDist]] = {}
_INTERPRETER_CACHE: dict[Path, list[Path]] = {}


def _site_index(site: Path) -> dict[str, Path]:
    """Normalised name -> ``*.dist-info`` directory; one listing per site-packages change."""
    try:
        mtime = site.stat().st_mtime_ns
    except OSError:
        return {}
    with _LOCK:
        cached = _SITE_CACHE.get(site)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    index: dict[str, Path] = {}
    try:
        with os.scandir(site) as scan:
            for entry in scan:
                if entry.name.endswith(".dist-info") and entry.is_dir():
                    name, _, _version = entry.name[: -len(".dist-info")].rpartition("-")
                    index.setdefault(canonicalize_name(name or entry.name), Path(entry.path))
    except OSError:
        return {}
    with _LOCK:
        _SITE_CACHE[site] = (mtime, index)
    return index


def _installed(dist_info: Path) -> _InstalledDist:
    try:
        mtime = dist_info.stat().st_mtime_ns
    except OSError:
        return _InstalledDist(None, None, None)
    with _LOCK:
        cached = _DIST_CACHE.get(dist_info)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    version, requires = _read_metadata(dist_info)
    found = _InstalledDist(version, _distribution_bytes(dist_info), requires)
    with _LOCK:
        _DIST_CACHE[dist_info] = (mtime, found)
    return found


def _read_metadata(dist_info: Path) -> tuple[str | None, tuple[str, ...] | None]:
    try:
        text = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, None
    message = email.parser.HeaderParser().parsestr(text)
    return message.get("Version"), tuple(message.get_all("Requires-Dist") or ())


def _distribution_bytes(dist_info: Path) -> int | None:
    """Bytes of a distribution's files: its RECORD, else the packages named in top_level.txt."""
    site = dist_info.parent
    try:
        record = (dist_info / "RECORD").read_text(encoding="utf-8", errors="replace")
    except OSError:
        record = None
    if record is not None:
        total = 0
        for row in csv.reader(io.StringIO(record)):
            if not row or _is_bytecode(row[0]):
                continue
            size = row[2] if len(row) > 2 else ""
            if size.isdigit():
                total += int(size)
            else:
                try:
                    total += (site / row[0]).stat().st_size
                except OSError:
                    continue
        return total
    try:
        tops = (dist_info / "top_level.txt").read_text(encoding="utf-8").split()
    except OSError:
        return None
    total = _tree_bytes(dist_info)
    for top in tops:
        total += _tree_bytes(site / top) + _tree_bytes(site / f"{top}.py")
    return total


def _is_bytecode(rel: str) -> bool:
    # The build removes bytecode before packing.
    return rel.endswith((".pyc", ".pyo")) or "__pycache__/" in rel


def _tree_bytes(path: Path) -> int:
    try:
        if path.is_file():
            return path.stat().st_size
        if not path.is_dir():
            return 0
    except OSError:
        return 0
    total = 0
    for directory, subdirs, names in os.walk(path):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        for name in names:
            if _is_bytecode(name):
                continue
            try:
                total += os.stat(os.path.join(directory, name)).st_size
            except OSError:
                continue
    return total


class EnvironmentProvider:
    """Sizes of distributions installed in a local environment (read from disk, never run)."""

    knows_dependencies = True

    def __init__(self, site_packages: Sequence[Path], label: str = "the app's environment") -> None:
        self.site_packages = list(site_packages)
        self.label = label

    def lookup(self, requests: Sequence[DistributionRequest]) -> LookupResult:
        result = LookupResult()
        indexes = [_site_index(site) for site in self.site_packages]
        for request in requests:
            dist_info = next(
                (index[request.name] for index in indexes if request.name in index), None
            )
            if dist_info is None:
                result.notes[request.name] = f"not installed in {self.label}"
                continue
            dist = _installed(dist_info)
            if not _version_matches(dist.version, request.pinned):
                result.notes[request.name] = (
                    f"{self.label} has {dist.version}, the app pins {request.pinned}"
                )
                continue
            result.found[request.name] = DistributionInfo(
                request.name, dist.version, dist.bytes, SOURCE_ENVIRONMENT, dist.requires
            )
        return result


def find_site_packages(app: App) -> tuple[list[Path], str]:
    """The app environment's site-packages directories and a description of where they came from.

    ``[tool.flash-ls] python`` (an interpreter or a virtualenv directory, relative to the app root)
    wins; otherwise the app's ``.venv``, ``venv`` or ``env`` virtualenv. Directories are found
    on disk; only an interpreter outside any recognisable layout is asked (``sysconfig``).
    """
    configured = app.config.python
    if configured:
        path = Path(os.path.expanduser(configured))
        if not path.is_absolute():
            path = app.root / path
        label = f"the configured environment ({configured})"
        if path.is_dir():
            return _prefix_site_packages(path), label
        if path.is_file():
            prefix = path.parent.parent  # <prefix>/bin/python, <venv>/Scripts/python.exe
            found = _prefix_site_packages(prefix)
            return (found or _ask_interpreter(path)), label
        return [], label
    for name in (".venv", "venv", "env"):
        venv = app.root / name
        if (venv / "pyvenv.cfg").is_file():
            return _prefix_site_packages(venv), f"the app's {name}"
    return [], "the app's environment"


def _prefix_site_packages(prefix: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in (
        "lib/python3*/site-packages",
        "lib64/python3*/site-packages",
        "lib/python3*/dist-packages",
        "Lib/site-packages",
    ):
        for candidate in sorted(prefix.glob(pattern)):
            if candidate.is_dir() and candidate.resolve() not in {f.resolve() for f in found}:
                found.append(candidate)
    return found


def _ask_interpreter(interpreter: Path) -> list[Path]:
    """site-packages of an interpreter whose layout is not recognised (runs it once, cached)."""
    with _LOCK:
        cached = _INTERPRETER_CACHE.get(interpreter)
    if cached is not None:
        return cached
    code = "import json, sysconfig; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"
    found: list[Path] = []
    try:
        output = subprocess.run(
            [str(interpreter), "-I", "-c", code],
            capture_output=True,
            text=True,
            timeout=_INTERPRETER_TIMEOUT,
            check=True,
        ).stdout
        for item in json.loads(output):
            path = Path(item)
            if path.is_dir() and path not in found:
                found.append(path)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.debug("cannot ask %s for its site-packages: %s", interpreter, exc)
    with _LOCK:
        _INTERPRETER_CACHE[interpreter] = found
    return found


# -- package index --------------------------------------------------------------------------


def index_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The index JSON API base URL from ``FLASH_LS_PYPI_URL`` (``environ``, then the process);
    None when lookups are disabled (empty or ``off``)."""
    value = (environ or {}).get(PYPI_URL_ENV)
    if value is None:
        value = os.environ.get(PYPI_URL_ENV)
    if value is None:
        return DEFAULT_PYPI_URL
    value = value.strip()
    if value.lower() in ("", "off", "none", "false", "0"):
        return None
    return value.rstrip("/")


def supported_tags(python_version: str) -> dict[Tag, int]:
    """Wheel tags pip accepts for the build's target, with their preference (lower is better)."""
    return dict(_tag_ranks(python_version))


@functools.lru_cache(maxsize=16)
def _tag_ranks(python_version: str) -> Mapping[Tag, int]:
    major, minor = (int(p) for p in python_version.split(".")[:2])
    interpreter = f"cp{major}{minor}"
    tags = [
        *cpython_tags((major, minor), abis=[interpreter], platforms=PIP_PLATFORMS),
        *compatible_tags((major, minor), interpreter=interpreter, platforms=PIP_PLATFORMS),
    ]
    ranks: dict[Tag, int] = {}
    for rank, tag in enumerate(tags):
        ranks.setdefault(tag, rank)
    return ranks


@dataclass(frozen=True, slots=True)
class _IndexAnswer:
    version: str | None
    bytes: int | None
    filename: str | None
    problem: str | None  # why there is no size (a definite answer, cached)
    fetched: float


class _IndexUnavailable(Exception):
    """The index could not be asked (offline, timeout, server error): nothing is cached."""


_Wheels = tuple[tuple[str, int], ...]  # (filename, size) of the usable wheels of a release


@dataclass(frozen=True, slots=True)
class _Page:
    """One JSON API answer (``/<name>/json`` or ``/<name>/<version>/json``), reduced to what
    choosing a wheel needs; shared by every requirement on the same distribution and pin."""

    missing: bool
    """The index answered 404."""
    version: str | None = None
    """``info.version``: the latest release, or the pinned one."""
    files: _Wheels = ()
    """The wheels of ``version`` (``urls``)."""
    releases: dict[str, _Wheels] | None = None
    """Every release with its wheels, for a specifier the latest release does not match."""
    complete: bool = True
    """False when ``releases`` was not decoded (no request known then needed it)."""


@dataclass(eq=False, slots=True)
class _Fetch:
    """One index request, under way or answered, and the answers waiting for it."""

    url: str
    base_url: str
    deadline: float
    """``time.monotonic()`` after which lookups stop waiting for it."""
    epoch: int
    future: concurrent.futures.Future[_Page] = field(default_factory=concurrent.futures.Future)
    subscribed: set[str] = field(default_factory=set)
    """Cache keys whose answer is stored as soon as the page arrives."""
    specifiers: set[str] = field(default_factory=set)
    """The specifiers of the requests waiting for it (do they need every release?)."""
    latest: str | None = None
    """Set when the page is decoded without its releases: the latest version, which later
    requests check their specifier against (one it does not match needs a new request)."""
    landed: float | None = None
    """``time.monotonic()`` when it finished."""


_INDEX_MEMO: dict[str, _IndexAnswer] = {}
_OFFLINE_UNTIL: dict[str, float] = {}
_FETCHES: dict[str, _Fetch] = {}  # by URL: one request per distribution and pin
_FETCH_WORKERS = 16
_FETCH_TIMEOUT = INDEX_TIMEOUT  # network timeout of one request, however long callers wait
_PAGE_SECONDS = 300.0  # an answered page serves other specifiers of its distribution this long
_FAILED_SECONDS = 5.0  # a failed request (HTTP 5xx, bad JSON) is not repeated sooner
_FETCHES_KEPT = 64  # above this many, answered requests past their use are dropped
_QUEUE: queue.SimpleQueue[_Fetch] = queue.SimpleQueue()
_WORKERS = 0  # pool threads started
_IDLE_WORKERS = 0  # of which not running a fetch
_QUEUED = 0  # fetches queued that no thread took yet
_SSL_CONTEXT: ssl.SSLContext | None = None
_SSL_LOCK = threading.Lock()
_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "User-Agent": f"flash-ls/{__version__} (artifact size estimate)",
}
_EPOCH = 0  # bumped by clear_caches: requests started before do not store their answers
_GENERATION = 0  # bumped whenever an index request lands (invalidates provisional estimates)


def _submit(fetch: _Fetch) -> None:
    """Queue ``fetch`` for a pool thread, starting one unless an idle one will take it (up to
    :data:`_FETCH_WORKERS`). The threads are daemons: a CLI run that is done does not wait for a
    slow index at exit (a ThreadPoolExecutor's threads would be joined)."""
    global _IDLE_WORKERS, _QUEUED, _WORKERS
    with _LOCK:
        if _QUEUED >= _IDLE_WORKERS and _WORKERS < _FETCH_WORKERS:
            thread = threading.Thread(target=_work, name="flash-ls-index", daemon=True)
            thread.start()  # RuntimeError at interpreter shutdown: nothing queued then
            _WORKERS += 1
            _IDLE_WORKERS += 1
        _QUEUED += 1
        _QUEUE.put(fetch)


def _work() -> None:
    global _IDLE_WORKERS, _QUEUED
    while True:
        fetch = _QUEUE.get()
        with _LOCK:
            _QUEUED -= 1
            _IDLE_WORKERS -= 1
        try:
            _run_fetch(fetch)
        except Exception:  # never lose the thread
            log.debug("index lookup of %s failed", fetch.url, exc_info=True)
        finally:
            with _LOCK:
                _IDLE_WORKERS += 1


def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every lookup: ``SSL_CERT_FILE``, ``SSL_CERT_DIR``, else certifi's bundle
    (what Python HTTP clients such as httpx and pip trust by default)."""
    import ssl

    global _SSL_CONTEXT
    with _SSL_LOCK:
        if _SSL_CONTEXT is None:
            if os.environ.get("SSL_CERT_FILE"):
                _SSL_CONTEXT = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
            elif os.environ.get("SSL_CERT_DIR"):
                _SSL_CONTEXT = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
            else:
                import certifi

                _SSL_CONTEXT = ssl.create_default_context(cafile=certifi.where())
        return _SSL_CONTEXT


class _Unreachable(Exception):
    """The request did not get an HTTP answer (connection, TLS, timeout, broken response)."""


def _http_get(url: str) -> tuple[int, bytes, bool]:
    """``(status, body, gzipped)`` of a GET, redirects followed, proxies from the environment.

    The standard library rather than httpx: a check fetches megabytes of JSON while it parses on
    the same interpreter lock, and urllib costs about half the CPU (and a fifth of the import).
    """
    import http.client
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_ssl_context()))
    request = urllib.request.Request(url, headers=_HEADERS)
    try:
        with opener.open(request, timeout=_FETCH_TIMEOUT) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        err.close()
        return err.code, b"", False
    except urllib.error.URLError as err:
        raise _Unreachable(str(err.reason)) from err
    except (OSError, http.client.HTTPException) as err:
        raise _Unreachable(str(err) or type(err).__name__) from err
    return status, body, headers.get("Content-Encoding", "").strip().lower() == "gzip"


def _run_fetch(fetch: _Fetch) -> None:
    """Answer ``fetch`` (in a pool thread)."""
    try:
        page = _fetch_page(fetch)
    except BaseException as exc:
        _landed(fetch)
        fetch.future.set_exception(exc)
    else:
        _landed(fetch)
        fetch.future.set_result(page)


def _landed(fetch: _Fetch) -> None:
    global _GENERATION
    with _LOCK:
        fetch.landed = time.monotonic()
        # Before anyone can see the answer: an estimate made while it was under way is redone.
        _GENERATION += 1


def _fetch_page(fetch: _Fetch) -> _Page:
    """GET one JSON API page. Raises :class:`_IndexUnavailable` only."""
    base_url, url, epoch = fetch.base_url, fetch.url, fetch.epoch
    with _LOCK:
        if _OFFLINE_UNTIL.get(base_url, 0.0) > time.monotonic():
            raise _IndexUnavailable(f"the package index ({base_url}) is unreachable")
    try:
        status, body, gzipped = _http_get(url)
    except _Unreachable as exc:
        with _LOCK:
            if epoch == _EPOCH:
                _OFFLINE_UNTIL[base_url] = time.monotonic() + _OFFLINE_SECONDS
        raise _IndexUnavailable(f"the package index ({base_url}) is unreachable: {exc}") from exc
    except Exception as exc:  # an invalid URL, a broken certificate setting ...
        raise _IndexUnavailable(f"the package index cannot be asked: {exc}") from exc
    if status == 404:
        return _Page(missing=True)
    if status != 200:
        raise _IndexUnavailable(f"the package index answered HTTP {status}")
    try:
        if gzipped:
            import gzip
            import zlib

            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error) as exc:
                raise ValueError(f"broken compressed answer: {exc}") from exc
        text = body.decode(json.detect_encoding(body), "surrogatepass")  # as json.loads(bytes)
        # Decoding every release of a popular distribution costs tens of milliseconds (of GIL):
        # skip them unless a request needs them.
        data = _without_releases(text)
        if data is not None:
            page = _reduce_page(data, complete=False)
            with _LOCK:
                if page.version is not None and not any(
                    _excludes(spec, page.version) for spec in fetch.specifiers
                ):
                    fetch.latest = page.version
                    return page
        return _reduce_page(json.loads(text), complete=True)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _IndexUnavailable(f"unexpected package index answer: {exc}") from exc


_RELEASES_KEY = '"releases":'
_URLS_KEY = '"urls":'


def _without_releases(text: str) -> dict[str, Any] | None:
    """The top-level object of a JSON API answer without its ``releases`` member, decoded without
    looking at it; None unless the answer is laid out as the index writes it (``releases``
    before ``urls``), in which case the caller decodes it all.

    Not preceded by a backslash, ``"releases":`` and ``"urls":`` can only be keys (a quote inside
    a string is escaped); cutting from the first to the last anywhere but at the top level leaves
    unbalanced brackets, which the decoder rejects.
    """
    start = text.find(_RELEASES_KEY)
    end = text.rfind(_URLS_KEY)
    if start < 1 or end < start or text[start - 1] == "\\" or text[end - 1] == "\\":
        return None
    if text.find('"info":', start, end) != -1 or text.find(_URLS_KEY, start, end) != -1:
        return None  # a later member would win over an earlier one of the same name
    try:
        data = json.loads(text[:start] + text[end:])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _excludes(specifier: str, version: str) -> bool:
    """Whether the latest ``version`` does not do for ``specifier`` (every release is needed)."""
    if not specifier.strip():
        return False
    try:
        return not SpecifierSet(specifier).contains(version, prereleases=True)
    except ValueError:
        return True  # decode it all: choosing then fails as it would have


def _reduce_page(data: Any, *, complete: bool) -> _Page:
    info = data.get("info")
    version = str(info["version"]) if isinstance(info, dict) and "version" in info else None
    releases = data.get("releases")
    reduced = None
    if isinstance(releases, dict):
        reduced = {str(text): _wheels(files) for text, files in releases.items()}
    return _Page(False, version, _wheels(data.get("urls")), reduced, complete)


def _wheels(files: object) -> _Wheels:
    found = []
    for item in files if isinstance(files, list) else []:
        if not isinstance(item, dict) or item.get("yanked"):
            continue
        filename = str(item.get("filename", ""))
        size = item.get("size")
        if filename.endswith(".whl") and isinstance(size, int):
            found.append((filename, size))
    return tuple(found)


def _usable(fetch: _Fetch, now: float, specifier: str | None = None) -> bool:
    """Whether ``fetch`` may answer a new request (under way, or answered recently enough, and
    with every release decoded if ``specifier`` needs them)."""
    if fetch.epoch != _EPOCH:
        return False
    if specifier is not None and fetch.latest is not None and _excludes(specifier, fetch.latest):
        return False
    if not fetch.future.done():
        return True
    age = now - (fetch.landed if fetch.landed is not None else now)
    failed = fetch.future.exception() is not None
    return age < (_FAILED_SECONDS if failed else _PAGE_SECONDS)


class IndexProvider:
    """Wheel sizes from the package index's JSON API, for direct requirements only.

    Requests go through a process-wide pool: a distribution (and pin) is fetched once however many
    providers ask for it while the request is under way or recently answered. :meth:`start` only
    starts lookups; :meth:`lookup` waits for them, at most ``timeout`` seconds after they started.
    """

    knows_dependencies = False

    def __init__(
        self,
        base_url: str,
        python_version: str = DEFAULT_PYTHON_VERSION,
        cache_dir: Path | None = None,
        timeout: float = INDEX_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.python_version = python_version
        self.cache_dir = cache_dir
        self.timeout = timeout
        self._tags = _tag_ranks(python_version)

    def start(self, requests: Sequence[DistributionRequest]) -> None:
        """Start the lookups ``requests`` need that no cache answers, without waiting for them."""
        for request in requests:
            if request.direct and request.need_size and self._cached(request) is None:
                self._subscribe(request)

    def lookup(self, requests: Sequence[DistributionRequest]) -> LookupResult:
        result = LookupResult()
        waiting: dict[str, tuple[DistributionRequest, _Fetch]] = {}
        for request in requests:
            if not (request.direct and request.need_size):
                result.notes[request.name] = (
                    "the package index lookup sizes direct requirements only"
                )
                continue
            answer = self._cached(request)
            if answer is not None:
                self._record(result, request, answer)
                continue
            fetch = self._subscribe(request)
            if fetch is None:
                result.notes[request.name] = f"the package index ({self.base_url}) is unreachable"
                result.provisional = True
            else:
                waiting[request.name] = (request, fetch)
        if not waiting:
            return result
        now = time.monotonic()
        deadline = min(now + self.timeout, max(f.deadline for _, f in waiting.values()))
        futures = {fetch.future for _, fetch in waiting.values()}
        # Late answers still land in the cache for the next check; nobody waits for them.
        done, _ = concurrent.futures.wait(futures, timeout=max(0.0, deadline - now))
        for name, (request, fetch) in waiting.items():
            if fetch.future not in done:
                result.notes[name] = (
                    f"the package index did not answer within {self.timeout:g} s"
                    if self.timeout
                    else "its size is being looked up on the package index (known at the next check)"
                )
                result.provisional = True
                continue
            outcome = self._cached(request) or self._settle(request, fetch.future)
            if isinstance(outcome, str):
                result.notes[name] = outcome
                result.provisional = True
            else:
                self._record(result, request, outcome)
        return result

    def _record(
        self, result: LookupResult, request: DistributionRequest, answer: _IndexAnswer
    ) -> None:
        if answer.bytes is None:
            result.notes[request.name] = answer.problem or "no size on the package index"
            return
        result.found[request.name] = DistributionInfo(
            request.name, answer.version, answer.bytes, SOURCE_INDEX, None
        )

    # -- requests ---------------------------------------------------------------------------

    def _url(self, request: DistributionRequest) -> str:
        pinned = request.pinned
        if pinned:
            return f"{self.base_url}/{request.name}/{pinned}/json"
        return f"{self.base_url}/{request.name}/json"

    def _subscribe(self, request: DistributionRequest) -> _Fetch | None:
        """The request answering ``request``: one under way or recently answered, else a new one
        (None while the index is known to be unreachable). Its answer is stored when it lands."""
        url = self._url(request)
        key = self._key(request)
        specifier = request.specifier.strip()
        now = time.monotonic()
        with _LOCK:
            fetch = _FETCHES.get(url)
            if fetch is None or not _usable(fetch, now, specifier):
                if _OFFLINE_UNTIL.get(self.base_url, 0.0) > now:
                    return None
                if len(_FETCHES) >= _FETCHES_KEPT:
                    for stale in [u for u, f in _FETCHES.items() if not _usable(f, now)]:
                        del _FETCHES[stale]
                fetch = _FETCHES[url] = _Fetch(url, self.base_url, now + self.timeout, _EPOCH)
                fetch.specifiers.add(specifier)
                try:
                    _submit(fetch)
                except RuntimeError as exc:  # the interpreter is shutting down
                    _landed(fetch)
                    fetch.future.set_exception(_IndexUnavailable(f"no index lookup: {exc}"))
            if key in fetch.subscribed:
                return fetch
            fetch.subscribed.add(key)
            fetch.specifiers.add(specifier)
        fetch.future.add_done_callback(functools.partial(self._store_when_landed, request, fetch))
        return fetch

    def _store_when_landed(
        self,
        request: DistributionRequest,
        fetch: _Fetch,
        future: concurrent.futures.Future[_Page],
    ) -> None:
        if fetch.epoch == _EPOCH:
            self._settle(request, future)

    def _settle(
        self, request: DistributionRequest, future: concurrent.futures.Future[_Page]
    ) -> _IndexAnswer | str:
        """The answer to ``request`` from a finished request (stored), or why there is none."""
        try:
            page = future.result()
        except _IndexUnavailable as exc:
            return str(exc)
        except Exception as exc:  # never let a lookup crash the check
            return f"the package index lookup failed: {exc}"
        try:
            answer = self._answer(request, page)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return f"unexpected package index answer: {exc}"
        self._store(request, answer)
        return answer

    # -- cache ------------------------------------------------------------------------------

    def _key(self, request: DistributionRequest) -> str:
        parts = (self.base_url, request.name, request.specifier.strip(), self.python_version)
        return hashlib.sha1("\x00".join(parts).encode()).hexdigest()

    def _cached(self, request: DistributionRequest) -> _IndexAnswer | None:
        key = self._key(request)
        with _LOCK:
            answer = _INDEX_MEMO.get(key)
        if answer is None and self.cache_dir is not None:
            answer = self._load(key)
            if answer is not None:
                with _LOCK:
                    _INDEX_MEMO[key] = answer
        if answer is None:
            return None
        if answer.bytes is None:
            ttl = _INDEX_TTL_MISSING
        else:
            ttl = _INDEX_TTL_PINNED if request.pinned else _INDEX_TTL_LATEST
        return answer if time.time() - answer.fetched < ttl else None

    def _load(self, key: str) -> _IndexAnswer | None:
        assert self.cache_dir is not None
        try:
            data = json.loads((self.cache_dir / f"{key}.json").read_text(encoding="utf-8"))
            return _IndexAnswer(
                data.get("version"),
                data.get("bytes"),
                data.get("filename"),
                data.get("problem"),
                float(data["fetched"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _store(self, request: DistributionRequest, answer: _IndexAnswer) -> None:
        """Keep ``answer`` on disk, then in memory (whoever finds it in memory finds it on disk)."""
        global _GENERATION
        key = self._key(request)
        if self.cache_dir is not None:
            data = {
                "name": request.name,
                "specifier": request.specifier,
                "version": answer.version,
                "bytes": answer.bytes,
                "filename": answer.filename,
                "problem": answer.problem,
                "fetched": answer.fetched,
            }
            write_cache_file(self.cache_dir / f"{key}.json", json.dumps(data).encode("utf-8"))
        with _LOCK:
            _INDEX_MEMO[key] = answer
            _GENERATION += 1

    # -- answers ----------------------------------------------------------------------------

    def _answer(self, request: DistributionRequest, page: _Page) -> _IndexAnswer:
        if (
            not page.complete
            and page.version is not None
            and not request.pinned
            and _excludes(request.specifier, page.version)
        ):
            # Cannot happen (such a request waits for a complete page); never answer wrongly.
            raise ValueError("the releases were not decoded")
        if page.missing:
            pinned = request.pinned
            what = f"{request.name} {pinned}" if pinned else request.name
            return _IndexAnswer(
                None, None, None, f"{what} is not on the package index", time.time()
            )
        return self._choose(request, page)

    def _choose(self, request: DistributionRequest, page: _Page) -> _IndexAnswer:
        """The wheel pip would install from one JSON API answer."""
        version = page.version
        files = page.files
        specifier = SpecifierSet(request.specifier) if request.specifier.strip() else SpecifierSet()
        if (
            version is not None
            and not request.pinned
            and not specifier.contains(version, prereleases=True)
        ):
            version, files = _best_release(page.releases, specifier)
            if version is None:
                return _IndexAnswer(
                    None,
                    None,
                    None,
                    f"no release matching {request.specifier} in the index answer",
                    time.time(),
                )
        best: tuple[int, str, int] | None = None
        for filename, size in files:
            try:
                tags = parse_wheel_filename(filename)[3]
            except InvalidWheelFilename:
                continue
            rank = min((self._tags[t] for t in tags if t in self._tags), default=None)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, filename, size)
        if best is None:
            problem = (
                f"{request.name} {version or ''} has no wheel for CPython {self.python_version} on "
                "manylinux x86_64 (flash build installs binary wheels only)"
            )
            return _IndexAnswer(version, None, None, problem.replace("  ", " "), time.time())
        return _IndexAnswer(version, best[2], best[1], None, time.time())


def _best_release(
    releases: dict[str, _Wheels] | None, specifier: SpecifierSet
) -> tuple[str | None, _Wheels]:
    """The highest final release in ``releases`` matching ``specifier``, with its wheels."""
    if releases is None:
        return None, ()
    candidates: list[tuple[Version, str]] = []
    for text in releases:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not version.is_prerelease and specifier.contains(version):
            candidates.append((version, text))
    if not candidates:
        return None, ()
    _, text = max(candidates)
    return text, releases[text]


# -- the chain ------------------------------------------------------------------------------


class ProviderChain:
    """Providers asked in order: sizes from the first that knows one, ``Requires-Dist`` likewise."""

    knows_dependencies = True

    def __init__(self, providers: Sequence[SizeProvider], notes: Sequence[str] = ()) -> None:
        self.providers = list(providers)
        self.notes = list(notes)
        """General remarks (which environment, no report, index off) for ``--verbose``."""

    def lookup(self, requests: Sequence[DistributionRequest]) -> LookupResult:
        result = LookupResult()
        reasons: dict[str, list[str]] = {}
        for provider in self.providers:
            wanted = [
                r
                for r in requests
                if _incomplete(result.found.get(r.name), r, provider.knows_dependencies)
            ]
            if not wanted:
                break
            answer = provider.lookup(wanted)
            result.provisional = result.provisional or answer.provisional
            for name, reason in answer.notes.items():
                reasons.setdefault(name, []).append(reason)
            for name, info in answer.found.items():
                result.found[name] = _merge(result.found.get(name), info)
        for request in requests:
            known = result.found.get(request.name)
            if (known is None or known.bytes is None) and request.need_size:
                result.notes[request.name] = "; ".join(
                    reasons.get(request.name, ["no size provider"])
                )
        return result

    def start(self, requests: Sequence[DistributionRequest]) -> None:
        """Start the index lookups :meth:`lookup` would make for ``requests``, without waiting:
        the providers before the index are asked now (they read local files)."""
        found: dict[str, DistributionInfo] = {}
        for provider in self.providers:
            wanted = [
                r
                for r in requests
                if _incomplete(found.get(r.name), r, provider.knows_dependencies)
            ]
            if not wanted:
                return
            if isinstance(provider, IndexProvider):
                provider.start(wanted)
                continue
            for name, info in provider.lookup(wanted).found.items():
                found[name] = _merge(found.get(name), info)

    def report(self) -> ReportProvider | None:
        return next((p for p in self.providers if isinstance(p, ReportProvider)), None)


def _incomplete(
    info: DistributionInfo | None, request: DistributionRequest, for_dependencies: bool
) -> bool:
    if info is None:
        return True
    if request.need_size and info.bytes is None:
        return True
    return for_dependencies and info.requires is None


def _merge(old: DistributionInfo | None, new: DistributionInfo) -> DistributionInfo:
    """Size and version from the first provider that has a size, dependencies from the first
    that has them."""
    if old is None:
        return new
    merged = old
    if old.bytes is None and new.bytes is not None:
        merged = replace(new, requires=old.requires, excluded=old.excluded or new.excluded)
    if merged.requires is None and new.requires is not None:
        merged = replace(merged, requires=new.requires)
    return merged


@dataclass(frozen=True, slots=True)
class _Sources:
    """What the default providers of an app read, and a stamp that changes when any of it does."""

    report: SizeReport | None
    report_problem: str | None
    sites: tuple[Path, ...]
    label: str
    url: str | None
    stamp: tuple[object, ...]


def _sources(app: App) -> _Sources:
    report, problem = load_size_report(app.root)
    report_stamp: tuple[object, ...] = ()
    if report is not None or problem is not None:
        path = app.root / SIZE_REPORT_PATH
        try:
            st = path.stat()
            report_stamp = (str(path), st.st_mtime_ns, st.st_size, problem)
        except OSError:
            report_stamp = (str(path), None, None, problem)
    sites, label = find_site_packages(app)
    # A site-packages directory changes its mtime when a distribution is (un)installed.
    site_stamp = tuple((str(site), _mtime(str(site))) for site in sites)
    url = index_url(app.environ)
    stamp = (report_stamp, label, site_stamp, url)
    return _Sources(report, problem, tuple(sites), label, url, stamp)


def default_provider(app: App, python_version: str | None = None) -> ProviderChain:
    """The report, environment and index providers for ``app`` (see the module docstring)."""
    version = python_version or target_python_version(app)
    return _chain(_sources(app), version)


def _chain(sources: _Sources, python_version: str) -> ProviderChain:
    providers: list[SizeProvider] = []
    notes: list[str] = []
    if sources.report is not None:
        providers.append(ReportProvider(sources.report))
    else:
        notes.append(sources.report_problem or f"no {SIZE_REPORT_PATH} (written by flash-ls build)")
    if sources.sites:
        providers.append(EnvironmentProvider(sources.sites, sources.label))
    else:
        notes.append(
            f"no site-packages found for {sources.label}; set [tool.flash-ls] python or pass "
            "--python"
        )
    if sources.url is not None:
        providers.append(
            IndexProvider(
                sources.url, python_version, default_cache_dir() / "index", timeout=_index_wait
            )
        )
    else:
        notes.append(f"package index lookups are off ({PYPI_URL_ENV})")
    return ProviderChain(providers, notes)


# ---------------------------------------------------------------------------------------------
# The estimate


@dataclass(frozen=True, slots=True)
class DependencySize:
    """One distribution that would be installed into the artifact."""

    name: str
    bytes: int | None
    source: str
    """Which provider sized it (``size-report``, ``environment``, ``index``) or ``unknown``."""
    required_by: str | None = None
    """The direct requirement that pulled it in; None for direct ones (and unattributed ones)."""
    version: str | None = None


@dataclass(frozen=True, slots=True)
class DependencyContribution:
    """A declared requirement with everything it pulls in."""

    declared: DeclaredDependency
    name: str
    bytes: int
    """Known bytes of the distribution and of the transitive ones attributed to it."""
    dependencies: int
    """How many transitive distributions are attributed to it."""
    complete: bool
    """False when its size or some of its dependencies' sizes are unknown."""


@dataclass(frozen=True)
class SizeEstimate:
    """The estimated artifact; ``total_bytes`` counts only what is known (see ``complete``)."""

    total_bytes: int
    files_bytes: int
    deps: list[DependencySize]
    unknown: list[str]
    """Distributions whose size no provider knew."""
    excluded: list[str]
    """Distributions left out of the artifact (always-excluded packages, ``--exclude``)."""
    partial: list[str] = field(default_factory=list)
    """Distributions whose own dependencies could not be followed."""
    notes: list[str] = field(default_factory=list)
    """Why things are unknown, for ``--verbose`` and hover."""
    files: list[ShippedFile] = field(default_factory=list)
    contributions: list[DependencyContribution] = field(default_factory=list)
    python_version: str = DEFAULT_PYTHON_VERSION
    provisional: bool = False
    """Some size may still arrive from the package index (a later check will know more)."""

    @property
    def deps_bytes(self) -> int:
        return self.total_bytes - self.files_bytes

    @property
    def complete(self) -> bool:
        return not self.unknown and not self.partial

    def largest_files(self, count: int = 5) -> list[ShippedFile]:
        return sorted(self.files, key=lambda f: (-f.bytes, f.rel))[:count]

    def contribution_for(self, name: str) -> DependencyContribution | None:
        key = canonicalize_name(name)
        return next((c for c in self.contributions if c.name == key), None)

    def describe(self, budget_mb: float | None = None) -> list[str]:
        """The breakdown as text lines (hover, ``--verbose``)."""
        at_least = "" if self.complete else "at least "
        head = f"Estimated artifact: {at_least}{format_size(self.total_bytes)}"
        if budget_mb is not None:
            head += f" of the {budget_mb:g} MB limit"
        sized = sum(1 for d in self.deps if d.bytes is not None)
        lines = [
            head,
            f"- project files: {format_size(self.files_bytes)} in {plural(len(self.files), 'file')}",
            f"- dependencies: {format_size(self.deps_bytes)} in {plural(sized, 'distribution')} "
            f"(target Python {self.python_version})",
        ]
        for contribution in sorted(self.contributions, key=lambda c: -c.bytes)[:10]:
            count = contribution.dependencies
            extra = ""
            if count:
                extra = " with 1 dependency" if count == 1 else f" with {count} dependencies"
            mark = "" if contribution.complete else " (incomplete)"
            lines.append(f"  - {contribution.name}: {format_size(contribution.bytes)}{extra}{mark}")
        for shipped in self.largest_files(3):
            lines.append(f"  - {shipped.rel}: {format_size(shipped.bytes)}")
        if self.excluded:
            lines.append(f"- excluded: {', '.join(self.excluded)}")
        if self.unknown:
            lines.append(f"- unknown size: {', '.join(self.unknown)}")
        lines.extend(f"- {note}" for note in self.notes)
        return lines


def estimate_artifact(
    app: App,
    provider: SizeProvider | None = None,
    *,
    python_version: str | None = None,
    excluded_packages: Iterable[str] = (),
) -> SizeEstimate:
    """Estimate the artifact of ``app``: shipped files plus the dependencies pip would install.

    ``provider`` defaults to :func:`default_provider`; ``excluded_packages`` are the
    ``flash build --exclude`` names, on top of torch, torchvision, torchaudio and triton.

    With the default providers, the dependency part is memoised by everything it depends on (see
    :func:`_resolution_key`); the shipped files and the declared requirements' locations are
    always the app's current ones.
    """
    files = shipped_files(app)
    files_bytes = sum(f.bytes for f in files)
    version = python_version or target_python_version(app)
    declared = declared_dependencies(app)
    user_excluded = {e.strip().lower() for e in excluded_packages if e.strip()}
    if provider is None:
        resolution = _memoised_resolution(app, version, declared, user_excluded)
    else:
        resolution = _resolve(provider, version, declared, user_excluded)
    deps = list(resolution.deps)
    return SizeEstimate(
        total_bytes=files_bytes + sum(d.bytes or 0 for d in deps),
        files_bytes=files_bytes,
        deps=deps,
        unknown=list(resolution.unknown),
        excluded=list(resolution.excluded),
        partial=list(resolution.partial),
        notes=list(resolution.notes),
        files=files,
        contributions=[
            DependencyContribution(declared[position], name, size, count, complete)
            for position, name, size, count, complete in resolution.contributions
        ],
        python_version=version,
        provisional=resolution.provisional,
    )


@dataclass(frozen=True, slots=True)
class _Resolution:
    """The dependency part of an estimate; declared requirements by position in the app's list."""

    deps: tuple[DependencySize, ...]
    unknown: tuple[str, ...]
    excluded: tuple[str, ...]
    partial: tuple[str, ...]
    notes: tuple[str, ...]
    contributions: tuple[tuple[int, str, int, int, bool], ...]
    """(position of the declared requirement, name, bytes, dependencies, complete)."""
    provisional: bool
    """Some index answer may still come (see :attr:`LookupResult.provisional`)."""


def _resolve(
    provider: SizeProvider,
    version: str,
    declared: Sequence[DeclaredDependency],
    user_excluded: set[str],
) -> _Resolution:
    resolver = _Resolver(provider, version, user_excluded)
    resolver.run(declared)
    deps = tuple(d for d in resolver.sizes() if d.name not in resolver.excluded)
    unknown = tuple(d.name for d in deps if d.bytes is None)
    notes = list(resolver.notes)
    if (unknown or resolver.partial) and isinstance(provider, ProviderChain):
        notes.extend(provider.notes)
    return _Resolution(
        deps,
        unknown,
        tuple(resolver.excluded),
        tuple(resolver.partial),
        tuple(notes),
        tuple(resolver.contributions()),
        resolver.provisional,
    )


_RESOLUTIONS: OrderedDict[tuple[object, ...], tuple[float, int, _Resolution]] = OrderedDict()
_RESOLUTIONS_KEPT = 256
_RESOLUTION_SECONDS = 300.0  # index answers expire, interpreters get asked again ...
_PROVISIONAL_SECONDS = 10.0  # an estimate waiting for index answers is redone this often


def _resolution_key(
    sources: _Sources,
    version: str,
    declared: Sequence[DeclaredDependency],
    user_excluded: set[str],
) -> tuple[object, ...]:
    """Everything the dependency part of an estimate depends on.

    The requirement strings in the build's order (names, extras, markers and which declaration a
    contribution points at follow from them), the target Python, the excluded packages, and the
    providers' inputs: the size report's and the site-packages directories' stamps and the index
    URL. Index answers are not in the key: a result waiting for one is provisional (kept until
    an answer lands, at most :data:`_PROVISIONAL_SECONDS`), every result at most
    :data:`_RESOLUTION_SECONDS`.
    """
    raws = tuple(d.raw for d in declared)
    return (version, raws, tuple(sorted(user_excluded)), sources.stamp)


def _memoised_resolution(
    app: App, version: str, declared: Sequence[DeclaredDependency], user_excluded: set[str]
) -> _Resolution:
    sources = _sources(app)
    key = _resolution_key(sources, version, declared, user_excluded)
    now = time.monotonic()
    with _LOCK:
        known = _RESOLUTIONS.get(key)
        generation = _GENERATION
    if known is not None:
        made, made_generation, resolution = known
        age = now - made
        if age < _RESOLUTION_SECONDS and (
            not resolution.provisional
            or (made_generation == generation and age < _PROVISIONAL_SECONDS)
        ):
            with _LOCK:
                _RESOLUTIONS.move_to_end(key)
            return resolution
    resolution = _resolve(_chain(sources, version), version, declared, user_excluded)
    with _LOCK:
        _RESOLUTIONS[key] = (now, generation, resolution)
        _RESOLUTIONS.move_to_end(key)
        while len(_RESOLUTIONS) > _RESOLUTIONS_KEPT:
            _RESOLUTIONS.popitem(last=False)
    return resolution


@dataclass(slots=True)
class _Node:
    name: str
    required_by: str | None
    extras: set[str]
    info: DistributionInfo | None = None
    expanded: frozenset[str] | None = None  # extras its requirements were expanded with


_NO_REQUIRES = {
    SOURCE_INDEX: "the package index lookup sizes direct requirements only",
    SOURCE_REPORT: "the size report does not list what it requires",
    SOURCE_ENVIRONMENT: "its metadata lists no requirements",
}


class _Resolver:
    """Walks from the declared requirements through ``Requires-Dist`` as pip would install them."""

    def __init__(
        self, provider: SizeProvider, python_version: str, user_excluded: set[str]
    ) -> None:
        self.provider = provider
        self.environment = marker_environment(python_version)
        self.user_excluded = user_excluded
        self.excluded_names = {
            canonicalize_name(n) for n in SIZE_PROHIBITIVE_PACKAGES | user_excluded
        }
        self.official_excluded = {n.lower() for n in SIZE_PROHIBITIVE_PACKAGES} | user_excluded
        self.nodes: dict[str, _Node] = {}
        self.roots: dict[str, int] = {}  # name -> position of its first declaration
        self.excluded: dict[str, None] = {}  # ordered set
        self.partial: list[str] = []
        self.notes: list[str] = []
        self.provisional = False

    def run(self, declared: Sequence[DeclaredDependency]) -> None:
        pending = self.direct(declared)
        if self._use_current_report(declared):
            return
        while True:
            if pending:
                result = self.provider.lookup(pending)
                self.provisional = self.provisional or result.provisional
                for request in pending:
                    node = self.nodes[request.name]
                    node.info = result.found.get(request.name) or node.info
                    if request.name in result.notes:
                        self.notes.append(f"{request.name}: {result.notes[request.name]}")
            pending = []
            changed = False
            for node in list(self.nodes.values()):
                if node.info is not None and node.expanded != frozenset(node.extras):
                    changed = True
                    pending.extend(self._expand(node))
            if not pending and not changed:
                break

    def direct(self, declared: Sequence[DeclaredDependency]) -> list[DistributionRequest]:
        """Record the declared requirements pip gets; the lookups they need."""
        pending: list[DistributionRequest] = []
        seen_raw: set[str] = set()
        for position, dependency in enumerate(declared):
            if dependency.raw in seen_raw:
                continue  # the build de-duplicates requirement strings
            seen_raw.add(dependency.raw)
            requirement = dependency.requirement
            if requirement is None or dependency.name is None:
                self.notes.append(
                    f"'{dependency.raw}' is not a valid requirement and was not sized"
                )
                continue
            if requirement.marker is not None and not self._marker(requirement.marker, {""}):
                continue
            name = dependency.name
            if dependency.official_name in self.official_excluded:
                self.excluded[name] = (
                    None  # filtered out before pip: its dependencies are not installed
                )
                continue
            self.roots.setdefault(name, position)
            if self._reach(name, None, set(requirement.extras)):
                pending.append(
                    DistributionRequest(
                        name,
                        str(requirement.specifier),
                        direct=True,
                        need_size=name not in self.excluded_names,
                    )
                )
        return pending

    def current_report(
        self, declared: Sequence[DeclaredDependency]
    ) -> list[DistributionInfo] | None:
        """The report's distributions when it was built from exactly the current requirements."""
        chain = self.provider
        report = chain.report() if isinstance(chain, ProviderChain) else None
        if report is None:
            return None
        raws = [
            d.raw
            for d in declared
            if d.name is not None and d.official_name not in self.official_excluded
        ]
        return report.installed_with(raws)

    def _use_current_report(self, declared: Sequence[DeclaredDependency]) -> bool:
        """Take the report's distributions as they are when it matches the current requirements."""
        installed = self.current_report(declared)
        if installed is None:
            return False
        by_name = {info.name: info for info in installed}
        for name in list(self.nodes):
            self.nodes[name].info = by_name.get(name)
            if name not in by_name:
                self.notes.append(f"{name}: not in the last build's size report")
        # Attribute transitive distributions along the report's own Requires-Dist, when it has them.
        queue = list(self.nodes.values())
        while queue:
            node = queue.pop(0)
            if node.info is None or node.info.requires is None:
                continue
            for child, extras in self._children(node):
                if child in by_name and self._reach(child, node.required_by or node.name, extras):
                    self.nodes[child].info = by_name[child]
                    queue.append(self.nodes[child])
        for info in installed:
            if info.name not in self.nodes:
                self.nodes[info.name] = _Node(info.name, None, set(), info)
        for node in self.nodes.values():
            if node.info is not None and node.info.excluded:
                self.excluded[node.name] = None
        return True

    def _reach(self, name: str, required_by: str | None, extras: set[str]) -> bool:
        """Record that ``name`` is installed; True when it needs a (new) lookup or expansion."""
        node = self.nodes.get(name)
        if node is None:
            self.nodes[name] = _Node(name, required_by, set(extras))
            if name in self.excluded_names:
                self.excluded[name] = None  # installed, then dropped from the tarball
            return True
        if not extras <= node.extras:
            node.extras |= extras
            return True
        return False

    def _marker(self, marker: Marker, extras: set[str]) -> bool:
        try:
            return any(marker.evaluate({**self.environment, "extra": e}) for e in extras)
        except Exception:  # an undefined marker variable: pip would fail too; do not follow it
            return False

    def _children(self, node: _Node) -> list[tuple[str, set[str]]]:
        assert node.info is not None and node.info.requires is not None
        found: list[tuple[str, set[str]]] = []
        for line in node.info.requires:
            requirement = _requirement(line)
            if requirement is None:
                continue
            if requirement.marker is not None and not self._marker(
                requirement.marker, node.extras | {""}
            ):
                continue
            found.append((canonicalize_name(requirement.name), set(requirement.extras)))
        return found

    def _expand(self, node: _Node) -> list[DistributionRequest]:
        if node.info is None or node.expanded == frozenset(node.extras):
            return []
        if node.info.requires is None:
            if node.expanded is None and node.name not in self.excluded:
                self.partial.append(node.name)
                self.notes.append(
                    f"{node.name}: its own dependencies are not counted ({_NO_REQUIRES[node.info.source]})"
                )
            node.expanded = frozenset(node.extras)
            return []
        node.expanded = frozenset(node.extras)
        requests = []
        for child, extras in self._children(node):
            is_new = child not in self.nodes
            # _reach also widens the extras of a known node (expanded again on the next pass).
            if self._reach(child, node.required_by or node.name, extras) and is_new:
                requests.append(
                    DistributionRequest(child, need_size=child not in self.excluded_names)
                )
        return requests

    def sizes(self) -> list[DependencySize]:
        found = []
        for node in self.nodes.values():
            info = node.info
            if info is None:
                found.append(DependencySize(node.name, None, SOURCE_UNKNOWN, node.required_by))
            else:
                found.append(
                    DependencySize(
                        node.name, info.bytes, info.source, node.required_by, info.version
                    )
                )
        return found

    def contributions(self) -> list[tuple[int, str, int, int, bool]]:
        """(position of the declaration, name, bytes, dependencies, complete) per requirement."""
        result = []
        for name, position in self.roots.items():
            members = [n for n in self.nodes.values() if n.name == name or n.required_by == name]
            members = [n for n in members if n.name not in self.excluded]
            known = sum(
                n.info.bytes for n in members if n.info is not None and n.info.bytes is not None
            )
            complete = all(
                n.info is not None and n.info.bytes is not None for n in members
            ) and not any(n.name in self.partial for n in members)
            result.append((position, name, known, len(members) - 1, complete))
        return result


# The last App of each root and its estimate.
_ESTIMATES: dict[Path, tuple[App, SizeEstimate]] = {}


def cached_estimate(app: App) -> SizeEstimate:
    """:func:`estimate_artifact` with the default providers, computed once per ``App`` object
    (the rules of one check and ``--verbose`` share it; an edit builds a new App, whose estimate
    reuses the memoised dependency part when the dependencies did not change)."""
    with _LOCK:
        known = _ESTIMATES.get(app.root)
    if known is not None and known[0] is app:
        return known[1]
    estimate = estimate_artifact(app)
    with _LOCK:
        _remember(_ESTIMATES, app.root, (app, estimate))
    return estimate


def computed_estimate(app: App) -> SizeEstimate | None:
    """The estimate :func:`cached_estimate` made for this ``App`` object, without making one."""
    with _LOCK:
        known = _ESTIMATES.get(app.root)
    return known[1] if known is not None and known[0] is app else None


def start_size_lookups(app: App) -> App:
    """Start the package index lookups the size estimate of ``app`` will need, without waiting
    for them, and return ``app``.

    Called as each app of a check is loaded, so the lookups of all apps run (deduplicated, see
    :class:`IndexProvider`) while the rest is loaded and checked; the estimates then find the
    answers in the cache. Never raises and never touches the network itself.
    """
    try:
        _start_lookups(app)
    except Exception:  # only an optimisation: the estimate asks again and reports problems
        log.debug("cannot start the size lookups of %s", app.root, exc_info=True)
    return app


def _start_lookups(app: App) -> None:
    if not app.uses_flash:
        return  # not a Flash app: no rule estimates its size
    sources = _sources(app)
    if sources.url is None:
        return
    declared = declared_dependencies(app)
    if not declared:
        return
    version = target_python_version(app)
    chain = _chain(sources, version)
    resolver = _Resolver(chain, version, set())
    requests = resolver.direct(declared)
    if requests and resolver.current_report(declared) is None:
        chain.start(requests)


def clear_caches() -> None:
    """Forget every cached walk, report, environment listing, estimate and index answer, and let
    index requests under way store nothing (tests)."""
    global _EPOCH
    with _LOCK:
        _EPOCH += 1
        _REPORT_CACHE.clear()
        _FILES_CACHE.clear()
        _SHIPPED.clear()
        _SITE_CACHE.clear()
        _DIST_CACHE.clear()
        _INTERPRETER_CACHE.clear()
        _INDEX_MEMO.clear()
        _OFFLINE_UNTIL.clear()
        _FETCHES.clear()
        _RESOLUTIONS.clear()
        _ESTIMATES.clear()
