"""FL5xx, how an endpoint scales: workers (FL504), idle timeout (FL505), concurrency per worker
(FL508) and the scaler of a load-balanced endpoint (FL511).

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import Keyword, SequenceExpr
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown
from flash_ls.rules import app_api_values
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    OncePerPlace,
    app_api_contexts,
    as_int,
    contexts,
    finding_at,
    items_of,
    member_text,
    node_for,
    quoted_like,
    replace_value,
    shorten,
    source_text,
    type_name,
    value_of,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# FL504


@rule(
    "FL504",
    "invalid-workers",
    Severity.ERROR,
    "workers= is negative, min > max or malformed",
    app_api=True,
)
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

    ## App API resources
    Also checks `@app.queue/api/task(...)` resources (runpod 2.0) with rc2's rule and messages:
    an int `n` means `(0, n)`, a 2-tuple or 2-list is `int()`-ed, then min >= 0, max >= 1 and
    min <= max, so `workers=0` is rejected there.
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("workers")
        if node is not None:
            yield from seen(_check_workers(ctx, node))
    for ctx in app_api_contexts(app):
        node = ctx.node("workers")
        if node is not None:
            yield from seen(app_api_values.workers(ctx, node))


def _check_workers(ctx: EndpointContext, node: Node) -> Iterator[Finding]:
    app = ctx.app
    value = value_of(app, node)
    if value is None or isinstance(value, Unknown):
        return
    if isinstance(value, int):
        if value < 0:
            yield finding_at(
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
        # A set's value is read as a list: the SDK names the type as written.
        got = expr.kind if isinstance(expr, SequenceExpr) else type_name(value)
        yield finding_at(
            node,
            f"workers={shown_value} of {ctx.label} is malformed",
            notes=(
                "flash build fails with ValueError: workers must be an int or (min, max) tuple, "
                f"got {got}: {shown_value}",
                "use workers=(min, max), e.g. (0, 3)",
            ),
        )
        return
    items = items_of(app, node)
    numbers: list[int | Unknown] = []
    for item in items:
        number = as_int(value_of(app, item))
        if number is None:
            yield finding_at(
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
            yield finding_at(
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
        yield finding_at(
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
    seen = OncePerPlace()
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
        yield finding_at(
            node,
            f"{shown} of {ctx.label} is not an int",
            notes=(f"idle_timeout is a whole number of seconds: use an int between {bounds}",),
        )
    elif not pf.IDLE_TIMEOUT_MIN <= seconds <= pf.IDLE_TIMEOUT_MAX:
        yield finding_at(
            node,
            f"{shown} of {ctx.label} is outside {pf.IDLE_TIMEOUT_MIN}..{pf.IDLE_TIMEOUT_MAX} "
            "seconds",
            notes=(f"flash build fails: idleTimeout must be between {bounds} seconds",),
        )


# ---------------------------------------------------------------------------------------------
# FL508


@rule(
    "FL508",
    "invalid-max-concurrency",
    Severity.ERROR,
    "max_concurrency below 1, above 1 on a sync queue handler, or set on a load-balanced endpoint",
    fix=FixAvailability.UNSAFE,
    app_api=True,
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

    ## App API resources
    Also checks `@app.queue(...)` resources (runpod 2.0): below 1 is rc2's
    `InvalidResourceError`. `@app.api` and `@app.task` take no `max_concurrency` (FL514); the
    sync-function and load-balanced cases are runpod_flash's only.
    """
    seen = OncePerPlace()
    for ctx in contexts(app):
        node = ctx.node("max_concurrency")
        if node is None:
            continue
        value = value_of(app, node)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        yield from seen(_check_concurrency(ctx, node, value))
    for ctx in app_api_contexts(app):
        node = ctx.node("max_concurrency")
        if node is not None:
            yield from seen(app_api_values.max_concurrency(ctx, node))


def _check_concurrency(ctx: EndpointContext, node: Node, value: int) -> Iterator[Finding]:
    if value < pf.MAX_CONCURRENCY_MIN:
        yield finding_at(
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
        yield finding_at(
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
            yield finding_at(
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
                yield finding_at(
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
    seen = OncePerPlace()
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
            member_text(node, "REQUEST_COUNT") if is_enum else quoted_like(node, "REQUEST_COUNT")
        )
        yield from seen(
            [
                finding_at(
                    node,
                    f"QUEUE_DELAY scaler on load-balanced {ctx.label}",
                    replace_value(node, replacement, "Use REQUEST_COUNT", safe=False),
                    notes=(
                        "flash deploy fails: load-balanced endpoints require REQUEST_COUNT scaler",
                        "use ServerlessScalerType.REQUEST_COUNT or leave scaler_type out",
                    ),
                )
            ]
        )
