"""Reading ``Endpoint(...)`` arguments for the FL5xx rules (and FL903): where a value is
written, the endpoint being checked, and the suggestions and fixes the rules share.

Every check reads values through ``evaluate`` and stays silent on ``Unknown``: a value computed at
run time is reported once, as FL903 (``analysis.py``, through ``unknown_arguments``), never guessed
at. Findings point at the smallest node that is wrong (the list element, the enum member); a value
that comes from a constant in another file is reported at the reference in the Endpoint call, where
the endpoint is (``finding_at``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import (
    CallExpr,
    Expr,
    Keyword,
    Literal,
    MappingExpr,
    NameExpr,
    SequenceExpr,
    split_qualified,
)
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointDecl
from flash_ls.project.evaluation import EnumValue, Unknown, Value, evaluate
from flash_ls.rules.registry import Finding
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# Where a value is written


@dataclass(frozen=True, slots=True)
class Node:
    """An expression resolved through module-level constants, and where to report about it.

    ``file``/``expr`` is where the value is written (possibly a constant in another file);
    ``anchor_file``/``anchor`` is the expression in the Endpoint call's file that leads to it.
    """

    file: SourceFile
    expr: Expr
    anchor_file: SourceFile
    anchor: Expr
    # Whose enums the value's names are members of (``runpod_flash``, or ``runpod``'s app API).
    sdk: str = pf.SDK_MODULE

    @property
    def local(self) -> bool:
        """Written where it is used: report (and fix) at the value itself."""
        return self.file is self.anchor_file

    @property
    def path(self) -> Path:
        return self.file.path if self.local else self.anchor_file.path

    @property
    def span(self) -> Span:
        return self.expr.span if self.local else self.anchor.span


def node_for(app: App, file: SourceFile, expr: Expr, *, sdk: str = pf.SDK_MODULE) -> Node:
    """``expr`` of ``file`` (an argument of the Endpoint call), followed to its constant."""
    where, value = app.resolve_constant(file, expr)
    return Node(where, value, file, expr, sdk)


def child(app: App, parent: Node, expr: Expr) -> Node:
    """A sub-expression (list element, keyword value) of ``parent.expr``."""
    where, value = app.resolve_constant(parent.file, expr)
    if parent.local:
        return Node(where, value, parent.file, expr, parent.sdk)
    return Node(where, value, parent.anchor_file, parent.anchor, parent.sdk)


def both_gpu_and_cpu(ctx: EndpointContext, notes: tuple[str, ...]) -> Finding | None:
    """FL501's finding for either SDK: ``gpu=`` and ``cpu=`` both given (neither None nor known
    only at run time), at the later keyword, the earlier one related; ``notes`` say what fails."""
    gpu, cpu = ctx.kw("gpu"), ctx.kw("cpu")
    if gpu is None or cpu is None:
        return None
    values = (ctx.value("gpu"), ctx.value("cpu"))
    if any(v is None or isinstance(v, Unknown) for v in values):
        return None
    later, earlier = (cpu, gpu) if cpu.span > gpu.span else (gpu, cpu)
    return Finding(
        ctx.file.path,
        keyword_span(later),
        f"{ctx.label} sets both gpu= and cpu=",
        related=(Related(ctx.file.path, keyword_span(earlier), f"{earlier.name}= given here"),),
        notes=notes,
    )


def as_int(value: Value) -> int | Unknown | None:
    """``int(value)`` as the SDKs call it on a numeric argument (``workers`` items); None when
    that raises (a non-numeric string, NaN, an infinity, any other type)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def value_of(app: App, node: Node) -> Value:
    """The value of ``node`` as ``evaluate`` reads it (``Unknown`` when not static), with the
    enums of the SDK the endpoint is declared with."""
    return evaluate(app, node.file, node.expr, sdk=node.sdk)


def sdk_call(app: App, node: Node, name: str) -> CallExpr | None:
    """``node`` as a call of ``runpod_flash.<name>`` (however imported), else None."""
    expr = node.expr
    if (
        isinstance(expr, CallExpr)
        and isinstance(expr.func, NameExpr)
        and app.is_sdk_name(node.file, expr.func.dotted, name)
    ):
        return expr
    return None


def sdk_name(app: App, node: Node) -> str | None:
    """``X`` when ``node`` is the name ``runpod_flash.X`` itself (an enum class, not a member)."""
    if not isinstance(node.expr, NameExpr):
        return None
    module, attr = split_qualified(app.qualified(node.file, node.expr.dotted))
    if pf.is_sdk_module(module) and attr and "." not in attr:
        return attr
    return None


def finding_at(
    node: Node,
    message: str,
    fix: Fix | None = None,
    *,
    notes: tuple[str, ...] = (),
    related: tuple[Related, ...] = (),
    severity: Severity | None = None,
) -> Finding:
    """A finding at ``node``; a value written in another file is named in the first note."""
    if not node.local:
        notes = (f"the value is {shorten(source_text(node.expr), 40)} in {node.file.rel}", *notes)
    return Finding(
        node.path, node.span, message, related=related, fix=fix, severity=severity, notes=notes
    )


def keyword_span(kw: Keyword) -> Span:
    """``name=value`` (the keyword's span has no trailing comma)."""
    return kw.span


def source_text(expr: Expr) -> str:
    """Source text of a value; a tuple's span leaves out its own parentheses (parse/extract.py),
    even when its first element starts with one: ``(a), (b)``."""
    if isinstance(expr, SequenceExpr) and expr.kind == "tuple":
        return f"({expr.text})"
    return expr.text


def type_name(value: Value) -> str:
    """The type a message names: the enum of a member, else the Python type."""
    if isinstance(value, EnumValue):
        return value.enum
    return type(value).__name__


def with_article(noun: str) -> str:
    """``int`` -> ``an int``, ``str`` -> ``a str``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def shorten(text: str, limit: int = 30) -> str:
    """Source text on one line, cut to ``limit`` characters to fit in a one-line message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# The endpoint being checked

# Legacy resource classes spell some Endpoint parameters in camelCase.
_LEGACY_FIELDS = {
    "idle_timeout": "idleTimeout",
    "scaler_type": "scalerType",
    "min_cuda_version": "minCudaVersion",
    "gpu_count": "gpuCount",
    "execution_timeout_ms": "executionTimeoutMs",
}


@dataclass(slots=True)
class EndpointContext:
    """One endpoint being checked: its arguments (legacy camelCase spellings too) and what
    they say about it."""

    app: App
    endpoint: Endpoint
    # argument name -> its node: the rules of a check share one context per endpoint
    _nodes: dict[str, Node | None] = field(default_factory=dict, repr=False)

    @property
    def decl(self) -> EndpointDecl:
        return self.endpoint.decl

    @property
    def file(self) -> SourceFile:
        return self.endpoint.decl.file

    @property
    def is_remote(self) -> bool:
        return self.decl.form is DeclForm.REMOTE

    @property
    def is_app_api(self) -> bool:
        """A resource of the app API of ``runpod`` (``@app.queue/api/task``)."""
        return self.endpoint.sdk == pf.APP_API_MODULE

    @property
    def label(self) -> str:
        """``endpoint 'x'``; the app API's own word for an app API resource: ``resource 'x'``."""
        if self.is_app_api:
            return f"resource {self.endpoint.short_label}"
        return self.endpoint.label

    @property
    def resource_name(self) -> str:
        """The name the SDK's messages give the resource (its source text when computed)."""
        return self.endpoint.key

    @property
    def spread(self) -> bool:
        """``Endpoint(**opts)`` / ``Endpoint(*args)``: absent keywords may still be given."""
        calls = [self.decl.call]
        if self.decl.resource_call is not None:
            calls.append(self.decl.resource_call)
        return any(c.has_star_args or any(k.name is None for k in c.keywords) for c in calls)

    def kw(self, name: str) -> Keyword | None:
        decl = self.endpoint.decl
        found = decl.keyword(name)
        resource = decl.resource_call
        if found is None and resource is not None and name in _LEGACY_FIELDS:
            found = resource.keyword(_LEGACY_FIELDS[name])
        return found

    def node(self, name: str) -> Node | None:
        if name in self._nodes:  # a miss is the common case (most arguments are never given)
            return self._nodes[name]
        kw = self.kw(name)
        found = self._nodes[name] = (
            None if kw is None else node_for(self.app, self.file, kw.value, sdk=self.endpoint.sdk)
        )
        return found

    def value(self, name: str) -> Value:
        """The keyword's value; None when it is not given."""
        node = self.node(name)
        return None if node is None else value_of(self.app, node)

    @property
    def is_cpu(self) -> bool | None:
        """Whether this is a CPU endpoint; None when that is not statically known."""
        return self.endpoint.is_cpu

    def cpu_instances(self) -> list[str] | None:
        """The CPU instance values, when every one of them is known and valid."""
        if self.is_remote:
            resource_class = self.endpoint.resource_class
            if resource_class is None or not resource_class.cpu:
                return None
            resource = self.decl.resource_call
            kw = resource.keyword("instanceIds") if resource is not None else None
            if kw is None:
                return None if self.spread else [pf.DEFAULT_LEGACY_CPU_INSTANCE]
            node: Node | None = node_for(self.app, self.file, kw.value)
        else:
            node = self.node("cpu")
        if node is None:
            return None
        values: list[str] = []
        for item in items_of(self.app, node):
            instance = _cpu_instance(value_of(self.app, item))
            if instance is None:
                return None
            values.append(instance)
        return values or None

    def datacenters(self) -> list[str] | None:
        """The endpoint's datacenter values when statically known (GPU default: all of them)."""
        node = self.node("datacenter")
        if node is None or value_of(self.app, node) is None:
            if self.spread or self.is_remote or self.decl.keyword("id") is not None:
                return None
            return [d.value for d in pf.DATACENTERS] if self.is_cpu is False else None
        values: list[str] = []
        for item in items_of(self.app, node):
            found = datacenter_value(value_of(self.app, item))
            if found is None:
                return None
            values.append(found)
        return values or None  # an empty list: what the SDK does with it is not known


def contexts(app: App) -> Iterator[EndpointContext]:
    """Every endpoint of the app, to be checked (one context per endpoint and App object)."""
    yield from app.derived(_contexts)


def _contexts(app: App) -> list[EndpointContext]:
    return [EndpointContext(app, endpoint) for endpoint in app.endpoints]


def app_api_contexts(app: App) -> Iterator[EndpointContext]:
    """Every resource of the app API (``@app.queue/api/task(...)``, called), to be checked by
    the FL5xx rules that carry over (one context per resource and App object)."""
    yield from app.derived(_app_api_contexts)


def _app_api_contexts(app: App) -> list[EndpointContext]:
    if not app.uses_app_api:
        return []
    return [EndpointContext(app, e) for e in app.app_api_endpoints if e.decl.called]


def python_repr(value: Value, expr: Expr) -> str:
    """``repr(value)`` as the SDK's messages show it; the source text when the value holds an
    enum member or a part known only at run time (their reprs are not the Python ones)."""

    def plain(item: Value) -> bool:
        if isinstance(item, (list, tuple)):
            return all(plain(i) for i in item)
        if isinstance(item, dict):
            return all(plain(k) and plain(v) for k, v in item.items())
        return item is None or isinstance(item, (str, int, float, bool))

    return repr(value) if plain(value) else source_text(expr)


def items_of(app: App, node: Node) -> list[Node]:
    """The elements of a list/tuple value, or the value itself."""
    if isinstance(node.expr, SequenceExpr) and not node.expr.has_star:
        return [child(app, node, item) for item in node.expr.items]
    return [node]


def _cpu_instance(value: Value) -> str | None:
    if isinstance(value, str) and value in pf.CPU_INSTANCES_BY_VALUE:
        return value
    if isinstance(value, EnumValue) and value.enum == "CpuInstanceType":
        found = pf.CPU_INSTANCES_BY_MEMBER.get(value.member)
        return found.value if found is not None else None
    return None


def datacenter_value(value: Value) -> str | None:
    """The datacenter a value names (``"EU-RO-1"``); None when it names none."""
    if isinstance(value, str):
        found = pf.datacenter_from_string(value)
        return found.value if found is not None else None
    if isinstance(value, EnumValue) and value.enum == "DataCenter":
        member = pf.DATACENTERS_BY_MEMBER.get(value.member)
        return member.value if member is not None else None
    return None


class OncePerPlace:
    """Drops a second finding at the same place (a shared constant used by two endpoints)."""

    def __init__(self) -> None:
        self._seen: set[tuple[Path, Span]] = set()

    def __call__(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        for finding in findings:
            key = (finding.path, finding.span)
            if key not in self._seen:
                self._seen.add(key)
                yield finding


def volume_calls(ctx: EndpointContext) -> list[Node]:
    """The ``NetworkVolume(...)`` calls attached to the endpoint (inline or via constants)."""
    node = ctx.node("volume")
    if node is None:
        return []
    found = []
    for item in items_of(ctx.app, node):
        if sdk_call(ctx.app, item, "NetworkVolume") is not None:
            found.append(item)
    return found


# ---------------------------------------------------------------------------------------------
# Suggestions and fixes


def spelling_key(text: str) -> str:
    """``text`` without case and separators, to compare spellings."""
    return re.sub(r"[\s_.\-]+", "", text.casefold())


def match_spelling(name: str, candidates: Iterable[str]) -> tuple[str | None, bool]:
    """(suggestion, certain): certain when ``name`` differs from exactly one candidate only in
    case or separators; otherwise the closest candidate, if any."""
    pool = list(dict.fromkeys(candidates))
    hits = [c for c in pool if spelling_key(c) == spelling_key(name)]
    if len(hits) == 1:
        return hits[0], True
    return pf.closest(name, pool), False


def replace_value(node: Node, text: str, message: str, *, safe: bool) -> Fix | None:
    """Replace the value itself (only where it is written in the Endpoint's file)."""
    if not node.local:
        return None
    return Fix(message, (TextEdit(node.file.path, node.expr.span, text),), safe=safe)


def quoted_like(node: Node, value: str) -> str:
    """``value`` as a string literal, in the quotes ``node`` is written with."""
    quote = node.expr.text[-1:] if node.expr.text[-1:] in ("'", '"') else '"'
    return f"{quote}{value}{quote}"


def member_text(node: Node, member: str, enum_ref: str | None = None) -> str:
    """``GpuType.NVIDIA_L44`` -> ``GpuType.NVIDIA_L4`` (keeping how the enum is spelled)."""
    base = enum_ref if enum_ref is not None else node.expr.text.rpartition(".")[0]
    return f"{base}.{member}"


def enum_reference(app: App, source: SourceFile, enum: str) -> str | None:
    """How ``source`` can spell ``runpod_flash.<enum>`` with its existing imports, if it can."""
    direct: list[str] = []
    via_module: list[str] = []
    for name in sorted(source.facts.bindings):
        binding = source.facts.binding(name)
        if binding is None or binding.kind != "import" or binding.import_ is None:
            continue
        if binding.import_.guarded:
            continue
        if app.is_sdk_name(source, name, enum):
            direct.append(name)
        elif not binding.import_.is_from and app.is_sdk_name(source, f"{name}.{enum}", enum):
            via_module.append(f"{name}.{enum}")
    found = direct + via_module
    return found[0] if found else None


def tuple_to_list(node: Node) -> Fix | None:
    """``(a, b)`` -> ``[a, b]``, parentheses included (a tuple without them gets no fix)."""
    expr = node.expr
    if not isinstance(expr, SequenceExpr) or expr.kind != "tuple" or not node.local:
        return None
    # Its span leaves out its own parentheses (parse/extract.py): the edit takes them in.
    span, text = expr.span, expr.text
    lines = node.file.lines()
    if span.start_line >= len(lines) or span.end_line >= len(lines):
        return None
    before = lines[span.start_line][: span.start_col].rstrip()
    after = lines[span.end_line][span.end_col :].lstrip()
    if not (before.endswith("(") and after.startswith(")")):
        return None
    start = len(before) - 1
    end = len(lines[span.end_line]) - len(after) + 1
    span = Span(span.start_line, start, span.end_line, end)
    edit = TextEdit(node.file.path, span, f"[{text}]")
    return Fix("Use a list", (edit,), safe=True)


def attribute_error(member: str) -> str:
    """The note for a missing enum member."""
    return f"flash build fails with AttributeError: {member}"


# ---------------------------------------------------------------------------------------------
# For FL903 (analysis.py): the values the FL5xx rules read.

CHECKED_KEYWORDS: tuple[str, ...] = (
    "name",
    "gpu",
    "cpu",
    "workers",
    "idle_timeout",
    "datacenter",
    "volume",
    "env",
    "max_concurrency",
    "min_cuda_version",
    "scaler_type",
    "template",
    "gpu_count",
    "execution_timeout_ms",
    "flashboot",
    "system_dependencies",
    "accelerate_downloads",
)
_STRUCTURED_CALLS = {"volume": ("NetworkVolume",), "template": ("PodTemplate",)}


def first_unknown(app: App, node: Node, calls: tuple[str, ...] = ()) -> Node | None:
    """The first part of a value that is only known at run time (None: all of it is known)."""
    expr = node.expr
    if isinstance(expr, Literal):
        return None
    if isinstance(expr, SequenceExpr):
        if expr.has_star:
            return node
        for item in expr.items:
            found = first_unknown(app, child(app, node, item), calls)
            if found is not None:
                return found
        return None
    if isinstance(expr, MappingExpr):
        for key, value in expr.items:
            if key is None:
                return node
            for part in (key, value):
                found = first_unknown(app, child(app, node, part), calls)
                if found is not None:
                    return found
        return None
    if isinstance(expr, NameExpr):
        known = app.enum_member(node.file, expr) is not None or sdk_name(app, node) is not None
        return None if known else node
    if isinstance(expr, CallExpr) and any(sdk_call(app, node, name) for name in calls):
        for kw in expr.keywords:
            if kw.name is None:
                return node
            found = first_unknown(app, child(app, node, kw.value), calls)
            if found is not None:
                return found
        return None
    return node


def unknown_arguments(ctx: EndpointContext) -> Iterator[tuple[str, Node]]:
    """(argument, unknown part) for each checked argument of the endpoint whose value is not static."""
    app = ctx.app
    for name in CHECKED_KEYWORDS:
        if name == "name":
            expr = ctx.decl.argument("name")
            node = None if expr is None else node_for(app, ctx.file, expr)
        else:
            node = ctx.node(name)
        if node is None:
            continue
        found = first_unknown(app, node, _STRUCTURED_CALLS.get(name, ()))
        if found is not None:
            yield name, found
    if ctx.is_remote and ctx.decl.resource_call is not None:
        kw = ctx.decl.resource_call.keyword("python_version")
        if kw is not None:
            found = first_unknown(app, node_for(app, ctx.file, kw.value))
            if found is not None:
                yield "python_version", found
