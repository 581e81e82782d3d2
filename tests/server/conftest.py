"""Shared fixtures of the language-server tests: one server per module and client profile."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

sys.path.insert(0, str(Path(__file__).parent))

from lsp_session import PROFILES, SERVER_COMMAND, Session, initialize


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND),
    scope="module",
    params=PROFILES,
)
async def lsp_client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    root = request.getfixturevalue("workspace_root")
    options = request.getfixturevalue("server_options")
    lsp_client.flash_session = await initialize(lsp_client, root, request.param, options)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def workspace_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace").resolve()


@pytest.fixture(scope="module")
def server_options() -> dict[str, Any] | None:
    """initializationOptions (None: the default short debounce); override per module."""
    return None


@pytest.fixture(scope="module")
def session(lsp_client: LanguageClient) -> Session:
    return lsp_client.flash_session  # type: ignore[attr-defined,no-any-return]
