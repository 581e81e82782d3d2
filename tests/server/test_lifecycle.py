"""Transports and lifecycle: stdio and TCP, clean shutdown/exit with the file watcher running."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_session import SERVER_COMMAND, capabilities, write_files
from lsprotocol.converters import get_converter

APP = {
    "main.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef a(): ...\n\n@Endpoint(name="w")\ndef b(): ...\n'
}


class RawClient:
    """Just enough JSON-RPC to drive the server over any byte stream."""

    def __init__(self, reader: asyncio.StreamReader, writer: Any) -> None:
        self.reader = reader
        self.writer = writer
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive(self) -> dict[str, Any]:
        length = 0
        while True:
            line = await self.reader.readline()
            if not line:
                raise EOFError
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(await self.reader.readexactly(length))  # type: ignore[no-any-return]

    async def initialize(
        self, root: Path, *, profile: str = "neovim", process_id: int | None = None
    ) -> Any:
        """``initialize`` with ``profile``'s capabilities and ``root`` as the one workspace
        folder, then ``initialized``; the server's answer to ``initialize``."""
        caps = get_converter().unstructure(capabilities(profile))
        result = await self.request(
            "initialize",
            {
                "processId": process_id,
                "capabilities": caps,
                "workspaceFolders": [{"uri": root.as_uri(), "name": "ws"}],
            },
        )
        self.send({"method": "initialized", "params": {}})
        return result

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        while True:
            message = await self.receive()
            if message.get("id") == wanted and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:  # a request from the server: accept it
            result = None
            if message["method"] == "workspace/configuration":
                result = [None for _ in message["params"]["items"]]
            self.send({"id": message["id"], "result": result})
        elif "method" in message:
            self.notifications.append(message)

    async def wait_for(self, method: str, timeout: float = 15) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                for message in self.notifications:
                    if message["method"] == method:
                        self.notifications.remove(message)
                        return message
                self._handle(await self.receive())

        return await asyncio.wait_for(wait(), timeout)


async def _session(client: RawClient, root: Path, profile: str) -> None:
    result = await client.initialize(root, profile=profile)
    assert result["serverInfo"]["name"] == "flash-ls"
    uri = (root / "main.py").as_uri()
    text = (root / "main.py").read_text()
    client.send(
        {
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}
            },
        }
    )
    while True:
        published = await client.wait_for("textDocument/publishDiagnostics")
        if published["params"]["uri"] == uri and published["params"].get("version") == 1:
            break
    assert "FL101" in [d["code"] for d in published["params"]["diagnostics"]]
    assert await client.request("shutdown", None) is None
    client.send({"method": "exit", "params": None})


@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_stdio_session_exits_cleanly(tmp_path: Path, profile: str) -> None:
    write_files(tmp_path, APP)
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        "--stdio",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    client = RawClient(process.stdout, process.stdin)
    try:
        await _session(client, tmp_path.resolve(), profile)
        code = await asyncio.wait_for(process.wait(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == 0
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    assert "Traceback" not in stderr, stderr


async def test_client_disconnect_stops_the_server(tmp_path: Path) -> None:
    write_files(tmp_path, APP)
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    client = RawClient(process.stdout, process.stdin)
    try:
        await client.initialize(tmp_path.resolve())
        await asyncio.sleep(0.5)  # the watcher thread is running now
        process.stdin.close()
        await asyncio.wait_for(process.wait(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_tcp_session(tmp_path: Path) -> None:
    write_files(tmp_path, APP)
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND,
        "--tcp",
        f"127.0.0.1:{port}",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the TCP server did not start")
        client = RawClient(reader, writer)
        await _session(client, tmp_path.resolve(), "vscode")
        await writer.drain()
        code = await asyncio.wait_for(process.wait(), timeout=10)
        assert code == 0
        writer.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_main_rejects_bad_arguments() -> None:
    result = subprocess.run(
        [*SERVER_COMMAND, "--bogus"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "usage" in result.stderr.lower()
    assert sys.executable
