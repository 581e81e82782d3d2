"""FL307: module-level imports of names only a package's ``__init__.py`` binds (the build never
runs ``__init__.py`` files).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flash_ls.diagnostic import Fix, Related, Severity
from flash_ls.fixes.reexports import RewriteReexport
from flash_ls.parse.facts import CallExpr, Expr, Import, ImportedName, NameExpr
from flash_ls.project.app import App, SourceFile
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.served_code import in_optional_block
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# FL307

# Re-export chains through nested packages are followed this deep (cycles end there too).
_MAX_REEXPORT_DEPTH = 16


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a name a package's ``__init__.py`` binds comes from.

    ``module`` is the dotted module that defines it and ``name`` its name there; both None when
    ``__init__.py`` binds it itself (a definition, an assignment, ``import x``): no other import
    reaches it then.
    """

    module: str | None
    name: str | None


def _reexport_origin(app: App, init: SourceFile, name: str, depth: int = 0) -> _Origin | None:
    """Where ``name``, as bound by the package ``init`` (a ``__init__.py``), comes from; None
    when ``init`` does not bind it, or binds its own submodule of that name (``from . import
    api``)."""
    if depth > _MAX_REEXPORT_DEPTH:
        return None
    binding = init.facts.binding(name)
    if binding is None:
        return _star_origin(app, init, name, depth)
    imp, imported = binding.import_, binding.imported
    if binding.kind != "import" or imp is None or imported is None:
        return _Origin(None, None)
    if imp.guarded:
        return None  # ``if TYPE_CHECKING:`` binds nothing at run time
    if not imp.is_from:
        return _Origin(None, None)
    base = app.import_target(init, imp)
    if base == init.module and imported.name == name:
        return None  # ``from . import api``: the package's own submodule
    deeper = app.module_file(base)
    if deeper is not None and deeper.path.name == "__init__.py":
        found = _reexport_origin(app, deeper, imported.name, depth + 1)
        if found is not None:
            return found
    return _Origin(base, imported.name)


def _star_origin(app: App, init: SourceFile, name: str, depth: int) -> _Origin | None:
    """``from .api import *`` in ``init``: the origin of ``name`` when a starred module binds it."""
    for imp in init.facts.imports:
        if imp.guarded or not imp.is_from or not any(n.name == "*" for n in imp.names):
            continue
        base = app.import_target(init, imp)
        target = app.module_file(base)
        if target is None or name.startswith("_"):
            continue
        if target.path.name == "__init__.py":
            found = _reexport_origin(app, target, name, depth + 1)
            if found is not None:
                return found
        elif target.facts.binding(name) is not None or any(
            d.name == name for d in target.facts.definitions
        ):
            return _Origin(base, name)
    return None


@dataclass(frozen=True, slots=True)
class _Reexport:
    """A module-level ``from pkg import name`` of a name only ``pkg/__init__.py`` binds."""

    name: ImportedName
    package: SourceFile  # pkg/__init__.py
    origin: _Origin
    shadowed: bool  # a submodule pkg/name.py (or pkg/name/) exists: the build imports that instead


def _reexports(app: App, source: SourceFile, imp: Import) -> list[_Reexport]:
    """The names of a module-level import that the build cannot get from the package it names."""
    if not imp.is_from or imp.guarded:
        return []
    base = app.import_target(source, imp)
    package = app.module_file(base) if base else None
    if package is None or package.path.name != "__init__.py":
        return []
    found = []
    for name in imp.names:
        if name.name == "*":
            continue
        origin = _reexport_origin(app, package, name.name)
        if origin is not None:
            shadowed = app.module_file(f"{base}.{name.name}") is not None
            found.append(_Reexport(name, package, origin, shadowed))
    return found


def _reexport_fix(source: SourceFile, imp: Import, found: list[_Reexport]) -> Fix | None:
    """Import each name from its defining module, in the import's own (relative) style."""
    if source.text is None:
        return None
    moves: list[tuple[ImportedName, str, str]] = []
    written = "." * imp.level + (imp.module or "")
    for item in found:
        origin = item.origin
        if origin.module is None or origin.name is None:
            continue
        module = origin.module
        if imp.level and origin.module.startswith(item.package.module + "."):
            # Keep a relative import relative: ``from . import api`` -> ``from .api import api``.
            tail = origin.module[len(item.package.module) + 1 :]
            module = written + ("" if written.endswith(".") else ".") + tail
        bound = item.name.alias or item.name.name
        spelled = origin.name if origin.name == bound else f"{origin.name} as {bound}"
        moves.append((item.name, module, spelled))
    if not moves:
        return None
    statements = sorted({m for _, m, _ in moves})
    if len(statements) == 1:
        names = ", ".join(spelled for _, _, spelled in moves)
        message = f"Import from the defining module: `from {statements[0]} import {names}`"
    else:
        message = "Import each name from its defining module"
    return Fix(message, RewriteReexport(source.path, source.text, imp, tuple(moves)))


@rule(
    "FL307",
    "package-reexport-import",
    Severity.ERROR,
    "Module-level import of a name only a package's __init__.py binds; flash build fails",
    fix=FixAvailability.SOMETIMES,
)
def package_reexport_import(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a module-level `from pkg import name` in a shipped file, where `pkg` is a package of the
    app and `name` is bound only by `pkg/__init__.py`: re-exported (`from .api import api`) or
    defined there. Re-export chains through nested packages and `from .mod import *` are followed.
    `from pkg import submodule` is fine, unless `__init__.py` rebinds that name to something else
    (`from .api import api` makes `pkg.api` the Endpoint, not the module).

    Also reported: `import pkg` followed by a module-level use of `pkg.name` (a decorator such as
    `@pkg.api.post(...)`, an assignment, a call) when `name` is such a re-export. Not reported:
    imports and uses inside function bodies (they run on workers, where `__init__.py` does run),
    imports under `if TYPE_CHECKING:` or `if __name__ == "__main__":`, optional imports in a
    `try:`/`except` block, and `__init__.py` files themselves.

    ## Why is this bad
    `flash build` imports every shipped file to discover endpoints, but it never runs
    `__init__.py` files: it registers an empty module for each package instead. So `from pkg import
    name` raises `ImportError`, or gives the submodule `pkg/name.py` instead of the object
    `__init__.py` re-exports (`module 'pkg.api' has no attribute 'post'`), and the build fails.

    ## Example
    ```python
    # service/__init__.py
    from .api import api
    # routes.py
    from service import api        # FL307

    @api.post("/classify")
    async def classify(text: str): ...
    ```
    Import it from the module that defines it: `from service.api import api`.

    ## Fix
    Rewrites the import to the module that defines each name, found by following the
    `__init__.py`'s own imports (safe: under normal Python it is the same object). No fix for a
    name `__init__.py` defines itself, nor for `import pkg` + `pkg.name`.
    """
    for source in app.sources(shipped_only=True):
        if source.path.name == "__init__.py":
            continue  # the build's scanner never imports __init__.py files by themselves
        for imp in source.facts.imports:
            found = _reexports(app, source, imp)
            if not found or in_optional_block(source, imp):
                continue  # an import in ``try:``/``except`` is allowed to fail
            fix = _reexport_fix(source, imp, found)
            for item in found:
                yield _reexport_finding(source, item, fix if item.origin.module else None)
        yield from _attribute_reexports(app, source)


def _reexport_finding(source: SourceFile, item: _Reexport, fix: Fix | None) -> Finding:
    name, package = item.name.name, item.package
    how = "re-exports" if item.origin.module is not None else "defines"
    if item.shadowed:
        outcome = f"the build imports the module {package.module}.{name} instead"
    else:
        outcome = f"the build registers an empty package '{package.module}' and the import fails"
    why = f"{package.rel} {how} '{name}', but {outcome}"
    advice = (
        f"import it from {item.origin.module}, the module that defines it"
        if item.origin.module is not None
        else f"move '{name}' out of {package.rel} into a module and import it from there"
    )
    return Finding(
        source.path,
        item.name.span,
        f"'{name}' is imported through {package.rel}",
        notes=(why, advice),
        related=(Related(package.path, _binding_span(package, name), f"'{name}' is bound here"),),
        fix=fix,
    )


def _binding_span(source: SourceFile, name: str) -> Span:
    binding = source.facts.binding(name)
    return binding.span if binding is not None else Span(0, 0, 0, 0)


def _attribute_reexports(app: App, source: SourceFile) -> Iterator[Finding]:
    """``import pkg`` + a module-level ``pkg.name`` (decorator, assignment, call) of a re-export."""
    if all(imp.is_from for imp in source.facts.imports):
        return  # no ``import pkg`` in this file
    reported: set[str] = set()
    for expr in _module_level_names(source):
        binding = source.facts.binding(expr.dotted.partition(".")[0])
        imp = binding.import_ if binding is not None else None
        if imp is None or imp.is_from or imp.guarded:
            continue
        module, _, attr = source.facts.qualify(expr.dotted).partition(":")
        package = app.module_file(module)
        name = attr.partition(".")[0]
        if package is None or package.path.name != "__init__.py" or not name:
            continue
        origin = _reexport_origin(app, package, name)
        if origin is None or f"{module}.{name}" in reported:
            continue
        reported.add(f"{module}.{name}")
        target = f"`from {origin.module} import {origin.name}`" if origin.module else None
        yield Finding(
            source.path,
            expr.span,
            f"'{module}.{name}' goes through {package.rel}",
            notes=(
                f"the build registers an empty package '{module}' instead of running "
                f"{package.rel}, so '{module}.{name}' is not what it binds and the build fails",
                f"import it with {target} and use '{origin.name}'"
                if target
                else f"move '{name}' out of {package.rel} into a module and import it from there",
            ),
            related=(
                Related(package.path, _binding_span(package, name), f"'{name}' is bound here"),
            ),
        )


def _module_level_names(source: SourceFile) -> Iterator[NameExpr]:
    """Dotted names evaluated when the module is imported: decorators, assigned values, calls."""
    exprs: list[Expr] = [d.expr for df in source.facts.definitions for d in df.decorators]
    for bindings in source.facts.bindings.values():
        exprs.extend(b.value for b in bindings if b.kind in ("assign", "annotated") and b.value)
    exprs.extend(call.call for call in source.facts.module_calls)
    for expr in sorted(exprs, key=lambda e: e.span):
        if isinstance(expr, CallExpr):
            expr = expr.func
        if isinstance(expr, NameExpr) and "." in expr.dotted:
            yield expr
