"""Document synchronisation: didOpen, didChange, didClose and didSave hand buffers to the engine
thread and schedule the checks of their apps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls.server import unnamed
from flash_ls.server.lifecycle import files_changed
from flash_ls.server.plumbing import document_path, guard, is_python
from flash_ls.server.watcher import WATCHED_NAMES

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer


@guard(types.TEXT_DOCUMENT_DID_OPEN, notification=True)
async def did_open(ls: FlashLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    path = document_path(item.uri)
    if unnamed.is_unnamed(item.uri):
        python = item.language_id == "python"  # a stand-in's name says nothing
    else:
        python = is_python(path, item.language_id)
    if path is None or not python:
        return
    ls.documents.open(path, item.uri, item.version, item.text)
    root = ls.diagnostics.root_of(path)
    if not unnamed.is_unnamed(item.uri):
        ls.announce_environment(root)  # once per app
    ls.diagnostics.touch(root)
    ls.diagnostics.schedule(path, root, trigger=path, delay=0)


@guard(types.TEXT_DOCUMENT_DID_CHANGE, notification=True)
async def did_change(ls: FlashLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    path = document_path(params.text_document.uri)
    if path is None or not ls.documents.is_open(path):
        return
    document = ls.workspace.get_text_document(params.text_document.uri)
    ls.documents.change(path, params.text_document.version, document.source)
    root = ls.diagnostics.root_of(path)
    ls.diagnostics.touch(root)
    # At once when the app's last check was fast, else after a wait of at most the debounce.
    ls.diagnostics.schedule(path, root, trigger=path)


@guard(types.TEXT_DOCUMENT_DID_CLOSE, notification=True)
async def did_close(ls: FlashLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    path = document_path(params.text_document.uri)
    if path is None or not ls.documents.is_open(path):
        return
    if unnamed.is_unnamed(params.text_document.uri):
        ls.diagnostics.discard(path)
        ls.documents.close(path)
        return
    ls.documents.close(path)
    root = ls.diagnostics.root_of(path)
    ls.diagnostics.closed(path)
    ls.diagnostics.touch(root)
    ls.diagnostics.schedule(path, root, delay=0)


@guard(types.TEXT_DOCUMENT_DID_SAVE, notification=True)
async def did_save(ls: FlashLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
    path = document_path(params.text_document.uri)
    if path is not None and path.name in WATCHED_NAMES:
        files_changed(ls, [(path, "changed")])
