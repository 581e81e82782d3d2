"""The SDK-neutral model of an endpoint: one per declaration, built once per App.

A reader turns an SDK's surface into these objects (``flash_reader.py`` reads ``runpod_flash``:
``Endpoint(...)``, ``@ep``, ``@ep.post("/x")``, legacy ``remote()``; ``app_api_reader.py`` reads
the app API of ``runpod``: ``App("name")`` as an ``AppDecl``, ``@app.queue/api/task(...)``, route
markers on ``@app.api`` class methods); rules, the build and the server read only the model: how
an endpoint is used (``kind``, ``targets``, ``routes``), what it is called (``name``, ``label``),
what it runs on (``resource_class``, ``is_cpu``, from the one table in
``platform.RESOURCE_CLASSES``) and the static values of its arguments with their spans
(``argument``). Nothing here imports or runs user code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flash_ls import platform
from flash_ls.parse.facts import (
    CallExpr,
    Decorator,
    Definition,
    Expr,
    Keyword,
    Literal,
    Method,
    NameExpr,
    split_qualified,
)
from flash_ls.project.evaluation import Unknown, Value, evaluate
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile


class DeclForm(enum.Enum):
    INSTANCE = "instance"  # ``api = Endpoint(...)`` bound at module level
    INLINE = "inline"  # ``@Endpoint(...)`` directly on a def/class
    BARE = "bare"  # ``Endpoint(...)`` as a statement, bound to nothing
    REMOTE = "remote"  # legacy ``@remote(resource, ...)``
    RESOURCE = "resource"  # app API: ``@app.queue(...)`` / ``@app.api(...)`` / ``@app.task(...)``


@dataclass(eq=False, slots=True)
class AppDecl:
    """One ``App("name")`` of the app API: the registry its resources are declared on.

    Resource names are unique per AppDecl (queue, api and task share one namespace); two
    AppDecls with the same name are one deployed app, and discovery keeps only the first.
    """

    project: App = field(repr=False)
    file: SourceFile
    call: CallExpr
    variable: str | None = None  # module-level name it is bound to (None: a bare statement)
    sdk: str = platform.APP_API_MODULE
    _arguments: dict[str, Argument | None] = field(default_factory=dict, repr=False)

    @property
    def name_expr(self) -> Expr | None:
        """``App("name")`` / ``App(name="name")``: the expression given for the app's name."""
        kw = self.call.keyword("name")
        if kw is not None:
            return kw.value
        return self.call.args[0] if self.call.args else None

    def argument(self, name: str) -> Argument | None:
        """The argument given for ``name`` (``name`` positional too, ``env``), evaluated once."""
        if name not in self._arguments:
            expr = self.name_expr if name == "name" else _keyword_value(self.call, name)
            self._arguments[name] = (
                None
                if expr is None
                else Argument(name, expr, evaluate(self.project, self.file, expr, sdk=self.sdk))
            )
        return self._arguments[name]

    @property
    def name(self) -> str | Unknown | None:
        """The app's name: a string, ``Unknown`` when computed at run time, None when absent."""
        found = self.argument("name")
        if found is None:
            return None
        if isinstance(found.value, (str, Unknown)):
            return found.value
        return Unknown(found.expr.text)

    @property
    def name_span(self) -> Span:
        """Where the name is written, else the call."""
        expr = self.name_expr
        return expr.span if expr is not None else self.call.span


def _keyword_value(call: CallExpr, name: str) -> Expr | None:
    kw = call.keyword(name)
    return kw.value if kw is not None else None


@dataclass(eq=False, slots=True)
class EndpointDecl:
    """One ``Endpoint(...)`` (or legacy ``remote(...)``) call site."""

    file: SourceFile
    call: CallExpr
    form: DeclForm
    variable: str | None = None  # module-level name it is bound to
    via_alias: bool = False  # called through a name the official AST scan does not recognise
    annotated: bool = False  # ``api: Endpoint = Endpoint(...)``
    resource_call: CallExpr | None = (
        None  # remote(): the resource config call (LiveServerless(...))
    )
    # The app API (form RESOURCE): the App it is declared on, the kind its decorator declares,
    # and whether the decorator was called (``@app.queue`` without ``()`` is a TypeError).
    app_decl: AppDecl | None = None
    declared_kind: EndpointKind | None = None
    called: bool = True
    # name -> keyword, built on the first look-up: the rules of a check ask for every argument
    # of every endpoint, some of them many times.
    _keywords: dict[str, Keyword] | None = field(default=None, init=False, repr=False)

    def keyword(self, name: str) -> Keyword | None:
        """A keyword argument of the Endpoint call (for remote(), of its resource config)."""
        index = self._keywords
        if index is None:
            index = self._keywords = {}
            # The first of a repeated name counts, and the call's own keywords before those of
            # the resource config: the later a keyword is written here, the earlier it is seen.
            for call in (self.resource_call, self.call):
                for kw in reversed(call.keywords) if call is not None else ():
                    if kw.name is not None:
                        index[kw.name] = kw
        return index.get(name)

    def argument(self, name: str) -> Expr | None:
        """The value given for ``name``, including the positional ``name`` argument."""
        kw = self.keyword(name)
        if kw is not None:
            return kw.value
        positional_name = self.form not in (DeclForm.REMOTE, DeclForm.RESOURCE)
        if name == "name" and positional_name and self.call.args:
            return self.call.args[0]
        return None

    @property
    def is_client(self) -> bool:
        if self.form is DeclForm.RESOURCE:
            return False  # ``image=`` is the resource's custom image, never a client
        return self.keyword("id") is not None or self.keyword("image") is not None


@dataclass(eq=False, slots=True)
class Target:
    """A function or class an endpoint serves from the queue (``@ep`` / ``@Endpoint(...)``), or
    the definition an app API decorator is on (``@app.queue`` function, ``@app.api`` class or
    ASGI factory, ``@app.task`` function)."""

    file: SourceFile
    definition: Definition
    decorator: Decorator


@dataclass(eq=False, slots=True)
class Route:
    """``@api.post("/path")`` on a function, or ``@runpod.post("/path")`` on a method of an
    ``@app.api`` class (then ``definition`` is the class and ``handler`` the method)."""

    file: SourceFile
    definition: Definition
    decorator: Decorator
    method: str  # as written, lower case expected ("post")
    method_span: Span
    call: CallExpr | None  # None when used without a call (``@api.post``)
    handler: Method | None = None

    @property
    def handler_name(self) -> str:
        """The function that serves it: the method's name on a class, else the function's."""
        return self.handler.name if self.handler is not None else self.definition.name

    @property
    def path_expr(self) -> Expr | None:
        if self.call is None:
            return None
        if self.call.args:
            return self.call.args[0]
        kw = self.call.keyword("path")
        return kw.value if kw is not None else None

    @property
    def path(self) -> str | None:
        """The route path when it is a string literal."""
        expr = self.path_expr
        if isinstance(expr, Literal) and isinstance(expr.value, str):
            return expr.value
        return None


@dataclass(eq=False, slots=True)
class InitHook:
    """``@runpod.init`` on a method of an ``@app.api`` class: runs once per worker at start."""

    file: SourceFile
    definition: Definition  # the class
    handler: Method
    decorator: Decorator


class EndpointKind(enum.Enum):
    """What a resource serves: from how it is used (runpod_flash), or from the decorator that
    declares it (the app API's ``@app.queue`` / ``@app.api`` / ``@app.task``)."""

    QUEUE = "queue"
    LOAD_BALANCED = "load-balanced"
    TASK = "task"  # app API ``@app.task``: a pod per call, no endpoint
    MIXED = "mixed"  # both decorated and routed: rejected by the SDK
    UNUSED = "unused"
    CLIENT = "client"


class _NotYet:
    """The name has not been computed yet (None is a valid name: no name at all)."""


_NOT_YET = _NotYet()


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a declaration: the expression as written and its static value."""

    name: str
    expr: Expr  # in the declaration's file
    value: Value  # evaluated where it is written (a constant in another file there)

    @property
    def span(self) -> Span:
        return self.expr.span


@dataclass(eq=False, slots=True)
class Endpoint:
    """One resolved endpoint (a resource, in the app API's words) and everything that uses it.

    A reader builds it once per App (``flash_reader.py`` for ``runpod_flash``); rules, the build
    and the server read its traits, which are computed on first use and kept: the name (given
    or derived from the function), how messages name it, the resource class, CPU or GPU, the
    static values of its arguments.
    """

    app: App = field(repr=False)
    decl: EndpointDecl
    targets: list[Target] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    sdk: str = platform.SDK_MODULE  # the SDK surface it was read from
    # App API ``@app.api`` classes: the ``@runpod.init`` hooks, and route markers the SDK never
    # collects (all but the outermost of stacked markers, markers above ``@staticmethod``...).
    inits: list[InitHook] = field(default_factory=list)
    uncollected_routes: list[Route] = field(default_factory=list)
    _arguments: dict[str, Argument | None] = field(default_factory=dict, repr=False)
    _name: str | Unknown | _NotYet | None = field(default=_NOT_YET, repr=False)
    _traits: _Traits | None = field(default=None, repr=False)

    # -- how it is used ----------------------------------------------------------------------

    @property
    def kind(self) -> EndpointKind:
        if self.decl.declared_kind is not None:
            return self.decl.declared_kind
        if self.targets and self.routes:
            return EndpointKind.MIXED
        if self.routes:
            return EndpointKind.LOAD_BALANCED
        if self.targets:
            return EndpointKind.QUEUE
        if self.decl.is_client:
            return EndpointKind.CLIENT
        return EndpointKind.UNUSED

    @property
    def functions(self) -> list[Target | Route]:
        """Every function or class this endpoint serves, queue targets first."""
        return [*self.targets, *self.routes]

    @property
    def app_decl(self) -> AppDecl | None:
        """The app API ``App`` it is declared on (None for runpod_flash endpoints)."""
        return self.decl.app_decl

    @property
    def asgi_factory(self) -> Target | None:
        """An ``@app.api`` function returning an ASGI app (it serves its own routes)."""
        if self.decl.form is not DeclForm.RESOURCE or self.kind is not EndpointKind.LOAD_BALANCED:
            return None
        found = self.targets[0] if self.targets else None
        return found if found is not None and found.definition.kind == "function" else None

    def usage_files(self) -> list[SourceFile]:
        """Files where its functions live (what the build calls the endpoint's files)."""
        seen: dict[str, SourceFile] = {}
        for item in self.functions:
            seen.setdefault(item.file.rel, item.file)
        return [seen[k] for k in sorted(seen)]

    # -- arguments ---------------------------------------------------------------------------

    @property
    def name_expr(self) -> Expr | None:
        return self.decl.argument("name")

    def argument(self, name: str) -> Argument | None:
        """The argument given for parameter ``name`` (the positional name too), evaluated once."""
        if name not in self._arguments:
            expr = self.decl.argument(name)
            self._arguments[name] = (
                None
                if expr is None
                else Argument(name, expr, evaluate(self.app, self.decl.file, expr, sdk=self.sdk))
            )
        return self._arguments[name]

    def value(self, name: str) -> Value | None:
        """The static value of parameter ``name``; None when it is not given."""
        found = self.argument(name)
        return None if found is None else found.value

    # -- identity ----------------------------------------------------------------------------

    @property
    def name(self) -> str | Unknown | None:
        """The resource name the build groups by.

        A queue endpoint without ``name`` (or with ``name=None``) takes its function's name;
        ``""`` stays empty. An app API resource takes its function's or class's name for any
        falsy name (``name or fn.__name__``). None when there is no name at all; ``Unknown``
        when it is computed at run time.
        """
        if isinstance(self._name, _NotYet):
            self._name = self._compute_name()
        return self._name

    def _compute_name(self) -> str | Unknown | None:
        derived = self.derived_name
        found = self.argument("name")
        if found is None:
            return derived
        resource = self.decl.form is DeclForm.RESOURCE
        if resource and not isinstance(found.value, Unknown) and not found.value and derived:
            return derived
        if found.value is None and derived is not None:
            return derived
        if isinstance(found.value, (str, Unknown)):
            return found.value
        return Unknown(found.expr.text)

    @property
    def derived_name(self) -> str | None:
        """The name a queue endpoint takes from its function when none is given; an app API
        resource of any kind takes its function's or class's name."""
        if self.decl.form is DeclForm.RESOURCE:
            return self.targets[0].definition.name if self.targets else None
        if self.kind is EndpointKind.QUEUE and self.targets:
            return self.targets[0].definition.name
        return None

    @property
    def label(self) -> str:
        """How messages name it: ``endpoint 'name'``, else its variable, else its function."""
        name = self.name
        if isinstance(name, str):
            return f"endpoint '{name}'"
        if self.decl.variable:
            return f"endpoint '{self.decl.variable}'"
        if self.functions:
            return f"the endpoint of '{self.functions[0].definition.name}'"
        return "this endpoint"

    @property
    def short_label(self) -> str:
        """Its name in quotes (else its variable's or first function's), for messages that
        already say "endpoint"."""
        name = self.name
        if isinstance(name, str):
            return f"'{name}'"
        if self.decl.variable:
            return f"'{self.decl.variable}'"
        if self.functions:
            return f"'{self.functions[0].definition.name}'"
        return "this endpoint"

    @property
    def key(self) -> str:
        """What editor commands name it by: its name as written, else its variable."""
        name = self.name
        if isinstance(name, str):
            return name
        if isinstance(name, Unknown):
            return name.text
        return self.decl.variable or "<unnamed>"

    # -- what it runs on ---------------------------------------------------------------------

    @property
    def resource_class(self) -> platform.ResourceClass | None:
        """The SDK class it deploys as; None while its CPU-ness is only known at run time, and
        for app API resources (runpod_flash's classes are not theirs).

        A legacy ``remote()`` resource is its config's class (None for a class that is not the
        SDK's); an ``Endpoint(...)`` is the live class ``flash build`` writes for its kind.
        """
        return self._computed_traits().resource_class

    @property
    def is_cpu(self) -> bool | None:
        """Whether it runs on CPU workers; None when that is only known at run time."""
        return self._computed_traits().cpu

    @property
    def is_load_balanced(self) -> bool:
        """Served over HTTP routes (a load-balanced resource class for ``remote()``)."""
        if self.decl.form is DeclForm.REMOTE:
            rc = self.resource_class
            return rc is not None and rc.load_balanced
        return self.kind is EndpointKind.LOAD_BALANCED

    @property
    def image_type(self) -> str:
        """The runtime image family (``gpu``, ``cpu``, ``lb``, ``lb-cpu``); GPU when unknown."""
        return platform.IMAGE_TYPE_BY_KIND[(self.is_load_balanced, self.is_cpu is True)]

    def _computed_traits(self) -> _Traits:
        if self._traits is None:
            self._traits = _traits(self)
        return self._traits


@dataclass(frozen=True, slots=True)
class _Traits:
    cpu: bool | None
    resource_class: platform.ResourceClass | None


def _traits(endpoint: Endpoint) -> _Traits:
    decl = endpoint.decl
    if decl.form is DeclForm.REMOTE:
        rc = _legacy_class(endpoint)
        return _Traits(None if rc is None else rc.cpu, rc)
    if decl.keyword("cpu") is None:
        spread = decl.call.has_star_args or any(k.name is None for k in decl.call.keywords)
        cpu: bool | None = None if spread else False
    else:
        value = endpoint.value("cpu")
        cpu = None if isinstance(value, Unknown) else value is not None
    if cpu is None or decl.form is DeclForm.RESOURCE:
        return _Traits(cpu, None)  # the app API has no runpod_flash resource classes
    lb = endpoint.kind is EndpointKind.LOAD_BALANCED
    return _Traits(cpu, platform.live_resource_class(lb, cpu))


def _legacy_class(endpoint: Endpoint) -> platform.ResourceClass | None:
    """The SDK resource class of a ``remote(LiveServerless(...))`` config, however imported."""
    call = endpoint.decl.resource_call
    if call is None or not isinstance(call.func, NameExpr):
        return None
    module, attr = split_qualified(endpoint.app.qualified(endpoint.decl.file, call.func.dotted))
    if platform.is_sdk_module(module):
        return platform.RESOURCE_CLASSES.get(attr)
    return None
