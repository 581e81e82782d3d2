"""What the app serves (the functions and classes its endpoints run) and the imports they make,
for the import and dependency rules (``top_level_imports``, ``package_reexports``,
``endpoint_dependencies``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flash_ls.parse.facts import Definition, Import, ImportedName
from flash_ls.platform import (
    SDK_MODULE,
    distribution_for_import,
    import_names_for_distribution,
    is_stdlib,
    normalize_distribution,
)
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import Endpoint, Route, Target
from flash_ls.span import Span


@dataclass(eq=False, slots=True)
class Served:
    """A function or class some endpoint serves (a queue target or a route handler)."""

    source: SourceFile
    definition: Definition
    endpoint: Endpoint

    @property
    def what(self) -> str:
        kind = "class" if self.definition.kind == "class" else "function"
        return f"endpoint {kind} '{self.definition.name}'"


def served_definitions(app: App) -> list[Served]:
    """Every served definition once (a definition decorated twice counts once), in file order."""
    return list(app.derived(_served_definitions))


def _served_definitions(app: App) -> list[Served]:
    found: dict[tuple[str, Span], Served] = {}
    for endpoint in app.endpoints:
        items: list[Target | Route] = [*endpoint.targets, *endpoint.routes]
        for item in items:
            key = (item.file.rel, item.definition.span)
            found.setdefault(key, Served(item.file, item.definition, endpoint))
    return [found[key] for key in sorted(found)]


def imported_modules(imp: Import) -> list[tuple[ImportedName, str]]:
    """(name, dotted module it needs): ``import a.b`` -> a.b; ``from a import b`` -> a.b."""
    if imp.level:
        return []
    if imp.module is not None:
        return [(n, imp.module if n.name == "*" else f"{imp.module}.{n.name}") for n in imp.names]
    return [(n, n.name) for n in imp.names]


def is_third_party(app: App, module: str) -> bool:
    """Neither the standard library, nor the SDK, nor a module of the app."""
    top = module.split(".", 1)[0]
    return bool(top) and top != SDK_MODULE and not is_stdlib(top) and not app.is_local_module(top)


def in_optional_block(source: SourceFile, imp: Import) -> bool:
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


def top_module(module: str) -> str:
    """``a.b.c`` -> ``a``."""
    return module.split(".", 1)[0]


def provides(distributions: set[str] | frozenset[str], module: str) -> bool:
    """Whether one of ``distributions`` (normalised) provides import ``module``."""
    if normalize_distribution(distribution_for_import(module)) in distributions:
        return True
    for dist in distributions:
        for name in import_names_for_distribution(dist):
            if module == name or module.startswith(name + "."):
                return True
    return False
