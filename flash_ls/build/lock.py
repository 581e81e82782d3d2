"""One build or deploy of an app at a time: a lock on the app's ``.flash/`` directory.

Two runs writing ``.flash/`` together (a deploy from the terminal while the editor builds, two CI
jobs in one checkout) would race on the artifact, the manifest and the deploy state. The lock is a
file lock (filelock: ``flock`` on POSIX, ``msvcrt`` on Windows) held for the whole run, so a run
that is killed releases it with its process; a second run fails at once with a message naming the
holder instead of waiting on it. Within one process (the language server runs builds on job
threads) the same app is guarded by a set of held roots, as file locks are per process. The
lock file stays after a run: deleting it would let a run that opened it just before lock a file
that no longer has a name while a third run locks a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from flash_ls import platform
from flash_ls.build.errors import BuildError

_LOCK_FILE = "lock"
_OWNER_FILE = "lock.owner"

_held: set[Path] = set()
_held_guard = threading.Lock()


class AppBusy(BuildError):
    """Another build or deploy of the same app is running."""


@contextlib.contextmanager
def app_lock(root: Path, command: str) -> Iterator[None]:
    """Hold the lock of the app at ``root`` while ``command`` ("build", "deploy") runs.

    Raises ``AppBusy`` at once when another run (this process or another) holds it.
    """
    key = root.resolve()
    with _held_guard:
        if key in _held:
            raise AppBusy(_busy_message(key, None))
        _held.add(key)
    try:
        directory = key / platform.PROJECT_DIR
        directory.mkdir(exist_ok=True)
        lock = FileLock(directory / _LOCK_FILE, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise AppBusy(_busy_message(key, _owner(directory))) from None
        try:
            _write_owner(directory, command)
            yield
        finally:
            with contextlib.suppress(OSError):
                (directory / _OWNER_FILE).unlink()
            lock.release()
    finally:
        with _held_guard:
            _held.discard(key)


def _write_owner(directory: Path, command: str) -> None:
    owner = {"pid": os.getpid(), "command": command, "since": time.time()}
    with contextlib.suppress(OSError):
        (directory / _OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")


def _owner(directory: Path) -> str | None:
    """``deploy, pid 4242, for 12 s`` from the holder's note; None when it cannot be read."""
    try:
        owner = json.loads((directory / _OWNER_FILE).read_text(encoding="utf-8"))
        command, pid = str(owner["command"]), int(owner["pid"])
        seconds = max(0, int(time.time() - float(owner["since"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return f"{command}, pid {pid}, for {seconds} s"


def _busy_message(root: Path, owner: str | None) -> str:
    running = f" ({owner})" if owner else ""
    return (
        f"another build or deploy of {root.name} is running{running}; "
        "wait for it to finish, then run this again"
    )
