"""FL5xx, the hardware of an endpoint: GPU or CPU (FL501), which GPUs (FL502), which CPU
instances (FL503), the minimum CUDA version (FL510) and a CPU endpoint's disk (FL515).

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from flash_ls import platform as pf
from flash_ls.diagnostic import Severity
from flash_ls.parse.facts import SequenceExpr
from flash_ls.project.app import App
from flash_ls.project.evaluation import EnumValue, Unknown, Value
from flash_ls.rules import app_api_values
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    OncePerPlace,
    app_api_contexts,
    attribute_error,
    both_gpu_and_cpu,
    child,
    contexts,
    enum_reference,
    finding_at,
    items_of,
    match_spelling,
    member_text,
    quoted_like,
    replace_value,
    sdk_call,
    sdk_name,
    shorten,
    source_text,
    spelling_key,
    tuple_to_list,
    type_name,
    value_of,
    with_article,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule

# ---------------------------------------------------------------------------------------------
# FL501


@rule("FL501", "gpu-and-cpu", Severity.ERROR, "Both gpu= and cpu= are given", app_api=True)
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

    ## App API resources
    Also checks `@app.queue/api/task(...)` resources (runpod 2.0), where `gpu=[]` counts as
    given, quoting rc2's `InvalidResourceError`.
    """
    notes = (
        "flash build fails with ValueError: gpu and cpu are mutually exclusive",
        "keep gpu= for a GPU endpoint or cpu= for a CPU endpoint",
    )
    for ctx in contexts(app):
        found = both_gpu_and_cpu(ctx, notes)
        if found is not None:
            yield found
    for ctx in app_api_contexts(app):
        yield from app_api_values.gpu_and_cpu(ctx)


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
        if spelling_key(text) in (spelling_key(item.value), spelling_key(item.member))
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
    seen = OncePerPlace()
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
        yield finding_at(
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
        yield finding_at(
            node,
            f"gpu= of {ctx.label} is a {expr.kind}, not a list",
            tuple_to_list(node),
            notes=(_gpu_type_error(expr.kind), "use a list"),
        )
        return
    if isinstance(expr, SequenceExpr):
        if not expr.items and not expr.has_star:
            yield finding_at(
                node,
                f"gpu=[] of {ctx.label} selects no GPU",
                notes=(
                    "gpuIds is empty, so no worker can ever start",
                    "list GPU pools or types, or leave gpu= out for any GPU",
                ),
            )
        for item in items_of(app, node):
            if item.expr is node.expr:
                continue
            item_value = value_of(app, item)
            if not isinstance(item_value, Unknown):
                yield from _gpu_entry(ctx, item, item_value, single=False)
        return
    yield finding_at(
        node,
        f"gpu={shorten(source_text(node.expr))} of {ctx.label} is not a GPU",
        notes=(_gpu_type_error(type_name(value)),),
    )


def _bare_gpu_string(ctx: EndpointContext, node: Node, value: str) -> Finding:
    message = f"gpu={shorten(repr(value))} of {ctx.label} is a bare string"
    found = _gpu_lookup(value)
    if found is None:
        guess = pf.closest(value, [*_GPU_VALUES, *pf.GPU_GROUPS_BY_MEMBER, *pf.GPU_TYPES_BY_MEMBER])
        hint = f" (did you mean {guess!r}?)" if guess else ""
        return finding_at(
            node,
            message,
            notes=(_gpu_type_error("str"), f"use a GpuGroup or GpuType member{hint}"),
        )
    enum, member = found
    ref = enum_reference(ctx.app, node.file, enum)
    exact_value = _GPU_MEMBERS[enum][member].value
    replacement = f"{ref}.{member}" if ref else f"[{quoted_like(node, exact_value)}]"
    return finding_at(
        node,
        message,
        replace_value(node, replacement, f"Use {replacement}", safe=True),
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
        yield finding_at(
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
            yield finding_at(
                node,
                message,
                replace_value(node, quoted_like(node, exact), f"Use {exact!r}", safe=True),
                notes=("strings in gpu=[...] are matched exactly by value", f"use {exact!r}"),
            )
            return
        guess = pf.closest(value, _GPU_VALUES)
        yield finding_at(
            node,
            message,
            replace_value(node, quoted_like(node, guess), f"Use {guess!r}", safe=False)
            if guess
            else None,
            notes=(
                "pydantic rejects it and flash build fails",
                f"did you mean {guess!r}?" if guess else "use a GpuGroup or GpuType member",
            ),
        )
        return
    yield finding_at(
        node,
        f"{shorten(source_text(node.expr))} of {ctx.label} is not a GPU",
        notes=(
            f"it is {with_article(type_name(value))}: gpu= entries must be GpuGroup or GpuType members",
        ),
    )


def _unknown_gpu_member(ctx: EndpointContext, node: Node, value: EnumValue) -> Finding:
    enum, member = value.enum, value.member
    other = "GpuType" if enum == "GpuGroup" else "GpuGroup"
    message = f"unknown {enum}.{member} on {ctx.label}"
    missing = attribute_error(member)
    suggestion, certain = match_spelling(member, _GPU_MEMBERS[enum])
    if certain and suggestion is not None:
        return finding_at(
            node,
            message,
            replace_value(
                node, member_text(node, suggestion), f"Use {enum}.{suggestion}", safe=True
            ),
            notes=(missing, f"use {enum}.{suggestion}"),
        )
    other_match, other_certain = match_spelling(member, _GPU_MEMBERS[other])
    if other_certain and other_match is not None:
        ref = enum_reference(ctx.app, node.file, other)
        fix = None
        if ref is not None:
            fix = replace_value(
                node, f"{ref}.{other_match}", f"Use {other}.{other_match}", safe=True
            )
        return finding_at(
            node, message, fix, notes=(missing, f"it is a {other}: use {other}.{other_match}")
        )
    if suggestion is not None:
        return finding_at(
            node,
            message,
            replace_value(
                node, member_text(node, suggestion), f"Use {enum}.{suggestion}", safe=False
            ),
            notes=(missing, f"did you mean {enum}.{suggestion}?"),
        )
    return finding_at(
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
    app_api=True,
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

    ## App API resources
    Also checks `@app.queue/api/task(...)` resources (runpod 2.0) against rc2's 12
    `CpuInstanceType` values. rc2 raises only for a value that is not a string or list, an empty
    list or a blank entry; it accepts any other string and sends it to the API, so an id outside
    the 12 is reported too (fixed when it differs only in case or `_`).
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("cpu")
        if node is not None:
            yield from seen(_check_cpu(ctx, node))
    for ctx in app_api_contexts(app):
        node = ctx.node("cpu")
        if node is not None:
            yield from seen(app_api_values.cpu_instances(ctx, node))


def _cpu_type_error(got: str) -> str:
    return (
        "flash build fails with ValueError: cpu must be a CpuInstanceType, string, or list, "
        f"got {got}"
    )


def _check_cpu(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    if sdk_name(app, node) == "CpuInstanceType":
        yield finding_at(
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
        yield finding_at(
            node,
            f"cpu= of {ctx.label} is a {expr.kind}, not a list",
            tuple_to_list(node),
            notes=(_cpu_type_error(expr.kind), "use a list"),
        )
        return
    if isinstance(expr, SequenceExpr):
        if not expr.items and not expr.has_star:
            yield finding_at(
                node,
                f"cpu=[] of {ctx.label} selects no CPU instance type",
                notes=(f'list at least one, e.g. cpu="{pf.DEFAULT_LEGACY_CPU_INSTANCE}"',),
            )
        for item in items_of(app, node):
            if item.expr is node.expr:
                continue
            item_value = value_of(app, item)
            if not isinstance(item_value, Unknown):
                yield from _cpu_entry(ctx, item, item_value, single=False)
        return
    yield finding_at(
        node,
        f"cpu={shorten(source_text(expr))} is not a CpuInstanceType of {ctx.label}",
        notes=(_cpu_type_error(type_name(value)),),
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
            yield finding_at(
                node,
                message,
                replace_value(
                    node, quoted_like(node, normalised), f"Use {normalised!r}", safe=True
                ),
                notes=(invalid, f"{exact}; use {normalised!r}"),
            )
            return
        guess = pf.closest(value, values)
        yield finding_at(
            node,
            message,
            replace_value(node, quoted_like(node, guess), f"Use {guess!r}", safe=False)
            if guess
            else None,
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
        missing = attribute_error(member)
        upper = member.strip().upper().replace("-", "_")
        if upper in pf.CPU_INSTANCES_BY_MEMBER:
            yield finding_at(
                node,
                message,
                replace_value(
                    node, member_text(node, upper), f"Use CpuInstanceType.{upper}", safe=True
                ),
                notes=(missing, f"use CpuInstanceType.{upper}"),
            )
            return
        guess = pf.closest(member, pf.CPU_INSTANCES_BY_MEMBER)
        yield finding_at(
            node,
            message,
            replace_value(
                node, member_text(node, guess), f"Use CpuInstanceType.{guess}", safe=False
            )
            if guess
            else None,
            notes=(missing, f"did you mean CpuInstanceType.{guess}?") if guess else (missing,),
        )
        return
    shown = str(value) if isinstance(value, EnumValue) else shorten(node.expr.text)
    use = 'use a CpuInstanceType member or its value, e.g. "cpu3c-1-2"'
    yield finding_at(
        node,
        f"{shown} is not a CpuInstanceType of {ctx.label}",
        notes=(_cpu_type_error(type_name(value)), use)
        if single and not isinstance(value, EnumValue)
        else (use,),
    )


# ---------------------------------------------------------------------------------------------
# FL510

_CUDA_VALUES = ", ".join(c.value for c in pf.CUDA_VERSIONS)


@rule(
    "FL510",
    "unknown-cuda-version",
    Severity.ERROR,
    "min_cuda_version is not a known CudaVersion",
    fix=FixAvailability.SOMETIMES,
    app_api=True,
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

    ## App API resources
    Also checks `@app.queue/api/task(...)` resources (runpod 2.0): rc2 compares `str(value)`
    with its 12 versions (a float `12.4` passes there), and rejects `min_cuda_version` on a CPU
    resource.
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("min_cuda_version")
        if node is not None:
            yield from seen(_check_cuda(ctx, node))
    for ctx in app_api_contexts(app):
        node = ctx.node("min_cuda_version")
        if node is not None:
            yield from seen(app_api_values.cuda_version(ctx, node))


def _check_cuda(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    value = value_of(ctx.app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, EnumValue) and value.enum == "CudaVersion":
        if value.member in pf.CUDA_VERSIONS_BY_MEMBER:
            return
        suggestion, certain = match_spelling(value.member, pf.CUDA_VERSIONS_BY_MEMBER)
        message = f"unknown CudaVersion.{value.member} on {ctx.label}"
        missing = attribute_error(value.member)
        if suggestion is None:
            yield finding_at(node, message, notes=(missing, f"valid versions: {_CUDA_VALUES}"))
            return
        yield finding_at(
            node,
            message,
            replace_value(
                node,
                member_text(node, suggestion),
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
        by_norm = {spelling_key(c.value): c.value for c in pf.CUDA_VERSIONS}
        by_norm.update({spelling_key(c.member): c.value for c in pf.CUDA_VERSIONS})
        exact = by_norm.get(spelling_key(value))
        message = f"{shorten(repr(value))} is not a CudaVersion of {ctx.label}"
        invalid = f"flash build fails: {value!r} is not a valid CudaVersion"
        if exact is not None:
            yield finding_at(
                node,
                message,
                replace_value(node, quoted_like(node, exact), f"Use {exact!r}", safe=True),
                notes=(invalid, f"use {exact!r}"),
            )
            return
        yield finding_at(node, message, notes=(invalid, f"valid versions: {_CUDA_VALUES}"))
        return
    if isinstance(value, float) and node.expr.text in pf.CUDA_VERSIONS_BY_VALUE:
        text = node.expr.text
        yield finding_at(
            node,
            f"min_cuda_version={text} of {ctx.label} is a float",
            replace_value(node, f'"{text}"', f'Use "{text}"', safe=True),
            notes=(
                f"flash build fails: {text} is not a valid CudaVersion",
                f'write it as the string "{text}"',
            ),
        )
        return
    yield finding_at(
        node,
        f"{shorten(source_text(node.expr))} is not a CudaVersion of {ctx.label}",
        notes=(
            f"flash build fails: {shorten(source_text(node.expr))} is not a valid CudaVersion",
            f"use a CudaVersion member or one of: {_CUDA_VALUES}",
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
    seen = OncePerPlace()
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
                finding_at(
                    disk,
                    f"container disk {value} GB of {ctx.label} exceeds {limit} GB",
                    replace_value(disk, str(limit), f"Use {limit} GB", safe=False),
                    notes=(
                        f"flash build fails: Container disk size {value}GB exceeds the maximum "
                        "allowed for CPU instances",
                        f"the maximum for {', '.join(instances)} is {limit} GB: use at most "
                        f"{limit} or a larger instance type",
                    ),
                )
            ]
        )
