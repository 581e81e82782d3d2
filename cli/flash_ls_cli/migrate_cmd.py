"""``flash-ls migrate``: rewrite a runpod_flash app for the app API of ``runpod`` 2.0.

The typer command and its runner (``run_migrate``); the plan is ``flash_ls.fixes.migrate``.
Exit status: 0 when the app migrated (or had nothing to migrate), 1 when some file uses a pattern
that does not migrate (nothing is written then; the reasons are printed as
``file:line:col: reason``) or a file cannot be rewritten (every target is checked before any is
written; each is written atomically), 2 for usage errors.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flash_ls_cli.options import AppArgument
from flash_ls_cli.output import display_path, echo, render_diff
from flash_ls_cli.runner import ExitCode, fail

if TYPE_CHECKING:
    from flash_ls.fixes.migrate import FileMigration

DiffOption = Annotated[
    bool, typer.Option("--diff", help="Print the migration as a unified diff; write nothing.")
]


def register(app: typer.Typer) -> None:
    """Add the ``migrate`` command to the ``flash-ls`` app."""
    app.command("migrate")(migrate_command)


def migrate_command(app_dir: AppArgument = Path("."), diff: DiffOption = False) -> None:
    """Migrate a runpod_flash app to runpod.App (runpod 2.0): rewrite its files in place.

    Exit status: 0 when the app migrated or had nothing to migrate, 1 when a file uses a pattern
    that does not migrate or cannot be written (nothing is written; the reasons are printed),
    2 for usage errors.
    """
    try:
        code = run_migrate(app_dir, diff=diff)
    except ExitCode as stop:
        raise typer.Exit(stop.code) from None
    if code:
        raise typer.Exit(code)


def run_migrate(app_dir: Path = Path("."), *, diff: bool = False) -> int:
    """``flash-ls migrate``: plan the app's migration; write it, or print it with ``diff``."""
    from flash_ls.fixes.migrate import migrate_app
    from flash_ls.project.workspace import Workspace

    root = app_dir.resolve()
    if not root.exists():
        raise fail(f"{app_dir} does not exist")
    if not root.is_dir():
        raise fail(f"{app_dir} is not a directory: migrate takes an app directory")
    app = Workspace([root]).app(root)
    cwd = Path.cwd()
    if not app.uses_flash:
        echo(f"flash-ls: nothing to migrate in {display_path(root, cwd)}", err=True)
        return 0
    plan = migrate_app(app)
    for migration, reason in plan.reasons():
        echo(
            _located(
                migration.path, reason.span.start_line, reason.span.start_col, cwd, reason.message
            )
        )
    if not plan.migrates:
        count = len(plan.reasons())
        echo(
            f"flash-ls: {plan.name} does not migrate ({count} reason{'s' * (count != 1)}); "
            "nothing was written",
            err=True,
        )
        return 1
    for migration in plan.files:
        for note in migration.notes:
            echo(
                _located(
                    migration.path,
                    note.span.start_line,
                    note.span.start_col,
                    cwd,
                    f"note: {note.message}",
                ),
                err=True,
            )
    for path, note in plan.notes:
        echo(
            _located(path, note.span.start_line, note.span.start_col, cwd, f"note: {note.message}"),
            err=True,
        )
    changed = plan.changed_files
    if not changed:
        echo(f"flash-ls: nothing to migrate in {display_path(root, cwd)}", err=True)
        return 0
    if diff:
        for migration in changed:
            assert migration.text is not None
            echo(
                render_diff(migration.original, migration.text, display_path(migration.path, cwd)),
                nl=False,
            )
        return 0
    problems = [(m.path, why) for m in changed if (why := _unwritable(m)) is not None]
    for path, why in problems:
        echo(f"{display_path(path, cwd)}: {why}")
    if problems:
        echo("flash-ls: nothing was written", err=True)
        return 1
    _write_all(changed, cwd)
    echo(
        f"flash-ls: migrated {len(changed)} file{'s' * (len(changed) != 1)} to "
        f'runpod.App("{plan.name}")',
        err=True,
    )
    return 0


def _located(path: Path, line: int, col: int, cwd: Path, message: str) -> str:
    return f"{display_path(path, cwd)}:{line + 1}:{col + 1}: {message}"


def _unwritable(migration: FileMigration) -> str | None:
    """Why ``migration``'s file cannot be rewritten now, or None: checked for every file before
    any is written, so a migration is written whole or not at all."""
    from flash_ls.project.encoding import SourceDecodeError, decode_source, encode_source

    path = migration.path.resolve()  # a symbolic link is written through
    try:
        data = path.read_bytes()
    except OSError as err:
        return f"cannot be read again ({err.strerror or err})"
    try:
        unchanged = decode_source(data) == migration.original
    except SourceDecodeError:
        unchanged = False
    if not unchanged:
        return "changed since it was read; run the migration again"
    try:
        encode_source(migration.text or "", bom=data.startswith(codecs.BOM_UTF8))
    except UnicodeEncodeError:
        return "the migrated text does not fit the file's declared encoding"
    if not os.access(path, os.W_OK):
        return "is not writable"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"its directory {path.parent.name}/ is not writable"
    return None


def _write_all(changed: list[FileMigration], cwd: Path) -> None:
    """Write each file atomically (never half-written), in its declared encoding; a failure
    stops the run and says which files were written."""
    from flash_ls.checking import write_text_atomic

    written: list[str] = []
    for migration in changed:
        assert migration.text is not None
        try:
            write_text_atomic(migration.path.resolve(), migration.text)
        except OSError as err:
            shown = display_path(migration.path, cwd)
            done = ", ".join(written) or "none"
            raise fail(f"{shown}: {err.strerror or err}; written before it: {done}", 1) from None
        written.append(display_path(migration.path, cwd))
