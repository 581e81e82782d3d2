"""FL303-FL306: the dependencies an endpoint declares (``dependencies=[...]``) against what its
code imports, what ``flash build`` collects and what the base images provide.

An endpoint function runs in three places with different globals (flash-platform 6.2): `flash build`
imports every shipped file locally, a `flash dev` worker executes only the function's own source in
a fresh namespace, and a deployed worker imports the whole module with what the artifact and the
base image provide.
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls.diagnostic import Fix, Severity, TextEdit
from flash_ls.fixes.dependencies import add_dependencies, list_literal_edit
from flash_ls.parse.facts import (
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
    TORCH_FAMILY,
    distribution_for_import,
    normalize_distribution,
)
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm, EndpointDecl
from flash_ls.project.evaluation import evaluate
from flash_ls.project.requirements import official_package_name, parse_requirement
from flash_ls.rules import app_api_dependencies
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.rules.served_code import (
    Served,
    imported_modules,
    is_third_party,
    served_definitions,
    top_module,
)
from flash_ls.rules.served_code import provides as _provides
from flash_ls.span import Span

_NOT_PEP_508 = "not a valid PEP 508 requirement: "


def _short(text: str, limit: int = 24) -> str:
    """``text`` on one line, cut to ``limit`` characters: messages name things, not quote code."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def _body_imports(app: App, definition: Definition) -> Iterator[tuple[Import, ImportedName, str]]:
    """Third-party imports in a body: (statement, name, dotted module)."""
    for imp in definition.body.imports:
        for name, module in imported_modules(imp):
            if is_third_party(app, module):
                yield imp, name, module


@rule(
    "FL303",
    "undeclared-dependency",
    Severity.WARNING,
    "An endpoint imports a package its workers do not install",
    fix=FixAvailability.SAFE,
    app_api=True,
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

    ## App API resources
    Also checks the bodies of `@app.queue/api/task(...)` resources (runpod 2.0): the package
    must be in the resource's own `dependencies`, since `rp flash dev` and tasks never read
    `requirements.txt`; the note says whether deployed workers have it. The runtime's own
    packages (requests, aiohttp, ...; fastapi for api resources) and torch on builtin GPU images
    count as installed; resources with `image=` are not checked.
    """
    required = {normalize_distribution(r.name) for r in app.requirements if r.name is not None}
    found: list[tuple[Served, Import, str, str]] = []
    missing: dict[int, list[str]] = {}  # per Endpoint(...) call: every distribution it lacks
    # per Endpoint(...) call: what its workers install (None: not statically known)
    installed: dict[int, set[str] | None] = {}
    for served in served_definitions(app):
        decl = served.endpoint.decl
        if id(decl) not in installed:
            declared = None if decl.is_client else _declared(app, decl)
            installed[id(decl)] = (
                None
                if declared is None  # a client, or FL304 / FL903 territory
                else {_requirement_name(d) for d in declared}
                | required
                | BASE_IMAGE_PACKAGES[served.endpoint.image_type]
            )
        available = installed[id(decl)]
        if available is None:
            continue
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
            f"'{top_module(module)}' is not a dependency of endpoint {served.endpoint.short_label}",
            notes=(
                f"{_imported_label(module, dist)} is not in the endpoint's dependencies, in "
                f"requirements.txt or in the {'CPU' if served.endpoint.is_cpu else 'GPU'} base image, so "
                f"importing it fails on the workers of {served.what}",
                f'add "{dist}" to dependencies=[...]',
            ),
            fix=_dependency_fix(decl, dist, missing[id(decl)]),
        )
    yield from app_api_dependencies.undeclared_dependencies(app)


def _imported_label(module: str, dist: str) -> str:
    top = top_module(module)
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
    app_api=True,
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

    ## App API resources
    For `@app.queue/api/task(...)` resources (runpod 2.0), which are read by importing the
    module, constants and computed lists are collected; reported are a bare string in
    `dependencies` or `system_dependencies` (iterated character by character) and entries that
    are not strings.
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
        label = endpoint.short_label
        literal = _is_literal_list(kw.value)
        if not literal:
            yield _not_literal_finding(app, decl, kw, value, label)
        if _via_alias(decl):
            yield _alias_finding(app, decl, label)
        if decl.annotated:
            yield _annotated_finding(decl, label)
    yield from app_api_dependencies.not_string_lists(app)


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
            # The last `=` is the assignment's: the annotation may hold one (`Annotated[E, "a=b"]`).
            head, sep, tail = between.rpartition("=")
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
        if decl.is_client or endpoint.is_cpu is not True:
            continue
        label = endpoint.short_label
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
    for served in served_definitions(app):
        decl = served.endpoint.decl
        if decl.is_client or served.endpoint.is_cpu is not True:
            continue
        label = served.endpoint.short_label
        seen: set[str] = set()
        for imp, _, module in _body_imports(app, served.definition):
            dist = normalize_distribution(distribution_for_import(module))
            if dist not in TORCH_FAMILY or dist in seen:
                continue
            seen.add(dist)
            yield Finding(
                served.source.path,
                imp.span,
                f"'{top_module(module)}' is imported on CPU endpoint {label}",
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
    app_api=True,
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

    ## App API resources
    Also checks the `dependencies` of `@app.queue/api/task(...)` resources (runpod 2.0): pip
    fails vendoring them in `rp flash deploy` and installing them in `rp flash dev`.
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        kw = _dependencies_keyword(decl)
        if kw is None or not isinstance(kw.value, SequenceExpr):
            continue
        label = endpoint.short_label
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
    yield from app_api_dependencies.invalid_requirements(app)
