"""Code lens above each endpoint: a summary line, then Deploy and Show manifest entry (which
opens the entry in a read-only manifest file: ``flash.manifest.show``), Copy curl (the request
that calls it: ``flash.endpoint.request``; above each route for a load-balanced endpoint), then
where and when it was deployed (``Deployed to staging · 2 min ago``) in the active environment.

App API resources (``@app.queue/api/task`` of ``runpod``) and their ``App(...)`` get a summary
label only: those commands work on runpod_flash endpoints (its build and ``.flash/`` state)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.server import endpoint_tree, endpoints
from flash_ls.server.plumbing import document_path, guard
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

DEPLOY = "flash.deploy"
MANIFEST_SHOW = "flash.manifest.show"
REQUEST = "flash.endpoint.request"
COPY_CURL = "Copy curl"


@dataclass(frozen=True)
class Lens:
    span: Span
    title: str
    command: str  # "" for a label without an action
    arguments: list[Any] | None = None


def lenses(app: App, source: SourceFile, uri: str) -> list[Lens]:
    """The lenses of the endpoints declared in ``source`` (``uri``: how the editor names it)."""
    state = endpoints.deploy_state(app)
    now = time.time()
    found: list[Lens] = []
    for endpoint in app.endpoints:
        if endpoint.decl.file.path != source.path:
            continue
        start = endpoints.declaration_span(endpoint)
        line = Span(start.start_line, 0, start.start_line, 0)
        name = endpoint.key
        argument = {"uri": uri, "endpoint": name}
        found.append(Lens(line, endpoints.summary(endpoint, state), ""))
        found.append(Lens(line, "Deploy", DEPLOY, [argument]))
        if endpoint.kind is not EndpointKind.UNUSED:  # the build makes no resource of it
            found.append(Lens(line, "Show manifest entry", MANIFEST_SHOW, [argument]))
        if endpoint.kind is EndpointKind.QUEUE:
            found.append(Lens(line, COPY_CURL, REQUEST, [argument]))
        deployed = endpoints.deployed_line(endpoint, state, now)
        if deployed is not None:
            found.append(Lens(line, deployed, ""))
    found.extend(_route_lenses(app, source, uri))
    found.extend(_app_api_lenses(app, source))
    found.sort(key=lambda lens: lens.span.start_line)  # in document order, stable on a line
    return found


def _route_lenses(app: App, source: SourceFile, uri: str) -> list[Lens]:
    """Copy curl above each route in ``source`` of a load-balanced endpoint (declared anywhere)."""
    found: list[Lens] = []
    for endpoint in app.endpoints:
        if endpoint.kind is not EndpointKind.LOAD_BALANCED:
            continue
        name = endpoint.key
        for route in endpoint.routes:
            key = endpoint_tree.route_key(route)
            if route.file.path != source.path or key is None:
                continue
            start = route.decorator.span.start_line
            argument = {"uri": uri, "endpoint": name, "route": key}
            found.append(Lens(Span(start, 0, start, 0), COPY_CURL, REQUEST, [argument]))
    return found


def _app_api_lenses(app: App, source: SourceFile) -> list[Lens]:
    """Labels above app API resources (``@app.queue/api/task``) and ``App(...)``s. No commands:
    Deploy, Show manifest entry and Copy curl work on runpod_flash endpoints only (``flash
    build``'s manifest and ``.flash/`` deploy state; rc2 deploys with ``rp flash deploy``)."""
    found: list[Lens] = []
    for decl in endpoints.app_declarations(app):
        if decl.file.path != source.path:
            continue
        start = endpoints.app_decl_span(decl).start_line
        count = len(endpoints.app_resources(app, decl))
        title = f"App {endpoints.app_name_text(decl)} · {count} resource{'' if count == 1 else 's'}"
        found.append(Lens(Span(start, 0, start, 0), title, ""))
    for endpoint in endpoints.app_api_resources(app):
        if endpoint.decl.file.path != source.path:
            continue
        start = endpoints.declaration_span(endpoint).start_line
        found.append(Lens(Span(start, 0, start, 0), endpoints.app_summary(endpoint), ""))
    return found


# -- the handler ----------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_CODE_LENS)
async def code_lens(
    ls: FlashLanguageServer, params: types.CodeLensParams
) -> list[types.CodeLens] | None:
    path = document_path(params.text_document.uri)
    if path is None:
        return None
    uri = params.text_document.uri
    if not ls.settings.code_lens:
        return []

    def compute() -> list[types.CodeLens]:
        app, source = ls.source_in(path)
        if source is None:
            return []
        index = ls.index(source.text)
        ls.warm_up(app)
        return [
            types.CodeLens(
                range=index.range(item.span),
                command=types.Command(
                    title=item.title, command=item.command, arguments=item.arguments
                ),
            )
            for item in lenses(app, source, uri)
        ]

    return await ls.engine.call(compute)
