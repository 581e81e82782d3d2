"""What the command modules (build, deploy, auth) share: options, command groups, JSON output,
and the guard that keeps the API key out of what a command prints or logs.

Nothing here imports the engine at start-up: ``--help`` stays light.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flash_ls_cli.output import echo
from flash_ls_cli.runner import setup_logging

if TYPE_CHECKING:
    from flash_ls.deploy.credentials import RedactingFilter

OUTPUT_FORMATS = ("text", "json")


def _output_format(value: str) -> str:
    """Refuse a format other than ``OUTPUT_FORMATS`` before the command runs (exit 2)."""
    if value not in OUTPUT_FORMATS:
        choices = ", ".join(OUTPUT_FORMATS)
        raise stop(f"unknown --output-format {value!r} (choose from {choices})", 2)
    return value


VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log details (and tracebacks).")
]
OutputFormatOption = Annotated[
    str,
    typer.Option(
        "--output-format",
        "-f",
        metavar="FORMAT",
        help=f"One of {', '.join(OUTPUT_FORMATS)}.",
        callback=_output_format,
    ),
]
AppArgument = Annotated[
    Path,
    typer.Argument(metavar="APP", help="The app directory (default: the current directory)."),
]
NoDepsOption = Annotated[
    bool, typer.Option("--no-deps", help="Skip transitive dependencies during pip install.")
]
DEFAULT_ARCHIVE = "artifact.tar.gz"
"""``--output``'s default (``platform.DEFAULT_ARCHIVE_NAME``: this module is imported without
platform.py)."""
ArchiveOption = Annotated[
    str, typer.Option("--output", "-o", metavar="NAME", help="Archive name inside .flash/.")
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="PKGS",
        help=(
            "Comma-separated packages to leave out, with exclude-packages of "
            "[tool.flash-ls] (torch packages always are)."
        ),
    ),
]
PythonOption = Annotated[
    str | None,
    typer.Option(
        "--python-version",
        metavar="VERSION",
        help="Target Python of the workers (3.10-3.13); default: declared by the resources, else 3.12.",
    ),
]


def command_group(name: str, help: str) -> typer.Typer:
    """A ``flash-ls NAME ...`` group, with the plain help of the main app."""
    return typer.Typer(
        name=name, help=help, no_args_is_help=True, add_completion=False, rich_markup_mode=None
    )


def emit(output_format: str, data: Any, text: Callable[[], None]) -> None:
    """Print ``data`` as JSON on stdout for ``--output-format json``, else call ``text``."""
    if output_format == "json":
        echo(json.dumps(data, indent=2))
    else:
        text()


def stop(message: str, code: int = 1) -> typer.Exit:
    """Print ``flash-ls: message`` on stderr; raise the result to exit with ``code``."""
    echo(f"flash-ls: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def guarded(
    verbose: bool,
    what: str,
    known: Callable[[Exception, RedactingFilter], typer.Exit | None] = lambda err, secrets: None,
    cancelled: tuple[type[BaseException], ...] = (),
) -> Iterator[RedactingFilter]:
    """Run a command's body with logging set up and the secrets added to the yielded filter
    redacted from every log record.

    Ctrl-C (and ``cancelled``) is exit 130, ``flash-ls: <what> cancelled``; an error ``known``
    turns into an exit is that exit; any other is one redacted line (a redacted traceback too
    with ``--verbose``), exit 2.
    """
    from flash_ls.deploy.credentials import RedactingFilter, redact

    setup_logging(verbose)
    secrets = RedactingFilter()
    handlers = logging.getLogger().handlers
    interrupted: tuple[type[BaseException], ...] = (KeyboardInterrupt, *cancelled)
    for handler in handlers:
        handler.addFilter(secrets)
    try:
        yield secrets
    except (typer.Exit, typer.Abort):
        raise
    except interrupted:
        raise stop(f"{what} cancelled", 130) from None
    except Exception as err:
        handled = known(err, secrets)
        if handled is not None:
            raise handled from None
        if verbose:
            text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
            sys.stderr.write(redact(text, *secrets.secrets))
        detail = redact(f"{type(err).__name__}: {err}", *secrets.secrets)
        hint = "" if verbose else " (run with --verbose for details)"
        raise stop(f"internal error: {detail}{hint}", 2) from None
    finally:
        for handler in handlers:
            handler.removeFilter(secrets)
