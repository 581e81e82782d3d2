"""Configuration: initializationOptions, workspace/configuration, [tool.flash-ls], live changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
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


SETTINGS_WARNING = "flash-ls settings:"


async def _warnings(
    session: Session, before: int, count: int, prefix: str = "flash-ls"
) -> list[str]:
    """The warnings starting with ``prefix`` shown after the first ``before`` messages, once
    there are ``count`` (waiting generously: the machine running the tests may be loaded)."""

    def settings_warnings() -> list[types.ShowMessageParams]:
        return [
            message
            for message in session.client.messages[before:]
            if message.message.startswith(prefix)
        ]

    deadline = asyncio.get_running_loop().time() + 60
    while len(settings_warnings()) < count and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    shown = settings_warnings()
    assert all(message.type == types.MessageType.Warning for message in shown)
    return [message.message for message in shown]


def _save(session: Session, path: Path, text: str) -> None:
    """Write a file as an editor saves it: the client's watcher reports it (Neovim: the
    server's own watcher sees it)."""
    path.write_text(text)
    if session.profile != "neovim":
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=session.uri(path), type=types.FileChangeType.Changed)]
            )
        )


async def _published(
    session: Session, path: Path, until: Callable[[Sequence[types.Diagnostic]], bool]
) -> Sequence[types.Diagnostic]:
    """The diagnostics last pushed for ``path`` (a pyproject.toml), once ``until`` holds."""
    uri = session.uri(path)
    for _ in range(300):
        params = session.last_published(uri)
        if params is not None and until(params.diagnostics):
            return params.diagnostics
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {uri}: {session.last_published(uri)}")


def _lines(items: Sequence[types.Diagnostic]) -> list[tuple[int, str]]:
    return [(item.range.start.line, item.message) for item in items]


async def test_invalid_settings_keep_the_last_good_ones(session: Session) -> None:
    root = session.new_app({"main.py": TTS})
    uri = session.open(root / "main.py")
    await session.codes(uri, lambda c: "FL105" in c)
    try:
        await _reconfigure(session, {"ignore": ["FL105"]})
        await session.codes(uri, lambda c: "FL105" not in c)
        before = len(session.client.messages)
        bad = {"debounce_ms": "fast", "no_such_key": 1, "ignore": ["FL106"], "select": ["FL99"]}
        await _reconfigure(session, bad)
        # Other apps of the shared session may warn meanwhile (another test's broken
        # pyproject.toml, re-checked when the settings change): not settings warnings.
        assert await _warnings(session, before, 3, SETTINGS_WARNING) == [
            "flash-ls settings: `debounce_ms` must be a number >= 0, not 'fast'",
            "flash-ls settings: unknown key `no_such_key`",
            "flash-ls settings: unknown rule `FL99` in `select`; see `flash-ls rules`",
        ]
        seen = len(session.client.messages)
        session.change(uri, TTS + "\n")
        assert "FL105" not in await session.codes(uri, lambda c: "FL101" in c)  # last good
        await _reconfigure(session, bad)  # the same problems again: no second warning
        await _reconfigure(session, {**bad, "log_level": "loud"})  # only the new one is shown
        assert await _warnings(session, seen, 1, SETTINGS_WARNING) == [
            "flash-ls settings: `log_level` must be error, warning, info or debug, not 'loud'"
        ]
    finally:
        await _reconfigure(session, {})
    await session.codes(uri, lambda c: "FL105" in c)


async def test_pyproject_config_and_its_changes(session: Session) -> None:
    pyproject = '[project]\nname = "app"\n\n[tool.flash-ls]\nignore = ["FL105"]\n'
    root = session.new_app({"main.py": TTS, "pyproject.toml": pyproject})
    uri = session.open(root / "main.py")
    assert "FL105" not in await session.codes(uri, lambda c: "FL101" in c)
    _save(session, root / "pyproject.toml", '[project]\nname = "app"\n')
    assert "FL105" in await session.codes(uri, lambda c: "FL105" in c)


async def test_a_broken_pyproject_is_an_error_and_the_last_good_config_stays(
    session: Session,
) -> None:
    good = '[project]\nname = "app"\n\n[tool.flash-ls]\nignore = ["FL105"]\n'
    root = session.new_app({"main.py": TTS, "pyproject.toml": good})
    pyproject = root / "pyproject.toml"
    uri = session.open(root / "main.py")
    assert "FL105" not in await session.codes(uri, lambda c: "FL101" in c)
    before = len(session.client.messages)

    _save(session, pyproject, good.replace('["FL105"]', '"FL105"\nseverity = { FL101 = "x" }'))

    items = await _published(session, pyproject, lambda found: len(found) == 2)
    assert _lines(items) == [
        (4, "`ignore` must be an array, not a string"),
        (5, "`severity.FL101` must be error, warning, info or hint, not 'x'"),
    ]
    assert {item.severity for item in items} == {types.DiagnosticSeverity.Error}
    assert items[1].range == types.Range(
        start=types.Position(line=5, character=13), end=types.Position(line=5, character=18)
    )
    assert await _warnings(session, before, 2) == [
        f"flash-ls: {root.name}/pyproject.toml:5: `ignore` must be an array, not a string",
        f"flash-ls: {root.name}/pyproject.toml:6: `severity.FL101` must be error, warning, "
        "info or hint, not 'x'",
    ]
    for version in range(3):  # typing re-checks the app: same config, no new warning
        session.change(uri, TTS + "\n" * version)
        assert "FL105" not in await session.codes(uri, lambda c: "FL101" in c)  # last good
    assert len(session.client.messages) == before + 2

    _save(session, pyproject, good.replace('["FL105"]', "[]"))

    assert list(await _published(session, pyproject, lambda found: not found)) == []
    assert "FL105" in await session.codes(uri, lambda c: "FL105" in c)  # the new config
    assert len(session.client.messages) == before + 2


async def test_a_first_load_with_broken_toml_uses_the_defaults(session: Session) -> None:
    broken = '[project]\nname = "app"\n\n[tool.flash-ls]\nignore = ["FL105"\n'
    root = session.new_app({"main.py": TTS, "pyproject.toml": broken})
    before = len(session.client.messages)
    uri = session.open(root / "main.py")

    assert "FL105" in await session.codes(uri, lambda c: "FL105" in c)
    items = await _published(session, root / "pyproject.toml", bool)
    assert _lines(items) == [(4, "invalid TOML: unclosed array")]  # the array's line
    assert await _warnings(session, before, 1) == [
        f"flash-ls: {root.name}/pyproject.toml:5: invalid TOML: unclosed array"
    ]
