"""Hover: endpoint summaries (with the request that calls the endpoint in the active environment),
``Endpoint(...)`` keyword docs, and rule docs in suppression comments; for the app API of
``runpod``: resources (``@app.queue/api/task``), ``App(...)`` and the decorators' keywords."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls import platform, suppression
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import Endpoint
from flash_ls.rules.registry import Rule, lookup
from flash_ls.server import endpoint_tree, endpoints
from flash_ls.server.plumbing import document_path, guard
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

log = logging.getLogger(__name__)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class HoverText:
    markdown: str
    span: Span | None


def word_at(line_text: str, col: int) -> tuple[str, int, int] | None:
    """The identifier touching column ``col`` and its columns."""
    for match in _WORD.finditer(line_text):
        if match.start() <= col <= match.end():
            return match.group(), match.start(), match.end()
    return None


def rule_in_suppression(line_text: str, col: int) -> tuple[Rule, int, int] | None:
    """The rule named at ``col`` inside a ``# flash-ls: ignore[...]`` comment."""
    for code, start, end in suppression.code_columns(line_text):
        if start <= col <= end:
            found = lookup(code)
            return (found, start, end) if found is not None else None
    return None


def rule_markdown(rule: Rule) -> str:
    return (
        f"**{rule.code}** `{rule.slug}` ({rule.severity.label})\n\n{rule.summary}\n\n"
        f"{rule.doc}\n\n[Rule documentation]({rule.doc_url})"
    )


def param_markdown(param: platform.Param) -> str:
    return f"**`{param.name}`**`: {param.annotation} = {param.default}`\n\n{param.doc}"


def hover(app: App, source: SourceFile, line_text: str, line: int, col: int) -> HoverText | None:
    found_rule = rule_in_suppression(line_text, col)
    if found_rule is not None:
        rule, start, end = found_rule
        return HoverText(rule_markdown(rule), Span(line, start, line, end))
    for endpoint in app.endpoints:
        if not endpoints.same_file(endpoint.decl.file, source):
            continue
        for keyword in endpoint.decl.call.keywords:
            if keyword.name and keyword.name_span.contains(line, col):
                param = platform.ENDPOINT_PARAMS_BY_NAME.get(keyword.name)
                if param is not None:
                    return HoverText(param_markdown(param), keyword.name_span)
    word = word_at(line_text, col)
    found = endpoints.endpoint_at(app, source, line, col, word[0] if word else None)
    if found is None:
        return _app_api_hover(app, source, line, col, word)
    state = endpoints.deploy_state(app)
    span = Span(line, word[1], line, word[2]) if word else None
    request = _request(app, source, found, line, col)
    return HoverText(endpoints.describe(app, found, state, request), span)


def app_param_markdown(param: platform.Param, kind: str) -> str:
    text = param_markdown(param)
    if param.name not in platform.APP_RESOURCE_PARAMETERS.get(kind, ()):
        text += f"\n\nNot a parameter of `@app.{kind}(...)`: a TypeError at decoration."
    return text


def _app_api_hover(
    app: App, source: SourceFile, line: int, col: int, word: tuple[str, int, int] | None
) -> HoverText | None:
    """Hover on the app API of ``runpod``: a decorator's keyword, a resource, an ``App(...)``."""
    span = Span(line, word[1], line, word[2]) if word else None
    for endpoint in endpoints.app_api_resources(app):
        if not endpoints.same_file(endpoint.decl.file, source):
            continue
        if not endpoint.decl.call.span.contains(line, col):
            continue
        kind = endpoints.decorator_text(endpoint).rpartition(".")[2]
        for keyword in endpoint.decl.call.keywords:
            if keyword.name and keyword.name_span.contains(line, col):
                param = platform.APP_RESOURCE_PARAMS_BY_NAME.get(keyword.name)
                if param is not None:
                    return HoverText(app_param_markdown(param, kind), keyword.name_span)
    found = endpoints.resource_at(app, source, line, col)
    if found is not None:
        return HoverText(endpoints.describe_resource(found), span)
    decl = endpoints.app_decl_at(app, source, line, col)
    if decl is not None:
        return HoverText(endpoints.describe_app(app, decl), span)
    return None


def _request(app: App, source: SourceFile, endpoint: Endpoint, line: int, col: int) -> list[str]:
    """The request section: the route under the cursor, else the endpoint's (first route)."""
    route = None
    for candidate in endpoint.routes:
        here = endpoints.same_file(candidate.file, source) and (
            candidate.decorator.span.contains(line, col)
            or candidate.definition.name_span.contains(line, col)
        )
        if here:
            route = endpoint_tree.route_key(candidate)
    try:
        return endpoint_tree.request_markdown(endpoint_tree.request(app, endpoint, route))
    except endpoint_tree.NoRequest:
        return []
    except Exception:  # a hover without its request beats no hover
        log.exception("building the request of an endpoint failed")
        return []


# -- the handler ----------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_HOVER)
async def hover_request(ls: FlashLanguageServer, params: types.HoverParams) -> types.Hover | None:
    path = document_path(params.text_document.uri)
    if path is None:
        return None

    def compute() -> types.Hover | None:
        app, source = ls.source_in(path)
        if source is None or source.text is None:
            return None
        index = ls.index(source.text)
        line, col = index.point(params.position)
        ls.warm_up(app)
        found = hover(app, source, index.line(line), line, col)
        if found is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
            range=index.range(found.span) if found.span is not None else None,
        )

    return await ls.engine.call(compute)
