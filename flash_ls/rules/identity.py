"""FL1xx: endpoint identity, the 1:1:1 queue rule (one name, one function, one endpoint), and
where an endpoint's routes live relative to its declaration (FL109)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from flash_ls import platform
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.fixes.declarations import (
    move_declaration,
    overwritten_declarations,
    removal_edit,
    removal_edits,
)
from flash_ls.parse.facts import Binding, CallExpr, Import, Literal, NameExpr
from flash_ls.platform import FLASHBOOT_NAME_SUFFIX, handler_file, unsafe_name_characters
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointKind, Route
from flash_ls.project.evaluation import Unknown
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(name: str) -> str:
    """The name with control characters escaped, safe to print in a message or terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], name)


def _name_span(endpoint: Endpoint) -> Span:
    expr = endpoint.name_expr
    if expr is not None:
        return expr.span
    if endpoint.targets:
        return endpoint.targets[0].decorator.span
    return endpoint.decl.call.span


def _named(app: App) -> Iterator[tuple[Endpoint, str]]:
    for endpoint in app.endpoints:
        name = endpoint.name
        if isinstance(name, str):
            yield endpoint, name


def _unused(name: str, taken: set[str]) -> str:
    """``name``, else ``name-2``, ``name-3``...: the first that no endpoint of the app uses."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


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
    taken = {name for _, name in _named(app)}  # a new name must not make another clash
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
                new_name = _unused(f"{name}-{function.replace('_', '-')}", taken)
                taken.add(new_name)
                quote = expr.text[-1] if expr.text[-1] in "\"'" else '"'
                fix = Fix(
                    f'Rename the endpoint to "{new_name}"',
                    (TextEdit(target.file.path, expr.span, f"{quote}{new_name}{quote}"),),
                    safe=False,
                )
            yield Finding(
                target.file.path,
                span,
                f"'{function}' is never served as endpoint '{name}'",
                notes=(
                    f"it shares the name with '{served}': flash build merges the functions of "
                    "one queue endpoint name in a file, serves only the first in alphabetical "
                    "order and drops the others' configuration",
                    f"give '{function}' its own endpoint name",
                ),
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
    fix=FixAvailability.UNSAFE,
)
def name_in_multiple_files(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an endpoint name whose functions live in more than one file of the app: two files that
    both declare `name="x"`, or routes of one load-balanced `Endpoint` registered from two files
    (`from a import api` in `b.py`, then `@api.post(...)`). The finding sits on the `name=` value
    of each declaration sharing the name, and on the route decorators where the routes of one
    endpoint are split across files.

    When a load-balanced endpoint's routes are all in one file other than its declaration's, the
    build succeeds but loses the endpoint's configuration: that is FL109. When they are spread
    over several files (or one is in the declaring file), the build fails: that is this rule, and
    FL109 stays quiet.

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
    Renames a declaration to `<name>-<file>` (unsafe: the name is part of the deployed endpoint's
    identity and of callers' URLs); offered where the endpoint's functions all live in the file
    that declares it. For routes of one load-balanced endpoint spread over files, register them
    all in the file that declares it (no automatic fix).
    """
    names: set[str] = set()
    files_by_name: dict[str, dict[str, list[tuple[Endpoint, SourceFile, Span]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for endpoint, name in _named(app):
        names.add(name)
        if endpoint.kind is EndpointKind.CLIENT:
            if endpoint.decl.form is DeclForm.INSTANCE and endpoint.decl.keyword("id") is None:
                files_by_name[name][endpoint.decl.file.rel].append(
                    (endpoint, endpoint.decl.file, _name_span(endpoint))
                )
            continue
        split = _split(endpoint)
        for item in endpoint.functions:
            # A declaration: at its name= value (what a rename edits); split routes: at the route.
            at_name = endpoint.decl.file is item.file and not split
            span = _name_span(endpoint) if at_name else item.decorator.span
            files_by_name[name][item.file.rel].append((endpoint, item.file, span))
    for name, by_file in files_by_name.items():
        if len(by_file) < 2:
            continue
        listing = ", ".join(sorted(by_file))
        for rel, uses in sorted(by_file.items()):
            endpoint, source, span = next((u for u in uses if u[0].decl.file is u[1]), uses[0])
            others = [other_rel for other_rel in sorted(by_file) if other_rel != rel]
            related = tuple(
                Related(by_file[other][0][1].path, by_file[other][0][2], f"'{name}' in {other}")
                for other in others
            )
            if _split(endpoint):
                advice = (
                    f"register every route of '{name}' in {endpoint.decl.file.rel}, the file "
                    "that declares it"
                )
            else:
                advice = "rename one of the endpoints"
            yield Finding(
                source.path,
                span,
                f"endpoint '{name}' also defined in {_files_label(others)}",
                notes=(
                    f"flash build fails: endpoint '{name}' is defined in multiple files "
                    f"({listing})",
                    advice,
                ),
                related=related,
                fix=_rename_fix(endpoint, name, names) if endpoint.decl.file is source else None,
            )


def _split(endpoint: Endpoint) -> bool:
    """Whether an endpoint's functions live outside the file that declares it (LB routes)."""
    return any(item.file is not endpoint.decl.file for item in endpoint.functions)


def _files_label(rels: list[str]) -> str:
    """``b.py`` / ``b.py and 2 other files``: short enough for a one-line message."""
    if len(rels) == 1:
        return rels[0]
    return f"{rels[0]} and {len(rels) - 1} other file{'s' if len(rels) > 2 else ''}"


def _rename_fix(endpoint: Endpoint, name: str, taken: set[str]) -> Fix | None:
    """Rename a declaration whose functions all live in its own file to ``<name>-<file stem>``."""
    expr = endpoint.name_expr
    if not (isinstance(expr, Literal) and isinstance(expr.value, str)):
        return None
    source = endpoint.decl.file
    if _split(endpoint):
        return None  # routes split across files: renaming this declaration does not help
    stem = source.module.rpartition(".")[2] or source.path.parent.name
    new_name = f"{name}-{stem.replace('_', '-')}"
    if new_name in taken:
        return None
    quote = expr.text[-1] if expr.text[-1] in "\"'" else '"'
    return Fix(
        f'Rename the endpoint to "{new_name}"',
        (TextEdit(source.path, expr.span, f"{quote}{new_name}{quote}"),),
        safe=False,
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
            label = f"'{endpoint.decl.variable}'" if endpoint.decl.variable else "this Endpoint"
            for target in endpoint.targets:
                yield Finding(
                    target.file.path,
                    target.decorator.span,
                    f"{label} registers routes and is used as a decorator",
                    notes=(
                        "an Endpoint is either load-balanced (routes) or queue-based (direct "
                        "decorator); importing the module fails",
                        f"use a second Endpoint with its own name for '{target.definition.name}'",
                    ),
                    related=(
                        Related(
                            first_route.file.path,
                            first_route.decorator.span,
                            f"route {first_route.method.upper()} {first_route.path or '?'} "
                            "registered here",
                        ),
                    ),
                )
            continue
        name = endpoint.name
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
                f"endpoint name '{name}' is both queue-based and load-balanced",
                notes=(
                    f"it is load-balanced in {routed.decl.file.rel}; the build makes one resource "
                    "of both, with an impossible shape",
                    "give each kind its own endpoint name",
                ),
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
                    f"'{name}' aliases endpoint function '{value.dotted}'",
                    notes=(
                        f"a module-level alias makes flash build see '{value.dotted}' twice "
                        "and fail with 'Duplicate function name'",
                        "call the function by its own name instead",
                    ),
                )
    for name, places in by_name.items():
        if len(places) < 2:
            continue
        for index, (source, span) in enumerate(places):
            others = [p for i, p in enumerate(places) if i != index]
            yield Finding(
                source.path,
                span,
                f"duplicate endpoint function name '{name}'",
                notes=(
                    f"it is also used in {_files_label(sorted({o[0].rel for o in others}))}; "
                    "flash build fails with 'Duplicate function name'",
                    "rename one of them",
                ),
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
        # ``api = Endpoint(...)`` repeated: the earlier ones are dead too, and go with the last
        # (one finding per variable, so one fix round removes them all).
        overwritten = (
            overwritten_declarations(decl.file, decl.variable, decl.call)[::-1]
            if decl.variable
            else []
        )
        yield Finding(
            decl.file.path,
            decl.call.func.span
            if decl.variable is None
            else _variable_span(decl.file, decl.variable, decl.call.span),
            f"{label} has no routes and decorates no function",
            notes=(
                "the build creates resources only for endpoints in use: this one deploys nothing",
                f'add `@{decl.variable or "ep"}.post("/path")` routes, use it as a decorator, '
                "or remove it",
            ),
            related=tuple(
                Related(
                    decl.file.path,
                    binding.span,
                    f"{label} is also bound to an Endpoint here, overwritten before it is read",
                )
                for binding in overwritten
            ),
            fix=_removal_fix(decl.file, decl.variable, decl.call.span, overwritten),
        )


def _variable_span(source: SourceFile, variable: str, fallback: Span) -> Span:
    binding = source.facts.binding(variable)
    return binding.span if binding is not None else fallback


def _removal_fix(
    source: SourceFile, variable: str | None, call_span: Span, overwritten: list[Binding]
) -> Fix | None:
    edit = removal_edit(source, variable, call_span)
    if edit is None:
        return None
    earlier = removal_edits(source, overwritten)
    message = "Remove the unused Endpoint"
    if earlier:
        count = "the earlier declaration" if len(earlier) == 1 else f"{len(earlier)} earlier ones"
        message += f" and {count} it overwrites"
    return Fix(message, (*earlier, edit), safe=False)


@rule(
    "FL106",
    "invalid-endpoint-name",
    Severity.ERROR,
    "Endpoint name is empty or not usable as a file name",
    app_api=True,
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

    ## App API resources
    Also checks `@app.queue/api/task(...)` resources of the app API of runpod 2.0, with its
    rules: a `name=` that is not a string raises when the decorator runs, and a queue or api
    resource name (given, or derived from the function or class) shorter than 3 characters fails
    `rp flash deploy` after vendoring. rc2 accepts any other characters, and a falsy name takes
    the function's name, so the runpod_flash checks do not apply there.
    """
    for endpoint in app.endpoints:
        if endpoint.kind is EndpointKind.UNUSED:
            continue
        expr = endpoint.name_expr
        if expr is None:
            continue
        name = endpoint.name
        if not isinstance(name, str):
            continue
        source = endpoint.decl.file
        if name.strip() == "":
            yield Finding(
                source.path,
                expr.span,
                "endpoint name is empty",
                notes=(
                    "the build writes handler_.py, shared with every other unnamed resource",
                    "give the endpoint a name",
                ),
            )
            continue
        bad = unsafe_name_characters(name)
        if bad:
            shown = " ".join(repr(c) for c in bad)
            yield Finding(
                source.path,
                expr.span,
                f"endpoint name '{_printable(name)}' contains {shown}",
                notes=(
                    f"the build cannot write the handler file {_printable(handler_file(name))}, so "
                    "it writes no manifest",
                    "use letters, digits, '-' or '_'",
                ),
            )
        elif name.endswith(FLASHBOOT_NAME_SUFFIX):
            yield Finding(
                source.path,
                expr.span,
                f"endpoint name '{name}' ends with '{FLASHBOOT_NAME_SUFFIX}', which FlashBoot "
                "strips",
                notes=(
                    f"the deployed endpoint is named '{name.removesuffix(FLASHBOOT_NAME_SUFFIX)}'",
                ),
                severity=Severity.WARNING,
            )
    yield from _app_api_names(app)


def _app_api_names(app: App) -> Iterator[Finding]:
    """Resource names of the app API of runpod 2.0: a string (checked when the decorator runs),
    and for queue and api resources at least 3 characters (checked by the build)."""
    if not app.uses_app_api:
        return
    for endpoint in app.app_api_endpoints:
        if not endpoint.decl.called or not endpoint.targets:
            continue
        source = endpoint.decl.file
        given = endpoint.argument("name")
        if given is not None and not isinstance(given.value, (str, Unknown)) and given.value:
            yield Finding(
                source.path,
                given.span,
                f"resource name {given.expr.text[:30]} is not a string",
                notes=(
                    "The SDK raises when the decorator runs: InvalidResourceError: "
                    f"{platform.APP_NAME_TYPE_MESSAGE}",
                    "Give name= a string",
                ),
            )
            continue
        name = endpoint.name
        kinds = (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED)
        if not isinstance(name, str) or endpoint.kind not in kinds:
            continue
        if len(name) >= platform.APP_MIN_RESOURCE_NAME_LENGTH:
            continue
        definition = endpoint.targets[0].definition
        derived = given is None or not given.value
        span = definition.name_span if given is None or not given.value else given.span
        yield Finding(
            source.path,
            span,
            f"resource name '{name}' is too short to deploy",
            notes=(
                "rp flash deploy fails after vendoring the dependencies: InvalidResourceError: "
                + platform.app_short_name_message(name),
                *((f"The name comes from the {definition.kind} name",) if derived else ()),
                f"Use a name of at least {platform.APP_MIN_RESOURCE_NAME_LENGTH} characters "
                "(tasks are exempt)",
            ),
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
                "id= and image= given together",
                notes=(
                    "Endpoint takes either id= (an existing endpoint) or image= (a custom image); "
                    "importing the module fails",
                ),
            )
        if image_kw is not None and id_kw is None and decl.argument("name") is None:
            yield Finding(
                decl.file.path,
                image_kw.span,
                "image= given without name= or id=",
                notes=("importing the module fails: name or id is required when image= is set",),
            )
        for target in endpoint.targets:
            yield Finding(
                target.file.path,
                target.decorator.span,
                f"client Endpoint({which}...) used as a decorator",
                notes=(
                    "a client calls an existing endpoint; using it as a decorator fails when the "
                    "module is imported",
                    f"declare '{target.definition.name}' with its own Endpoint(name=...)",
                ),
            )
        for route in endpoint.routes:
            yield Finding(
                route.file.path,
                route.decorator.span,
                f"client Endpoint({which}...) used to register a route",
                notes=(
                    f"on a client, .{route.method}() sends an HTTP request instead of registering "
                    "a route",
                    "declare routes on an Endpoint(name=...) without id= or image=",
                ),
            )


@rule(
    "FL109",
    "routes-outside-declaring-module",
    Severity.ERROR,
    "Every route of a load-balanced Endpoint is registered outside the module that declares it",
    fix=FixAvailability.UNSAFE,
)
def routes_outside_declaring_module(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a load-balanced `Endpoint` declared in one module (`api = Endpoint(...)` in
    `common.py`) whose routes are all registered in one other module (`from common import api`,
    then `@api.post(...)` in `routes.py`). Reported at the import of the instance in the routes'
    module (at the first route when it is reached another way), with the declaration as related
    information.

    ## Why is this bad
    `flash build` succeeds, but the manifest builder reads an endpoint's deployment configuration
    from the module its routes live in, fails there and swallows the error: the endpoint is built
    with no image, hardware, workers, idle timeout or template, so it cannot deploy as declared.

    When the routes are spread over several modules the build fails outright instead: that is
    FL102, and this rule stays quiet. A route registered in the declaring module itself makes the
    other modules' routes FL102 too.

    ## Example
    ```python
    # common.py
    from runpod_flash import Endpoint
    api = Endpoint(name="api", cpu="cpu3c-1-2", workers=(1, 3))

    # routes.py
    from common import api      # FL109

    @api.post("/classify")
    async def classify(text: str): ...
    ```
    Declare the Endpoint where its routes are:
    ```python
    # routes.py
    from runpod_flash import Endpoint
    api = Endpoint(name="api", cpu="cpu3c-1-2", workers=(1, 3))

    @api.post("/classify")
    async def classify(text: str): ...
    ```

    ## Fix
    Moves the declaration into the routes' module, in place of its import there, with the imports
    its arguments need (unsafe: it rewrites two files). Offered only when the routes' module
    imports it with a plain `from <module> import <name>`, the declaring module uses the name for
    nothing else, no other file imports it (or the whole declaring module), and every name the
    declaration reads can be imported in the routes' module.
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if (
            endpoint.kind is not EndpointKind.LOAD_BALANCED
            or decl.form is not DeclForm.INSTANCE
            or decl.is_client
        ):
            continue
        files = {route.file.rel: route.file for route in endpoint.routes}
        if decl.file.rel in files or len(files) != 1:
            continue  # routes at home, or spread over several files (FL102: the build fails)
        (routes,) = files.values()
        first = min(endpoint.routes, key=lambda r: r.decorator.span)
        span, statement = _instance_import(routes, first)
        label = endpoint.label
        fix = None
        if statement is not None:
            edits = move_declaration(app, endpoint, routes, statement)
            if edits is not None:
                fix = Fix(
                    f"Move the declaration of '{decl.variable}' into {routes.rel}",
                    edits,
                    safe=False,
                )
        yield Finding(
            routes.path,
            span,
            f"routes of {label} are all outside its module",
            notes=(
                f"{decl.file.rel} declares it; flash build succeeds but writes {label} with no "
                "deployment config (image, hardware, workers, template)",
                f"declare the Endpoint in {routes.rel}, where its routes are registered",
            ),
            related=(
                Related(
                    decl.file.path,
                    _variable_span(decl.file, decl.variable or "", decl.call.span),
                    f"{label} is declared here",
                ),
            ),
            fix=fix,
        )


def _instance_import(routes: SourceFile, route: Route) -> tuple[Span, Import | None]:
    """Where a route's module gets the Endpoint: the imported name and its statement, or the
    route decorator when the instance is reached another way (an alias, say)."""
    expr = route.decorator.expr
    func = expr.func if isinstance(expr, CallExpr) else expr
    dotted = func.dotted if isinstance(func, NameExpr) else ""
    binding = routes.facts.binding(dotted.partition(".")[0])
    if binding is not None and binding.kind == "import" and binding.imported is not None:
        return binding.imported.span, binding.import_
    return route.decorator.span, None
