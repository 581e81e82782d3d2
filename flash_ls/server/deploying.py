"""Deploy and environment commands' glue: the async engine on a worker thread, cancellable, and
its errors as one-line user messages.

The engine (``flash_ls.deploy``) is asyncio code; each command runs it on a loop of its own in a
job thread so the server's loop only routes messages. Cancelling sets the progress flag (the
engine stops at its next step) and then cancels the engine's task, which also stops a call the
API is holding.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from flash_ls.progress import Cancelled
from flash_ls.server import commands

T = TypeVar("T")

ACTIVE_ENVIRONMENT = "flash/activeEnvironment"
_GRACE = 1.0  # seconds the engine gets to stop at a step before its task is cancelled


class NeedsConfirmation(commands.RequestFailed):
    """The engine asked for the user's confirmation (deploying to ``production``)."""

    def __init__(self, message: str, environment: str) -> None:
        super().__init__(message)
        self.environment = environment


class EngineRun:
    """One engine coroutine on its own event loop in the calling (job) thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._cancelled = False

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Job thread: run ``work()`` to its end; a cancelled task raises ``Cancelled``."""
        loop = asyncio.new_event_loop()
        try:

            async def main() -> T:
                return await work()

            task = loop.create_task(main())
            with self._lock:
                self._loop, self._task = loop, task
                if self._cancelled:
                    task.cancel()
            try:
                return loop.run_until_complete(task)
            except asyncio.CancelledError:
                raise Cancelled() from None
        finally:
            with self._lock:
                self._loop = self._task = None
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def cancel(self) -> None:
        """Any thread: cancel the engine's task (now, or as soon as it starts)."""
        with self._lock:
            self._cancelled = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(task.cancel)


async def run_engine(
    executor: Any, progress: Any, work: Callable[[], Awaitable[T]], *, poll: float = 0.1
) -> T:
    """Run ``work`` on a job thread; the progress's cancel (button or request) stops it."""
    run = EngineRun()
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(executor, run.run, work)
    cancelled_at: float | None = None
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=poll)
            if done:
                return future.result()
            if progress.cancelled:
                if cancelled_at is None:
                    cancelled_at = loop.time()  # the engine stops at its next step...
                elif loop.time() - cancelled_at >= _GRACE:
                    run.cancel()  # ...or its task is cancelled (a call the API holds)
    except asyncio.CancelledError:
        progress.cancel()
        run.cancel()
        raise


def _redact(text: str, secret: str | None) -> str:
    from flash_ls.deploy.credentials import redact

    return redact(text, secret) if secret else text


@contextlib.contextmanager
def engine_errors(
    app: Any = None, secret: Callable[[], str | None] = lambda: None
) -> Iterator[None]:
    """What the deploy engine raises, as a ``UserError`` with one line (the key redacted)."""
    from flash_ls.build.errors import BuildError
    from flash_ls.deploy.client import ApiError, ApiKeyRejected
    from flash_ls.deploy.credentials import MissingApiKey
    from flash_ls.deploy.errors import ConfirmationRequired, DeployError
    from flash_ls.deploy.urls import InvalidUrl

    try:
        yield
    except MissingApiKey as error:
        raise commands.RequestFailed(_redact(str(error), secret())) from None
    except ApiKeyRejected as error:
        raise commands.RequestFailed(
            f"Runpod API key rejected ({error.status}): run `flash-ls login`"
        ) from None
    except InvalidUrl as error:
        raise commands.RequestFailed(str(error)) from None
    except BuildError:
        if app is None:
            raise
        with commands.build_errors(app):
            raise
    except ConfirmationRequired as error:
        raise NeedsConfirmation(error.message, error.environment) from None
    except DeployError as error:
        message = _redact(error.message, secret())
        if error.rerun:
            message += " (deploy again: it goes on from what exists)"
        raise commands.RequestFailed(message) from None
    except ApiError as error:
        raise commands.RequestFailed(_redact(error.message, secret())) from None


def active_environment(root: Path, environ: Any = None) -> tuple[str | None, str | None]:
    """The app's active environment and where it comes from (``FLASH_ENV``, ``env use``), else
    the one environment it was deployed to (no API call)."""
    from flash_ls.deploy import environments, state

    name = environments.app_name_for(root)
    chosen, source = environments.chosen_environment(root, name, environ=environ)
    if chosen is not None:
        return chosen, source
    recorded = {e.environment for e in state.deployed(root).environments.values() if e.app == name}
    if len(recorded) == 1:
        return recorded.pop(), "last deploy"
    return None, None
