"""FL5xx: configuration values of ``Endpoint(...)`` (and of legacy ``remote(resource)`` resources).

Every check reads values through ``evaluate`` and stays silent on ``Unknown``: a value computed at
run time is reported once, as FL903 (``analysis.py``), never guessed at here. Findings point at the
smallest node that is wrong (the list element, the enum member); a value that comes from a constant
in another file is reported at the reference in the Endpoint call, where the endpoint is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
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
)
from flash_ls.project.app import (
    App,
    DeclForm,
    Endpoint,
    EndpointDecl,
    EndpointKind,
    SourceFile,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.values import EnumValue, Unknown, Value, endpoint_label, evaluate
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


def node_for(app: App, file: SourceFile, expr: Expr) -> Node:
    where, value = app.resolve_constant(file, expr)
    return Node(where, value, file, expr)


def child(app: App, parent: Node, expr: Expr) -> Node:
    """A sub-expression (list element, keyword value) of ``parent.expr``."""
    where, value = app.resolve_constant(parent.file, expr)
    if parent.local:
        return Node(where, value, parent.file, expr)
    return Node(where, value, parent.anchor_file, parent.anchor)


def value_of(app: App, node: Node) -> Value:
    return evaluate(app, node.file, node.expr)


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
    module, _, attr = app.qualified(node.file, node.expr.dotted).partition(":")
    if pf.is_sdk_module(module) and attr and "." not in attr:
        return attr
    return None


def _finding(
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


def _keyword_span(kw: Keyword) -> Span:
    """``name=value`` (the keyword's span has no trailing comma)."""
    return kw.span


def source_text(expr: Expr) -> str:
    """Source text of a value; a tuple's span may leave out its parentheses."""
    if isinstance(expr, SequenceExpr) and expr.kind == "tuple" and not expr.text.startswith("("):
        return f"({expr.text})"
    return expr.text


def _type_name(value: Value) -> str:
    if isinstance(value, EnumValue):
        return value.enum
    return type(value).__name__


def _a(noun: str) -> str:
    """``int`` -> ``an int``, ``str`` -> ``a str``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


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
    app: App
    endpoint: Endpoint

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
    def label(self) -> str:
        return endpoint_label(self.app, self.endpoint)

    @property
    def spread(self) -> bool:
        """``Endpoint(**opts)`` / ``Endpoint(*args)``: absent keywords may still be given."""
        calls = [self.decl.call]
        if self.decl.resource_call is not None:
            calls.append(self.decl.resource_call)
        return any(c.has_star_args or any(k.name is None for k in c.keywords) for c in calls)

    def kw(self, name: str) -> Keyword | None:
        found = self.decl.keyword(name)
        resource = self.decl.resource_call
        if found is None and resource is not None and name in _LEGACY_FIELDS:
            found = resource.keyword(_LEGACY_FIELDS[name])
        return found

    def node(self, name: str) -> Node | None:
        kw = self.kw(name)
        return None if kw is None else node_for(self.app, self.file, kw.value)

    def value(self, name: str) -> Value:
        """The keyword's value; None when it is not given."""
        node = self.node(name)
        return None if node is None else value_of(self.app, node)

    @property
    def resource_class(self) -> str | None:
        """The legacy resource class of ``remote(LiveServerless(...))``."""
        call = self.decl.resource_call
        if call is None or not isinstance(call.func, NameExpr):
            return None
        module, _, attr = self.app.qualified(self.file, call.func.dotted).partition(":")
        if pf.is_sdk_module(module) and attr in pf.LEGACY_RESOURCE_CLASSES:
            return attr
        return None

    @property
    def is_cpu(self) -> bool | None:
        """Whether this is a CPU endpoint; None when that is not statically known."""
        if self.is_remote:
            cls = self.resource_class
            return None if cls is None else cls.startswith("Cpu")
        if self.kw("cpu") is None:
            return None if self.spread else False
        value = self.value("cpu")
        if isinstance(value, Unknown):
            return None
        return value is not None

    def cpu_instances(self) -> list[str] | None:
        """The CPU instance values, when every one of them is known and valid."""
        if self.is_remote:
            if not self.resource_class or not self.resource_class.startswith("Cpu"):
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
        for item in _items(self.app, node):
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
        for item in _items(self.app, node):
            found = _datacenter(value_of(self.app, item))
            if found is None:
                return None
            values.append(found)
        return values or None  # an empty list: what the SDK does with it is not known


def contexts(app: App) -> Iterator[EndpointContext]:
    for endpoint in app.endpoints:
        yield EndpointContext(app, endpoint)


def _items(app: App, node: Node) -> list[Node]:
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


def _datacenter(value: Value) -> str | None:
    if isinstance(value, str):
        found = pf.datacenter_from_string(value)
        return found.value if found is not None else None
    if isinstance(value, EnumValue) and value.enum == "DataCenter":
        member = pf.DATACENTERS_BY_MEMBER.get(value.member)
        return member.value if member is not None else None
    return None


class _Seen:
    """Drops a second finding at the same place (a shared constant used by two endpoints)."""

    def __init__(self) -> None:
        self._seen: set[tuple[Path, Span]] = set()

    def __call__(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        for finding in findings:
            key = (finding.path, finding.span)
            if key not in self._seen:
                self._seen.add(key)
                yield finding


# ---------------------------------------------------------------------------------------------
# Suggestions and fixes


def _norm(text: str) -> str:
    return re.sub(r"[\s_.\-]+", "", text.casefold())


def _match(name: str, candidates: Iterable[str]) -> tuple[str | None, bool]:
    """(suggestion, certain): certain when ``name`` differs from exactly one candidate only in
    case or separators; otherwise the closest candidate, if any."""
    pool = list(dict.fromkeys(candidates))
    hits = [c for c in pool if _norm(c) == _norm(name)]
    if len(hits) == 1:
        return hits[0], True
    return pf.closest(name, pool), False


def _replace(node: Node, text: str, message: str, *, safe: bool) -> Fix | None:
    """Replace the value itself (only where it is written in the Endpoint's file)."""
    if not node.local:
        return None
    return Fix(message, (TextEdit(node.file.path, node.expr.span, text),), safe=safe)


def _string(node: Node, value: str) -> str:
    quote = node.expr.text[-1:] if node.expr.text[-1:] in ("'", '"') else '"'
    return f"{quote}{value}{quote}"


def _member_text(node: Node, member: str, enum_ref: str | None = None) -> str:
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


def _sequence_to_list(node: Node) -> Fix | None:
    """``(a, b)`` -> ``[a, b]``. A tuple's span may or may not include its parentheses."""
    expr = node.expr
    if not isinstance(expr, SequenceExpr) or expr.kind != "tuple" or not node.local:
        return None
    span, text = expr.span, expr.text
    if not (text.startswith("(") and text.endswith(")")):
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
        text = f"({text})"
    edit = TextEdit(node.file.path, span, f"[{text[1:-1]}]")
    return Fix("Use a list", (edit,), safe=True)


# ---------------------------------------------------------------------------------------------
# FL501


@rule("FL501", "gpu-and-cpu", Severity.ERROR, "Both gpu= and cpu= are given")
def gpu_and_cpu(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an `Endpoint(...)` that sets both `gpu=` and `cpu=`.

    ## Why is this bad
    An endpoint runs either on GPU or on CPU workers. The constructor raises `ValueError: gpu and
    cpu are mutually exclusive. specify one or neither.` while the module is imported, so
    `flash build` fails.

    ## Example
    ```python
    @Endpoint(name="worker", gpu=GpuGroup.ADA_24, cpu="cpu3c-1-2")   # FL501
    def work(): ...
    ```

    ## Fix
    Keep `gpu=` for a GPU endpoint or `cpu=` for a CPU endpoint.
    """
    for ctx in contexts(app):
        gpu, cpu = ctx.kw("gpu"), ctx.kw("cpu")
        if gpu is None or cpu is None:
            continue
        values = (ctx.value("gpu"), ctx.value("cpu"))
        if any(v is None or isinstance(v, Unknown) for v in values):
            continue
        later, earlier = (cpu, gpu) if cpu.span > gpu.span else (gpu, cpu)
        yield Finding(
            ctx.file.path,
            _keyword_span(later),
            f"{ctx.label} sets both gpu= and cpu=",
            related=(
                Related(ctx.file.path, _keyword_span(earlier), f"{earlier.name}= given here"),
            ),
            notes=(
                "flash build fails with ValueError: gpu and cpu are mutually exclusive",
                "keep gpu= for a GPU endpoint or cpu= for a CPU endpoint",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL502

_GPU_ENUMS = ("GpuGroup", "GpuType")
_GPU_MEMBERS: dict[str, Mapping[str, pf.GpuPool | pf.GpuModel]] = {
    "GpuGroup": pf.GPU_GROUPS_BY_MEMBER,
    "GpuType": pf.GPU_TYPES_BY_MEMBER,
}
_GPU_VALUES = {
    **{g.value: g.member for g in pf.GPU_GROUPS},
    **{t.value: t.member for t in pf.GPU_TYPES},
}


def _gpu_lookup(text: str) -> tuple[str, str] | None:
    """(enum, member) a string names exactly, by value or by member name (any case/separators)."""
    for enum in _GPU_ENUMS:
        for item in _GPU_MEMBERS[enum].values():
            if text == item.value:
                return enum, item.member
    hits = {
        (enum, item.member)
        for enum in _GPU_ENUMS
        for item in _GPU_MEMBERS[enum].values()
        if _norm(text) in (_norm(item.value), _norm(item.member))
    }
    if len(hits) == 2 and {m for _, m in hits} == {pf.GPU_ANY}:
        return "GpuGroup", pf.GPU_ANY
    return next(iter(hits)) if len(hits) == 1 else None


@rule(
    "FL502",
    "unknown-gpu",
    Severity.ERROR,
    "gpu= is not a GpuGroup/GpuType (or a list of them)",
    fix=FixAvailability.SOMETIMES,
)
def unknown_gpu(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `gpu=`: each entry must be an existing `GpuGroup` or `GpuType` member, or, inside a
    list, a string equal to one of their values (`["ADA_24"]`, `["NVIDIA L4"]`). A bare string
    and a tuple are rejected, and `gpu=[]` selects no GPU at all.

    ## Why is this bad
    A misspelled member fails the import with `AttributeError`; a bare string raises `ValueError:
    gpu must be a GpuGroup, GpuType, or list, got str`; an unknown string in a list fails
    pydantic's enum validation. Each of these fails `flash build`. `gpu=[]` is accepted but sends
    an empty `gpuIds`, so the endpoint can never get a worker.

    ## Example
    ```python
    @Endpoint(name="sd", gpu=GpuType.NVIDIA_GEFORCE_RTX_4900)   # FL502: did you mean ..._4090?
    async def generate(prompt: str): ...

    @Endpoint(name="llm", gpu="ADA_24")                        # FL502: bare string
    async def chat(prompt: str): ...
    ```

    ## Fix
    Replaces a member that differs only in case or separators, a bare string naming exactly one
    GPU (`gpu="ADA_24"` -> `gpu=GpuGroup.ADA_24`, or `["ADA_24"]` when `GpuGroup` is not
    imported), a list string spelled like a member name (`"NVIDIA_L4"` -> `"NVIDIA L4"`) and a
    tuple (-> list). A closest-match guess for a real typo is offered as an unsafe fix.
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("gpu")
        if node is not None:
            yield from seen(_check_gpu(ctx, node))


def _gpu_type_error(got: str) -> str:
    return f"flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got {got}"


def _check_gpu(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    enum_class = sdk_name(app, node)
    if enum_class in _GPU_ENUMS:
        yield _finding(
            node,
            f"gpu={enum_class} of {ctx.label} is the enum itself",
            notes=(
                "flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list",
                f"pick a member, e.g. {enum_class}.ANY",
            ),
        )
        return
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, EnumValue):
        yield from _gpu_entry(ctx, node, value, single=True)
        return
    expr = node.expr
    if isinstance(value, str):
        yield _bare_gpu_string(ctx, node, value)
        return
    if isinstance(expr, SequenceExpr) and expr.kind != "list":
        yield _finding(
            node,
            f"gpu= of {ctx.label} is a {expr.kind}, not a list",
            _sequence_to_list(node),
            notes=(_gpu_type_error(expr.kind), "use a list"),
        )
        return
    if isinstance(expr, SequenceExpr):
        if not expr.items and not expr.has_star:
            yield _finding(
                node,
                f"gpu=[] of {ctx.label} selects no GPU",
                notes=(
                    "gpuIds is empty, so no worker can ever start",
                    "list GPU pools or types, or leave gpu= out for any GPU",
                ),
            )
        for item in _items(app, node):
            if item.expr is node.expr:
                continue
            item_value = value_of(app, item)
            if not isinstance(item_value, Unknown):
                yield from _gpu_entry(ctx, item, item_value, single=False)
        return
    yield _finding(
        node,
        f"gpu={shorten(source_text(node.expr))} of {ctx.label} is not a GPU",
        notes=(_gpu_type_error(_type_name(value)),),
    )


def _bare_gpu_string(ctx: EndpointContext, node: Node, value: str) -> Finding:
    message = f"gpu={shorten(repr(value))} of {ctx.label} is a bare string"
    found = _gpu_lookup(value)
    if found is None:
        guess = pf.closest(value, [*_GPU_VALUES, *pf.GPU_GROUPS_BY_MEMBER, *pf.GPU_TYPES_BY_MEMBER])
        hint = f" (did you mean {guess!r}?)" if guess else ""
        return _finding(
            node,
            message,
            notes=(_gpu_type_error("str"), f"use a GpuGroup or GpuType member{hint}"),
        )
    enum, member = found
    ref = enum_reference(ctx.app, node.file, enum)
    exact_value = _GPU_MEMBERS[enum][member].value
    replacement = f"{ref}.{member}" if ref else f"[{_string(node, exact_value)}]"
    return _finding(
        node,
        message,
        _replace(node, replacement, f"Use {replacement}", safe=True),
        notes=(_gpu_type_error("str"), f"use {enum}.{member}"),
    )


def _gpu_entry(
    ctx: EndpointContext, node: Node, value: Value, *, single: bool
) -> Iterator[Finding]:
    """One GPU: an enum member anywhere, or a string value inside a list."""
    if isinstance(value, EnumValue):
        if value.enum in _GPU_ENUMS:
            if value.member not in _GPU_MEMBERS[value.enum]:
                yield _unknown_gpu_member(ctx, node, value)
            return
        takes = "gpu= takes GpuGroup or GpuType members"
        yield _finding(
            node,
            f"{value} of {ctx.label} is not a GPU",
            notes=(takes, _gpu_type_error(value.enum)) if single else (takes,),
        )
        return
    if isinstance(value, str):
        if value in _GPU_VALUES:
            return
        message = f"{shorten(repr(value))} is not a GpuGroup/GpuType value of {ctx.label}"
        found = _gpu_lookup(value)
        if found is not None:
            exact = _GPU_MEMBERS[found[0]][found[1]].value
            yield _finding(
                node,
                message,
                _replace(node, _string(node, exact), f"Use {exact!r}", safe=True),
                notes=("strings in gpu=[...] are matched exactly by value", f"use {exact!r}"),
            )
            return
        guess = pf.closest(value, _GPU_VALUES)
        yield _finding(
            node,
            message,
            _replace(node, _string(node, guess), f"Use {guess!r}", safe=False) if guess else None,
            notes=(
                "pydantic rejects it and flash build fails",
                f"did you mean {guess!r}?" if guess else "use a GpuGroup or GpuType member",
            ),
        )
        return
    yield _finding(
        node,
        f"{shorten(source_text(node.expr))} of {ctx.label} is not a GPU",
        notes=(f"it is {_a(_type_name(value))}: gpu= entries must be GpuGroup or GpuType members",),
    )


def _attribute_error(member: str) -> str:
    return f"flash build fails with AttributeError: {member}"


def _unknown_gpu_member(ctx: EndpointContext, node: Node, value: EnumValue) -> Finding:
    enum, member = value.enum, value.member
    other = "GpuType" if enum == "GpuGroup" else "GpuGroup"
    message = f"unknown {enum}.{member} on {ctx.label}"
    missing = _attribute_error(member)
    suggestion, certain = _match(member, _GPU_MEMBERS[enum])
    if certain and suggestion is not None:
        return _finding(
            node,
            message,
            _replace(node, _member_text(node, suggestion), f"Use {enum}.{suggestion}", safe=True),
            notes=(missing, f"use {enum}.{suggestion}"),
        )
    other_match, other_certain = _match(member, _GPU_MEMBERS[other])
    if other_certain and other_match is not None:
        ref = enum_reference(ctx.app, node.file, other)
        fix = None
        if ref is not None:
            fix = _replace(node, f"{ref}.{other_match}", f"Use {other}.{other_match}", safe=True)
        return _finding(
            node, message, fix, notes=(missing, f"it is a {other}: use {other}.{other_match}")
        )
    if suggestion is not None:
        return _finding(
            node,
            message,
            _replace(node, _member_text(node, suggestion), f"Use {enum}.{suggestion}", safe=False),
            notes=(missing, f"did you mean {enum}.{suggestion}?"),
        )
    return _finding(
        node, message, notes=(missing, f"see the {enum} members for the available GPUs")
    )


# ---------------------------------------------------------------------------------------------
# FL503


def _cpu_norm(text: str) -> str:
    return text.strip().lower().replace("_", "-")


@rule(
    "FL503",
    "unknown-cpu-instance",
    Severity.ERROR,
    "cpu= is not a valid CpuInstanceType",
    fix=FixAvailability.SOMETIMES,
)
def unknown_cpu_instance(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `cpu=`: each entry must be a `CpuInstanceType` member or its exact value, such as
    `"cpu3c-1-2"` (lower case, with dashes); `cpu=[]` selects no instance type.

    ## Why is this bad
    Strings go through `CpuInstanceType(value)`, which is exact and case-sensitive:
    `"CPU3C-1-2"` raises `ValueError: 'CPU3C-1-2' is not a valid CpuInstanceType` while the module
    is imported, and `flash build` fails. A misspelled member fails with `AttributeError`.
    `cpu=[]` is accepted but the CPU endpoint has no instance type to run on.

    ## Example
    ```python
    @Endpoint(name="etl", cpu="cpu3c_1_2")       # FL503: use "cpu3c-1-2"
    def transform(rows: list): ...
    ```

    ## Fix
    Replaces a string or member that names exactly one instance type in another case or with
    `_` instead of `-` (or the reverse for members), and a tuple (-> list).
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("cpu")
        if node is not None:
            yield from seen(_check_cpu(ctx, node))


def _cpu_type_error(got: str) -> str:
    return (
        "flash build fails with ValueError: cpu must be a CpuInstanceType, string, or list, "
        f"got {got}"
    )


def _check_cpu(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    if sdk_name(app, node) == "CpuInstanceType":
        yield _finding(
            node,
            f"cpu=CpuInstanceType of {ctx.label} is the enum itself",
            notes=("pick a member, e.g. CpuInstanceType.CPU3G_2_8",),
        )
        return
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    expr = node.expr
    if isinstance(value, (str, EnumValue)):
        yield from _cpu_entry(ctx, node, value, single=True)
        return
    if isinstance(expr, SequenceExpr) and expr.kind != "list":
        yield _finding(
            node,
            f"cpu= of {ctx.label} is a {expr.kind}, not a list",
            _sequence_to_list(node),
            notes=(_cpu_type_error(expr.kind), "use a list"),
        )
        return
    if isinstance(expr, SequenceExpr):
        if not expr.items and not expr.has_star:
            yield _finding(
                node,
                f"cpu=[] of {ctx.label} selects no CPU instance type",
                notes=(f'list at least one, e.g. cpu="{pf.DEFAULT_LEGACY_CPU_INSTANCE}"',),
            )
        for item in _items(app, node):
            if item.expr is node.expr:
                continue
            item_value = value_of(app, item)
            if not isinstance(item_value, Unknown):
                yield from _cpu_entry(ctx, item, item_value, single=False)
        return
    yield _finding(
        node,
        f"cpu={shorten(source_text(expr))} is not a CpuInstanceType of {ctx.label}",
        notes=(_cpu_type_error(_type_name(value)),),
    )


def _cpu_entry(
    ctx: EndpointContext, node: Node, value: Value, *, single: bool
) -> Iterator[Finding]:
    values = list(pf.CPU_INSTANCES_BY_VALUE)
    if isinstance(value, str):
        if value in pf.CPU_INSTANCES_BY_VALUE:
            return
        message = f"{shorten(repr(value))} is not a CpuInstanceType of {ctx.label}"
        invalid = f"flash build fails with ValueError: {value!r} is not a valid CpuInstanceType"
        exact = "values are exact and case-sensitive"
        normalised = _cpu_norm(value)
        if normalised in pf.CPU_INSTANCES_BY_VALUE:
            yield _finding(
                node,
                message,
                _replace(node, _string(node, normalised), f"Use {normalised!r}", safe=True),
                notes=(invalid, f"{exact}; use {normalised!r}"),
            )
            return
        guess = pf.closest(value, values)
        yield _finding(
            node,
            message,
            _replace(node, _string(node, guess), f"Use {guess!r}", safe=False) if guess else None,
            notes=(
                invalid,
                f"{exact}; did you mean {guess!r}?" if guess else f"valid: {', '.join(values)}",
            ),
        )
        return
    if isinstance(value, EnumValue) and value.enum == "CpuInstanceType":
        member = value.member
        if member in pf.CPU_INSTANCES_BY_MEMBER:
            return
        message = f"unknown CpuInstanceType.{member} on {ctx.label}"
        missing = _attribute_error(member)
        upper = member.strip().upper().replace("-", "_")
        if upper in pf.CPU_INSTANCES_BY_MEMBER:
            yield _finding(
                node,
                message,
                _replace(
                    node, _member_text(node, upper), f"Use CpuInstanceType.{upper}", safe=True
                ),
                notes=(missing, f"use CpuInstanceType.{upper}"),
            )
            return
        guess = pf.closest(member, pf.CPU_INSTANCES_BY_MEMBER)
        yield _finding(
            node,
            message,
            _replace(node, _member_text(node, guess), f"Use CpuInstanceType.{guess}", safe=False)
            if guess
            else None,
            notes=(missing, f"did you mean CpuInstanceType.{guess}?") if guess else (missing,),
        )
        return
    shown = str(value) if isinstance(value, EnumValue) else shorten(node.expr.text)
    use = 'use a CpuInstanceType member or its value, e.g. "cpu3c-1-2"'
    yield _finding(
        node,
        f"{shown} is not a CpuInstanceType of {ctx.label}",
        notes=(_cpu_type_error(_type_name(value)), use)
        if single and not isinstance(value, EnumValue)
        else (use,),
    )


# ---------------------------------------------------------------------------------------------
# FL504


@rule("FL504", "invalid-workers", Severity.ERROR, "workers= is negative, min > max or malformed")
def invalid_workers(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `workers=`: an int `n` (meaning `(0, n)`) or a `(min, max)` pair of non-negative
    numbers with `min <= max`.

    ## Why is this bad
    The constructor raises while the module is imported, so `flash build` fails:
    `workers cannot be negative: (a, b)`, `workers min (a) cannot exceed max (b)`, or
    `workers must be an int or (min, max) tuple, got <type>: <value>`.

    ## Example
    ```python
    @Endpoint(name="worker", workers=(3, 1))   # FL504: min above max
    def work(): ...
    ```
    Write `workers=(1, 3)`.
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("workers")
        if node is not None:
            yield from seen(_check_workers(ctx, node))


def _as_int(value: Value) -> int | Unknown | None:
    """``int(value)`` as the SDK does it; None when that raises."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (bool, int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _check_workers(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, int):
        if value < 0:
            yield _finding(
                node,
                f"workers={value} of {ctx.label} is negative",
                notes=(
                    f"workers={value} means (0, {value})",
                    f"flash build fails with ValueError: workers cannot be negative: (0, {value})",
                    "use a maximum of at least 0",
                ),
            )
        return
    shown_value = shorten(source_text(node.expr))
    expr = node.expr
    if (
        not isinstance(expr, SequenceExpr)
        or expr.kind == "set"
        or len(expr.items) != 2
        or expr.has_star
    ):
        if isinstance(expr, SequenceExpr) and expr.has_star:
            return
        yield _finding(
            node,
            f"workers={shown_value} of {ctx.label} is malformed",
            notes=(
                "flash build fails with ValueError: workers must be an int or (min, max) tuple, "
                f"got {_type_name(value)}: {shown_value}",
                "use workers=(min, max), e.g. (0, 3)",
            ),
        )
        return
    items = _items(app, node)
    numbers: list[int | Unknown] = []
    for item in items:
        number = _as_int(value_of(app, item))
        if number is None:
            yield _finding(
                item,
                f"workers entry {shorten(item.expr.text)} of {ctx.label} is not a number",
                notes=(
                    "the SDK calls int() on it and flash build fails",
                    "use workers=(min, max) with integers",
                ),
            )
            return
        numbers.append(number)
    low, high = numbers
    shown = f"({low if not isinstance(low, Unknown) else '?'}, {high if not isinstance(high, Unknown) else '?'})"
    negative = False
    for item, number in zip(items, numbers, strict=True):
        if isinstance(number, int) and number < 0:
            negative = True
            yield _finding(
                item,
                f"workers={shown} of {ctx.label} has a negative count",
                notes=(
                    f"flash build fails with ValueError: workers cannot be negative: {shown}",
                    "use 0 or more",
                ),
            )
    if negative or isinstance(low, Unknown) or isinstance(high, Unknown):
        return
    if low > high:
        yield _finding(
            node,
            f"workers=({low}, {high}) of {ctx.label} has min above max",
            notes=(
                "flash build fails with ValueError: "
                f"workers min ({low}) cannot exceed max ({high})",
                f"write workers=({high}, {low}) if you meant that range",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL505


@rule(
    "FL505",
    "invalid-idle-timeout",
    Severity.ERROR,
    f"idle_timeout= is outside {pf.IDLE_TIMEOUT_MIN}..{pf.IDLE_TIMEOUT_MAX} seconds",
)
def invalid_idle_timeout(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks that `idle_timeout=` (`idleTimeout=` on legacy resources) is a whole number of seconds
    between 1 and 3600.

    ## Why is this bad
    The resource's validator raises `idleTimeout must be between 1 and 3600 seconds` when the
    endpoint's resource is built, which fails `flash build`.

    ## Example
    ```python
    @Endpoint(name="worker", idle_timeout=7200)   # FL505
    def work(): ...
    ```
    """
    seen = _Seen()
    for ctx in contexts(app):
        kw = ctx.kw("idle_timeout")
        if kw is not None:
            yield from seen(_check_idle_timeout(ctx, kw))


def _check_idle_timeout(ctx: EndpointContext, kw: Keyword) -> Iterator[Finding]:
    node = node_for(ctx.app, ctx.file, kw.value)
    value = value_of(ctx.app, node)
    if value is None or isinstance(value, (Unknown, bool)):
        return
    seconds: float | None = None
    if isinstance(value, (int, float)):
        seconds = value
    elif isinstance(value, str):
        try:
            seconds = int(value.strip())
        except ValueError:
            seconds = None
    shown = f"{kw.name}={shorten(kw.value.text)}"
    bounds = f"{pf.IDLE_TIMEOUT_MIN} and {pf.IDLE_TIMEOUT_MAX}"
    if seconds is None or (isinstance(seconds, float) and not seconds.is_integer()):
        yield _finding(
            node,
            f"{shown} of {ctx.label} is not an int",
            notes=(f"idle_timeout is a whole number of seconds: use an int between {bounds}",),
        )
    elif not pf.IDLE_TIMEOUT_MIN <= seconds <= pf.IDLE_TIMEOUT_MAX:
        yield _finding(
            node,
            f"{shown} of {ctx.label} is outside {pf.IDLE_TIMEOUT_MIN}..{pf.IDLE_TIMEOUT_MAX} "
            "seconds",
            notes=(f"flash build fails: idleTimeout must be between {bounds} seconds",),
        )


# ---------------------------------------------------------------------------------------------
# FL506


_DATACENTER_LIST = ", ".join(d.value for d in pf.DATACENTERS)


@rule(
    "FL506",
    "unknown-datacenter",
    Severity.ERROR,
    "Unknown or removed DataCenter",
    fix=FixAvailability.SOMETIMES,
)
def unknown_datacenter(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks the `datacenter=` of endpoints and of their `NetworkVolume`s: a `DataCenter` member or
    a string naming one (strings are stripped, upper-cased and `_` becomes `-`, so `"eu_ro_1"` is
    fine). `US_GA_1`, `US_GA_2`, `US_MD_1`, `US_NC_1` and `EUR_IS_1` were removed from the SDK
    but are still used in docs and examples.

    ## Why is this bad
    A missing member fails the import with `AttributeError: US_GA_2`; an unknown string raises
    `Unknown datacenter 'X'. Valid datacenters: ...`. Either way `flash build` fails.

    ## Example
    ```python
    @Endpoint(name="worker", datacenter=DataCenter.US_GA_2)   # FL506: removed
    def work(): ...
    ```

    ## Fix
    Replaces a member that differs only in case or separators (`DataCenter.eu_ro_1`).
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("datacenter")
        if node is not None:
            for item in _items(app, node):
                yield from seen(_check_datacenter(ctx, item))
        for volume in volume_calls(ctx):
            call = sdk_call(app, volume, "NetworkVolume")
            assert call is not None
            for kw in call.keywords:
                if kw.name in ("datacenter", "dataCenterId"):
                    # A volume's own field: reported where the volume is written.
                    dc = child(app, Node(volume.file, call, volume.file, call), kw.value)
                    yield from seen(_check_datacenter(ctx, dc, volume=True))


def _check_datacenter(
    ctx: EndpointContext, node: Node, *, volume: bool = False
) -> Iterator[Finding]:
    value = value_of(ctx.app, node)
    if value is None or isinstance(value, Unknown):
        return
    owner = "network volume" if volume else ctx.label
    if isinstance(value, EnumValue) and value.enum == "DataCenter":
        member = value.member
        if member in pf.DATACENTERS_BY_MEMBER:
            return
        missing = _attribute_error(member)
        if member in pf.REMOVED_DATACENTERS:
            yield _finding(
                node,
                f"removed DataCenter.{member} on {owner}",
                notes=(
                    f"{pf.SDK_DISTRIBUTION} removed it: {missing}",
                    f"pick a current datacenter: {_DATACENTER_LIST}",
                ),
            )
            return
        suggestion, certain = _match(member, pf.DATACENTERS_BY_MEMBER)
        message = f"unknown DataCenter.{member} on {owner}"
        if suggestion is None:
            yield _finding(node, message, notes=(missing, f"valid datacenters: {_DATACENTER_LIST}"))
            return
        yield _finding(
            node,
            message,
            _replace(
                node,
                _member_text(node, suggestion),
                f"Use DataCenter.{suggestion}",
                safe=certain,
            ),
            notes=(
                missing,
                f"use DataCenter.{suggestion}"
                if certain
                else f"did you mean DataCenter.{suggestion}?",
            ),
        )
        return
    if isinstance(value, str):
        if pf.datacenter_from_string(value) is not None:
            return
        sdk = f"flash build fails: Unknown datacenter {value!r}"
        valid = f"valid datacenters: {_DATACENTER_LIST}"
        if pf.is_removed_datacenter(value):
            yield _finding(
                node,
                f"removed datacenter {shorten(repr(value))} on {owner}",
                notes=(f"{pf.SDK_DISTRIBUTION} removed it: {sdk}", valid),
            )
            return
        guess = pf.closest(pf.normalize_datacenter(value), [d.value for d in pf.DATACENTERS])
        yield _finding(
            node,
            f"unknown datacenter {shorten(repr(value))} on {owner}",
            notes=(sdk, valid, f"did you mean {guess!r}?") if guess else (sdk, valid),
        )
        return
    yield _finding(
        node,
        f"{shorten(source_text(node.expr))} of {owner} is not a datacenter",
        notes=("use a DataCenter member such as DataCenter.EU_RO_1",),
    )


# ---------------------------------------------------------------------------------------------
# FL507


@rule(
    "FL507",
    "cpu-datacenter",
    Severity.ERROR,
    "CPU endpoint in a datacenter other than EU-RO-1",
)
def cpu_datacenter(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a CPU endpoint (`cpu=` given) whose `datacenter=` lists a datacenter other than
    EU-RO-1.

    ## Why is this bad
    CPU workers exist only in EU-RO-1. The SDK raises `CPU endpoints are not available in: X.
    Supported CPU data centers: EU-RO-1`, which fails `flash build`.

    ## Example
    ```python
    @Endpoint(name="etl", cpu="cpu3c-1-2", datacenter=DataCenter.US_CA_2)   # FL507
    def transform(rows: list): ...
    ```
    Use `datacenter=DataCenter.EU_RO_1` or leave it out.
    """
    supported = ", ".join(sorted(pf.CPU_DATACENTERS))
    seen = _Seen()
    for ctx in contexts(app):
        if ctx.is_cpu is not True:
            continue
        node = ctx.node("datacenter")
        if node is None:
            continue
        for item in _items(app, node):
            found = _datacenter(value_of(app, item))
            if found is None or found in pf.CPU_DATACENTERS:
                continue
            yield from seen(
                [
                    _finding(
                        item,
                        f"{ctx.label} runs on CPU, which is not available in {found}",
                        notes=(
                            f"flash build fails: CPU endpoints are not available in: {found}",
                            f"supported CPU data centers: {supported}; use DataCenter.EU_RO_1 or "
                            "leave datacenter= out",
                        ),
                    )
                ]
            )


# ---------------------------------------------------------------------------------------------
# FL508


@rule(
    "FL508",
    "invalid-max-concurrency",
    Severity.ERROR,
    "max_concurrency below 1, above 1 on a sync queue handler, or set on a load-balanced endpoint",
    fix=FixAvailability.UNSAFE,
)
def invalid_max_concurrency(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `max_concurrency=`: it must be at least 1 (error); above 1, a queue-based function must
    be `async def` and a class must not mix sync and async public methods (error); on a
    load-balanced endpoint it is ignored (warning).

    ## Why is this bad
    - `< 1` raises `max_concurrency must be >= 1, got N` while the module is imported.
    - Above 1, the build generates an async handler that awaits the function's result. The build
      sees every queue function as async, so a sync function's plain return value is awaited and
      every job fails with `TypeError: object dict can't be used in 'await' expression`. A class
      that mixes sync and async public methods fails the same way for its sync methods.
    - Load-balanced endpoints handle concurrency through uvicorn; the build drops the setting
      with a warning.

    ## Example
    ```python
    @Endpoint(name="worker", max_concurrency=4)   # FL508: sync function
    def work(x: int): ...
    ```

    ## Fix
    Makes the function `async def` (unsafe: blocking code inside then blocks the event loop).
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("max_concurrency")
        if node is None:
            continue
        value = value_of(app, node)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        yield from seen(_check_concurrency(ctx, node, value))


def _check_concurrency(ctx: EndpointContext, node: Node, value: int) -> Iterator[Finding]:
    if value < pf.MAX_CONCURRENCY_MIN:
        yield _finding(
            node,
            f"max_concurrency={value} of {ctx.label} is below 1",
            notes=(
                f"flash build fails with ValueError: max_concurrency must be >= 1, got {value}",
                "use 1 (one job at a time) or more",
            ),
        )
        return
    if value <= 1:
        return
    endpoint = ctx.endpoint
    if endpoint.kind is EndpointKind.LOAD_BALANCED:
        yield _finding(
            node,
            f"max_concurrency={value} is ignored on load-balanced {ctx.label}",
            severity=Severity.WARNING,
            notes=("load-balanced endpoints handle concurrency via uvicorn", "remove it"),
        )
        return
    if endpoint.kind is not EndpointKind.QUEUE:
        return
    owner = ctx.label.removeprefix("endpoint ")  # after a function name: "of 'sync-resizer'"
    for target in endpoint.targets:
        definition = target.definition
        related = (
            Related(target.file.path, definition.name_span, f"'{definition.name}' is defined here"),
        )
        if definition.kind == "function" and not definition.is_async:
            yield _finding(
                node,
                f"max_concurrency={value} on sync function '{definition.name}' of {owner}",
                _make_async(target.file, definition.name_span, definition.name),
                related=related,
                notes=(
                    "the generated handler awaits the result: every job fails with TypeError "
                    "(object ... can't be used in 'await' expression)",
                    f"make it `async def {definition.name}` or remove max_concurrency",
                ),
            )
        elif definition.kind == "class":
            public = [m for m in definition.methods if not m.name.startswith("_")]
            sync = [m.name for m in public if not m.is_async]
            if sync and len(sync) < len(public):
                names = ", ".join(repr(s) for s in sync)
                fails, them = ("fails", "it") if len(sync) == 1 else ("fail", "them")
                yield _finding(
                    node,
                    f"max_concurrency={value} on mixed class '{definition.name}' of {owner}",
                    related=related,
                    notes=(
                        "it mixes sync and async public methods: the generated handler awaits "
                        "every call",
                        f"sync {names} {fails} with TypeError: make {them} async def",
                    ),
                )


def _make_async(source: SourceFile, name_span: Span, name: str) -> Fix | None:
    lines = source.lines()
    if name_span.start_line >= len(lines):
        return None
    line = lines[name_span.start_line]
    at = line.rfind("def", 0, name_span.start_col)
    if at < 0 or line[at : name_span.start_col].strip() != "def":
        return None
    span = Span(name_span.start_line, at, name_span.start_line, at)
    return Fix(f"Make '{name}' async", (TextEdit(source.path, span, "async "),), safe=False)


# ---------------------------------------------------------------------------------------------
# FL509

_DEPLOYED_AS = {
    "gpu_count": f"{pf.DEFAULT_GPU_COUNT} GPU per worker",
    "execution_timeout_ms": "no execution timeout",
    "flashboot": "FlashBoot on",
    "template": (
        f"the default template (container disk {pf.DEFAULT_GPU_CONTAINER_DISK_GB} GB on GPU, "
        "the instance maximum on CPU)"
    ),
    "system_dependencies": "no system packages installed",
    "accelerate_downloads": "no effect (dependencies are baked into the artifact)",
}
_DEFAULTS: dict[str, object] = {
    "gpu_count": pf.DEFAULT_GPU_COUNT,
    "execution_timeout_ms": pf.DEFAULT_EXECUTION_TIMEOUT_MS,
    "accelerate_downloads": pf.DEFAULT_ACCELERATE_DOWNLOADS,
}


@rule(
    "FL509",
    "ignored-on-deploy",
    Severity.INFO,
    "Setting not applied by flash deploy (live mode only)",
)
def ignored_on_deploy(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Points out `gpu_count`, `execution_timeout_ms`, `flashboot=False`, `template`,
    `system_dependencies` and `accelerate_downloads` set to something other than their default.

    ## Why is this bad
    `flash deploy` rebuilds each endpoint from the manifest, and these settings are not in it (or
    are explicitly not passed): the deployed endpoint gets 1 GPU, no execution timeout,
    FlashBoot on, the default template, and no apt packages. They only take effect under
    `flash dev` or when a script provisions the endpoint live, so dev and production differ.

    ## Example
    ```python
    @Endpoint(name="llm", gpu=GpuGroup.AMPERE_80, gpu_count=2)   # FL509: deployed with 1 GPU
    async def generate(prompt: str): ...
    ```
    Choose a GPU pool that fits the model on one GPU, or accept that only `flash dev` uses 2.
    """
    seen = _Seen()
    for ctx in contexts(app):
        kind = ctx.endpoint.kind
        if kind is EndpointKind.UNUSED or ctx.decl.keyword("id") is not None:
            continue
        for name in sorted(pf.DEPLOY_IGNORED_KEYWORDS):
            kw = ctx.kw(name)
            if kw is None:
                continue
            node = node_for(app, ctx.file, kw.value)
            if not _deploy_ignored(app, name, node):
                continue
            yield from seen(
                [
                    Finding(
                        ctx.file.path,
                        _keyword_span(kw),
                        f"flash deploy ignores {kw.name}= of {ctx.label}",
                        notes=(
                            f"the deployed endpoint gets {_DEPLOYED_AS[name]}",
                            "it only takes effect in flash dev / live mode",
                        ),
                    )
                ]
            )


def _deploy_ignored(app: App, name: str, node: Node) -> bool:
    if name == "template":
        return sdk_call(app, node, "PodTemplate") is not None
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return False
    if name == "flashboot":
        return value is False
    if name == "system_dependencies":
        return isinstance(value, list) and bool(value)
    return value != _DEFAULTS.get(name)


def shorten(text: str, limit: int = 30) -> str:
    """Source text on one line, cut to ``limit`` characters to fit in a one-line message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# FL510

_CUDA_VALUES = ", ".join(c.value for c in pf.CUDA_VERSIONS)


@rule(
    "FL510",
    "unknown-cuda-version",
    Severity.ERROR,
    "min_cuda_version is not a known CudaVersion",
    fix=FixAvailability.SOMETIMES,
)
def unknown_cuda_version(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks that `min_cuda_version=` is a `CudaVersion` member or one of its values (`"11.8"`,
    `"12.0"` ... `"12.9"`, `"13.0"`).

    ## Why is this bad
    Any other value fails validation (`'12.10' is not a valid CudaVersion`) or the import
    (`AttributeError` for a missing member), so `flash build` fails. A float such as `12.8` is not
    a string and is rejected too.

    ## Example
    ```python
    @Endpoint(name="llm", min_cuda_version="12.10")   # FL510
    async def generate(prompt: str): ...
    ```

    ## Fix
    Quotes a float that spells a known version (`12.8` -> `"12.8"`) and replaces a member or
    string that differs only in case or separators (`CudaVersion.v12_8`, `"V12_8"`).
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("min_cuda_version")
        if node is not None:
            yield from seen(_check_cuda(ctx, node))


def _check_cuda(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    value = value_of(ctx.app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, EnumValue) and value.enum == "CudaVersion":
        if value.member in pf.CUDA_VERSIONS_BY_MEMBER:
            return
        suggestion, certain = _match(value.member, pf.CUDA_VERSIONS_BY_MEMBER)
        message = f"unknown CudaVersion.{value.member} on {ctx.label}"
        missing = _attribute_error(value.member)
        if suggestion is None:
            yield _finding(node, message, notes=(missing, f"valid versions: {_CUDA_VALUES}"))
            return
        yield _finding(
            node,
            message,
            _replace(
                node,
                _member_text(node, suggestion),
                f"Use CudaVersion.{suggestion}",
                safe=certain,
            ),
            notes=(
                missing,
                f"use CudaVersion.{suggestion}"
                if certain
                else f"did you mean CudaVersion.{suggestion}?",
            ),
        )
        return
    if isinstance(value, str):
        if value in pf.CUDA_VERSIONS_BY_VALUE:
            return
        by_norm = {_norm(c.value): c.value for c in pf.CUDA_VERSIONS}
        by_norm.update({_norm(c.member): c.value for c in pf.CUDA_VERSIONS})
        exact = by_norm.get(_norm(value))
        message = f"{shorten(repr(value))} is not a CudaVersion of {ctx.label}"
        invalid = f"flash build fails: {value!r} is not a valid CudaVersion"
        if exact is not None:
            yield _finding(
                node,
                message,
                _replace(node, _string(node, exact), f"Use {exact!r}", safe=True),
                notes=(invalid, f"use {exact!r}"),
            )
            return
        yield _finding(node, message, notes=(invalid, f"valid versions: {_CUDA_VALUES}"))
        return
    if isinstance(value, float) and node.expr.text in pf.CUDA_VERSIONS_BY_VALUE:
        text = node.expr.text
        yield _finding(
            node,
            f"min_cuda_version={text} of {ctx.label} is a float",
            _replace(node, f'"{text}"', f'Use "{text}"', safe=True),
            notes=(
                f"flash build fails: {text} is not a valid CudaVersion",
                f'write it as the string "{text}"',
            ),
        )
        return
    yield _finding(
        node,
        f"{shorten(source_text(node.expr))} is not a CudaVersion of {ctx.label}",
        notes=(
            f"flash build fails: {shorten(source_text(node.expr))} is not a valid CudaVersion",
            f"use a CudaVersion member or one of: {_CUDA_VALUES}",
        ),
    )


# ---------------------------------------------------------------------------------------------
# FL511


@rule(
    "FL511",
    "queue-delay-on-lb",
    Severity.ERROR,
    "scaler_type=QUEUE_DELAY on a load-balanced endpoint",
    fix=FixAvailability.UNSAFE,
)
def queue_delay_on_lb(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds `scaler_type=ServerlessScalerType.QUEUE_DELAY` on an endpoint that registers routes.

    ## Why is this bad
    Load-balanced endpoints have no queue to measure. `flash build` accepts the setting, but
    `flash deploy` fails with "requires REQUEST_COUNT scaler". (`REQUEST_COUNT` on a queue-based
    endpoint is fine.)

    ## Example
    ```python
    api = Endpoint(name="api", scaler_type=ServerlessScalerType.QUEUE_DELAY)   # FL511

    @api.post("/run")
    async def run(x: int): ...
    ```

    ## Fix
    Switches to `REQUEST_COUNT` (unsafe: `scaler_value` then counts requests per worker instead
    of seconds of queue delay).
    """
    seen = _Seen()
    for ctx in contexts(app):
        if ctx.endpoint.kind is not EndpointKind.LOAD_BALANCED:
            continue
        node = ctx.node("scaler_type")
        if node is None:
            continue
        value = value_of(app, node)
        is_enum = isinstance(value, EnumValue) and value.enum == "ServerlessScalerType"
        if not (
            value == EnumValue("ServerlessScalerType", "QUEUE_DELAY") or value == "QUEUE_DELAY"
        ):
            continue
        replacement = (
            _member_text(node, "REQUEST_COUNT") if is_enum else _string(node, "REQUEST_COUNT")
        )
        yield from seen(
            [
                _finding(
                    node,
                    f"QUEUE_DELAY scaler on load-balanced {ctx.label}",
                    _replace(node, replacement, "Use REQUEST_COUNT", safe=False),
                    notes=(
                        "flash deploy fails: load-balanced endpoints require REQUEST_COUNT scaler",
                        "use ServerlessScalerType.REQUEST_COUNT or leave scaler_type out",
                    ),
                )
            ]
        )


# ---------------------------------------------------------------------------------------------
# FL512


@rule(
    "FL512",
    "invalid-env",
    Severity.ERROR,
    "env= value is not a string",
    fix=FixAvailability.SOMETIMES,
)
def invalid_env(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `env=`: a dict whose keys and values are strings, where statically known.

    ## Why is this bad
    The resource model declares `env: dict[str, str]` and pydantic does not turn numbers or
    booleans into strings: `{"WORKERS": 4}` fails with a `string_type` validation error when the
    endpoint's resource is built, and `flash build` fails.

    ## Example
    ```python
    @Endpoint(name="worker", env={"BATCH_SIZE": 8})   # FL512
    def work(): ...
    ```

    ## Fix
    Quotes a number (`8` -> `"8"`). Booleans are quoted by an unsafe fix (`True` -> `"True"`:
    check what your code expects).
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("env")
        if node is not None:
            yield from seen(_check_env(ctx, node))


def _check_env(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    expr = node.expr
    if isinstance(expr, Literal) and expr.value is None:
        return
    if not isinstance(expr, MappingExpr):
        value = value_of(app, node)
        if not isinstance(value, Unknown):
            yield _finding(
                node,
                f"env={shorten(source_text(node.expr))} of {ctx.label} is "
                f"{_a(_type_name(value))}, not a dict",
                notes=('use env={"NAME": "value"}',),
            )
        return
    for key_expr, value_expr in expr.items:
        if key_expr is None:
            continue
        key_node = child(app, node, key_expr)
        key = value_of(app, key_node)
        if not isinstance(key, (str, Unknown)):
            yield _finding(
                key_node,
                f"env key {shorten(key_node.expr.text)} of {ctx.label} is "
                f"{_a(_type_name(key))}, not a string",
                _replace(key_node, f'"{key_node.expr.text}"', "Quote the name", safe=True)
                if isinstance(key, int) and not isinstance(key, bool)
                else None,
                notes=("environment variable names must be strings",),
            )
        value_node = child(app, node, value_expr)
        value = value_of(app, value_node)
        if isinstance(value, (str, Unknown)):
            continue
        name = key if isinstance(key, str) else key_expr.text
        text = value_node.expr.text
        fix = None
        if isinstance(value, (int, float)) and isinstance(value_node.expr, Literal):
            is_bool = isinstance(value, bool)
            fix = _replace(value_node, f'"{text}"', f'Use "{text}"', safe=not is_bool)
        must = "environment values must be strings (pydantic string_type error)"
        yield _finding(
            value_node,
            f"env[{shorten(repr(name))}] of {ctx.label} is {_a(_type_name(value))}, not a string",
            fix,
            notes=(must, f'use "{text}"') if isinstance(value, (int, float)) else (must,),
        )


# ---------------------------------------------------------------------------------------------
# FL513


def volume_calls(ctx: EndpointContext) -> list[Node]:
    """The ``NetworkVolume(...)`` calls attached to the endpoint (inline or via constants)."""
    node = ctx.node("volume")
    if node is None:
        return []
    found = []
    for item in _items(ctx.app, node):
        if sdk_call(ctx.app, item, "NetworkVolume") is not None:
            found.append(item)
    return found


def _volume_label(app: App, volume: Node) -> str:
    call = sdk_call(app, volume, "NetworkVolume")
    if call is not None:
        for key in ("name", "id"):
            kw = call.keyword(key)
            if kw is not None:
                value = evaluate(app, volume.file, kw.value)
                if isinstance(value, str):
                    return repr(value)
    return "(unnamed)"


def _volume_datacenter(app: App, volume: Node) -> str | None:
    call = sdk_call(app, volume, "NetworkVolume")
    if call is None:
        return None
    for key in ("datacenter", "dataCenterId"):
        kw = call.keyword(key)
        if kw is not None:
            return _datacenter(evaluate(app, volume.file, kw.value))
    if any(kw.name is None for kw in call.keywords):
        return None
    return pf.NETWORK_VOLUME_DEFAULT_DATACENTER


@rule(
    "FL513",
    "invalid-volume",
    Severity.ERROR,
    "Invalid network volume configuration",
    fix=FixAvailability.SOMETIMES,
)
def invalid_volume(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `volume=` and its `NetworkVolume(...)`s: the list is not empty and holds only
    volumes, at most one volume per datacenter, each volume's datacenter is one of the endpoint's
    datacenters, the size is 10..4096 GB, and the volume has a non-blank `name` (or an `id`) and
    no unknown fields. Volumes may be written inline or as module-level constants in any file.

    ## Why is this bad
    Each case raises while the module is imported or the resource is built (`volume list must
    not be empty`, `Multiple volumes in datacenter X`, `Network volume datacenter (X) is not in
    the endpoint's datacenter list (...)`, a size or field validation error), so `flash build`
    fails.

    ## Example
    ```python
    vol = NetworkVolume(name="models", size=50, datacenter=DataCenter.US_CA_2)

    @Endpoint(name="sd", gpu=GpuGroup.ADA_24, datacenter=DataCenter.EU_RO_1, volume=vol)   # FL513
    async def generate(prompt: str): ...
    ```

    ## Fix
    Turns a tuple of volumes into a list.
    """
    seen = _Seen()
    for ctx in contexts(app):
        node = ctx.node("volume")
        if node is None:
            continue
        yield from seen(_check_volumes(ctx, node))


def _check_volumes(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    expr = node.expr
    if isinstance(expr, Literal) and expr.value is None:
        return
    if sdk_call(app, node, "NetworkVolume") is not None:
        volumes = [node]
    elif isinstance(expr, SequenceExpr):
        if expr.has_star:
            return
        if expr.kind != "list":
            yield _finding(
                node,
                f"volume= of {ctx.label} is a {expr.kind}, not a list",
                _sequence_to_list(node),
                notes=(_volume_type_error(expr.kind), "use a list"),
            )
            for item in _items(app, node):
                if sdk_call(app, item, "NetworkVolume") is not None:
                    yield from _volume_fields(app, item)
            return
        if not expr.items:
            yield _finding(
                node,
                f"volume=[] of {ctx.label} is empty",
                notes=(
                    "flash build fails: volume list must not be empty",
                    "attach a NetworkVolume or leave volume= out",
                ),
            )
            return
        volumes = []
        for index, item in enumerate(_items(app, node)):
            if sdk_call(app, item, "NetworkVolume") is not None:
                volumes.append(item)
            elif isinstance(item.expr, (Literal, SequenceExpr, MappingExpr)):
                kind = _type_name(value_of(app, item))
                yield _finding(
                    item,
                    f"volume element {index} of {ctx.label} is {_a(kind)}",
                    notes=("flash build fails: volume list elements must be NetworkVolume",),
                )
    elif isinstance(expr, (Literal, MappingExpr)):
        kind = _type_name(value_of(app, node))
        yield _finding(
            node,
            f"volume= of {ctx.label} is {_a(kind)}, not a NetworkVolume",
            notes=(_volume_type_error(kind),),
        )
        return
    else:
        return
    for volume in volumes:
        yield from _volume_fields(app, volume)
    by_datacenter: dict[str, Node] = {}
    endpoint_dcs = ctx.datacenters()
    for volume in volumes:
        dc = _volume_datacenter(app, volume)
        if dc is None:
            continue
        # About this endpoint's use of the volume: reported at the reference in its call.
        here = volume.anchor_file.path, volume.anchor.span
        if dc in by_datacenter:
            first = by_datacenter[dc]
            yield Finding(
                *here,
                f"second volume in {dc} on {ctx.label}",
                related=(
                    Related(first.anchor_file.path, first.anchor.span, f"first volume in {dc}"),
                ),
                notes=(
                    f"flash build fails: Multiple volumes in datacenter {dc} "
                    f"({_volume_label(app, first)} and {_volume_label(app, volume)})",
                    "attach at most one volume per datacenter",
                ),
            )
            continue
        by_datacenter[dc] = volume
        if endpoint_dcs is not None and dc not in endpoint_dcs:
            yield Finding(
                *here,
                f"volume {shorten(_volume_label(app, volume))} in {dc} is outside {ctx.label}",
                notes=(
                    f"flash build fails: Network volume datacenter ({dc}) is not in the "
                    f"endpoint's datacenter list ({', '.join(endpoint_dcs)})",
                    f"add DataCenter.{dc.replace('-', '_')} to datacenter= or use a volume in one "
                    "of those datacenters",
                ),
            )


def _volume_type_error(got: str) -> str:
    return f"flash build fails: volume must be a NetworkVolume or list of NetworkVolume, got {got}"


def _volume_fields(app: App, volume: Node) -> Iterator[Finding]:
    """Problems of the NetworkVolume(...) call itself, reported where it is written."""
    call = sdk_call(app, volume, "NetworkVolume")
    assert call is not None
    path = volume.file.path
    spread = call.has_star_args or any(kw.name is None for kw in call.keywords)
    for arg in call.args:
        yield Finding(
            path,
            arg.span,
            "positional argument to NetworkVolume",
            notes=(
                "flash build fails with TypeError",
                "NetworkVolume takes keyword arguments only (name=, size=, datacenter=)",
            ),
        )
    for kw in call.keywords:
        if kw.name is None or kw.name in pf.NETWORK_VOLUME_KEYWORDS:
            continue
        guess = pf.closest(kw.name, pf.NETWORK_VOLUME_KEYWORDS)
        forbidden = "extra fields are forbidden"
        yield Finding(
            path,
            kw.name_span,
            f"NetworkVolume has no field {kw.name!r}",
            notes=(forbidden, f"did you mean {guess!r}?") if guess else (forbidden,),
        )
    name_kw, id_kw = call.keyword("name"), call.keyword("id")
    name = evaluate(app, volume.file, name_kw.value) if name_kw is not None else None
    ident = evaluate(app, volume.file, id_kw.value) if id_kw is not None else None
    if name_kw is not None and isinstance(name, str) and not name.strip():
        yield Finding(path, name_kw.value.span, "NetworkVolume name must not be blank")
    elif name is None and ident is None and not spread:
        if name_kw is None and id_kw is None:
            span = call.func.span
        else:
            span = (name_kw or id_kw).value.span  # type: ignore[union-attr]
        yield Finding(
            path,
            span,
            "NetworkVolume needs a name or an id",
            notes=("a name for a new or existing volume, an id for an existing one",),
        )
    size_kw = call.keyword("size")
    if size_kw is not None:
        size = evaluate(app, volume.file, size_kw.value)
        if (
            isinstance(size, int)
            and not isinstance(size, bool)
            and not pf.VOLUME_SIZE_MIN_GB <= size <= pf.VOLUME_SIZE_MAX_GB
        ):
            yield Finding(
                path,
                size_kw.value.span,
                f"NetworkVolume size={size} GB is outside {pf.VOLUME_SIZE_MIN_GB}.."
                f"{pf.VOLUME_SIZE_MAX_GB} GB",
                notes=("the volume model rejects it and flash build fails",),
            )


# ---------------------------------------------------------------------------------------------
# FL514


@rule(
    "FL514",
    "unknown-endpoint-argument",
    Severity.ERROR,
    "Argument not accepted by Endpoint (or remote)",
    fix=FixAvailability.SOMETIMES,
)
def unknown_endpoint_argument(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds keyword arguments that `Endpoint(...)` does not accept (for legacy `remote(...)`, the
    ones `remote` does not accept), and positional arguments after `name`.

    ## Why is this bad
    Python raises `TypeError: Endpoint.__init__() got an unexpected keyword argument` while the
    module is imported, so `flash build` fails. Only `name` may be positional.

    ## Example
    ```python
    @Endpoint(name="worker", idle_timout=120)   # FL514: did you mean idle_timeout?
    def work(): ...
    ```

    ## Fix
    Renames the keyword to the parameter it differs from only in case or `_` (`idleTimeout` ->
    `idle_timeout`); a closest-match guess for other typos is an unsafe fix.
    """
    for ctx in contexts(app):
        call = ctx.decl.call
        remote = ctx.is_remote
        accepted = pf.REMOTE_KEYWORDS if remote else pf.ENDPOINT_KEYWORDS
        callee = "remote()" if remote else "Endpoint"
        given = {kw.name for kw in call.keywords if kw.name is not None}
        for kw in call.keywords:
            if kw.name is None or kw.name in accepted:
                continue
            candidates = [a for a in accepted if not a.startswith("_")]
            suggestion, certain = _match(kw.name, candidates)
            fix = None
            if suggestion is not None and suggestion not in given:
                fix = Fix(
                    f"Rename to {suggestion}=",
                    (TextEdit(ctx.file.path, kw.name_span, suggestion),),
                    safe=certain,
                )
            notes = [
                f"flash build fails with TypeError: {callee} got an unexpected keyword argument"
            ]
            if kw.name == "python_version" and not remote:
                notes.append(
                    "Endpoint has no python_version: use `flash build --python-version` for the "
                    "whole app"
                )
                fix = None
            elif suggestion is not None:
                notes.append(f"did you mean {suggestion!r}?")
            yield Finding(
                ctx.file.path,
                kw.name_span,
                f"unknown {callee} argument {kw.name!r} on {ctx.label}",
                fix=fix,
                notes=tuple(notes),
            )
        if not remote:
            for arg in call.args[1:]:
                yield Finding(
                    ctx.file.path,
                    arg.span,
                    f"extra positional argument to Endpoint on {ctx.label}",
                    notes=(
                        "only name can be positional: flash build fails with TypeError",
                        "pass the other settings as keywords",
                    ),
                )


# ---------------------------------------------------------------------------------------------
# FL515


@rule(
    "FL515",
    "cpu-disk-too-large",
    Severity.ERROR,
    "CPU template disk above the instance maximum",
    fix=FixAvailability.UNSAFE,
)
def cpu_disk_too_large(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `template=PodTemplate(containerDiskInGb=N)` on CPU endpoints against the largest disk
    the instance types allow: 10 GB per vCPU (15 GB for cpu5c), the minimum over the listed
    instances.

    ## Why is this bad
    The CPU resource raises `Container disk size NGB exceeds the maximum allowed for CPU
    instances` when it is built, so `flash build` fails. (64, the PodTemplate default, is
    silently sized down instead.)

    ## Example
    ```python
    @Endpoint(name="etl", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=50))   # FL515: max 10
    def transform(rows: list): ...
    ```

    ## Fix
    Sets the disk to the instance maximum (unsafe: less disk than you asked for).
    """
    seen = _Seen()
    for ctx in contexts(app):
        if ctx.is_cpu is not True:
            continue
        template = ctx.node("template")
        if template is None:
            continue
        call = sdk_call(app, template, "PodTemplate")
        kw = call.keyword("containerDiskInGb") if call is not None else None
        instances = ctx.cpu_instances()
        if kw is None or not instances:
            continue
        disk = child(app, template, kw.value)
        value = value_of(app, disk)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        limit = pf.cpu_max_disk_gb(instances)
        if value <= limit or value == pf.DEFAULT_GPU_CONTAINER_DISK_GB:
            continue
        yield from seen(
            [
                _finding(
                    disk,
                    f"container disk {value} GB of {ctx.label} exceeds {limit} GB",
                    _replace(disk, str(limit), f"Use {limit} GB", safe=False),
                    notes=(
                        f"flash build fails: Container disk size {value}GB exceeds the maximum "
                        "allowed for CPU instances",
                        f"the maximum for {', '.join(instances)} is {limit} GB: use at most "
                        f"{limit} or a larger instance type",
                    ),
                )
            ]
        )


# ---------------------------------------------------------------------------------------------
# For FL903 (analysis.py): the values the rules above read.

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
