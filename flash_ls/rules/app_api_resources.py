"""FL7xx (continued): what app API resources are given: routes of ``@app.api`` classes, GPU
strings, and the torch auto-exclusion of the build (runpod 2.0's ``runpod.App``).

Like ``app_api.py`` these read only the app API reader's model and ``platform.py``'s app API
facts; section numbers refer to runpod-app-api.md (runpod 2.0.0rc2).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from flash_ls import platform
from flash_ls.diagnostic import Related, Severity
from flash_ls.parse.facts import Expr, SequenceExpr
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import AppDecl, Endpoint, EndpointKind, Route
from flash_ls.project.evaluation import EnumValue, Unknown, Value, evaluate
from flash_ls.rules.app_api import app_label, registration_order, resources
from flash_ls.rules.registry import Finding, rule
from flash_ls.rules.routes import _covers as covers  # Starlette matching, shared with FL202
from flash_ls.span import Span

_PATH_PARAM = re.compile(r"\{([^{}:]*)(?::[^{}]*)?\}")


def _api_classes(app: App) -> Iterator[Endpoint]:
    """``@app.api`` classes (an ASGI factory serves its own routes)."""
    for endpoint in resources(app):
        targets = endpoint.targets
        kind = endpoint.kind
        if kind is EndpointKind.LOAD_BALANCED and targets and targets[0].definition.kind == "class":
            yield endpoint


def _route_span(route: Route) -> Span:
    expr = route.path_expr
    return expr.span if expr is not None else route.decorator.span


def _label(route: Route) -> str:
    return f"{route.method.upper()} {route.path}"


# ---------------------------------------------------------------------------------------------
# FL705: what a route handler is called with.


@rule(
    "FL705",
    "route-parameters-not-passed",
    Severity.WARNING,
    "A route of an @app.api class expects path, query or extra arguments the runtime never passes",
)
def route_parameters_not_passed(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks the routes of `@app.api` classes against how the worker runtime calls them: with the
    JSON body (`handler(body)`) for a request that has one, with nothing (`handler()`) for every
    `GET` and for empty bodies. It reports path parameters (`/items/{item_id}`) and query strings
    (`/search?q=x`) in a route path (a warning: the handler never receives them), and handlers
    that require more arguments than they are given (an error: every request fails).

    ## Why is this bad
    The SDK accepts any path that starts with `/`, but the runtime mounts each route with an
    endpoint that passes only the body. A handler with a required `item_id` gets a `TypeError`,
    and the request an HTTP 500; a `GET` handler that requires `body` fails on every request.

    ## Example
    ```python
    @app.api(cpu="cpu5c-2-4")
    class Items:
        @runpod.get("/items/{item_id}")       # FL705: item_id is never passed
        def get_item(self, item_id: str): ...  # FL705: fails on every request
    ```

    ## Fix
    Take what the handler needs from the JSON body of a `POST`: `(self, body)`, and give `body`
    a default when the route must also serve empty bodies.
    """
    for endpoint in _api_classes(app):
        for route in endpoint.routes:
            path, handler = route.path, route.handler
            source = route.file
            if path is not None:
                names = _PATH_PARAM.findall(path)
                if names:
                    listed = ", ".join("{" + name + "}" for name in names)
                    yield Finding(
                        source.path,
                        _route_span(route),
                        f"path parameter {listed} never reaches '{route.handler_name}'",
                        notes=(
                            "The runtime calls route handlers with the JSON body or with "
                            "nothing; path parameters are not passed",
                            "Send the value in the body of a POST, or serve the app from an "
                            "ASGI factory (@app.api on a function returning a FastAPI app)",
                        ),
                    )
                if "?" in path:
                    yield Finding(
                        source.path,
                        _route_span(route),
                        f"query string in route path of '{route.handler_name}'",
                        notes=(
                            "The runtime passes handlers only the JSON body; query parameters "
                            "never reach them, and a path with '?' matches no request path",
                            "Drop the query from the path and send the values in the body",
                        ),
                    )
            if handler is None:
                continue
            method = route.method.upper()
            allowed = 0 if method == "GET" else 1
            if handler.required_params <= allowed:
                continue
            if allowed == 0:
                message = f"GET handler '{handler.name}' requires an argument; GET passes none"
                why = "The runtime calls GET handlers with no arguments (there is no body)"
            else:
                message = (
                    f"handler '{handler.name}' requires {handler.required_params} arguments; "
                    "it gets 1"
                )
                why = "The runtime calls a handler with the JSON body or with nothing"
            yield Finding(
                source.path,
                handler.span,
                message,
                severity=Severity.ERROR,
                notes=(
                    why,
                    "Every request fails with a TypeError (HTTP 500)",
                    "Use (self) or (self, body), with a default for body if it may be absent",
                ),
            )


# ---------------------------------------------------------------------------------------------
# FL706: GPU strings, resolved as the SDK resolves them.


@rule(
    "FL706",
    "gpu-string",
    Severity.ERROR,
    "A gpu= string matches no GPU, or more GPUs than it names",
)
def gpu_string(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Resolves every `gpu=` string of a resource exactly as the SDK does (`resolve_gpu_string`):
    `"any"`, then a pool id (`"ADA_24"`), then a device name or enum member name
    (`"NVIDIA L4"`, `"NVIDIA_L4"`), then a fragment of device names (`"4090"`, `"H100"`). It
    reports strings that match nothing (an error, as the SDK raises), values that are neither a
    string nor a `GpuGroup`/`GpuType` (an error), and fragments that match devices of more than
    one pool (a warning): `"A40"` also matches the RTX A4000, `"GeForce"` three pools, and `""`
    or `"NVIDIA"` every GPU.

    ## Why is this bad
    An unknown string raises `InvalidResourceError` when the decorator runs, so the module fails
    to import. A fragment is a substring match: queue and api endpoints then admit every pool of
    the matched devices, and tasks every matched device, which may be slower or dearer GPUs than
    the one meant.

    ## Example
    ```python
    @app.queue(gpu="A40")        # FL706: also NVIDIA RTX A4000 (pool AMPERE_16)
    def embed(text: str): ...

    @app.queue(gpu="A100X")      # FL706: unknown gpu 'A100X'
    def train(): ...
    ```

    ## Fix
    Name a device exactly (`"NVIDIA A40"`, `GpuType.NVIDIA_A40`) or a pool (`GpuGroup.AMPERE_48`),
    or list the ones meant; `"any"` for any GPU.
    """
    for endpoint in resources(app):
        found = endpoint.argument("gpu")
        if found is None:
            continue
        source = endpoint.decl.file
        for span, value in _gpu_entries(app, endpoint, found.expr, found.value):
            if isinstance(value, (Unknown, EnumValue)):
                continue
            if not isinstance(value, str):
                yield Finding(
                    source.path,
                    span,
                    f"gpu must be a GpuGroup, GpuType, or string, got {_type_name(value)}",
                    notes=("The SDK raises InvalidResourceError when the decorator runs",),
                )
                continue
            match = platform.app_resolve_gpu_string(value)
            if match is None:
                suggestion = platform.closest(value.strip(), _GPU_WORDS)
                yield Finding(
                    source.path,
                    span,
                    f"unknown gpu '{value}'",
                    notes=(
                        f"The SDK raises when the decorator runs: "
                        f"{platform.app_unknown_gpu_message(value)}",
                        *((f"Did you mean '{suggestion}'?",) if suggestion else ()),
                    ),
                )
                continue
            if match.rule != "fragment" or len(match.pools) < 2:
                continue
            every = len(match.values) == len(platform.APP_GPU_TYPES)
            yield Finding(
                source.path,
                span,
                f"gpu '{value}' matches every GPU"
                if every
                else f"gpu '{value}' matches {len(match.values)} GPUs in {len(match.pools)} pools",
                severity=Severity.WARNING,
                notes=(
                    f"The SDK matches it as a fragment of all {len(match.values)} device names"
                    if every
                    else "The SDK matches it as a fragment of device names: "
                    + ", ".join(match.values),
                    (
                        "The task may run on any of these devices"
                        if endpoint.kind is EndpointKind.TASK
                        else f"The endpoint admits the pools {', '.join(match.pools)}"
                    ),
                    'Say "any" if any GPU will do'
                    if every
                    else "Name one device or pool exactly, or list the ones meant",
                ),
            )


# What an unknown GPU string is compared with for a suggestion: pools, device names, and device
# names without their brand ("RTX 4090" for "rtx4090").
_GPU_WORDS = (
    *platform.APP_GPU_POOLS,
    *(t.value for t in platform.APP_GPU_TYPES),
    *(t.value.removeprefix("NVIDIA ").removeprefix("GeForce ") for t in platform.APP_GPU_TYPES),
)


def _gpu_entries(
    app: App, endpoint: Endpoint, expr: Expr, value: Value
) -> list[tuple[Span, Value]]:
    """Each GPU the SDK normalises (``normalize_gpu``), with where it is written."""
    if isinstance(expr, SequenceExpr) and expr.kind == "list" and not expr.has_star:
        file = endpoint.decl.file
        return [
            (item.span, evaluate(app, file, item, sdk=platform.APP_API_MODULE))
            for item in expr.items
        ]
    if value is None:
        return []
    if isinstance(value, list):
        return [(expr.span, item) for item in value]
    return [(expr.span, value)]


def _type_name(value: object) -> str:
    return type(value).__name__


# ---------------------------------------------------------------------------------------------
# FL708: torch-family packages the build vendors.


@rule(
    "FL708",
    "torch-not-excluded",
    Severity.WARNING,
    "torch is bundled into the artifact: a resource of the App has no gpu= or sets image=",
)
def torch_not_excluded(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds torch, torchvision, torchaudio and triton in `requirements.txt` or in a resource's
    `dependencies` when some resource of the same App has no `gpu=` (a CPU resource, or one
    with no hardware given) or sets `image=`.

    ## Why is this bad
    `rp flash deploy` leaves these packages out of the artifact (the builtin GPU images provide
    them) only when every resource of the App has an explicit `gpu=` and no `image=`. Otherwise
    it vendors them: gigabytes of wheels in an artifact limited to 1500 MB. runpod_flash always
    left them out, so this changes with the move to the app API.

    ## Example
    ```python
    @app.queue(gpu="L4", dependencies=["torch"])   # FL708: vendored because of 'tokenize'
    def embed(text: str): ...

    @app.queue(cpu="cpu3c-1-2")
    def tokenize(text: str): ...
    ```

    ## Fix
    Give every resource of the App a `gpu=` (and no `image=`), move the CPU resource to its own
    App, or deploy with `rp flash deploy --exclude torch` (the workers must then provide it).
    """
    by_app: dict[AppDecl, list[Endpoint]] = defaultdict(list)
    for endpoint in resources(app):
        if endpoint.app_decl is not None:
            by_app[endpoint.app_decl].append(endpoint)
    reported: set[tuple[Path, Span]] = set()
    lines = [
        line
        for line in app.requirements
        if line.raw
        and not line.raw.startswith(("#", "-"))
        and platform.app_requirement_name(line.raw) in platform.APP_SIZE_PROHIBITIVE_PACKAGES
    ]
    requirements_path = app.root / "requirements.txt"
    for decl, members in by_app.items():
        members.sort(key=registration_order)
        blocker = next((b for b in (_blocks(e) for e in members) if b is not None), None)
        if blocker is None:
            continue
        culprit, reason = blocker
        entries = [(requirements_path, line.span, line.raw) for line in lines]
        for endpoint in members:
            entries.extend(_torch_dependencies(app, endpoint))
        for path, span, raw in entries:
            if (path, span) in reported:
                continue
            reported.add((path, span))
            package = platform.app_requirement_name(raw)
            yield Finding(
                path,
                span,
                f"{package} is bundled into {app_label(decl)}: '{culprit.key}' {reason}",
                related=(
                    Related(
                        culprit.decl.file.path,
                        culprit.targets[0].decorator.span,
                        f"'{culprit.key}' {reason}",
                    ),
                ),
                notes=(
                    "The build leaves torch, torchvision, torchaudio and triton out of the "
                    "artifact only when every resource of the App has gpu= and no image=",
                    "Give every resource gpu=, move the others to another App, or deploy with "
                    f"--exclude {package} (the workers must then provide it)",
                ),
            )


def _blocks(endpoint: Endpoint) -> tuple[Endpoint, str] | None:
    """The resource and why it turns the auto-exclusion off (``spec.gpu`` falsy or ``image``)."""
    image = endpoint.value("image")
    if isinstance(image, str) and image:
        return endpoint, "sets image="
    gpu = endpoint.argument("gpu")
    if gpu is None or gpu.value is None or gpu.value == []:
        return endpoint, "has no gpu="
    return None


def _torch_dependencies(app: App, endpoint: Endpoint) -> list[tuple[Path, Span, str]]:
    found = endpoint.argument("dependencies")
    if found is None or not isinstance(found.expr, SequenceExpr) or found.expr.has_star:
        return []
    file = endpoint.decl.file
    entries = []
    for item in found.expr.items:
        value = evaluate(app, file, item, sdk=platform.APP_API_MODULE)
        if not isinstance(value, str):
            continue
        if platform.app_requirement_name(value) in platform.APP_SIZE_PROHIBITIVE_PACKAGES:
            entries.append((file.path, item.span, value))
    return entries


# ---------------------------------------------------------------------------------------------
# FL709, FL710: the routes of one @app.api class.


@rule(
    "FL709",
    "invalid-app-route",
    Severity.ERROR,
    "A route marker of an @app.api class is not called, has a bad or reserved path, or repeats",
)
def invalid_app_route(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks the route markers (`@runpod.get("/x")`, `post`, `put`, `delete`, `patch`) on the
    methods of `@app.api` classes: a marker used without a call, a path that does not start with
    `/`, a path the worker runtime reserves (`/ping`, `/execute`, `/_runpod/sync`), and the same
    method and path on two handlers of one class.

    ## Why is this bad
    The SDK raises for each of them while the module is imported (`path must start with '/'`,
    `path '/ping' is reserved by the worker runtime`, `duplicate route GET /a on H: 'one' and
    'two'`), so the file fails to import and is not deployed.

    ## Example
    ```python
    @app.api(cpu="cpu5c-2-4")
    class Health:
        @runpod.get("/ping")     # FL709: reserved
        def ping(self): ...
    ```

    ## Fix
    Call each marker with a path that starts with `/`, avoid the reserved paths, and give each
    handler its own method and path.
    """
    reserved = ", ".join(platform.APP_RESERVED_ROUTE_PATHS_LISTED)
    for endpoint in _api_classes(app):
        cls = endpoint.targets[0].definition.name
        for route in [*endpoint.routes, *endpoint.uncollected_routes]:
            source = route.file
            marker = route.decorator.expr.text
            if route.call is None:
                yield Finding(
                    source.path,
                    route.decorator.span,
                    f'@{marker} must be called with a path: @{marker}("/...")',
                    notes=(
                        "The SDK raises when the module is imported: path must start with '/', "
                        "got: <function ...>",
                    ),
                )
                continue
            path = route.path
            if path is None:
                continue
            if not path.startswith("/"):
                yield Finding(
                    source.path,
                    _route_span(route),
                    f"path must start with '/', got: {path!r}",
                    notes=("The SDK raises ValueError when the module is imported",),
                )
            elif path in platform.APP_RESERVED_ROUTE_PATHS:
                yield Finding(
                    source.path,
                    _route_span(route),
                    f"path {path!r} is reserved by the worker runtime",
                    notes=(
                        f"The SDK raises when the module is imported: path {path!r} is reserved "
                        f"by the worker runtime (reserved: {reserved})",
                    ),
                )
        seen: dict[tuple[str, str], Route] = {}
        for route in _mount_order(endpoint):
            key = (route.method.upper(), route.path or "")
            first = seen.setdefault(key, route)
            if first is route:
                continue
            yield Finding(
                route.file.path,
                _route_span(route),
                f"duplicate route {_label(route)} on {cls}",
                related=(
                    Related(
                        first.file.path, _route_span(first), f"'{first.handler_name}' serves it"
                    ),
                ),
                notes=(
                    f"The SDK raises when the module is imported: duplicate route {_label(route)} "
                    f"on {cls}: '{first.handler_name}' and '{route.handler_name}'",
                ),
            )


def _mount_order(endpoint: Endpoint) -> list[Route]:
    """The collected routes with a valid static path, as the SDK lists and the runtime mounts
    them: ``inspect.getmembers``, alphabetical by handler name."""
    routes = [
        r
        for r in endpoint.routes
        if r.path is not None
        and r.path.startswith("/")
        and r.path not in platform.APP_RESERVED_ROUTE_PATHS
    ]
    return sorted(routes, key=lambda r: r.handler_name)


@rule(
    "FL710",
    "shadowed-app-route",
    Severity.WARNING,
    "A route of an @app.api class is never reached: a handler sorting before it matches first",
)
def shadowed_app_route(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a route of an `@app.api` class that an earlier-mounted route of the same method
    matches entirely: the runtime mounts the routes in **alphabetical order of the handler
    names**, not in source order, and the first match wins. `/items/{item_id}` served by
    `get_item` shadows `/items/special` served by `special`.

    ## Why is this bad
    Requests for the shadowed path go to the other handler. Nothing fails at deploy time.

    ## Example
    ```python
    @app.api(cpu="cpu5c-2-4")
    class Items:
        @runpod.get("/items/special")   # FL710: 'get_item' sorts first and matches it
        def special(self): ...

        @runpod.get("/items/{item_id}")
        def get_item(self): ...
    ```

    ## Fix
    Rename the handlers so that the literal path's handler sorts first, or change the paths.
    """
    for endpoint in _api_classes(app):
        mounted = _mount_order(endpoint)
        for index, route in enumerate(mounted):
            method = route.method.upper()
            path = route.path or ""
            for earlier in mounted[:index]:
                other = earlier.path or ""
                if earlier.method.upper() != method or other == path or not covers(other, path):
                    continue
                yield Finding(
                    route.file.path,
                    _route_span(route),
                    f"route {method} {path} is shadowed by {method} {other}",
                    related=(
                        Related(
                            earlier.file.path,
                            _route_span(earlier),
                            f"'{earlier.handler_name}' is mounted first and matches it",
                        ),
                    ),
                    notes=(
                        "The runtime mounts routes in alphabetical order of handler names, and "
                        f"the first match wins: '{earlier.handler_name}' sorts before "
                        f"'{route.handler_name}'",
                        "Rename the handlers so that this one sorts first, or change the paths",
                    ),
                )
                break
