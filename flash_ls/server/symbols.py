"""Symbols and navigation: endpoints with their routes, definitions and references across the app;
app API ``App(...)``s with their resources (functions, classes, routes) nested as symbols.

Everything here returns engine locations (path, Span); the server converts them to LSP ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls.parse.facts import CallExpr, Expr, Literal
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import Endpoint
from flash_ls.server import endpoints
from flash_ls.server.hover import word_at
from flash_ls.server.plumbing import document_path, guard
from flash_ls.server.positions import LineIndex
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer


@dataclass
class Symbol:
    name: str
    detail: str
    kind: str  # "endpoint" | "route" | "function" | "class" | "app"
    path: Path
    span: Span  # the whole construct
    selection: Span  # its name
    children: list[Symbol] = field(default_factory=list)


@dataclass(frozen=True)
class Location:
    path: Path
    span: Span


def _contains(outer: Span, inner: Span) -> bool:
    return (outer.start_line, outer.start_col) <= (inner.start_line, inner.start_col) and (
        inner.end_line,
        inner.end_col,
    ) <= (outer.end_line, outer.end_col)


def _union(spans: list[Span]) -> Span:
    start = min((s.start_line, s.start_col) for s in spans)
    end = max((s.end_line, s.end_col) for s in spans)
    return Span(start[0], start[1], end[0], end[1])


def _children(endpoint: Endpoint, path: Path) -> list[Symbol]:
    children: list[Symbol] = []
    for route, text in zip(endpoint.routes, endpoints.routes(endpoint), strict=True):
        if route.file.path != path:
            continue
        children.append(
            Symbol(
                text,
                route.definition.name,
                "route",
                path,
                route.definition.span,
                route.decorator.span,
            )
        )
    for target in endpoint.targets:
        if target.file.path != path:
            continue
        children.append(
            Symbol(
                target.definition.name,
                target.definition.kind,
                "function",
                path,
                target.definition.span,
                target.definition.name_span,
            )
        )
    return children


def document_symbols(app: App, source: SourceFile) -> list[Symbol]:
    """Endpoints declared or used in ``source``, with their routes/functions there as children."""
    state = endpoints.deploy_state(app)
    symbols: list[Symbol] = []
    for endpoint in app.endpoints:
        children = _children(endpoint, source.path)
        declared_here = endpoint.decl.file.path == source.path
        if not declared_here and not children:
            continue
        if declared_here:
            span = endpoints.declaration_span(endpoint)
            selection = endpoints.anchor_span(endpoint)
            if not _contains(span, selection):
                span = _union([span, selection])
        else:
            span = _union([child.span for child in children])
            selection = children[0].selection
        for child in children:
            if not _contains(span, child.span):
                span = _union([span, child.span])
        symbols.append(
            Symbol(
                endpoint.key,
                endpoints.summary(endpoint, state),
                "endpoint",
                source.path,
                span,
                selection,
                children,
            )
        )
    symbols.extend(_app_api_symbols(app, source))
    symbols.sort(key=lambda s: (s.span.start_line, s.span.start_col))
    return symbols


def _resource_children(endpoint: Endpoint, path: Path) -> list[Symbol]:
    """An app API resource's function or class, its routes (by handler method) and init hook."""
    children: list[Symbol] = []
    for target in endpoint.targets:
        if target.file.path == path:
            definition = target.definition
            kind = "class" if definition.kind == "class" else "function"
            children.append(
                Symbol(definition.name, kind, kind, path, definition.span, definition.name_span)
            )
    for route, text in zip(endpoint.routes, endpoints.routes(endpoint), strict=True):
        if route.file.path != path:
            continue
        selection = route.handler.span if route.handler is not None else route.decorator.span
        span = _union([route.decorator.span, selection])
        children.append(Symbol(text, route.handler_name, "route", path, span, selection))
    return children


def _resource_symbol(endpoint: Endpoint, path: Path) -> Symbol | None:
    children = _resource_children(endpoint, path)
    declared_here = endpoint.decl.file.path == path
    if not declared_here and not children:
        return None
    if declared_here:
        span = endpoints.declaration_span(endpoint)
        selection = endpoints.anchor_span(endpoint)
    else:
        span = _union([child.span for child in children])
        selection = children[0].selection
    span = _union([span, selection, *(child.span for child in children)])
    detail = endpoints.app_summary(endpoint)
    return Symbol(endpoint.key, detail, "endpoint", path, span, selection, children)


def _app_api_symbols(app: App, source: SourceFile) -> list[Symbol]:
    """Each ``App(...)`` of ``source`` with the resources declared on it there (and their
    functions, classes and routes) as children; resources on an App of another file stand
    alone, as endpoints do."""
    path = source.path
    symbols: list[Symbol] = []
    nested: dict[int, Symbol] = {}
    for decl in endpoints.app_declarations(app):
        if decl.file.path != path:
            continue
        count = len(endpoints.app_resources(app, decl))
        symbol = Symbol(
            endpoints.app_name_text(decl),
            f"App · {count} resource{'' if count == 1 else 's'}",
            "app",
            path,
            endpoints.app_decl_span(decl),
            endpoints.app_anchor_span(decl),
        )
        nested[id(decl)] = symbol
        symbols.append(symbol)
    for endpoint in endpoints.app_api_resources(app):
        found = _resource_symbol(endpoint, path)
        if found is None:
            continue
        parent = nested.get(id(endpoint.app_decl)) if endpoint.decl.file.path == path else None
        if parent is None:
            symbols.append(found)
            continue
        parent.children.append(found)
        parent.span = _union([parent.span, found.span])
    return symbols


def _matches(query: str, name: str) -> bool:
    """Case-insensitive subsequence match, as editors filter workspace symbols."""
    if not query:
        return True
    position = 0
    lowered = name.lower()
    for char in query.lower():
        position = lowered.find(char, position)
        if position < 0:
            return False
        position += 1
    return True


def workspace_symbols(apps: list[App], query: str) -> list[tuple[Symbol, str]]:
    """(symbol, container name) for every endpoint and route matching ``query``."""
    found: list[tuple[Symbol, str]] = []
    for app in apps:
        for endpoint in app.endpoints:
            name = endpoint.key
            decl = endpoint.decl
            if _matches(query, name):
                found.append(
                    (
                        Symbol(
                            name,
                            endpoints.kind_label(endpoint),
                            "endpoint",
                            decl.file.path,
                            endpoints.declaration_span(endpoint),
                            endpoints.anchor_span(endpoint),
                        ),
                        app.name,
                    )
                )
            for route, text in zip(endpoint.routes, endpoints.routes(endpoint), strict=True):
                if _matches(query, text) or _matches(query, route.definition.name):
                    found.append(
                        (
                            Symbol(
                                text,
                                route.definition.name,
                                "route",
                                route.file.path,
                                route.decorator.span,
                                route.decorator.span,
                            ),
                            name,
                        )
                    )
        found.extend(_app_api_workspace_symbols(app, query))
    return found


def _app_api_workspace_symbols(app: App, query: str) -> list[tuple[Symbol, str]]:
    """App API ``App(...)``s, resources and routes matching ``query``."""
    found: list[tuple[Symbol, str]] = []
    for decl in endpoints.app_declarations(app):
        name = endpoints.app_name_text(decl)
        if _matches(query, name):
            span, selection = endpoints.app_decl_span(decl), endpoints.app_anchor_span(decl)
            found.append((Symbol(name, "App", "app", decl.file.path, span, selection), app.name))
    for endpoint in endpoints.app_api_resources(app):
        name = endpoint.key
        container = endpoints.app_name_text(endpoint.app_decl) if endpoint.app_decl else app.name
        if _matches(query, name):
            symbol = Symbol(
                name,
                endpoints.kind_label(endpoint),
                "endpoint",
                endpoint.decl.file.path,
                endpoints.declaration_span(endpoint),
                endpoints.anchor_span(endpoint),
            )
            found.append((symbol, container))
        for route, text in zip(endpoint.routes, endpoints.routes(endpoint), strict=True):
            if _matches(query, text) or _matches(query, route.handler_name):
                selection = (
                    route.handler.span if route.handler is not None else route.decorator.span
                )
                symbol = Symbol(
                    text, route.handler_name, "route", route.file.path, selection, selection
                )
                found.append((symbol, name))
    return found


# -- definition and references ---------------------------------------------------------------


def _name_value(endpoint: Endpoint) -> str | None:
    return endpoint.name if isinstance(endpoint.name, str) else None


def _name_string_at(app: App, source: SourceFile, line: int, col: int) -> str | None:
    """The endpoint name when the cursor is on a ``name=`` string literal."""
    for endpoint in app.endpoints:
        expr = endpoint.name_expr
        if (
            endpoint.decl.file.path == source.path
            and expr is not None
            and expr.span.contains(line, col)
        ):
            if isinstance(expr, Literal) and isinstance(expr.value, str):
                return expr.value
            return _name_value(endpoint)
    return None


def _instance_span(expr: Expr, drop: str = "") -> Span:
    """The part of a decorator naming the instance: ``api`` in ``api.post(...)``, ``ep`` in ``@ep``."""
    if isinstance(expr, CallExpr):
        expr = expr.func
    span = expr.span
    if drop and span.start_line == span.end_line and expr.text.endswith(f".{drop}"):
        return Span(span.start_line, span.start_col, span.end_line, span.end_col - len(drop) - 1)
    return span


def _uses(app: App, endpoint: Endpoint) -> list[Location]:
    """Decorators that use the endpoint and names bound to it in other modules."""
    found: list[Location] = []
    for target in endpoint.targets:
        if target.decorator.expr is not endpoint.decl.call:  # ``@Endpoint(...)`` is the declaration
            found.append(Location(target.file.path, _instance_span(target.decorator.expr)))
    for route in endpoint.routes:
        found.append(Location(route.file.path, _instance_span(route.decorator.expr, route.method)))
    qualified = endpoints.qualified_name(endpoint)
    if qualified is not None:
        for source in app.sources():
            for name, bindings in source.facts.bindings.items():
                binding = bindings[-1]
                if binding.kind not in ("import", "assign") or (
                    source.path == endpoint.decl.file.path and name == endpoint.decl.variable
                ):
                    continue
                try:
                    resolved = app.qualified(source, name)
                except RecursionError:
                    continue
                if resolved == qualified:
                    found.append(Location(source.path, binding.span))
    return found


def _targets(app: App, source: SourceFile, line: int, col: int, word: str | None) -> list[Endpoint]:
    """The endpoints the cursor refers to: by name string (all sharing it), else the one at the cursor."""
    name = _name_string_at(app, source, line, col)
    if name is not None:
        return [e for e in app.endpoints if _name_value(e) == name]
    found = endpoints.endpoint_at(app, source, line, col, word)
    if found is None and word:
        found = endpoints.instance_named(app, source, word)
    return [found] if found is not None else []


def definitions(
    app: App, source: SourceFile, line: int, col: int, word: str | None
) -> list[Location]:
    return [
        Location(endpoint.decl.file.path, endpoints.anchor_span(endpoint))
        for endpoint in _targets(app, source, line, col, word)
    ]


def references(
    app: App, source: SourceFile, line: int, col: int, word: str | None, include_declaration: bool
) -> list[Location]:
    found: list[Location] = []
    for endpoint in _targets(app, source, line, col, word):
        if include_declaration:
            found.append(Location(endpoint.decl.file.path, endpoints.anchor_span(endpoint)))
        found.extend(_uses(app, endpoint))
    unique: dict[tuple[Path, Span], Location] = {}
    for location in found:
        unique.setdefault((location.path, location.span), location)
    return sorted(unique.values(), key=lambda loc: (loc.path.as_posix(), loc.span))


# -- the handlers ---------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def document_symbol(
    ls: FlashLanguageServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
    path = document_path(params.text_document.uri)
    if path is None:
        return None
    hierarchical = bool(
        ls.capability("text_document.document_symbol.hierarchical_document_symbol_support", False)
    )
    uri = params.text_document.uri

    def compute() -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
        app, source = ls.source_in(path)
        if source is None:
            return []
        index = ls.index(source.text)
        found = document_symbols(app, source)
        if hierarchical:
            return [_document_symbol(symbol, index) for symbol in found]
        flat: list[types.SymbolInformation] = []
        pending: list[tuple[Symbol, str | None]] = [(symbol, None) for symbol in found]
        while pending:
            symbol, container = pending.pop(0)
            flat.append(_symbol_information(symbol, index, uri, container))
            pending[:0] = [(child, symbol.name) for child in symbol.children]
        return flat

    return await ls.engine.call(compute)


@guard(types.WORKSPACE_SYMBOL)
async def workspace_symbol(
    ls: FlashLanguageServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation] | None:
    def compute() -> list[types.SymbolInformation]:
        apps = ls.engine.workspace.apps()
        for root in ls.diagnostics.known_roots():
            if all(app.root != root for app in apps):
                apps.append(ls.engine.workspace.app(root))
        found = workspace_symbols(apps, params.query)
        texts = _texts(apps)
        return [
            _symbol_information(
                symbol,
                ls.index(texts.get(symbol.path)),
                ls.diagnostics.uri_for(symbol.path),
                container,
            )
            for symbol, container in found
        ]

    return await ls.engine.call(compute)


@guard(types.TEXT_DOCUMENT_DEFINITION)
async def definition(
    ls: FlashLanguageServer, params: types.DefinitionParams
) -> list[types.Location] | None:
    return await _navigate(ls, params.text_document.uri, params.position, None) or None


@guard(types.TEXT_DOCUMENT_REFERENCES)
async def references_request(
    ls: FlashLanguageServer, params: types.ReferenceParams
) -> list[types.Location] | None:
    return (
        await _navigate(
            ls, params.text_document.uri, params.position, params.context.include_declaration
        )
        or None
    )


def _texts(apps: list[App]) -> dict[Path, str | None]:
    return {source.path: source.text for app in apps for source in app.files.values()}


_SYMBOL_KINDS = {
    "endpoint": types.SymbolKind.Module,
    "route": types.SymbolKind.Method,
    "function": types.SymbolKind.Function,
    "class": types.SymbolKind.Class,
    "app": types.SymbolKind.Namespace,
}


def _document_symbol(symbol: Symbol, index: LineIndex) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name,
        detail=symbol.detail,
        kind=_SYMBOL_KINDS[symbol.kind],
        range=index.range(symbol.span),
        selection_range=index.range(symbol.selection),
        children=[_document_symbol(child, index) for child in symbol.children],
    )


def _symbol_information(
    symbol: Symbol, index: LineIndex, uri: str, container: str | None
) -> types.SymbolInformation:
    return types.SymbolInformation(
        name=symbol.name,
        kind=_SYMBOL_KINDS[symbol.kind],
        location=types.Location(uri=uri, range=index.range(symbol.selection)),
        container_name=container,
    )


async def _navigate(
    ls: FlashLanguageServer, uri: str, position: types.Position, include_declaration: bool | None
) -> list[types.Location]:
    path = document_path(uri)
    if path is None:
        return []

    def compute() -> list[types.Location]:
        app, source = ls.source_in(path)
        if source is None or source.text is None:
            return []
        index = ls.index(source.text)
        line, col = index.point(position)
        word = word_at(index.line(line), col)
        name = word[0] if word else None
        if include_declaration is None:
            found = definitions(app, source, line, col, name)
        else:
            found = references(app, source, line, col, name, include_declaration)
        texts = _texts([app])
        return [
            types.Location(
                uri=ls.diagnostics.uri_for(loc.path),
                range=ls.index(texts.get(loc.path)).range(loc.span),
            )
            for loc in found
        ]

    return await ls.engine.call(compute)
