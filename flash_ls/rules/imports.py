"""FL3xx: imports and dependencies (plus FL108, a module-level import of another file's endpoint).

An endpoint function runs in three places with different globals (flash-platform 6.2): `flash build`
imports every shipped file locally, a `flash dev` worker executes only the function's own source in
a fresh namespace, and a deployed worker imports the whole module with what the artifact and the
base image provide. These rules check what each of them needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.fixes.dependencies import add_dependencies, list_literal_edit
from flash_ls.fixes.moves import describe_functions, import_statements, plan_copy, plan_move
from flash_ls.fixes.reexports import RewriteReexport
from flash_ls.parse.facts import (
    Binding,
    CallExpr,
    Definition,
    Expr,
    Import,
    ImportedName,
    Keyword,
    Literal,
    NameExpr,
    SequenceExpr,
)
from flash_ls.platform import (
    BASE_IMAGE_PACKAGES,
    SDK_MODULE,
    TORCH_FAMILY,
    distribution_for_import,
    import_names_for_distribution,
    is_stdlib,
    normalize_distribution,
)
from flash_ls.project.app import App, DeclForm, Endpoint, EndpointDecl, Route, SourceFile, Target
from flash_ls.project.requirements import official_package_name, parse_requirement
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.values import endpoint_name, evaluate
from flash_ls.span import Span

_NOT_PEP_508 = "not a valid PEP 508 requirement: "

# ---------------------------------------------------------------------------------------------
# What the app serves


@dataclass(eq=False, slots=True)
class _Served:
    """A function or class some endpoint serves (a queue target or a route handler)."""

    source: SourceFile
    definition: Definition
    endpoint: Endpoint

    @property
    def what(self) -> str:
        kind = "class" if self.definition.kind == "class" else "function"
        return f"endpoint {kind} '{self.definition.name}'"


def _served(app: App) -> list[_Served]:
    """Every served definition once (a definition decorated twice counts once), in file order."""
    found: dict[tuple[str, Span], _Served] = {}
    for endpoint in app.endpoints:
        items: list[Target | Route] = [*endpoint.targets, *endpoint.routes]
        for item in items:
            key = (item.file.rel, item.definition.span)
            found.setdefault(key, _Served(item.file, item.definition, endpoint))
    return [found[key] for key in sorted(found)]


def _endpoint_label(app: App, endpoint: Endpoint) -> str:
    name = endpoint_name(app, endpoint)
    if isinstance(name, str):
        return f"'{name}'"
    if endpoint.decl.variable:
        return f"'{endpoint.decl.variable}'"
    items: list[Target | Route] = [*endpoint.targets, *endpoint.routes]
    return f"'{items[0].definition.name}'" if items else "this endpoint"


def _is_cpu(decl: EndpointDecl) -> bool:
    """A CPU endpoint: ``cpu=`` given (not None), or a legacy ``Cpu*`` resource for ``remote()``."""
    kw = decl.keyword("cpu")
    if kw is not None:
        return not (isinstance(kw.value, Literal) and kw.value.value is None)
    resource = decl.resource_call
    if resource is not None and isinstance(resource.func, NameExpr):
        return resource.func.dotted.rpartition(".")[2].startswith("Cpu")
    return False


def _image_kind(decl: EndpointDecl) -> str:
    return "cpu" if _is_cpu(decl) else "gpu"


def _module_names(imp: Import) -> list[tuple[ImportedName, str]]:
    """(name, dotted module it needs): ``import a.b`` -> a.b; ``from a import b`` -> a.b."""
    if imp.level:
        return []
    if imp.module is not None:
        return [(n, imp.module if n.name == "*" else f"{imp.module}.{n.name}") for n in imp.names]
    return [(n, n.name) for n in imp.names]


def _is_third_party(app: App, module: str) -> bool:
    top = module.split(".", 1)[0]
    return bool(top) and top != SDK_MODULE and not is_stdlib(top) and not app.is_local_module(top)


def _in_optional_block(source: SourceFile, imp: Import) -> bool:
    """Whether ``imp`` sits directly in a ``try:`` body or an ``except`` clause (an optional import)."""
    lines = source.lines()
    if imp.span.start_line >= len(lines):
        return False
    own = lines[imp.span.start_line]
    indent = len(own) - len(own.lstrip())
    for index in range(imp.span.start_line - 1, -1, -1):
        text = lines[index]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(text) - len(text.lstrip()) < indent:
            head = stripped.split(":", 1)[0].split()[0] if stripped.split() else ""
            return head in ("try", "except")
    return False


# ---------------------------------------------------------------------------------------------
# Moving module-level imports into functions (shared by FL108, FL301 and FL302)


@dataclass(slots=True)
class _ImportPlan:
    """The names of one module-level import a rule wants moved, and the fix doing it."""

    imp: Import
    names: list[ImportedName]
    fix: Fix | None


def _statement_label(imp: Import, names: Sequence[ImportedName]) -> str:
    return "; ".join(import_statements(imp, names))


def _move_plan(
    source: SourceFile,
    imp: Import,
    names: list[ImportedName],
    *,
    safe_within: Sequence[Span] | None,
    unused_is_safe: bool,
) -> _ImportPlan:
    """Move ``names`` of ``imp`` into the functions using them.

    The fix is safe when the import is a plain module-level statement, every function it goes to
    lies inside one of ``safe_within`` (None: any function) and, unless ``unused_is_safe``, every
    name is used somewhere (an unused import may be there for its side effects). Its message and
    safety come from where the names are used; the edits are planned when first asked for.
    """
    if source.text is None:
        return _ImportPlan(imp, names, None)
    plan = plan_move(source.path, source.text, imp, names)
    if plan is None:
        return _ImportPlan(imp, names, None)
    sites = plan.sites
    safe = not imp.nested
    if safe_within is not None:
        safe = safe and all(any(_inside(site.span, area) for area in safe_within) for site in sites)
    if plan.usage.unused and not unused_is_safe:
        safe = False
    label = _statement_label(imp, names)
    if sites:
        message = f"Move `{label}` into {describe_functions([site.name for site in sites])}"
    else:
        message = f"Remove the unused `{label}`"
    return _ImportPlan(imp, names, Fix(message, plan.edits, safe=safe))


def _inside(inner: Span, outer: Span) -> bool:
    return outer.start_line <= inner.start_line and inner.end_line <= outer.end_line


class _Plans:
    """FL108 and FL301 plans per import statement, computed once per check and shared with FL302."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.served = _served(app)
        self.index = {(s.source.rel, s.definition.name): s for s in self.served}
        self.served_files = {s.source.rel for s in self.served}
        self._top_level: dict[tuple[str, Span], _ImportPlan | None] = {}
        self._endpoint_imports: dict[tuple[str, Span], list[tuple[ImportedName, _Served]]] = {}
        self._endpoint_plans: dict[tuple[str, Span], _ImportPlan | None] = {}

    def served_in(self, source: SourceFile) -> list[_Served]:
        return [s for s in self.served if s.source is source]

    # FL301 -----------------------------------------------------------------------------------

    def top_level(self, source: SourceFile, imp: Import) -> _ImportPlan | None:
        """The FL301 plan of a module-level import of a file with endpoints; None if not reported."""
        key = (source.rel, imp.span)
        if key not in self._top_level:
            self._top_level[key] = self._compute_top_level(source, imp)
        return self._top_level[key]

    def _compute_top_level(self, source: SourceFile, imp: Import) -> _ImportPlan | None:
        if source.rel not in self.served_files or imp.guarded or _in_optional_block(source, imp):
            return None
        names = [n for n, module in _module_names(imp) if _is_third_party(self.app, module)]
        if not names:
            return None
        if any(n.name == "*" for n in names):
            return _ImportPlan(imp, names, None)
        areas = [s.definition.span for s in self.served_in(source)]
        return _move_plan(source, imp, names, safe_within=areas, unused_is_safe=False)

    # FL108 -----------------------------------------------------------------------------------

    def endpoint_imports(
        self, source: SourceFile, imp: Import
    ) -> list[tuple[ImportedName, _Served]]:
        """Names of a module-level ``from x import y`` that are another file's endpoint functions."""
        key = (source.rel, imp.span)
        if key not in self._endpoint_imports:
            self._endpoint_imports[key] = self._compute_endpoint_imports(source, imp)
        return self._endpoint_imports[key]

    def _compute_endpoint_imports(
        self, source: SourceFile, imp: Import
    ) -> list[tuple[ImportedName, _Served]]:
        if not imp.is_from or imp.guarded:
            return []
        # An absolute ``from x import y`` names ``x`` itself (the common case: skip resolving).
        base = (imp.module or "") if imp.level == 0 else self.app.import_target(source, imp)
        target = self.app.module_file(base) if base else None
        if target is None or target is source or target.path.name == "__init__.py":
            # The build never runs __init__.py: what a package re-exports is FL307's.
            return []
        found: list[tuple[ImportedName, _Served]] = []
        for name in imp.names:
            if name.name == "*":
                if target.facts.binding("__all__") is None:
                    found.extend(
                        (name, s)
                        for s in self.served_in(target)
                        if not s.definition.name.startswith("_")
                    )
                continue
            if self.app.module_file(f"{base}.{name.name}") is not None:
                continue  # ``from pkg import module``: the name is a module, not the function
            module, _, attr = self.app.qualified(target, name.name).partition(":")
            defining = self.app.module_file(module)
            if defining is None or defining is source:
                continue
            served = self.index.get((defining.rel, attr))
            if served is not None:
                found.append((name, served))
        return found

    def endpoint_plan(self, source: SourceFile, imp: Import) -> _ImportPlan | None:
        key = (source.rel, imp.span)
        if key not in self._endpoint_plans:
            found = self.endpoint_imports(source, imp)
            names: list[ImportedName] = []
            for name, _ in found:
                if name not in names:
                    names.append(name)
            plan: _ImportPlan | None = None
            if names:
                if any(n.name == "*" for n in names):
                    plan = _ImportPlan(imp, names, None)
                else:
                    plan = _move_plan(source, imp, names, safe_within=None, unused_is_safe=True)
            self._endpoint_plans[key] = plan
        return self._endpoint_plans[key]


# ---------------------------------------------------------------------------------------------
# FL108


@rule(
    "FL108",
    "top-level-endpoint-import",
    Severity.ERROR,
    "Module-level import of another file's endpoint function; flash build fails",
    fix=FixAvailability.SOMETIMES,
)
def top_level_endpoint_import(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a module-level `from worker import work` (also `from worker import *`, aliases and
    re-exports through another module) where `work` is an endpoint function or class defined in
    another file of the app. A name a package's `__init__.py` re-exports is FL307's: the build
    fails earlier, on the import itself.

    ## Why is this bad
    `flash build` imports every shipped file and discovers endpoints by the module-level names that
    carry an endpoint configuration. The imported `work` is such a name in the importing file too,
    so the build sees the endpoint in two files and fails with `endpoint 'worker' is defined in
    multiple files`. (`import worker` followed by `worker.work(...)` does not fail the build: the
    module-level name is a module. FL302 reports that use inside endpoint bodies.)

    ## Example
    ```python
    # pipeline.py
    from cpu_worker import preprocess      # FL108

    @api.post("/classify")
    async def classify(text: str):
        return await preprocess(text)
    ```
    Import it where it is called, as the Flash examples do:
    ```python
    @api.post("/classify")
    async def classify(text: str):
        from cpu_worker import preprocess
        return await preprocess(text)
    ```

    ## Fix
    Moves the import into every function of the file that uses the name (safe when every use is
    inside a function body; no fix when the name is also used at module level, in a class body or
    in a decorator; unsafe when the import sits inside an `if`/`try` block).
    """
    plans = _Plans(app)
    for source in app.sources(shipped_only=True):
        if source.path.name == "__init__.py":
            continue  # the build's scanner never imports __init__.py files by themselves
        for imp in source.facts.imports:
            found = plans.endpoint_imports(source, imp)
            if not found:
                continue
            plan = plans.endpoint_plan(source, imp)
            for name, served in found:
                label = _endpoint_label(app, served.endpoint)
                fn = served.definition.name
                kind = served.definition.kind
                how = "`import *` imports" if name.name == "*" else "top-level import of"
                yield Finding(
                    source.path,
                    name.span,
                    f"{how} endpoint {kind} '{fn}'",
                    notes=(
                        f"'{fn}' serves endpoint {label} in {served.source.rel}; flash build then "
                        "sees that endpoint in two files and fails",
                        f"import '{fn}' inside the function that calls it",
                    ),
                    related=(
                        Related(
                            served.source.path,
                            served.definition.name_span,
                            f"endpoint {served.definition.kind} '{fn}' is defined here",
                        ),
                    ),
                    fix=plan.fix if plan is not None else None,
                )


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
            if not found or _in_optional_block(source, imp):
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


# ---------------------------------------------------------------------------------------------
# FL301


@rule(
    "FL301",
    "top-level-import",
    Severity.WARNING,
    "Third-party package imported at module level in a file that defines endpoints",
    fix=FixAvailability.SOMETIMES,
)
def top_level_import(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds module-level imports of third-party packages in files that define endpoint functions or
    classes. The standard library, `runpod_flash` and the app's own modules are fine, and so are
    imports under `if TYPE_CHECKING:` or `if __name__ == "__main__":` and optional imports in a
    `try:`/`except` block.

    ## Why is this bad
    `flash build` imports every shipped file on your machine, so the build fails with
    `ModuleNotFoundError` unless the package is installed locally too. A `flash dev` worker runs
    only the endpoint's own source, so a module-level import does not exist there. And the deployed
    worker imports the whole module: every endpoint of the file pays for the import. Flash's own
    rules and examples keep only `runpod_flash` (and the stdlib) at the top of endpoint files.

    ## Example
    ```python
    import torch                               # FL301
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
    async def infer(data: dict):
        return torch.cuda.is_available()
    ```
    Import it inside the function:
    ```python
    @Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
    async def infer(data: dict):
        import torch
        return torch.cuda.is_available()
    ```

    ## Fix
    Moves the import into every endpoint function (or method of an endpoint class) that uses it
    and removes it from the top; other names of the same statement stay. The fix is:
    - safe when every use is inside endpoint bodies;
    - unsafe when a helper function also uses it (the import then moves into the helper too), when
      the import sits in an `if`/`with` block (the condition is dropped), or when a name is unused
      (it may be imported for its side effects);
    - not offered when the name is used at module level, in a class body or a decorator.
    """
    plans = _Plans(app)
    for source in app.sources(shipped_only=True):
        if source.rel not in plans.served_files:
            continue
        for imp in source.facts.imports:
            plan = plans.top_level(source, imp)
            if plan is None:
                continue
            packages = sorted({_top(module) for n, module in _module_names(imp) if n in plan.names})
            shown = f"'{packages[0]}'"
            if len(packages) > 1:
                shown += f" and {len(packages) - 1} more"
            noun = "package" if len(packages) == 1 else "packages"
            yield Finding(
                source.path,
                imp.span,
                f"third-party {noun} {shown} imported at module level",
                notes=(
                    f"this file defines endpoints; flash build imports it locally (it fails where "
                    f"{', '.join(repr(p) for p in packages)} is not installed) and a flash dev "
                    "worker never sees module-level imports",
                    "import it inside the endpoint functions that use it",
                ),
                fix=plan.fix,
            )


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _short(text: str, limit: int = 24) -> str:
    """``text`` on one line, cut to ``limit`` characters: messages name things, not quote code."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# FL302


@rule(
    "FL302",
    "module-global-in-endpoint",
    Severity.INFO,
    "An endpoint body uses a module-level name that a flash dev worker does not have",
    fix=FixAvailability.SOMETIMES,
)
def module_global_in_endpoint(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds names an endpoint function or class uses but does not define itself: module-level
    imports, helper functions, classes and constants of its file. Each name is reported once per
    endpoint, at its first use. Decorator arguments are exempt (they are evaluated where the
    endpoint is declared), and so are direct calls to other endpoint functions, which Flash
    replaces with remote calls.

    ## Why is this bad
    On the live path (`flash dev`, or a script calling an endpoint) Flash ships only the function's
    or class's own source to the worker and executes it in a fresh namespace: module-level names
    do not exist there and raise `NameError`. (Deployed workers import the whole module, so the
    same code may work after `flash deploy` and fail in development.) Calls through a module
    attribute (`worker.work(...)`) are also not recognised as cross-endpoint calls.

    ## Example
    ```python
    import logging
    logger = logging.getLogger(__name__)
    MODEL_ID = "gpt2"

    @Endpoint(name="gen", gpu=GpuGroup.ADA_24)
    async def generate(prompt: str):
        logger.info("generating")          # FL302 (logger)
        from transformers import pipeline
        return pipeline("text-generation", model=MODEL_ID)(prompt)   # FL302 (MODEL_ID)
    ```

    ## Fix
    For an imported name, imports it inside the body (or, when FL301/FL108 move that import,
    offers the same move). Helpers and constants have to be defined inside the body or moved to a
    local module imported inside the body; there is no automatic fix for them.
    """
    plans = _Plans(app)
    for served in plans.served:
        source, definition = served.source, served.definition
        direct_calls = {c.callee for c in definition.body.calls if "." not in c.callee}
        reported: list[tuple[str, Span, Binding]] = []
        for use in definition.body.free_names:
            if use.name == definition.name:
                continue  # recursion / the class itself: defined by the shipped source
            binding = source.facts.binding(use.name)
            if binding is None:
                continue
            if use.name in direct_calls and _is_endpoint_name(app, plans, source, use.name):
                continue  # replaced by a dispatch stub on the live path
            reported.append((use.name, use.span, binding))
        copies = _copy_fixes(plans, served, reported)
        for name, span, binding in reported:
            message, notes = _global_message(app, plans, served, name, binding)
            yield Finding(source.path, span, message, notes=notes, fix=copies.get(name))


def _is_endpoint_name(app: App, plans: _Plans, source: SourceFile, name: str) -> bool:
    module, _, attr = app.qualified(source, name).partition(":")
    defining = app.module_file(module) if module else source
    return defining is not None and (defining.rel, attr) in plans.index


def _global_message(
    app: App, plans: _Plans, served: _Served, name: str, binding: Binding
) -> tuple[str, tuple[str, ...]]:
    """The message and notes of one FL302 finding."""
    live = (
        f"a flash dev worker runs only the source of {served.what}, where it is undefined "
        "(NameError)"
    )
    elsewhere = "define it inside the body, or move it to a local module imported inside the body"
    message = f"'{served.definition.name}' uses module-level '{name}'"
    if binding.kind == "import":
        hint = _module_call_hint(app, plans, served, name, binding)
        return message, (f"'{name}' is an import; {live}", "import it inside the body", *hint)
    if binding.kind == "function":
        return message, (f"'{name}' is a helper function; {live}", elsewhere)
    if binding.kind == "class":
        return message, (f"'{name}' is a class; {live}", elsewhere)
    return message, (
        f"'{name}' is a variable; {live}",
        "define it inside the body (or pass configuration through env=)",
    )


def _module_call_hint(
    app: App, plans: _Plans, served: _Served, name: str, binding: Binding
) -> tuple[str, ...]:
    """For ``import worker`` + ``worker.work(...)`` of an endpoint: the cross-call is not detected."""
    imp, imported = binding.import_, binding.imported
    if imp is None or imported is None:
        return ()
    if imp.is_from:
        module = app.import_target(served.source, imp)
        module = f"{module}.{imported.name}" if module else imported.name
    else:
        module = imported.name
    target = app.module_file(module)
    if target is None:
        return ()
    for call in served.definition.body.calls:
        head, _, attr = call.callee.partition(".")
        if head == name and attr and "." not in attr and (target.rel, attr) in plans.index:
            return (
                f"'{call.callee}(...)' calls endpoint function '{attr}' through a module "
                "attribute, which Flash does not recognise as a cross-endpoint call",
                f"use `from {module} import {attr}` inside the body and call {attr}(...)",
            )
    return ()


def _copy_fixes(
    plans: _Plans, served: _Served, reported: list[tuple[str, Span, Binding]]
) -> dict[str, Fix]:
    """Fixes for reported imported names: the FL301/FL108 move when it covers the name, else
    importing (every reported name of that statement) inside the body."""
    source, definition = served.source, served.definition
    fixes: dict[str, Fix] = {}
    by_statement: dict[Span, tuple[Import, list[ImportedName]]] = {}
    for name, _, binding in reported:
        imp, imported = binding.import_, binding.imported
        if binding.kind != "import" or imp is None or imported is None or imported.name == "*":
            continue
        if imp.guarded:
            continue  # ``if TYPE_CHECKING:`` imports may be annotation-only: do not add them
        for plan in (plans.top_level(source, imp), plans.endpoint_plan(source, imp)):
            if plan is not None and plan.fix is not None and imported in plan.names:
                fixes[name] = plan.fix
                break
        else:
            entry = by_statement.setdefault(imp.span, (imp, []))
            if imported not in entry[1]:
                entry[1].append(imported)
    if not by_statement or source.text is None:
        return fixes
    header = definition.def_line_span or definition.name_span
    body = Span(header.end_line, header.end_col, definition.span.end_line, definition.span.end_col)
    for imp, names in by_statement.values():
        names.sort(key=imp.names.index)
        copy = plan_copy(source.path, source.text, imp, names, definition.span, body)
        if copy is None:
            continue
        label = _statement_label(imp, names)
        fix = Fix(f"Add `{label}` inside '{definition.name}'", copy)
        for imported in names:
            fixes[imported.bound] = fix
    return fixes


# ---------------------------------------------------------------------------------------------
# Dependencies (FL303-FL306)


def _dependencies_keyword(decl: EndpointDecl) -> Keyword | None:
    """``dependencies=`` of the ``Endpoint(...)`` (or ``remote(...)``) call itself."""
    return decl.call.keyword("dependencies")


def _declared(app: App, decl: EndpointDecl) -> list[str] | None:
    """The requirement strings declared for an endpoint; None when not statically known."""
    kw = _dependencies_keyword(decl)
    if kw is None:
        if any(k.name is None for k in decl.call.keywords) or decl.call.has_star_args:
            return None
        return []
    value = evaluate(app, decl.file, kw.value)
    if value is None:
        return []
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return None


def _requirement_name(text: str) -> str:
    name, _ = parse_requirement(text)
    return normalize_distribution(name if name is not None else official_package_name(text))


def _provides(distributions: set[str], module: str) -> bool:
    """Whether one of ``distributions`` (normalised) provides import ``module``."""
    if normalize_distribution(distribution_for_import(module)) in distributions:
        return True
    for dist in distributions:
        for name in import_names_for_distribution(dist):
            if module == name or module.startswith(name + "."):
                return True
    return False


def _body_imports(app: App, definition: Definition) -> Iterator[tuple[Import, ImportedName, str]]:
    """Third-party imports in a body: (statement, name, dotted module)."""
    for imp in definition.body.imports:
        for name, module in _module_names(imp):
            if _is_third_party(app, module):
                yield imp, name, module


@rule(
    "FL303",
    "undeclared-dependency",
    Severity.WARNING,
    "An endpoint imports a package its workers do not install",
    fix=FixAvailability.SAFE,
)
def undeclared_dependency(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds third-party imports inside endpoint functions and classes whose distribution is not in
    the endpoint's `dependencies`, not in the app's `requirements.txt` and not preinstalled in the
    endpoint's base image (GPU images ship torch, torchvision, torchaudio, triton and numpy; CPU
    images ship none of them). Import names are mapped to distributions (`PIL` is `pillow`, `cv2`
    is `opencv-python`, `sklearn` is `scikit-learn`, `yaml` is `pyyaml`, ...).

    ## Why is this bad
    The worker raises `ModuleNotFoundError` when the endpoint runs. `flash build` installs only
    `requirements.txt` and the literal `dependencies=[...]` lists, and `flash dev` installs only the
    endpoint's own `dependencies`; `pyproject.toml` dependencies are never read.

    ## Example
    ```python
    @Endpoint(name="resize", cpu="cpu3c-1-2")
    def resize(url: str):
        from PIL import Image          # FL303: pillow is not declared
        ...
    ```
    Declare it: `@Endpoint(name="resize", cpu="cpu3c-1-2", dependencies=["pillow"])`.

    ## Fix
    Adds the distribution to the endpoint's `dependencies=[...]` in the list's own layout and
    quote style, or adds `dependencies=[...]` to the `Endpoint(...)` call. Not offered when
    `dependencies` is not a list literal (see FL304).
    """
    required = {normalize_distribution(r.name) for r in app.requirements if r.name is not None}
    found: list[tuple[_Served, Import, str, str]] = []
    missing: dict[int, list[str]] = {}  # per Endpoint(...) call: every distribution it lacks
    for served in _served(app):
        decl = served.endpoint.decl
        if decl.is_client:
            continue
        declared = _declared(app, decl)
        if declared is None:
            continue  # not statically known: FL304 / FL903 territory
        kind = _image_kind(decl)
        available = {_requirement_name(d) for d in declared} | required | BASE_IMAGE_PACKAGES[kind]
        seen: set[str] = set()
        for imp, _, module in _body_imports(app, served.definition):
            dist = distribution_for_import(module)
            key = normalize_distribution(dist)
            if key in TORCH_FAMILY or key in seen or _provides(available, module):
                continue
            seen.add(key)
            found.append((served, imp, module, dist))
            lacking = missing.setdefault(id(decl), [])
            if dist not in lacking:
                lacking.append(dist)
    for served, imp, module, dist in found:
        decl = served.endpoint.decl
        yield Finding(
            served.source.path,
            imp.span,
            f"'{_top(module)}' is not a dependency of endpoint "
            f"{_endpoint_label(app, served.endpoint)}",
            notes=(
                f"{_imported_label(module, dist)} is not in the endpoint's dependencies, in "
                f"requirements.txt or in the {_image_kind(decl).upper()} base image, so "
                f"importing it fails on the workers of {served.what}",
                f'add "{dist}" to dependencies=[...]',
            ),
            fix=_dependency_fix(decl, dist, missing[id(decl)]),
        )


def _imported_label(module: str, dist: str) -> str:
    top = _top(module)
    if normalize_distribution(top) == normalize_distribution(dist):
        return f"'{top}'"
    return f"'{top}' (distribution '{dist}')"


def _dependency_fix(decl: EndpointDecl, dist: str, missing: list[str]) -> Fix | None:
    """Add ``dist`` to the list. A missing keyword is added with every distribution the
    endpoint lacks (``missing``, the same for all its findings), so that two fixes never add the
    keyword twice."""
    source = decl.file
    if source.text is None:
        return None
    call = decl.call
    if call.keyword("dependencies") is None:
        edits = add_dependencies(source.path, source.text, call, missing)
        if edits is None:
            return None
        shown = ", ".join(f'"{d}"' for d in missing)
        return Fix(f"Add dependencies=[{shown}] to the Endpoint", tuple(edits))
    edits = add_dependencies(source.path, source.text, call, [dist])
    if edits is None:
        return None
    return Fix(f'Add "{dist}" to dependencies', tuple(edits))


@rule(
    "FL304",
    "dependencies-not-collected",
    Severity.WARNING,
    "flash build does not collect these dependencies and installs nothing",
    fix=FixAvailability.SOMETIMES,
)
def dependencies_not_collected(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds `dependencies` that `flash build` cannot see: a value that is not a list literal of
    string constants (a variable, a tuple, a computed list), or an `Endpoint` called through an
    alias (`EP = Endpoint`, `from runpod_flash import Endpoint as EP`) or assigned with an
    annotation (`api: Endpoint = Endpoint(...)`).

    ## Why is this bad
    The build reads dependencies from the source text, not by running it: only
    `dependencies=[...]` written as a list of strings in a call spelled `Endpoint(...)` (or
    `x.Endpoint(...)`), used as a decorator or in a plain `name = Endpoint(...)` assignment. Anything
    else is silently skipped, so the packages are missing on deployed workers.

    ## Example
    ```python
    DEPS = ["pandas", "scipy"]

    @Endpoint(name="stats", cpu="cpu3c-1-2", dependencies=DEPS)   # FL304
    def stats(data: list): ...
    ```

    ## Fix
    Writes the list inline (`dependencies=["pandas", "scipy"]`) when the value is a module-level
    constant list or a tuple of strings; calls `Endpoint` by its own name instead of an alias when
    the file imports it; removes the annotation of an annotated assignment.
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.is_client or decl.form is DeclForm.BARE:
            continue
        kw = _dependencies_keyword(decl)
        if kw is None:
            continue
        value = evaluate(app, decl.file, kw.value)
        if value is None or value == [] or value == ():
            continue
        label = _endpoint_label(app, endpoint)
        literal = _is_literal_list(kw.value)
        if not literal:
            yield _not_literal_finding(app, decl, kw, value, label)
        if _via_alias(decl):
            yield _alias_finding(app, decl, label)
        if decl.annotated:
            yield _annotated_finding(decl, label)


def _is_literal_list(expr: Expr) -> bool:
    return (
        isinstance(expr, SequenceExpr)
        and expr.kind == "list"
        and not expr.has_star
        and all(isinstance(i, Literal) and isinstance(i.value, str) for i in expr.items)
    )


def _via_alias(decl: EndpointDecl) -> bool:
    if decl.form is DeclForm.REMOTE:
        func = decl.call.func
        return isinstance(func, NameExpr) and func.dotted.rpartition(".")[2] != "remote"
    return decl.via_alias


def _listing(value: object) -> str:
    """``'pandas' is`` / ``'pandas', 'scipy' are`` / ``these packages are``."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return ", ".join(f"'{v}'" for v in value) + (" is" if len(value) == 1 else " are")
    return "these packages are"


def _not_literal_finding(
    app: App, decl: EndpointDecl, kw: Keyword, value: object, label: str
) -> Finding:
    expr = kw.value
    if isinstance(expr, NameExpr):
        shape = f"the variable '{_short(expr.dotted, 16)}'"
    elif isinstance(expr, SequenceExpr) and expr.kind != "list":
        shape = f"a {expr.kind}"
    elif isinstance(expr, SequenceExpr):
        shape = "a non-literal list"
    else:
        shape = "a computed value"
    return Finding(
        decl.file.path,
        expr.span,
        f"dependencies of {label} are {shape}",
        notes=(
            "flash build only collects a list of string literals written in the call, so "
            f"{_listing(value)} never installed",
            "write the list inline",
        ),
        fix=_inline_fix(app, decl, kw),
    )


def _inline_fix(app: App, decl: EndpointDecl, kw: Keyword) -> Fix | None:
    expr = kw.value
    resolved = app.constant(decl.file, expr)
    if not isinstance(resolved, SequenceExpr) or resolved.has_star or resolved.kind == "set":
        return None
    items: list[Expr] = []
    for item in resolved.items:
        if isinstance(item, NameExpr):
            item = app.constant(decl.file, item)
        if not (isinstance(item, Literal) and isinstance(item.value, str)):
            return None
        items.append(item)
    edit = list_literal_edit(decl.file.path, _value_span(decl.file, kw), items)
    return Fix("Write the dependencies as a list literal", (edit,))


def _value_span(source: SourceFile, kw: Keyword) -> Span:
    """The value of ``name=value`` including parentheses around it (``("a", "b")``): the value
    expression's own span leaves them out, the keyword's span ends after them."""
    lines = source.lines()
    line = kw.name_span.end_line
    if line >= len(lines) or line != kw.span.start_line:
        return kw.value.span
    text = lines[line]
    equals = text.find("=", kw.name_span.end_col)
    if equals < 0 or (line, equals) > (kw.value.span.start_line, kw.value.span.start_col):
        return kw.value.span
    start = equals + 1
    while start < len(text) and text[start] in " \t":
        start += 1
    return Span(line, start, kw.span.end_line, kw.span.end_col)


def _alias_finding(app: App, decl: EndpointDecl, label: str) -> Finding:
    func = decl.call.func
    spelled = func.text if isinstance(func, NameExpr) else "the alias"
    expected = "remote" if decl.form is DeclForm.REMOTE else "Endpoint"
    fix = None
    replacement = _direct_spelling(app, decl.file, expected)
    if replacement is not None and isinstance(func, NameExpr):
        fix = Fix(
            f"Call {replacement}(...) directly",
            (TextEdit(decl.file.path, func.span, replacement),),
        )
    return Finding(
        decl.file.path,
        func.span,
        f"endpoint {label} is declared through '{_short(spelled)}(...)'",
        notes=(
            f"flash build only collects dependencies from calls spelled {expected}(...) or "
            f"<module>.{expected}(...), so its dependencies are never installed",
            f"call {expected} directly",
        ),
        fix=fix,
    )


def _direct_spelling(app: App, source: SourceFile, name: str) -> str | None:
    """How this file can spell the SDK's ``name`` so that the build's AST scan recognises it."""
    if app.is_sdk_name(source, name, name) and source.facts.binding(name) is not None:
        return name
    for bound, bindings in source.facts.bindings.items():
        binding = bindings[-1]
        imported = binding.imported
        if binding.kind != "import" or binding.import_ is None or imported is None:
            continue
        if binding.import_.is_from:
            continue
        candidate = f"{bound}.{name}"
        if app.is_sdk_name(source, candidate, name):
            return candidate
    return None


def _annotated_finding(decl: EndpointDecl, label: str) -> Finding:
    source = decl.file
    binding = source.facts.binding(decl.variable) if decl.variable else None
    span = binding.span if binding is not None else decl.call.span
    fix = None
    if binding is not None and source.text is not None:
        lines = source.lines()
        start, call = binding.span, decl.call.span
        if start.end_line == call.start_line and start.end_line < len(lines):
            between = lines[start.end_line][start.end_col : call.start_col]
            head, sep, tail = between.partition("=")
            if sep and head.strip().startswith(":") and not tail.strip():
                fix = Fix(
                    "Remove the annotation",
                    (
                        TextEdit(
                            source.path,
                            Span(start.end_line, start.end_col, call.start_line, call.start_col),
                            " = ",
                        ),
                    ),
                )
    return Finding(
        source.path,
        span,
        f"endpoint {label} is assigned with an annotation",
        notes=(
            f"flash build only collects dependencies from plain assignments ('{decl.variable} = "
            "Endpoint(...)'), so its dependencies are never installed",
            "remove the annotation",
        ),
        fix=fix,
    )


@rule(
    "FL305",
    "torch-on-cpu",
    Severity.WARNING,
    "torch-family package on a CPU endpoint",
)
def torch_on_cpu(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds torch, torchvision, torchaudio or triton declared in the `dependencies` of a CPU endpoint
    (`cpu=...`) or imported inside its body.

    ## Why is this bad
    `flash build` always excludes these packages from the artifact, for every endpoint type,
    because GPU images ship them. CPU images are slim Python images without torch, so the import
    fails on the worker (`ModuleNotFoundError`) even when the package is declared.

    ## Example
    ```python
    @Endpoint(name="embed", cpu="cpu3c-4-8", dependencies=["torch"])   # FL305
    def embed(text: str):
        import torch
        ...
    ```
    Run it on a GPU endpoint (`gpu=GpuGroup.ANY`), or use a library without torch.
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.is_client or not _is_cpu(decl):
            continue
        label = _endpoint_label(app, endpoint)
        kw = _dependencies_keyword(decl)
        if kw is not None and isinstance(kw.value, SequenceExpr):
            for item in kw.value.items:
                if not (isinstance(item, Literal) and isinstance(item.value, str)):
                    continue
                name = _requirement_name(item.value)
                if name in TORCH_FAMILY:
                    yield Finding(
                        decl.file.path,
                        item.span,
                        f"'{name}' is declared for CPU endpoint {label}",
                        notes=(
                            "flash build always excludes torch, torchvision, torchaudio and "
                            "triton and CPU images do not have them, so it is never installed",
                            "run this endpoint on a GPU (gpu=...) or drop the dependency",
                        ),
                    )
    for served in _served(app):
        decl = served.endpoint.decl
        if decl.is_client or not _is_cpu(decl):
            continue
        label = _endpoint_label(app, served.endpoint)
        seen: set[str] = set()
        for imp, _, module in _body_imports(app, served.definition):
            dist = normalize_distribution(distribution_for_import(module))
            if dist not in TORCH_FAMILY or dist in seen:
                continue
            seen.add(dist)
            yield Finding(
                served.source.path,
                imp.span,
                f"'{_top(module)}' is imported on CPU endpoint {label}",
                notes=(
                    f"CPU images have no torch and flash build never bundles it, so the import "
                    f"in {served.what} fails on the worker",
                    "run this endpoint on a GPU (gpu=...)",
                ),
            )


@rule(
    "FL306",
    "invalid-dependency",
    Severity.ERROR,
    "A dependencies entry is not a valid PEP 508 requirement",
)
def invalid_dependency(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks every string in `dependencies=[...]` against PEP 508, the requirement syntax pip
    accepts (`package`, `package[extra]>=1.0`, `package @ https://...`, markers after `;`).

    ## Why is this bad
    `flash build` hands each entry to `pip install` as it is; pip rejects an invalid one and the
    dependency installation, and with it the build, fails. On the live path the worker fails to
    install the endpoint's dependencies.

    ## Example
    ```python
    @Endpoint(name="x", dependencies=["numpy>=", "pillow # imaging"])   # FL306 twice
    def x(): ...
    ```
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        kw = _dependencies_keyword(decl)
        if kw is None or not isinstance(kw.value, SequenceExpr):
            continue
        label = _endpoint_label(app, endpoint)
        for item in kw.value.items:
            if not (isinstance(item, Literal) and isinstance(item.value, str)):
                continue
            _, error = parse_requirement(item.value)
            if error is None:
                continue
            yield Finding(
                decl.file.path,
                item.span,
                f"dependency {_short(item.text)} of {label} is not valid PEP 508",
                notes=(
                    f"pip rejects it ({error.removeprefix(_NOT_PEP_508)}) and flash build fails",
                    'write a requirement such as "package>=1.0"',
                ),
            )
