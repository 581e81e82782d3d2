"""The engine thread: every use of the ``Workspace`` and its ``App``s happens on one worker thread.

The event loop records editor buffers in ``Documents``; each engine job first applies the buffers
that changed since the previous job (so jobs see the text of the moment they run), and knows the
version of every buffer it applied. Serialising engine work on one thread keeps the lazily built
``App`` objects race-free, and the loop stays free to answer the editor.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from flash_ls.project.workspace import Workspace

T = TypeVar("T")
log = logging.getLogger(__name__)

# Imported by the first check; loading them while the event loop waits for the client's first
# messages (initialized, configuration, didOpen) takes them off the first diagnostics' path.
WARM_MODULES = ("flash_ls.parse.extract", "flash_ls.rules.families", "flash_ls.rules.engine")


@dataclass
class OpenDocument:
    uri: str
    version: int | None
    text: str


class Documents:
    """Editor buffers (owned by the event loop), plus the changes not yet seen by the engine."""

    def __init__(self) -> None:
        self._open: dict[Path, OpenDocument] = {}
        self._pending: dict[Path, tuple[str | None, int | None]] = {}
        self._lock = threading.Lock()

    def open(self, path: Path, uri: str, version: int | None, text: str) -> None:
        with self._lock:
            self._open[path] = OpenDocument(uri, version, text)
            self._pending[path] = (text, version)

    def change(self, path: Path, version: int | None, text: str) -> None:
        with self._lock:
            found = self._open.get(path)
            if found is None:
                return
            found.version = version
            found.text = text
            self._pending[path] = (text, version)

    def close(self, path: Path) -> None:
        with self._lock:
            self._open.pop(path, None)
            self._pending[path] = (None, None)

    def snapshot(self) -> dict[Path, OpenDocument]:
        with self._lock:
            return {
                path: OpenDocument(doc.uri, doc.version, doc.text)
                for path, doc in self._open.items()
            }

    def drain(self) -> dict[Path, tuple[str | None, int | None]]:
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    def get(self, path: Path) -> OpenDocument | None:
        with self._lock:
            return self._open.get(path)

    def version(self, path: Path) -> int | None:
        found = self.get(path)
        return found.version if found is not None else None

    def uri(self, path: Path) -> str | None:
        found = self.get(path)
        return found.uri if found is not None else None

    def paths(self) -> list[Path]:
        with self._lock:
            return list(self._open)

    def is_open(self, path: Path) -> bool:
        with self._lock:
            return path in self._open


class Engine:
    """Runs engine jobs one at a time on a dedicated thread."""

    def __init__(self, workspace: Workspace, documents: Documents) -> None:
        self.workspace = workspace
        self.documents = documents
        # Engine-thread view: the version of each buffer applied to the Workspace.
        self.versions: dict[Path, int | None] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flash-ls-engine")
        self._closed = False

    def _sync(self) -> None:
        for path, (text, version) in self.documents.drain().items():
            if text is None:
                self.workspace.remove(path)
                self.versions.pop(path, None)
            else:
                self.workspace.update(path, text)
                self.versions[path] = version

    def replace_workspace(self, folders: list[Path]) -> None:
        """Engine thread: a new folder set keeps the caches, settings, environment and the
        apps' last good configurations."""
        old = self.workspace
        self.workspace = Workspace(
            folders,
            cache=old.cache,
            overrides=old.overrides,
            environ=old.environ,
            good_configs=old.good_configs,
            known_selector=old.known_selector,
        )
        self.versions.clear()
        self.documents.drain()
        for path, doc in self.documents.snapshot().items():
            self.workspace.update(path, doc.text)
            self.versions[path] = doc.version

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` on the engine thread, after applying pending buffer changes."""
        if self._closed:
            raise RuntimeError("the server is shutting down")

        def job() -> T:
            self._sync()
            return fn(*args)

        return await asyncio.wrap_future(self._executor.submit(job))

    def warm_up(self, modules: tuple[str, ...] = WARM_MODULES) -> None:
        """Queue the imports the first check needs on the engine thread (not awaited)."""

        def job() -> None:
            for name in modules:
                try:
                    importlib.import_module(name)
                except Exception as error:  # the real check reports any problem
                    log.debug("warm-up import of %s failed: %s", name, error)

        if not self._closed:
            self._executor.submit(job)

    def close(self) -> None:
        """Stop accepting work; queued jobs are dropped, a running one finishes."""
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the engine thread to finish its current job."""
        for thread in list(getattr(self._executor, "_threads", ())):
            thread.join(timeout)
