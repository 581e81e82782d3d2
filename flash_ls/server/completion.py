"""Completion from the text before the cursor (half-typed code does not parse), facts from ``platform``.

- keyword arguments inside ``Endpoint(`` (and ``NetworkVolume(``, ``PodTemplate(``, ``remote(``);
- ``GpuType.`` / ``GpuGroup.`` / ``DataCenter.`` / ``CpuInstanceType.`` / ``CudaVersion.`` members;
- ``cpu="`` instance strings and ``datacenter="`` values;
- route methods after an Endpoint instance (``api.``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lsprotocol import types

from flash_ls import platform
from flash_ls.project.app import App, EndpointKind, SourceFile
from flash_ls.server import endpoints
from flash_ls.span import Span

TRIGGER_CHARACTERS = [".", '"', "'", "(", ","]

_ENUM_ACCESS = re.compile(
    r"(?<![\w])(GpuType|GpuGroup|DataCenter|CpuInstanceType|CudaVersion|ServerlessScalerType)\.(\w*)$"
)
_STRING_VALUE = re.compile(r"\b(cpu|datacenter)\s*=\s*(?:[\[(][^\])]*)?([\"'])([\w.-]*)$")
_ATTRIBUTE = re.compile(r"(?:^|[^\w.])([A-Za-z_]\w*)\.(\w*)$")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*$")
_KEYWORD_GIVEN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)")
_PARTIAL_WORD = re.compile(r"\s*([A-Za-z_]\w*)?")
_COMMENT = re.compile(r"#[^\n]*")
_STATEMENT_START = re.compile(r"[^\s#)\]}]")
_MAX_LOOKBACK_LINES = 300

_PARAMS: dict[str, tuple[platform.Param, ...]] = {
    "Endpoint": platform.ENDPOINT_PARAMS,
    "NetworkVolume": platform.NETWORK_VOLUME_PARAMS,
    "PodTemplate": platform.POD_TEMPLATE_PARAMS,
    "remote": platform.REMOTE_PARAMS,
}

_ROUTE_DOCS = {
    method: f'Register a `{method.upper()}` route: `@api.{method}("/path")` on a function '
    "(load-balanced endpoint)."
    for method in platform.HTTP_METHODS
}
_CLIENT_DOCS = {
    "run": "Submit a job to the endpoint's queue (asynchronous).",
    "runsync": "Submit a job and wait for its result.",
    "cancel": "Cancel a queued or running job.",
}


@dataclass(frozen=True)
class Member:
    name: str
    detail: str
    doc: str


def _enum_members(enum: str) -> list[Member]:
    if enum == "GpuType":
        return [
            Member(
                m.member,
                m.value,
                f"pool `{m.pool}`" if m.pool else "any GPU: expands to every pool",
            )
            for m in platform.GPU_TYPES
        ]
    if enum == "GpuGroup":
        return [Member(p.member, p.value, p.description) for p in platform.GPU_GROUPS]
    if enum == "CpuInstanceType":
        return [Member(c.member, c.value, c.description) for c in platform.CPU_INSTANCES]
    if enum == "DataCenter":
        return [
            Member(
                d.member,
                d.value,
                "the only datacenter for CPU endpoints"
                if d.value in platform.CPU_DATACENTERS
                else "",
            )
            for d in platform.DATACENTERS
        ]
    if enum == "CudaVersion":
        return [Member(c.member, c.value, "") for c in platform.CUDA_VERSIONS]
    if enum == "ServerlessScalerType":
        return [Member(s.member, s.value, s.doc) for s in platform.SCALER_TYPES]
    return []


@dataclass
class CompletionContext:
    """The document text around the cursor (engine columns) and how to make LSP ranges."""

    text: str
    line: int
    col: int
    to_range: Callable[[Span], types.Range]
    markdown: bool = True

    @property
    def line_prefix(self) -> str:
        lines = self.text.split("\n")
        current = lines[self.line] if 0 <= self.line < len(lines) else ""
        return current[: self.col]

    def replace(self, length: int) -> types.Range:
        return self.to_range(Span(self.line, self.col - length, self.line, self.col))

    def doc(self, text: str) -> types.MarkupContent | str | None:
        if not text:
            return None
        if self.markdown:
            return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
        return text


def complete(
    ctx: CompletionContext, app: App | None, source: SourceFile | None
) -> list[types.CompletionItem]:
    prefix = ctx.line_prefix
    match = _STRING_VALUE.search(prefix)
    if match:
        return _string_values(ctx, match.group(1), match.group(3))
    match = _ENUM_ACCESS.search(prefix)
    if match:
        return _enum_items(ctx, match.group(1), match.group(2))
    match = _ATTRIBUTE.search(prefix)
    if match:
        if app is None or source is None:
            return []
        return _method_items(ctx, app, source, match.group(1), match.group(2))
    return _keyword_items(ctx, app, source)


def _enum_items(ctx: CompletionContext, enum: str, partial: str) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=member.name,
            kind=types.CompletionItemKind.EnumMember,
            detail=member.detail,
            documentation=ctx.doc(member.doc),
            sort_text=f"{index:03d}",
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=member.name),
        )
        for index, member in enumerate(_enum_members(enum))
    ]


def _string_values(
    ctx: CompletionContext, keyword: str, partial: str
) -> list[types.CompletionItem]:
    if keyword == "cpu":
        values: Iterable[tuple[str, str]] = (
            (c.value, c.description) for c in platform.CPU_INSTANCES
        )
    else:
        values = (
            (
                d.value,
                "the only datacenter for CPU endpoints"
                if d.value in platform.CPU_DATACENTERS
                else "",
            )
            for d in platform.DATACENTERS
        )
    return [
        types.CompletionItem(
            label=value,
            kind=types.CompletionItemKind.Value,
            detail=detail or None,
            sort_text=f"{index:03d}",
            filter_text=value,
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=value),
        )
        for index, (value, detail) in enumerate(values)
    ]


def _method_items(
    ctx: CompletionContext, app: App, source: SourceFile, name: str, partial: str
) -> list[types.CompletionItem]:
    endpoint = endpoints.instance_named(app, source, name)
    if endpoint is None:
        return []
    docs = dict(_ROUTE_DOCS)
    if endpoint.kind is EndpointKind.CLIENT:
        docs = {
            **_CLIENT_DOCS,
            **{m: f"Send a `{m.upper()}` request to the endpoint." for m in platform.HTTP_METHODS},
        }
    return [
        types.CompletionItem(
            label=method,
            kind=types.CompletionItemKind.Method,
            detail=f"{endpoints.label(app, endpoint)} ({endpoints.kind_label(endpoint)})",
            documentation=ctx.doc(doc),
            sort_text=f"{index:03d}",
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=method),
        )
        for index, (method, doc) in enumerate(docs.items())
    ]


# -- keyword arguments ---------------------------------------------------------------------------


@dataclass
class _OpenCall:
    open_at: int  # offset of "("
    separators: list[int]  # offsets of top-level commas


def _statement_start(lines: list[str], line: int) -> int:
    for number in range(line, max(-1, line - _MAX_LOOKBACK_LINES), -1):
        text = lines[number]
        if (
            text
            and _STATEMENT_START.match(text[:1])
            and not text.startswith(("else", "elif", "except", "finally"))
        ):
            return number
    return max(0, line - _MAX_LOOKBACK_LINES)


def _innermost_call(snippet: str) -> _OpenCall | None:
    """The innermost unclosed ``(`` at the end of ``snippet``; None inside a string or ``[``/``{``."""
    stack: list[tuple[str, _OpenCall | None]] = []
    index = 0
    length = len(snippet)
    while index < length:
        char = snippet[index]
        if char == "#":
            newline = snippet.find("\n", index)
            if newline < 0:
                return None  # the cursor is in a comment
            index = newline + 1
            continue
        if char in "\"'":
            quote = (
                snippet[index : index + 3] if snippet[index : index + 3] in ('"""', "'''") else char
            )
            index += len(quote)
            while index < length and not snippet.startswith(quote, index):
                if quote == char and snippet[index] == "\n":
                    break  # an unterminated one-line string ends at the line
                index += 2 if snippet[index] == "\\" else 1
            if index >= length:
                return None  # the cursor is inside a string
            index += len(quote) if snippet.startswith(quote, index) else 1
            continue
        if char == "(":
            stack.append(("(", _OpenCall(index, [])))
        elif char in "[{":
            stack.append((char, None))
        elif char in ")]}":
            if stack:
                stack.pop()
        elif char == "," and stack and stack[-1][1] is not None:
            call = stack[-1][1]
            assert call is not None
            call.separators.append(index)
        index += 1
    if not stack:
        return None
    return stack[-1][1]


def _keyword_items(
    ctx: CompletionContext, app: App | None, source: SourceFile | None
) -> list[types.CompletionItem]:
    lines = ctx.text.split("\n")
    if not 0 <= ctx.line < len(lines):
        return []
    start = _statement_start(lines, ctx.line)
    snippet = "\n".join([*lines[start : ctx.line], lines[ctx.line][: ctx.col]])
    call = _innermost_call(snippet)
    if call is None:
        return []
    callee_match = _CALLEE.search(snippet[: call.open_at])
    if callee_match is None:
        return []
    callee = callee_match.group(1)
    short = callee.rpartition(".")[2]
    params = _PARAMS.get(short)
    if params is None and app is not None and source is not None:
        for sdk_name, candidates in _PARAMS.items():
            if app.is_sdk_name(source, callee, sdk_name):
                params = candidates
                break
    if params is None:
        return []
    bounds = [call.open_at, *call.separators, len(snippet)]
    segments = [snippet[bounds[i] + 1 : bounds[i + 1]] for i in range(len(bounds) - 1)]
    current = _PARTIAL_WORD.fullmatch(_COMMENT.sub("", segments[-1]))
    if current is None:
        return []  # the cursor is in a value, not at an argument name
    partial = current.group(1) or ""
    given = set()
    for segment in segments[:-1]:
        found = _KEYWORD_GIVEN.match(_COMMENT.sub("", segment))
        if found:
            given.add(found.group(1))
    items = []
    for index, param in enumerate(params):
        if param.name in given or param.name.startswith("_"):
            continue
        items.append(
            types.CompletionItem(
                label=f"{param.name}=",
                kind=types.CompletionItemKind.Property,
                detail=f"{param.annotation} = {param.default}"
                if param.default
                else param.annotation,
                documentation=ctx.doc(param.doc),
                sort_text=f"{index:03d}",
                filter_text=param.name,
                text_edit=types.TextEdit(
                    range=ctx.replace(len(partial)), new_text=f"{param.name}="
                ),
            )
        )
    return items
