"""The incremental index of apps used by the CLI and the language server alike.

Files are read from disk unless the editor holds them open (overlays win). Parsing is cached by
content hash (in memory always, on disk for the CLI). An App is loaded once and then patched: an
edit costs one file's read and parse (most statements cached) plus dictionary work, not a new
listing, configuration or read of every file (see ``Workspace``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from flash_ls.parse import FileFacts, content_hash, is_app_api_relevant, is_flash_relevant
from flash_ls.parse.facts import Import, SyntaxProblem
from flash_ls.platform import PROJECT_DIR, SDK_MODULE
from flash_ls.project.app import App, SourceFile
from flash_ls.project.cache import FactsCache
from flash_ls.project.config import Config, ConfigProblem, KnownSelector, load_config
from flash_ls.project.encoding import SourceDecodeError, decode_source
from flash_ls.project.ignore import IgnoreRules, pattern_spec
from flash_ls.project.requirements import RequirementLine, read_requirements
from flash_ls.project.roots import (
    app_root_in,
    app_roots_in,
    containing_folder,
    discover_apps,
    is_app_root,
)
from flash_ls.span import Span

log = logging.getLogger(__name__)

# Directories never part of an app's sources (virtualenvs are also detected by pyvenv.cfg).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        PROJECT_DIR,
        ".runpod",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
        ".eggs",
        ".venv",
        "venv",
    }
)
MAX_PARSE_BYTES = 4 * 1024 * 1024
_APP_MARKERS = ("pyproject.toml", "requirements.txt", PROJECT_DIR)
_SDK_BYTES = SDK_MODULE.encode()


@dataclass(slots=True)
class LoadedText:
    text: str | None
    error: str | None
    size: int
    mentions_sdk: bool = False  # unreadable as text, but its bytes name the SDK
    gone: bool = False  # deleted since it was listed: absent from the app, not unreadable


def read_source(path: Path) -> LoadedText:
    """Read a Python file as the build would (PEP 263 coding declarations honoured); problems
    become an error message, never an exception."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedText(None, None, 0, gone=True)
    except OSError as err:
        reason = err.strerror or str(err)
        return LoadedText(None, f"cannot read file: {reason}", 0)
    size = len(data)
    mentions = _SDK_BYTES in data
    if b"\x00" in data:
        return LoadedText(None, "file contains NUL bytes; it is not Python source", size, mentions)
    try:
        text = decode_source(data)
    except SourceDecodeError as err:
        return LoadedText(None, str(err), size, mentions)
    return LoadedText(text, None, size)


def python_files(
    root: Path,
    *,
    skip_roots: Iterable[Path] = (),
    recursive: bool = True,
    walked: dict[str, int | None] | None = None,
) -> list[tuple[str, Path]]:
    """``(relative POSIX path, path)`` of every ``.py`` file under ``root``, in path order.

    Nested apps (``skip_roots``), virtualenvs, VCS and tool directories are not entered; symlink
    loops are cut, and nothing that resolves outside ``root`` through a symlink is listed (the
    build ships none of it, and a link to ``/`` would walk the whole disk). The order is the one the build's module table relies on: ``pkg/__init__.py``
    comes before ``pkg.py``. ``walked`` receives the modification time of every directory the
    listing depends on (listed, or left out as a virtualenv or a nested app), taken before it was
    read: while none changes, neither does the listing.
    """
    skipped = {os.path.realpath(p) for p in skip_roots}
    try:
        real_root = os.path.realpath(root)
    except (OSError, ValueError):
        return []
    seen: set[str] = set()
    found: list[tuple[str, Path]] = []
    stack: list[tuple[str, str, str]] = [(str(root), "", real_root)]  # (path, rel, real path)
    while stack:
        directory, rel_dir, real = stack.pop()
        if real in seen:
            continue  # symlink loop or second link to the same tree
        seen.add(real)
        if walked is not None:
            walked[directory] = _mtime(directory)
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                if entry.is_dir():
                    if not recursive or name in SKIPPED_DIRS:
                        continue
                    if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")):
                        if walked is not None:
                            walked[entry.path] = _mtime(entry.path)
                        continue
                    child = os.path.realpath(entry.path) if entry.is_symlink() else f"{real}/{name}"
                    if not _inside(child, real_root):
                        continue  # a link out of the app (to / even): the build ships none of it
                    if child not in skipped:
                        stack.append((entry.path, rel, child))
                    elif walked is not None:
                        walked[entry.path] = _mtime(entry.path)
                elif name.endswith(".py") and entry.is_file():
                    if entry.is_symlink() and not _inside(os.path.realpath(entry.path), real_root):
                        continue
                    found.append((rel, Path(entry.path)))
            except OSError:
                continue
    found.sort(key=lambda item: item[0].split("/"))
    return found


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def module_name(rel: str) -> str:
    """``workers/gpu.py`` -> ``workers.gpu``; ``pkg/__init__.py`` -> ``pkg`` (as the build imports it)."""
    stem = rel[:-3] if rel.endswith(".py") else rel
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


_Stamp = tuple[int, int, int]  # (mtime_ns, size, inode) of a file
# A file or directory modified this recently may change again within its timestamp's
# granularity without its stamp changing (coarse file systems): it is read again next time.
_RACY_NS = 2_000_000_000


@dataclass(slots=True, eq=False)
class _Entry:
    """One file of an app as read (editor buffer or disk), before the app decides how far to
    parse it. Entries outlive the App they were built into: an edit replaces one of them."""

    loaded: LoadedText
    base: SourceFile  # first-phase facts: full when the text mentions the SDK, else none yet
    stamp: _Stamp | None  # the disk file's stat before it was read; None: a buffer, or racy
    light: FileFacts | None = None  # memo: its light facts (a file not mentioning the SDK)
    full: FileFacts | None = None  # memo: its full facts (another file made it relevant)
    given: SourceFile | None = None  # the SourceFile last put in an App


_BUFFER: _Stamp = (-1, -1, -1)  # the stamp of an entry read from an editor buffer


@dataclass(slots=True, eq=False)
class _Built:
    """An App and what it was built from, so that an edit patches it instead of reloading."""

    config: Config
    problems: list[ConfigProblem]  # of the pyproject.toml read (shown only in a Flash app)
    ignore: IgnoreRules
    requirements: list[RequirementLine]
    recursive: bool  # a project directory (listed recursively), not a loose file's directory
    nested: list[Path]  # app roots below this one (their files are theirs)
    listed: dict[str, Path]  # the directory listing (buffers of unlisted files come on top)
    walked: dict[str, int | None]  # directories the listing depends on -> mtime (None: racy)
    markers: dict[str, _Stamp | None]  # pyproject.toml, requirements.txt, .gitignore
    entries: dict[str, _Entry]  # by relative path, in module-table order
    excluded: set[str] = field(default_factory=set)  # relative paths the config excludes
    changed: set[Path] = field(default_factory=set)  # files changed since ``app`` was built
    app: App | None = None


_MARKER_FILES = ("pyproject.toml", "requirements.txt", ".gitignore")
_ROOT_SECONDS = 2.0
_ROOTS_KEPT = 4096


@dataclass
class Workspace:
    """Apps under some folders, with editor overlays and cached parsing.

    An App is built once, then patched: a changed file is read again (one file's parse, most of
    its statements cached), what depends on it is recomputed (which files need full facts, the
    endpoints, resolved across files, of a new App object) and every other file is kept. The
    configuration, ignore rules and requirements are read again only when their files change,
    the directory listing only when a directory changes. A patched App equals a freshly loaded
    one (``tests/project/test_patching.py``).
    """

    folders: list[Path]
    cache: FactsCache = field(default_factory=FactsCache)
    overrides: dict[str, object] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # Every app root under ``folders``, when the caller has just searched for them (the CLI):
    # finding the apps nested in an app then needs no second search of the disk.
    known_roots: list[Path] | None = None
    # Each app's last ``[tool.flash-ls]`` without problems: a broken table leaves it in force.
    good_configs: dict[Path, Config] = field(default_factory=dict)
    # Checks the rule selectors of configurations (the rule registry's ``is_known_selector``,
    # given by the front end: the project layer does not import the rules); None checks none.
    known_selector: KnownSelector | None = None
    _overlays: dict[Path, str] = field(default_factory=dict)
    _apps: dict[Path, _Built] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    # path -> (app root, when found): every keystroke asks twice, and finding it stats each
    # directory up to the workspace folder. Forgotten when a marker changes, else trusted for
    # _ROOT_SECONDS (a marker made where no watcher sees it counts after that).
    _roots: dict[Path, tuple[Path, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folders = [f.resolve() for f in self.folders]

    # -- editor state ------------------------------------------------------------------------

    def update(self, path: Path, text: str) -> Path:
        """An editor buffer's text replaces the file on disk. Returns the affected app root."""
        path = path.resolve()
        with self._lock:
            self._overlays[path] = text
            return self.invalidate(path)

    def remove(self, path: Path) -> Path:
        """Forget an editor buffer (the disk version applies again)."""
        path = path.resolve()
        with self._lock:
            self._overlays.pop(path, None)
            return self.invalidate(path)

    def invalidate(self, path: Path) -> Path:
        """A file changed (on disk or in the editor; created or deleted too): its app is patched
        on next use. A changed marker file or ``.gitignore`` reloads every app (apps may split
        or merge); another file that is not Python reloads its app."""
        root = self.app_root(path)
        with self._lock:
            if path.name in (*_APP_MARKERS, ".gitignore"):
                self._apps.clear()
                self._roots.clear()
            elif path.suffix != ".py":
                self._apps.pop(root, None)
            else:
                built = self._apps.get(root)
                if built is not None:
                    built.changed.add(path)
        return root

    def invalidate_all(self) -> None:
        with self._lock:
            self._apps.clear()
            self._roots.clear()

    def overlay(self, path: Path) -> str | None:
        return self._overlays.get(path.resolve())

    # -- apps --------------------------------------------------------------------------------

    def folder_for(self, path: Path) -> Path:
        return containing_folder(path, self.folders)

    def app_root(self, path: Path) -> Path:
        now = time.monotonic()
        with self._lock:
            known = self._roots.get(path)
        if known is not None and now - known[1] < _ROOT_SECONDS:
            return known[0]
        root = app_root_in(path, self.folders)
        with self._lock:
            if len(self._roots) >= _ROOTS_KEPT:
                self._roots.clear()
            self._roots[path] = (root, now)
        return root

    def app_roots(self) -> list[Path]:
        return app_roots_in(self.folders)

    def _nested_apps(self, root: Path) -> list[Path]:
        """App roots strictly below ``root``."""
        if self.known_roots is not None and root in self.known_roots:
            return [p for p in self.known_roots if root in p.parents]
        return [p.resolve() for p in discover_apps(root) if p.resolve() != root]

    def app(self, root: Path) -> App:
        root = root.resolve()
        with self._lock:
            built = self._apps.get(root)
            if built is None:
                built = self._apps[root] = self._load(root)
            elif built.changed:
                built = self._patch(root, built)
            assert built.app is not None
            return built.app

    def app_for(self, path: Path) -> App:
        return self.app(self.app_root(path))

    def apps(self) -> list[App]:
        return [self.app(root) for root in self.app_roots()]

    def _load(self, root: Path) -> _Built:
        markers = {name: _stable(_stat(root / name)) for name in _MARKER_FILES}
        config, problems = load_config(root, self.known_selector)
        if problems:
            config = self.good_configs.get(root, config)
        else:
            self.good_configs[root] = config
        if self.overrides:
            config = config.merged(self.overrides, self.known_selector)
        ignore = IgnoreRules.load(root)
        requirements = read_requirements(root)
        built = _Built(
            config=config,
            problems=problems,
            ignore=ignore,
            requirements=requirements,
            # A loose file outside every workspace folder and app (``~/notes.py``): its
            # directory is not a project, so only that directory is listed, not everything below.
            recursive=self._is_project_dir(root),
            nested=[],
            listed={},
            walked={},
            markers=markers,
            entries={},
        )
        self._list(root, built)
        self._read_entries(root, built, ())
        built.app = self._build(root, built)
        return built

    def _patch(self, root: Path, built: _Built) -> _Built:
        """Bring ``built`` up to date with the files changed since its App was made."""
        changed, built.changed = built.changed, set()
        if any(_stat(root / name) != stamp for name, stamp in built.markers.items()):
            self._apps[root] = fresh = self._load(root)
            if built.app is not None:
                built.app.forget_derived()
            return fresh
        if self._listing_changed(root, built, changed):
            self._list(root, built)
        if self._read_entries(root, built, changed):
            app = self._build(root, built)
            if built.app is None or not _same_files(app, built.app):
                if built.app is not None:
                    built.app.forget_derived()  # no cycle keeps the replaced one alive
                built.app = app
        return built

    def _listing_changed(self, root: Path, built: _Built, changed: Iterable[Path]) -> bool:
        """Whether the directory listing may differ now: a directory it depends on changed, or a
        changed file appeared or disappeared."""
        for directory, mtime in built.walked.items():
            if mtime is None or _mtime(directory) != mtime:
                return True
        for path in changed:
            try:
                rel = path.relative_to(root).as_posix()
            except ValueError:
                continue
            if (built.listed.get(rel) == path) != path.is_file():
                return True
        return False

    def _list(self, root: Path, built: _Built) -> None:
        built.walked = {}
        if built.recursive:
            built.nested = self._nested_apps(root)
            found = python_files(root, skip_roots=built.nested, walked=built.walked)
        else:
            built.nested = []
            found = python_files(root, recursive=False, walked=built.walked)
        built.listed = dict(found)

    def _read_entries(self, root: Path, built: _Built, changed: Iterable[Path]) -> bool:
        """Read the files that are new, changed (``changed``, or their stamp on disk) or gone
        since ``built.entries`` was made; whether any entry changed."""
        paths = dict(built.listed)
        for path in self._overlays:
            if path.suffix == ".py" and _within(path, root, built.nested):
                paths.setdefault(path.relative_to(root).as_posix(), path)
        changed = set(changed)
        entries = built.entries
        updated: dict[str, _Entry] = {}
        replaced = False
        for rel, path in paths.items():
            if rel in built.excluded:
                continue
            known = entries.get(rel)
            if known is None and _excluded(rel, built.config):
                built.excluded.add(rel)
                continue
            if known is not None and known.base.path != path:
                known = None  # another path under that name (a buffer, a link): read it anew
            if known is not None and path not in changed and self._still_current(known, path):
                updated[rel] = known
                continue
            loaded, stamp = self._read(path)
            if loaded.gone:
                continue  # deleted since the listing (a vanished file is no error)
            if known is not None and known.loaded == loaded:
                known.stamp = stamp  # the same text: the entry (and its parses) stays
                updated[rel] = known
                continue
            updated[rel] = self._entry(path, rel, built.ignore, loaded, stamp)
            replaced = True
        if updated.keys() == entries.keys():
            if not replaced:
                return False
            built.entries = {rel: updated[rel] for rel in entries}  # the same order
        else:
            built.entries = dict(sorted(updated.items(), key=lambda item: item[0].split("/")))
        return True

    def _still_current(self, entry: _Entry, path: Path) -> bool:
        """Whether an entry not reported changed still holds what it was read from: the same
        editor buffer, or the disk file with the same stamp."""
        if entry.stamp is _BUFFER:
            return path in self._overlays
        if entry.stamp is None or path in self._overlays:
            return False
        return _stat(path) == entry.stamp

    def _read(self, path: Path) -> tuple[LoadedText, _Stamp | None]:
        """A file's text (its editor buffer, else the disk) and the stamp it was read at."""
        text = self._overlays.get(path)
        if text is not None:
            return LoadedText(text, None, len(text.encode("utf-8", "surrogatepass"))), _BUFFER
        stamp = _stable(_stat(path))  # before reading: a later change changes the stamp
        return read_source(path), stamp

    def _entry(
        self, path: Path, rel: str, ignore: IgnoreRules, loaded: LoadedText, stamp: _Stamp | None
    ) -> _Entry:
        """A file as read, with its first-phase facts."""
        shipped = not ignore.is_ignored(rel)
        module = module_name(rel)
        if loaded.text is None:
            facts = _error_facts(loaded.error or "cannot read file")
            facts.mentions_flash = loaded.mentions_sdk
        elif loaded.size > MAX_PARSE_BYTES:
            facts = FileFacts(
                content_hash(loaded.text),
                loaded.text.count("\n") + 1,
                fully_parsed=False,
                mentions_flash=is_flash_relevant(loaded.text),
            )
            log.info(
                "%s: %d bytes, larger than %d: not analysed", rel, loaded.size, MAX_PARSE_BYTES
            )
        elif is_flash_relevant(loaded.text) or is_app_api_relevant(loaded.text):
            facts = self.cache.facts(loaded.text)
        else:
            facts = _unparsed_facts()  # parsed later only if it can matter (_complete_facts)
        source = SourceFile(
            path, rel, module, facts, loaded.text, loaded.error, shipped, loaded.size
        )
        return _Entry(loaded, source, stamp)

    def _build(self, root: Path, built: _Built) -> App:
        """A new App of the entries (the endpoints are resolved again, lazily, on the new one)."""
        entries = list(built.entries.values())
        files = self._complete_facts(entries)
        # A folder that is not a Flash app is not checked: its pyproject.toml is not ours to judge.
        flash = any(source.facts.mentions_flash for source in files.values())
        return App(
            root=root,
            files=files,
            config=built.config,
            ignore=built.ignore,
            requirements=built.requirements,
            config_problems=list(built.problems) if flash else [],
            environ=self.environ,
        )

    def _complete_facts(self, entries: list[_Entry]) -> dict[str, SourceFile]:
        """Second phase: facts for the files that do not mention the SDK.

        In a folder where no file mentions ``runpod_flash`` or uses the app API (a library next
        to the apps, a project that is not a Flash app) nothing is parsed: no rule reports on
        such a folder.
        In a Flash app every other file gets light facts (imports and constants), and a file that
        imports (at module level) a module of this app that is itself relevant can decorate with
        or call an endpoint declared there (``from common import api`` + ``@api.post``), so it
        gets full facts; chains of re-exports are followed to a fixed point. Each file's facts
        are decided from all the files' first-phase facts every time (an edit can take a file's
        full facts away as well as give them), the parses memoised on the entries.
        """
        facts = {id(entry): entry.base.facts for entry in entries}
        if any(_relevant(entry.base.facts) for entry in entries):
            self._upgrade(entries, facts)
        files: dict[str, SourceFile] = {}
        for entry in entries:
            chosen = facts[id(entry)]
            given = entry.given
            if given is None or given.facts is not chosen:
                base = entry.base
                given = entry.given = base if chosen is base.facts else replace(base, facts=chosen)
            files[given.rel] = given
        return files

    def _upgrade(self, entries: list[_Entry], facts: dict[int, FileFacts]) -> None:
        for entry in entries:
            text = entry.base.text
            if text is not None and not entry.base.facts.text_hash:
                if entry.light is None:
                    entry.light = self.cache.facts(text)
                facts[id(entry)] = entry.light
        by_module = {entry.base.module: entry for entry in entries}
        # ``from pkg import name`` of a name that is no submodule takes what pkg/__init__.py
        # binds (FL307): light facts leave definitions out, so such a package gets full facts.
        for package in _packages_imported_from(entries, facts, by_module):
            self._make_full(package, facts)
        importers: dict[str, list[_Entry]] = {}
        for entry in entries:
            found = facts[id(entry)]
            if _relevant(found) or not found.imports:
                continue
            for module in _imported_modules(entry.base, found):
                if module in by_module:
                    importers.setdefault(module, []).append(entry)
        if not importers:
            return
        relevant = [e.base.module for e in entries if _relevant(facts[id(e)])]
        seen = set(relevant)
        while relevant:
            module = relevant.pop()
            for entry in importers.get(module, ()):
                if entry.base.module in seen:
                    continue
                seen.add(entry.base.module)
                relevant.append(entry.base.module)
                self._make_full(entry, facts)

    def _make_full(self, entry: _Entry, facts: dict[int, FileFacts]) -> None:
        current = facts[id(entry)]
        text = entry.base.text
        if current.fully_parsed or text is None:
            return
        if entry.full is None:
            entry.full = self._full_facts(text, current)
        facts[id(entry)] = entry.full

    def _full_facts(self, text: str, light: FileFacts) -> FileFacts:
        if len(text) > MAX_PARSE_BYTES:
            return light
        return self.cache.full_facts(text)

    def _is_project_dir(self, root: Path) -> bool:
        """A workspace folder, a folder inside one, or a folder with an app marker."""
        inside = any(root == f or f in root.parents for f in self.folders)
        return inside or is_app_root(root)


def _stat(path: Path | str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _mtime(directory: Path | str) -> int | None:
    """A directory's mtime, None when missing or too recent to be trusted (see _RACY_NS)."""
    stamp = _stable(_stat(directory))
    return stamp[0] if stamp is not None else None


def _stable(stamp: _Stamp | None) -> _Stamp | None:
    """The stamp, or None when it is too recent to tell a later change in the same tick."""
    if stamp is None or time.time_ns() - stamp[0] < _RACY_NS:
        return None
    return stamp


def _same_files(one: App, other: App) -> bool:
    """The same SourceFile objects in the same order (then the Apps are the same)."""
    if len(one.files) != len(other.files):
        return False
    return all(
        a is b and rel == other_rel
        for (rel, a), (other_rel, b) in zip(one.files.items(), other.files.items(), strict=True)
    )


def _relevant(facts: FileFacts) -> bool:
    """A file read by an SDK reader: it mentions ``runpod_flash`` or uses the app API."""
    return facts.mentions_flash or facts.mentions_app_api


def _unparsed_facts() -> FileFacts:
    """Facts of a readable file not parsed (yet): no content hash, nothing extracted."""
    return FileFacts(text_hash="", line_count=0, fully_parsed=False)


def _from_base(source: SourceFile, imp: Import) -> str | None:
    """The absolute module a ``from ... import`` names; None when it climbs above the app."""
    package = source.package.split(".") if source.package else []
    parts: list[str] = []
    if imp.level:
        keep = len(package) - (imp.level - 1)
        if keep < 0:
            return None
        parts = package[:keep]
    if imp.module:
        parts = [*parts, imp.module]
    return ".".join(parts)


def _packages_imported_from(
    entries: Iterable[_Entry], facts: dict[int, FileFacts], by_module: dict[str, _Entry]
) -> list[_Entry]:
    """The ``__init__.py`` files some module-level ``from pkg import name`` takes a name from
    that is not a submodule of the package (``facts``: each entry's facts so far, by id)."""
    found: dict[str, _Entry] = {}
    for entry in entries:
        for imp in facts[id(entry)].imports:
            base = _from_base(entry.base, imp) if imp.is_from else None
            package = by_module.get(base) if base else None
            if package is None or package.base.path.name != "__init__.py":
                continue
            if any(n.name != "*" and f"{base}.{n.name}" not in by_module for n in imp.names):
                found[package.base.rel] = package
    return list(found.values())


def _imported_modules(source: SourceFile, facts: FileFacts) -> Iterator[str]:
    """Every dotted module a file's module-level imports may load (absolute names)."""
    for imp in facts.imports:
        if imp.is_from:
            base = _from_base(source, imp)
            if base is None:
                continue
            if base:
                yield base
            for name in imp.names:
                if name.name != "*":
                    yield f"{base}.{name.name}" if base else name.name
        else:
            for name in imp.names:
                pieces = name.name.split(".")
                for end in range(1, len(pieces) + 1):
                    yield ".".join(pieces[:end])


def _error_facts(message: str) -> FileFacts:
    facts = FileFacts(text_hash="", line_count=0, fully_parsed=False)
    facts.syntax_errors.append(SyntaxProblem(Span(0, 0, 0, 0), message))
    return facts


def _within(path: Path, root: Path, nested: list[Path]) -> bool:
    if root not in path.parents:
        return False
    return not any(n in path.parents for n in nested)


def _excluded(rel: str, config: Config) -> bool:
    if not config.exclude:
        return False
    return pattern_spec(tuple(config.exclude)).match_file(rel)
