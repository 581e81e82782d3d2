"""The size estimate in the editor: pip resolves in the background, diagnostics never wait for
it, and FL401 appears once the resolution lands (without an edit).

The server runs online against a local index (named by the app's requirements.txt, as a pip
option line) with its own cache directory and none of this machine's pip configuration.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_session import SERVER_COMMAND, Session, codes_of, initialize
from lsprotocol import types
from package_index import Dist, PackageIndex, hermetic_pip_env
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROFILES = ("vscode", "pull")
SERVER_ENV = {
    **hermetic_pip_env(),
    "FLASH_LS_CACHE_DIR": tempfile.mkdtemp(prefix="flash-ls-lsp-sizes-"),
}
SERVER_ENV.pop("FLASH_LS_OFFLINE", None)
atexit.register(shutil.rmtree, SERVER_ENV["FLASH_LS_CACHE_DIR"], ignore_errors=True)
DISTS = [
    Dist("fake-transformers", "1.0", requires=["fake-torch"], payload=100_000),
    Dist("fake-torch", "2.0", requires=["nvidia-fake-cu12"], payload=300_000, top_level="torch"),
    Dist("nvidia-fake-cu12", "12.0", payload=2_500_000, top_level="nvidia"),
    # One more requirement per client profile: each server resolves a set of its own.
    *(Dist(f"extra-{profile}", "1.0") for profile in PROFILES),
]
WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24, dependencies={deps!r})
async def embed(text: str):
    return text
"""


@pytest.fixture(scope="module")
def index() -> Iterator[PackageIndex]:
    with PackageIndex(DISTS) as running:
        yield running


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=SERVER_ENV),
    scope="module",
    params=PROFILES,
)
async def lsp_client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    root = request.getfixturevalue("workspace_root")
    lsp_client.flash_session = await initialize(lsp_client, root, request.param)  # type: ignore[attr-defined]
    lsp_client.flash_profile = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def sized_app(session: Session, index: PackageIndex, profile: str) -> Path:
    deps = ["fake-transformers", f"extra-{profile}"]
    return session.new_app(
        {
            "worker.py": WORKER.format(deps=deps),
            "requirements.txt": f"--index-url {index.simple_url}/\n",
            "pyproject.toml": '[project]\nname = "app"\n\n[tool.flash-ls]\nsize-budget-mb = 2\n',
        }
    )


async def hover_text(session: Session, uri: str, line: int, character: int) -> str:
    result = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_fl401_appears_when_the_background_resolution_lands(
    session: Session, lsp_client: Any, index: PackageIndex
) -> None:
    uri = session.open(sized_app(session, index, lsp_client.flash_profile) / "worker.py")
    # The first diagnostics do not wait for pip: no size finding yet.
    first = await session.diagnostics(uri, timeout=10)
    assert "FL401" not in codes_of(first)
    pending = await hover_text(session, uri, 2, 3)
    assert "- incomplete: pip is resolving the dependencies" in pending
    # No edit: the server checks the app again when the resolution lands.
    found = await session.diagnostics(uri, lambda items: "FL401" in codes_of(items), timeout=90)
    [fl401] = [item for item in found if item.code == "FL401"]
    assert fl401.message.endswith("above the 2 MB budget")
    assert fl401.range.start.line == 2
    landed = await hover_text(session, uri, 2, 3)
    assert "nvidia-\\* CUDA wheels pulled in by fake-torch via fake-transformers" in landed
    assert "incomplete" not in landed
