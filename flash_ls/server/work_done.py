"""LSP work-done progress for engine work: an implementation of ``flash_ls.progress.Progress``.

The engine calls it from worker threads; every notification is handed to the event loop. The user
cancels from the editor (``window/workDoneProgress/cancel``) or by cancelling the request; engine
loops notice at their next ``check_cancelled()``.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls.progress import Cancelled

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


def supports_progress(server: LanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window is not None and window.work_done_progress)


class WorkDoneProgress:
    """One progress bar in the editor; a no-op when the client shows none."""

    def __init__(
        self,
        server: LanguageServer,
        title: str,
        *,
        token: types.ProgressToken | None = None,
        cancellable: bool = True,
    ) -> None:
        self._server = server
        self._loop = asyncio.get_running_loop()
        self.title = title
        self.token = token
        self._cancellable = cancellable
        self._cancel = threading.Event()
        self._phase: str | None = None
        self._total: int | None = None
        self._done = 0
        self._ended = False
        self.messages: list[str] = []

    async def begin(self, message: str | None = None) -> WorkDoneProgress:
        """Create the token (unless the client gave one) and show the progress bar."""
        if self.token is None and supports_progress(self._server):
            token = f"flash-ls/{uuid.uuid4()}"
            try:
                await self._server.work_done_progress.create_async(token)
                self.token = token
            except Exception:  # the client refused: carry on without a progress bar
                self.token = None
        if self.token is not None:
            self._server.work_done_progress.begin(
                self.token,
                types.WorkDoneProgressBegin(
                    title=self.title, cancellable=self._cancellable, message=message, percentage=0
                ),
            )
        return self

    # -- flash_ls.progress.Progress ---------------------------------------------------------

    def step(self, title: str, total: int | None = None) -> None:
        self._phase = title
        self._total = total
        self._done = 0
        self._report(title, 0 if total else None)

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        self._done += amount
        percentage = None
        if self._total:
            percentage = max(0, min(100, int(self._done * 100 / self._total)))
        text = message or self._phase
        if self._phase and message:
            text = f"{self._phase}: {message}"
        self._report(text, percentage)

    def log(self, message: str) -> None:
        self.messages.append(message)
        self._report(message, None)
        self._threadsafe(
            self._server.window_log_message,
            types.LogMessageParams(type=types.MessageType.Info, message=f"{self.title}: {message}"),
        )

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled()

    # -- control -----------------------------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        if self._cancel.is_set():
            return True
        if self.token is not None:
            future = self._server.work_done_progress.tokens.get(self.token)
            if future is not None and future.cancelled():
                return True
        return False

    def cancel(self) -> None:
        self._cancel.set()

    def end(self, message: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        token = self.token
        if token is None:
            return

        def finish() -> None:
            self._server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            self._server.work_done_progress.tokens.pop(token, None)

        self._threadsafe(finish)

    def _report(self, message: str | None, percentage: int | None) -> None:
        if self.token is None or self._ended:
            return
        token = self.token
        value = types.WorkDoneProgressReport(
            message=message, percentage=percentage, cancellable=self._cancellable
        )
        self._threadsafe(self._server.work_done_progress.report, token, value)

    def _threadsafe(self, fn: object, *args: object) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(fn, *args)  # type: ignore[arg-type]
