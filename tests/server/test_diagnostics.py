"""Diagnostics over LSP: open / change / close, cross-file republish, versions, watched files."""

from __future__ import annotations

import asyncio

import pytest
from lsp_session import Session, codes_of
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

TTS = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="tts", gpu=GpuGroup.ADA_24, workers=(0, 3))
async def generate_speech(text: str):
    return {"text": text}

@Endpoint(name="tts")
async def get_voices():
    return {"voices": []}
"""

CLEAN = """
from runpod_flash import Endpoint

@Endpoint(name="clean")
async def work(x: int):
    return x
"""

A_WORKER = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef a(): ...\n'
B_WORKER = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef b(): ...\n'


async def test_open_reports_findings_with_links_and_data(session: Session) -> None:
    root = session.new_app({"gpu_worker.py": TTS})
    uri = session.open(root / "gpu_worker.py")
    items = await session.diagnostics(uri, lambda found: "FL101" in codes_of(found))
    fl101 = next(item for item in items if item.code == "FL101")
    assert fl101.range.start.line == 6  # 0-based: line 7
    assert fl101.source == "flash-ls"
    assert fl101.severity == types.DiagnosticSeverity.Warning
    assert fl101.code_description is not None and "fl101" in fl101.code_description.href
    assert isinstance(fl101.data, dict) and fl101.data["id"].startswith("FL101:")
    assert fl101.related_information and fl101.related_information[0].location.range.start.line == 3


async def test_change_and_close(session: Session) -> None:
    root = session.new_app({"worker.py": CLEAN})
    uri = session.open(root / "worker.py")
    assert await session.codes(uri) == []
    session.change(uri, TTS)
    assert "FL101" in await session.codes(uri, lambda c: "FL101" in c)
    session.change(uri, CLEAN)
    assert await session.codes(uri, lambda c: c == []) == []
    if not session.pull:
        # Closing goes back to the file on disk (clean), published without a version.
        session.change(uri, TTS)
        await session.codes(uri, lambda c: "FL101" in c)
        session.close(uri)
        for _ in range(200):
            last = session.last_published(uri)
            if last is not None and last.version is None and codes_of(last.diagnostics) == []:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("closing did not republish the file on disk")


async def test_cross_file_republish_clears_the_other_file(session: Session) -> None:
    root = session.new_app({"a.py": A_WORKER, "b.py": B_WORKER})
    a = session.open(root / "a.py")
    b = session.uri(root / "b.py")  # not open: its results come from disk
    assert "FL102" in await session.codes(a, lambda c: "FL102" in c)
    assert "FL104" not in await session.codes(a)
    assert "FL102" in await session.codes(b, lambda c: "FL102" in c)
    session.change(a, A_WORKER.replace('"worker"', '"worker-a"'))
    assert "FL102" not in await session.codes(a, lambda c: "FL102" not in c)
    assert await session.codes(b, lambda c: "FL102" not in c) == []
    if session.pull:
        assert session.client.diagnostic_refresh_count > 0


async def test_rapid_edits_publish_only_the_final_version(session: Session) -> None:
    root = session.new_app({"burst.py": CLEAN})
    uri = session.open(root / "burst.py")
    await session.codes(uri)
    before = len(session.published)
    for index in range(100):
        text = TTS if index % 2 == 0 else CLEAN
        session.change(uri, text + f"\n# edit {index}\n")
    final = session.versions[uri]
    found = await session.codes(uri)
    assert found == []  # the last edit (index 99) is the clean text
    if not session.pull:
        versions = [p.version for p in session.published[before:] if p.uri == uri]
        assert versions and versions[-1] == final
        assert versions == sorted(versions)  # never an older version after a newer one
        assert len(versions) < 10, versions  # debounced: not one publish per keystroke
        await asyncio.sleep(0.3)
        assert session.last_published(uri).version == final  # type: ignore[union-attr]


async def test_file_changed_on_disk_is_rechecked(session: Session) -> None:
    root = session.new_app({"a.py": A_WORKER, "b.py": B_WORKER.replace('"worker"', '"other"')})
    a = session.open(root / "a.py")
    assert await session.codes(a) == []
    await asyncio.sleep(0.3)  # let the watcher settle on the new app
    # Another tool edits b.py (not open in the editor): a.py now clashes with it.
    (root / "b.py").write_text(B_WORKER)
    if session.profile == "vscode" or session.pull:
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=session.uri(root / "b.py"), type=types.FileChangeType.Changed
                    )
                ]
            )
        )
    assert "FL102" in await session.codes(a, lambda c: "FL102" in c)


async def test_watched_file_registration_matches_the_client(session: Session) -> None:
    registered = [
        r for r in session.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]
    if session.profile == "neovim":
        assert registered == []  # Neovim cannot: the server watches files itself
    else:
        assert len(registered) == 1
        options = registered[0].register_options
        globs = {
            w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in _watchers(options)
        }
        assert {
            "**/*.py",
            "**/pyproject.toml",
            "**/requirements.txt",
            "**/.gitignore",
            "**/.flashignore",
        } <= globs


def _watchers(options: object) -> list[object]:
    if isinstance(options, dict):
        return list(options["watchers"])
    return list(options.watchers)  # type: ignore[attr-defined]
