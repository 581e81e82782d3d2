"""The FL3xx import and dependency checks on resources of the app API of ``runpod`` (runpod 2.0's
``@app.queue/api/task(...)``), as the app API defines them (runpod-app-api.md 5.3, 7.1, 10.3,
10.4): FL301 top-level imports, FL303 undeclared dependencies, FL304 dependencies that are not a
list of strings, FL306 invalid requirements.

What differs from runpod_flash: every mode ships and runs the **whole module** of a resource, so
module-level names do exist on the workers (FL302 does not carry over), but the packages they
import must be installed there. A deployed worker has ``requirements.txt`` and the dependencies
of every resource of its App (one environment per App); ``rp flash dev`` and tasks install only
the called resource's own ``dependencies`` (``requirements.txt`` is not read). Both have the
runtime's own requirements, and builtin GPU images the torch family. A resource with a custom
``image=`` may have anything: it is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Related, TextEdit
from flash_ls.fixes.dependencies import add_dependencies
from flash_ls.parse.facts import Expr, Import, Literal, SequenceExpr
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import AppDecl, Endpoint, EndpointKind
from flash_ls.project.evaluation import Unknown, evaluate
from flash_ls.project.requirements import parse_requirement
from flash_ls.rules.app_api import app_label
from flash_ls.rules.registry import Finding
from flash_ls.rules.served_code import imported_modules, in_optional_block, provides, top_module

_DEV = (
    "rp flash dev and tasks run the whole module on a worker that installs only the called "
    "resource's dependencies (requirements.txt is not read)"
)


def _resources(app: App) -> list[Endpoint]:
    """The app API resources whose decorator is called (the others raise: FL703)."""
    if not app.uses_app_api:
        return []
    return [e for e in app.app_api_endpoints if e.decl.called and e.targets]


def _label(endpoint: Endpoint) -> str:
    return f"resource {endpoint.short_label}"


def requirement_name(text: str) -> str:
    """The distribution a requirement names, as the build keys it (``requirement_name``),
    normalised to compare with import names."""
    return pf.normalize_distribution(pf.app_requirement_name(text))


def _is_third_party(app: App, module: str) -> bool:
    """Neither the standard library, nor the app API's SDK (vendored into every artifact), nor a
    module of the app."""
    top = top_module(module)
    return (
        bool(top)
        and top != pf.APP_API_MODULE
        and not pf.is_stdlib(top)
        and not app.is_local_module(top)
    )


# ---------------------------------------------------------------------------------------------
# What a resource's workers install


@dataclass(frozen=True, slots=True)
class Installed:
    """The distributions (normalised) a resource's workers have: in dev and tasks (its own
    dependencies), and once deployed (requirements.txt and its App's dependencies as well)."""

    dev: frozenset[str]
    deploy: frozenset[str]


def declared(endpoint: Endpoint) -> list[str] | None:
    """The resource's ``dependencies`` as strings; None when not statically known."""
    found = endpoint.argument("dependencies")
    if found is None:
        call = endpoint.decl.call
        spread = call.has_star_args or any(k.name is None for k in call.keywords)
        return None if spread else []
    value = found.value
    if value is None:
        return []
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return None


def _custom_image(endpoint: Endpoint) -> bool:
    image = endpoint.value("image")
    return isinstance(image, Unknown) or bool(image)


def installed(app: App) -> dict[int, Installed]:
    """Per resource (by ``id``): what its workers install; a resource that is not in the map
    (custom image, dependencies not statically known) is not checked."""
    return app.derived(_installed)


def _installed(app: App) -> dict[int, Installed]:
    resources = _resources(app)
    by_app: dict[AppDecl | None, list[Endpoint]] = {}
    for endpoint in resources:
        by_app.setdefault(endpoint.app_decl, []).append(endpoint)
    required = {
        requirement_name(line.raw)
        for line in app.requirements
        if line.raw and not line.raw.startswith(("#", "-"))
    }
    runtime = {pf.normalize_distribution(d) for d in pf.APP_RUNTIME_REQUIREMENTS}
    api_runtime = {pf.normalize_distribution(d) for d in pf.APP_API_RUNTIME_REQUIREMENTS}
    torch = {pf.normalize_distribution(d) for d in pf.APP_SIZE_PROHIBITIVE_PACKAGES}
    found: dict[int, Installed] = {}
    for members in by_app.values():
        own = {id(e): declared(e) for e in members}
        app_wide: set[str] = set()
        for deps in own.values():
            app_wide |= {requirement_name(d) for d in deps or ()}
        has_api = any(e.kind is EndpointKind.LOAD_BALANCED for e in members)
        deployed = required | app_wide | runtime | (api_runtime if has_api else set())
        for endpoint in members:
            deps = own[id(endpoint)]
            if deps is None or _custom_image(endpoint):
                continue
            image = set(runtime)
            if endpoint.kind is EndpointKind.LOAD_BALANCED:
                image |= api_runtime
            if endpoint.is_cpu is False:  # a builtin GPU image (no hardware given: GPU "any")
                image |= torch
            dev = frozenset({requirement_name(d) for d in deps} | image)
            # A task is a pod per call that installs its own dependencies, deployed or not.
            task = endpoint.kind is EndpointKind.TASK
            found[id(endpoint)] = Installed(dev, dev if task else frozenset(deployed | image))
    return found


def _missing_on_deploy(endpoint: Endpoint) -> str:
    """The note on what a deployed worker makes of the same import."""
    if endpoint.kind is EndpointKind.TASK:
        return "A task installs only its own dependencies, deployed or not"
    return (
        "It is not in requirements.txt or the dependencies of "
        f"{app_label(endpoint.app_decl)} either: deployed workers fail too"
    )


def _dependency_fix(endpoint: Endpoint, dists: list[str]) -> Fix | None:
    source = endpoint.decl.file
    if source.text is None:
        return None
    call = endpoint.decl.call
    edits = add_dependencies(source.path, source.text, call, dists)
    if edits is None:
        return None
    shown = ", ".join(f'"{d}"' for d in dists)
    if call.keyword("dependencies") is None:
        return Fix(f"Add dependencies=[{shown}]", tuple(edits))
    return Fix(f"Add {shown} to dependencies", tuple(edits))


# ---------------------------------------------------------------------------------------------
# FL301


def top_level_imports(app: App) -> Iterator[Finding]:
    """Module-level third-party imports of a module declaring resources that some resource of the
    module does not declare (its dev and task workers fail to import the module)."""
    resources = _resources(app)
    if not resources:
        return
    have = installed(app)
    by_file: dict[str, list[Endpoint]] = {}
    for endpoint in resources:
        by_file.setdefault(endpoint.decl.file.rel, []).append(endpoint)
    for rel, members in by_file.items():
        source = app.files[rel]
        for imp in source.facts.imports:
            if imp.guarded or in_optional_block(source, imp):
                continue
            yield from _top_level_import(app, source, imp, members, have)


def _top_level_import(
    app: App,
    source: SourceFile,
    imp: Import,
    members: list[Endpoint],
    have: dict[int, Installed],
) -> Iterator[Finding]:
    seen: set[str] = set()
    for _, module in imported_modules(imp):
        if not _is_third_party(app, module):
            continue
        top = top_module(module)
        if top in seen:
            continue
        seen.add(top)
        dist = pf.distribution_for_import(module)
        lacking = [e for e in members if id(e) in have and not provides(have[id(e)].dev, module)]
        if not lacking:
            continue
        first = lacking[0]
        whose = first.short_label if len(lacking) == 1 else f"{len(lacking)} resources"
        deploy_lacking = [e for e in lacking if not provides(have[id(e)].deploy, module)]
        deploy_lacking.sort(key=lambda e: e.kind is EndpointKind.TASK)  # endpoints first
        yield Finding(
            source.path,
            imp.span,
            f"module-level '{top}' not in dependencies of {whose}",
            related=tuple(
                Related(source.path, e.targets[0].decorator.span, f"{_label(e)} lacks it")
                for e in lacking
            ),
            notes=(
                f"{_DEV}: importing this module fails on the workers of {_label(first)}",
                _missing_on_deploy(deploy_lacking[0])
                if deploy_lacking
                else "Deployed workers have it (requirements.txt or the App's dependencies)",
                f'Add "{dist}" to the dependencies of every resource of {source.rel}, or import '
                "it inside the functions that use it",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL303


def undeclared_dependencies(app: App) -> Iterator[Finding]:
    """Third-party imports inside a resource's body that its own dependencies do not install."""
    have = installed(app)
    for endpoint in _resources(app):
        available = have.get(id(endpoint))
        if available is None:
            continue
        target = endpoint.targets[0]
        found: list[tuple[Import, str, str]] = []
        seen: set[str] = set()
        for imp in target.definition.body.imports:
            for _, module in imported_modules(imp):
                if not _is_third_party(app, module):
                    continue
                dist = pf.distribution_for_import(module)
                key = pf.normalize_distribution(dist)
                if key in seen or provides(available.dev, module):
                    continue
                seen.add(key)
                found.append((imp, module, dist))
        lacking = [dist for _, _, dist in found]
        for imp, module, dist in found:
            top = top_module(module)
            named = (
                f"'{top}'"
                if pf.normalize_distribution(top) == pf.normalize_distribution(dist)
                else f"'{top}' (distribution '{dist}')"
            )
            yield Finding(
                target.file.path,
                imp.span,
                f"'{top}' is not a dependency of {endpoint.short_label}",
                fix=_dependency_fix(endpoint, lacking),
                notes=(
                    f"{_DEV}: importing {named} fails there",
                    "Deployed workers have it (requirements.txt or the App's dependencies)"
                    if provides(available.deploy, module)
                    else _missing_on_deploy(endpoint),
                    f'Add "{dist}" to dependencies=[...]',
                ),
            )


# ---------------------------------------------------------------------------------------------
# FL304

_LISTS = ("dependencies", "system_dependencies")


def not_string_lists(app: App) -> Iterator[Finding]:
    """``dependencies``/``system_dependencies`` given as a bare string (iterated character by
    character), or with entries that are not strings."""
    for endpoint in _resources(app):
        for name in _LISTS:
            found = endpoint.argument(name)
            if found is None:
                continue
            value = found.value
            if isinstance(value, str):
                yield _bare_string(endpoint, name, found.expr, value)
            elif isinstance(value, (list, tuple)) and isinstance(found.expr, SequenceExpr):
                yield from _non_strings(app, endpoint, name, found.expr)


def _bare_string(endpoint: Endpoint, name: str, expr: Expr, value: str) -> Finding:
    source = endpoint.decl.file
    chars = ", ".join(repr(c) for c in list(dict.fromkeys(value))[:4])
    fix = None
    if isinstance(expr, Literal):
        fix = Fix(f"Use [{expr.text}]", (TextEdit(source.path, expr.span, f"[{expr.text}]"),))
    installs = "pip" if name == "dependencies" else "apt"
    return Finding(
        source.path,
        expr.span,
        f"{name} of {_label(endpoint)} is a string, not a list",
        fix=fix,
        notes=(
            f"The SDK does not check its type and iterates it character by character: {installs} "
            f"is asked for {chars}{' and more' if len(set(value)) > 4 else ''}",
            f"Write {name}=[{expr.text}]",
        ),
    )


def _non_strings(app: App, endpoint: Endpoint, name: str, expr: SequenceExpr) -> Iterator[Finding]:
    if expr.has_star:
        return
    source = endpoint.decl.file
    for item in expr.items:
        value = evaluate(app, source, item, sdk=endpoint.sdk)
        if isinstance(value, (str, Unknown)):
            continue
        yield Finding(
            source.path,
            item.span,
            f"{name} entry {item.text[:20]} of {_label(endpoint)} is not a string",
            notes=(
                "The SDK does not check its type; rp flash deploy fails reading it as a "
                "requirement (TypeError)"
                if name == "dependencies"
                else "The SDK does not check its type; the worker is asked to install it as is",
                f"Write each entry of {name} as a string",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL306


def invalid_requirements(app: App) -> Iterator[Finding]:
    """``dependencies`` strings that are not PEP 508 requirements."""
    for endpoint in _resources(app):
        found = endpoint.argument("dependencies")
        if found is None or not isinstance(found.expr, SequenceExpr):
            continue
        source = endpoint.decl.file
        for item in found.expr.items:
            value = evaluate(app, source, item, sdk=endpoint.sdk)
            if not isinstance(value, str):
                continue
            _, error = parse_requirement(value)
            if error is None:
                continue
            shown = " ".join(value.split())
            shown = shown if len(shown) <= 24 else shown[:21] + "..."
            yield Finding(
                source.path,
                item.span,
                f"dependency {shown!r} of {_label(endpoint)} is not valid PEP 508",
                notes=(
                    f"pip rejects it ({error.split(': ', 1)[-1]}): rp flash deploy fails "
                    "vendoring the dependencies, and rp flash dev fails installing them",
                    'Write a requirement such as "package>=1.0"',
                ),
            )
