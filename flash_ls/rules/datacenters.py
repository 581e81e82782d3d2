"""FL5xx, where an endpoint runs: datacenters of endpoints and their network volumes (FL506),
and CPU endpoints outside the CPU datacenters (FL507).

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Severity
from flash_ls.project.app import App
from flash_ls.project.evaluation import EnumValue, Unknown
from flash_ls.rules import app_api_values
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    OncePerPlace,
    app_api_contexts,
    attribute_error,
    child,
    contexts,
    datacenter_value,
    finding_at,
    items_of,
    match_spelling,
    member_text,
    replace_value,
    sdk_call,
    shorten,
    source_text,
    value_of,
    volume_calls,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule

# ---------------------------------------------------------------------------------------------
# FL506


_DATACENTER_LIST = ", ".join(d.value for d in pf.DATACENTERS)


@rule(
    "FL506",
    "unknown-datacenter",
    Severity.ERROR,
    "Unknown or removed DataCenter",
    fix=FixAvailability.SOMETIMES,
    app_api=True,
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

    ## App API resources
    Also checks the `datacenter=` of `@app.queue/api/task(...)` resources (runpod 2.0): strings
    and `runpod.DataCenter` members, quoting rc2's `invalid datacenter: ...` and its cause.
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("datacenter")
        if node is not None:
            for item in items_of(app, node):
                yield from seen(_check_datacenter(ctx, item))
        for volume in volume_calls(ctx):
            call = sdk_call(app, volume, "NetworkVolume")
            assert call is not None
            for kw in call.keywords:
                if kw.name in ("datacenter", "dataCenterId"):
                    # A volume's own field: reported where the volume is written.
                    dc = child(app, Node(volume.file, call, volume.file, call), kw.value)
                    yield from seen(_check_datacenter(ctx, dc, volume=True))
    for ctx in app_api_contexts(app):
        node = ctx.node("datacenter")
        if node is not None:
            yield from seen(app_api_values.datacenters(ctx, node))


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
        missing = attribute_error(member)
        if member in pf.REMOVED_DATACENTERS:
            yield finding_at(
                node,
                f"removed DataCenter.{member} on {owner}",
                notes=(
                    f"{pf.SDK_DISTRIBUTION} removed it: {missing}",
                    f"pick a current datacenter: {_DATACENTER_LIST}",
                ),
            )
            return
        suggestion, certain = match_spelling(member, pf.DATACENTERS_BY_MEMBER)
        message = f"unknown DataCenter.{member} on {owner}"
        if suggestion is None:
            yield finding_at(
                node, message, notes=(missing, f"valid datacenters: {_DATACENTER_LIST}")
            )
            return
        yield finding_at(
            node,
            message,
            replace_value(
                node,
                member_text(node, suggestion),
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
            yield finding_at(
                node,
                f"removed datacenter {shorten(repr(value))} on {owner}",
                notes=(f"{pf.SDK_DISTRIBUTION} removed it: {sdk}", valid),
            )
            return
        guess = pf.closest(pf.normalize_datacenter(value), [d.value for d in pf.DATACENTERS])
        yield finding_at(
            node,
            f"unknown datacenter {shorten(repr(value))} on {owner}",
            notes=(sdk, valid, f"did you mean {guess!r}?") if guess else (sdk, valid),
        )
        return
    yield finding_at(
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
    seen = OncePerPlace()
    for ctx in contexts(app):
        if ctx.is_cpu is not True:
            continue
        node = ctx.node("datacenter")
        if node is None:
            continue
        for item in items_of(app, node):
            found = datacenter_value(value_of(app, item))
            if found is None or found in pf.CPU_DATACENTERS:
                continue
            yield from seen(
                [
                    finding_at(
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
