"""FL108, FL301, FL302: what endpoint code takes from the top level of its module (imports of
third-party packages and of other files' endpoints, module-level names used in endpoint
bodies), and the fixes moving those imports into the functions.

An endpoint function runs in three places with different globals (flash-platform 6.2): `flash build`
imports every shipped file locally, a `flash dev` worker executes only the function's own source in
a fresh namespace, and a deployed worker imports the whole module with what the artifact and the
base image provide.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flash_ls.diagnostic import Fix, Related, Severity
from flash_ls.fixes.moves import describe_functions, import_statements, plan_copy, plan_move
from flash_ls.parse.facts import Binding, Import, ImportedName, split_qualified
from flash_ls.project.app import App, SourceFile
from flash_ls.rules import app_api_dependencies
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.served_code import (
    Served,
    imported_modules,
    in_optional_block,
    is_third_party,
    served_definitions,
    top_module,
)
from flash_ls.span import Span

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
        self.served = served_definitions(app)
        self.index = {(s.source.rel, s.definition.name): s for s in self.served}
        self.served_files = {s.source.rel for s in self.served}
        self._top_level: dict[tuple[str, Span], _ImportPlan | None] = {}
        self._endpoint_imports: dict[tuple[str, Span], list[tuple[ImportedName, Served]]] = {}
        self._endpoint_plans: dict[tuple[str, Span], _ImportPlan | None] = {}

    def served_in(self, source: SourceFile) -> list[Served]:
        return [s for s in self.served if s.source is source]

    # FL301 -----------------------------------------------------------------------------------

    def top_level(self, source: SourceFile, imp: Import) -> _ImportPlan | None:
        """The FL301 plan of a module-level import of a file with endpoints; None if not reported."""
        key = (source.rel, imp.span)
        if key not in self._top_level:
            self._top_level[key] = self._compute_top_level(source, imp)
        return self._top_level[key]

    def _compute_top_level(self, source: SourceFile, imp: Import) -> _ImportPlan | None:
        if source.rel not in self.served_files or imp.guarded or in_optional_block(source, imp):
            return None
        names = [n for n, module in imported_modules(imp) if is_third_party(self.app, module)]
        if not names:
            return None
        if any(n.name == "*" for n in names):
            return _ImportPlan(imp, names, None)
        areas = [s.definition.span for s in self.served_in(source)]
        return _move_plan(source, imp, names, safe_within=areas, unused_is_safe=False)

    # FL108 -----------------------------------------------------------------------------------

    def endpoint_imports(
        self, source: SourceFile, imp: Import
    ) -> list[tuple[ImportedName, Served]]:
        """Names of a module-level ``from x import y`` that are another file's endpoint functions."""
        key = (source.rel, imp.span)
        if key not in self._endpoint_imports:
            self._endpoint_imports[key] = self._compute_endpoint_imports(source, imp)
        return self._endpoint_imports[key]

    def _compute_endpoint_imports(
        self, source: SourceFile, imp: Import
    ) -> list[tuple[ImportedName, Served]]:
        if not imp.is_from or imp.guarded:
            return []
        # An absolute ``from x import y`` names ``x`` itself (the common case: skip resolving).
        base = (imp.module or "") if imp.level == 0 else self.app.import_target(source, imp)
        target = self.app.module_file(base) if base else None
        if target is None or target is source or target.path.name == "__init__.py":
            # The build never runs __init__.py: what a package re-exports is FL307's.
            return []
        found: list[tuple[ImportedName, Served]] = []
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
            module, attr = split_qualified(self.app.qualified(target, name.name))
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
                label = served.endpoint.short_label
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
# FL301


@rule(
    "FL301",
    "top-level-import",
    Severity.WARNING,
    "Third-party package imported at module level in a file that defines endpoints",
    fix=FixAvailability.SOMETIMES,
    app_api=True,
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

    ## App API resources
    Also checks modules that declare `@app.queue/api/task(...)` resources (the app API of runpod
    2.0). There the whole module ships to every worker, so a module-level import is reported
    when a resource of the module lacks the package in its own `dependencies` (`rp flash dev`
    and tasks install only those), and the note says whether deployed workers
    (`requirements.txt` and the App's dependencies) have it. The runtime's own packages and
    torch on builtin GPU images count as installed; resources with `image=` are not checked; no
    fix is offered.
    """
    plans = _Plans(app)
    for source in app.sources(shipped_only=True):
        if source.rel not in plans.served_files:
            continue
        for imp in source.facts.imports:
            plan = plans.top_level(source, imp)
            if plan is None:
                continue
            packages = sorted(
                {top_module(module) for n, module in imported_modules(imp) if n in plan.names}
            )
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
    yield from app_api_dependencies.top_level_imports(app)


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
    module, attr = split_qualified(app.qualified(source, name))
    defining = app.module_file(module) if module else source
    return defining is not None and (defining.rel, attr) in plans.index


def _global_message(
    app: App, plans: _Plans, served: Served, name: str, binding: Binding
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
    app: App, plans: _Plans, served: Served, name: str, binding: Binding
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
    plans: _Plans, served: Served, reported: list[tuple[str, Span, Binding]]
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
