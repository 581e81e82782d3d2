"""The App: one Flash project's files and the endpoints they declare, resolved across files.

Resolution follows names, not spellings: ``import runpod_flash as rf``, ``from runpod_flash import
Endpoint as E``, ``EP = Endpoint``, ``also_api = api`` and ``from common import api`` all lead to the
same ``Endpoint``. Nothing here imports or runs user code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls.parse.facts import (
    CallExpr,
    Decorator,
    Definition,
    Expr,
    FileFacts,
    Import,
    Keyword,
    Literal,
    NameExpr,
)
from flash_ls.platform import is_sdk_module
from flash_ls.project.config import Config, ConfigProblem
from flash_ls.project.ignore import IgnoreRules
from flash_ls.project.requirements import RequirementLine
from flash_ls.span import Span

_MAX_ALIAS_DEPTH = 16


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

    def lines(self) -> list[str]:
        return self.text.splitlines() if self.text is not None else []


class DeclForm(enum.Enum):
    INSTANCE = "instance"  # ``api = Endpoint(...)`` bound at module level
    INLINE = "inline"  # ``@Endpoint(...)`` directly on a def/class
    BARE = "bare"  # ``Endpoint(...)`` as a statement, bound to nothing
    REMOTE = "remote"  # legacy ``@remote(resource, ...)``


@dataclass(eq=False, slots=True)
class EndpointDecl:
    """One ``Endpoint(...)`` (or legacy ``remote(...)``) call site."""

    file: SourceFile
    call: CallExpr
    form: DeclForm
    variable: str | None = None  # module-level name it is bound to
    via_alias: bool = False  # called through a name the official AST scan does not recognise
    annotated: bool = False  # ``api: Endpoint = Endpoint(...)``
    resource_call: CallExpr | None = (
        None  # remote(): the resource config call (LiveServerless(...))
    )

    def keyword(self, name: str) -> Keyword | None:
        """A keyword argument of the Endpoint call (for remote(), of its resource config)."""
        found = self.call.keyword(name)
        if found is None and self.resource_call is not None:
            found = self.resource_call.keyword(name)
        return found

    def argument(self, name: str) -> Expr | None:
        """The value given for ``name``, including the positional ``name`` argument."""
        kw = self.keyword(name)
        if kw is not None:
            return kw.value
        if name == "name" and self.form is not DeclForm.REMOTE and self.call.args:
            return self.call.args[0]
        return None

    @property
    def is_client(self) -> bool:
        return self.keyword("id") is not None or self.keyword("image") is not None


@dataclass(eq=False, slots=True)
class Target:
    """A function or class an endpoint serves from the queue (``@ep`` / ``@Endpoint(...)``)."""

    file: SourceFile
    definition: Definition
    decorator: Decorator


@dataclass(eq=False, slots=True)
class Route:
    """``@api.post("/path")`` on a function."""

    file: SourceFile
    definition: Definition
    decorator: Decorator
    method: str  # as written, lower case expected ("post")
    method_span: Span
    call: CallExpr | None  # None when used without a call (``@api.post``)

    @property
    def path_expr(self) -> Expr | None:
        if self.call is None:
            return None
        if self.call.args:
            return self.call.args[0]
        kw = self.call.keyword("path")
        return kw.value if kw is not None else None

    @property
    def path(self) -> str | None:
        """The route path when it is a string literal."""
        expr = self.path_expr
        if isinstance(expr, Literal) and isinstance(expr.value, str):
            return expr.value
        return None


class EndpointKind(enum.Enum):
    QUEUE = "queue"
    LOAD_BALANCED = "load-balanced"
    MIXED = "mixed"  # both decorated and routed: rejected by the SDK
    UNUSED = "unused"
    CLIENT = "client"


@dataclass(eq=False, slots=True)
class Endpoint:
    """An Endpoint configuration and everything that uses it."""

    decl: EndpointDecl
    targets: list[Target] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)

    @property
    def kind(self) -> EndpointKind:
        if self.targets and self.routes:
            return EndpointKind.MIXED
        if self.routes:
            return EndpointKind.LOAD_BALANCED
        if self.targets:
            return EndpointKind.QUEUE
        if self.decl.is_client:
            return EndpointKind.CLIENT
        return EndpointKind.UNUSED

    @property
    def name_expr(self) -> Expr | None:
        return self.decl.argument("name")

    @property
    def functions(self) -> list[Target | Route]:
        """Every function or class this endpoint serves, queue targets first."""
        return [*self.targets, *self.routes]

    def usage_files(self) -> list[SourceFile]:
        """Files where its functions live (what the build calls the endpoint's files)."""
        seen: dict[str, SourceFile] = {}
        for item in self.functions:
            seen.setdefault(item.file.rel, item.file)
        return [seen[k] for k in sorted(seen)]


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
    _resolved: _Resolution | None = field(default=None, init=False, repr=False)
    # Computed lazily: a slotted dataclass cannot hold a functools.cached_property.
    _top_levels: frozenset[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for source in self.files.values():
            self._modules.setdefault(source.module, source)

    @property
    def name(self) -> str:
        """The app name the official CLI uses: the project directory's name."""
        return self.root.name

    @property
    def uses_flash(self) -> bool:
        """Whether any file mentions the SDK: a project that never does is not a Flash app, and
        no rule reports on it (not its size, not its syntax errors)."""
        return any(source.facts.mentions_flash for source in self.files.values())

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
        """Every Endpoint of the shipped files, in file then source order."""
        return self._resolution.endpoints

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
    def _resolution(self) -> _Resolution:
        if self._resolved is None:
            self._resolved = _Resolution(self)
        return self._resolved

    def qualified(self, source: SourceFile, dotted: str, depth: int = 0) -> str:
        """Fully resolve a dotted name to ``module:attr`` following local aliases and app modules."""
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
                return self.qualified(source, target, depth + 1)
            return f"{source.module}:{attr}" if source.module else q
        absolute = self.absolute_module(source, module)
        target_file = self.module_file(absolute)
        if target_file is not None and attr:
            return self.qualified(target_file, attr, depth + 1)
        return f"{absolute}:{attr}"

    def is_sdk_name(self, source: SourceFile, dotted: str, name: str) -> bool:
        """Whether ``dotted`` in ``source`` names ``runpod_flash.<name>`` (any submodule, any alias)."""
        module, _, attr = self.qualified(source, dotted).partition(":")
        return is_sdk_module(module) and attr == name

    def enum_member(self, source: SourceFile, expr: Expr) -> tuple[str, str] | None:
        """``GpuType.NVIDIA_L4`` (however imported) -> ("GpuType", "NVIDIA_L4")."""
        if not isinstance(expr, NameExpr):
            return None
        module, _, attr = self.qualified(source, expr.dotted).partition(":")
        if not is_sdk_module(module):
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


class _Resolution:
    """Finds every Endpoint declaration and attaches the functions and routes that use it."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.endpoints: list[Endpoint] = []
        self.unresolved: list[tuple[SourceFile, Definition, Decorator]] = []
        self._instances: dict[tuple[str, str], Endpoint | None] = {}
        self._in_progress: set[tuple[str, str]] = set()
        sources = list(app.sources(shipped_only=True))
        for source in sources:
            self._module_level_decls(source)
        for source in sources:
            for definition in source.facts.definitions:
                for decorator in definition.decorators:
                    self._decorator(source, definition, decorator)
        self.endpoints.sort(key=lambda e: (e.decl.file.rel, e.decl.call.span))

    # Declarations bound at module level (``api = Endpoint(...)``) and bare calls.
    def _module_level_decls(self, source: SourceFile) -> None:
        for name, bindings in source.facts.bindings.items():
            binding = bindings[-1]
            if binding.kind in ("assign", "annotated") and isinstance(binding.value, CallExpr):
                self.instance(source, name)
        for module_call in source.facts.module_calls:
            call = module_call.call
            callee = self._endpoint_callee(source, call)
            if callee is not None:
                decl = EndpointDecl(source, call, DeclForm.BARE, via_alias=callee)
                self.endpoints.append(Endpoint(decl))

    def _endpoint_callee(self, source: SourceFile, call: CallExpr) -> bool | None:
        """None when ``call`` is not an Endpoint call; else whether it goes through an alias."""
        if not isinstance(call.func, NameExpr):
            return None
        if not self.app.is_sdk_name(source, call.func.dotted, "Endpoint"):
            return None
        return call.func.dotted.rpartition(".")[2] != "Endpoint"

    def instance(self, source: SourceFile, name: str) -> Endpoint | None:
        """The Endpoint a module-level name of ``source`` is bound to, following aliases/imports."""
        key = (source.rel, name)
        if key in self._instances:
            return self._instances[key]
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            found = self._instance_uncached(source, name)
        finally:
            self._in_progress.discard(key)
        self._instances[key] = found
        return found

    def _instance_uncached(self, source: SourceFile, name: str) -> Endpoint | None:
        binding = source.facts.binding(name)
        if binding is None:
            return None
        if (
            binding.kind == "import"
            and binding.import_ is not None
            and binding.imported is not None
        ):
            imp, imported = binding.import_, binding.imported
            if not imp.is_from:
                return None
            target = self.app.module_file(self.app.import_target(source, imp))
            if target is None or not target.shipped:
                return None
            return self.instance(target, imported.name)
        value = binding.value
        if binding.kind not in ("assign", "annotated") or value is None:
            return None
        if isinstance(value, NameExpr):
            head, _, rest = value.dotted.partition(".")
            if rest:
                # ``api = common.api`` through ``import common``
                q = source.facts.qualify(value.dotted)
                module, _, attr = q.partition(":")
                target = (
                    self.app.module_file(self.app.absolute_module(source, module))
                    if module
                    else None
                )
                return (
                    self.instance(target, attr) if target is not None and "." not in attr else None
                )
            return self.instance(source, head)
        if not isinstance(value, CallExpr):
            return None
        callee = self._endpoint_callee(source, value)
        if callee is None:
            return None
        decl = EndpointDecl(
            source,
            value,
            DeclForm.INSTANCE,
            variable=name,
            via_alias=callee,
            annotated=binding.kind == "annotated",
        )
        endpoint = Endpoint(decl)
        self.endpoints.append(endpoint)
        return endpoint

    def _decorator(self, source: SourceFile, definition: Definition, decorator: Decorator) -> None:
        expr = decorator.expr
        if isinstance(expr, CallExpr) and isinstance(expr.func, NameExpr):
            func = expr.func.dotted
            callee = self._endpoint_callee(source, expr)
            if callee is not None:
                decl = EndpointDecl(source, expr, DeclForm.INLINE, via_alias=callee)
                endpoint = Endpoint(decl, targets=[Target(source, definition, decorator)])
                self.endpoints.append(endpoint)
                return
            if self.app.is_sdk_name(source, func, "remote"):
                self._remote(source, definition, decorator, expr)
                return
            base, _, method = func.rpartition(".")
            if base:
                routed = self._instance_for_dotted(source, base)
                if routed is not None:
                    span = Span(
                        expr.func.span.end_line,
                        expr.func.span.end_col - len(method),
                        expr.func.span.end_line,
                        expr.func.span.end_col,
                    )
                    routed.routes.append(Route(source, definition, decorator, method, span, expr))
                    return
        elif isinstance(expr, NameExpr):
            instance = self._instance_for_dotted(source, expr.dotted)
            if instance is not None:
                instance.targets.append(Target(source, definition, decorator))
                return
            base, _, method = expr.dotted.rpartition(".")
            routed = self._instance_for_dotted(source, base) if base else None
            if routed is not None:
                # ``@api.post`` without a call: the SDK receives the function as the path.
                span = Span(
                    expr.span.end_line,
                    expr.span.end_col - len(method),
                    expr.span.end_line,
                    expr.span.end_col,
                )
                routed.routes.append(Route(source, definition, decorator, method, span, None))
                return
        if _mentions_flash_name(expr):
            self.unresolved.append((source, definition, decorator))

    def _instance_for_dotted(self, source: SourceFile, dotted: str) -> Endpoint | None:
        if "." not in dotted:
            return self.instance(source, dotted)
        q = source.facts.qualify(dotted)
        module, _, attr = q.partition(":")
        if not module or "." in attr:
            return None
        target = self.app.module_file(self.app.absolute_module(source, module))
        if target is None or not target.shipped:
            return None
        return self.instance(target, attr)

    def _remote(
        self, source: SourceFile, definition: Definition, decorator: Decorator, call: CallExpr
    ) -> None:
        resource: CallExpr | None = None
        first = call.args[0] if call.args else None
        kw = call.keyword("resource_config")
        if kw is not None:
            first = kw.value
        if isinstance(first, CallExpr):
            resource = first
        elif isinstance(first, NameExpr):
            binding = source.facts.binding(first.dotted)
            if binding is not None and isinstance(binding.value, CallExpr):
                resource = binding.value
        decl = EndpointDecl(source, call, DeclForm.REMOTE, resource_call=resource)
        endpoint = Endpoint(decl)
        method = call.keyword("method")
        path = call.keyword("path")
        if method is not None and path is not None and isinstance(method.value, Literal):
            route_call = CallExpr(call.span, call.text, call.func, (path.value,), (), False)
            endpoint.routes.append(
                Route(
                    source,
                    definition,
                    decorator,
                    str(method.value.value),
                    method.value.span,
                    route_call,
                )
            )
        else:
            endpoint.targets.append(Target(source, definition, decorator))
        self.endpoints.append(endpoint)


def _mentions_flash_name(expr: Expr) -> bool:
    text = expr.text
    return "Endpoint" in text or "remote" in text
