"""The pygls language server: the server's shared state and the routing table.

Each LSP method's handler lives beside its feature (``lifecycle.py``, ``document_sync.py``,
``hover.py`` ...; the commands in ``*_commands.py``), their shared plumbing in ``plumbing.py``.
Engine work (parsing, checking, hover facts) runs on the engine thread (``engine_thread.py``), long
commands on their own threads with work-done progress; the event loop only routes messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from flash_ls import __version__, children, heap
from flash_ls.project.app import App, SourceFile
from flash_ls.project.workspace import Workspace
from flash_ls.rules.registry import is_known_selector
from flash_ls.server import (
    actions,
    commands,
    completion,
    deploy_commands,
    deploying,
    diagnostics_manager,
    document_sync,
    endpoint_commands,
    endpoint_tree,
    hover,
    lens,
    lifecycle,
    project_commands,
    symbols,
    unnamed,
)
from flash_ls.server.actions import FIX_ALL_KIND, MIGRATE_KIND, QUICKFIX
from flash_ls.server.diagnostics_manager import DiagnosticsManager
from flash_ls.server.engine_thread import Documents, Engine
from flash_ls.server.manifest_view import ManifestFiles
from flash_ls.server.plumbing import (
    COMMAND_CONTEXT,
    INTERNAL_ERROR,
    ClientLogHandler,
    command,
    refresh_lenses,
)
from flash_ls.server.positions import UTF16, LineIndex, path_to_uri
from flash_ls.server.settings import Settings, parse_settings
from flash_ls.server.watcher import FileWatcher
from flash_ls.server.work_done import WorkDoneProgress

log = logging.getLogger("flash_ls.server")

T = TypeVar("T")
NAME = "flash-ls"
# After exit, a closed stdin or the client's death, the process is gone within this (plus a poll).
EXIT_DEADLINE_SECONDS = 1.5
_DIAGNOSTIC_ID = "flash-ls"
_LOG_LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


class FlashProtocol(LanguageServerProtocol):
    """pygls' protocol with hooks: capabilities that depend on the client, command context, and
    error answers without pygls' traceback."""

    _server: FlashLanguageServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uri -> id of a published diagnostic -> (it, its JSON)
        self._serialised: dict[str, dict[int, tuple[types.Diagnostic, str]]] = {}
        self._writes: set[asyncio.Future[Any]] = set()

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
        COMMAND_CONTEXT.set((params.work_done_token, self._request_futures.get(self.msg_id)))  # type: ignore[arg-type]
        result = yield from super().lsp_workspace__execute_command(params)
        return result

    def publish_diagnostics(
        self, uri: str, items: list[types.Diagnostic], version: int | None
    ) -> None:
        """``textDocument/publishDiagnostics`` with each diagnostic serialised once: a check
        hands back the same ``types.Diagnostic`` objects for the findings it found again (the
        report reuse), so an edit serialises only its new findings; the message is the JSON
        pygls would write (tests compare them)."""
        known = self._serialised.get(uri, {})
        kept: dict[int, tuple[types.Diagnostic, str]] = {}
        parts = []
        for item in items:
            found = known.get(id(item))
            if found is None or found[0] is not item:
                found = (item, json.dumps(self._converter.unstructure(item, types.Diagnostic)))
            kept[id(item)] = found
            parts.append(found[1])
        if kept:
            self._serialised[uri] = kept
        else:
            self._serialised.pop(uri, None)
        params = f'{{"uri": {json.dumps(uri)}, "diagnostics": [{", ".join(parts)}]'
        if version is not None:
            params += f', "version": {int(version)}'
        self._send_body(
            f'{{"method": "{types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}", "jsonrpc": "2.0", '
            f'"params": {params}}}}}'
        )

    def _send_body(self, body: str) -> None:
        """Write one serialised message (pygls' ``_send_data`` after its ``json.dumps``)."""
        if self.writer is None:
            return
        if self._include_headers:
            body = (
                f"Content-Length: {len(body)}\r\n"
                f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n" + body
            )
        try:
            written = self.writer.write(body.encode(self.CHARSET))
            if inspect.isawaitable(written):  # an asynchronous transport (websockets)
                task = asyncio.ensure_future(written)
                self._writes.add(task)
                task.add_done_callback(self._writes.discard)
        except BrokenPipeError:
            log.debug("the client is gone: diagnostics not sent")

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
        self.running_progress: set[WorkDoneProgress] = set()
        self._announced: set[Path] = set()  # apps told their active environment
        self._trees: dict[Path, str] = {}  # app root -> its endpoint tree as last sent (JSON)
        self._warmed: set[Path] = set()  # apps whose class resolution (jedi) was started
        self.diagnostics.tree_of = self.tree_of
        self.diagnostics.on_checked = lambda report: self.tree_changed(report.root, report.tree)
        self.log_handler = ClientLogHandler(self)
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
        deliberate = isinstance(error, JsonRpcException) and error.code != INTERNAL_ERROR
        kind = types.MessageType.Warning if deliberate else types.MessageType.Error
        self.log_to_client(f"flash-ls: {error}", kind)

    def announce_settings_problems(self) -> None:
        """Show each settings problem once; one fixed and made again is shown again."""
        for problem in self.settings_problems:
            if problem not in self._settings_shown:
                self.show_message(problem, types.MessageType.Warning)
        self._settings_shown = set(self.settings_problems)

    def _publish(self, uri: str, items: list[types.Diagnostic], version: int | None) -> None:
        protocol = self.protocol
        assert isinstance(protocol, FlashProtocol)
        protocol.publish_diagnostics(uri, items, version)

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
        self.log_handler.setLevel(level)
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
            self.spawn(refresh_lenses(self))
        if settings.overrides != old.overrides:

            def apply() -> None:
                self.engine.workspace.overrides = dict(settings.overrides)
                self.engine.workspace.invalidate_all()

            await self.engine.call(apply)
            if reindex:
                self.reindex()

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
            await self.engine.call(heap.settle)  # the indexed heap is long-lived from now on
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
        logging.getLogger("flash_ls").removeHandler(self.log_handler)
        for progress in list(self.running_progress):
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

    def end_abruptly(self) -> None:
        """Any thread: the client is gone, nothing is left to answer; end the process now.

        A deploy cut short here leaves ``.flash/`` as a SIGKILL would (its writes are atomic, and
        the next deploy converges); pip processes are killed with it.
        """
        children.kill_all()
        logging.shutdown()
        os._exit(0)

    def join_threads(self, timeout: float = 5.0) -> None:
        """Wait for the engine and job threads, ``timeout`` seconds for all of them together."""
        deadline = time.monotonic() + timeout
        self.engine.join(timeout)
        for thread in list(getattr(self.jobs, "_threads", ())):
            thread.join(max(0.0, deadline - time.monotonic()))


def _range_json(found: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": found.start.line, "character": found.start.character},
        "end": {"line": found.end.line, "character": found.end.character},
    }


# ---------------------------------------------------------------------------------------------
# Routing: every LSP method and command, registered in this order (the order of the capabilities
# and of ``executeCommandProvider.commands``).

ROUTES: tuple[tuple[str, Any, Callable[..., Any]], ...] = (
    # lifecycle and workspace (lifecycle.py)
    (types.INITIALIZE, None, lifecycle.initialize),
    (types.INITIALIZED, None, lifecycle.initialized),
    (types.SHUTDOWN, None, lifecycle.shutdown),
    (types.EXIT, None, lifecycle.exit_),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, None, lifecycle.did_change_configuration),
    (types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, None, lifecycle.did_change_folders),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, None, lifecycle.did_change_watched_files),
    # document sync (document_sync.py)
    (types.TEXT_DOCUMENT_DID_OPEN, None, document_sync.did_open),
    (types.TEXT_DOCUMENT_DID_CHANGE, None, document_sync.did_change),
    (types.TEXT_DOCUMENT_DID_CLOSE, None, document_sync.did_close),
    (types.TEXT_DOCUMENT_DID_SAVE, None, document_sync.did_save),
    # diagnostics pull (diagnostics_manager.py) and code actions (actions.py)
    (
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=_DIAGNOSTIC_ID, inter_file_dependencies=True, workspace_diagnostics=True
        ),
        diagnostics_manager.document_diagnostic,
    ),
    (types.WORKSPACE_DIAGNOSTIC, None, diagnostics_manager.workspace_diagnostic),
    (
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[QUICKFIX, FIX_ALL_KIND, MIGRATE_KIND], resolve_provider=False
        ),
        actions.code_action,
    ),
    # language features (hover.py, completion.py, symbols.py, lens.py)
    (types.TEXT_DOCUMENT_HOVER, None, hover.hover_request),
    (
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(
            trigger_characters=completion.TRIGGER_CHARACTERS, resolve_provider=False
        ),
        completion.complete_request,
    ),
    (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, None, symbols.document_symbol),
    (types.WORKSPACE_SYMBOL, None, symbols.workspace_symbol),
    (types.TEXT_DOCUMENT_DEFINITION, None, symbols.definition),
    (types.TEXT_DOCUMENT_REFERENCES, None, symbols.references_request),
    (types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False), lens.code_lens),
)

COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    # project_commands.py
    (commands.CHECK, project_commands.check),
    (commands.MANIFEST_PREVIEW, project_commands.manifest_preview),
    (commands.MANIFEST_SHOW, project_commands.manifest_show),
    (commands.BUILD, project_commands.build),
    # deploy_commands.py
    (commands.DEPLOY, deploy_commands.deploy),
    (commands.ENV_LIST, deploy_commands.env_list),
    (commands.ENV_CURRENT, deploy_commands.env_current),
    (commands.ENV_USE, deploy_commands.env_use),
    (commands.ENV_CREATE, deploy_commands.env_create),
    (commands.ENV_DELETE, deploy_commands.env_delete),
    (commands.APP_LIST, deploy_commands.app_list),
    (commands.AUTH_STATUS, deploy_commands.auth_status),
    # endpoint_commands.py
    (commands.ENDPOINTS, endpoint_commands.endpoints),
    (commands.ENDPOINT_REQUEST, endpoint_commands.endpoint_request),
)


def create_server() -> FlashLanguageServer:
    """A server with every feature registered (not started)."""
    server = FlashLanguageServer()
    for method, options, handler in ROUTES:
        server.feature(method, options)(handler)
    for name, handler in COMMANDS:
        command(server, name)(handler)
    return server


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
        end_process(server)


def end_process(server: FlashLanguageServer, deadline_s: float = EXIT_DEADLINE_SECONDS) -> None:
    """End the session's work, then the process, within ``deadline_s``.

    Background work is cancelled (a build at its next step, pip with it); the engine thread may be
    in the middle of a check that nothing can interrupt, and an interpreter that exits normally
    waits for it (and for pygls's blocked stdin reader). So threads get until the deadline, and
    whatever still runs then ends with the process: child processes killed, ``os._exit``.
    """
    server.stop_background()
    server.join_threads(timeout=deadline_s)
    current = threading.current_thread()
    if any(t.is_alive() and not t.daemon and t is not current for t in threading.enumerate()):
        log.info("ending the process with work still running")
        server.end_abruptly()


__all__ = ["FlashLanguageServer", "create_server", "path_to_uri", "serve"]
