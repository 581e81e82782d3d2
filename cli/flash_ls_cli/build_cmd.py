"""``flash-ls manifest`` and ``flash-ls build``: the official build's flags, the shared engine.

The typer commands; what they do is in ``runner`` (``main`` runs ``manifest`` without typer).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from flash_ls_cli.options import (
    DEFAULT_ARCHIVE,
    AppArgument,
    ArchiveOption,
    ExcludeOption,
    NoDepsOption,
    PythonOption,
)
from flash_ls_cli.runner import ExitCode, build_failure, load_app, run_manifest, split_values

if TYPE_CHECKING:  # the engine and rich load when a command runs, not when the CLI starts
    from rich.console import Console

    from flash_ls.build.api import BuildOptions
    from flash_ls.project.app import App


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


def load_build(
    app_dir: Path,
    no_deps: bool,
    output: str,
    exclude: list[str] | None,
    python_version: str | None,
) -> tuple[App, BuildOptions]:
    """The app at ``app_dir`` and the build the options ask for (``build`` and ``deploy``);
    an app that cannot be loaded has been reported, and exits."""
    from flash_ls.build.api import BuildOptions

    try:
        app = load_app(app_dir)
    except ExitCode as stop:
        raise typer.Exit(stop.code) from None
    options = BuildOptions(
        no_deps=no_deps,
        output=output,
        exclude=split_values(exclude),
        python_version=python_version,
    )
    return app, options


def build_command(
    app_dir: AppArgument = Path("."),
    no_deps: NoDepsOption = False,
    output: ArchiveOption = DEFAULT_ARCHIVE,
    exclude: ExcludeOption = None,
    python_version: PythonOption = None,
) -> None:
    """Build the app: .flash/flash_manifest.json, .flash/<output> and .flash/size-report.json."""
    from rich.console import Console

    from flash_ls.build.api import BuildError, build_app
    from flash_ls.progress import Cancelled
    from flash_ls.project.sizes import format_size
    from flash_ls_cli.output import display_path

    app, options = load_build(app_dir, no_deps, output, exclude, python_version)
    console = Console(stderr=True)
    try:
        with _RichProgress(console) as progress:
            result = build_app(app, options, progress)
    except BuildError as err:
        raise typer.Exit(build_failure(err).code) from None
    except (Cancelled, KeyboardInterrupt):
        typer.echo("flash-ls: build cancelled", err=True)
        raise typer.Exit(1) from None
    out = Console(highlight=False)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    cwd = Path.cwd()
    out.print(
        f"[green]✓[/green] built {app.name}  [dim]{format_size(result.size_bytes)} in "
        f"{result.duration_s:.2f}s[/dim]"
    )
    out.print(f"  [dim]Archive:[/dim]  {display_path(Path(result.artifact_path), cwd)}")
    out.print(f"  [dim]Manifest:[/dim] {display_path(Path(result.manifest_path), cwd)}")
    out.print(f"  [dim]Sizes:[/dim]    {display_path(Path(result.size_report_path), cwd)}")


class _RichProgress:
    """The engine's ``Progress`` as rich progress bars: one line per step."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self.bar = RichBar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        )
        self.task: Any = None  # rich's TaskID
        self.title = ""

    def __enter__(self) -> _RichProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish()
        self.bar.__exit__(None, None, None)

    def _finish(self) -> None:
        if self.task is not None:
            task = self.bar.tasks[self.task]
            total = task.total if task.total is not None else 1
            self.bar.update(self.task, total=total, completed=total, description=self.title)

    def step(self, title: str, total: int | None = None) -> None:
        self._finish()
        self.title = title
        self.task = self.bar.add_task(title, total=total)

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        if self.task is None:
            return
        description = f"{self.title}: {message}" if message else self.title
        self.bar.update(self.task, advance=amount, description=description[:80])

    def log(self, message: str) -> None:
        self.bar.console.print(message, markup=False, highlight=False)

    def check_cancelled(self) -> None:
        return None
