"""Server fuzzing: random sessions, and the server stays alive, answers, and ends up right.

Each case copies a fixture app, opens two of its files and sends a seeded random sequence of what
editors send: incremental edits (some with ranges past the end of a line or of the document, some
with a stale version), whole-buffer changes, closes and reopens, saves, files changed on disk with
their watched-file events, hover, completion, code actions, symbols, definitions, commands (with
bad arguments too) and ``$/cancelRequest`` for requests in flight. Every request must be answered
(an error answer is fine, an internal error is a crash), and once each open buffer is replaced by
the text then written to disk, the diagnostics the server holds for it must be what
``flash-ls check`` reports for that file (size rules aside: the server estimates in the
background).

``FLASH_LS_FUZZ=long`` runs many more cases and steps (the release mode, docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lsp_session import Session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURE_APPS = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
LONG = os.environ.get("FLASH_LS_FUZZ") == "long"
CASES = 12 if LONG else 2
STEPS = 400 if LONG else 60
ANSWER_TIMEOUT = 30.0
INTERNAL_ERROR = -32603

SNIPPETS = (
    "\n",
    " ",
    "(",
    ")",
    "[",
    "]",
    '"',
    "'''",
    ":",
    ",",
    "\t",
    "    ",
    "import torch\n",
    "from runpod_flash import Endpoint, GpuGroup\n",
    '@Endpoint(name="w", gpu=GpuGroup.ADA_24)\n',
    "def f(x):\n    return x\n",
    "async def g(payload: dict) -> dict:\n    import numpy\n    return payload\n",
    'api = Endpoint(name="api", cpu="cpu3c-1-2")\n',
    '@api.post("/run")\n',
    '@api.get("/{p:path}")\n',
    "workers=(0, 3), ",
    "dependencies=['pillow'], ",
    "# flash-ls: ignore[FL101]\n",
    "if __name__ == '__main__':\n    f(1)\n",
    "é",
    "\U0001f600",
    "\r\n",
    "\x00",
)


def fixture_files(app: str) -> dict[str, str]:
    root = FIXTURE_APPS / app
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".py", ".txt", ".toml") and ".flash" not in p.parts
    }


class Fuzzer:
    """One random session against the server."""

    def __init__(self, session: Session, root: Path, seed: int) -> None:
        self.session = session
        self.client = session.client
        self.root = root
        self.random = random.Random(seed)
        self.paths = sorted(p for p in root.rglob("*.py") if ".flash" not in p.parts)
        self.open: dict[str, Path] = {}
        self.requests = 0
        self.trail: list[str] = []  # what was done, for the failure message

    # -- helpers ------------------------------------------------------------------------------

    def position(self, uri: str) -> types.Position:
        lines = self.session.texts[uri].split("\n")
        line = self.random.randrange(len(lines) + 3)  # past the end too
        width = len(lines[line]) if line < len(lines) else 0
        found = types.Position(line=line, character=self.random.randrange(width + 5))
        self.trail.append(f"  at {found.line}:{found.character}")
        return found

    def text(self) -> str:
        found = "".join(self.random.choice(SNIPPETS) for _ in range(self.random.randrange(1, 4)))
        self.trail.append(f"  text {found!r}")
        return found

    async def answered(self, request: Any) -> None:
        """Await a request: any answer but a crash, and never a hang."""
        self.requests += 1
        try:
            await asyncio.wait_for(request, ANSWER_TIMEOUT)
        except JsonRpcException as error:
            assert error.code != INTERNAL_ERROR, f"the server crashed: {error}\n{self.story()}"
        except TimeoutError:
            raise AssertionError(f"no answer in {ANSWER_TIMEOUT:g} s\n{self.story()}") from None

    def story(self) -> str:
        logs = [m.message for m in getattr(self.client, "log_messages", [])][-20:]
        return "steps:\n  " + "\n  ".join(self.trail[-30:]) + "\nserver log:\n" + "\n".join(logs)

    # -- steps ----------------------------------------------------------------------------------

    async def step(self) -> None:
        if not self.open or self.random.random() < 0.08:
            closed = [p for p in self.paths if self.session.uri(p) not in self.open and p.exists()]
            if closed:
                path = self.random.choice(closed)
                self.open[self.session.open(path)] = path
                return
        uri = self.random.choice(sorted(self.open))
        actions = (
            self.incremental_edit,
            self.incremental_edit,
            self.incremental_edit,
            self.whole_change,
            self.close,
            self.save,
            self.disk_change,
            self.hover,
            self.completion,
            self.code_action,
            self.symbols,
            self.definition,
            self.command,
            self.cancelled_request,
        )
        action = self.random.choice(actions)
        self.trail.append(f"{action.__name__} {Path(uri).name}")
        await action(uri)

    async def incremental_edit(self, uri: str) -> None:
        start, end = sorted(
            (self.position(uri), self.position(uri)), key=lambda p: (p.line, p.character)
        )
        versions = self.session.versions
        stale = self.random.random() < 0.1
        versions[uri] += 0 if stale else 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=versions[uri]),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=end), text=self.text()
                    )
                ],
            )
        )

    async def whole_change(self, uri: str) -> None:
        text = self.session.texts[uri]
        cut = self.random.randrange(len(text) + 1)
        self.session.change(uri, text[:cut] + self.text() + text[cut:])

    async def close(self, uri: str) -> None:
        self.session.close(uri)
        del self.open[uri]

    async def save(self, uri: str) -> None:
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def disk_change(self, uri: str) -> None:
        path = self.random.choice(self.paths)
        kind = types.FileChangeType.Changed
        existing = [p for p in self.paths if p.exists()]
        if (
            self.random.random() < 0.2
            and self.session.uri(path) not in self.open
            and len(existing) > 1
        ):
            path.unlink(missing_ok=True)
            kind = types.FileChangeType.Deleted
        else:
            kind = types.FileChangeType.Changed if path.exists() else types.FileChangeType.Created
            before = path.read_text() if path.exists() else ""
            cut = self.random.randrange(len(before) + 1)
            path.write_text(before[:cut] + self.text() + before[cut:])
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=self.session.uri(path), type=kind)]
            )
        )

    async def hover(self, uri: str) -> None:
        await self.answered(
            self.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=self.position(uri),
                )
            )
        )

    async def completion(self, uri: str) -> None:
        await self.answered(
            self.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=self.position(uri),
                )
            )
        )

    async def code_action(self, uri: str) -> None:
        start, end = sorted(
            (self.position(uri), self.position(uri)), key=lambda p: (p.line, p.character)
        )
        published = self.session.last_published(uri)
        diagnostics = list(published.diagnostics) if published is not None else []
        await self.answered(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=types.Range(start=start, end=end),
                    context=types.CodeActionContext(diagnostics=diagnostics),
                )
            )
        )

    async def symbols(self, uri: str) -> None:
        await self.answered(
            self.client.text_document_document_symbol_async(
                types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
        )

    async def definition(self, uri: str) -> None:
        await self.answered(
            self.client.text_document_definition_async(
                types.DefinitionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=self.position(uri),
                )
            )
        )

    async def command(self, uri: str) -> None:
        name, arguments = self.random.choice(
            (
                ("flash.endpoints", []),
                ("flash.endpoints", [{"appRoot": 42}]),
                ("flash.manifest.preview", [{"uri": uri}]),
                ("flash.manifest.preview", ["not an object"]),
                ("flash.endpoint.request", [{"uri": uri, "endpoint": "nope"}]),
                ("flash.check", [{"uri": uri}]),
            )
        )
        await self.answered(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=name, arguments=arguments)
            )
        )

    async def cancelled_request(self, uri: str) -> None:
        request = self.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=self.position(uri)
            )
        )
        future = asyncio.ensure_future(request)
        await asyncio.sleep(self.random.choice((0, 0.001, 0.01)))
        pending = self.client.protocol._request_futures  # the ids of requests in flight
        for msg_id, waiting in list(pending.items()):
            self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
            del waiting
        await self.answered(future)  # answered all the same: a result or "cancelled"

    # -- the end --------------------------------------------------------------------------------

    async def settle(self) -> dict[str, list[tuple[str, int, str]]]:
        """Replace each open buffer with a text also written to disk; their final diagnostics."""
        if not self.open:
            path = next(p for p in self.paths if p.exists())
            self.open[self.session.open(path)] = path
        finals: dict[str, int] = {}
        for uri, path in sorted(self.open.items()):
            text = self.session.texts[uri].replace("\x00", "")
            path.write_text(text)
            # The whole document (no range): the client's model of a buffer after edits with
            # ranges past its end is not the server's business to agree with.
            self.session.versions[uri] += 1
            self.session.texts[uri] = text
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uri, version=self.session.versions[uri]
                    ),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            finals[uri] = self.session.versions[uri]
        held: dict[str, list[tuple[str, int, str]]] = {}
        for uri in finals:
            await self.session.diagnostics(uri, timeout=60)
        await asyncio.sleep(1.0)  # a re-check of the app started by another buffer's change
        for uri in finals:
            found = await self.session.diagnostics(uri, timeout=60)
            held[uri] = comparable(found)
        return held


def comparable(items: Sequence[types.Diagnostic]) -> list[tuple[str, int, str]]:
    return sorted(
        (str(d.code), d.range.start.line, d.message)
        for d in items
        if not str(d.code).startswith("FL4")
    )


def check_report(root: Path) -> dict[Path, list[tuple[str, int, str]]]:
    done = subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", str(root), "-f", "json", "--offline"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLASH_LS_CACHE_DIR": str(root.parent / f"{root.name}-cache")},
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    found: dict[Path, list[tuple[str, int, str]]] = {}
    for item in json.loads(done.stdout):
        if item["code"].startswith("FL4"):
            continue
        path = Path(item["path"])
        path = path if path.is_absolute() else (Path.cwd() / path)
        found.setdefault(path.resolve(), []).append(
            (item["code"], item["line"] - 1, item["message"])
        )
    return {path: sorted(items) for path, items in found.items()}


APPS = sorted(p.name for p in FIXTURE_APPS.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", range(CASES))
async def test_random_sessions_leave_the_server_alive_and_right(
    session: Session, tmp_path: Path, case: int
) -> None:
    seed = int(os.environ.get("FLASH_LS_FUZZ_SEED", "0")) * 1000 + case
    picker = random.Random(seed)
    app = picker.choice(APPS)
    root = session.new_app(fixture_files(app), name=f"fuzz-{app}-")
    fuzzer = Fuzzer(session, root, seed)
    for _ in range(STEPS):
        await fuzzer.step()
    held = await fuzzer.settle()

    # Alive: a request made now is answered.
    await fuzzer.hover(next(iter(held)))
    reported = check_report(root)
    for uri, items in held.items():
        path = fuzzer.open[uri].resolve()
        assert items == reported.get(path, []), f"seed {seed}, app {app}, {path.name}"
