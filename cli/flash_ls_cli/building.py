"""``flash-ls build``: what the command does, without typer (``main`` runs its common command
lines directly, ``build_cmd`` wraps it as a typer command for the rest).

rich is loaded for the summary lines, and its progress bars only on a terminal: in CI and
scripts, where ``flash-ls build`` runs most, nothing is drawn and nothing of them is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flash_ls.platform import DEFAULT_ARCHIVE_NAME
from flash_ls_cli.runner import ExitCode, build_failure, load_app, split_values

if TYPE_CHECKING:
    from rich.console import Console

    from flash_ls.build.api import BuildOptions
    from flash_ls.project.app import App


def load_build(
    app_dir: Path,
    no_deps: bool,
    output: str,
    exclude: list[str] | None,
    python_version: str | None,
) -> tuple[App, BuildOptions]:
    """The app at ``app_dir`` and the build the options ask for (``build`` and ``deploy``);
    an app that cannot be loaded has been reported (``ExitCode``)."""
    from flash_ls.build.api import BuildOptions

    app = load_app(app_dir)
    options = BuildOptions(
        no_deps=no_deps,
        output=output,
        exclude=split_values(exclude),
        python_version=python_version,
    )
    return app, options


def run_build(
    app_dir: Path,
    no_deps: bool = False,
    output: str = DEFAULT_ARCHIVE_NAME,
    exclude: list[str] | None = None,
    python_version: str | None = None,
) -> int:
    """Build the app: .flash/flash_manifest.json, .flash/<output> and .flash/size-report.json.

    Exit 1 when findings or the build stop it or it is cancelled, 2 when there is no app."""
    from rich.console import Console

    from flash_ls.build.api import BuildError, build_app
    from flash_ls.progress import Cancelled
    from flash_ls.project.sizes import format_size
    from flash_ls_cli.output import display_path

    app, options = load_build(app_dir, no_deps, output, exclude, python_version)
    console = Console(stderr=True)
    try:
        if console.is_terminal:
            with RichProgress(console) as progress:
                result = build_app(app, options, progress)
        else:  # no bars to draw (rich would draw none either): only the log lines
            result = build_app(app, options, _LogLines(console))
    except BuildError as err:
        raise build_failure(err) from None
    except (Cancelled, KeyboardInterrupt):
        sys.stderr.write("flash-ls: build cancelled\n")
        return 1
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
    return 0


class RichProgress:
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

    def __enter__(self) -> RichProgress:
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


class _LogLines:
    """The engine's ``Progress`` off a terminal: the lines it logs, as the bars would print them."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def step(self, title: str, total: int | None = None) -> None:
        return None

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        return None

    def log(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def check_cancelled(self) -> None:
        return None


__all__ = ["ExitCode", "RichProgress", "load_build", "run_build"]
