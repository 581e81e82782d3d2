"""Files changed outside the editor (git checkout, code generators, another tool).

Clients that can register file watchers get these globs; for the others (Neovim) the server runs
its own watchfiles watcher on a background thread, stopped on shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from flash_ls.project.workspace import SKIPPED_DIRS

log = logging.getLogger(__name__)

WATCHED_NAMES = frozenset({"pyproject.toml", "requirements.txt", ".gitignore", ".flashignore"})
WATCH_GLOBS = ("**/*.py", *(f"**/{name}" for name in sorted(WATCHED_NAMES)))

Changes = list[tuple[Path, str]]  # (path, "created" | "changed" | "deleted")


def is_watched(path: Path) -> bool:
    """A file whose change can change findings: Python sources and app configuration."""
    if path.suffix != ".py" and path.name not in WATCHED_NAMES:
        return False
    return not any(part in SKIPPED_DIRS for part in path.parts[:-1])


class FileWatcher:
    """watchfiles on a daemon thread; ``on_changes`` is called from that thread."""

    def __init__(
        self, folders: Iterable[Path], on_changes: Callable[[Changes], None], debounce_ms: int = 150
    ) -> None:
        self.folders = [f for f in folders if f.is_dir()]
        self._on_changes = on_changes
        self._debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if not self.folders:
            return False
        self._thread = threading.Thread(target=self._run, name="flash-ls-watcher", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        from watchfiles import Change, DefaultFilter, watch

        kinds = {Change.added: "created", Change.modified: "changed", Change.deleted: "deleted"}

        class _Filter(DefaultFilter):
            def __call__(self, change: Change, path: str) -> bool:
                return super().__call__(change, path) and is_watched(Path(path))

        try:
            for batch in watch(
                *self.folders,
                watch_filter=_Filter(),
                debounce=self._debounce_ms,
                step=50,
                stop_event=self._stop,
                rust_timeout=1000,
                raise_interrupt=False,
            ):
                changes = [(Path(raw), kinds.get(change, "changed")) for change, raw in batch]
                if changes:
                    self._on_changes(changes)
        except Exception:  # a dead watcher must not take the server down
            log.exception("file watcher stopped")

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
