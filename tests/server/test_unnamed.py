"""Buffers with no file: VS Code's ``untitled:`` documents and Neovim's unnamed buffers (``file://``).

Each is checked as a one-file app with no neighbours on disk, and every feature works on it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsp_session import Session, codes_of
from lsprotocol import types
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXT = """from runpod_flash import Endpoint

@Endpoint(name="tts")
async def speak(text: str):
    return text

@Endpoint(name="tts")
async def voices():
    return []
"""
URIS = ["untitled:Untitled-1", "file://"]


def _open(session: Session, uri: str, text: str = TEXT, language: str = "python") -> None:
    session.versions[uri] = 1
    session.texts[uri] = text
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


def _document(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def _execute(session: Session, command: str, argument: dict[str, Any]) -> Any:
    return await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=[argument])
    )


@pytest.mark.parametrize("uri", URIS)
async def test_an_unnamed_buffer_is_checked_as_a_one_file_app(session: Session, uri: str) -> None:
    # A file next to nothing: the workspace's own app declares "tts" too, and is not involved.
    session.new_app({"main.py": TEXT.split("@Endpoint", 2)[0] + TEXT.split("\n\n")[1]})
    _open(session, uri)
    found = await session.diagnostics(uri, lambda items: "FL101" in codes_of(items))
    fl101 = next(item for item in found if item.code == "FL101")
    assert fl101.range.start.line == 6  # voices' name="tts"
    assert all(loc.location.uri == uri for loc in fl101.related_information or [])
    assert all(params.uri.startswith(("file:///", *URIS)) for params in session.published)
    assert not [p for p in session.published if "flash-ls-unnamed" in p.uri]

    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=_document(uri), position=types.Position(2, 3))
    )
    assert hover is not None and "**Endpoint `tts`**" in str(hover.contents)

    session.change(uri, TEXT + "\nEndpoint(")
    completion = await session.client.text_document_completion_async(
        types.CompletionParams(text_document=_document(uri), position=types.Position(10, 9))
    )
    assert completion is not None
    items = completion.items if isinstance(completion, types.CompletionList) else completion
    assert "gpu=" in [item.label for item in items]
    session.change(uri, TEXT)
    await session.diagnostics(uri, lambda items: "FL101" in codes_of(items))

    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=_document(uri),
            range=fl101.range,
            context=types.CodeActionContext(diagnostics=[fl101]),
        )
    )
    rename = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.edit)
    assert rename.title == 'Rename the endpoint to "tts-voices"'
    assert rename.edit is not None
    assert 'name="tts-voices"' in session.apply(rename.edit)[uri]
    await session.diagnostics(uri, lambda items: "FL101" not in codes_of(items))

    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_document(uri))
    )
    assert [s.name for s in symbols or []] == ["tts", "tts-voices"]
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=_document(uri))
    )
    commands = [lens.command for lens in lenses or [] if lens.command and lens.command.command]
    assert {"uri": uri, "endpoint": "tts"} in [c.arguments[0] for c in commands if c.arguments]

    checked = await _execute(session, "flash.check", {"uri": uri})
    [app] = checked["apps"]
    assert all(item["uri"] == uri for item in app["diagnostics"])
    shown = await _execute(session, "flash.manifest.show", {"uri": uri, "endpoint": "tts"})
    assert shown["entry"]["functions"] == ["speak"]
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.build", {"uri": uri})
    assert raised.value.message.startswith("Save ") and "to a folder first" in raised.value.message

    session.change(uri, TEXT)
    await session.diagnostics(uri, lambda items: "FL101" in codes_of(items))
    session.close(uri)
    if not session.pull:  # closing clears what the editor showed for it
        for _ in range(100):
            last = session.last_published(uri)
            if last is not None and not last.diagnostics:
                break
            await asyncio.sleep(0.02)
        assert last is not None and not last.diagnostics


async def test_an_untitled_buffer_in_another_language_is_not_checked(session: Session) -> None:
    uri = "untitled:Untitled-7"
    _open(session, uri, language="plaintext")
    symbols = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_document(uri))
    )
    assert not symbols
    assert session.last_published(uri) is None
