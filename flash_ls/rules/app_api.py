"""FL7xx: checks that exist only in the app API of ``runpod`` (runpod 2.0: ``runpod.App``,
``@app.queue/api/task``): one App per name, one resource per name, decorators called with
keywords, handles the deployed worker can find, stable resource names.

They read the app API reader's model (``App.app_declarations``, ``App.app_api_endpoints``) and the
facts of ``platform.py``'s app API section; nothing imports or runs user code. Route, hardware and
artifact checks of the app API are in ``app_api_resources.py``. Section numbers refer to
runpod-app-api.md (runpod 2.0.0rc2).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from flash_ls import platform
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import CallExpr, NameExpr
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import AppDecl, Endpoint, EndpointKind
from flash_ls.project.evaluation import Unknown
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# The model as these rules read it (shared with app_api_resources.py).


def resources(app: App) -> list[Endpoint]:
    """The app API resources; none (and no reader built) for a project that declares no App."""
    return app.app_api_endpoints if app.uses_app_api else []


def discovered(rel: str) -> bool:
    """Whether discovery imports the file (section 4.1: no skipped directory on its path)."""
    return not any(part in platform.APP_DISCOVERY_SKIPPED_DIRS for part in rel.split("/")[:-1])


def import_order(rel: str) -> tuple[str, ...]:
    """Where discovery imports a file: ``sorted(target.rglob("*.py"))``, by path parts."""
    return tuple(rel.split("/"))


def registration_order(endpoint: Endpoint) -> tuple[tuple[str, ...], Span]:
    return import_order(endpoint.decl.file.rel), endpoint.decl.call.span


def resource_name(endpoint: Endpoint) -> str | None:
    name = endpoint.name
    return name if isinstance(name, str) else None


def name_span(endpoint: Endpoint) -> Span:
    """The ``name=`` value, else the name of the function or class it is derived from."""
    found = endpoint.argument("name")
    if found is not None:
        return found.span
    if endpoint.targets:
        return endpoint.targets[0].definition.name_span
    return endpoint.decl.call.span


def app_label(decl: AppDecl | None) -> str:
    """``App 'name'`` (its variable when the name is computed)."""
    if decl is None:
        return "its App"
    name = decl.name
    if isinstance(name, str):
        return f"App '{name}'"
    return f"App {decl.variable}" if decl.variable else "its App"


def decorator_kind(endpoint: Endpoint) -> str:
    """``queue``/``api``/``task``: the App method its decorator calls."""
    func = endpoint.decl.call.func
    return func.dotted.rpartition(".")[2] if isinstance(func, NameExpr) else "queue"


def what(endpoint: Endpoint) -> str:
    """``function`` or ``class``: what the decorator is on."""
    return endpoint.targets[0].definition.kind if endpoint.targets else "function"


def string_literal(text: str) -> str:
    """``text`` as a double-quoted Python string literal."""
    return json.dumps(text, ensure_ascii=False)


_LOST = (
    "Resources dropped by discovery are neither built nor deployed, and deploy deletes their "
    "existing endpoints (reconcile matches by name)"
)


# ---------------------------------------------------------------------------------------------
# FL701: one App per name.


def _app_name(decl: AppDecl) -> str | None:
    name = decl.name
    return name if isinstance(name, str) and name else None


@rule(
    "FL701",
    "duplicate-app-name",
    Severity.ERROR,
    "Two App objects share a name; discovery keeps the first and drops the other's resources",
)
def duplicate_app_name(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an app name given to more than one `runpod.App(...)` in the project, and the flat
    multi-file layout that creates one App twice: `main.py` declares the App, and a sibling
    module that is not in a package imports it by its plain name (`from main import app`) and
    declares resources on it.

    ## Why is this bad
    `rp flash deploy` imports every file and keeps one App per name, the first it finds; the
    resources of any other App of that name are dropped without a warning. In the flat layout,
    discovery imports `main.py` under a private module name and the sibling's `from main import
    app` imports it again as `main`, so `App("...")` runs twice: when `main.py` sorts before the
    sibling, the sibling's resources land on the second App and are lost. Dropped resources are
    not built or deployed, and deploy deletes their existing endpoints.

    ## Example
    ```python
    # main.py
    app = runpod.App("shop")
    # workers.py
    from main import app

    @app.queue(cpu="cpu3c-1-2")   # FL701: lost by discovery
    def resize(image: str): ...
    ```

    ## Fix
    Give each App its own name. For a multi-file app, declare the resources in the App's module,
    or make the directory a package (`__init__.py`), import the App relatively
    (`from .main import app`) and deploy the package's parent directory.
    """
    if not app.uses_app_api:
        return
    everything = app.app_api_endpoints
    groups: dict[str, list[AppDecl]] = defaultdict(list)
    for decl in app.app_declarations:
        name = _app_name(decl)
        if name is not None:
            groups[name].append(decl)
    for name, decls in groups.items():
        if len(decls) < 2:
            continue
        decls.sort(key=lambda d: (import_order(d.file.rel), d.call.span))
        kept = decls[0]
        for decl in decls[1:]:
            lost = [n for e in everything if e.app_decl is decl and (n := resource_name(e))]
            dropped = f" (here: {', '.join(repr(n) for n in lost)})" if lost else ""
            yield Finding(
                decl.file.path,
                decl.name_span,
                f"app name '{name}' is already used; discovery drops this App",
                related=(
                    Related(kept.file.path, kept.name_span, f"App '{name}' kept by discovery"),
                ),
                notes=(
                    "Discovery keeps one App per name, the first it imports "
                    f"({kept.file.rel}), and silently drops the others with their resources"
                    f"{dropped}",
                    _LOST,
                    "Give each App its own name, or declare the resources on one App object",
                ),
            )
    yield from _created_twice(app, everything)


def _import_graph(app: App) -> dict[str, set[str]]:
    """File -> the app files its module-level absolute imports load (what runs on import)."""
    graph: dict[str, set[str]] = {}
    for source in app.sources():
        if not discovered(source.rel):
            continue
        targets: set[str] = set()
        for imp in source.facts.imports:
            if imp.guarded or imp.level:
                continue  # relative imports fail in a flat layout anyway
            for imported in imp.names:
                found = (
                    app.local_module_file(source, imp, imported.name)
                    if imp.is_from
                    else app.module_file(imported.name)
                )
                if found is not None and found is not source and discovered(found.rel):
                    targets.add(found.rel)
        graph[source.rel] = targets
    return graph


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        rel = todo.pop()
        if rel not in seen:
            seen.add(rel)
            todo.extend(graph.get(rel, ()))
    return seen


def _in_package(app: App, source: SourceFile) -> bool:
    """Whether discovery imports the file by its dotted name (its directory is a package)."""
    folder = source.rel.rpartition("/")[0]
    return (f"{folder}/__init__.py" if folder else "__init__.py") in app.files


def _created_twice(app: App, everything: list[Endpoint]) -> Iterator[Finding]:
    """Section 4.3, item 1: resources declared through a second import of a flat App module."""
    remote: dict[AppDecl, list[Endpoint]] = defaultdict(list)
    for endpoint in everything:
        decl = endpoint.app_decl
        if decl is not None and endpoint.decl.file is not decl.file:
            remote[decl].append(endpoint)
    if not remote:
        return
    graph = app.derived(_import_graph)
    for decl, declared in remote.items():
        home = decl.file
        name = _app_name(decl)
        if name is None or _in_package(app, home):
            continue
        importers = sorted(
            (rel for rel in graph if rel != home.rel and home.rel in _reaches(graph, rel)),
            key=import_order,
        )
        if not importers or import_order(importers[0]) < import_order(home.rel):
            continue  # the plain-name import runs first: that App is kept, nothing is lost
        for endpoint in declared:
            if endpoint.decl.file.rel not in importers:
                continue
            source = endpoint.decl.file
            target = endpoint.targets[0]
            yield Finding(
                source.path,
                target.decorator.span,
                f"resource '{endpoint.key}' is lost: its App is created twice",
                related=(Related(home.path, decl.name_span, f"App '{name}' kept by discovery"),),
                notes=(
                    f"{home.rel} is not in a package: discovery imports it under a private "
                    f"module name, and {source.rel} imports it again as `{home.module}`, so "
                    f'App("{name}") runs twice. Discovery keeps the App created first '
                    f"({home.rel}'s own) and drops the resources of the other",
                    _LOST,
                    f"Declare the resource in {home.rel}, or make the directory a package "
                    "(__init__.py), import the App relatively and deploy the parent directory",
                ),
            )


# ---------------------------------------------------------------------------------------------
# FL702: one resource per name in an App.


@rule(
    "FL702",
    "duplicate-resource-name",
    Severity.ERROR,
    "Two resources of one App share a name; the SDK raises when the second is declared",
)
def duplicate_resource_name(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds two resources of one `App` object with the same name: given with `name=`, or derived
    from the function or class (`name or fn.__name__`). Queue, api and task resources share one
    namespace.

    ## Why is this bad
    The second decorator raises `duplicate resource name '<name>' in app '<app>'` while the module
    is imported. `rp flash deploy main.py` fails; a directory deploy only logs a warning, skips the
    whole file and deploys without its resources, deleting their existing endpoints.

    ## Example
    ```python
    @app.queue(cpu="cpu3c-1-2")
    def embed(text: str): ...

    @app.task(name="embed")   # FL702
    def embed_batch(texts: list): ...
    ```

    ## Fix
    Give one of them another `name=`. Apps are separate namespaces, so two Apps may both have an
    `embed`.
    """
    groups: dict[tuple[AppDecl, str], list[Endpoint]] = defaultdict(list)
    for endpoint in resources(app):
        name = resource_name(endpoint)
        if endpoint.app_decl is not None and name is not None and endpoint.decl.called:
            groups[(endpoint.app_decl, name)].append(endpoint)
    for (decl, name), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=registration_order)
        first = members[0]
        app_name = decl.name if isinstance(decl.name, str) else decl.variable or "?"
        for endpoint in members[1:]:
            derived = endpoint.argument("name") is None
            source = endpoint.decl.file
            yield Finding(
                source.path,
                name_span(endpoint),
                f"resource name '{name}' is already used in {app_label(decl)}",
                related=(
                    Related(
                        first.decl.file.path, name_span(first), f"'{name}' is first declared here"
                    ),
                ),
                notes=(
                    f"The SDK raises when this decorator runs: duplicate resource name '{name}' "
                    f"in app '{app_name}'"
                    + (f" (the name comes from the {what(endpoint)} name)" if derived else ""),
                    f"Deploying {source.rel} fails; a directory deploy skips the whole file "
                    "with a warning, and deploy deletes the endpoints of its resources",
                    "Give it another name=: queue, api and task resources of one App share "
                    "one namespace",
                ),
            )


# ---------------------------------------------------------------------------------------------
# FL703: decorators are keyword-only factories.


@rule(
    "FL703",
    "resource-decorator-call",
    Severity.ERROR,
    "@app.queue/api/task used without a call or with positional arguments",
    fix=FixAvailability.SOMETIMES,
)
def resource_decorator_call(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds `@app.queue`, `@app.api` and `@app.task` used without parentheses, or called with
    positional arguments (`@app.queue("embed")`).

    ## Why is this bad
    The three are keyword-only decorator factories. Without a call, the function itself is
    passed as the first argument; with a positional argument, it is too many. Either way the
    module fails to import: `TypeError: App.queue() takes 1 positional argument but 2 were given`,
    so deploying the file fails, and a directory deploy skips the file and its resources.

    ## Example
    ```python
    @app.queue            # FL703: @app.queue()
    def embed(text: str): ...

    @app.api("web")      # FL703: @app.api(name="web")
    def web(): ...
    ```

    ## Fix
    Adds `()` to an uncalled decorator (safe). A single positional string becomes `name=` (unsafe:
    check that it was meant as the resource name).
    """
    for endpoint in resources(app):
        target = endpoint.targets[0]
        source = target.file
        kind = decorator_kind(endpoint)
        sdk_error = f"TypeError: App.{kind}() takes 1 positional argument but 2 were given"
        call = endpoint.decl.call
        if not endpoint.decl.called:
            expr = target.decorator.expr
            end = Span.point(expr.span.end_line, expr.span.end_col)
            yield Finding(
                source.path,
                expr.span,
                f"@{expr.text} must be called: @{expr.text}()",
                fix=Fix(f"Call it: @{expr.text}()", (TextEdit(source.path, end, "()"),)),
                notes=(
                    f"The SDK raises when the module is imported: {sdk_error}",
                    "Deploying the file fails; a directory deploy skips it and its resources",
                ),
            )
            continue
        if not call.args:
            continue
        first, last = call.args[0].span, call.args[-1].span
        span = Span(first.start_line, first.start_col, last.end_line, last.end_col)
        error = _positional_error(kind, call)
        yield Finding(
            source.path,
            span,
            f"@{call.func.text}() takes keyword arguments only",
            fix=_name_keyword_fix(source, call),
            notes=(
                "The SDK raises when the module is imported: "
                + (f"TypeError: {error}" if error else "a TypeError"),
                "Pass every setting by keyword; the resource name is name=",
            ),
        )


def _positional_error(kind: str, call: CallExpr) -> str | None:
    """Python's ``TypeError`` for ``app.<kind>(*args, **keywords)``; None when it depends on
    run-time values (``*args``, ``**spread``)."""
    if call.has_star_args or any(k.name is None for k in call.keywords):
        return None
    accepted = platform.APP_RESOURCE_PARAMETERS.get(kind, ())
    for keyword in call.keywords:
        if keyword.name not in accepted:
            return f"App.{kind}() got an unexpected keyword argument '{keyword.name}'"
    given, keywords = 1 + len(call.args), len(call.keywords)
    if not keywords:
        return f"App.{kind}() takes 1 positional argument but {given} were given"
    plural = "s" if keywords > 1 else ""
    return (
        f"App.{kind}() takes 1 positional argument but {given} positional arguments "
        f"(and {keywords} keyword-only argument{plural}) were given"
    )


def _name_keyword_fix(source: SourceFile, call: CallExpr) -> Fix | None:
    """``@app.queue("embed")`` -> ``@app.queue(name="embed")``: one positional string, no name=."""
    if len(call.args) != 1 or call.keyword("name") is not None or call.has_star_args:
        return None
    arg = call.args[0]
    if arg.text.startswith("*"):
        return None
    return Fix(
        f"Pass it as name={arg.text}",
        (TextEdit(source.path, arg.span, f"name={arg.text}"),),
        safe=False,
    )


# ---------------------------------------------------------------------------------------------
# FL704: handles the deployed worker can find.


_NOT_FOUND = (
    "A deployed worker imports the module and looks for the handle among its module-level "
    "names; it never finds this one, so the resource deploys but every request fails"
)


@rule(
    "FL704",
    "handle-not-module-global",
    Severity.WARNING,
    "A resource handle is not bound to a unique module-level name; deployed workers miss it",
)
def handle_not_module_global(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds resources whose handle does not end up bound to its own module-level name: declared
    inside a function or class body, or declared at module level on a name that is bound again
    later in the module (a second `def` of the same name, an assignment, an import).

    ## Why is this bad
    The worker of a deployed resource imports its module and scans the module's globals for the
    handle whose resource name it serves. A handle made inside a function or class is not among
    them, and a handle whose name is rebound is replaced: the resource builds and deploys, but the
    worker does not find it and requests fail. (Read from the worker runtime and checked by
    simulating it: the runtime is not released with runpod 2.0.0rc2.)

    ## Example
    ```python
    @app.queue(name="small", cpu="cpu3c-1-2")
    def embed(text: str): ...      # FL704: rebound below

    @app.queue(name="large", gpu="H100")
    def embed(text: str): ...
    ```

    ## Fix
    Declare each resource at module level on a function or class name used once.
    """
    if not app.uses_app_api:
        return
    for endpoint in app.app_api_endpoints:
        target = endpoint.targets[0]
        source, definition = target.file, target.definition
        later = [
            b
            for b in source.facts.bindings.get(definition.name, [])
            if b.span > definition.name_span and not (b.import_ is not None and b.import_.guarded)
        ]
        if not later:
            continue
        again = later[0]
        yield Finding(
            source.path,
            definition.name_span,
            f"'{definition.name}' is bound again on line {again.span.start_line + 1}; "
            f"workers miss '{endpoint.key}'",
            related=(Related(source.path, again.span, f"'{definition.name}' is rebound here"),),
            notes=(_NOT_FOUND, f"Give the {definition.kind} a name no other statement binds"),
        )
    yield from _nested(app)


def _nested(app: App) -> Iterator[Finding]:
    """``@app.queue(...)`` (any resource decorator call) inside a module-level function or class
    on an App that the body reads from module level."""
    reader = app.app_api
    for source in app.sources():
        if not discovered(source.rel) or not source.facts.fully_parsed:
            continue
        for definition in source.facts.definitions:
            free = {use.name for use in definition.body.free_names}
            for call in definition.body.calls:
                base, _, attr = call.callee.rpartition(".")
                if attr not in platform.APP_RESOURCE_DECORATORS or base.split(".")[0] not in free:
                    continue
                if reader.app_for(source, base, None) is None:
                    continue
                yield Finding(
                    source.path,
                    call.span,
                    f"resource declared inside {definition.kind} '{definition.name}'",
                    notes=(
                        _NOT_FOUND,
                        "A resource declared in a function is also registered only when the "
                        "function runs, so discovery may never see it",
                        f"Declare it at module level: @{base}.{attr}(...) on a top-level "
                        "function or class",
                    ),
                )


# ---------------------------------------------------------------------------------------------
# FL707: stable resource names.


@rule(
    "FL707",
    "derived-resource-name",
    Severity.HINT,
    "A resource's name comes from its function or class name; renaming it replaces the endpoint",
    fix=FixAvailability.SAFE,
)
def derived_resource_name(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds queue and api resources without a `name=` (or with a falsy one, `None` or `""`): the
    SDK names them after the decorated function or class (`name or fn.__name__`).

    ## Why is this bad
    The deployed endpoint is named after the resource, and deploy reconciles endpoints by name.
    Renaming the function in a refactoring renames the resource: the next deploy deletes the old
    endpoint (its ID, URL and settings) and creates a new one, and callers that use the old name
    (`runpod.Queue(app=..., name=...)`) break. Tasks are exempt: they are pods, not endpoints.

    ## Example
    ```python
    @app.queue(gpu="L4")          # FL707: the endpoint is called 'transcribe'
    def transcribe(audio: str): ...
    ```

    ## Fix
    Adds `name="<the current name>"` to the decorator, which keeps the deployed endpoint as it is.
    """
    for endpoint in resources(app):
        if endpoint.kind not in (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED):
            continue
        derived = endpoint.derived_name
        call = endpoint.decl.call
        if derived is None or not endpoint.decl.called or call.args or endpoint.name != derived:
            continue  # uncalled or positional: FL703 first
        given = endpoint.argument("name")
        if given is not None and (isinstance(given.value, Unknown) or given.value):
            continue
        target = endpoint.targets[0]
        source, definition = target.file, target.definition
        literal = string_literal(derived)
        edit = _name_edit(endpoint, literal)
        yield Finding(
            source.path,
            definition.name_span,
            f"resource name '{derived}' comes from the {definition.kind} name",
            fix=Fix(f"Add name={literal}", (edit,)) if edit is not None else None,
            notes=(
                f"Renaming the {definition.kind} renames the resource: the next deploy deletes "
                f"endpoint '{derived}' and creates a new one",
                f"Set name={literal} to keep the endpoint when the code is renamed",
            ),
        )


def _name_edit(endpoint: Endpoint, literal: str) -> TextEdit | None:
    source = endpoint.decl.file
    call = endpoint.decl.call
    given = endpoint.argument("name")
    if given is not None:  # ``name=None`` / ``name=""``, written in the call
        return TextEdit(source.path, given.expr.span, literal)
    items = [*(a.span for a in call.args), *(k.span for k in call.keywords)]
    if items:
        first = min(items)
        return TextEdit(
            source.path, Span.point(first.start_line, first.start_col), f"name={literal}, "
        )
    func = call.func.span
    rest = call.text[len(call.func.text) :] if call.text.startswith(call.func.text) else ""
    if rest.replace(" ", "") != "()":
        return None  # a comment or a line break inside the parentheses: leave it to the user
    span = Span(func.end_line, func.end_col, call.span.end_line, call.span.end_col)
    return TextEdit(source.path, span, f"(name={literal})")
