"""``flash_manifest.json`` from the static App: the resources `flash build` would discover.

The official build imports every shipped file and groups what it finds by endpoint name
(``RuntimeScanner`` + ``ManifestBuilder``, sections 3 and 4). This module reaches the same result
from source: same resources (sorted by name), same functions (alphabetical, as ``dir()`` lists
them), same keys in the same order, same values. Where the official build is wrong it does the right
thing instead; docs/compatibility.md lists each such difference.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flash_ls import platform
from flash_ls.build.errors import BuildError
from flash_ls.build.files import shipped_files, source_fingerprint
from flash_ls.build.resources import ResourceSpec, endpoint_spec, strip_flashboot_suffix
from flash_ls.build.values import Arguments, where
from flash_ls.parse.facts import (
    CallExpr,
    Definition,
    Import,
    ImportedName,
    NameExpr,
    split_qualified,
)
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointKind, Route
from flash_ls.project.evaluation import Unknown

MANIFEST_VERSION = "1.0"
_MAX_DEPTH = 16


@dataclass(eq=False)
class Function:
    """A function or class served by a resource (a module-level name the scanner would find)."""

    name: str
    source: SourceFile
    definition: Definition
    endpoint: Endpoint
    route: Route | None = None

    @property
    def is_class(self) -> bool:
        return self.definition.kind == "class"

    @property
    def public_methods(self) -> list[str]:
        """Public methods in definition order, as the scanner's ``vars(cls)`` walk finds them.

        Only plain functions count: ``@staticmethod``, ``@classmethod`` and properties are
        other objects in the class namespace. A name defined twice keeps its first position.
        """
        seen: dict[str, bool] = {}
        lines = self.source.lines()
        for method in self.definition.methods:
            if method.name.startswith("_"):
                continue
            # a redefinition keeps the first position and takes the last definition's kind
            seen[method.name] = not _wrapped_in_descriptor(lines, method.span.start_line)
        return [name for name, plain in seen.items() if plain]

    @property
    def http_method(self) -> str | None:
        if self.route is None:
            return None
        if self.endpoint.decl.form is DeclForm.REMOTE:
            return self.route.method  # remote(method=...) is not upper-cased
        return self.route.method.upper()


# Decorators that turn a method into a non-function class attribute.
_DESCRIPTORS = frozenset(
    {"staticmethod", "classmethod", "property", "cached_property", "abstractproperty"}
)
_DESCRIPTOR_SUFFIXES = (".setter", ".getter", ".deleter")


def _wrapped_in_descriptor(lines: Sequence[str], def_line: int) -> bool:
    """Whether the decorators above the ``def`` on ``def_line`` make it a descriptor."""
    line = def_line - 1
    while line >= 0:
        text = lines[line].strip()
        if not text.startswith("@"):
            if text and not text.startswith("#"):
                break
            line -= 1
            continue
        name = text[1:].split("(", 1)[0].strip()
        if name.rpartition(".")[2] in _DESCRIPTORS or name.endswith(_DESCRIPTOR_SUFFIXES):
            return True
        line -= 1
    return False


@dataclass(eq=False)
class Resource:
    """One ``resources[<name>]`` entry with functions (queue-based or load-balanced)."""

    name: str
    is_lb: bool
    functions: list[Function]
    spec: ResourceSpec
    config_variable: str | None
    makes_remote_calls: bool = False

    @property
    def source(self) -> SourceFile:
        return self.functions[0].source

    @property
    def handler_file(self) -> str:
        return platform.handler_file(self.name)


@dataclass(eq=False)
class ClientResource:
    """A client-mode ``Endpoint(name=..., image=...)``: provisioned, no functions ([1.21])."""

    name: str
    source: SourceFile
    variable: str
    spec: ResourceSpec


@dataclass
class BuildPlan:
    """Everything the manifest, the handlers and the artifact are made from."""

    app: App
    resources: list[Resource]
    clients: list[ClientResource]
    python_version: str
    warnings: list[str] = field(default_factory=list)

    def manifest(self, generated_at: str, fingerprint: str | None) -> dict[str, Any]:
        """The manifest dict, keys in the official order (``source_fingerprint`` last)."""
        resources: dict[str, dict[str, Any]] = {}
        registry: dict[str, str] = {}
        routes: dict[str, dict[str, str]] = {}
        for resource in self.resources:
            resources[resource.name] = _resource_entry(resource)
            for function in resource.functions:
                registry[function.name] = resource.name
            if resource.is_lb:
                routes[resource.name] = {
                    f"{f.http_method} {f.route.path if f.route else ''}": f.name
                    for f in resource.functions
                }
        for client in self.clients:
            resources[client.name] = _client_entry(client)
        for entry in resources.values():
            entry["target_python_version"] = self.python_version
        manifest: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "python_version": self.python_version,
            "generated_at": generated_at,
            "project_name": self.app.name,
            "resources": resources,
            "function_registry": registry,
        }
        if routes:
            manifest["routes"] = routes
        if fingerprint is not None:
            manifest["source_fingerprint"] = fingerprint
        return manifest


def utc_timestamp(moment: datetime | None = None) -> str:
    """``2026-03-20T10:11:12.123456Z`` as the official build writes ``generated_at``."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """The text of ``flash_manifest.json`` (``json.dumps(indent=2)``, as the official build)."""
    return json.dumps(manifest, indent=2)


def build_manifest(
    app: App,
    *,
    python_version: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``flash_manifest.json`` a build of ``app`` writes, as an ordered dict (nothing written).

    ``environ`` supplies the image and location overrides (``FLASH_IMAGE_TAG``,
    ``FLASH_GPU_IMAGE``, ``RUNPOD_DEFAULT_LOCATIONS`` ...); None means the app's environment.
    Raises ``BuildError`` when a resource cannot be determined statically or the app is one the
    official build rejects.
    """
    plan = build_plan(app, python_version=python_version, environ=environ)
    files, _ = shipped_files(app)
    return plan.manifest(utc_timestamp(), source_fingerprint(files))


def build_plan(
    app: App,
    *,
    python_version: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> BuildPlan:
    """Discover the app's resources the way `flash build` would, without importing anything."""
    env = app.environ if environ is None else environ
    warnings: list[str] = []
    groups: dict[str, list[Function]] = {}
    kinds: dict[str, bool] = {}
    for endpoint in app.endpoints:
        kind = endpoint.kind
        if kind is EndpointKind.MIXED:
            decl = endpoint.decl
            raise BuildError(
                f"{where(decl.file, decl.call)}: an Endpoint cannot both decorate a function and "
                "register routes"
            )
        if kind not in (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED):
            continue
        is_lb = kind is EndpointKind.LOAD_BALANCED
        name = _resource_name(app, endpoint)
        if name in kinds and kinds[name] != is_lb:
            raise BuildError(
                f"endpoint '{name}' is declared both as a queue-based and as a load-balanced endpoint"
            )
        kinds[name] = is_lb
        items: list[Function] = []
        if is_lb:
            for route in endpoint.routes:
                items.append(
                    Function(route.definition.name, route.file, route.definition, endpoint, route)
                )
        else:
            for target in endpoint.targets:
                items.append(
                    Function(target.definition.name, target.file, target.definition, endpoint)
                )
        # The scanner never imports __init__.py files, so what they declare is not deployed.
        groups.setdefault(name, []).extend(f for f in items if f.source.path.name != "__init__.py")

    queue_owner: dict[tuple[str, str], str] = {}
    resources: list[Resource] = []
    bindings = _Bindings(app)
    for name in sorted(groups):
        functions = sorted(groups[name], key=lambda f: f.name)
        if not functions:
            continue
        files = sorted({f.source.rel for f in functions})
        if len(files) > 1:
            raise BuildError(
                f"endpoint '{name}' is defined in multiple files: {', '.join(files)}. "
                "each endpoint name must be unique across the project."
            )
        is_lb = kinds[name]
        if is_lb:
            _check_routes(name, functions)
        first = functions[0]
        spec = endpoint_spec(app, first.endpoint, is_lb=is_lb, environ=env)
        if is_lb and spec.max_concurrency > 1:
            warnings.append(
                f"max_concurrency={spec.max_concurrency} on load-balanced endpoint '{name}' is "
                "ignored: load-balanced endpoints handle concurrency in the HTTP server"
            )
        if not is_lb and len(functions) > 1:
            others = ", ".join(f"'{f.name}'" for f in functions[1:])
            warnings.append(
                f"endpoint '{name}' serves only '{first.name}' (the first alphabetically); "
                f"never called: {others}"
            )
        variable = _config_variable(bindings, first, name)
        resources.append(Resource(name, is_lb, functions, spec, variable))
        if not is_lb:
            for function in functions:
                queue_owner[(function.source.rel, function.name)] = name

    registry: dict[str, str] = {}
    for resource in resources:
        for function in resource.functions:
            if function.name in registry:
                raise BuildError(
                    f"Duplicate function name '{function.name}' found in resources "
                    f"'{registry[function.name]}' and '{resource.name}'"
                )
            registry[function.name] = resource.name
        resource.makes_remote_calls = any(
            _calls_other_resource(app, f, resource.name, queue_owner) for f in resource.functions
        )

    clients = _client_resources(app, bindings, env)
    for client in clients:
        if any(r.name == client.name for r in resources):
            raise BuildError(
                f"endpoint '{client.name}' is defined as both a client-mode Endpoint(image=...) "
                "and a decorated resource. each endpoint name must be unique across the project."
            )
    version = _python_version(python_version, [*resources, *clients])
    return BuildPlan(app, resources, clients, version, warnings)


# -- resources --------------------------------------------------------------------------------


def _resource_name(app: App, endpoint: Endpoint) -> str:
    decl = endpoint.decl
    name = endpoint.name
    if isinstance(name, Unknown):
        raise BuildError(
            f"{where(decl.file, decl.call)}: the endpoint name `{name.text}` is only known at run "
            "time; flash-ls needs a literal name"
        )
    if name is None:
        raise BuildError(f"{where(decl.file, decl.call)}: a load-balanced endpoint needs a name")
    unsafe = platform.unsafe_name_characters(name)
    if unsafe:
        # Never left to the rules alone: a suppressed FL106 must not put a handler file outside
        # the archive's root.
        raise BuildError(
            f"{where(decl.file, decl.call)}: the endpoint name {name!r} contains "
            f"{' '.join(repr(c) for c in unsafe)}, which cannot be in a file name"
        )
    flashboot = Arguments(app, decl).get("flashboot", True)
    return strip_flashboot_suffix(name, flashboot is not False)


def _check_routes(name: str, functions: list[Function]) -> None:
    seen: dict[str, str] = {}
    for function in functions:
        path = function.route.path if function.route else None
        if function.http_method is None or path is None:
            route_call = function.route.call if function.route else None
            text = route_call.text if route_call is not None else function.name
            raise BuildError(
                f"{function.source.rel}: route `{text}` of '{function.name}' needs a literal path"
            )
        key = f"{function.http_method} {path}"
        if key in seen:
            raise BuildError(
                f"Duplicate route '{key}' in resource '{name}': both '{seen[key]}' and "
                f"'{function.name}' are mapped to the same route"
            )
        seen[key] = function.name
        if path in platform.RESERVED_ROUTE_PATHS:
            raise BuildError(
                f"Function '{function.name}' cannot use reserved path '{path}'. "
                f"Reserved paths: {', '.join(platform.RESERVED_ROUTE_PATHS_LISTED)}"
            )


def _function_entry(function: Function, is_lb: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": function.name,
        "module": function.source.module,
        "is_async": _reported_async(function, is_lb),
        "is_class": function.is_class,
    }
    methods = function.public_methods if function.is_class else []
    if methods:
        entry["class_methods"] = methods
    if is_lb:
        entry["http_method"] = function.http_method
        entry["http_path"] = function.route.path if function.route else None
    return entry


def _reported_async(function: Function, is_lb: bool) -> bool:
    """``is_async`` as the official scanner reports it.

    A queue-based function is wrapped in an ``async def`` stub at build time, so it is reported
    async even when it is not (section 3.1 item 9); the generated handler checks the real function.
    """
    if function.is_class:
        last = {m.name: m for m in function.definition.methods}
        return any(last[name].is_async for name in function.public_methods)
    return True if not is_lb else function.definition.is_async


def _resource_entry(resource: Resource) -> dict[str, Any]:
    source = resource.source
    entry: dict[str, Any] = {
        "resource_type": resource.spec.resource_type,
        "file_path": source.rel,
        "local_path_prefix": "/" + source.rel.removesuffix(".py"),
        "module_path": source.module,
        "functions": [_function_entry(f, resource.is_lb) for f in resource.functions],
        "is_load_balanced": resource.is_lb,
        "is_live_resource": _is_live(resource.spec.resource_type),
        "config_variable": resource.config_variable,
        "makes_remote_calls": resource.makes_remote_calls,
    }
    if not resource.is_lb and resource.spec.max_concurrency > 1:
        entry["max_concurrency"] = resource.spec.max_concurrency
    entry.update(resource.spec.config)
    if not resource.is_lb:
        entry["handler_file"] = resource.handler_file
    return entry


def _client_entry(client: ClientResource) -> dict[str, Any]:
    source = client.source
    entry: dict[str, Any] = {
        "resource_type": client.spec.resource_type,
        "file_path": source.rel,
        "local_path_prefix": "/" + source.rel.removesuffix(".py"),
        "module_path": source.module,
        "functions": [],
        "is_load_balanced": False,
        "is_live_resource": True,
        "config_variable": client.variable,
        "makes_remote_calls": False,
        "client_mode": True,
    }
    if client.spec.max_concurrency > 1:
        entry["max_concurrency"] = client.spec.max_concurrency
    entry.update(client.spec.config)
    return entry


def _is_live(resource_type: str) -> bool:
    traits = platform.RESOURCE_CLASSES.get(resource_type)
    return traits is not None and traits.live


def _python_version(override: str | None, resources: Sequence[Resource | ClientResource]) -> str:
    """One Python version per app: the override, else the one declared, else 3.12 (section 3.3)."""
    declared = {
        r.name: r.spec.declared_python_version
        for r in resources
        if r.spec.declared_python_version is not None
    }
    if override is not None:
        if override not in platform.SUPPORTED_PYTHON_VERSIONS:
            raise BuildError(
                f"Python {override} is not supported. "
                f"Supported versions: {', '.join(platform.SUPPORTED_PYTHON_VERSIONS)}"
            )
        conflicting = {n: v for n, v in declared.items() if v != override}
        if conflicting:
            details = ", ".join(f"{n}={v}" for n, v in sorted(conflicting.items()))
            raise BuildError(
                f"python_version override '{override}' conflicts with resource declarations: "
                f"{details}. Either remove the override or align all resources to '{override}'."
            )
        return override
    distinct = set(declared.values())
    if len(distinct) > 1:
        details = ", ".join(f"{n}={v}" for n, v in sorted(declared.items()))
        raise BuildError(
            "Flash apps require one python_version across all resources "
            f"(found {sorted(distinct)}): {details}."
        )
    if distinct:
        return distinct.pop()
    return platform.DEFAULT_PYTHON_VERSION


# -- module-level names bound to endpoints ------------------------------------------------------


class _Bindings:
    """Which module-level names of a file are bound to which Endpoint (aliases, imports)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.by_call: dict[int, Endpoint] = {
            id(e.decl.call): e for e in app.endpoints if e.decl.form is DeclForm.INSTANCE
        }

    def endpoint(self, source: SourceFile, name: str, depth: int = 0) -> Endpoint | None:
        binding = source.facts.binding(name)
        if binding is None or depth > _MAX_DEPTH:
            return None
        if binding.kind == "import":
            imp, imported = binding.import_, binding.imported
            if imp is None or imported is None or not imp.is_from:
                return None
            target = self.app.module_file(self.app.import_target(source, imp))
            if target is None:
                return None
            return self.endpoint(target, imported.name, depth + 1)
        value = binding.value
        if binding.kind not in ("assign", "annotated") or value is None:
            return None
        if isinstance(value, CallExpr):
            found = self.by_call.get(id(value))
            return found if found is not None and found.decl.file is source else None
        if isinstance(value, NameExpr):
            head, _, rest = value.dotted.partition(".")
            if not rest:
                return self.endpoint(source, head, depth + 1)
            module, _, attr = source.facts.qualify(value.dotted).partition(":")
            target = (
                self.app.module_file(self.app.absolute_module(source, module)) if module else None
            )
            if target is not None and "." not in attr:
                return self.endpoint(target, attr, depth + 1)
        return None

    def names(self, source: SourceFile) -> dict[str, Endpoint]:
        found: dict[str, Endpoint] = {}
        for name in sorted(source.facts.bindings):
            endpoint = self.endpoint(source, name)
            if endpoint is not None:
                found[name] = endpoint
        return found


def _config_variable(bindings: _Bindings, first: Function, resource_name: str) -> str | None:
    """The scanner's ``config_variable``: the module attribute holding the function's config.

    Every name bound to the instance counts; ``dir()`` order makes the alphabetically last one win.
    Inline ``@Endpoint(...)`` has none, unless an instance with the same name lives in the module.
    """
    endpoint = first.endpoint
    decl = endpoint.decl
    if decl.form is DeclForm.REMOTE:
        call = decl.call
        given = call.args[0] if call.args else None
        kw = call.keyword("resource_config")
        if kw is not None:
            given = kw.value
        return given.dotted if isinstance(given, NameExpr) and "." not in given.dotted else None
    names = bindings.names(first.source)
    own = [n for n, e in names.items() if e is endpoint and not e.decl.is_client]
    if own:
        return own[-1]
    for name, other in names.items():
        if other.decl.is_client:
            continue
        other_name = other.name
        if isinstance(other_name, str) and other_name == resource_name:
            return name
    return None


def _client_resources(
    app: App, bindings: _Bindings, environ: Mapping[str, str]
) -> list[ClientResource]:
    """Module-level ``Endpoint(name=..., image=...)`` clients (no ``id``), first file wins."""
    found: dict[str, tuple[ClientResource, Endpoint, object]] = {}
    for source in app.sources(shipped_only=True):
        if source.path.name == "__init__.py":
            continue
        for variable, endpoint in bindings.names(source).items():
            decl = endpoint.decl
            if decl.keyword("image") is None or decl.keyword("id") is not None:
                continue
            args = Arguments(app, decl)
            image = args.get("image", None)
            if image is None or args.get("id", None) is not None:
                continue
            name = endpoint.name
            if not isinstance(name, str):
                raise BuildError(
                    f"{where(decl.file, decl.call)}: a client endpoint needs a literal name"
                )
            existing = found.get(name)
            if existing is not None:
                _, other_endpoint, other_image = existing
                if other_endpoint is endpoint or other_image == image:
                    continue
                raise BuildError(
                    f"endpoint '{name}' is defined in multiple files: "
                    f"{existing[0].source.rel}, {source.rel}. "
                    "each endpoint name must be unique across the project."
                )
            spec = endpoint_spec(app, endpoint, is_lb=False, environ=environ)
            found[name] = (ClientResource(name, source, variable, spec), endpoint, image)
    return [found[name][0] for name in sorted(found)]


# -- cross-endpoint calls -----------------------------------------------------------------------


def _calls_other_resource(
    app: App, function: Function, own: str, queue_owner: Mapping[tuple[str, str], str]
) -> bool:
    """Whether the function's body calls a queue function or class of another resource.

    Calls are resolved through in-function and module-level imports, aliases and attribute
    access (``from gpu_worker import infer as run``, ``workers.gpu.infer(...)``). Calls inside
    the same resource run locally and need no credentials, so they do not count.
    """
    for call in function.definition.body.calls:
        target = _callee(app, function.source, function.definition, call.callee)
        if target is None:
            continue
        owner = queue_owner.get(target)
        if owner is not None and owner != own:
            return True
    return False


def _callee(
    app: App, source: SourceFile, definition: Definition, dotted: str
) -> tuple[str, str] | None:
    """The (file, module-level name) a call inside ``definition`` reaches, when it is app code."""
    head, _, rest = dotted.partition(".")
    for imp in reversed(definition.body.imports):
        for imported in imp.names:
            if imported.name != "*" and imported.bound == head:
                return _through_import(app, source, imp, imported, rest)
    if head not in {use.name for use in definition.body.free_names}:
        return None  # a parameter or a local variable
    return _located(app, app.qualified(source, dotted))


def _through_import(
    app: App, source: SourceFile, imp: Import, imported: ImportedName, rest: str
) -> tuple[str, str] | None:
    if imp.is_from:
        base = app.import_target(source, imp)
        submodule = app.module_file(f"{base}.{imported.name}" if base else imported.name)
        if submodule is not None and rest:
            return _located(app, app.qualified(submodule, rest))
        target = app.module_file(base)
        if target is None:
            return None
        attr = f"{imported.name}.{rest}" if rest else imported.name
        return _located(app, app.qualified(target, attr))
    if imported.alias:
        module, attr = imported.name, rest
    else:
        parts = [
            imported.name.split(".", 1)[0],
            *([p for p in rest.split(".") if p] if rest else []),
        ]
        # ``import a.b`` binds ``a``; ``a.b.fn()`` reaches module a.b, attribute fn
        module, attr = parts[0], ".".join(parts[1:])
        for cut in range(len(parts) - 1, 0, -1):
            if app.module_file(".".join(parts[:cut])) is not None:
                module, attr = ".".join(parts[:cut]), ".".join(parts[cut:])
                break
    target = app.module_file(module)
    if target is None or not attr:
        return None
    return _located(app, app.qualified(target, attr))


def _located(app: App, qualified: str) -> tuple[str, str] | None:
    module, attr = split_qualified(qualified)
    target = app.module_file(module)
    if target is None or not attr:
        return None
    return target.rel, attr.split(".", 1)[0]


__all__ = [
    "BuildPlan",
    "ClientResource",
    "Function",
    "Resource",
    "build_manifest",
    "build_plan",
    "manifest_json",
    "utc_timestamp",
]
