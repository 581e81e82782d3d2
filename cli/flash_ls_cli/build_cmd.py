"""``flash-ls manifest`` and ``flash-ls build``: the official build's flags, the shared engine.

The typer commands; what they do is in ``runner`` and ``building`` (``main`` runs the common
command lines of both without typer).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flash_ls_cli.building import run_build
from flash_ls_cli.options import (
    DEFAULT_ARCHIVE,
    AppArgument,
    ArchiveOption,
    ExcludeOption,
    NoDepsOption,
    PythonOption,
)
from flash_ls_cli.runner import ExitCode, run_manifest


def register(app: typer.Typer) -> None:
    """Add the ``manifest`` and ``build`` commands to the ``flash-ls`` app."""
    app.command("manifest")(manifest_command)
    app.command("build")(build_command)


def manifest_command(app_dir: AppArgument = Path("."), python_version: PythonOption = None) -> None:
    """Print the flash_manifest.json `flash build` would write (nothing is written)."""
    try:
        code = run_manifest(app_dir, python_version)
    except ExitCode as stop:
        raise typer.Exit(stop.code) from None
    if code:
        raise typer.Exit(code)


def build_command(
    app_dir: AppArgument = Path("."),
    no_deps: NoDepsOption = False,
    output: ArchiveOption = DEFAULT_ARCHIVE,
    exclude: ExcludeOption = None,
    python_version: PythonOption = None,
) -> None:
    """Build the app: .flash/flash_manifest.json, .flash/<output> and .flash/size-report.json."""
    try:
        code = run_build(app_dir, no_deps, output, exclude, python_version)
    except ExitCode as stop:
        raise typer.Exit(stop.code) from None
    if code:
        raise typer.Exit(code)
