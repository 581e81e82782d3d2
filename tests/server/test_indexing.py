"""Background indexing of every workspace folder, multi-root, workspace pull with result ids."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_session import Session, codes_of, write_files
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORKER = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef {fn}(): ...\n'


@pytest.fixture(scope="module")
def workspace_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace that already holds apps when the server starts."""
    root = tmp_path_factory.mktemp("indexed").resolve()
    write_files(root / "first", {"a.py": WORKER.format(fn="a"), "b.py": WORKER.format(fn="b")})
    write_files(root / "clean", {"c.py": WORKER.format(fn="c")})
    return root


async def _published(session: Session, uri: str, until: object, timeout: float = 15) -> list[str]:
    for _ in range(int(timeout / 0.05)):
        last = session.last_published(uri)
        if last is not None and until(codes_of(last.diagnostics)):  # type: ignore[operator]
            return codes_of(last.diagnostics)
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing suitable published for {uri}")


async def _workspace_pull(
    session: Session, previous: list[types.PreviousResultId]
) -> dict[str, types.WorkspaceDocumentDiagnosticReport]:
    report = await session.client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=previous)
    )
    return {item.uri: item for item in report.items}


async def test_files_nobody_opened_are_checked_at_startup(
    session: Session, workspace_root: Path
) -> None:
    a = session.uri(workspace_root / "first" / "a.py")
    b = session.uri(workspace_root / "first" / "b.py")
    if session.pull:
        reports = await _workspace_pull(session, [])
        assert "FL102" in codes_of(reports[a].items)  # type: ignore[union-attr]
        assert "FL102" in codes_of(reports[b].items)  # type: ignore[union-attr]
        assert session.uri(workspace_root / "clean" / "c.py") not in reports  # nothing to say
    else:
        assert "FL102" in await _published(session, a, lambda c: "FL102" in c)
        assert "FL102" in await _published(session, b, lambda c: "FL102" in c)
        assert session.last_published(session.uri(workspace_root / "clean" / "c.py")) is None
    # Indexing reports its progress; the answers above may come before its "begin" arrives.
    indexing: list[object] = []
    for _ in range(200):
        indexing = next(
            (
                r
                for r in session.client.progress_reports.values()
                if r and r[0].kind == "begin" and r[0].title == "flash-ls: indexing"
            ),
            [],
        )
        if indexing and indexing[-1].kind == "end":  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    assert indexing, "no 'flash-ls: indexing' progress was reported"
    assert indexing[-1].kind == "end"  # type: ignore[attr-defined]


async def test_pull_result_ids_and_unchanged_reports(
    session: Session, workspace_root: Path
) -> None:
    if not session.pull:
        pytest.skip("pull diagnostics: the pull profile only")
    a = session.uri(workspace_root / "first" / "a.py")
    first = await _workspace_pull(session, [])
    previous = [
        types.PreviousResultId(uri=uri, value=item.result_id)
        for uri, item in first.items()
        if item.result_id
    ]
    second = await _workspace_pull(session, previous)
    assert isinstance(second[a], types.WorkspaceUnchangedDocumentDiagnosticReport)
    assert second[a].result_id == first[a].result_id
    doc = await session.client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=a), previous_result_id=first[a].result_id
        )
    )
    assert isinstance(doc, types.RelatedUnchangedDocumentDiagnosticReport)
    other = await session.client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=a), previous_result_id="stale"
        )
    )
    assert (
        isinstance(other, types.RelatedFullDocumentDiagnosticReport)
        and other.result_id == first[a].result_id
    )


async def test_deleting_a_file_clears_its_findings_and_the_other_files(
    session: Session, workspace_root: Path
) -> None:
    root = workspace_root / "deleting"
    write_files(root, {"a.py": WORKER.format(fn="a"), "b.py": WORKER.format(fn="b")})
    a = session.open(root / "a.py")
    b_path = root / "b.py"
    b = session.uri(b_path)
    assert "FL102" in await session.codes(a, lambda c: "FL102" in c)
    if not session.pull:
        await _published(session, b, lambda c: "FL102" in c)
    b_path.unlink()
    if session.profile != "neovim":
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=b, type=types.FileChangeType.Deleted)]
            )
        )
    assert await session.codes(a, lambda c: "FL102" not in c) == []
    if not session.pull:
        assert await _published(session, b, lambda c: c == []) == []


async def test_workspace_folders_can_be_added_and_removed(
    session: Session, tmp_path_factory: pytest.TempPathFactory
) -> None:
    extra = tmp_path_factory.mktemp("second-folder").resolve()
    write_files(extra, {"x.py": WORKER.format(fn="x"), "y.py": WORKER.format(fn="y")})
    folder = types.WorkspaceFolder(uri=extra.as_uri(), name="second")
    session.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[folder], removed=[])
        )
    )
    x = session.uri(extra / "x.py")
    if session.pull:
        for _ in range(100):
            reports = await _workspace_pull(session, [])
            if x in reports:
                break
            await asyncio.sleep(0.05)
        assert "FL102" in codes_of(reports[x].items)  # type: ignore[union-attr]
    else:
        assert "FL102" in await _published(session, x, lambda c: "FL102" in c)
    symbols = await session.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="worker")
    )
    uris = {s.location.uri for s in symbols or [] if isinstance(s, types.SymbolInformation)}
    assert x in uris and session.uri(workspace_root_of(session) / "first" / "a.py") in uris
    session.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[folder])
        )
    )
    for _ in range(100):
        symbols = await session.client.workspace_symbol_async(
            types.WorkspaceSymbolParams(query="worker")
        )
        uris = {s.location.uri for s in symbols or [] if isinstance(s, types.SymbolInformation)}
        if x not in uris:
            break
        await asyncio.sleep(0.05)
    assert x not in uris


def workspace_root_of(session: Session) -> Path:
    return session.root
