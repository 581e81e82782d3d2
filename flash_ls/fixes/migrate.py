"""Migration of a runpod_flash app to the app API of ``runpod`` 2.0 (``runpod.App``).

``migrate_app(app)`` plans every file of an App that mentions ``runpod_flash``;
``migrate_file(app, path)`` plans one. A plan is the rewritten text, or no text and the reasons
the file does not migrate (each pointing at a span), plus notes on what changes although it
migrates. The rewrite itself (``flash_ls.fixes.migrate_rewrite``) is made with libcst: everything
it does not touch stays byte for byte.

What migrates, and what does not, follows the facts of the rc2 SDK (``docs/migration.md`` has the
table): an app migrates only as a whole, and only when every endpoint maps exactly. An app whose
endpoints live in several modules does not: each module would need its own ``App`` of the app's
name, and rc2's discovery keeps the first ``App`` of a name and silently drops the others
(section 4.3 of the facts), while importing one ``App`` from a sibling module loses resources too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls import platform
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile


@dataclass(frozen=True, slots=True)
class Reason:
    """Why (part of) a file does not migrate, or a note on what the migration changes."""

    span: Span
    message: str  # short: under 80 characters


@dataclass(slots=True)
class FileMigration:
    """The plan for one file: ``text`` is the migrated text, None when it does not migrate."""

    path: Path
    rel: str
    original: str
    text: str | None
    reasons: list[Reason] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)

    @property
    def migrates(self) -> bool:
        return not self.reasons and self.text is not None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.original


@dataclass(slots=True)
class AppMigration:
    """The plan for an app: it migrates when every file does."""

    root: Path
    name: str  # the App name the migrated files create (the project directory's name)
    files: list[FileMigration]
    notes: list[tuple[Path, Reason]] = field(default_factory=list)  # about other files

    @property
    def migrates(self) -> bool:
        return all(f.migrates for f in self.files)

    @property
    def changed_files(self) -> list[FileMigration]:
        return [f for f in self.files if f.changed]

    def reasons(self) -> list[tuple[FileMigration, Reason]]:
        return [(f, r) for f in self.files for r in f.reasons]


def app_name(app: App) -> str:
    """The name the migrated ``runpod.App(...)`` takes: the app's name under the official CLI
    (``flash deploy --app`` defaults to the project directory's name); rc2 accepts any
    non-empty string (section 1.2)."""
    return app.name


def migrate_app(app: App) -> AppMigration:
    """Plan the migration of every file of ``app`` that uses ``runpod_flash``."""
    files = [migrate_file(app, source.path) for source in app.sources() if _mentions_flash(source)]
    return AppMigration(app.root, app_name(app), files, _project_notes(app))


def migrate_file(app: App, path: Path) -> FileMigration:
    """Plan the migration of one file of ``app`` (a file without runpod_flash stays as it is)."""
    source = _source(app, path)
    if source is None or source.text is None:
        reason = "file is not part of the app" if source is None else "file cannot be read"
        rel = source.rel if source is not None else path.name
        return FileMigration(path, rel, "", None, [Reason(Span.point(0), reason)])
    return _migrated(app, source)


def _migrated(app: App, source: SourceFile) -> FileMigration:
    cache = app.derived(_plans)
    found = cache.get(source.rel)
    if found is None:
        found = cache[source.rel] = _plan(app, source)
    return found


def _plans(app: App) -> dict[str, FileMigration]:
    return {}


def _plan(app: App, source: SourceFile) -> FileMigration:
    from flash_ls.fixes.migrate_rewrite import rewrite_module

    text = source.text or ""
    plan = FileMigration(source.path, source.rel, text, None)
    if not _mentions_flash(source):
        plan.text = text
        return plan
    plan.reasons.extend(_app_reasons(app, source))
    rewritten = rewrite_module(text, app_name(app))
    plan.reasons.extend(rewritten.reasons)
    plan.notes.extend(rewritten.notes)
    plan.notes.extend(_reference_notes(app, source, rewritten.functions))
    plan.reasons.extend(_cross_module_reasons(app, source, rewritten.functions))
    plan.reasons.sort(key=lambda r: (r.span, r.message))
    if not plan.reasons:
        plan.text = rewritten.text
    return plan


def _source(app: App, path: Path) -> SourceFile | None:
    for source in app.files.values():
        if source.path == path:
            return source
    return None


def _mentions_flash(source: SourceFile) -> bool:
    return source.facts.mentions_flash or (
        source.text is not None and platform.SDK_MODULE in source.text
    )


# -- app-level reasons -----------------------------------------------------------------------


def _endpoint_files(app: App) -> dict[str, Span]:
    """Each file holding a runpod_flash endpoint's declaration or a use of it: where it first
    appears."""
    found: dict[str, Span] = {}
    for endpoint in app.endpoints:
        spans = [(endpoint.decl.file.rel, endpoint.decl.call.span)]
        spans += [(t.file.rel, t.decorator.span) for t in endpoint.targets]
        spans += [(r.file.rel, r.decorator.span) for r in endpoint.routes]
        for rel, span in spans:
            if rel not in found or span < found[rel]:
                found[rel] = span
    return found


def _app_reasons(app: App, source: SourceFile) -> list[Reason]:
    files = _endpoint_files(app)
    if len(files) > 1 and source.rel in files:
        return [
            Reason(
                files[source.rel],
                f"app has endpoints in {len(files)} modules; rc2 keeps one App per name",
            )
        ]
    return []


def _importers(app: App, source: SourceFile, names: Iterable[str]) -> dict[str, list[str]]:
    """Endpoint function name -> the other files importing it from ``source``'s module
    (anywhere in the file: function bodies too)."""
    wanted = set(names)
    found: dict[str, list[str]] = {}
    if not wanted:
        return found
    for other in app.sources():
        if (
            other is source
            or other.text is None
            or source.module.rpartition(".")[2] not in (other.text)
        ):
            continue
        try:
            tree = ast.parse(other.text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            hits: set[str] = set()
            if isinstance(node, ast.ImportFrom) and node.module is not None:
                module = app.absolute_module(other, "." * node.level + node.module)
                if module == source.module:
                    hits = {a.name for a in node.names} & wanted
                    if any(a.name == "*" for a in node.names):
                        hits = set(wanted)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == source.module
                and node.attr in wanted
            ):
                hits = {node.attr}
            for name in hits:
                found.setdefault(name, [])
                if other.rel not in found[name]:
                    found[name].append(other.rel)
    return found


def _cross_module_reasons(app: App, source: SourceFile, functions: dict[str, Span]) -> list[Reason]:
    """Shipped modules calling an endpoint function of this file: rc2 handles are not callable
    and the call would need ``.remote``; the caller is another module (section 8)."""
    reasons: list[Reason] = []
    for name, files in _importers(app, source, functions).items():
        shipped = [rel for rel in files if app.files[rel].shipped]
        if shipped:
            reasons.append(
                Reason(functions[name], f"'{name}' is imported by {shipped[0]}; handles differ")
            )
    return reasons


def _reference_notes(app: App, source: SourceFile, functions: dict[str, Span]) -> list[Reason]:
    """Files the build leaves out (tests) that import an endpoint function: they keep working
    only while they do not call it (a handle is called with ``.remote``/``.local``)."""
    notes: list[Reason] = []
    for name, files in _importers(app, source, functions).items():
        for rel in files:
            if not app.files[rel].shipped:
                notes.append(
                    Reason(
                        functions[name],
                        f"{rel} imports '{name}'; call it with .remote() or .local()",
                    )
                )
    return notes


def _project_notes(app: App) -> list[tuple[Path, Reason]]:
    """Project files that still name runpod-flash (rc2 vendors requirements.txt, section 5.3)."""
    notes: list[tuple[Path, Reason]] = []
    for name in ("requirements.txt", "pyproject.toml"):
        path = app.root / name
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines):
            col = line.find(platform.SDK_DISTRIBUTION)
            if col >= 0 and not line.lstrip().startswith("#"):
                span = Span(number, col, number, col + len(platform.SDK_DISTRIBUTION))
                notes.append(
                    (path, Reason(span, f"{name} still lists {platform.SDK_DISTRIBUTION}"))
                )
    return notes
