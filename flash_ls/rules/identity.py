"""FL1xx: endpoint identity, the 1:1:1 queue rule (one name, one function, one endpoint)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import Literal, NameExpr
from flash_ls.project.app import App, DeclForm, Endpoint, EndpointKind, SourceFile
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.values import endpoint_name
from flash_ls.span import Span

_BAD_NAME_CHARS = re.compile(r'[/\\<>:"|?*\x00-\x1f]')


def _name_span(endpoint: Endpoint) -> Span:
    expr = endpoint.name_expr
    if expr is not None:
        return expr.span
    if endpoint.targets:
        return endpoint.targets[0].decorator.span
    return endpoint.decl.call.span


def _named(app: App) -> Iterator[tuple[Endpoint, str]]:
    for endpoint in app.endpoints:
        name = endpoint_name(app, endpoint)
        if isinstance(name, str):
            yield endpoint, name


@rule(
    "FL101",
    "queue-name-reused",
    Severity.WARNING,
    "Several queue functions in one file share an endpoint name; only one is served",
    fix=FixAvailability.UNSAFE,
)
def queue_name_reused(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds queue-based functions or classes in one file that share an endpoint name, either through
    two `@Endpoint(name="x")` decorators or one `ep = Endpoint(...)` instance applied twice.

    ## Why is this bad
    `flash build` merges them into one resource. The generated handler imports and serves only the
    first function in alphabetical order; the others are unreachable and their configuration
    (workers, dependencies, ...) is silently dropped.

    ## Example
    ```python
    @Endpoint(name="tts", gpu=GpuGroup.ADA_24)
    async def generate_speech(text: str): ...

    @Endpoint(name="tts")            # FL101: never served
    async def get_voices(): ...
    ```
    Use one name per function: `@Endpoint(name="tts-voices")`.

    ## Fix
    Renames the endpoint of the unreachable function (unsafe: the name is part of the deployed
    endpoint's identity and of callers' URLs).
    """
    groups: dict[tuple[str, str], list[tuple[Endpoint, str]]] = defaultdict(list)
    for endpoint, name in _named(app):
        if endpoint.kind is not EndpointKind.QUEUE:
            continue
        for target in endpoint.targets:
            groups[(target.file.rel, name)].append((endpoint, target.definition.name))
    for (_, name), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: m[1])
        served_endpoint, served = members[0]
        served_target = next(t for t in served_endpoint.targets if t.definition.name == served)
        for endpoint, function in members[1:]:
            target = next(t for t in endpoint.targets if t.definition.name == function)
            same_instance = endpoint is served_endpoint
            span = target.decorator.span if same_instance else _name_span(endpoint)
            fix = None
            expr = endpoint.name_expr
            if not same_instance and isinstance(expr, Literal) and isinstance(expr.value, str):
                new_name = f"{name}-{function.replace('_', '-')}"
                quote = expr.text[-1] if expr.text[-1] in "\"'" else '"'
                fix = Fix(
                    f'Rename the endpoint to "{new_name}"',
                    (TextEdit(target.file.path, expr.span, f"{quote}{new_name}{quote}"),),
                    safe=False,
                )
            yield Finding(
                target.file.path,
                span,
                f"endpoint name '{name}' is also used by '{served}' in this file: the build "
                f"serves only '{served}' (first alphabetically), so '{function}' is unreachable "
                "and its configuration is dropped; give it its own name",
                related=(
                    Related(
                        served_target.file.path,
                        served_target.definition.name_span,
                        f"'{served}' is the function served as '{name}'",
                    ),
                ),
                fix=fix,
            )


@rule(
    "FL102",
    "name-in-multiple-files",
    Severity.ERROR,
    "One endpoint name is defined in more than one file; flash build fails",
)
def name_in_multiple_files(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an endpoint name whose functions live in more than one file of the app: two files that
    both declare `name="x"`, or routes of one load-balanced `Endpoint` registered from two files
    (`from a import api` in `b.py`, then `@api.post(...)`).

    ## Why is this bad
    `flash build` groups functions by endpoint name and rejects a name seen in several files:
    `endpoint 'x' is defined in multiple files: a.py, b.py`. The build fails.

    ## Example
    ```python
    # workers/a.py
    @Endpoint(name="worker")
    def a(): ...
    # workers/b.py
    @Endpoint(name="worker")   # FL102
    def b(): ...
    ```

    ## Fix
    Rename one of the queue endpoints, or keep all routes of a load-balanced endpoint in the file
    that declares it.
    """
    files_by_name: dict[str, dict[str, list[tuple[Endpoint, SourceFile, Span]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for endpoint, name in _named(app):
        if endpoint.kind is EndpointKind.CLIENT:
            if endpoint.decl.form is DeclForm.INSTANCE and endpoint.decl.keyword("id") is None:
                files_by_name[name][endpoint.decl.file.rel].append(
                    (endpoint, endpoint.decl.file, _name_span(endpoint))
                )
            continue
        for target in endpoint.targets:
            span = (
                _name_span(endpoint) if endpoint.decl.file is target.file else target.decorator.span
            )
            files_by_name[name][target.file.rel].append((endpoint, target.file, span))
        for route in endpoint.routes:
            files_by_name[name][route.file.rel].append((endpoint, route.file, route.decorator.span))
    for name, by_file in files_by_name.items():
        if len(by_file) < 2:
            continue
        listing = ", ".join(sorted(by_file))
        for rel, uses in sorted(by_file.items()):
            _, source, span = uses[0]
            related = tuple(
                Related(other[0][1].path, other[0][2], f"'{name}' is also defined in {other_rel}")
                for other_rel, other in sorted(by_file.items())
                if other_rel != rel
            )
            yield Finding(
                source.path,
                span,
                f"endpoint '{name}' is defined in multiple files ({listing}): flash build fails; "
                "each endpoint name must be unique across the app (keep a load-balanced "
                "endpoint's routes in the file that declares it)",
                related=related,
            )


@rule(
    "FL103",
    "mixed-endpoint-kinds",
    Severity.ERROR,
    "One endpoint is used both queue-based and load-balanced",
)
def mixed_endpoint_kinds(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an `Endpoint` instance used both as a direct decorator (`@ep`, queue-based) and for routes
    (`@ep.post("/x")`, load-balanced), and one endpoint name used for both kinds.

    ## Why is this bad
    The patterns are exclusive per instance: importing the module raises `cannot use Endpoint as a
    direct decorator after registering routes` (or the reverse), which fails `flash build`. Two
    instances sharing a name across kinds end up as one resource with an impossible shape.

    ## Example
    ```python
    api = Endpoint(name="api", cpu="cpu3c-1-2")

    @api.post("/run")
    def run(): ...

    @api                 # FL103
    def background(): ...
    ```

    ## Fix
    Split it into two endpoints with their own names.
    """
    kinds_by_name: dict[str, dict[EndpointKind, list[Endpoint]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for endpoint in app.endpoints:
        if endpoint.kind is EndpointKind.MIXED:
            first_route = endpoint.routes[0]
            for target in endpoint.targets:
                yield Finding(
                    target.file.path,
                    target.decorator.span,
                    f"'{endpoint.decl.variable or 'this Endpoint'}' already registers routes "
                    f"(e.g. {first_route.method.upper()} {first_route.path or '?'}); an Endpoint is "
                    "either load-balanced (routes) or queue-based (direct decorator), not both: "
                    "use a second Endpoint with its own name",
                    related=(
                        Related(
                            first_route.file.path,
                            first_route.decorator.span,
                            "route registered here",
                        ),
                    ),
                )
            continue
        name = endpoint_name(app, endpoint)
        if isinstance(name, str) and endpoint.kind in (
            EndpointKind.QUEUE,
            EndpointKind.LOAD_BALANCED,
        ):
            kinds_by_name[name][endpoint.kind].append(endpoint)
    for name, kinds in kinds_by_name.items():
        if len(kinds) < 2:
            continue
        routed = kinds[EndpointKind.LOAD_BALANCED][0]
        for endpoint in kinds[EndpointKind.QUEUE]:
            yield Finding(
                endpoint.decl.file.path,
                _name_span(endpoint),
                f"endpoint name '{name}' is used both queue-based (here) and load-balanced "
                f"(in {routed.decl.file.rel}); give each kind its own name",
                related=(Related(routed.decl.file.path, _name_span(routed), "load-balanced use"),),
            )


@rule(
    "FL104",
    "duplicate-function-name",
    Severity.ERROR,
    "Two endpoint functions or classes share a Python name; flash build fails",
)
def duplicate_function_name(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds endpoint functions or classes with the same Python name anywhere in the app, including a
    module-level alias (`alias = fn`) of a decorated function.

    ## Why is this bad
    The build registers functions by name across the whole app and fails with `Duplicate function
    name 'f' found in resources 'a' and 'b'`. An alias counts as a second function (`found in
    resources 'ep' and 'ep'`).

    ## Example
    ```python
    # a.py
    @Endpoint(name="a")
    def predict(): ...
    # b.py
    @Endpoint(name="b")
    def predict(): ...    # FL104
    ```

    ## Fix
    Rename one of them (and remove module-level aliases of endpoint functions).
    """
    by_name: dict[str, list[tuple[SourceFile, Span]]] = defaultdict(list)
    decorated: dict[tuple[str, str], bool] = {}
    for endpoint in app.endpoints:
        for item in endpoint.functions:
            key = (item.file.rel, item.definition.name)
            if key in decorated:
                continue
            decorated[key] = True
            by_name[item.definition.name].append((item.file, item.definition.name_span))
    for source in app.sources(shipped_only=True):
        for name, bindings in source.facts.bindings.items():
            binding = bindings[-1]
            value = binding.value
            if (
                binding.kind == "assign"
                and isinstance(value, NameExpr)
                and decorated.get((source.rel, value.dotted))
            ):
                yield Finding(
                    source.path,
                    binding.span,
                    f"'{name}' is a module-level alias of endpoint function '{value.dotted}': "
                    f"the build sees '{value.dotted}' twice and fails (Duplicate function name); "
                    "call the function by its own name instead",
                )
    for name, places in by_name.items():
        if len(places) < 2:
            continue
        for index, (source, span) in enumerate(places):
            others = [p for i, p in enumerate(places) if i != index]
            yield Finding(
                source.path,
                span,
                f"endpoint function name '{name}' is also used in "
                f"{', '.join(sorted({o[0].rel for o in others}))}: flash build fails with "
                "'Duplicate function name'; rename one of them",
                related=tuple(
                    Related(o[0].path, o[1], f"'{name}' also defined here") for o in others
                ),
            )


@rule(
    "FL105",
    "unused-endpoint",
    Severity.WARNING,
    "An Endpoint with no routes and no decorated function deploys nothing",
    fix=FixAvailability.UNSAFE,
)
def unused_endpoint(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a module-level `Endpoint(...)` that registers no routes and decorates nothing.

    ## Why is this bad
    The build only creates resources for endpoints that are used; this one is silently ignored, so
    what looks like a deployed endpoint never exists. Usually a route or decorator was forgotten, or
    refers to a different variable.

    ## Example
    ```python
    api = Endpoint(name="api", cpu="cpu3c-1-2")   # FL105: nothing uses `api`

    @Endpoint(name="worker")
    def work(): ...
    ```

    ## Fix
    Removes the unused declaration (unsafe: it may be used through code flash-ls cannot see).
    """
    for endpoint in app.endpoints:
        if endpoint.kind is not EndpointKind.UNUSED:
            continue
        decl = endpoint.decl
        if decl.form not in (DeclForm.INSTANCE, DeclForm.BARE):
            continue
        label = f"'{decl.variable}'" if decl.variable else "this Endpoint"
        yield Finding(
            decl.file.path,
            decl.call.func.span
            if decl.variable is None
            else _variable_span(decl.file, decl.variable, decl.call.span),
            f"{label} has no routes and decorates no function: it deploys nothing; add "
            f'`@{decl.variable or "ep"}.post("/path")` routes or use it as a decorator, or remove it',
            fix=_removal_fix(decl.file, decl.variable, decl.call.span),
        )


def _variable_span(source: SourceFile, variable: str, fallback: Span) -> Span:
    binding = source.facts.binding(variable)
    return binding.span if binding is not None else fallback


def _removal_fix(source: SourceFile, variable: str | None, call_span: Span) -> Fix | None:
    if source.text is None:
        return None
    start_line = call_span.start_line
    if variable is not None:
        binding = source.facts.binding(variable)
        if binding is not None:
            start_line = binding.span.start_line
    lines = source.text.splitlines(keepends=True)
    end_line = call_span.end_line
    if end_line >= len(lines) or lines[end_line][call_span.end_col :].strip():
        return None  # something else shares the line: leave it to a human
    if lines[start_line][: len(lines[start_line]) - len(lines[start_line].lstrip())]:
        return None  # indented (inside if/try): removing may empty a block
    span = Span(start_line, 0, end_line + 1, 0)
    return Fix("Remove the unused Endpoint", (TextEdit(source.path, span, ""),), safe=False)


@rule(
    "FL106",
    "invalid-endpoint-name",
    Severity.ERROR,
    "Endpoint name is empty or not usable as a file name",
)
def invalid_endpoint_name(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks endpoint names: empty names and names with `/`, `\\` or characters not allowed in file
    names are errors; a trailing `-fb` is a warning.

    ## Why is this bad
    Names are not validated by the SDK, but the build writes `handler_<name>.py`: a `/` in the
    name makes the build report success without writing the manifest, and an empty name collides
    with every other unnamed resource. With FlashBoot on, a trailing `-fb` is silently stripped, so
    the deployed name differs from the one in code.

    ## Example
    ```python
    @Endpoint(name="models/llama")   # FL106
    def generate(): ...
    ```
    """
    for endpoint in app.endpoints:
        if endpoint.kind is EndpointKind.UNUSED:
            continue
        expr = endpoint.name_expr
        if expr is None:
            continue
        name = endpoint_name(app, endpoint)
        if not isinstance(name, str):
            continue
        source = endpoint.decl.file
        if name.strip() == "":
            yield Finding(
                source.path, expr.span, "endpoint name is empty: give the endpoint a name"
            )
            continue
        bad = sorted(set(_BAD_NAME_CHARS.findall(name)))
        if bad:
            shown = " ".join(repr(c) for c in bad)
            yield Finding(
                source.path,
                expr.span,
                f"endpoint name '{name}' contains {shown}, which cannot appear in the handler file "
                f"name (handler_{name}.py): the build writes no manifest; use letters, digits, '-' or '_'",
            )
        elif name.endswith("-fb"):
            yield Finding(
                source.path,
                expr.span,
                f"endpoint name '{name}' ends with '-fb', which FlashBoot strips silently: the "
                f"deployed endpoint is named '{name[:-3]}'",
                severity=Severity.WARNING,
            )


@rule(
    "FL107",
    "client-endpoint-misuse",
    Severity.ERROR,
    "Client-mode Endpoint (id= / image=) misused",
)
def client_endpoint_misuse(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks client-mode endpoints, `Endpoint(id=...)` (an existing endpoint) and
    `Endpoint(image=...)` (a custom image): they cannot be used as a decorator or for routes,
    `id` and `image` exclude each other, and `image` needs `name` or `id`.

    ## Why is this bad
    Each case raises while the module is imported (`cannot use Endpoint(image=...) as a
    decorator`, `name or id is required when image= is set`), so `flash build` fails.

    ## Example
    ```python
    remote_llm = Endpoint(id="abc123")

    @remote_llm            # FL107: a client, not a decorator
    def generate(): ...
    ```
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.form is DeclForm.REMOTE:
            continue
        id_kw = decl.keyword("id")
        image_kw = decl.keyword("image")
        if id_kw is None and image_kw is None:
            continue
        which = "id=" if id_kw is not None else "image="
        if id_kw is not None and image_kw is not None:
            yield Finding(
                decl.file.path,
                image_kw.span,
                "Endpoint takes either id= (an existing endpoint) or image= (a custom image), not both",
            )
        if image_kw is not None and id_kw is None and decl.argument("name") is None:
            yield Finding(
                decl.file.path,
                image_kw.span,
                "Endpoint(image=...) needs a name (or an id): name or id is required when image= is set",
            )
        for target in endpoint.targets:
            yield Finding(
                target.file.path,
                target.decorator.span,
                f"Endpoint({which}...) is a client for calling an endpoint, not a decorator: "
                "importing this module fails; declare the function with its own Endpoint(name=...)",
            )
        for route in endpoint.routes:
            yield Finding(
                route.file.path,
                route.decorator.span,
                f"Endpoint({which}...) is a client: .{route.method}() sends an HTTP request instead "
                "of registering a route; declare routes on an Endpoint(name=...) without id=/image=",
            )
