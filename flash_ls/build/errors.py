"""The one exception the build engine raises: a message for the user, plus findings when rules block."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flash_ls.diagnostic import Diagnostic

if TYPE_CHECKING:
    from flash_ls.project.app import App


class BuildError(Exception):
    """The build (or manifest) cannot be produced; ``message`` says why in words a user can act on.

    ``diagnostics`` holds the error findings when the app's own problems block the build (the CLI
    prints them as ``check`` would, the server publishes them).
    """

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)


def app_api_only(app: App) -> str | None:
    """Why flash-ls does not build or deploy ``app``: its resources are declared only with the app
    API of ``runpod`` 2.0 (``runpod.App``), which its own CLI packs; None for a runpod_flash app."""
    if app.uses_flash or not app.uses_app_api:
        return None
    return f"{app.name} uses runpod.App: build and deploy it with `rp flash deploy`"
