"""FL9xx: what stops the analysis itself (unparseable files, values only known at run time) and
app-wide settings that no single endpoint owns (the Python version)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.parse.facts import CallExpr, Keyword, NameExpr, split_qualified
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm
from flash_ls.project.evaluation import Unknown, evaluate
from flash_ls.rules.endpoint_arguments import (
    contexts,
    shorten,
    source_text,
    unknown_arguments,
    with_article,
)
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span


@rule("FL901", "syntax-error", Severity.ERROR, "A file of the app cannot be parsed")
def syntax_error(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Reports syntax errors, and files that cannot be read as Python source at all (not UTF-8, NUL
    bytes, no permission). flash-ls parses every statement of the files it analyses: files that
    mention `runpod_flash`, and files that import (at module level) a module of the same app that is
    analysed. Other files are read only for their module-level imports, constant assignments and
    bare calls, so a syntax error inside a function or class of such a file is not reported. A
    folder where no file mentions `runpod_flash` is not a Flash app and is not checked at all.

    What is a syntax error is decided by the Python that runs flash-ls, as `flash build` decides it
    with the Python that runs the build: syntax newer than that Python (a `type` statement or
    `def f[T]()` under Python 3.11) is reported. Run flash-ls with the Python you build with.

    ## Why is this bad
    `flash build` imports every shipped `.py` file to discover endpoints; a file that does not
    parse fails the whole build with `Failed to load: file.py: SyntaxError: ...`. flash-ls still
    checks the rest of the file (statement by statement) and the rest of the app.

    ## Example
    ```python
    @Endpoint(name="worker")
    def work(x:        # FL901: '(' was never closed
    ```
    """
    for source in app.sources():
        for problem in source.facts.syntax_errors:
            unreadable = source.read_error is not None or source.text is None
            message = problem.message if unreadable else f"syntax error: {problem.message}"
            notes: tuple[str, ...] = ()
            if not source.shipped:
                notes = ("flash build ignores this file, but flash-ls cannot check it",)
            elif "flash build" not in message:
                notes = ("flash build imports every file and fails on this one",)
            yield Finding(source.path, problem.span, message, notes=notes)


# ---------------------------------------------------------------------------------------------
# FL902


@dataclass(frozen=True, slots=True)
class _Resource:
    file: SourceFile
    call: CallExpr


def _legacy_resources(app: App) -> list[_Resource]:
    """Legacy resource objects: inline in ``remote(...)`` and bound at module level (the scanner
    records every module-level resource; they are used through ``remote`` from any file)."""
    found: dict[tuple[str, Span], _Resource] = {}
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.form is DeclForm.REMOTE and decl.resource_call is not None:
            key = (decl.file.rel, decl.resource_call.span)
            found.setdefault(key, _Resource(decl.file, decl.resource_call))
    for source in app.sources(shipped_only=True):
        calls = [m.call for m in source.facts.module_calls]
        for bindings in source.facts.bindings.values():
            calls.extend(b.value for b in bindings if isinstance(b.value, CallExpr))
        for call in calls:
            if _is_legacy_class(app, source, call):
                found.setdefault((source.rel, call.span), _Resource(source, call))
    return [found[k] for k in sorted(found)]


def _is_legacy_class(app: App, source: SourceFile, call: CallExpr) -> bool:
    if not isinstance(call.func, NameExpr):
        return False
    module, attr = split_qualified(app.qualified(source, call.func.dotted))
    return pf.is_sdk_module(module) and attr in pf.LEGACY_RESOURCE_CLASSES


@rule(
    "FL902",
    "python-version-conflict",
    Severity.ERROR,
    "Resources declare different or unsupported Python versions",
    fix=FixAvailability.SOMETIMES,
)
def python_version_conflict(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks `python_version=` on legacy resources (`LiveServerless(python_version="3.11")`, the
    only place a per-resource version can be set): every resource of the app must declare the
    same version, and it must be one of 3.10, 3.11, 3.12 or 3.13.

    ## Why is this bad
    A Flash app is built for one Python version. Different declarations fail `flash build` with
    `Flash apps require one python_version across all resources (found [...])`; an unsupported
    version raises `Python X is not supported. Supported versions: 3.10, 3.11, 3.12, 3.13` when
    the resource is created.

    ## Example
    ```python
    gpu_config = LiveServerless(name="gpu", python_version="3.11")
    cpu_config = CpuLiveServerless(name="cpu", python_version="3.12")   # FL902
    ```

    ## Fix
    Quotes a version written as a float (`3.11` -> `"3.11"`).
    """
    supported = ", ".join(pf.SUPPORTED_PYTHON_VERSIONS)
    declared: dict[str, list[tuple[_Resource, Keyword]]] = defaultdict(list)
    for resource in _legacy_resources(app):
        kw = resource.call.keyword("python_version")
        if kw is None:
            continue
        value = evaluate(app, resource.file, kw.value)
        if value is None or isinstance(value, Unknown):
            continue
        text = kw.value.text
        if isinstance(value, str):
            if value in pf.SUPPORTED_PYTHON_VERSIONS:
                declared[value].append((resource, kw))
                continue
            yield Finding(
                resource.file.path,
                kw.value.span,
                f"python_version {shorten(repr(value))} is not supported",
                notes=(
                    f"flash build fails: Python {value} is not supported",
                    f"supported versions: {supported}",
                ),
            )
            continue
        fix = None
        if isinstance(value, float) and text in pf.SUPPORTED_PYTHON_VERSIONS:
            fix = Fix(f'Use "{text}"', (TextEdit(resource.file.path, kw.value.span, f'"{text}"'),))
        yield Finding(
            resource.file.path,
            kw.value.span,
            f"python_version={shorten(text)} is {with_article(type(value).__name__)}, not a string",
            fix=fix,
            notes=(
                "write the version as a string, e.g. "
                f'"{text if fix else pf.DEFAULT_PYTHON_VERSION}" (supported: {supported})',
            ),
        )
    if len(declared) < 2:
        return
    versions = sorted(declared)
    found = ", ".join(repr(v) for v in versions)
    everywhere = [item for version in versions for item in declared[version]]
    for resource, kw in everywhere:
        related = tuple(
            Related(
                other.file.path, other_kw.value.span, f"python_version {other_kw.value.text} here"
            )
            for other, other_kw in everywhere
            if other_kw is not kw
        )
        yield Finding(
            resource.file.path,
            kw.value.span,
            f"resources declare different python versions: {found}",
            related=related,
            notes=(
                "flash build fails: Flash apps require one python_version across all resources",
                "declare the same version on every resource, or drop python_version and use "
                "`flash build --python-version`",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL903


@rule(
    "FL903",
    "not-statically-known",
    Severity.HINT,
    "A value a rule needs is only known at run time",
)
def not_statically_known(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Marks `Endpoint(...)` arguments that flash-ls needs to check but that are computed at run
    time: a function call, an f-string, an expression, a name rebound in the module, or
    `**kwargs`. The rules that would read the value stay silent instead of guessing.

    ## Why is this bad
    Nothing is wrong yet, but nothing was checked either: a bad GPU name or a duplicate endpoint
    name computed at run time only shows up when `flash build` imports the module.

    ## Example
    ```python
    @Endpoint(name=make_name("worker"), gpu=pick_gpu())   # FL903 twice
    def work(): ...
    ```
    Use literals or module-level constants (`GPU = GpuGroup.ADA_24`, in any file of the app).
    """
    seen: set[tuple[Path, Span]] = set()
    for ctx in contexts(app):
        for name, node in unknown_arguments(ctx):
            key = (node.path, node.span)
            if key in seen:
                continue
            seen.add(key)
            text = source_text(node.expr if node.local else node.anchor)
            yield Finding(
                node.path,
                node.span,
                f"{name}= is only known at run time (`{shorten(text, 24)}`)",
                notes=(
                    f"flash-ls cannot check {name}= of {ctx.label}",
                    "use a literal or a module-level constant to have it checked",
                ),
            )
        calls = [ctx.decl.call]
        if ctx.decl.resource_call is not None:
            calls.append(ctx.decl.resource_call)
        for call in calls:
            for kw in call.keywords:
                if kw.name is not None or (ctx.file.path, kw.span) in seen:
                    continue
                seen.add((ctx.file.path, kw.span))
                yield Finding(
                    ctx.file.path,
                    kw.span,
                    f"arguments in `**{shorten(kw.value.text)}` are only known at run time",
                    notes=(
                        f"flash-ls cannot check them on {ctx.label}",
                        "pass them as keywords",
                    ),
                )
            if call.has_star_args and (ctx.file.path, call.func.span) not in seen:
                seen.add((ctx.file.path, call.func.span))
                yield Finding(
                    ctx.file.path,
                    call.func.span,
                    "positional arguments unpacked with `*` are only known at run time",
                    notes=(f"flash-ls cannot check them on {ctx.label}",),
                )
