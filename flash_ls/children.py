"""The child processes flash-ls runs (pip), so that none outlives the process that started it.

A job thread that runs pip registers the process while it runs; whoever ends the process (the
interpreter's exit, or the language server's hard exit when a check would keep it alive) kills
what is still registered. ``os._exit`` skips ``atexit``, so the server calls ``kill_all`` itself.
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

_running: set[subprocess.Popen[Any]] = set()
_guard = threading.Lock()


@contextlib.contextmanager
def tracked(process: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Register ``process`` while the block runs."""
    with _guard:
        _running.add(process)
    try:
        yield process
    finally:
        with _guard:
            _running.discard(process)


@atexit.register
def kill_all() -> None:
    """Kill every registered process that still runs."""
    with _guard:
        running = list(_running)
    for process in running:
        with contextlib.suppress(OSError):
            process.kill()
