"""A test client session against the real server process, under a chosen client profile.

Profiles: ``vscode`` and ``neovim`` are the capability sets pytest-lsp ships for those editors
(VS Code registers file watchers and gets pushed diagnostics; Neovim negotiates UTF-8 positions,
cannot register watchers, so the server watches files itself); ``pull`` is VS Code plus pull
diagnostics with refresh support.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "flash_ls.server"]
PROFILES = ("vscode", "neovim", "pull")
TIMEOUT = 15.0

_names = itertools.count()


def capabilities(profile: str) -> types.ClientCapabilities:
    if profile == "neovim":
        return client_capabilities("neovim")
    caps = client_capabilities("visual-studio-code")
    if profile == "pull":
        assert caps.text_document is not None and caps.workspace is not None
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=False, related_document_support=True
        )
        caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
            refresh_support=True
        )
    return caps


def write_files(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


class Session:
    """Drives one server: documents, diagnostics (push or pull), requests."""

    def __init__(self, client: LanguageClient, root: Path, profile: str) -> None:
        self.client = client
        self.root = root
        self.profile = profile
        self.pull = profile == "pull"
        self.published: list[types.PublishDiagnosticsParams] = []
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.registrations: list[types.Registration] = []
        self.init_result: types.InitializeResult | None = None
        features = client.protocol.fm.features
        original_publish = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.append(params)
            original_publish(params)

        def register(params: types.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)

        features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
        features[types.CLIENT_REGISTER_CAPABILITY] = register

    # -- apps and documents --------------------------------------------------------------------

    def new_app(self, files: dict[str, str], name: str = "app") -> Path:
        root = self.root / f"{name}{next(_names)}"
        write_files(root, files)
        return root

    def uri(self, path: Path) -> str:
        return path.resolve().as_uri()

    def open(self, path: Path, text: str | None = None) -> str:
        uri = self.uri(path)
        text = path.read_text() if text is None else text
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole buffer (as a ranged change, like editors send)."""
        old = self.texts[uri]
        lines = old.split("\n")
        end = types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)
        if self.profile == "neovim":
            end = types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-8")))
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line=0, character=0), end=end),
                        text=text,
                    )
                ],
            )
        )
        return self.versions[uri]

    def close(self, uri: str) -> None:
        self.versions.pop(uri, None)
        self.texts.pop(uri, None)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    # -- diagnostics ---------------------------------------------------------------------------

    def last_published(self, uri: str) -> types.PublishDiagnosticsParams | None:
        for params in reversed(self.published):
            if params.uri == uri:
                return params
        return None

    async def diagnostics(
        self,
        uri: str,
        until: Callable[[Sequence[types.Diagnostic]], bool] = lambda _: True,
        timeout: float = TIMEOUT,
    ) -> Sequence[types.Diagnostic]:
        """The file's current diagnostics once ``until`` holds (pushed for the current version, or pulled)."""
        deadline = asyncio.get_running_loop().time() + timeout
        last: Sequence[types.Diagnostic] | None = None
        while asyncio.get_running_loop().time() < deadline:
            if self.pull:
                report = await self.client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(
                        text_document=types.TextDocumentIdentifier(uri=uri)
                    )
                )
                assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
                last = report.items
            else:
                params = self.last_published(uri)
                wanted = self.versions.get(uri)
                if params is not None and (wanted is None or params.version == wanted):
                    last = params.diagnostics
                else:
                    last = None
            if last is not None and until(last):
                return last
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for diagnostics of {uri}; last: {last}")

    async def codes(
        self, uri: str, until: Callable[[list[str]], bool] = lambda _: True
    ) -> list[str]:
        found = await self.diagnostics(uri, lambda items: until(codes_of(items)))
        return codes_of(found)

    # -- edits ---------------------------------------------------------------------------------

    def apply(self, edit: types.WorkspaceEdit) -> dict[str, str]:
        """Apply a workspace edit to the open buffers (and files on disk); send didChange."""
        by_uri: dict[str, list[types.TextEdit]] = {}
        if edit.document_changes:
            for change in edit.document_changes:
                assert isinstance(change, types.TextDocumentEdit)
                if change.text_document.version is not None:
                    assert change.text_document.version == self.versions.get(
                        change.text_document.uri
                    )
                by_uri.setdefault(change.text_document.uri, []).extend(
                    e for e in change.edits if isinstance(e, types.TextEdit)
                )
        for uri, edits in (edit.changes or {}).items():
            by_uri.setdefault(uri, []).extend(edits)
        result = {}
        for uri, edits in by_uri.items():
            if uri in self.texts:
                new = apply_text_edits(self.texts[uri], edits, self.profile == "neovim")
                self.change(uri, new)
            else:
                path = Path(types_uri_to_path(uri))
                new = apply_text_edits(path.read_text(), edits, self.profile == "neovim")
                path.write_text(new)
            result[uri] = new
        return result


def codes_of(items: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(item.code) for item in items)


def types_uri_to_path(uri: str) -> str:
    from pygls.uris import to_fs_path

    found = to_fs_path(uri)
    assert found is not None
    return found


def _offset(text: str, position: types.Position, utf8: bool) -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return start + index
        units += len(char.encode("utf-8")) if utf8 else len(char.encode("utf-16-le")) // 2
    return start + len(line)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit], utf8: bool = False) -> str:
    resolved = sorted(
        (
            (_offset(text, e.range.start, utf8), _offset(text, e.range.end, utf8), e.new_text)
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new in resolved:
        text = text[:start] + new + text[end:]
    return text


async def initialize(
    client: LanguageClient, root: Path, profile: str, options: dict[str, Any] | None = None
) -> Session:
    session = Session(client, root, profile)
    session.init_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(profile),
            workspace_folders=[types.WorkspaceFolder(uri=root.resolve().as_uri(), name=root.name)],
            initialization_options=options if options is not None else {"debounce_ms": 30},
        )
    )
    return session
