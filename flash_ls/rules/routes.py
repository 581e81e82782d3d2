"""FL2xx: routes of load-balanced endpoints (`@api.post("/path")`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import Expr, Literal, NameExpr
from flash_ls.platform import EXECUTE_PATH, HEALTH_CHECK_PATH, HTTP_METHODS, RESERVED_ROUTE_PATHS
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import DeclForm, Endpoint, Route
from flash_ls.project.evaluation import Unknown, evaluate
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span

# Legacy ``remote()`` compares the method as written against this set (no upper-casing, 1.7).
_REMOTE_METHODS = frozenset(m.upper() for m in HTTP_METHODS)
_STRING_START = re.compile(r"^([rRuU]*)('''|\"\"\"|'|\")")

# Starlette path parameters: ``{name}`` or ``{name:convertor}``.
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\}")
_CONVERTORS = {
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
}


# ---------------------------------------------------------------------------------------------
# Which routes are real registrations, and what they are.


@dataclass(frozen=True, slots=True)
class _Registered:
    """A route the build would register: valid method and a static path starting with '/'."""

    endpoint: Endpoint
    route: Route
    method: str  # as the build keys it ("GET"; remote(): as written)
    path: str
    group: object  # routes with the same group land in one resource

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def function(self) -> str:
        return self.route.definition.name

    @property
    def order(self) -> tuple[str, str, Span]:
        # The deployed handler registers a resource's routes in the order the build discovers
        # their functions: files sorted, then ``dir(module)``, i.e. alphabetical function names.
        return (self.route.file.rel, self.function, self.route.decorator.span)

    @property
    def span(self) -> Span:
        expr = self.route.path_expr
        return expr.span if expr is not None else self.route.decorator.span


def _is_queue_class(endpoint: Endpoint) -> bool:
    """``remote()`` with a queue-based resource class (not an unknown one)."""
    rc = endpoint.resource_class
    return rc is not None and not rc.load_balanced


def _route_endpoints(app: App) -> Iterator[Endpoint]:
    """Endpoints whose routes are route registrations (clients are FL107's business)."""
    for endpoint in app.endpoints:
        if endpoint.routes and not endpoint.decl.is_client:
            yield endpoint


def _method_ok(endpoint: Endpoint, route: Route) -> bool:
    if endpoint.decl.form is DeclForm.REMOTE:
        return route.method in _REMOTE_METHODS or not endpoint.is_load_balanced
    return route.method in HTTP_METHODS


def _build_method(endpoint: Endpoint, route: Route) -> str:
    return route.method if endpoint.decl.form is DeclForm.REMOTE else route.method.upper()


def _group(endpoint: Endpoint) -> object:
    name = endpoint.name
    return name if isinstance(name, str) else id(endpoint)


def _registered(app: App) -> list[_Registered]:
    """Every valid route registration of the app, grouped later by resource."""
    return list(app.derived(_registrations))


def _registrations(app: App) -> list[_Registered]:
    found = []
    for endpoint in _route_endpoints(app):
        if endpoint.decl.form is DeclForm.REMOTE and _is_queue_class(endpoint):
            continue
        for route in endpoint.routes:
            if not _method_ok(endpoint, route):
                continue
            expr = route.path_expr
            if expr is None:
                continue
            value = evaluate(app, route.file, expr)
            if not isinstance(value, str) or not value.startswith("/"):
                continue
            found.append(
                _Registered(
                    endpoint, route, _build_method(endpoint, route), value, _group(endpoint)
                )
            )
    return found


def _by_group(app: App) -> dict[object, list[_Registered]]:
    groups: dict[object, list[_Registered]] = defaultdict(list)
    for item in _registered(app):
        groups[item.group].append(item)
    return groups


def _decorator_text(route: Route) -> str:
    text = route.decorator.expr.text
    first_line = text.splitlines()[0] if text else ""
    return f"@{first_line}" if first_line == text else f"@{first_line} ..."


# ---------------------------------------------------------------------------------------------
# Path matching (Starlette semantics).


@lru_cache(maxsize=4096)
def _normalized(path: str) -> str:
    """The path with parameter names erased: ``/items/{id}`` and ``/items/{name}`` are equal."""
    return _PARAM.sub(lambda m: "{:" + (m.group(2) or "str") + "}", path)


@cache
def _regex(path: str) -> re.Pattern[str] | None:
    pieces = []
    position = 0
    for match in _PARAM.finditer(path):
        convertor = _CONVERTORS.get(match.group(2) or "str")
        if convertor is None:
            return None  # Starlette rejects unknown convertors; nothing to compare
        pieces.append(re.escape(path[position : match.start()]))
        pieces.append(convertor)
        position = match.end()
    pieces.append(re.escape(path[position:]))
    return re.compile("".join(pieces))


def _pure_param(segment: str) -> str | None:
    """The convertor of a segment that is exactly one parameter (``{id}`` -> "str")."""
    match = _PARAM.fullmatch(segment)
    if match is None:
        return None
    return match.group(2) or "str"


@lru_cache(maxsize=16384)  # every pair of an API's paths, on every check
def _covers(earlier: str, later: str) -> bool:
    """Whether every request ``later`` would match is already matched by ``earlier``.

    Errs toward False (no finding) when the answer is not clear-cut.
    """
    if _normalized(earlier) == _normalized(later):
        return True
    pattern = _regex(earlier)
    if pattern is None:
        return False
    if not _PARAM.search(later):
        return pattern.fullmatch(later) is not None
    early_parts = earlier.split("/")
    late_parts = later.split("/")
    for index, early in enumerate(early_parts):
        early_kind = _pure_param(early)
        if early_kind == "path":
            return index == len(early_parts) - 1
        if index >= len(late_parts):
            return False
        late = late_parts[index]
        if early == late:
            continue
        late_kind = _pure_param(late)
        if late_kind is None:
            if _PARAM.search(late):
                return False  # a segment mixing text and parameters
            segment = _regex(early)
            if segment is None or segment.fullmatch(late) is None:
                return False
            continue
        if early_kind is None or late_kind == "path":
            return False
        if early_kind != late_kind and early_kind != "str":
            return False
    return len(early_parts) == len(late_parts)


# ---------------------------------------------------------------------------------------------
# Rules.


@rule(
    "FL201",
    "duplicate-route",
    Severity.ERROR,
    "The same METHOD path is registered twice on one endpoint",
)
def duplicate_route(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a `METHOD path` pair registered twice on one load-balanced endpoint (on one `Endpoint`
    instance, or on instances that share an endpoint name and so become one resource).

    ## Why is this bad
    The SDK raises while the module is imported (`duplicate route: GET /x (already registered to
    'f')`), and the manifest builder rejects it again (`Duplicate route 'GET /x' in resource
    'api'`), so `flash build` fails. The same path with a different method is fine.

    ## Example
    ```python
    api = Endpoint(name="api", cpu="cpu3c-1-2")

    @api.get("/health")
    async def health(): ...

    @api.get("/health")     # FL201
    async def ready(): ...
    ```

    ## Fix
    Give one of the routes another path or method, or remove it.
    """
    for items in _by_group(app).values():
        seen: dict[tuple[str, str], _Registered] = {}
        for item in sorted(items, key=lambda i: (i.route.file.rel, i.route.decorator.span)):
            key = (item.method, item.path)
            first = seen.get(key)
            if first is None:
                seen[key] = item
                continue
            yield Finding(
                item.route.file.path,
                item.span,
                f"{item.label} is registered twice on {item.endpoint.short_label}",
                notes=(
                    f"'{first.function}' already serves it; importing the module fails with "
                    "'duplicate route'",
                    f"change the path or method of '{item.function}', or remove it",
                ),
                related=(
                    Related(
                        first.route.file.path, first.span, f"{first.label} first registered here"
                    ),
                ),
            )


@rule(
    "FL202",
    "shadowed-route",
    Severity.WARNING,
    "A route is never reached because an earlier route of the same method matches its requests",
)
def shadowed_route(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a route that can never be reached because another route with the same method, registered
    before it, matches every request it would get:
    - the two paths are equal up to parameter names (`/items/{id}` and `/items/{name}`), or
    - a more specific path comes after a parameter path that matches it (`/items/{id}` before
      `/items/me`, `/files/{p:path}` before `/files/{name}`).

    Registration order is the order of the deployed handler's route table: the build discovers a
    resource's functions through `dir(module)`, so routes are registered in **alphabetical order of
    their function names**, not in source order.

    ## Why is this bad
    The LB worker is a FastAPI app and matches routes in registration order: the first route whose
    path matches wins. Requests for `/items/me` go to the `/items/{id}` handler (with `id="me"`),
    and the `/items/me` handler is dead code.

    ## Example
    ```python
    @api.get("/users/me")
    async def read_user_me(): ...          # FL202: registered after read_user

    @api.get("/users/{user_id}")
    async def read_user(user_id: str): ...
    ```

    ## Fix
    Rename the specific route's function so that it sorts before the parameter route's function
    (`get_me` before `read_user`), or change one of the paths.
    """
    for items in _by_group(app).values():
        # Exact duplicates are FL201's (and fail the build): compare first registrations only.
        unique: dict[tuple[str, str], _Registered] = {}
        for item in sorted(items, key=lambda i: (i.route.file.rel, i.route.decorator.span)):
            unique.setdefault((item.method, item.path), item)
        ordered = sorted(unique.values(), key=lambda i: i.order)
        for index, later in enumerate(ordered):
            for earlier in ordered[:index]:
                if earlier.method != later.method:
                    continue
                if not _covers(earlier.path, later.path):
                    continue
                if _normalized(earlier.path) == _normalized(later.path):
                    why = "the paths differ only in parameter names"
                    advice = (
                        f"remove or merge one of the routes of '{earlier.function}' and "
                        f"'{later.function}'"
                    )
                else:
                    why = f"'{earlier.path}' also matches '{later.path}'"
                    advice = (
                        f"rename '{later.function}' so that it sorts before '{earlier.function}' "
                        "(routes are registered in alphabetical order of function names), or "
                        "change a path"
                    )
                yield Finding(
                    later.route.file.path,
                    later.span,
                    f"{later.label} on {later.endpoint.short_label} is never reached",
                    notes=(
                        f"{earlier.label} ('{earlier.function}') is registered first and {why}",
                        advice,
                    ),
                    related=(
                        Related(
                            earlier.route.file.path,
                            earlier.span,
                            f"{earlier.label} matches these requests first",
                        ),
                    ),
                )
                break


@rule(
    "FL203",
    "reserved-route",
    Severity.ERROR,
    f"Route path is {HEALTH_CHECK_PATH} or {EXECUTE_PATH}, which the worker reserves",
)
def reserved_route(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds routes whose path is exactly `/ping` or `/execute`.

    ## Why is this bad
    The load-balanced worker serves `GET /ping` itself (the platform's health check) and `/execute`
    is internal. The SDK refuses to register these paths, and the manifest builder rejects them
    (`cannot use reserved path '/ping'`), so `flash build` fails. The match is exact: `/ping/` and
    `/health` are fine.

    ## Example
    ```python
    @api.get("/ping")      # FL203
    async def ping(): ...
    ```

    ## Fix
    Use another path such as `/health`.
    """
    for item in _registered(app):
        if item.path in RESERVED_ROUTE_PATHS:
            yield Finding(
                item.route.file.path,
                item.span,
                f"{item.label} on {item.endpoint.short_label} uses a reserved path",
                notes=(
                    f"the worker serves {HEALTH_CHECK_PATH} and {EXECUTE_PATH} itself; flash build "
                    "fails",
                    "use another path such as '/health'",
                ),
            )


@rule(
    "FL204",
    "invalid-route-path",
    Severity.ERROR,
    "Route path is empty, does not start with '/', or is not a static string",
    fix=FixAvailability.SOMETIMES,
)
def invalid_route_path(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks the path of every route decorator (and of legacy `remote(..., path=...)` on a load
    balancer): it must be a static string that starts with `/`. A missing path is reported too.

    ## Why is this bad
    The SDK raises `path must start with '/', got: health` while the module is imported, so
    `flash build` fails; the empty string is rejected the same way. A path computed at run time
    (an f-string, a call, string arithmetic) cannot be checked for duplicates, reserved paths or
    shadowing, and the manifest's route table depends on it.

    ## Example
    ```python
    @api.post("generate")    # FL204
    async def generate(prompt: str): ...
    ```

    ## Fix
    Prefixes the string literal with `/` (safe; only when the path is a literal in the decorator).
    """
    for endpoint in _route_endpoints(app):
        is_remote = endpoint.decl.form is DeclForm.REMOTE
        if is_remote and not endpoint.is_load_balanced:
            continue
        for route in endpoint.routes:
            if not _method_ok(endpoint, route):
                continue
            where = _decorator_text(route)
            expr = route.path_expr
            if expr is None:
                call = route.call
                if call is not None and (
                    call.has_star_args or any(k.name is None for k in call.keywords)
                ):
                    continue  # the path may be in *args / **kwargs (FL207 reports those)
                yield Finding(
                    route.file.path,
                    route.decorator.span,
                    f"route of '{route.definition.name}' has no path",
                    notes=(
                        f"{where} without a path fails when the module is imported",
                        f'pass the route path, e.g. @{_call_name(route)}("/{route.definition.name}")',
                    ),
                )
                continue
            value = evaluate(app, route.file, expr)
            if isinstance(value, Unknown):
                if isinstance(app.constant(route.file, expr), NameExpr):
                    continue  # a name flash-ls cannot follow (another package): not provably dynamic
                yield Finding(
                    route.file.path,
                    expr.span,
                    f"route path {_short(expr.text, 24)} is not a static string",
                    notes=(
                        "flash-ls cannot check it for duplicates or reserved paths",
                        "write the path as a string literal (or a module-level string constant) "
                        "starting with '/'",
                    ),
                )
                continue
            if not isinstance(value, str):
                yield Finding(
                    route.file.path,
                    expr.span,
                    f"route path {_short(expr.text, 24)} is not a string",
                    notes=("importing the module fails", "pass a string starting with '/'"),
                )
                continue
            if value.startswith("/"):
                continue
            problem = "is empty" if value == "" else "does not start with '/'"
            suggestion = "/" + value
            yield Finding(
                route.file.path,
                expr.span,
                f"route path '{_short(value, 24)}' {problem}",
                notes=(
                    "importing the module fails: path must start with '/'",
                    f"use '{suggestion}'",
                ),
                fix=_prefix_fix(route, expr, value),
            )


def _call_name(route: Route) -> str:
    call = route.call
    return call.func.text if call is not None else route.decorator.expr.text  # ``@api.post``


def _prefix_fix(route: Route, expr: Expr, value: str) -> Fix | None:
    if not isinstance(expr, Literal) or not isinstance(expr.value, str):
        return None  # a constant defined elsewhere: leave it to a human
    if value[:1].isspace():
        return None
    match = _STRING_START.match(expr.text)
    if match is None:
        return None
    opening = match.end()
    new_text = expr.text[:opening] + "/" + expr.text[opening:]
    return Fix(
        f"Prefix the path with '/' ('/{value}')", (TextEdit(route.file.path, expr.span, new_text),)
    )


@rule(
    "FL205",
    "invalid-http-method",
    Severity.ERROR,
    "Route decorator other than get/post/put/delete/patch",
    fix=FixAvailability.SOMETIMES,
)
def invalid_http_method(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds route decorators on an `Endpoint` other than `.get`, `.post`, `.put`, `.delete` and
    `.patch` (`@api.head("/x")`, `@api.options(...)`, `@api.POST(...)`), and a legacy
    `remote(..., method=...)` on a load balancer whose method is not exactly `"GET"`, `"POST"`,
    `"PUT"`, `"DELETE"` or `"PATCH"`: unlike `Endpoint`, `remote()` does not upper-case it.

    ## Why is this bad
    `Endpoint` has no other route methods, so importing the module fails with an `AttributeError`
    (or a `TypeError` for non-route attributes such as `.run`), and `flash build` fails. `remote()`
    raises `method must be one of {...}. Got: post`.

    ## Example
    ```python
    @api.head("/health")   # FL205
    async def health(): ...
    ```

    ## Fix
    When only the case is wrong (`@api.Post`, `method="post"`), changes it to the accepted
    spelling. Other methods have no route support: use `get` instead of `head`.
    """
    for endpoint in _route_endpoints(app):
        if endpoint.decl.form is DeclForm.REMOTE:
            if not endpoint.is_load_balanced:
                continue
            for route in endpoint.routes:
                if route.method in _REMOTE_METHODS:
                    continue
                fix = None
                upper = route.method.upper()
                method_expr = endpoint.decl.call.keyword("method")
                if (
                    upper in _REMOTE_METHODS
                    and method_expr is not None
                    and isinstance(method_expr.value, Literal)
                ):
                    text = method_expr.value.text
                    quote = text[-1] if text[-1:] in "\"'" else '"'
                    fix = Fix(
                        f'Use method="{upper}"',
                        (TextEdit(route.file.path, route.method_span, f"{quote}{upper}{quote}"),),
                    )
                advice = (
                    f"use '{upper}'"
                    if upper in _REMOTE_METHODS
                    else "use GET, POST, PUT, DELETE or PATCH"
                )
                yield Finding(
                    route.file.path,
                    route.method_span,
                    f"remote() method '{route.method}' of '{route.definition.name}' is not valid",
                    notes=(
                        "remote() accepts exactly GET, POST, PUT, DELETE or PATCH and does not "
                        "upper-case the method, so importing the module fails",
                        advice,
                    ),
                    fix=fix,
                )
            continue
        for route in endpoint.routes:
            if route.method in HTTP_METHODS:
                continue
            fix = None
            lower = route.method.lower()
            if lower in HTTP_METHODS:
                fix = Fix(f"Use .{lower}()", (TextEdit(route.file.path, route.method_span, lower),))
                advice = f"use @{_base(route)}.{lower}(...)"
            elif lower in ("head", "options"):
                advice = f"{lower.upper()} routes are not supported; use .get() or .post()"
            else:
                advice = "route decorators are .get, .post, .put, .delete and .patch"
            yield Finding(
                route.file.path,
                route.method_span,
                f"'{route.method}' is not a route method of {endpoint.short_label}",
                notes=(
                    f"@{_base(route)}.{route.method}(...) on '{route.definition.name}' fails when "
                    "the module is imported",
                    advice,
                ),
                fix=fix,
            )


def _base(route: Route) -> str:
    call = route.call
    func = call.func if call is not None else route.decorator.expr  # ``@api.post`` has no call
    if isinstance(func, NameExpr):
        return func.dotted.rpartition(".")[0]
    return "api"


@rule(
    "FL206",
    "route-on-unnamed-endpoint",
    Severity.ERROR,
    "Routes registered on an Endpoint without a name",
)
def route_on_unnamed_endpoint(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an `Endpoint(...)` that registers routes but has no `name` (or `name=None`).

    ## Why is this bad
    A queue-based endpoint falls back to its function's name, but a load-balanced one serves
    several functions and has nothing to fall back to: the first route registration raises
    `name is required for load-balanced endpoints`, so `flash build` fails.

    ## Example
    ```python
    api = Endpoint(cpu="cpu3c-1-2")     # FL206

    @api.post("/classify")
    async def classify(text: str): ...
    ```

    ## Fix
    Add `name="..."` to the `Endpoint(...)` call.
    """
    for endpoint in _route_endpoints(app):
        decl = endpoint.decl
        if decl.form is DeclForm.REMOTE:
            continue
        routes = [r for r in endpoint.routes if r.method in HTTP_METHODS]
        if not routes:
            continue
        expr = endpoint.name_expr
        if expr is not None and evaluate(app, decl.file, expr) is not None:
            continue
        label = f"'{decl.variable}'" if decl.variable else "this Endpoint"
        shown = ", ".join(f"{r.method.upper()} {r.path or '?'}" for r in routes[:3])
        if len(routes) > 3:
            shown += f" and {len(routes) - 3} more"
        yield Finding(
            decl.file.path,
            expr.span if expr is not None else decl.call.func.span,
            f"{label} registers routes but has no name",
            notes=(
                f"its routes ({shown}) make it load-balanced, which requires a name; importing "
                "the module fails",
                'add name="..." to the Endpoint(...) call',
            ),
            related=tuple(
                Related(r.file.path, r.decorator.span, "route registered here") for r in routes
            ),
        )


@rule(
    "FL207",
    "route-decorator-arguments",
    Severity.ERROR,
    "Data or keyword arguments passed to a route decorator",
)
def route_decorator_arguments(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds route decorators given anything but the path: a second positional argument (request
    data), keyword arguments (`timeout=5`, `data=...`), or `*args`/`**kwargs`. The path itself may
    be passed as `path="/x"`.

    ## Why is this bad
    On a client (`Endpoint(id=...)`) `.post(path, data, **kw)` sends an HTTP request; on an
    endpoint of your own it registers a route, and passing data or keyword arguments raises
    `TypeError: data and keyword arguments are only valid in client mode` while the module is
    imported, so `flash build` fails. Route options (timeouts, status codes, tags) are not
    supported.

    ## Example
    ```python
    @api.post("/generate", timeout=30)    # FL207
    async def generate(prompt: str): ...
    ```

    ## Fix
    Pass only the path. To call another endpoint, use a client: `Endpoint(id="...").post("/x", data)`
    inside a function body.
    """
    for endpoint in _route_endpoints(app):
        if endpoint.decl.form is DeclForm.REMOTE:
            continue
        for route in endpoint.routes:
            call = route.call
            if call is None or route.method not in HTTP_METHODS:
                continue
            extra: list[tuple[Span, str]] = [(arg.span, _short(arg.text)) for arg in call.args[1:]]
            for kw in call.keywords:
                if kw.name == "path" and not call.args:
                    continue
                if kw.name == "data" and isinstance(kw.value, Literal) and kw.value.value is None:
                    continue
                shown = f"{kw.name}={kw.value.text}" if kw.name else f"**{kw.value.text}"
                extra.append((kw.span, _short(shown)))
            if call.has_star_args:
                extra.append((call.span, "*args"))
            if not extra:
                continue
            spans = sorted(span for span, _ in extra)
            span = Span(
                spans[0].start_line, spans[0].start_col, spans[-1].end_line, spans[-1].end_col
            )
            names = ", ".join(text for _, text in extra)
            yield Finding(
                route.file.path,
                span,
                f"route decorator of '{route.definition.name}' is given more than the path",
                notes=(
                    f"@{_base(route)}.{route.method}(...) is given {names}; in decorator mode "
                    "data or keyword arguments raise TypeError when the module is imported",
                    "pass only the path",
                ),
            )


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
