"""Options and command groups shared by the command modules (build, deploy, auth)."""

from __future__ import annotations

from typing import Annotated

import typer

VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log details (and tracebacks).")
]


def command_group(name: str, help: str) -> typer.Typer:
    """A ``flash-ls NAME ...`` group, with the plain help of the main app."""
    return typer.Typer(
        name=name, help=help, no_args_is_help=True, add_completion=False, rich_markup_mode=None
    )
