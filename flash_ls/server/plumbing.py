"""What the handler modules share: error handling, command registration, argument parsing and
work-done progress for commands.

Every handler is wrapped by ``guard`` (a crash is logged and answered, the server keeps serving);
``command`` registers an ``executeCommand`` handler with the same error handling, shown to the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import re
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from flash_ls.progress import Cancelled
from flash_ls.project.app import App
from flash_ls.server import commands, unnamed
from flash_ls.server.positions import uri_to_path
from flash_ls.server.work_done import WorkDoneProgress

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from flash_ls.server.server import FlashLanguageServer

    Handler = Callable[..., Awaitable[Any]]

# (client work-done token, the request's future) of the executeCommand being handled.
COMMAND_CONTEXT: contextvars.ContextVar[tuple[Any, Any]] = contextvars.ContextVar(
    "flash_ls_command", default=(None, None)
)
INTERNAL_ERROR = -32603
MESSAGE_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
)
_URI_SCHEME = re.compile(r"[A-Za-z][\w+.-]+:")  # two letters or more: not a Windows drive


def guard(
    method: str, *, notification: bool = False, command: bool = False
) -> Callable[[Handler], Handler]:
    """Log any exception of a handler; answer requests with an LSP error, keep serving.

    A crash is logged once with its traceback and answered as internal (a notification gets no
    answer). For a ``command`` (``method`` is its name) the user also sees it: a user's mistake
    (``commands.UserError``) is shown in one line and answered with the error, a crash is shown in
    one line.
    """

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def wrapper(ls: FlashLanguageServer, params: Any) -> Any:
            try:
                return await fn(ls, params)
            except commands.UserError as error:
                if command:
                    kind = types.MessageType.Warning if error.warning else types.MessageType.Error
                    ls.show_message(first_line(error.message), kind)
                    error.logged = True
                raise
            except asyncio.CancelledError:
                if notification:
                    # Cancelled as the session ends (the loop cancels what still runs): nobody
                    # waits for a notification, and pygls would log the cancellation as a crash.
                    return None
                raise
            except JsonRpcException:
                raise
            except Cancelled:
                raise commands.RequestCancelled(f"{method} was cancelled") from None
            except Exception as error:
                details = "".join(
                    traceback.format_exception(type(error), error, error.__traceback__)
                )
                ls.log_to_client(f"flash-ls: {method} failed:\n{details}", types.MessageType.Error)
                if command:
                    ls.show_message(
                        f"{method} failed: {first_line(str(error))} (see the flash-ls log)",
                        types.MessageType.Error,
                    )
                if notification:
                    return None
                prefix = "" if command else "flash-ls: "
                answer = JsonRpcException(f"{prefix}{method} failed: {error}", code=INTERNAL_ERROR)
                answer.logged = True  # type: ignore[attr-defined]
                raise answer from None

        return wrapper

    return decorate


def command(server: FlashLanguageServer, name: str) -> Callable[[Handler], Handler]:
    """Register ``fn(ls, options)`` as command ``name`` with the shared error handling
    (``guard``'s, for a command: what goes wrong is shown to the user in one line)."""

    def decorate(fn: Handler) -> Handler:
        @guard(name, command=True)
        async def guarded(ls: FlashLanguageServer, arguments: tuple[Any, ...]) -> Any:
            return await fn(ls, commands.options(arguments))  # bad options: a UserError, shown

        # pygls resolves this function's annotations (to convert the arguments): only names
        # importable here, not the server class.
        async def command(ls: Any, *arguments: Any) -> Any:
            return await guarded(ls, arguments)

        server.command(name)(command)
        return fn

    return decorate


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


# -- documents ----------------------------------------------------------------------------------


def local_path(uri: str) -> Path | None:
    path = uri_to_path(uri)
    return path.resolve() if path is not None else None


def document_path(uri: str) -> Path | None:
    """The engine path of an editor document: its file, or the stand-in of an unnamed buffer."""
    if unnamed.is_unnamed(uri):
        return unnamed.path_for(uri)
    return local_path(uri)


def is_python(path: Path | None, language_id: str | None = None) -> bool:
    return path is not None and (path.suffix == ".py" or language_id == "python")


# -- command arguments --------------------------------------------------------------------------


def root_argument(ls: FlashLanguageServer, args: dict[str, Any]) -> Path | None:
    """The app root named by ``uri``/``path`` (an open unnamed buffer is an app of its own)."""
    raw = args.get("uri") or args.get("path")
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise commands.InvalidParams("`uri` / `path` must be a string")
    if unnamed.is_unnamed(raw):
        stand_in = unnamed.path_for(raw)
        if not ls.documents.is_open(stand_in):
            raise commands.InvalidParams(f"{unnamed.display_name(raw)} is not open in the editor")
        return ls.engine.workspace.app_root(stand_in)
    if _URI_SCHEME.match(raw) and not raw.startswith("file:"):
        raise commands.InvalidParams(f"not a local file: {raw}")
    path = local_path(raw) if raw.startswith("file:") else Path(raw).expanduser().resolve()
    if path is None:
        raise commands.InvalidParams(f"not a local file: {raw}")
    if not path.exists() and not ls.documents.is_open(path):
        raise commands.InvalidParams(f"no such file or directory: {path}")
    return ls.engine.workspace.app_root(path)


def app_root(ls: FlashLanguageServer, args: dict[str, Any], name: str) -> Path:
    """The app a deploy or environment command is about: ``uri``/``path``, else the first folder."""
    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams(f"{name} needs `uri` or `path`")
    if unnamed.is_stand_in(root):
        raise commands.RequestFailed(
            f"Save {unnamed.display_name(args.get('uri') or args['path'])} to a folder first",
            warning=True,
        )
    return root


def string_argument(
    args: dict[str, Any], key: str, name: str, *, required: bool = False
) -> str | None:
    value = args.get(key)
    if value is None and required:
        raise commands.InvalidParams(f"{name} needs `{key}`")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise commands.InvalidParams(f"{name}: `{key}` must be a non-empty string")
    return value


def flag_argument(args: dict[str, Any], key: str, name: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise commands.InvalidParams(f"{name}: `{key}` must be true or false")
    return value


# -- long commands ------------------------------------------------------------------------------


async def progress_for(ls: FlashLanguageServer, title: str) -> WorkDoneProgress:
    """Work-done progress for the command being handled (the client's token, or one of ours),
    cancelled with the request."""
    token, request = COMMAND_CONTEXT.get()
    progress = WorkDoneProgress(ls, title, token=token)
    await progress.begin()
    if isinstance(request, Future):
        request.add_done_callback(lambda f: progress.cancel() if f.cancelled() else None)
    ls.running_progress.add(progress)
    return progress


def finish(ls: FlashLanguageServer, progress: WorkDoneProgress, message: str) -> None:
    ls.running_progress.discard(progress)
    progress.end(message)


def prepared(app: App) -> App:
    """Resolve the app's endpoints on the engine thread before another thread reads it."""
    _ = app.endpoints
    return app


async def refresh_lenses(ls: FlashLanguageServer) -> None:
    if ls.capability("workspace.code_lens.refresh_support", False):
        with contextlib.suppress(Exception):  # a client that fails the refresh keeps old lenses
            await asyncio.wait_for(ls.workspace_code_lens_refresh_async(None), timeout=5)


# -- logging ----------------------------------------------------------------------------------


class ClientLogHandler(logging.Handler):
    """Engine and server log records -> ``window/logMessage`` (from any thread)."""

    def __init__(self, server: FlashLanguageServer) -> None:
        super().__init__(logging.WARNING)
        self._server = server

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:
            return
        kind = next(
            (kind for level, kind in MESSAGE_TYPES if record.levelno >= level),
            types.MessageType.Log,
        )
        self._server.log_to_client(message, kind)
