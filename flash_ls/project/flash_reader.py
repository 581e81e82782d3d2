"""The ``runpod_flash`` reader: ``Endpoint(...)`` declarations and their uses, as endpoint models.

Resolution follows names, not spellings: ``import runpod_flash as rf``, ``from runpod_flash import
Endpoint as E``, ``EP = Endpoint``, ``also_api = api`` and ``from common import api`` all lead to the
same ``Endpoint``. Only shipped files count (the build ignores the others). Nothing here imports or
runs user code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flash_ls.parse.facts import CallExpr, Decorator, Definition, Expr, Literal, NameExpr
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointDecl, Route, Target
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile


class FlashReader:
    """Finds every ``runpod_flash`` Endpoint declaration and attaches the functions and routes
    that use it."""

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
                self.endpoints.append(Endpoint(self.app, decl))

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
        endpoint = Endpoint(self.app, decl)
        self.endpoints.append(endpoint)
        return endpoint

    def _decorator(self, source: SourceFile, definition: Definition, decorator: Decorator) -> None:
        expr = decorator.expr
        if isinstance(expr, CallExpr) and isinstance(expr.func, NameExpr):
            func = expr.func.dotted
            callee = self._endpoint_callee(source, expr)
            if callee is not None:
                decl = EndpointDecl(source, expr, DeclForm.INLINE, via_alias=callee)
                endpoint = Endpoint(self.app, decl, targets=[Target(source, definition, decorator)])
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
        endpoint = Endpoint(self.app, decl)
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
