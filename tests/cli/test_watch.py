"""`flash-ls check --watch` as a user runs it: a real process, a file edit, then Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps import write_app

WORKER = """
from runpod_flash import Endpoint

@Endpoint(name="worker")
def a(): ...
"""
REUSED = WORKER + '\n@Endpoint(name="worker")\ndef z(): ...\n'  # one FL101 warning

# "[12:01:02] Found 1 problem. Watching for file changes (Ctrl-C to stop)."
SEPARATOR = r"^\[\d\d:\d\d:\d\d\] Found {} problems?\. Watching for file changes"
WAIT = 60.0  # generous: the machine running the tests may be loaded
# A stop must not wait for the next file change (watchfiles blocks until one comes unless told to
# stop). The watcher notices a signal within 50 ms and the whole exit takes about 0.12 s here; the
# bound only separates "stops by itself" from "hangs", so a loaded CI machine cannot flake it.
STOP_WITHIN = 5.0


class Watch:
    """A running ``flash-ls check --watch`` whose stdout and stderr are read as they come."""

    def __init__(self, directory: Path) -> None:
        env = {**os.environ, "FLASH_LS_CACHE_DIR": str(directory.parent / "cache")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flash_ls", "check", "--watch", "--no-color", str(directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout.fileno(), selectors.EVENT_READ, "stdout")
        self.selector.register(self.process.stderr.fileno(), selectors.EVENT_READ, "stderr")
        self.output = {"stdout": "", "stderr": ""}

    def _read(self, timeout: float) -> None:
        # Raw reads: a buffered readline() would hide already-received lines from select().
        for key, _ in self.selector.select(timeout=timeout):
            data = os.read(key.fd, 65536)
            if not data:
                self.selector.unregister(key.fd)
            self.output[key.data] += data.decode()

    def wait_for(self, pattern: str, stream: str, count: int = 1) -> None:
        """Read until ``pattern`` (a regex, multi-line) occurs ``count`` times in ``stream``."""
        deadline = time.monotonic() + WAIT
        while len(re.findall(pattern, self.output[stream], re.MULTILINE)) < count:
            assert self.process.poll() is None, f"exited early: {self.output}"
            assert time.monotonic() < deadline, f"timed out waiting for {pattern!r}: {self.output}"
            self._read(0.2)

    def stop(self, signum: int) -> float:
        """Send ``signum``; how long the process took to exit. The rest of its output is read."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(timeout=WAIT)
        took = time.monotonic() - sent
        while self.selector.get_map():
            self._read(1.0)
        return took


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[tuple[Watch, Path]]:
    app = write_app(tmp_path / "app", {"w.py": REUSED})
    running = Watch(app)
    try:
        yield running, app
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=WAIT)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_watch_reports_each_run_with_a_timed_separator_and_stops_cleanly(
    watch: tuple[Watch, Path], signum: int
) -> None:
    running, app = watch
    running.wait_for(SEPARATOR.format(1), "stderr")
    assert "FL101" in running.output["stdout"]

    (app / "w.py").write_text(WORKER.lstrip())
    running.wait_for(SEPARATOR.format(0), "stderr")
    assert "All checks passed!" in running.output["stdout"]

    took = running.stop(signum)
    assert running.process.returncode == 0
    assert took < STOP_WITHIN, f"took {took:.2f} s to stop"
    lines = running.output["stderr"].splitlines()
    assert [line for line in lines if not re.match(SEPARATOR.format(r"\d+"), line)] == []
