"""The app API reader: ``runpod.App`` apps and their resources, as endpoint models.

The second reader beside ``flash_reader.py``. It reads the app API of the ``runpod`` package
(runpod 2.0): ``app = runpod.App("name")`` (an ``AppDecl``), ``@app.queue(...)`` and
``@app.task(...)`` on functions, ``@app.api(...)`` on a class whose methods carry route markers
(``@runpod.post("/x")``, ``@runpod.init``) or on a function returning an ASGI app. Names are
followed, not spellings: ``import runpod as rp``, ``from runpod import App as A``,
``from runpod.apps import App``, ``A2 = A``, ``from main import app`` and ``import main`` +
``@main.app.queue()`` all lead to the same ``AppDecl``. A name that resolves to no ``runpod`` App
(Celery's ``@app.task``, FastAPI's ``app``) is none of this reader's business, so each file is
read by the SDK it imports. Files are those discovery imports (every ``.py`` outside
``platform.APP_DISCOVERY_SKIPPED_DIRS``), not the ones a Flash build ships. Nothing here imports
or runs user code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flash_ls import platform
from flash_ls.parse.facts import (
    Binding,
    CallExpr,
    Decorator,
    Definition,
    Expr,
    Method,
    NameExpr,
    split_qualified,
)
from flash_ls.project.endpoint_model import (
    AppDecl,
    DeclForm,
    Endpoint,
    EndpointDecl,
    EndpointKind,
    InitHook,
    Route,
    Target,
)
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile

_KINDS = {
    platform.APP_RESOURCE_KIND_QUEUE: EndpointKind.QUEUE,
    platform.APP_RESOURCE_KIND_API: EndpointKind.LOAD_BALANCED,
    platform.APP_RESOURCE_KIND_TASK: EndpointKind.TASK,
}


class AppApiReader:
    """Finds every app API ``App(...)`` and the resources declared on it."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.apps: list[AppDecl] = []
        self.endpoints: list[Endpoint] = []
        # Route and init markers the SDK never collects because no ``@app.api`` class holds
        # them (a module-level function, a plain class, an ``@app.queue`` class).
        self.stray_markers: list[tuple[SourceFile, Definition, Decorator]] = []
        self._declared: dict[tuple[str, Span], AppDecl] = {}
        self._bound: dict[tuple[str, str, Span], AppDecl | None] = {}
        self._in_progress: set[tuple[str, str, Span]] = set()
        sources = [s for s in app.sources() if _discovered(s.rel)]
        for source in sources:
            self._module_level_apps(source)
        for source in sources:
            for definition in source.facts.definitions:
                self._definition(source, definition)
        self.apps.sort(key=lambda a: (a.file.rel, a.call.span))
        self.endpoints.sort(key=lambda e: (e.decl.file.rel, e.decl.call.span))

    # -- App(...) declarations -----------------------------------------------------------------

    def _module_level_apps(self, source: SourceFile) -> None:
        # Every App(...) call registers an app, also one whose variable is bound again later.
        for name, bindings in source.facts.bindings.items():
            for binding in bindings:
                value = binding.value
                if (
                    binding.kind in ("assign", "annotated")
                    and isinstance(value, CallExpr)
                    and self._is_app_class(source, value.func)
                ):
                    self._declare(source, value, name)
        for module_call in source.facts.module_calls:
            if self._is_app_class(source, module_call.call.func):
                self._declare(source, module_call.call, None)

    def _declare(self, source: SourceFile, call: CallExpr, variable: str | None) -> AppDecl:
        key = (source.rel, call.span)
        found = self._declared.get(key)
        if found is None:
            found = AppDecl(self.app, source, call, variable)
            self._declared[key] = found
            self.apps.append(found)
        return found

    def _is_app_class(self, source: SourceFile, func: Expr) -> bool:
        return self._export(source, func) == platform.APP_CLASS

    def _export(self, source: SourceFile, expr: Expr) -> str | None:
        """The app API name ``expr`` refers to (``App``, ``post``, ``init``), however imported."""
        if not isinstance(expr, NameExpr):
            return None
        module, attr = split_qualified(self.app.qualified(source, expr.dotted))
        return attr if platform.is_app_api_export(module, attr) else None

    def app_for(self, source: SourceFile, dotted: str, before: Span | None) -> AppDecl | None:
        """The App a name (``app``, ``main.app``) of ``source`` refers to where ``before`` is
        (None: once the module has run)."""
        if "." not in dotted:
            return self._name(source, dotted, before)
        module, _, attr = source.facts.qualify(dotted).partition(":")
        if not module or "." in attr:
            return None
        target = self.app.module_file(self.app.absolute_module(source, module))
        return None if target is None else self._name(target, attr, None)

    def _name(self, source: SourceFile, name: str, before: Span | None) -> AppDecl | None:
        bindings = source.facts.bindings.get(name, [])
        if before is not None:
            bindings = [b for b in bindings if b.span < before]
        if not bindings:
            return None
        binding = bindings[-1]
        key = (source.rel, name, binding.span)
        if key in self._bound:
            return self._bound[key]
        if key in self._in_progress:
            return None  # ``a = b`` / ``b = a``
        self._in_progress.add(key)
        try:
            found = self._from_binding(source, binding)
        finally:
            self._in_progress.discard(key)
        self._bound[key] = found
        return found

    def _from_binding(self, source: SourceFile, binding: Binding) -> AppDecl | None:
        imp, imported = binding.import_, binding.imported
        if binding.kind == "import" and imp is not None and imported is not None:
            if not imp.is_from:
                return None
            target = self.app.module_file(self.app.import_target(source, imp))
            return None if target is None else self._name(target, imported.name, None)
        value = binding.value
        if binding.kind not in ("assign", "annotated") or value is None:
            return None
        if isinstance(value, NameExpr):
            return self.app_for(source, value.dotted, binding.span)  # ``app2 = app``
        if isinstance(value, CallExpr) and self._is_app_class(source, value.func):
            return self._declare(source, value, binding.name)
        return None

    # -- resources -------------------------------------------------------------------------------

    def _definition(self, source: SourceFile, definition: Definition) -> None:
        api_class = False
        for decorator in definition.decorators:
            found = _decorator_call(decorator)
            if found is None:
                continue
            call, called = found
            base, _, attr = _dotted(call.func).rpartition(".")
            if base and attr in _KINDS:
                app_decl = self.app_for(source, base, decorator.span)
                if app_decl is not None:
                    self._resource(source, definition, decorator, app_decl, attr, call, called)
                    api_class |= attr == platform.APP_RESOURCE_KIND_API
                    continue
            if self._export(source, call.func) in _MARKERS:
                self.stray_markers.append((source, definition, decorator))
        if definition.kind == "class" and not api_class:
            for method in definition.methods:
                for decorator in method.decorators:
                    if self._marker(source, decorator) is not None:
                        self.stray_markers.append((source, definition, decorator))

    def _resource(
        self,
        source: SourceFile,
        definition: Definition,
        decorator: Decorator,
        app_decl: AppDecl,
        decorator_name: str,
        call: CallExpr,
        called: bool,
    ) -> None:
        kind = _KINDS[decorator_name]
        decl = EndpointDecl(
            source,
            call,
            DeclForm.RESOURCE,
            variable=definition.name,
            app_decl=app_decl,
            declared_kind=kind,
            called=called,
        )
        endpoint = Endpoint(
            self.app,
            decl,
            targets=[Target(source, definition, decorator)],
            sdk=platform.APP_API_MODULE,
        )
        if kind is EndpointKind.LOAD_BALANCED and definition.kind == "class":
            self._class_routes(endpoint, source, definition)
        self.endpoints.append(endpoint)

    def _class_routes(self, endpoint: Endpoint, source: SourceFile, definition: Definition) -> None:
        """Routes and init hooks as ``inspect.getmembers`` finds them (section 2.3): a later
        method of the same name replaces an earlier one, the outermost marker that reaches the
        function wins, markers above ``@staticmethod``/``@classmethod`` stamp the wrapper and a
        ``@property`` is no callable. Inherited methods are not followed (yet)."""
        last = {method.name: method for method in definition.methods}
        for method in definition.methods:
            reachable = last[method.name] is method and not any(
                _dotted(d.expr) in platform.APP_METHOD_NOT_CALLABLE for d in method.decorators
            )
            route: Route | None = None
            init: InitHook | None = None
            for decorator in reversed(method.decorators):  # innermost first
                if _dotted(decorator.expr) in platform.APP_METHOD_WRAPPERS:
                    reachable = False
                    continue
                marker = self._marker(source, decorator)
                if marker is None:
                    continue
                if marker == platform.APP_INIT_MARKER:
                    if reachable:
                        init = InitHook(source, definition, method, decorator)
                    continue
                found = _route(source, definition, method, decorator, marker)
                if not reachable:
                    endpoint.uncollected_routes.append(found)
                    continue
                if route is not None:
                    endpoint.uncollected_routes.append(route)  # overwritten by this outer one
                route = found
            if route is not None:
                endpoint.routes.append(route)
            if init is not None:
                endpoint.inits.append(init)

    def _marker(self, source: SourceFile, decorator: Decorator) -> str | None:
        """``get``/``post``/.../``init`` when ``decorator`` is an app API marker."""
        found = _decorator_call(decorator)
        if found is None:
            return None
        name = self._export(source, found[0].func)
        return name if name in _MARKERS else None


_MARKERS = frozenset((*platform.APP_ROUTE_MARKERS, platform.APP_INIT_MARKER))


def _route(
    source: SourceFile, definition: Definition, method: Method, decorator: Decorator, marker: str
) -> Route:
    expr = decorator.expr
    call = expr if isinstance(expr, CallExpr) else None
    func = call.func if call is not None else expr
    written = _dotted(func).rpartition(".")[2]
    end = func.span
    span = Span(end.end_line, end.end_col - len(written), end.end_line, end.end_col)
    return Route(source, definition, decorator, marker, span, call, handler=method)


def _decorator_call(decorator: Decorator) -> tuple[CallExpr, bool] | None:
    """The decorator as a call and whether it was written as one (``@app.queue`` is not: it is
    given an empty call so that the model reads its arguments the same way)."""
    expr = decorator.expr
    if isinstance(expr, CallExpr) and isinstance(expr.func, NameExpr):
        return expr, True
    if isinstance(expr, NameExpr):
        return CallExpr(expr.span, expr.text, expr, (), ()), False
    return None


def _dotted(expr: Expr) -> str:
    return expr.dotted if isinstance(expr, NameExpr) else ""


def _discovered(rel: str) -> bool:
    """Whether discovery imports this file of the app root (its directories are not skipped)."""
    return not any(part in platform.APP_DISCOVERY_SKIPPED_DIRS for part in rel.split("/")[:-1])
