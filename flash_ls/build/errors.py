"""The one exception the build engine raises: a message for the user, plus findings when rules block."""

from __future__ import annotations

from collections.abc import Sequence

from flash_ls.diagnostic import Diagnostic


class BuildError(Exception):
    """The build (or manifest) cannot be produced; ``message`` says why in words a user can act on.

    ``diagnostics`` holds the error findings when the app's own problems block the build (the CLI
    prints them as ``check`` would, the server publishes them).
    """

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
