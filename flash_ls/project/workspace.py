"""The incremental index of apps used by the CLI and the language server alike.

Files are read from disk unless the editor holds them open (overlays win). Parsing is cached by
content hash (in memory always, on disk for the CLI), so re-building an App after an edit costs one
file's parse plus dictionary work.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls.parse import FileFacts, content_hash, is_flash_relevant
from flash_ls.parse.facts import Import, SyntaxProblem
from flash_ls.platform import PROJECT_DIR, SDK_MODULE
from flash_ls.project.app import App, SourceFile
from flash_ls.project.cache import FactsCache
from flash_ls.project.config import Config, KnownSelector, load_config
from flash_ls.project.encoding import SourceDecodeError, decode_source
from flash_ls.project.ignore import IgnoreRules
from flash_ls.project.requirements import read_requirements
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


def read_source(path: Path) -> LoadedText:
    """Read a Python file as the build would (PEP 263 coding declarations honoured); problems
    become an error message, never an exception."""
    try:
        data = path.read_bytes()
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
    root: Path, *, skip_roots: Iterable[Path] = (), recursive: bool = True
) -> list[tuple[str, Path]]:
    """``(relative POSIX path, path)`` of every ``.py`` file under ``root``, in path order.

    Nested apps (``skip_roots``), virtualenvs, VCS and tool directories are not entered; symlink
    loops are cut. The order is the one the build's module table relies on: ``pkg/__init__.py``
    comes before ``pkg.py``.
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
                        continue
                    child = os.path.realpath(entry.path) if entry.is_symlink() else f"{real}/{name}"
                    if child not in skipped:
                        stack.append((entry.path, rel, child))
                elif name.endswith(".py") and entry.is_file():
                    found.append((rel, Path(entry.path)))
            except OSError:
                continue
    found.sort(key=lambda item: item[0].split("/"))
    return found


def module_name(rel: str) -> str:
    """``workers/gpu.py`` -> ``workers.gpu``; ``pkg/__init__.py`` -> ``pkg`` (as the build imports it)."""
    stem = rel[:-3] if rel.endswith(".py") else rel
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@dataclass
class Workspace:
    """Apps under some folders, with editor overlays and cached parsing."""

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
    _apps: dict[Path, App] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

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
        """A file changed (on disk or in the editor): its app is rebuilt on next use."""
        root = self.app_root(path)
        with self._lock:
            self._apps.pop(root, None)
            if path.name in (*_APP_MARKERS, ".gitignore"):
                # A new marker file can split or merge apps: rebuild everything under the folder.
                self._apps.clear()
        return root

    def invalidate_all(self) -> None:
        with self._lock:
            self._apps.clear()

    def overlay(self, path: Path) -> str | None:
        return self._overlays.get(path.resolve())

    # -- apps --------------------------------------------------------------------------------

    def folder_for(self, path: Path) -> Path:
        return containing_folder(path, self.folders)

    def app_root(self, path: Path) -> Path:
        return app_root_in(path, self.folders)

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
            found = self._apps.get(root)
            if found is None:
                found = self._load(root)
                self._apps[root] = found
            return found

    def app_for(self, path: Path) -> App:
        return self.app(self.app_root(path))

    def apps(self) -> list[App]:
        return [self.app(root) for root in self.app_roots()]

    def _load(self, root: Path) -> App:
        config, problems = load_config(root, self.known_selector)
        if problems:
            config = self.good_configs.get(root, config)
        else:
            self.good_configs[root] = config
        if self.overrides:
            config = config.merged(self.overrides, self.known_selector)
        ignore = IgnoreRules.load(root)
        if self._is_project_dir(root):
            nested = self._nested_apps(root)
            listed = python_files(root, skip_roots=nested)
        else:
            # A loose file outside every workspace folder and app (``~/notes.py``): its directory
            # is not a project, so list only that directory instead of scanning everything below.
            nested = []
            listed = python_files(root, recursive=False)
        paths = dict(listed)
        unsaved = [p for p in self._overlays if p.suffix == ".py" and _within(p, root, nested)]
        if unsaved:
            for path in unsaved:
                paths.setdefault(path.relative_to(root).as_posix(), path)
            listed = sorted(paths.items(), key=lambda item: item[0].split("/"))
        files: dict[str, SourceFile] = {}
        for rel, path in listed:
            if _excluded(rel, config):
                continue
            files[rel] = self._source(root, path, rel, ignore)
        self._complete_facts(files)
        # A folder that is not a Flash app is not checked: its pyproject.toml is not ours to judge.
        flash = any(source.facts.mentions_flash for source in files.values())
        return App(
            root=root,
            files=files,
            config=config,
            ignore=ignore,
            requirements=read_requirements(root),
            config_problems=problems if flash else [],
            environ=self.environ,
        )

    def _complete_facts(self, files: dict[str, SourceFile]) -> None:
        """Second phase: facts for the files that do not mention the SDK.

        In a folder where no file mentions ``runpod_flash`` (a library next to the apps, a
        project that is not a Flash app) nothing is parsed: no rule reports on such a folder.
        In a Flash app every other file gets light facts (imports and constants), and a file that
        imports (at module level) a module of this app that is itself relevant can decorate with
        or call an endpoint declared there (``from common import api`` + ``@api.post``), so it
        gets full facts; chains of re-exports are followed to a fixed point.
        """
        if not any(source.facts.mentions_flash for source in files.values()):
            return
        for source in files.values():
            if source.text is not None and not source.facts.text_hash:
                source.facts = self.cache.facts(source.text)
        by_module = {source.module: source for source in files.values()}
        # ``from pkg import name`` of a name that is no submodule takes what pkg/__init__.py
        # binds (FL307): light facts leave definitions out, so such a package gets full facts.
        for package in _packages_imported_from(files.values(), by_module):
            if not package.facts.fully_parsed and package.text is not None:
                package.facts = self._full_facts(package.text, package.facts)
        importers: dict[str, list[SourceFile]] = {}
        for source in files.values():
            if source.facts.mentions_flash or not source.facts.imports:
                continue
            for module in _imported_modules(source):
                if module in by_module:
                    importers.setdefault(module, []).append(source)
        if not importers:
            return
        relevant = [s.module for s in files.values() if s.facts.mentions_flash]
        seen = set(relevant)
        while relevant:
            module = relevant.pop()
            for source in importers.get(module, ()):
                if source.module in seen:
                    continue
                seen.add(source.module)
                relevant.append(source.module)
                if not source.facts.fully_parsed and source.text is not None:
                    source.facts = self._full_facts(source.text, source.facts)

    def _full_facts(self, text: str, light: FileFacts) -> FileFacts:
        if len(text) > MAX_PARSE_BYTES:
            return light
        return self.cache.full_facts(text)

    def _is_project_dir(self, root: Path) -> bool:
        """A workspace folder, a folder inside one, or a folder with an app marker."""
        inside = any(root == f or f in root.parents for f in self.folders)
        return inside or is_app_root(root)

    def _source(self, root: Path, path: Path, rel: str, ignore: IgnoreRules) -> SourceFile:
        text = self._overlays.get(path)
        if text is not None:
            loaded = LoadedText(text, None, len(text.encode("utf-8", "surrogatepass")))
        else:
            loaded = read_source(path)
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
        elif is_flash_relevant(loaded.text):
            facts = self.cache.facts(loaded.text)
        else:
            facts = _unparsed_facts()  # parsed later only if it can matter (_complete_facts)
        return SourceFile(path, rel, module, facts, loaded.text, loaded.error, shipped, loaded.size)


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
    sources: Iterable[SourceFile], by_module: dict[str, SourceFile]
) -> list[SourceFile]:
    """The ``__init__.py`` files some module-level ``from pkg import name`` takes a name from
    that is not a submodule of the package."""
    found: dict[str, SourceFile] = {}
    for source in sources:
        for imp in source.facts.imports:
            base = _from_base(source, imp) if imp.is_from else None
            package = by_module.get(base) if base else None
            if package is None or package.path.name != "__init__.py":
                continue
            if any(n.name != "*" and f"{base}.{n.name}" not in by_module for n in imp.names):
                found[package.rel] = package
    return list(found.values())


def _imported_modules(source: SourceFile) -> Iterator[str]:
    """Every dotted module a file's module-level imports may load (absolute names)."""
    for imp in source.facts.imports:
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
    from pathspec import PathSpec

    return PathSpec.from_lines("gitwildmatch", config.exclude).match_file(rel)
