"""The pygls language server: one handler per LSP method, each delegating to a small module.

Engine work (parsing, checking, hover facts) runs on the engine thread (``engine.py``), long
commands on their own threads with work-done progress; the event loop only routes messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from flash_ls import __version__
from flash_ls.progress import Cancelled
from flash_ls.project import sizes
from flash_ls.project.app import App, SourceFile
from flash_ls.project.workspace import Workspace
from flash_ls.rules.registry import is_known_selector
from flash_ls.server import (
    commands,
    completion,
    deploying,
    endpoint_tree,
    hover,
    lens,
    symbols,
    unnamed,
)
from flash_ls.server.actions import (
    FIX_ALL_KIND,
    QUICKFIX,
    ActionContext,
    code_actions,
    document_recheck,
)
from flash_ls.server.diagnostics import DiagnosticsManager
from flash_ls.server.engine import Documents, Engine
from flash_ls.server.manifest_view import ManifestFiles
from flash_ls.server.positions import UTF16, LineIndex, negotiate_encoding, path_to_uri, uri_to_path
from flash_ls.server.progress import WorkDoneProgress
from flash_ls.server.settings import SECTION, Settings, parse_settings
from flash_ls.server.watcher import WATCH_GLOBS, WATCHED_NAMES, Changes, FileWatcher, is_watched

log = logging.getLogger("flash_ls.server")

T = TypeVar("T")
NAME = "flash-ls"
_DIAGNOSTIC_ID = "flash-ls"
_WATCH_REGISTRATION = "flash-ls/watched-files"
_CONFIG_REGISTRATION = "flash-ls/configuration"
# (client work-done token, the request's future) of the executeCommand being handled.
_COMMAND_CONTEXT: contextvars.ContextVar[tuple[Any, Any]] = contextvars.ContextVar(
    "flash_ls_command", default=(None, None)
)
_INTERNAL_ERROR = -32603
_URI_SCHEME = re.compile(r"[A-Za-z][\w+.-]+:")  # two letters or more: not a Windows drive
_LOG_LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}
_MESSAGE_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
)


class FlashProtocol(LanguageServerProtocol):
    """pygls' protocol with hooks: capabilities that depend on the client, command context, and
    error answers without pygls' traceback."""

    _server: FlashLanguageServer

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        self._server.adjust_capabilities(result.capabilities)
        return result

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        _COMMAND_CONTEXT.set((params.work_done_token, self._request_futures.get(self.msg_id)))  # type: ignore[arg-type]
        result = yield from super().lsp_workspace__execute_command(params)
        return result

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        # pygls logs a traceback with every error answer; errors raised on purpose (a user's
        # mistake, or a crash the handler has logged once already) are answered without one.
        error = None if future.cancelled() else future.exception()
        if not isinstance(error, JsonRpcException):
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        self._send_response(msg_id, error=error.to_response_error())
        self._server.report_server_error(error, None)


class _ClientLogHandler(logging.Handler):
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
            (kind for level, kind in _MESSAGE_TYPES if record.levelno >= level),
            types.MessageType.Log,
        )
        self._server.log_to_client(message, kind)


class FlashLanguageServer(LanguageServer):
    """State shared by the handlers."""

    def __init__(self) -> None:
        super().__init__(NAME, __version__, protocol_cls=FlashProtocol)
        self.documents = Documents()
        self.engine = Engine(Workspace([], known_selector=is_known_selector), self.documents)
        self.diagnostics = DiagnosticsManager(
            self.engine,
            self.documents,
            self._publish,
            self._refresh,
            lambda message: self.show_message(message, types.MessageType.Warning),
        )
        self.settings = Settings()  # the last good settings
        self.settings_problems: list[str] = []  # why the latest settings were not applied
        self._settings_shown: set[str] = set()
        self.init_options: Any = None
        self.client_settings: Any = None
        self.encoding = UTF16
        self.folders: list[Path] = []
        self.watcher: FileWatcher | None = None
        self.jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flash-ls-job")
        self.manifests = ManifestFiles()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._index_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running: set[WorkDoneProgress] = set()
        self._announced: set[Path] = set()  # apps told their active environment
        self._trees: dict[Path, str] = {}  # app root -> its endpoint tree as last sent (JSON)
        self._warmed: set[Path] = set()  # apps whose class resolution (jedi) was started
        self.diagnostics.tree_of = self.tree_of
        self.diagnostics.on_checked = lambda report: self.tree_changed(report.root, report.tree)
        self._log_handler = _ClientLogHandler(self)
        self._stopped = False

    # -- client capabilities -----------------------------------------------------------------

    def capability(self, path: str, default: Any = None) -> Any:
        return get_capability(self.client_capabilities, path, default)

    @property
    def client_pulls(self) -> bool:
        """Pull diagnostics when the client asks for them and can be told to refresh."""
        return bool(
            self.capability("text_document.diagnostic")
            and self.capability("workspace.diagnostics.refresh_support", False)
        )

    def adjust_capabilities(self, capabilities: types.ServerCapabilities) -> None:
        """Advertise pull diagnostics only to clients that use them (the others get pushes)."""
        if not self.client_pulls:
            capabilities.diagnostic_provider = None
        capabilities.position_encoding = self.encoding

    # -- messages to the client --------------------------------------------------------------

    def log_to_client(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        """``window/logMessage`` from any thread."""
        loop = self.loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        params = types.LogMessageParams(type=kind, message=message)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._send_log, params)

    def show_message(self, message: str, kind: types.MessageType) -> None:
        """``window/showMessage`` (event loop)."""
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def _send_log(self, params: types.LogMessageParams) -> None:
        if not self._stopped:
            self.window_log_message(params)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Logged, never a pop-up: the request was already answered with an error. Errors the
        # handlers raise on purpose (bad arguments, engine not available) are warnings.
        if getattr(error, "logged", False):
            return
        deliberate = isinstance(error, JsonRpcException) and error.code != _INTERNAL_ERROR
        kind = types.MessageType.Warning if deliberate else types.MessageType.Error
        self.log_to_client(f"flash-ls: {error}", kind)

    def announce_settings_problems(self) -> None:
        """Show each settings problem once; one fixed and made again is shown again."""
        for problem in self.settings_problems:
            if problem not in self._settings_shown:
                self.show_message(problem, types.MessageType.Warning)
        self._settings_shown = set(self.settings_problems)

    def _publish(self, uri: str, items: list[types.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version)
        )

    def _refresh(self) -> None:
        if self.capability("workspace.diagnostics.refresh_support", False):
            self.workspace_diagnostic_refresh(None)

    def spawn(self, coro: Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._log_task_error)
        return task

    def _log_task_error(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            assert error is not None
            self.log_to_client(
                "flash-ls: "
                + "".join(traceback.format_exception(type(error), error, error.__traceback__)),
                types.MessageType.Error,
            )

    # -- settings ----------------------------------------------------------------------------

    def set_log_level(self, name: str) -> None:
        """What reaches ``window/logMessage`` (and stderr) from the engine and the server."""
        level = _LOG_LEVELS.get(name, logging.WARNING)
        self._log_handler.setLevel(level)
        logging.getLogger("flash_ls").setLevel(level)

    async def apply_settings(self, *, reindex: bool) -> None:
        """Apply the client's settings, unless they have problems: then the last good stay."""
        settings = parse_settings(self.init_options, self.client_settings)
        self.settings_problems = settings.problems
        self.announce_settings_problems()
        if settings.problems:
            return
        old = self.settings
        self.settings = settings
        self.diagnostics.debounce = settings.debounce_ms / 1000
        self.set_log_level(settings.log_level)
        if settings.code_lens != old.code_lens:
            self.spawn(_refresh_lenses(self))
        if settings.overrides != old.overrides:

            def apply() -> None:
                self.engine.workspace.overrides = dict(settings.overrides)
                self.engine.workspace.invalidate_all()

            await self.engine.call(apply)
            if reindex:
                self.reindex()

    async def fetch_client_settings(self) -> None:
        if not self.capability("workspace.configuration", False):
            return
        try:
            values = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=5,
            )
        except Exception as error:
            log.warning("workspace/configuration failed: %s", error)
            return
        self.client_settings = values[0] if values else None

    # -- indexing ----------------------------------------------------------------------------

    def reindex(self) -> None:
        """Check every app of the workspace in the background (open documents' apps first)."""
        self.diagnostics.touch_all()
        if self._index_task is not None and not self._index_task.done():
            self._index_task.cancel()
        self._index_task = self.spawn(self._index())

    async def _index(self) -> None:
        progress = WorkDoneProgress(self, "flash-ls: indexing", cancellable=False)
        try:
            await asyncio.wait_for(progress.begin("discovering apps"), timeout=5)
        except asyncio.TimeoutError:
            progress.token = None
        checked = 0
        try:
            roots = await self.engine.call(lambda: self.engine.workspace.app_roots())
            opened = sorted({self.diagnostics.root_of(path) for path in self.documents.paths()})
            ordered = opened + [root for root in roots if root not in opened]
            progress.step("checking apps", len(ordered))
            for root in ordered:
                await self.diagnostics.fresh(root)
                if not unnamed.is_stand_in(root):
                    self.announce_environment(root)
                checked += 1
                progress.advance(1, root.name)
        finally:
            progress.end(f"{checked} app(s) checked")

    def announce_environment(
        self, root: Path, *, force: bool = False
    ) -> tuple[str | None, str | None]:
        """Send ``flash/activeEnvironment`` for the app at ``root`` (once, unless ``force``)."""
        try:
            active, source = deploying.active_environment(root)
        except (OSError, ValueError) as error:
            log.warning("cannot read the active environment of %s: %s", root, error)
            return None, None
        if force or root not in self._announced:
            self._announced.add(root)
            self.protocol.notify(
                deploying.ACTIVE_ENVIRONMENT,
                {"appRoot": root.as_posix(), "environment": active, "source": source},
            )
        return active, source

    # -- endpoint trees ----------------------------------------------------------------------

    def tree_of(self, app: App, index_for: Callable[[Path], LineIndex]) -> dict[str, Any]:
        """Engine thread: the app's ``flash.endpoints`` entry, positions for this client."""

        def locate(path: Path, span: Any) -> dict[str, Any]:
            return {
                "uri": self.diagnostics.uri_for(path),
                "range": _range_json(index_for(path).range(span)),
            }

        return endpoint_tree.app_tree(app, path_to_uri(app.root), locate)

    def warm_up(self, app: App) -> None:
        """Engine thread: the editor shows an endpoint of ``app`` (lens, hover), whose request
        will need jedi: start it in the background, once per app (not while indexing: jedi's
        first look costs CPU the checks need)."""
        if app.root in self._warmed or not any(e.targets or e.routes for e in app.endpoints):
            return
        self._warmed.add(app.root)
        from flash_ls.deploy import examples

        examples.warm_up(app)

    def current_tree(self, root: Path) -> dict[str, Any]:
        """Engine thread: the tree of the app at ``root`` as it is now."""
        app = self.engine.workspace.app(root)
        texts = {source.path: source.text for source in app.files.values()}
        return self.tree_of(app, lambda path: self.index(texts.get(path)))

    def tree_changed(self, root: Path, tree: Any, *, notify: bool = True) -> None:
        """Event loop: the app's tree now; ``flash/endpointsChanged`` when it differs from the
        last one sent (an app's first tree only when it has endpoints)."""
        if tree is None or self._stopped:
            return
        text = json.dumps(tree, sort_keys=True)
        before = self._trees.get(root)
        self._trees[root] = text
        if before == text or (before is None and not tree.get("endpoints")):
            return
        if notify:
            self.protocol.notify(
                endpoint_tree.ENDPOINTS_CHANGED, {"roots": [tree.get("root") or path_to_uri(root)]}
            )

    def sizes_landed(self) -> None:
        """Any thread: a dependency resolution finished; re-check the apps waiting for one."""
        loop = self.loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.diagnostics.sizes_landed)

    # -- files ----------------------------------------------------------------------------------

    def files_changed(self, changes: Changes) -> None:
        """Event loop: files changed on disk (watchers). Open buffers win over the disk."""
        relevant = [
            (path, kind)
            for path, kind in changes
            if is_watched(path)
            and not (self.documents.is_open(path.resolve()) and kind != "deleted")
        ]
        if not relevant:
            return
        self.spawn(self._apply_file_changes(relevant))

    async def _apply_file_changes(self, changes: Changes) -> None:
        def invalidate() -> list[Path]:
            roots = []
            for path, _ in changes:
                roots.append(self.engine.workspace.invalidate(path.resolve()))
            return roots

        roots = await self.engine.call(invalidate)
        if any(path.suffix != ".py" for path, _ in changes):
            self.reindex()  # configuration, ignore rules or app boundaries may have changed
            return
        for root in sorted(set(roots)):
            self.diagnostics.touch(root)
            self.diagnostics.schedule(("files", root), root)

    def start_watcher(self) -> None:
        if self.watcher is not None or not self.folders or self.loop is None:
            return
        loop = self.loop

        def on_changes(changes: Changes) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.files_changed, changes)

        self.watcher = FileWatcher(self.folders, on_changes)
        if not self.watcher.start():
            self.watcher = None

    async def register_dynamic(self) -> None:
        registrations = []
        if self.capability("workspace.did_change_watched_files.dynamic_registration", False):
            registrations.append(
                types.Registration(
                    id=_WATCH_REGISTRATION,
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[
                            types.FileSystemWatcher(glob_pattern=glob) for glob in WATCH_GLOBS
                        ]
                    ),
                )
            )
        else:
            self.start_watcher()
        if self.capability("workspace.did_change_configuration.dynamic_registration", False):
            registrations.append(
                types.Registration(
                    id=_CONFIG_REGISTRATION,
                    method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                    register_options=types.DidChangeConfigurationRegistrationOptions(
                        section=SECTION
                    ),
                )
            )
        if not registrations:
            return
        try:
            await asyncio.wait_for(
                self.client_register_capability_async(
                    types.RegistrationParams(registrations=registrations)
                ),
                timeout=5,
            )
        except Exception as error:
            log.warning("client/registerCapability failed (%s); watching files myself", error)
            self.start_watcher()

    # -- engine helpers --------------------------------------------------------------------------

    def source_in(self, path: Path) -> tuple[App, SourceFile | None]:
        """Engine thread: the app holding ``path`` and its source file (None when not checked)."""
        app = self.engine.workspace.app_for(path)
        try:
            rel = path.relative_to(app.root).as_posix()
        except ValueError:
            return app, None
        return app, app.files.get(rel)

    def index(self, text: str | None) -> LineIndex:
        return LineIndex(text or "", self.encoding)

    # -- shutdown --------------------------------------------------------------------------------

    def stop_background(self) -> None:
        """Cancel background work and stop threads (shutdown request or exit)."""
        if self._stopped:
            return
        self._stopped = True
        logging.getLogger("flash_ls").removeHandler(self._log_handler)
        for progress in list(self._running):
            progress.cancel()
        self.diagnostics.cancel_all()
        for task in list(self._tasks):
            task.cancel()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.engine.close()
        self.jobs.shutdown(wait=False, cancel_futures=True)
        self.manifests.remove()

    def join_threads(self, timeout: float = 5.0) -> None:
        self.engine.join(timeout)
        for thread in list(getattr(self.jobs, "_threads", ())):
            thread.join(timeout)


# ---------------------------------------------------------------------------------------------
# Handlers


Handler = Callable[..., Awaitable[Any]]


def _guard(
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
                    ls.show_message(_first_line(error.message), kind)
                    error.logged = True
                raise
            except (JsonRpcException, asyncio.CancelledError):
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
                        f"{method} failed: {_first_line(str(error))} (see the flash-ls log)",
                        types.MessageType.Error,
                    )
                if notification:
                    return None
                prefix = "" if command else "flash-ls: "
                answer = JsonRpcException(f"{prefix}{method} failed: {error}", code=_INTERNAL_ERROR)
                answer.logged = True  # type: ignore[attr-defined]
                raise answer from None

        return wrapper

    return decorate


def _path(uri: str) -> Path | None:
    path = uri_to_path(uri)
    return path.resolve() if path is not None else None


def _document_path(uri: str) -> Path | None:
    """The engine path of an editor document: its file, or the stand-in of an unnamed buffer."""
    if unnamed.is_unnamed(uri):
        return unnamed.path_for(uri)
    return _path(uri)


def _is_python(path: Path | None, language_id: str | None = None) -> bool:
    return path is not None and (path.suffix == ".py" or language_id == "python")


def _folders(params: types.InitializeParams) -> list[Path]:
    found: list[Path] = []
    for folder in params.workspace_folders or []:
        path = _path(folder.uri)
        if path is not None:
            found.append(path)
    if not found:
        root = _path(params.root_uri) if params.root_uri else None
        if root is None and params.root_path:
            root = Path(params.root_path).resolve()
        if root is not None:
            found.append(root)
    return found


def create_server() -> FlashLanguageServer:
    """A server with every feature registered (not started)."""
    server = FlashLanguageServer()
    _register_lifecycle(server)
    _register_documents(server)
    _register_diagnostics(server)
    _register_language(server)
    _register_commands(server)
    return server


def _register_lifecycle(server: FlashLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: FlashLanguageServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_event_loop()
        logging.getLogger("flash_ls").addHandler(ls._log_handler)
        offered = ls.capability("general.position_encodings")
        ls.encoding = negotiate_encoding(offered)
        ls.diagnostics.encoding = ls.encoding
        ls.diagnostics.pull = ls.client_pulls
        ls.folders = _folders(params)
        ls.engine.workspace = Workspace(ls.folders, known_selector=is_known_selector)
        sizes.set_background(True)  # never wait on pip or the network while typing
        sizes.on_landed(ls.sizes_landed)
        ls.engine.warm_up()
        ls.init_options = params.initialization_options
        settings = parse_settings(ls.init_options)
        ls.settings_problems = settings.problems  # shown once the client is initialized
        if not settings.problems:
            ls.settings = settings
        ls.diagnostics.debounce = ls.settings.debounce_ms / 1000
        ls.engine.workspace.overrides = dict(ls.settings.overrides)
        ls.set_log_level(ls.settings.log_level)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: FlashLanguageServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls.announce_settings_problems()
        await ls.fetch_client_settings()
        if ls.client_settings is not None:
            await ls.apply_settings(reindex=False)
        await ls.register_dynamic()
        ls.reindex()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: FlashLanguageServer, params: None) -> None:
        ls.stop_background()

    @server.feature(types.EXIT)
    def exit_(ls: FlashLanguageServer, params: None) -> None:
        ls.stop_background()
        ls.join_threads()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @_guard(types.WORKSPACE_DID_CHANGE_CONFIGURATION, notification=True)
    async def did_change_configuration(
        ls: FlashLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if ls.capability("workspace.configuration", False):
            await ls.fetch_client_settings()
        elif params.settings is not None:
            ls.client_settings = params.settings
        await ls.apply_settings(reindex=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @_guard(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, notification=True)
    async def did_change_folders(
        ls: FlashLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        removed = {p for p in (_path(f.uri) for f in params.event.removed) if p is not None}
        added = [p for p in (_path(f.uri) for f in params.event.added) if p is not None]
        ls.folders = [f for f in ls.folders if f not in removed] + [
            f for f in added if f not in ls.folders
        ]
        folders = list(ls.folders)
        await ls.engine.call(ls.engine.replace_workspace, folders)
        ls.diagnostics.forget_outside(folders)
        if ls.watcher is not None:
            ls.watcher.stop()
            ls.watcher = None
            ls.start_watcher()
        ls.reindex()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @_guard(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, notification=True)
    async def did_change_watched_files(
        ls: FlashLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        kinds = {
            types.FileChangeType.Created: "created",
            types.FileChangeType.Changed: "changed",
            types.FileChangeType.Deleted: "deleted",
        }
        changes: Changes = []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is not None:
                changes.append((path, kinds.get(event.type, "changed")))
        ls.files_changed(changes)


def _register_documents(server: FlashLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @_guard(types.TEXT_DOCUMENT_DID_OPEN, notification=True)
    async def did_open(ls: FlashLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = _document_path(item.uri)
        if unnamed.is_unnamed(item.uri):
            python = item.language_id == "python"  # a stand-in's name says nothing
        else:
            python = _is_python(path, item.language_id)
        if path is None or not python:
            return
        ls.documents.open(path, item.uri, item.version, item.text)
        root = ls.diagnostics.root_of(path)
        if not unnamed.is_unnamed(item.uri):
            ls.announce_environment(root)  # once per app
        ls.diagnostics.touch(root)
        ls.diagnostics.schedule(path, root, trigger=path, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @_guard(types.TEXT_DOCUMENT_DID_CHANGE, notification=True)
    async def did_change(
        ls: FlashLanguageServer, params: types.DidChangeTextDocumentParams
    ) -> None:
        path = _document_path(params.text_document.uri)
        if path is None or not ls.documents.is_open(path):
            return
        document = ls.workspace.get_text_document(params.text_document.uri)
        ls.documents.change(path, params.text_document.version, document.source)
        root = ls.diagnostics.root_of(path)
        ls.diagnostics.touch(root)
        ls.diagnostics.schedule(path, root, trigger=path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @_guard(types.TEXT_DOCUMENT_DID_CLOSE, notification=True)
    async def did_close(ls: FlashLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        path = _document_path(params.text_document.uri)
        if path is None or not ls.documents.is_open(path):
            return
        if unnamed.is_unnamed(params.text_document.uri):
            ls.diagnostics.discard(path)
            ls.documents.close(path)
            return
        ls.documents.close(path)
        root = ls.diagnostics.root_of(path)
        ls.diagnostics.closed(path)
        ls.diagnostics.touch(root)
        ls.diagnostics.schedule(path, root, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @_guard(types.TEXT_DOCUMENT_DID_SAVE, notification=True)
    async def did_save(ls: FlashLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _document_path(params.text_document.uri)
        if path is not None and path.name in WATCHED_NAMES:
            ls.files_changed([(path, "changed")])


def _register_diagnostics(server: FlashLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=_DIAGNOSTIC_ID, inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    @_guard(types.TEXT_DOCUMENT_DIAGNOSTIC)
    async def document_diagnostic(
        ls: FlashLanguageServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        path = _document_path(params.text_document.uri)
        if path is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        return await ls.diagnostics.document_report(path, params.previous_result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    @_guard(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(
        ls: FlashLanguageServer, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        previous = {item.uri: item.value for item in params.previous_result_ids}
        roots = await ls.engine.call(lambda: ls.engine.workspace.app_roots())
        roots = sorted(set(roots) | set(ls.diagnostics.known_roots()))
        return await ls.diagnostics.workspace_report(roots, previous)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[QUICKFIX, FIX_ALL_KIND], resolve_provider=False),
    )
    @_guard(types.TEXT_DOCUMENT_CODE_ACTION)
    async def code_action(
        ls: FlashLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        path = _document_path(params.text_document.uri)
        if path is None:
            return None
        report = ls.diagnostics.files.get(path)
        if report is None or report.version != ls.documents.version(path):
            # Typed since the last check: fixes must be computed for the text the editor holds.
            report = await ls.diagnostics.fresh_file(path)
        if report is None:
            return None
        ctx = ActionContext(
            report=report,
            app_report=ls.diagnostics.reports.get(report.root),
            encoding=ls.encoding,
            document_changes=bool(
                ls.capability("workspace.workspace_edit.document_changes", False)
            ),
            current_version=ls.documents.version(path),
            uri_for=ls.diagnostics.uri_for,
            versions=ls.documents.version,
            recheck=document_recheck(ls.engine, report.root, path),
        )
        only = (
            [str(getattr(kind, "value", kind)) for kind in params.context.only]
            if params.context.only
            else None
        )
        # On the engine thread: fix-all re-checks the app, and fix edits are computed off the loop.
        actions = await ls.engine.call(
            code_actions, ctx, params.range, params.context.diagnostics, only
        )
        uri = params.text_document.uri
        if unnamed.is_unnamed(uri):
            # The stand-in's neighbours (requirements.txt ...) exist nowhere: edit the buffer only.
            actions = [action for action in actions if _edits_only(action.edit, uri)]
        return actions or None


def _edits_only(edit: types.WorkspaceEdit | None, uri: str) -> bool:
    """Whether ``edit`` changes nothing but the document ``uri``."""
    if edit is None:
        return True
    changed = set(edit.changes or {})
    for change in edit.document_changes or ():
        changed.add(change.text_document.uri if isinstance(change, types.TextDocumentEdit) else "")
    return changed <= {uri}


def _register_language(server: FlashLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @_guard(types.TEXT_DOCUMENT_HOVER)
    async def hover_(ls: FlashLanguageServer, params: types.HoverParams) -> types.Hover | None:
        path = _document_path(params.text_document.uri)
        if path is None:
            return None

        def compute() -> types.Hover | None:
            app, source = ls.source_in(path)
            if source is None or source.text is None:
                return None
            index = ls.index(source.text)
            line, col = index.point(params.position)
            ls.warm_up(app)
            found = hover.hover(app, source, index.line(line), line, col)
            if found is None:
                return None
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
                range=index.range(found.span) if found.span is not None else None,
            )

        return await ls.engine.call(compute)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(
            trigger_characters=completion.TRIGGER_CHARACTERS, resolve_provider=False
        ),
    )
    @_guard(types.TEXT_DOCUMENT_COMPLETION)
    async def complete(
        ls: FlashLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        path = _document_path(params.text_document.uri)
        if path is None:
            return None
        formats = (
            ls.capability("text_document.completion.completion_item.documentation_format", []) or []
        )
        markdown = types.MarkupKind.Markdown in formats

        def compute() -> list[types.CompletionItem]:
            app, source = ls.source_in(path)
            document = ls.documents.get(path)
            text = (
                document.text
                if document is not None
                else (source.text if source is not None else None)
            )
            if text is None:
                return []
            index = ls.index(text)
            line, col = index.point(params.position)
            ctx = completion.CompletionContext(text, line, col, index.range, markdown)
            return completion.complete(ctx, app, source)

        items = await ls.engine.call(compute)
        return types.CompletionList(is_incomplete=False, items=items) if items else None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_guard(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: FlashLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        path = _document_path(params.text_document.uri)
        if path is None:
            return None
        hierarchical = bool(
            ls.capability(
                "text_document.document_symbol.hierarchical_document_symbol_support", False
            )
        )
        uri = params.text_document.uri

        def compute() -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
            app, source = ls.source_in(path)
            if source is None:
                return []
            index = ls.index(source.text)
            found = symbols.document_symbols(app, source)
            if hierarchical:
                return [_document_symbol(symbol, index) for symbol in found]
            flat: list[types.SymbolInformation] = []
            for symbol in found:
                flat.append(_symbol_information(symbol, index, uri, None))
                flat.extend(
                    _symbol_information(child, index, uri, symbol.name) for child in symbol.children
                )
            return flat

        return await ls.engine.call(compute)

    @server.feature(types.WORKSPACE_SYMBOL)
    @_guard(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(
        ls: FlashLanguageServer, params: types.WorkspaceSymbolParams
    ) -> list[types.SymbolInformation] | None:
        def compute() -> list[types.SymbolInformation]:
            apps = ls.engine.workspace.apps()
            for root in ls.diagnostics.known_roots():
                if all(app.root != root for app in apps):
                    apps.append(ls.engine.workspace.app(root))
            found = symbols.workspace_symbols(apps, params.query)
            texts = _texts(apps)
            return [
                _symbol_information(
                    symbol,
                    ls.index(texts.get(symbol.path)),
                    ls.diagnostics.uri_for(symbol.path),
                    container,
                )
                for symbol, container in found
            ]

        return await ls.engine.call(compute)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @_guard(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: FlashLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        return await _navigate(ls, params.text_document.uri, params.position, None) or None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @_guard(types.TEXT_DOCUMENT_REFERENCES)
    async def references(
        ls: FlashLanguageServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        return (
            await _navigate(
                ls, params.text_document.uri, params.position, params.context.include_declaration
            )
            or None
        )

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    @_guard(types.TEXT_DOCUMENT_CODE_LENS)
    async def code_lens(
        ls: FlashLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens] | None:
        path = _document_path(params.text_document.uri)
        if path is None:
            return None
        uri = params.text_document.uri
        if not ls.settings.code_lens:
            return []

        def compute() -> list[types.CodeLens]:
            app, source = ls.source_in(path)
            if source is None:
                return []
            index = ls.index(source.text)
            ls.warm_up(app)
            return [
                types.CodeLens(
                    range=index.range(item.span),
                    command=types.Command(
                        title=item.title, command=item.command, arguments=item.arguments
                    ),
                )
                for item in lens.lenses(app, source, uri)
            ]

        return await ls.engine.call(compute)


def _texts(apps: list[App]) -> dict[Path, str | None]:
    return {source.path: source.text for app in apps for source in app.files.values()}


_SYMBOL_KINDS = {
    "endpoint": types.SymbolKind.Module,
    "route": types.SymbolKind.Method,
    "function": types.SymbolKind.Function,
}


def _document_symbol(symbol: symbols.Symbol, index: LineIndex) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=symbol.name,
        detail=symbol.detail,
        kind=_SYMBOL_KINDS[symbol.kind],
        range=index.range(symbol.span),
        selection_range=index.range(symbol.selection),
        children=[_document_symbol(child, index) for child in symbol.children],
    )


def _symbol_information(
    symbol: symbols.Symbol, index: LineIndex, uri: str, container: str | None
) -> types.SymbolInformation:
    return types.SymbolInformation(
        name=symbol.name,
        kind=_SYMBOL_KINDS[symbol.kind],
        location=types.Location(uri=uri, range=index.range(symbol.selection)),
        container_name=container,
    )


async def _navigate(
    ls: FlashLanguageServer, uri: str, position: types.Position, include_declaration: bool | None
) -> list[types.Location]:
    path = _document_path(uri)
    if path is None:
        return []

    def compute() -> list[types.Location]:
        app, source = ls.source_in(path)
        if source is None or source.text is None:
            return []
        index = ls.index(source.text)
        line, col = index.point(position)
        word = hover.word_at(index.line(line), col)
        name = word[0] if word else None
        if include_declaration is None:
            found = symbols.definitions(app, source, line, col, name)
        else:
            found = symbols.references(app, source, line, col, name, include_declaration)
        texts = _texts([app])
        return [
            types.Location(
                uri=ls.diagnostics.uri_for(loc.path),
                range=ls.index(texts.get(loc.path)).range(loc.span),
            )
            for loc in found
        ]

    return await ls.engine.call(compute)


# ---------------------------------------------------------------------------------------------
# Commands


def _root_argument(ls: FlashLanguageServer, args: dict[str, Any]) -> Path | None:
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
    path = _path(raw) if raw.startswith("file:") else Path(raw).expanduser().resolve()
    if path is None:
        raise commands.InvalidParams(f"not a local file: {raw}")
    if not path.exists() and not ls.documents.is_open(path):
        raise commands.InvalidParams(f"no such file or directory: {path}")
    return ls.engine.workspace.app_root(path)


async def _progress_for(ls: FlashLanguageServer, title: str) -> WorkDoneProgress:
    token, request = _COMMAND_CONTEXT.get()
    progress = WorkDoneProgress(ls, title, token=token)
    await progress.begin()
    if isinstance(request, Future):
        request.add_done_callback(lambda f: progress.cancel() if f.cancelled() else None)
    ls._running.add(progress)
    return progress


def _finish(ls: FlashLanguageServer, progress: WorkDoneProgress, message: str) -> None:
    ls._running.discard(progress)
    progress.end(message)


def _command(server: FlashLanguageServer, name: str) -> Callable[[Handler], Handler]:
    """Register ``fn(ls, options)`` as command ``name`` with the shared error handling
    (``_guard``'s, for a command: what goes wrong is shown to the user in one line)."""

    def decorate(fn: Handler) -> Handler:
        @_guard(name, command=True)
        async def guarded(ls: FlashLanguageServer, arguments: tuple[Any, ...]) -> Any:
            return await fn(ls, commands.options(arguments))  # bad options: a UserError, shown

        async def command(ls: FlashLanguageServer, *arguments: Any) -> Any:
            return await guarded(ls, arguments)

        server.command(name)(command)
        return fn

    return decorate


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


def _register_commands(server: FlashLanguageServer) -> None:
    @_command(server, commands.CHECK)
    async def check(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root = _root_argument(ls, args)
        if root is not None:
            roots = [root]
        else:
            roots = await ls.engine.call(lambda: ls.engine.workspace.app_roots())
            roots = sorted(set(roots) | set(ls.diagnostics.known_roots()))
        progress = await _progress_for(ls, "flash-ls: check")
        result: list[dict[str, Any]] = []
        counts = {"error": 0, "warning": 0, "info": 0, "hint": 0}
        try:
            progress.step("checking apps", len(roots))
            for app_root in roots:
                progress.check_cancelled()
                ls.diagnostics.touch(app_root)
                report = await ls.diagnostics.check(app_root)
                items = []
                for file_report in report.files.values():
                    for diagnostic in file_report.diagnostics:
                        counts[diagnostic.severity.label] += 1
                        items.append(
                            commands.diagnostic_json(
                                diagnostic, app_root, ls.diagnostics.uri_for(diagnostic.path)
                            )
                        )
                items.sort(
                    key=lambda item: (item["path"], item["line"], item["column"], item["code"])
                )
                result.append(
                    {"app": report.app.name, "root": app_root.as_posix(), "diagnostics": items}
                )
                progress.advance(1, report.app.name)
        finally:
            _finish(ls, progress, f"{sum(counts.values())} finding(s)")
        return {"apps": result, "counts": counts}

    @_command(server, commands.MANIFEST_PREVIEW)
    async def manifest_preview(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        preview = await _manifest(ls, args, commands.MANIFEST_PREVIEW)
        return preview.result()

    @_command(server, commands.MANIFEST_SHOW)
    async def manifest_show(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        preview = await _manifest(ls, args, commands.MANIFEST_SHOW)
        if not preview.manifest.get("resources"):
            raise commands.RequestFailed(
                f"{preview.app_name} has no endpoints yet: decorate a function with Endpoint()",
                warning=True,
            )
        written = ls.manifests.write(
            preview.app_name, preview.root, preview.manifest, preview.endpoint
        )
        uri = path_to_uri(written.path)
        shown = False
        if ls.capability("window.show_document.support", False):
            selection = written.selection
            request = ls.window_show_document_async(
                types.ShowDocumentParams(
                    uri=uri,
                    take_focus=True,
                    selection=ls.index(written.text).range(selection) if selection else None,
                )
            )
            try:
                shown = (await asyncio.wait_for(request, timeout=10)).success
            except (asyncio.TimeoutError, JsonRpcException) as error:
                log.warning("window/showDocument failed: %s", error)
        if not shown:
            what = f"Manifest entry '{preview.endpoint}'" if preview.endpoint else "Manifest"
            ls.show_message(f"{what} (read-only): {written.path}", types.MessageType.Info)
        return {**preview.result(), "path": str(written.path), "uri": uri, "shown": shown}

    @_command(server, commands.BUILD)
    async def build(ls: FlashLanguageServer, args: dict[str, Any]) -> Any:
        root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
        if root is None:
            raise commands.InvalidParams("flash.build needs `uri` or `path`")
        if unnamed.is_stand_in(root):
            raise commands.RequestFailed(
                f"Save {unnamed.display_name(args.get('uri') or args['path'])} to a folder "
                "first: a build packs files from disk",
                warning=True,
            )
        build_app, build_options = commands.build_api()
        raw_options = args.get(
            "options", {k: v for k, v in args.items() if k not in ("uri", "path")}
        )
        if not isinstance(raw_options, dict):
            raise commands.InvalidParams("flash.build options must be a JSON object")
        known = list(getattr(build_options, "model_fields", ()) or ())
        unknown = sorted(set(raw_options) - set(known)) if known else []
        if unknown:
            raise commands.InvalidParams(
                f"flash.build options: unknown {', '.join(unknown)} (known: {', '.join(known)})"
            )
        try:
            options = build_options(**raw_options)
        except (TypeError, ValueError) as error:
            raise commands.InvalidParams(f"flash.build options: {error}") from None
        app = await ls.engine.call(lambda: _prepared(ls.engine.workspace.app(root)))
        progress = await _progress_for(ls, f"flash-ls: build {app.name}")
        loop = asyncio.get_running_loop()
        from flash_ls.server.convert import to_jsonable

        def run() -> Any:
            with commands.build_errors(app):
                return build_app(app, options, progress)

        try:
            result = await loop.run_in_executor(ls.jobs, run)
        except Cancelled:
            raise commands.RequestCancelled("flash.build was cancelled") from None
        except asyncio.CancelledError:
            progress.cancel()
            raise
        finally:
            _finish(ls, progress, "cancelled" if progress.cancelled else "done")
        return to_jsonable(result)

    _register_deploy_commands(server)
    _register_endpoint_commands(server)


def _register_endpoint_commands(server: FlashLanguageServer) -> None:
    @_command(server, commands.ENDPOINTS)
    async def endpoints_(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root = _root_argument(ls, args)
        known = [] if root is not None else ls.diagnostics.known_roots()

        def compute() -> list[tuple[Path, dict[str, Any]]]:
            roots = [root] if root is not None else ls.engine.workspace.app_roots()
            found = []
            for app_root in sorted(set(roots) | set(known)):
                if unnamed.is_stand_in(app_root):
                    continue
                app = ls.engine.workspace.app(app_root)
                if app.uses_flash or app.endpoints:
                    found.append((app_root, ls.current_tree(app_root)))
            return found

        trees = await ls.engine.call(compute)
        for app_root, tree in trees:
            ls.tree_changed(app_root, tree, notify=False)  # the client has this one
        return {"apps": [tree for _, tree in trees]}

    @_command(server, commands.ENDPOINT_REQUEST)
    async def endpoint_request(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        command = commands.ENDPOINT_REQUEST
        root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
        if root is None:
            raise commands.InvalidParams(f"{command} needs `uri` or `path`")
        name = _string(args, "endpoint", command, required=True)
        route = _string(args, "route", command)

        def compute() -> dict[str, Any]:
            app = ls.engine.workspace.app(root)
            endpoint = endpoint_tree.find_endpoint(app, name or "")
            if endpoint is None:
                raise commands.RequestFailed(f"No endpoint '{name}' in {app.name}", warning=True)
            try:
                return endpoint_tree.request(app, endpoint, route).json()
            except endpoint_tree.NoRequest as error:
                raise commands.RequestFailed(str(error), warning=True) from None

        return await ls.engine.call(compute)


def _range_json(found: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": found.start.line, "character": found.start.character},
        "end": {"line": found.end.line, "character": found.end.character},
    }


def _app_root(ls: FlashLanguageServer, args: dict[str, Any], name: str) -> Path:
    """The app a deploy or environment command is about: ``uri``/``path``, else the first folder."""
    root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams(f"{name} needs `uri` or `path`")
    if unnamed.is_stand_in(root):
        raise commands.RequestFailed(
            f"Save {unnamed.display_name(args.get('uri') or args['path'])} to a folder first",
            warning=True,
        )
    return root


def _string(args: dict[str, Any], key: str, name: str, *, required: bool = False) -> str | None:
    value = args.get(key)
    if value is None and required:
        raise commands.InvalidParams(f"{name} needs `{key}`")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise commands.InvalidParams(f"{name}: `{key}` must be a non-empty string")
    return value


def _flag(args: dict[str, Any], key: str, name: str) -> bool:
    value = args.get(key, False)
    if not isinstance(value, bool):
        raise commands.InvalidParams(f"{name}: `{key}` must be true or false")
    return value


async def _confirm(ls: FlashLanguageServer, question: str, action: str) -> bool:
    """Ask with ``window/showMessageRequest``; only ``action`` chosen means yes."""
    answer = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=question,
            actions=[
                types.MessageActionItem(title=action),
                types.MessageActionItem(title="Cancel"),
            ],
        )
    )
    return answer is not None and answer.title == action


async def _engine(
    ls: FlashLanguageServer,
    title: str,
    work: Callable[[Any], Awaitable[T]],
    *,
    app: App | None = None,
    root: Path | None = None,
) -> T:
    """Run ``work(progress)`` (engine coroutine) off the loop with work-done progress and
    cancellation; engine errors become one-line ``UserError``s."""
    progress = await _progress_for(ls, title)
    key: list[str] = []

    async def run() -> T:
        from flash_ls.deploy.credentials import resolve_api_key

        with deploying.engine_errors(app, lambda: key[0] if key else None):
            key.append(resolve_api_key(root).value)  # a missing key: one line, before any work
            return await work(progress)

    try:
        return await deploying.run_engine(ls.jobs, progress, run)
    except Cancelled:
        raise commands.RequestCancelled(f"{title} was cancelled") from None
    finally:
        _finish(ls, progress, "cancelled" if progress.cancelled else "done")


def _client(root: Path | None) -> Any:
    """A Runpod API client with the app's key and the URLs of the server's environment."""
    import os

    from flash_ls.deploy.client import RunpodClient
    from flash_ls.deploy.credentials import resolve_api_key
    from flash_ls.deploy.urls import ApiUrls

    return RunpodClient(resolve_api_key(root).value, ApiUrls.from_environ(os.environ))


async def _with_api(
    ls: FlashLanguageServer,
    title: str,
    root: Path | None,
    call: Callable[[Any, Any], Awaitable[T]],
    *,
    app: App | None = None,
) -> T:
    """``call(client, progress)`` with a Runpod API client for ``root``'s key, run by
    ``_engine`` (work-done progress, cancellation, one-line errors)."""

    async def run(progress: Any) -> T:
        async with _client(root) as client:
            return await call(client, progress)

    return await _engine(ls, title, run, app=app, root=root)


def _environment_args(
    ls: FlashLanguageServer, args: dict[str, Any], command: str
) -> tuple[Path, str, str]:
    """The app root, the environment (``name``, required) and the app name of a command."""
    from flash_ls.deploy import environments

    root = _app_root(ls, args, command)
    env = _string(args, "name", command, required=True)
    assert env is not None
    return root, env, environments.app_name_for(root, _string(args, "app", command))


def _register_deploy_commands(server: FlashLanguageServer) -> None:
    from flash_ls.deploy import environments

    @_command(server, commands.DEPLOY)
    async def deploy(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        from flash_ls.build.api import BuildOptions
        from flash_ls.deploy.flow import DeployOptions, deploy_app

        root = _app_root(ls, args, commands.DEPLOY)
        build = args.get("build") or {}
        if not isinstance(build, dict):
            raise commands.InvalidParams("flash.deploy: `build` must be a JSON object")
        try:
            options = DeployOptions(
                environment=_string(args, "env", commands.DEPLOY),
                app_name=_string(args, "app", commands.DEPLOY),
                build=BuildOptions(**build),
                dry_run=bool(args.get("dryRun", False)),
                prune=bool(args.get("prune", False)),
                confirmed=_flag(args, "confirmed", commands.DEPLOY),
            )
        except (TypeError, ValueError) as error:
            raise commands.InvalidParams(
                f"flash.deploy options: {_first_line(str(error))}"
            ) from None
        app = await ls.engine.call(lambda: _prepared(ls.engine.workspace.app(root)))

        async def run(client: Any, progress: Any) -> Any:
            return await deploy_app(app, options, progress, client=client)

        title = f"flash-ls: deploy {app.name}"
        try:
            result = await _with_api(ls, title, root, run, app=app)
        except deploying.NeedsConfirmation as error:
            environment = error.environment
            question = f"Deploy to {environment}? ({app.name})"
            if not await _confirm(ls, question, "Deploy"):
                return {"deployed": False, "cancelled": True, "environment": environment}
            options.confirmed = True
            result = await _with_api(ls, title, root, run, app=app)
        if not result.dry_run:
            await _environment_changed(ls, root)
        return {"deployed": not result.dry_run, **result.model_dump(mode="json")}

    @_command(server, commands.ENV_LIST)
    async def env_list(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root = _app_root(ls, args, commands.ENV_LIST)
        name = environments.app_name_for(root, _string(args, "app", commands.ENV_LIST))

        found = await _with_api(
            ls,
            f"flash-ls: environments of {name}",
            root,
            lambda client, _: environments.list_environments(client, name),
        )
        active, source = deploying.active_environment(root)
        return {
            "app": name,
            "active": active,
            "source": source,
            "environments": [env.model_dump(mode="json") for env in found],
        }

    @_command(server, commands.ENV_CURRENT)
    async def env_current(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root = _app_root(ls, args, commands.ENV_CURRENT)
        active, source = deploying.active_environment(root)
        return {"appRoot": root.as_posix(), "environment": active, "source": source}

    @_command(server, commands.ENV_USE)
    async def env_use(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root, env, name = _environment_args(ls, args, commands.ENV_USE)
        await _with_api(
            ls,
            f"flash-ls: use {env}",
            root,
            lambda client, _: environments.use_environment(client, root, name, env),
        )
        active, source = await _environment_changed(ls, root)
        return {"appRoot": root.as_posix(), "environment": active, "source": source}

    @_command(server, commands.ENV_CREATE)
    async def env_create(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root, env, name = _environment_args(ls, args, commands.ENV_CREATE)
        created = await _with_api(
            ls,
            f"flash-ls: create {env}",
            root,
            lambda client, _: environments.create_environment(client, name, env),
        )
        return {"app": name, "environment": created.model_dump(mode="json")}

    @_command(server, commands.ENV_DELETE)
    async def env_delete(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root, env, name = _environment_args(ls, args, commands.ENV_DELETE)
        question = f"Delete environment {env} of {name} and its endpoints?"
        confirmed = _flag(args, "confirmed", commands.ENV_DELETE)
        if not confirmed and not await _confirm(ls, question, "Delete"):
            return {"deleted": False, "cancelled": True, "environment": env}

        count = await _with_api(
            ls,
            f"flash-ls: delete {env}",
            root,
            lambda client, progress: environments.delete_environment(
                client, name, env, progress, confirmed=True, app_root=root
            ),
        )
        await _environment_changed(ls, root)
        return {"deleted": True, "environment": env, "endpoints": count}

    @_command(server, commands.APP_LIST)
    async def app_list(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)

        found = await _with_api(
            ls, "flash-ls: apps", root, lambda client, _: environments.list_apps(client)
        )
        return {"apps": [app.model_dump(mode="json") for app in found]}

    @_command(server, commands.AUTH_STATUS)
    async def auth_status(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
        from flash_ls.deploy.credentials import MissingApiKey, resolve_api_key
        from flash_ls.deploy.login import check_api_key

        root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
        try:
            key = resolve_api_key(root)
        except MissingApiKey as error:
            return {"authenticated": False, "message": str(error)}
        # As `flash-ls auth status`: ask the API whose key it is (valid, rejected, unreachable).
        checked = await asyncio.to_thread(check_api_key, key)
        return {
            "authenticated": checked.status == "valid",
            "status": checked.status,
            "source": key.source,
            "shadows": key.shadows,
            "key": key.hint,
        }


async def _environment_changed(
    ls: FlashLanguageServer, root: Path
) -> tuple[str | None, str | None]:
    """After a deploy or an environment switch: tell the client, refresh code lenses and the
    endpoint tree."""
    active, source = ls.announce_environment(root, force=True)
    if not unnamed.is_stand_in(root):
        try:
            ls.tree_changed(root, await ls.engine.call(ls.current_tree, root))
        except Exception as error:  # the command itself succeeded
            log.warning("the endpoint tree of %s failed: %s", root, error)
    await _refresh_lenses(ls)
    return active, source


async def _refresh_lenses(ls: FlashLanguageServer) -> None:
    if ls.capability("workspace.code_lens.refresh_support", False):
        with contextlib.suppress(Exception):  # a client that fails the refresh keeps old lenses
            await asyncio.wait_for(ls.workspace_code_lens_refresh_async(None), timeout=5)


@dataclass(frozen=True)
class _Manifest:
    """The manifest a build of the app at ``root`` would write, and the entry asked about."""

    root: Path
    app_name: str
    manifest: dict[str, Any]
    endpoint: str | None

    def result(self) -> dict[str, Any]:
        """The ``flash.manifest.preview`` answer."""
        found: dict[str, Any] = {"root": self.root.as_posix(), "manifest": self.manifest}
        if self.endpoint is not None:
            found["endpoint"] = self.endpoint
            found["entry"] = commands.manifest_entry(self.manifest, self.endpoint)
        return found


async def _manifest(ls: FlashLanguageServer, args: dict[str, Any], name: str) -> _Manifest:
    root = _root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams(f"{name} needs `uri` or `path`")
    endpoint = args.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        raise commands.InvalidParams(f"{name}: `endpoint` must be a string")
    from flash_ls.server.convert import to_jsonable

    def compute() -> tuple[str, Any]:
        app = ls.engine.workspace.app(root)
        return app.name, to_jsonable(commands.build_manifest(app))

    app_name, manifest = await ls.engine.call(compute)
    found = _Manifest(root, app_name, manifest, endpoint)
    if endpoint is not None and not commands.manifest_entry(manifest, endpoint)["resource"]:
        raise commands.RequestFailed(
            f"No manifest entry '{endpoint}' in {app_name}: it serves no function or route",
            warning=True,
        )
    return found


def _prepared(app: App) -> App:
    """Resolve the app's endpoints on the engine thread before another thread reads it."""
    _ = app.endpoints
    return app


# ---------------------------------------------------------------------------------------------
# Entry point


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 2087) -> None:
    """Run the language server until the client disconnects (``stdio``) or forever (``tcp``)."""
    logging.basicConfig(
        level=logging.WARNING, format="flash-ls %(levelname)s %(name)s: %(message)s"
    )
    server = create_server()
    try:
        if transport == "stdio":
            server.start_io()
        elif transport == "tcp":
            server.start_tcp(host, port)
        else:
            raise ValueError(f"unknown transport {transport!r} (expected stdio or tcp)")
    finally:
        server.stop_background()
        server.join_threads(timeout=2.0)


__all__ = ["FlashLanguageServer", "create_server", "path_to_uri", "serve"]
