"""The server ends when it is told to, or when its client is gone, even with a long check running.

An app whose check takes tens of seconds is opened, and once its check is in flight the client
ends the session in each way an editor can: ``shutdown`` + ``exit``, closing the server's stdin,
or dying (the ``processId`` given in ``initialize``). The server must answer ``shutdown``
promptly and be gone within a few seconds, with no child process (pip) left behind. The bounds
are generous for a loaded machine; the check they cut short takes far longer.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from lsp_session import SERVER_COMMAND
from test_lifecycle import RawClient

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for child processes")

ENDS_WITHIN_S = 8.0  # the server's own deadline is 2 s; the check alone takes 20 s or more
SHUTDOWN_ANSWERED_WITHIN_S = 4.0


def long_app(root: Path) -> Path:
    """An app of 40 files of 400 endpoints each: about 20 s of checking on a loaded machine."""
    root.mkdir(parents=True)
    for index in range(40):
        lines = ["from runpod_flash import Endpoint, GpuGroup", "import torch", ""]
        for n in range(400):
            lines += [
                f'@Endpoint(name="ep{index}_{n}", gpu=GpuGroup.ADA_24, '
                'dependencies=["numpy", "pillow"])',
                f"def handler_{n}(x: dict) -> dict:",
                f"    return {{'v': x, 'n': {n}}}",
                "",
            ]
        (root / f"mod{index}.py").write_text("\n".join(lines))
    (root / "requirements.txt").write_text("")
    return root


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@asynccontextmanager
async def server_checking(
    root: Path, process_id: int | None = None
) -> AsyncIterator[tuple[asyncio.subprocess.Process, RawClient]]:
    """A server whose check of the long app is running."""
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "FLASH_LS_CACHE_DIR": str(root.parent / "cache")},
    )
    assert process.stdin is not None and process.stdout is not None
    client = RawClient(process.stdout, process.stdin)
    try:
        await client.initialize(root, process_id=process_id)
        path = root / "mod0.py"
        document = {"uri": path.as_uri(), "languageId": "python", "version": 1}
        client.send(
            {
                "method": "textDocument/didOpen",
                "params": {"textDocument": {**document, "text": path.read_text()}},
            }
        )
        await asyncio.sleep(2.0)  # the check of the whole app is running now
        assert process.returncode is None
        yield process, client
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def assert_ends(process: asyncio.subprocess.Process, children: set[int]) -> None:
    started = time.monotonic()
    await asyncio.wait_for(process.wait(), timeout=ENDS_WITHIN_S)
    assert time.monotonic() - started < ENDS_WITHIN_S
    deadline = time.monotonic() + ENDS_WITHIN_S
    while any(alive(child) for child in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert [child for child in children if alive(child)] == []
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    assert "Traceback" not in stderr, stderr


async def test_shutdown_is_answered_and_exit_ends_a_busy_server(tmp_path: Path) -> None:
    root = long_app(tmp_path / "app")
    async with server_checking(root) as (process, client):
        children = descendants(process.pid)
        started = time.monotonic()
        assert await asyncio.wait_for(client.request("shutdown", None), 30) is None
        assert time.monotonic() - started < SHUTDOWN_ANSWERED_WITHIN_S
        client.send({"method": "exit", "params": None})
        await assert_ends(process, children)
        assert process.returncode == 0


async def test_closed_stdin_ends_a_busy_server(tmp_path: Path) -> None:
    root = long_app(tmp_path / "app")
    async with server_checking(root) as (process, _):
        children = descendants(process.pid)
        assert process.stdin is not None
        process.stdin.close()
        await assert_ends(process, children)


async def test_the_death_of_the_client_process_ends_a_busy_server(tmp_path: Path) -> None:
    root = long_app(tmp_path / "app")
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        async with server_checking(root, process_id=editor.pid) as (process, _):
            children = descendants(process.pid)
            editor.kill()
            editor.wait()
            await assert_ends(process, children)
    finally:
        if editor.poll() is None:
            editor.kill()
            editor.wait()
