"""One build or deploy of an app at a time, between processes and between a server's threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flash_ls.build.lock import AppBusy, app_lock

HOLD = """
import sys, time
from pathlib import Path
from flash_ls.build.lock import app_lock
with app_lock(Path(sys.argv[1]), "deploy"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_second_thread_is_refused_while_the_first_holds_the_app(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app_lock(tmp_path, "deploy"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(30)
        with pytest.raises(AppBusy) as raised, app_lock(tmp_path, "build"):
            pass
        assert raised.value.message.startswith(f"another build or deploy of {tmp_path.name}")
    finally:
        release.set()
        thread.join(30)
    with app_lock(tmp_path, "build"):  # released: the next run goes ahead
        pass


def test_another_process_is_refused_and_its_death_releases_the_app(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(AppBusy) as raised, app_lock(tmp_path, "build"):
            pass
        assert f"(deploy, pid {holder.pid}, for " in raised.value.message
    finally:
        holder.kill()
        holder.wait(30)
    with app_lock(tmp_path, "build"):
        pass
