"""Configuration: initializationOptions, workspace/configuration, [tool.flash-ls], live changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsp_session import Session, codes_of
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

TTS = """
from runpod_flash import Endpoint

@Endpoint(name="tts")
async def a(text: str):
    return text

@Endpoint(name="tts")
async def b(text: str):
    return text

api = Endpoint(name="api", cpu="cpu3c-1-2")
"""


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any]:
    return {"flash-ls": {"debounceMs": 20, "severity": {"FL101": "error"}}}


def _severity(items: Any, code: str) -> types.DiagnosticSeverity | None:
    return next((item.severity for item in items if item.code == code), None)


async def _reconfigure(session: Session, settings: dict[str, Any]) -> None:
    session.client.set_configuration(settings, section="flash-ls")
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"flash-ls": settings})
    )
    await asyncio.sleep(0.05)


async def test_initialization_options_apply(session: Session) -> None:
    root = session.new_app({"main.py": TTS})
    uri = session.open(root / "main.py")
    items = await session.diagnostics(uri, lambda found: "FL101" in codes_of(found))
    assert _severity(items, "FL101") == types.DiagnosticSeverity.Error
    assert _severity(items, "FL105") == types.DiagnosticSeverity.Warning


async def test_configuration_change_takes_effect_without_restart(session: Session) -> None:
    root = session.new_app({"main.py": TTS, "second.py": TTS.replace('"tts"', '"other"')})
    uri = session.open(root / "main.py")
    second = session.uri(root / "second.py")  # never opened: checked with its app
    await session.codes(uri, lambda c: "FL101" in c and "FL105" in c)
    assert "FL101" in await session.codes(second, lambda c: "FL101" in c)
    try:
        await _reconfigure(session, {"ignore": ["FL101"], "severity": {"unused-endpoint": "hint"}})
        items = await session.diagnostics(
            uri, lambda found: "FL101" not in codes_of(found) and bool(found)
        )
        assert _severity(items, "FL105") == types.DiagnosticSeverity.Hint
        assert "FL101" not in await session.codes(second, lambda c: "FL101" not in c)
    finally:
        await _reconfigure(session, {})
    items = await session.diagnostics(uri, lambda found: "FL101" in codes_of(found))
    assert (
        _severity(items, "FL101") == types.DiagnosticSeverity.Error
    )  # initializationOptions again


async def test_invalid_settings_are_reported_and_the_rest_applies(session: Session) -> None:
    root = session.new_app({"main.py": TTS})
    uri = session.open(root / "main.py")
    await session.codes(uri, lambda c: "FL105" in c)
    before = len(session.client.messages)
    try:
        await _reconfigure(session, {"debounce_ms": "fast", "no_such_key": 1, "ignore": ["FL105"]})
        assert "FL105" not in await session.codes(uri, lambda c: "FL105" not in c)
        for _ in range(100):
            if len(session.client.messages) >= before + 2:
                break
            await asyncio.sleep(0.05)
        texts = [m.message for m in session.client.messages[before:]]
        assert any("debounce_ms" in text for text in texts)
        assert any("no_such_key" in text for text in texts)
        assert all(m.type == types.MessageType.Warning for m in session.client.messages[before:])
    finally:
        await _reconfigure(session, {})
    await session.codes(uri, lambda c: "FL105" in c)


async def test_pyproject_config_and_its_changes(session: Session) -> None:
    pyproject = '[project]\nname = "app"\n\n[tool.flash-ls]\nignore = ["FL105"]\n'
    root = session.new_app({"main.py": TTS, "pyproject.toml": pyproject})
    uri = session.open(root / "main.py")
    assert "FL105" not in await session.codes(uri, lambda c: "FL101" in c)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    if session.profile != "neovim":  # Neovim: the server's own watcher sees it
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(
                        uri=session.uri(root / "pyproject.toml"), type=types.FileChangeType.Changed
                    )
                ]
            )
        )
    assert "FL105" in await session.codes(uri, lambda c: "FL105" in c)
