"""The App: one Flash project's files and the endpoints they declare, resolved across files.

Names are followed, not spellings (``App.qualified``, ``App.resolve_constant``); the endpoints are
the SDK-neutral models of ``endpoint_model.py``, built once per App by the reader of the SDK the
files import (``flash_reader.py`` for ``runpod_flash``, ``app_api_reader.py`` for the app API of
``runpod``). Nothing here imports or runs user code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from flash_ls.parse.facts import (
    Decorator,
    Definition,
    Expr,
    FileFacts,
    Import,
    NameExpr,
    split_qualified,
)
from flash_ls.parse.split import line_texts
from flash_ls.platform import SDK_MODULE, is_app_api_module, is_sdk_module
from flash_ls.project.app_api_reader import AppApiReader
from flash_ls.project.config import Config, ConfigProblem
from flash_ls.project.endpoint_model import AppDecl, Endpoint
from flash_ls.project.flash_reader import FlashReader
from flash_ls.project.ignore import IgnoreRules
from flash_ls.project.requirements import RequirementLine

_T = TypeVar("_T")

_MAX_ALIAS_DEPTH = 16


def _declares_app_api(app: App) -> bool:
    if not any(source.facts.mentions_app_api for source in app.files.values()):
        return False
    return bool(app.app_declarations)


@dataclass(slots=True)
class SourceFile:
    """One ``.py`` file of an app."""

    path: Path  # absolute
    rel: str  # POSIX, relative to the app root
    module: str  # dotted import path the build gives it ("workers.gpu")
    facts: FileFacts
    text: str | None  # None when unreadable / not text
    read_error: str | None = None
    shipped: bool = True  # False when the build's ignore rules exclude it
    size: int = 0

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        if self.path.name == "__init__.py":
            return self.module
        return self.module.rpartition(".")[0]

    def lines(self) -> tuple[str, ...]:
        # Lines as facts number them: ``str.splitlines`` also breaks at form feeds, \x1c, \x85...
        return line_texts(self.text) if self.text is not None else ()


@dataclass(slots=True)
class App:
    """One Flash project: the files under one app root."""

    root: Path
    files: dict[str, SourceFile]  # by POSIX relative path
    config: Config
    ignore: IgnoreRules
    requirements: list[RequirementLine]
    config_problems: list[ConfigProblem] = field(default_factory=list)
    # Extra facts that rules may use and front ends fill in (environment variables for images).
    environ: dict[str, str] = field(default_factory=dict)
    _modules: dict[str, SourceFile] = field(default_factory=dict, init=False, repr=False)
    _resolved: FlashReader | None = field(default=None, init=False, repr=False)
    _app_api: AppApiReader | None = field(default=None, init=False, repr=False)
    # Computed lazily: a slotted dataclass cannot hold a functools.cached_property.
    _top_levels: frozenset[str] | None = field(default=None, init=False, repr=False)
    _derived: dict[Callable[[App], Any], Any] = field(default_factory=dict, init=False, repr=False)
    # ``qualified`` answers by (id of the file, dotted name), with the file to check the id.
    _qualified: dict[tuple[int, str], tuple[SourceFile, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        for source in self.files.values():
            self._modules.setdefault(source.module, source)

    def forget_derived(self) -> None:
        """Drop what was computed from this App (its endpoints, ``derived`` values): asked
        again, they are computed again. The workspace calls it on an App a patched one
        replaces; the endpoints refer to their App, so without it each replaced App and its
        model stay alive until Python's cycle collector finds them (a collection every few
        keystrokes, walking the heap)."""
        self._resolved = None
        self._app_api = None
        self._derived = {}
        self._qualified = {}

    def derived(self, compute: Callable[[App], _T]) -> _T:
        """``compute(self)``, once per App object: what several rules read of an app (the served
        definitions, the registered routes) is worked out once per check. An edit makes a new
        App, so nothing computed here outlives the files it was computed from."""
        try:
            return cast("_T", self._derived[compute])
        except KeyError:
            found = self._derived[compute] = compute(self)
            return found

    @property
    def name(self) -> str:
        """The app name the official CLI uses: the project directory's name."""
        return self.root.name

    @property
    def uses_flash(self) -> bool:
        """Whether any file mentions the SDK: a project that never does is not a Flash app, and
        no rule reports on it (not its size, not its syntax errors)."""
        return any(source.facts.mentions_flash for source in self.files.values())

    @property
    def uses_app_api(self) -> bool:
        """Whether any file declares an ``App(...)`` of the app API of ``runpod`` (runpod 2.0);
        the prefilter first, so that a runpod_flash app never builds the app API reader."""
        return self.derived(_declares_app_api)

    @property
    def uses_sdk(self) -> bool:
        """Whether the project uses either SDK surface: what the engine checks at all (the
        FL1xx-FL6xx rules read ``endpoints``, runpod_flash only; FL7xx the app API)."""
        return self.uses_flash or self.uses_app_api

    def sources(self, *, shipped_only: bool = False) -> Iterator[SourceFile]:
        for rel in sorted(self.files):
            source = self.files[rel]
            if shipped_only and not source.shipped:
                continue
            yield source

    # -- modules ---------------------------------------------------------------------------

    def module_file(self, module: str) -> SourceFile | None:
        """The file the build would import for dotted ``module`` (``pkg`` -> ``pkg/__init__.py``)."""
        return self._modules.get(module)

    def absolute_module(self, source: SourceFile, module: str) -> str:
        """Resolve ``.x`` / ``..x`` relative to ``source``'s package; absolute names pass through."""
        level = len(module) - len(module.lstrip("."))
        if level == 0:
            return module
        parts = source.package.split(".") if source.package else []
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        rest = module[level:]
        return ".".join([*parts, rest] if rest else parts)

    def import_target(self, source: SourceFile, imp: Import) -> str:
        """The absolute module named by an ``import``/``from`` statement."""
        module = "." * imp.level + (imp.module or "")
        return self.absolute_module(source, module)

    def is_local_module(self, top_level: str) -> bool:
        """Whether a top-level import name is a module or package of this app."""
        return top_level in self._top_level_modules

    @property
    def _top_level_modules(self) -> frozenset[str]:
        if self._top_levels is None:
            names = set()
            for rel in self.files:
                first = rel.split("/", 1)[0]
                names.add(first[:-3] if first.endswith(".py") else first)
            self._top_levels = frozenset(names)
        return self._top_levels

    def local_module_file(
        self, source: SourceFile, imp: Import, name: str | None
    ) -> SourceFile | None:
        """The app file an import loads: ``from pkg import mod`` may name a module, not an attribute."""
        base = self.import_target(source, imp)
        if name is not None and name != "*":
            found = self.module_file(f"{base}.{name}" if base else name)
            if found is not None:
                return found
        return self.module_file(base) if base else None

    # -- endpoints -------------------------------------------------------------------------

    @property
    def endpoints(self) -> list[Endpoint]:
        """Every runpod_flash Endpoint of the shipped files, in file then source order (what the
        FL1xx-FL6xx rules, the build and the server read)."""
        return self._resolution.endpoints

    @property
    def app_declarations(self) -> list[AppDecl]:
        """Every app API ``App(...)`` of the files discovery imports, in file then source order."""
        return self.app_api.apps

    @property
    def app_api_endpoints(self) -> list[Endpoint]:
        """Every app API resource (``@app.queue``/``api``/``task``), in file then source order."""
        return self.app_api.endpoints

    @property
    def all_endpoints(self) -> list[Endpoint]:
        """The endpoints of every SDK reader (each carries its ``sdk``)."""
        found = [*self.endpoints, *self.app_api_endpoints]
        return sorted(found, key=lambda e: (e.decl.file.rel, e.decl.call.span))

    @property
    def app_api(self) -> AppApiReader:
        """The app API reader's results (built on first use, like the runpod_flash one)."""
        if self._app_api is None:
            self._app_api = AppApiReader(self)
        return self._app_api

    @property
    def unresolved_decorators(self) -> list[tuple[SourceFile, Definition, Decorator]]:
        return self._resolution.unresolved

    def endpoint_for_definition(
        self, source: SourceFile, definition: Definition
    ) -> Endpoint | None:
        for endpoint in self.endpoints:
            for item in endpoint.functions:
                if item.file is source and item.definition is definition:
                    return endpoint
        return None

    @property
    def _resolution(self) -> FlashReader:
        if self._resolved is None:
            self._resolved = FlashReader(self)
        return self._resolved

    def qualified(self, source: SourceFile, dotted: str) -> str:
        """Fully resolve a dotted name to ``module:attr`` following local aliases and app modules.

        Asked for the same names of the same files by many rules of a check: each answer is
        kept for the App's lifetime."""
        key = (id(source), dotted)
        known = self._qualified.get(key)
        if known is not None and known[0] is source:
            return known[1]
        found = self._qualify(source, dotted, 0)
        self._qualified[key] = (source, found)
        return found

    def _qualify(self, source: SourceFile, dotted: str, depth: int) -> str:
        q = source.facts.qualify(dotted)
        module, _, attr = q.partition(":")
        if depth > _MAX_ALIAS_DEPTH:
            return q
        if not module:
            head, _, rest = attr.partition(".")
            binding = source.facts.binding(head)
            if (
                binding is not None
                and binding.kind == "assign"
                and isinstance(binding.value, NameExpr)
            ):
                target = binding.value.dotted + (f".{rest}" if rest else "")
                return self._qualify(source, target, depth + 1)
            return f"{source.module}:{attr}" if source.module else q
        absolute = self.absolute_module(source, module)
        target_file = self.module_file(absolute)
        if target_file is not None and attr:
            return self._qualify(target_file, attr, depth + 1)
        return f"{absolute}:{attr}"

    def is_sdk_name(self, source: SourceFile, dotted: str, name: str) -> bool:
        """Whether ``dotted`` in ``source`` names ``runpod_flash.<name>`` (any submodule, any alias)."""
        module, attr = split_qualified(self.qualified(source, dotted))
        return is_sdk_module(module) and attr == name

    def enum_member(
        self, source: SourceFile, expr: Expr, *, sdk: str = SDK_MODULE
    ) -> tuple[str, str] | None:
        """``GpuType.NVIDIA_L4`` (however imported) -> ("GpuType", "NVIDIA_L4"); the enums of
        ``sdk`` (``runpod_flash``, or ``runpod`` for the app API)."""
        if not isinstance(expr, NameExpr):
            return None
        module, attr = split_qualified(self.qualified(source, expr.dotted))
        of_sdk = is_sdk_module(module) if sdk == SDK_MODULE else is_app_api_module(module)
        if not of_sdk:
            return None
        enum_name, _, member = attr.partition(".")
        if not member or "." in member:
            return None
        return enum_name, member

    def constant(self, source: SourceFile, expr: Expr, depth: int = 0) -> Expr:
        """Follow a name to the literal it is bound to at module level (this or another app file).

        Returns the expression unchanged when it is not a name of such a constant.
        """
        return self.resolve_constant(source, expr, depth)[1]

    def resolve_constant(
        self, source: SourceFile, expr: Expr, depth: int = 0
    ) -> tuple[SourceFile, Expr]:
        """Like ``constant``, with the file the returned expression is written in.

        Names inside the result (``GpuType.X``, other constants) must be resolved in that file,
        and its spans point into it. Returns ``(source, expr)`` when ``expr`` is not a constant.
        """
        if not isinstance(expr, NameExpr) or depth > _MAX_ALIAS_DEPTH:
            return source, expr
        q = source.facts.qualify(expr.dotted)
        module, _, attr = q.partition(":")
        target = source
        if module:
            found = self.module_file(self.absolute_module(source, module))
            if found is None:
                return source, expr
            target = found
        if "." in attr:
            return source, expr
        binding = target.facts.binding(attr)
        if binding is None:
            return source, expr
        if binding.kind == "import" and target is not source:
            alias = NameExpr(expr.span, expr.text, attr)
            where, value = self.resolve_constant(target, alias, depth + 1)
            return (source, expr) if value is alias else (where, value)
        if binding.kind == "import":
            return source, expr
        if binding.kind in ("assign", "annotated") and binding.value is not None:
            if len(target.facts.bindings.get(attr, [])) > 1:
                return source, expr  # rebound: not statically one value
            value = binding.value
            if isinstance(value, NameExpr):
                return self.resolve_constant(target, value, depth + 1)
            return target, value
        return source, expr
