"""What stops a deploy or an environment command: one line the user can act on."""

from __future__ import annotations


class DeployError(Exception):
    """The command cannot go on; ``message`` says why and what to do, without secrets."""

    def __init__(self, message: str, *, rerun: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.rerun = rerun
        """A mutation failed midway: running the command again continues from the state."""


class ConfirmationRequired(DeployError):
    """Changing a protected environment (``production``) needs the user's confirmation."""

    def __init__(self, action: str, environment: str) -> None:
        super().__init__(f"{action} {environment!r} needs confirmation: pass --yes")
        self.action = action
        self.environment = environment
