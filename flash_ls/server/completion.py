"""Completion from the text before the cursor (half-typed code does not parse), facts from ``platform``.

Names are resolved through the file's imports (and the app's modules), so only the SDK's callables
get Flash completion, however they are imported; a local ``class Endpoint`` gets none.

- keyword arguments inside ``Endpoint(`` (and ``NetworkVolume(``, ``PodTemplate(``, ``remote(``);
- values of enum arguments (``gpu=``, ``gpu=[``, ``datacenter=``, ``cpu=`` ...): members spelled the
  way the file can use them (adding the import when it has none), and strings where the SDK takes
  them; inside a string, the string values (``cpu="``, ``datacenter="``);
- ``GpuType.`` / ``GpuGroup.`` / ``DataCenter.`` / ``CpuInstanceType.`` / ``CudaVersion.`` members;
- route methods after an Endpoint instance (``api.``);
- the app API of ``runpod``: keywords inside ``@app.queue(`` / ``@app.api(`` / ``@app.task(``
  (the kind's own), the strings ``gpu=``, ``cpu=``, ``datacenter=``, ``scaler_type=`` and
  ``min_cuda_version=`` take, rc2's enum members (``GpuType.``), ``@runpod.`` route and init
  markers and ``@app.`` resource decorators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls import platform
from flash_ls.parse import FileFacts, parse_file
from flash_ls.parse.facts import Import, split_qualified
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.server import endpoints
from flash_ls.server.plumbing import document_path, guard
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

TRIGGER_CHARACTERS = [".", '"', "'", "(", ",", "=", "["]

_DOTTED_ACCESS = re.compile(r"(?:^|[^\w.])([A-Za-z_][\w.]*)\.(\w*)$")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*$")
# A keyword argument's name (after any comments), up to its ``=``.
_KEYWORD_AT = re.compile(r"(?:\s|#[^\n]*)*([A-Za-z_]\w*)\s*=(?!=)")
_PARTIAL_WORD = re.compile(r"\s*([A-Za-z_]\w*)?")
_PARTIAL_NAME = re.compile(r"\s*([A-Za-z_][\w.]*)?")
_STRING_VALUE = re.compile(r"[\w.-]*")
_COMMENT = re.compile(r"#[^\n]*")
_STATEMENT_START = re.compile(r"[^\s#)\]}]")
_MAX_LOOKBACK_LINES = 300
_SDK = platform.SDK_MODULE

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
    """One enum member as completion shows it."""

    name: str
    value: str
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

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def line_prefix(self) -> str:
        current = self.lines[self.line] if 0 <= self.line < len(self.lines) else ""
        return current[: self.col]

    def replace(self, length: int) -> types.Range:
        return self.to_range(Span(self.line, self.col - length, self.line, self.col))

    def between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        """The text from engine point ``start`` to ``end`` (line endings as written)."""
        (start_line, start_col), (end_line, end_col) = start, end
        if start_line == end_line:
            return self.lines[start_line][start_col:end_col]
        middle = self.lines[start_line + 1 : end_line]
        return "\n".join(
            [self.lines[start_line][start_col:], *middle, self.lines[end_line][:end_col]]
        )

    def doc(self, text: str) -> types.MarkupContent | str | None:
        if not text:
            return None
        if self.markdown:
            return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
        return text


@dataclass
class _Names:
    """How the file's names resolve: through its imports, and the app's modules when known."""

    app: App | None
    source: SourceFile | None
    facts: FileFacts

    def sdk_attr(self, dotted: str) -> str | None:
        """``X`` when ``dotted`` names ``runpod_flash.X`` ("" for the module itself); else None."""
        if self.app is not None and self.source is not None:
            qualified = self.app.qualified(self.source, dotted)
        else:
            qualified = self.facts.qualify(dotted)
        module, attr = split_qualified(qualified)
        if platform.is_sdk_module(module):
            return attr
        return None

    def app_api_attr(self, dotted: str) -> str | None:
        """``X`` when ``dotted`` names ``runpod.X`` (or ``runpod.apps...X``; "" for the module
        itself); else None."""
        if self.app is not None and self.source is not None:
            qualified = self.app.qualified(self.source, dotted)
        else:
            qualified = self.facts.qualify(dotted)
        module, attr = split_qualified(qualified)
        return attr if platform.is_app_api_module(module) else None

    def app_decl(self, dotted: str) -> bool:
        """Whether ``dotted`` names an app API ``App(...)`` (``app``, ``main.app``)."""
        if self.app is None or self.source is None or not endpoints.has_app_api(self.app):
            return False
        return self.app.app_api.app_for(self.source, dotted, None) is not None


def complete(
    ctx: CompletionContext, app: App | None, source: SourceFile | None
) -> list[types.CompletionItem]:
    """The completion items at the cursor; ``source`` None: a file the app does not check."""
    if app is not None and source is not None:
        names = _Names(app, source, source.facts)
    else:
        names = _Names(None, None, parse_file(ctx.text))
    match = _DOTTED_ACCESS.search(ctx.line_prefix)
    if match:
        dotted, partial = match.group(1), match.group(2)
        enum = names.sdk_attr(dotted)
        if enum and _enum_members(enum):
            return _member_items(ctx, enum, partial)
        app_api = _app_api_access(ctx, names, dotted, partial, match.start(1))
        if app_api:
            return app_api
        if "." not in dotted and app is not None and source is not None:
            methods = _method_items(ctx, app, source, dotted, partial)
            if methods:
                return methods
    return _call_items(ctx, names)


def _member_items(ctx: CompletionContext, enum: str, partial: str) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=member.name,
            kind=types.CompletionItemKind.EnumMember,
            detail=member.value,
            documentation=ctx.doc(member.doc),
            sort_text=f"{index:03d}",
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=member.name),
        )
        for index, member in enumerate(_enum_members(enum))
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
            detail=f"{endpoint.key} ({endpoints.kind_label(endpoint)})",
            documentation=ctx.doc(doc),
            sort_text=f"{index:03d}",
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=method),
        )
        for index, (method, doc) in enumerate(docs.items())
    ]


# -- inside an SDK call --------------------------------------------------------------------------


@dataclass
class _Bracket:
    char: str
    at: int  # offset of the bracket
    commas: list[int] = field(default_factory=list)  # offsets of the commas at its level


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


def _scan(snippet: str) -> tuple[list[_Bracket], int | None] | None:
    """The brackets open at the end of ``snippet`` (outermost first) and the offset of the quote
    of the string the cursor is in (None: not in a string); None when the cursor is in a comment."""
    stack: list[_Bracket] = []
    index = 0
    length = len(snippet)
    while index < length:
        char = snippet[index]
        if char == "#":
            newline = snippet.find("\n", index)
            if newline < 0:
                return None
            index = newline + 1
            continue
        if char in "\"'":
            start = index
            quote = (
                snippet[index : index + 3] if snippet[index : index + 3] in ('"""', "'''") else char
            )
            index += len(quote)
            while index < length and not snippet.startswith(quote, index):
                if quote == char and snippet[index] == "\n":
                    break  # an unterminated one-line string ends at the line
                index += 2 if snippet[index] == "\\" else 1
            if index >= length:
                return stack, start
            index += len(quote) if snippet.startswith(quote, index) else 1
            continue
        if char in "([{":
            stack.append(_Bracket(char, index))
        elif char in ")]}":
            if stack:
                stack.pop()
        elif char == "," and stack:
            stack[-1].commas.append(index)
        index += 1
    return stack, None


def _call_items(ctx: CompletionContext, names: _Names) -> list[types.CompletionItem]:
    """Keyword names, or the value of an enum argument, inside an SDK call."""
    if not 0 <= ctx.line < len(ctx.lines):
        return []
    start = _statement_start(ctx.lines, ctx.line)
    snippet = "\n".join([*ctx.lines[start : ctx.line], ctx.lines[ctx.line][: ctx.col]])
    scanned = _scan(snippet)
    if scanned is None:
        return []
    brackets, string_at = scanned
    # The innermost call: a "(" after a callee (others are tuples or parentheses).
    calls = [
        (depth, bracket, found)
        for depth, bracket in enumerate(brackets)
        if bracket.char == "(" and (found := _CALLEE.search(snippet[: bracket.at]))
    ]
    if not calls:
        return []
    depth, call, callee = calls[-1]
    sdk_name = names.sdk_attr(callee.group(1))
    if sdk_name not in _PARAMS:
        base, _, kind = callee.group(1).rpartition(".")
        if kind in platform.APP_RESOURCE_PARAMETERS and base and names.app_decl(base):
            return _app_call_items(ctx, snippet, brackets, depth, call, string_at, kind)
        return []
    bounds = [call.at, *call.commas, len(snippet)]
    argument_start = bounds[-2] + 1
    argument = snippet[argument_start:]
    inner = brackets[depth + 1 :]
    keyword = _KEYWORD_AT.match(argument)
    if keyword is None:
        current = _PARTIAL_WORD.fullmatch(_COMMENT.sub("", argument))
        if inner or string_at is not None or current is None:
            return []  # the cursor is in a value, not at an argument name
        given = set()
        for start_at, end_at in pairwise(bounds[:-1]):
            found = _KEYWORD_AT.match(snippet[start_at + 1 : end_at])
            if found:
                given.add(found.group(1))
        return _keyword_items(ctx, _PARAMS[sdk_name], given, current.group(1) or "")
    spec = platform.ENUM_ARGUMENTS.get(sdk_name, {}).get(keyword.group(1))
    if spec is None:
        return []
    value_start = argument_start + keyword.end()
    item_start = value_start
    if inner:
        listed = inner[0]
        if len(inner) > 1 or listed.char == "{" or not spec.lists:
            return []
        if _COMMENT.sub("", snippet[value_start : listed.at]).strip():
            return []  # ``gpu=pools[``: a subscript, not a list
        item_start = (listed.commas[-1] if listed.commas else listed.at) + 1
    if string_at is not None:
        partial = snippet[string_at + 1 :]
        if (
            not spec.strings
            or string_at < item_start
            or _COMMENT.sub("", snippet[item_start:string_at]).strip()
            or not _STRING_VALUE.fullmatch(partial)
        ):
            return []
        return _string_items(ctx, spec, partial, quote="")
    current = _PARTIAL_NAME.fullmatch(_COMMENT.sub("", snippet[item_start:]))
    if current is None:
        return []
    partial = current.group(1) or ""
    items = _value_items(ctx, names, spec, partial)
    if spec.strings:
        items.extend(_string_items(ctx, spec, partial, quote='"', first=len(items)))
    return items


def _keyword_items(
    ctx: CompletionContext, params: tuple[platform.Param, ...], given: set[str], partial: str
) -> list[types.CompletionItem]:
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


def _value_items(
    ctx: CompletionContext, names: _Names, spec: platform.EnumArgument, partial: str
) -> list[types.CompletionItem]:
    """``GpuGroup.ADA_24`` ...: each member as the file can write it."""
    items: list[types.CompletionItem] = []
    for enum in spec.enums:
        spelling, imports = _enum_spelling(ctx, names, enum)
        note = f"\n\nAdds `from {_SDK} import {enum}`." if imports else ""
        for member in _enum_members(enum):
            text = f"{spelling}.{member.name}"
            items.append(
                types.CompletionItem(
                    label=text,
                    kind=types.CompletionItemKind.EnumMember,
                    detail=member.value,
                    documentation=ctx.doc(f"{member.doc}{note}".strip()),
                    sort_text=f"{len(items):03d}",
                    filter_text=text,
                    text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=text),
                    additional_text_edits=imports or None,
                )
            )
    return items


def _string_items(
    ctx: CompletionContext,
    spec: platform.EnumArgument,
    partial: str,
    *,
    quote: str,
    first: int = 0,
) -> list[types.CompletionItem]:
    """The members' values as strings; ``quote`` "" when the cursor is already in the string."""
    items: list[types.CompletionItem] = []
    for enum in spec.enums:
        for member in _enum_members(enum):
            text = f"{quote}{member.value}{quote}"
            items.append(
                types.CompletionItem(
                    label=text,
                    kind=types.CompletionItemKind.Value,
                    detail=member.doc or None,
                    sort_text=f"{first + len(items):03d}",
                    filter_text=member.value,
                    text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=text),
                )
            )
    return items


# -- the app API of ``runpod`` ---------------------------------------------------------------------

_APP_DECORATOR_DOCS = {
    platform.APP_RESOURCE_KIND_QUEUE: "A queue-based endpoint running the decorated function.",
    platform.APP_RESOURCE_KIND_API: "A load-balanced endpoint: a class whose methods carry route "
    "markers, or a zero-argument function returning an ASGI app.",
    platform.APP_RESOURCE_KIND_TASK: "A task: the decorated function runs on a pod per call.",
}
_APP_MARKER_DOCS = {
    **{
        method: f'`{method.upper()}` route: `@{platform.APP_API_MODULE}.{method}("/path")` on a '
        "method of an `@app.api` class."
        for method in platform.APP_ROUTE_MARKERS
    },
    platform.APP_INIT_MARKER: "Runs once per worker before it reports healthy, on a method of "
    "an `@app.api` class (bare: never called).",
}
_APP_ENUMS = ("GpuGroup", "GpuType", "CpuInstanceType", "DataCenter")
# Inside a string value: ``gpu=`` device names hold spaces.
_APP_STRING_VALUE = re.compile(r"[\w. -]*")


def _app_enum_members(enum: str) -> list[Member]:
    """rc2's enums: its GpuType has two more H100 editions than runpod_flash's."""
    if enum == "GpuGroup":
        return [
            Member("ANY", platform.APP_GPU_ANY, "every pool"),
            *(
                Member(pool, pool, ", ".join(platform.APP_GPU_POOL_DEVICES[pool]))
                for pool in platform.APP_GPU_POOLS
            ),
        ]
    if enum == "GpuType":
        return [
            Member("ANY", platform.APP_GPU_ANY, "every pool"),
            *(Member(t.member, t.value, f"pool `{t.pool}`") for t in platform.APP_GPU_TYPES),
        ]
    if enum == "CpuInstanceType":
        return [Member(c.member, c.value, c.description) for c in platform.APP_CPU_INSTANCES]
    if enum == "DataCenter":
        return [Member(d.member, d.value, "") for d in platform.APP_DATACENTERS]
    return []


def _app_values(keyword: str) -> list[tuple[str, str]]:
    """The strings a decorator keyword takes, with a note each (section 1.3, 1.6, 1.7)."""
    if keyword == "gpu":
        return [
            (platform.APP_GPU_ANY, "every pool"),
            *((p, ", ".join(platform.APP_GPU_POOL_DEVICES[p])) for p in platform.APP_GPU_POOLS),
            *((t.value, f"pool {t.pool}") for t in platform.APP_GPU_TYPES),
        ]
    if keyword == "cpu":
        return [(c.value, c.description) for c in platform.APP_CPU_INSTANCES]
    if keyword == "datacenter":
        return [(d.value, "") for d in platform.APP_DATACENTERS]
    if keyword == "scaler_type":
        return [(t.value, t.doc) for t in platform.APP_SCALER_TYPES]
    if keyword == "min_cuda_version":
        return [(v, "") for v in platform.APP_CUDA_VERSIONS]
    return []


def _app_api_access(
    ctx: CompletionContext, names: _Names, dotted: str, partial: str, start: int
) -> list[types.CompletionItem]:
    """``GpuType.`` (rc2's enums), ``@runpod.`` (route and init markers), ``@app.`` (the
    resource decorators)."""
    attr = names.app_api_attr(dotted)
    if attr in _APP_ENUMS:
        members = _app_enum_members(attr)
        return [
            types.CompletionItem(
                label=member.name,
                kind=types.CompletionItemKind.EnumMember,
                detail=member.value,
                documentation=ctx.doc(member.doc),
                sort_text=f"{index:03d}",
                text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=member.name),
            )
            for index, member in enumerate(members)
        ]
    if ctx.line_prefix[:start].strip() != "@":
        return []  # markers and decorators only where a decorator is written
    if attr == "":
        docs = _APP_MARKER_DOCS
        detail = f"{platform.APP_API_MODULE} route marker"
    elif names.app_decl(dotted):
        docs = _APP_DECORATOR_DOCS
        detail = "App resource decorator"
    else:
        return []
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Function,
            detail=detail,
            documentation=ctx.doc(doc),
            sort_text=f"{index:03d}",
            text_edit=types.TextEdit(range=ctx.replace(len(partial)), new_text=name),
        )
        for index, (name, doc) in enumerate(docs.items())
    ]


def _app_call_items(
    ctx: CompletionContext,
    snippet: str,
    brackets: list[_Bracket],
    depth: int,
    call: _Bracket,
    string_at: int | None,
    kind: str,
) -> list[types.CompletionItem]:
    """Inside ``@app.queue(`` / ``@app.api(`` / ``@app.task(``: the kind's keywords, and the
    strings ``gpu=``, ``cpu=``, ``datacenter=``, ``scaler_type=``, ``min_cuda_version=`` take."""
    bounds = [call.at, *call.commas, len(snippet)]
    argument_start = bounds[-2] + 1
    argument = snippet[argument_start:]
    inner = brackets[depth + 1 :]
    keyword = _KEYWORD_AT.match(argument)
    if keyword is None:
        current = _PARTIAL_WORD.fullmatch(_COMMENT.sub("", argument))
        if inner or string_at is not None or current is None:
            return []
        given = set()
        for start_at, end_at in pairwise(bounds[:-1]):
            found = _KEYWORD_AT.match(snippet[start_at + 1 : end_at])
            if found:
                given.add(found.group(1))
        params = tuple(
            platform.APP_RESOURCE_PARAMS_BY_NAME[name]
            for name in platform.APP_RESOURCE_PARAMETERS[kind]
        )
        return _keyword_items(ctx, params, given, current.group(1) or "")
    name = keyword.group(1)
    values = _app_values(name)
    if not values or name not in platform.APP_RESOURCE_PARAMETERS[kind]:
        return []
    value_start = argument_start + keyword.end()
    item_start = value_start
    if inner:
        listed = inner[0]
        if len(inner) > 1 or listed.char != "[" or name not in platform.APP_LIST_ARGUMENTS:
            return []
        if _COMMENT.sub("", snippet[value_start : listed.at]).strip():
            return []
        item_start = (listed.commas[-1] if listed.commas else listed.at) + 1
    if string_at is not None:
        partial = snippet[string_at + 1 :]
        if (
            string_at < item_start
            or _COMMENT.sub("", snippet[item_start:string_at]).strip()
            or not _APP_STRING_VALUE.fullmatch(partial)
        ):
            return []
        return _app_string_items(ctx, values, partial, quote="")
    current = _PARTIAL_WORD.fullmatch(_COMMENT.sub("", snippet[item_start:]))
    if current is None:
        return []
    return _app_string_items(ctx, values, current.group(1) or "", quote='"')


def _app_string_items(
    ctx: CompletionContext, values: list[tuple[str, str]], partial: str, *, quote: str
) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=f"{quote}{value}{quote}",
            kind=types.CompletionItemKind.Value,
            detail=note or None,
            sort_text=f"{index:03d}",
            filter_text=value,
            text_edit=types.TextEdit(
                range=ctx.replace(len(partial)), new_text=f"{quote}{value}{quote}"
            ),
        )
        for index, (value, note) in enumerate(values)
    ]


# -- spelling an SDK enum ------------------------------------------------------------------------


def _enum_spelling(
    ctx: CompletionContext, names: _Names, enum: str
) -> tuple[str, list[types.TextEdit]]:
    """How the file can write ``enum``: a name bound to it, the SDK module's alias (``rf.GpuGroup``),
    or its own name with an import added (as editors' auto-import does)."""
    bound = [name for name in (enum, *names.facts.bindings) if _usable(names.facts, name)]
    for name in bound:
        if names.sdk_attr(name) == enum:
            return name, []
    for name in bound:
        if names.sdk_attr(name) == "":
            return f"{name}.{enum}", []
    return enum, [_import_edit(ctx, names.facts, enum)]


def _usable(facts: FileFacts, name: str) -> bool:
    """A module-level name that exists at run time (not an ``if TYPE_CHECKING`` import)."""
    binding = facts.binding(name)
    return binding is not None and (binding.import_ is None or not binding.import_.guarded)


def _import_edit(ctx: CompletionContext, facts: FileFacts, enum: str) -> types.TextEdit:
    """Add ``enum`` to the file's ``from runpod_flash import ...``, else import it on a new line."""
    module_level = [imp for imp in facts.imports if not imp.guarded and not imp.nested]
    for imp in module_level:
        if imp.module == _SDK and imp.level == 0 and all(n.name != "*" for n in imp.names):
            return _add_name(ctx, imp, enum)
    line = max((imp.span.end_line + 1 for imp in module_level), default=0)
    return types.TextEdit(
        range=ctx.to_range(Span(line, 0, line, 0)), new_text=f"from {_SDK} import {enum}\n"
    )


def _add_name(ctx: CompletionContext, imp: Import, enum: str) -> types.TextEdit:
    """Insert ``enum`` among the imported names, in order, separated as the others are."""
    spans = [name.span for name in imp.names]
    after = next((i for i, name in enumerate(imp.names) if name.name > enum), len(spans))
    separator = ", "
    if len(spans) > 1:
        right_index = min(max(after, 1), len(spans) - 1)
        left, right = spans[right_index - 1], spans[right_index]
        written = ctx.between((left.end_line, left.end_col), (right.start_line, right.start_col))
        if "#" not in written:  # a comment between names stays with its name
            separator = written
    if after == len(spans):
        last = spans[-1]
        at = Span(last.end_line, last.end_col, last.end_line, last.end_col)
        return types.TextEdit(range=ctx.to_range(at), new_text=f"{separator}{enum}")
    first = spans[after]
    at = Span(first.start_line, first.start_col, first.start_line, first.start_col)
    return types.TextEdit(range=ctx.to_range(at), new_text=f"{enum}{separator}")


# -- the handler ----------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_COMPLETION)
async def complete_request(
    ls: FlashLanguageServer, params: types.CompletionParams
) -> types.CompletionList | None:
    path = document_path(params.text_document.uri)
    if path is None:
        return None
    formats = (
        ls.capability("text_document.completion.completion_item.documentation_format", []) or []
    )
    markdown = types.MarkupKind.Markdown in formats

    def compute() -> list[types.CompletionItem]:
        app, source = ls.source_in(path)
        document = ls.documents.get(path)
        text = (
            document.text if document is not None else (source.text if source is not None else None)
        )
        if text is None:
            return []
        index = ls.index(text)
        line, col = index.point(params.position)
        ctx = CompletionContext(text, line, col, index.range, markdown)
        return complete(ctx, app, source)

    items = await ls.engine.call(compute)
    return types.CompletionList(is_incomplete=False, items=items) if items else None
