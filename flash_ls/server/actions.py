"""Code actions: the fixes that travel with each finding, looked up by the key in ``Diagnostic.data``.

Quick fixes re-lint nothing: the finding's own fix becomes a ``quickfix`` (preferred when safe),
its alternatives ("Suppress FLxxx on this line") become further quick fixes. ``source.fixAll.flash``
applies every safe fix of the document and re-checks, until no safe fix is left (a moved import
can reveal an undeclared dependency whose fix then applies too): the loop of ``flash-ls check
--fix``, ``fix_until_stable``. Code actions run on the engine thread, where the re-check can use
the workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.fixes.apply import fix_until_stable
from flash_ls.project.encoding import read_small_text
from flash_ls.rules.engine import check_app
from flash_ls.server import unnamed
from flash_ls.server.convert import to_text_edits, workspace_edit
from flash_ls.server.diagnostics_manager import AppReport, FileReport
from flash_ls.server.engine_thread import Engine
from flash_ls.server.plumbing import document_path, guard
from flash_ls.server.positions import LineIndex, changed_span

if TYPE_CHECKING:
    from flash_ls.fixes.migrate import AppMigration
    from flash_ls.server.server import FlashLanguageServer


Recheck = Callable[[Mapping[Path, str]], Sequence[Diagnostic]]
"""The findings of one document when some files have the given texts."""

FIX_ALL_KIND = "source.fixAll.flash"
MIGRATE_KIND = "source.migrate.flash"  # the file rewritten for runpod.App (fixes/migrate.py)
MIGRATE_TITLE = "Migrate this file to runpod.App (runpod 2.0)"
QUICKFIX = types.CodeActionKind.QuickFix.value


def kind_wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Whether ``kind`` passes the client's ``only`` filter (a kind matches its parents)."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    a_start = (a.start.line, a.start.character)
    a_end = (a.end.line, a.end.character)
    b_start = (b.start.line, b.start.character)
    b_end = (b.end.line, b.end.character)
    return not (a_end < b_start or b_end < a_start)


@dataclass
class ActionContext:
    """What building actions needs from the server."""

    report: FileReport
    app_report: AppReport | None
    encoding: str
    document_changes: bool
    current_version: int | None
    uri_for: Callable[[Path], str]
    versions: Callable[[Path], int | None]
    recheck: Recheck | None = None  # None: fix-all applies the document's fixes once
    # The migration of the document's app to the app API (None: nothing to migrate)
    migration: Callable[[], MigrationOffer | None] | None = None
    disabled_support: bool = False  # the client shows a CodeAction's ``disabled`` reason

    def text_for(self, path: Path) -> str | None:
        if path == self.report.path:
            return self.report.text
        found = self.app_report.text(path) if self.app_report is not None else None
        if found is not None:
            return found
        return read_small_text(path)

    def index_for(self, path: Path) -> LineIndex:
        return LineIndex(self.text_for(path) or "", self.encoding)

    @property
    def stale(self) -> bool:
        return self.report.version is not None and self.report.version != self.current_version

    def edit(self, edits: dict[Path, list[types.TextEdit]]) -> types.WorkspaceEdit:
        versions = {
            path: (self.report.version if path == self.report.path else self.versions(path))
            for path in edits
        }
        uris = {path: self.uri_for(path) for path in edits}
        return workspace_edit(
            edits, versions=versions, uris=uris, document_changes=self.document_changes
        )


def _selected(
    report: FileReport, range_: types.Range, context_items: Sequence[types.Diagnostic]
) -> list[tuple[Diagnostic, types.Diagnostic]]:
    """Findings at the requested range, plus the ones the client sent in the context."""
    wanted_keys = set()
    for item in context_items:
        data = item.data
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            wanted_keys.add(data["id"])
    chosen: list[tuple[Diagnostic, types.Diagnostic]] = []
    for diagnostic, item, key in zip(report.diagnostics, report.items, report.keys, strict=True):
        if key in wanted_keys or _overlaps(item.range, range_):
            chosen.append((diagnostic, item))
    return chosen


def _fix_action(
    fix: Fix, item: types.Diagnostic, ctx: ActionContext, *, preferred: bool
) -> types.CodeAction:
    edits = to_text_edits(fix.edits, ctx.index_for)
    return types.CodeAction(
        title=fix.message,
        kind=QUICKFIX,
        diagnostics=[item],
        is_preferred=preferred or None,
        edit=ctx.edit(edits),
    )


def document_recheck(engine: Engine, root: Path, document: Path) -> Recheck:
    """Engine thread: a ``Recheck`` of ``document`` that lays the texts over the workspace's for
    one check of the app at ``root``, then puts the workspace back as it was."""

    def recheck(texts: Mapping[Path, str]) -> list[Diagnostic]:
        workspace = engine.workspace
        saved = {path: workspace.overlay(path) for path in texts}
        try:
            for path, text in texts.items():
                workspace.update(path, text)
            return [d for d in check_app(workspace.app(root)) if d.path == document]
        finally:
            for path, before in saved.items():
                if before is None:
                    workspace.remove(path)
                else:
                    workspace.update(path, before)

    return recheck


def fix_all_edit(ctx: ActionContext) -> types.WorkspaceEdit | None:
    """One edit per changed file: the document's safe fixes applied, re-checked and applied
    again until none is left (``fix_until_stable``, as ``flash-ls check --fix``)."""
    run = fix_until_stable(ctx.report.diagnostics, ctx.text_for, ctx.recheck or (lambda texts: ()))
    edits: dict[Path, list[types.TextEdit]] = {}
    for path, new_text in run.texts.items():
        change = changed_span(run.originals[path], new_text)
        if change is None:
            continue
        span, replacement = change
        edits[path] = [types.TextEdit(range=ctx.index_for(path).range(span), new_text=replacement)]
    if not edits:
        return None
    return ctx.edit(edits)


def code_actions(
    ctx: ActionContext,
    range_: types.Range,
    context_items: Sequence[types.Diagnostic],
    only: Sequence[str] | None,
) -> list[types.CodeAction]:
    if ctx.stale and not ctx.document_changes:
        return []  # the fixes were computed for an older text and the client cannot check versions
    actions: list[types.CodeAction] = []
    if kind_wanted(QUICKFIX, only):
        for diagnostic, item in _selected(ctx.report, range_, context_items):
            # ``available`` computes a lazy fix's edits; one that has none after all is not offered.
            if diagnostic.fix is not None and diagnostic.fix.available:
                actions.append(
                    _fix_action(diagnostic.fix, item, ctx, preferred=diagnostic.fix.safe)
                )
            for alternative in diagnostic.alternatives:
                actions.append(_fix_action(alternative, item, ctx, preferred=False))
    if (only and kind_wanted(FIX_ALL_KIND, only)) or (not only and _has_safe_fix(ctx.report)):
        edit = fix_all_edit(ctx)
        if edit is not None:
            actions.append(
                types.CodeAction(
                    title="Fix all safe flash-ls findings",
                    kind=FIX_ALL_KIND,
                    diagnostics=[
                        item
                        for d, item in zip(ctx.report.diagnostics, ctx.report.items, strict=True)
                        if d.fix is not None and d.fix.safe and d.fix.available
                    ],
                    edit=edit,
                )
            )
    if only and kind_wanted(MIGRATE_KIND, only) and ctx.migration is not None:
        # Only when asked for (Source Action...): planning parses the app with libcst.
        action = _migration_action(ctx, ctx.migration())
        if action is not None:
            actions.append(action)
    return actions


# -- migration to the app API (flash_ls.fixes.migrate) ---------------------------------------


@dataclass(frozen=True)
class MigrationOffer:
    """The migration of a document's app: the changed files' (text before, text after), or,
    when the app does not migrate, why (``reason``; then ``texts`` is empty)."""

    texts: dict[Path, tuple[str, str]]
    reason: str | None = None


def document_migration(
    engine: Engine, root: Path, document: Path
) -> Callable[[], MigrationOffer | None]:
    """Engine thread: the migration ``flash-ls migrate`` would write for ``document``'s app;
    None when the document does not use runpod_flash or nothing changes."""

    def migration() -> MigrationOffer | None:
        from flash_ls.fixes.migrate import migrate_app

        app = engine.workspace.app(root)
        if not app.uses_flash:
            return None
        plan = migrate_app(app)
        if not any(f.path == document for f in plan.files):
            return None  # no runpod_flash here: nothing to offer on this file
        if not plan.migrates:
            return MigrationOffer({}, _first_reason(plan, document))
        texts = {f.path: (f.original, f.text) for f in plan.changed_files if f.text is not None}
        return MigrationOffer(texts) if texts else None

    return migration


def _first_reason(plan: AppMigration, document: Path) -> str:
    """The document's first reason (else the app's first, with its file) and how many more."""
    reasons = plan.reasons()
    if not reasons:
        return "the app does not migrate"
    own = [(f, r) for f, r in reasons if f.path == document]
    migration, reason = (own or reasons)[0]
    line = reason.span.start_line + 1
    where = f"line {line}" if migration.path == document else f"{migration.rel}:{line}"
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{where}: {reason.message}{more}"


def _migration_action(ctx: ActionContext, offer: MigrationOffer | None) -> types.CodeAction | None:
    """The source action: its edit writes what ``flash-ls migrate`` writes; when the app does not
    migrate, a disabled action saying why (for clients that show one, else nothing)."""
    if offer is None:
        return None
    if offer.reason is not None:
        if not ctx.disabled_support:
            return None
        return types.CodeAction(
            title=MIGRATE_TITLE,
            kind=MIGRATE_KIND,
            disabled=types.CodeActionDisabled(reason=offer.reason),
        )
    edits: dict[Path, list[types.TextEdit]] = {}
    for path, (before, after) in offer.texts.items():
        if before != ctx.text_for(path):
            return None  # planned on a text the editor no longer holds
        change = changed_span(before, after)
        if change is not None:
            span, replacement = change
            edits[path] = [
                types.TextEdit(range=ctx.index_for(path).range(span), new_text=replacement)
            ]
    if not edits:
        return None
    return types.CodeAction(title=MIGRATE_TITLE, kind=MIGRATE_KIND, edit=ctx.edit(edits))


def _has_safe_fix(report: FileReport) -> bool:
    return any(d.fix is not None and d.fix.safe for d in report.diagnostics)


# -- the handler ----------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_CODE_ACTION)
async def code_action(
    ls: FlashLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    path = document_path(params.text_document.uri)
    if path is None:
        return None
    report = ls.diagnostics.files.get(path)
    if report is None or report.version != ls.documents.version(path):
        # Typed since the last check: fixes must be computed for the text the editor holds.
        report = await ls.diagnostics.fresh_file(path)
    if report is None:
        return None
    ctx = ActionContext(
        report=report,
        app_report=ls.diagnostics.reports.get(report.root),
        encoding=ls.encoding,
        document_changes=bool(ls.capability("workspace.workspace_edit.document_changes", False)),
        current_version=ls.documents.version(path),
        uri_for=ls.diagnostics.uri_for,
        versions=ls.documents.version,
        recheck=document_recheck(ls.engine, report.root, path),
        migration=document_migration(ls.engine, report.root, path),
        disabled_support=_disabled_support(ls),
    )
    only = (
        [str(getattr(kind, "value", kind)) for kind in params.context.only]
        if params.context.only
        else None
    )
    # On the engine thread: fix-all re-checks the app, and fix edits are computed off the loop.
    actions = await ls.engine.call(
        code_actions, ctx, params.range, params.context.diagnostics, only
    )
    uri = params.text_document.uri
    if unnamed.is_unnamed(uri):
        # The stand-in's neighbours (requirements.txt ...) exist nowhere: edit the buffer only.
        actions = [action for action in actions if _edits_only(action.edit, uri)]
    return actions or None


def _disabled_support(ls: FlashLanguageServer) -> bool:
    """Whether the client takes code action literals and shows a ``disabled`` reason."""
    return bool(
        ls.capability("text_document.code_action.code_action_literal_support")
        and ls.capability("text_document.code_action.disabled_support", False)
    )


def _edits_only(edit: types.WorkspaceEdit | None, uri: str) -> bool:
    """Whether ``edit`` changes nothing but the document ``uri``."""
    if edit is None:
        return True
    changed = set(edit.changes or {})
    for change in edit.document_changes or ():
        changed.add(change.text_document.uri if isinstance(change, types.TextDocumentEdit) else "")
    return changed <= {uri}
