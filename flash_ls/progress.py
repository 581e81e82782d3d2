"""Progress and cancellation for long engine work (build, deploy, environment calls).

The engine reports through a ``Progress``; the CLI renders it with rich, the server as LSP work-done
progress. Cancellation is cooperative: engine loops call ``check_cancelled()`` between steps.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Cancelled(Exception):
    """Raised inside engine work when the user cancelled it."""


class Progress(Protocol):
    def step(self, title: str, total: int | None = None) -> None:
        """A new phase begins (``discover``, ``install``, ``package``); ``total`` units if known."""

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        """Units of the current phase are done."""

    def log(self, message: str) -> None:
        """A line worth showing the user (warnings, what was skipped)."""

    def check_cancelled(self) -> None:
        """Raise ``Cancelled`` if the user asked to stop."""


class SilentProgress:
    """Progress that shows nothing and can be cancelled from another thread."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.messages: list[str] = []
        self.steps: list[str] = []

    def step(self, title: str, total: int | None = None) -> None:
        self.steps.append(title)

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        return None

    def log(self, message: str) -> None:
        self.messages.append(message)

    def cancel(self) -> None:
        self._cancel.set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()
