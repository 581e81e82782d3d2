"""FL513: the network volumes attached to an endpoint (``volume=`` and its
``NetworkVolume(...)``s).

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Related, Severity
from flash_ls.parse.facts import Literal, MappingExpr, SequenceExpr
from flash_ls.project.app import App
from flash_ls.project.evaluation import evaluate
from flash_ls.rules import app_api_values
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    OncePerPlace,
    app_api_contexts,
    contexts,
    datacenter_value,
    finding_at,
    items_of,
    sdk_call,
    shorten,
    tuple_to_list,
    type_name,
    value_of,
    with_article,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule

# ---------------------------------------------------------------------------------------------
# FL513


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
            return datacenter_value(evaluate(app, volume.file, kw.value))
    if any(kw.name is None for kw in call.keywords):
        return None
    return pf.NETWORK_VOLUME_DEFAULT_DATACENTER


@rule(
    "FL513",
    "invalid-volume",
    Severity.ERROR,
    "Invalid network volume configuration",
    fix=FixAvailability.SOMETIMES,
    app_api=True,
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

    ## App API resources
    Also checks the `mounts=` of `@app.queue/api/task(...)` resources of the app API of runpod
    2.0, with rc2's rules and `VolumeError` messages: a mapping of absolute paths (no `..`) to
    `NetworkVolume`/`GlobalVolume` objects, no path inside another, at most one volume of each
    kind, queue and api resources one volume at `/runpod-volume`, and no global volume on a CPU
    resource.
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("volume")
        if node is None:
            continue
        yield from seen(_check_volumes(ctx, node))
    for ctx in app_api_contexts(app):
        node = ctx.node("mounts")
        if node is not None:
            yield from seen(app_api_values.mounts(ctx, node))


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
            yield finding_at(
                node,
                f"volume= of {ctx.label} is a {expr.kind}, not a list",
                tuple_to_list(node),
                notes=(_volume_type_error(expr.kind), "use a list"),
            )
            for item in items_of(app, node):
                if sdk_call(app, item, "NetworkVolume") is not None:
                    yield from _volume_fields(app, item)
            return
        if not expr.items:
            yield finding_at(
                node,
                f"volume=[] of {ctx.label} is empty",
                notes=(
                    "flash build fails: volume list must not be empty",
                    "attach a NetworkVolume or leave volume= out",
                ),
            )
            return
        volumes = []
        for index, item in enumerate(items_of(app, node)):
            if sdk_call(app, item, "NetworkVolume") is not None:
                volumes.append(item)
            elif isinstance(item.expr, (Literal, SequenceExpr, MappingExpr)):
                kind = type_name(value_of(app, item))
                yield finding_at(
                    item,
                    f"volume element {index} of {ctx.label} is {with_article(kind)}",
                    notes=("flash build fails: volume list elements must be NetworkVolume",),
                )
    elif isinstance(expr, (Literal, MappingExpr)):
        kind = type_name(value_of(app, node))
        yield finding_at(
            node,
            f"volume= of {ctx.label} is {with_article(kind)}, not a NetworkVolume",
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
