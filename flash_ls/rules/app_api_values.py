"""The FL5xx value checks on resources of the app API of ``runpod`` (runpod 2.0's
``@app.queue/api/task(...)``): the same rules as for ``Endpoint(...)``, with the app API's own sets
and rc2's own messages (runpod-app-api.md sections 1.3, 1.5-1.7 and 10.6).

Each rule module (``hardware.py``, ``scaling.py``, ``datacenters.py``, ``argument_names.py``)
runs these over ``endpoint_arguments.app_api_contexts`` beside its runpod_flash check. Values are
read with the shared machinery (``Node``, ``value_of``, ``finding_at``: a value computed at run
time is never guessed at). The SDK validates when the decorator runs (``ResourceSpec.validate``),
so a finding here is a module that fails to import: deploying the file fails, and a directory
deploy skips the file and its resources.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Related, TextEdit
from flash_ls.parse.facts import (
    CallExpr,
    Literal,
    MappingExpr,
    NameExpr,
    SequenceExpr,
    split_qualified,
)
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown, Value
from flash_ls.rules import app_api
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    as_int,
    both_gpu_and_cpu,
    child,
    finding_at,
    items_of,
    keyword_span,
    match_spelling,
    member_text,
    python_repr,
    quoted_like,
    replace_value,
    shorten,
    source_text,
    spelling_key,
    tuple_to_list,
    value_of,
)
from flash_ls.rules.registry import Finding

_FAILS = "The SDK raises when the decorator runs"
_SKIPPED = "Deploying the file fails; a directory deploy skips it and its resources"


def _raises(message: str, error: str = pf.APP_RESOURCE_ERROR) -> str:
    return f"{_FAILS}: {error}: {message}"


def _rejected(
    node: Node,
    message: str,
    fix: Fix | None = None,
    *,
    notes: tuple[str, ...],
    related: tuple[Related, ...] = (),
) -> Finding:
    """A value the SDK rejects when the decorator runs (or the module's import fails on)."""
    if _SKIPPED not in notes:
        notes = (*notes, _SKIPPED)
    return finding_at(node, message, fix, notes=notes, related=related)


def decorator_kind(ctx: EndpointContext) -> str:
    """``queue``/``api``/``task``: the App method the resource's decorator calls."""
    # the name as Python reads it (``@app. api(...)`` is ``app.api`` too), as FL7xx read it
    name = app_api.decorator_kind(ctx.endpoint)
    return name if name in pf.APP_RESOURCE_PARAMETERS else pf.APP_RESOURCE_KIND_QUEUE


# ---------------------------------------------------------------------------------------------
# FL501


def gpu_and_cpu(ctx: EndpointContext) -> Iterator[Finding]:
    """``gpu=`` and ``cpu=`` both given (neither None): ``spec.gpu is not None and spec.cpu is not
    None`` after normalising, so ``gpu=[]`` counts as given."""
    notes = (
        _raises(pf.app_gpu_and_cpu_message(ctx.resource_name)),
        "Keep gpu= for a GPU resource or cpu= for a CPU resource (neither: any GPU)",
        _SKIPPED,
    )
    found = both_gpu_and_cpu(ctx, notes)
    if found is not None:
        yield found


# ---------------------------------------------------------------------------------------------
# FL503

_CPU_VALUES = tuple(c.value for c in pf.APP_CPU_INSTANCES)
_CPU_BY_VALUE = {c.value: c for c in pf.APP_CPU_INSTANCES}
_CPU_BY_MEMBER = {c.member: c for c in pf.APP_CPU_INSTANCES}


def cpu_instances(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """``normalize_cpu``: a string or a list of non-empty strings; rc2 accepts any such string,
    so an id that is none of its 12 ``CpuInstanceType`` values is reported too."""
    app = ctx.app
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, (str, EnumValue)):
        yield from _cpu_entry(ctx, node, value)
        return
    expr = node.expr
    if not isinstance(value, list) or (isinstance(expr, SequenceExpr) and expr.kind != "list"):
        got = expr.kind if isinstance(expr, SequenceExpr) else type(value).__name__
        yield _rejected(
            node,
            f"cpu={shorten(source_text(expr))} of {ctx.label} is not a string or list",
            tuple_to_list(node),
            notes=(_raises(pf.app_cpu_type_message(got)), _SKIPPED),
        )
        return
    if not value:
        yield _rejected(
            node,
            f"cpu=[] of {ctx.label} selects no CPU instance type",
            notes=(_raises(pf.APP_CPU_EMPTY_MESSAGE), f'List one, e.g. cpu="{_CPU_VALUES[0]}"'),
        )
        return
    for item in items_of(app, node):
        if item.expr is node.expr:
            return  # ``[*more]``: its entries are not known
        item_value = value_of(app, item)
        if not isinstance(item_value, Unknown):
            yield from _cpu_entry(ctx, item, item_value)


def _cpu_entry(ctx: EndpointContext, node: Node, value: Value) -> Iterator[Finding]:
    if isinstance(value, EnumValue):
        if value.enum != "CpuInstanceType":
            yield finding_at(
                node,
                f"{value} of {ctx.label} is not a CPU instance type",
                notes=("cpu= takes CpuInstanceType members or instance id strings",),
            )
        elif value.member not in _CPU_BY_MEMBER:
            yield _unknown_cpu_member(ctx, node, value.member)
        return
    if not isinstance(value, str) or not value.strip():
        shown = shorten(source_text(node.expr))
        yield _rejected(
            node,
            f"cpu entry {shown} of {ctx.label} is not an instance id",
            notes=(_raises(pf.APP_CPU_EMPTY_MESSAGE), _SKIPPED),
        )
        return
    if value in _CPU_BY_VALUE:
        return
    message = f"{shorten(repr(value))} is not a CPU instance type of {ctx.label}"
    accepted = (
        "The SDK accepts any string here and the deploy sends it to the API as is, but it is "
        f"none of the {len(_CPU_VALUES)} CpuInstanceType values"
    )
    normalised = value.strip().lower().replace("_", "-")
    if normalised in _CPU_BY_VALUE:
        yield finding_at(
            node,
            message,
            replace_value(node, quoted_like(node, normalised), f"Use {normalised!r}", safe=True),
            notes=(accepted, f"Instance ids are lower case with dashes: use {normalised!r}"),
        )
        return
    guess = pf.closest(value, _CPU_VALUES)
    form = (
        ""
        if pf.APP_CPU_INSTANCE_FORMAT.match(value)
        else "; ids have the form <flavor>-<vcpus>-<memory GB>"
    )
    yield finding_at(
        node,
        message,
        replace_value(node, quoted_like(node, guess), f"Use {guess!r}", safe=False)
        if guess
        else None,
        notes=(
            accepted + form,
            f"Did you mean {guess!r}?" if guess else f"Valid: {', '.join(_CPU_VALUES)}",
        ),
    )


def _missing(member: str) -> str:
    return f"The module fails to import with AttributeError: {member}"


def _unknown_cpu_member(ctx: EndpointContext, node: Node, member: str) -> Finding:
    message = f"unknown CpuInstanceType.{member} on {ctx.label}"
    missing = _missing(member)
    upper = member.strip().upper().replace("-", "_")
    certain = upper in _CPU_BY_MEMBER
    guess = upper if certain else pf.closest(member, _CPU_BY_MEMBER)
    if guess is None:
        return _rejected(node, message, notes=(missing,))
    return _rejected(
        node,
        message,
        replace_value(node, member_text(node, guess), f"Use CpuInstanceType.{guess}", safe=certain),
        notes=(
            missing,
            f"Use CpuInstanceType.{guess}" if certain else f"Did you mean CpuInstanceType.{guess}?",
        ),
    )


# ---------------------------------------------------------------------------------------------
# FL504


def workers(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """``normalize_workers``: an int ``n`` is ``(0, n)``; a 2-tuple or 2-list is ``int()``-ed;
    then ``min >= 0``, ``max >= 1`` and ``min <= max``."""
    app = ctx.app
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    expr = node.expr
    if isinstance(value, int):  # bool included, as ``isinstance(True, int)``
        low, high = pf.APP_WORKERS_DEFAULT_MIN, value
        if high < pf.APP_WORKERS_MIN_HIGH:
            yield _rejected(
                node,
                f"workers={shorten(expr.text)} of {ctx.label} allows no worker",
                notes=(
                    f"workers={shorten(expr.text)} means ({low}, {high})",
                    _raises(pf.app_worker_range_message(low, high)),
                    f"Use a maximum of at least {pf.APP_WORKERS_MIN_HIGH}",
                ),
            )
        return
    shown = shorten(source_text(expr))
    pair = (
        isinstance(expr, SequenceExpr)
        and expr.kind in ("tuple", "list")
        and isinstance(value, (list, tuple))
        and len(value) == 2
    )
    if not pair:
        if isinstance(expr, SequenceExpr) and expr.has_star:
            return
        written_set = isinstance(expr, SequenceExpr) and expr.kind == "set"
        got = source_text(expr) if written_set else python_repr(value, expr)
        yield _rejected(
            node,
            f"workers={shown} of {ctx.label} is malformed",
            notes=(
                _raises(pf.app_workers_shape_message(got)),
                "Use workers=max or workers=(min, max), e.g. (0, 3)",
            ),
        )
        return
    items = items_of(app, node)
    numbers: list[int] = []
    for item in items:
        number = as_int(value_of(app, item))
        if isinstance(number, Unknown):
            return
        if number is None:
            yield _rejected(
                item,
                f"workers entry {shorten(item.expr.text)} of {ctx.label} is not a number",
                notes=(f"{_FAILS}: int() of it fails", _SKIPPED),
            )
            return
        numbers.append(number)
    low, high = numbers
    if low < pf.APP_WORKERS_MIN_LOW or high < pf.APP_WORKERS_MIN_HIGH:
        yield _rejected(
            node,
            f"workers=({low}, {high}) of {ctx.label} is an invalid range",
            notes=(
                _raises(pf.app_worker_range_message(low, high)),
                f"min must be at least {pf.APP_WORKERS_MIN_LOW} and max at least "
                f"{pf.APP_WORKERS_MIN_HIGH}",
            ),
        )
    elif low > high:
        yield _rejected(
            node,
            f"workers=({low}, {high}) of {ctx.label} has min above max",
            notes=(
                _raises(pf.app_workers_order_message(low, high)),
                f"Write workers=({high}, {low}) if you meant that range",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL508


def max_concurrency(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """Queue resources only (api and task have no such parameter: FL514): at least 1."""
    if ctx.endpoint.kind is not EndpointKind.QUEUE:
        return
    value = value_of(ctx.app, node)
    if not isinstance(value, int):  # rc2 compares a bool too: False is below 1
        return
    if value >= pf.APP_MAX_CONCURRENCY_MIN:
        return
    yield _rejected(
        node,
        f"max_concurrency={value} of {ctx.label} is below {pf.APP_MAX_CONCURRENCY_MIN}",
        notes=(
            _raises(pf.app_max_concurrency_message(ctx.resource_name, value)),
            "Use 1 (one job at a time) or more",
        ),
    )


# ---------------------------------------------------------------------------------------------
# FL506


def datacenters(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """``normalize_datacenter``: a string or an iterable of them (``DataCenter`` members are
    strings), each stripped, upper-cased and ``_`` -> ``-``; one bad entry fails the whole."""
    app = ctx.app
    whole = value_of(app, node)
    if whole is None or isinstance(whole, Unknown):
        return
    sdk_message = pf.app_datacenter_message(python_repr(whole, node.expr))
    if isinstance(whole, (str, EnumValue)):
        entries = [node]
    elif isinstance(whole, (list, tuple)):
        entries = items_of(app, node)
    else:
        if isinstance(whole, (int, float)):  # not iterable: the SDK raises on it
            yield _rejected(
                node,
                f"{shorten(source_text(node.expr))} of {ctx.label} is not a datacenter",
                notes=(_raises(sdk_message), "Use a DataCenter member or a list of them"),
            )
        return
    for item in entries:
        value = value_of(app, item)
        if isinstance(value, Unknown):
            continue
        yield from _datacenter_entry(ctx, item, value, sdk_message)


def _datacenter_entry(
    ctx: EndpointContext, node: Node, value: Value, sdk_message: str
) -> Iterator[Finding]:
    valid = ", ".join(d.value for d in pf.APP_DATACENTERS)
    by_member = {d.member: d for d in pf.APP_DATACENTERS}
    if isinstance(value, EnumValue) and value.enum == "DataCenter":
        member = value.member
        if member in by_member:
            return
        missing = _missing(member)
        if member in pf.REMOVED_DATACENTERS:
            yield _rejected(
                node,
                f"removed DataCenter.{member} on {ctx.label}",
                notes=(missing, f"Pick a current datacenter: {valid}"),
            )
            return
        suggestion, certain = match_spelling(member, by_member)
        yield _rejected(
            node,
            f"unknown DataCenter.{member} on {ctx.label}",
            replace_value(
                node, member_text(node, suggestion), f"Use DataCenter.{suggestion}", safe=certain
            )
            if suggestion is not None
            else None,
            notes=(
                missing,
                (
                    f"Use DataCenter.{suggestion}"
                    if certain
                    else f"Did you mean DataCenter.{suggestion}?"
                )
                if suggestion is not None
                else f"Valid datacenters: {valid}",
            ),
        )
        return
    if isinstance(value, str):
        if pf.datacenter_from_string(value) is not None:
            return
        guess = pf.closest(pf.normalize_datacenter(value), [d.value for d in pf.APP_DATACENTERS])
        yield _rejected(
            node,
            f"unknown datacenter {shorten(repr(value))} on {ctx.label}",
            notes=(
                _raises(sdk_message),
                f"Its cause: {pf.app_unknown_datacenter_message(value)}",
                *((f"Did you mean {guess!r}?",) if guess else ()),
            ),
        )
        return
    yield _rejected(
        node,
        f"{shorten(source_text(node.expr))} of {ctx.label} is not a datacenter",
        notes=(_raises(sdk_message), "Use a DataCenter member or its value, e.g. 'EU-RO-1'"),
    )


# ---------------------------------------------------------------------------------------------
# FL510

_CUDA = frozenset(pf.APP_CUDA_VERSIONS)


def cuda_version(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """``normalize_cuda_version`` (``str(value).strip()`` in the set), and no
    ``min_cuda_version`` on a CPU resource."""
    value = value_of(ctx.app, node)
    if value is None or isinstance(value, (Unknown, EnumValue)):
        return
    text = pf.app_cuda_version(value)
    if text not in _CUDA:
        message = f"{shorten(source_text(node.expr))} is not a CUDA version of {ctx.label}"
        sdk = _raises(pf.app_cuda_version_message(python_repr(value, node.expr)))
        by_key = {spelling_key(v): v for v in pf.APP_CUDA_VERSIONS}
        by_key.update({spelling_key("v" + v): v for v in pf.APP_CUDA_VERSIONS})
        exact = by_key.get(spelling_key(text)) if isinstance(value, str) else None
        if exact is not None:
            yield _rejected(
                node,
                message,
                replace_value(node, quoted_like(node, exact), f"Use {exact!r}", safe=True),
                notes=(sdk, f"Use {exact!r}"),
            )
        else:
            yield _rejected(node, message, notes=(sdk, f"Valid: {', '.join(pf.APP_CUDA_VERSIONS)}"))
        return
    if ctx.endpoint.is_cpu is True:
        cpu = ctx.kw("cpu")
        related = (Related(ctx.file.path, keyword_span(cpu), "cpu= given here"),) if cpu else ()
        yield _rejected(
            node,
            f"min_cuda_version on CPU {ctx.label} is rejected",
            related=related,
            notes=(
                _raises(pf.app_cuda_on_cpu_message(ctx.resource_name)),
                "CPU workers have no CUDA: remove min_cuda_version or use gpu=",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL514


def unknown_arguments(ctx: EndpointContext) -> Iterator[Finding]:
    """Keywords the decorator does not take: another kind's (``max_concurrency`` on
    ``@app.api``, ``model`` on ``@app.task``) or none's (runpod_flash's ``volume=``)."""
    kind = decorator_kind(ctx)
    accepted = pf.APP_RESOURCE_PARAMETERS[kind]
    call = ctx.decl.call
    given = {kw.name for kw in call.keywords if kw.name is not None}
    for kw in call.keywords:
        name = kw.name
        if name is None or name in accepted:
            continue
        others = [k for k, params in pf.APP_RESOURCE_PARAMETERS.items() if name in params]
        notes = [f"{_FAILS}: TypeError: {pf.app_unexpected_keyword_message(kind, name)}", _SKIPPED]
        fix = None
        if others:
            message = f"@app.{kind}() takes no {name}= ({ctx.label})"
            takes = " and ".join(f"@app.{k}()" for k in others)
            notes.append(f"Only {takes} take{'s' if len(others) == 1 else ''} it: remove it")
        else:
            message = f"unknown @app.{kind}() argument {name!r} on {ctx.endpoint.short_label}"
            every = dict.fromkeys(
                p for params in pf.APP_RESOURCE_PARAMETERS.values() for p in params
            )
            suggestion, certain = match_spelling(name, every)
            hint = pf.APP_FLASH_KEYWORD_HINTS.get(name)
            if hint is not None:
                notes.append(f"{pf.SDK_MODULE}'s Endpoint takes it; {hint}")
            elif suggestion is not None and suggestion not in accepted:
                notes.append(f"Did you mean {suggestion!r}? @app.{kind}() does not take it either")
            elif suggestion is not None:
                notes.append(f"Did you mean {suggestion!r}?")
                if suggestion not in given:
                    fix = Fix(
                        f"Rename to {suggestion}=",
                        (TextEdit(ctx.file.path, kw.name_span, suggestion),),
                        safe=certain,
                    )
        yield Finding(ctx.file.path, kw.name_span, message, fix=fix, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# FL513


def _volume_raises(message: str) -> str:
    return _raises(message, pf.APP_VOLUME_ERROR)


def _volume_kind(ctx: EndpointContext, node: Node) -> str | None:
    """``network``/``global`` for a ``runpod`` volume, ``""`` for a value that is no volume,
    None when that is not statically known (a call of something else, a name)."""
    expr = node.expr
    if isinstance(expr, CallExpr):
        if not isinstance(expr.func, NameExpr):
            return None
        module, attr = split_qualified(ctx.app.qualified(node.file, expr.func.dotted))
        if pf.is_app_api_module(module):
            for kind, name in pf.APP_VOLUME_CLASSES.items():
                if attr.rpartition(".")[2] == name:
                    return kind
        return None
    if isinstance(expr, (Literal, SequenceExpr, MappingExpr)):
        return ""
    return None


def _mount_path(value: Value) -> str | None:
    """rc2's ``_mount_path``: the normalised path, None where it raises."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\0" in value or ".." in PurePosixPath(value).parts:
        return None
    return str(PurePosixPath(value))


def mounts(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    """``normalize_mounts`` and ``validate_mounts``: a mapping of absolute paths to volumes,
    no path inside another, one volume of each kind; queue and api resources one volume at the
    endpoint mount path; no global volume on CPU."""
    app = ctx.app
    expr = node.expr
    if isinstance(expr, Literal) and expr.value is None:
        return
    if not isinstance(expr, MappingExpr):
        value = value_of(app, node)
        if not isinstance(value, (Unknown, dict)):
            yield _rejected(
                node,
                f"mounts={shorten(source_text(expr))} of {ctx.label} is not a mapping",
                notes=(
                    _volume_raises(pf.APP_MOUNTS_TYPE_MESSAGE),
                    f'Use mounts={{"{pf.APP_ENDPOINT_MOUNT_PATH}": NetworkVolume("...")}}',
                ),
            )
        return
    known: dict[str, tuple[Node, str]] = {}  # path -> (its key, volume kind)
    for key, value in expr.items:
        if key is None:
            continue  # ``**more``: not known
        key_node, volume = child(app, node, key), child(app, node, value)
        path_value = value_of(app, key_node)
        kind = _volume_kind(ctx, volume)
        if isinstance(path_value, Unknown):
            continue
        path = _mount_path(path_value)
        if path is None:
            yield _rejected(
                key_node,
                f"mount path {shorten(source_text(key))} of {ctx.label} is not absolute",
                notes=(_volume_raises(pf.APP_MOUNT_PATH_MESSAGE),),
            )
            continue
        if kind == "":
            yield _rejected(
                volume,
                f"mount {path} of {ctx.label} is not a volume",
                notes=(
                    _volume_raises(pf.APP_MOUNT_VOLUME_MESSAGE),
                    'Use NetworkVolume("name") or GlobalVolume("name")',
                ),
            )
            continue
        if path in known:
            yield _rejected(
                key_node,
                f"mount path {path} of {ctx.label} is given twice",
                notes=(_volume_raises(pf.app_duplicate_mount_message(path)),),
            )
            continue
        for other, (other_node, _) in known.items():
            if PurePosixPath(path).is_relative_to(other) or PurePosixPath(other).is_relative_to(
                path
            ):
                yield _rejected(
                    key_node,
                    f"mount paths {other} and {path} of {ctx.label} overlap",
                    related=(Related(other_node.path, other_node.span, f"{other} mounted here"),),
                    notes=(_volume_raises(pf.APP_MOUNT_OVERLAP_MESSAGE),),
                )
                break
        known[path] = (key_node, kind or "")
    yield from _mount_capabilities(ctx, node, known)


def _mount_capabilities(
    ctx: EndpointContext, node: Node, known: dict[str, tuple[Node, str]]
) -> Iterator[Finding]:
    """What ``validate_mounts`` checks of the mounts known statically (``known``: path -> its
    key and volume kind, "" when the kind is not known)."""
    for kind in pf.APP_VOLUME_CLASSES:
        of_kind = [n for n, k in known.values() if k == kind]
        if len(of_kind) > 1:
            yield _rejected(
                of_kind[1],
                f"{ctx.label} mounts {len(of_kind)} {kind} volumes",
                notes=(_volume_raises(pf.app_volume_count_message(kind)),),
            )
    endpoint = ctx.endpoint.kind in (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED)
    if endpoint and known:
        wrong = [n for path, (n, _) in known.items() if path != pf.APP_ENDPOINT_MOUNT_PATH]
        if len(known) > 1 or wrong:
            yield _rejected(
                wrong[0] if wrong else node,
                f"{ctx.label} must mount one volume at {pf.APP_ENDPOINT_MOUNT_PATH}",
                notes=(
                    _volume_raises(pf.APP_ENDPOINT_MOUNT_MESSAGE),
                    "Tasks may mount volumes elsewhere; endpoints only there",
                ),
            )
    if ctx.endpoint.is_cpu is True:
        for key_node, kind in known.values():
            if kind == "global":
                yield _rejected(
                    key_node,
                    f"global volume on CPU {ctx.label}",
                    notes=(_volume_raises(pf.APP_GLOBAL_VOLUME_CPU_MESSAGE),),
                )
