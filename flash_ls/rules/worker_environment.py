"""FL5xx, what the workers get: settings that ``flash deploy`` does not apply (FL509) and the
environment variables of ``env=`` (FL512).

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Severity
from flash_ls.parse.facts import Literal, MappingExpr
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.project.evaluation import Unknown
from flash_ls.rules.endpoint_arguments import (
    EndpointContext,
    Node,
    OncePerPlace,
    child,
    contexts,
    finding_at,
    keyword_span,
    node_for,
    replace_value,
    sdk_call,
    shorten,
    source_text,
    type_name,
    value_of,
    with_article,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule

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
    seen = OncePerPlace()
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
                        keyword_span(kw),
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
    seen = OncePerPlace()
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
            yield finding_at(
                node,
                f"env={shorten(source_text(node.expr))} of {ctx.label} is "
                f"{with_article(type_name(value))}, not a dict",
                notes=('use env={"NAME": "value"}',),
            )
        return
    for key_expr, value_expr in expr.items:
        if key_expr is None:
            continue
        key_node = child(app, node, key_expr)
        key = value_of(app, key_node)
        if not isinstance(key, (str, Unknown)):
            yield finding_at(
                key_node,
                f"env key {shorten(key_node.expr.text)} of {ctx.label} is "
                f"{with_article(type_name(key))}, not a string",
                replace_value(key_node, f'"{key_node.expr.text}"', "Quote the name", safe=True)
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
            fix = replace_value(value_node, f'"{text}"', f'Use "{text}"', safe=not is_bool)
        must = "environment values must be strings (pydantic string_type error)"
        yield finding_at(
            value_node,
            f"env[{shorten(repr(name))}] of {ctx.label} is {with_article(type_name(value))}, not a string",
            fix,
            notes=(must, f'use "{text}"') if isinstance(value, (int, float)) else (must,),
        )
