"""A timing LSP client for the server benchmarks (P1, P2, P6, P7), on pygls' ``LanguageClient``.

Only the standard protocol is used, so the benchmarks run against any server that speaks it.
Every ``textDocument/publishDiagnostics`` is stamped with ``time.perf_counter()`` the moment
pygls hands it over, and kept in arrival order so a benchmark can wait for "the first
publication for URI after sequence number N" or "the publication for version V".
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.client import LanguageClient


class ServerUnavailable(Exception):
    """The server cannot be measured (not written yet, crashed, or silent): the reason."""


@dataclass
class Published:
    seq: int
    at: float
    uri: str
    version: int | None
    codes: list[str]


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


def _norm(uri: str) -> str:
    """URIs compared by the path they name (servers may re-quote or resolve them)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    return os.path.normcase(os.path.realpath(unquote(parsed.path)))


def _capabilities() -> types.ClientCapabilities:
    """A VS Code-like client: push diagnostics with versions, progress, configuration, watchers."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            workspace_folders=True,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(
                dynamic_registration=True
            ),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=True, relative_pattern_support=True
            ),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(
                dynamic_registration=True, did_save=True
            ),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True, code_description_support=True
            ),
        ),
    )


@dataclass
class Session:
    """One server process driven over stdio."""

    command: Sequence[str]
    root: Path
    settings: dict[str, Any]
    env: dict[str, str] | None = None
    client: LanguageClient = field(init=False)
    published: list[Published] = field(default_factory=list)
    progress_begun: set[str] = field(default_factory=set)
    progress_ended: set[str] = field(default_factory=set)
    messages: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))
    stderr: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=40))
    sync_kind: types.TextDocumentSyncKind = types.TextDocumentSyncKind.Full
    spawned_at: float = 0.0
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _stderr_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.client = LanguageClient("flash-ls-bench", "1")
        # lsprotocol cannot read the notebook selector ruff server advertises; no benchmark
        # uses notebooks, so that capability is read as an empty one.
        self.client.protocol._converter.register_structure_hook(
            types.NotebookDocumentSyncOptions,
            lambda _value, _type: types.NotebookDocumentSyncOptions(notebook_selector=[]),
        )
        self._register()

    # -- server -> client ----------------------------------------------------------------------

    def _register(self) -> None:
        client = self.client

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params: types.PublishDiagnosticsParams) -> None:
            codes = [str(d.code) for d in params.diagnostics if d.code is not None]
            self.published.append(
                Published(
                    len(self.published),
                    time.perf_counter(),
                    _norm(params.uri),
                    params.version,
                    codes,
                )
            )
            self._arrived.set()

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def _configuration(params: types.ConfigurationParams) -> list[Any]:
            return [self.settings for _ in params.items]

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _progress_create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(types.PROGRESS)
        def _progress(params: types.ProgressParams) -> None:
            kind = getattr(params.value, "kind", None)
            if kind is None and isinstance(params.value, dict):
                kind = params.value.get("kind")
            if kind == "begin":
                self.progress_begun.add(str(params.token))
            elif kind == "end":
                self.progress_ended.add(str(params.token))
            self._arrived.set()

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _register_capability(params: types.RegistrationParams) -> None:
            return None

        @client.feature(types.CLIENT_UNREGISTER_CAPABILITY)
        def _unregister_capability(params: types.UnregistrationParams) -> None:
            return None

        @client.feature(types.WORKSPACE_DIAGNOSTIC_REFRESH)
        def _refresh(params: None) -> None:
            return None

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def _lens_refresh(params: None) -> None:
            return None

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def _log(params: types.LogMessageParams) -> None:
            self.messages.append(params.message)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def _show(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        process = self.client._server
        return process.pid if process is not None else None

    def exited(self) -> str | None:
        """Why the server process is gone, or None while it runs."""
        process = self.client._server
        if process is None or process.returncode is None:
            return None
        tail = [line for line in self.stderr if line.strip()]
        last = tail[-1].strip() if tail else "no output on stderr"
        return f"server exited with code {process.returncode}: {last}"

    async def start(self) -> None:
        self.spawned_at = time.perf_counter()
        try:
            await self.client.start_io(
                self.command[0], *self.command[1:], cwd=str(self.root), env=self.env
            )
        except OSError as err:
            raise ServerUnavailable(f"cannot start {' '.join(self.command)}: {err}") from err
        process = self.client._server
        if process is not None and process.stderr is not None:
            self._stderr_task = asyncio.create_task(self._drain(process.stderr))

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    async def initialize(self, timeout: float) -> types.InitializeResult:
        folder = types.WorkspaceFolder(uri=uri_of(self.root), name=self.root.name)
        params = types.InitializeParams(
            process_id=os.getpid(),
            root_uri=folder.uri,
            workspace_folders=[folder],
            capabilities=_capabilities(),
            initialization_options=self.settings,
            client_info=types.ClientInfo(name="flash-ls-bench", version="1"),
        )
        result = await self._guard(self.client.initialize_async(params), timeout, "initialize")
        sync = result.capabilities.text_document_sync
        if isinstance(sync, types.TextDocumentSyncOptions):
            self.sync_kind = sync.change or types.TextDocumentSyncKind.Full
        elif isinstance(sync, types.TextDocumentSyncKind):
            self.sync_kind = sync
        self.client.initialized(types.InitializedParams())
        return result

    async def _guard(self, awaitable: Any, timeout: float, what: str) -> Any:
        task = asyncio.ensure_future(awaitable)
        deadline = time.perf_counter() + timeout
        while not task.done():
            gone = self.exited()
            if gone:
                task.cancel()
                raise ServerUnavailable(f"{what}: {gone}")
            left = deadline - time.perf_counter()
            if left <= 0:
                task.cancel()
                raise ServerUnavailable(f"no answer to {what} within {timeout:.0f} s")
            await asyncio.wait({task}, timeout=min(0.5, left))
        try:
            return task.result()
        except ServerUnavailable:
            raise
        except Exception as err:
            gone = self.exited()
            raise ServerUnavailable(f"{what} failed: {gone or err}") from err

    async def stop(self) -> None:
        process = self.client._server
        if process is not None and process.returncode is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.shutdown_async(None), 5)
            with contextlib.suppress(Exception):
                self.client.exit(None)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except asyncio.TimeoutError:
                process.kill()  # only the process this session started
                await process.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 5)
        if self._stderr_task is not None:
            self._stderr_task.cancel()

    # -- documents -----------------------------------------------------------------------------

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = uri_of(path)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=version, text=text
                )
            )
        )
        return uri

    def change_line(
        self, uri: str, version: int, line: int, start: int, end: int, new: str, full_text: str
    ) -> None:
        """Replace columns ``start:end`` of ``line`` (``full_text`` is the text afterwards)."""
        change: types.TextDocumentContentChangeEvent
        if self.sync_kind == types.TextDocumentSyncKind.Incremental:
            change = types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(line, start), types.Position(line, end)),
                text=new,
            )
        else:
            change = types.TextDocumentContentChangeWholeDocument(text=full_text)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )

    # -- waiting -------------------------------------------------------------------------------

    async def wait_for(
        self, accept: Callable[[Published], bool], after: int, timeout: float, what: str
    ) -> Published:
        """The first publication with sequence number >= ``after`` that ``accept``s."""
        deadline = time.perf_counter() + timeout
        index = after
        while True:
            while index < len(self.published):
                item = self.published[index]
                if accept(item):
                    return item
                index += 1
            gone = self.exited()
            if gone:
                raise ServerUnavailable(f"{what}: {gone}")
            left = deadline - time.perf_counter()
            if left <= 0:
                raise ServerUnavailable(f"{what}: nothing within {timeout:.0f} s")
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(0.5, left))

    async def diagnostics_for(
        self, uri: str, after: int, timeout: float, version: int | None = None
    ) -> Published:
        """The publication for ``uri`` (for ``version`` when the server reports versions)."""
        target = _norm(uri)

        def accept(item: Published) -> bool:
            if item.uri != target:
                return False
            return version is None or item.version is None or item.version == version

        what = f"publishDiagnostics for {Path(target).name}" + (
            f" version {version}" if version is not None else ""
        )
        return await self.wait_for(accept, after, timeout, what)

    async def wait_indexed(self, timeout: float, settle: float = 2.0) -> str:
        """Until every work-done progress begun has ended (or RSS stops growing): how it ended."""
        deadline = time.perf_counter() + timeout
        last_rss = -1
        stable_since = time.perf_counter()
        while time.perf_counter() < deadline:
            gone = self.exited()
            if gone:
                raise ServerUnavailable(f"while indexing: {gone}")
            if self.progress_begun and self.progress_begun <= self.progress_ended:
                return "work-done progress ended"
            rss = rss_kib(self.pid) if self.pid else 0
            now = time.perf_counter()
            if rss != last_rss and abs(rss - last_rss) > 1024:
                last_rss = rss
                stable_since = now
            elif not self.progress_begun and now - stable_since >= settle:
                return f"no progress reported; RSS stable for {settle:.0f} s"
            self._arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), 0.2)
        return f"gave up waiting after {timeout:.0f} s"


def rss_kib(pid: int | None, field_name: str = "VmRSS") -> int:
    """``VmRSS`` (or ``VmHWM``) of a process in KiB, from /proc; 0 when unknown."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return 0
