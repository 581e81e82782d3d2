"""Model weights next to the code cost nothing: a big shipped file is stat'ed, never read.

FL403 reports it at 0:0, which needs no line of it; the CLI shows no excerpt of a binary or big
file; the server converts positions without reading it. Both run here under an address-space
limit smaller than the file, which any read of it as text would exceed.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from apps import sparse, write_app
from pytest_lsp import ClientServerConfig, LanguageClient

sys.path.insert(0, str(Path(__file__).parent / "server"))

from lsp_session import Session, initialize

GB = 1024**3
ADDRESS_SPACE = 2_000_000_000  # bytes: `ulimit -v 2000000`
WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24)
async def embed(text: str) -> list:
    return [len(text)]
"""
# The server under the same limit (set before the interpreter imports anything of flash-ls).
LIMITED_SERVER = [
    sys.executable,
    "-c",
    "import resource, runpy;"
    f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}));"
    "runpy.run_module('flash_ls.server', run_name='__main__', alter_sys=True)",
]


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def test_cli_check_of_an_app_with_1gb_of_weights_fits_in_2gb(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    sparse(root / "model.safetensors", 1 * GB)
    done = subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", "--no-cache", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        preexec_fn=_limit_address_space,
    )
    assert done.returncode == 0, done.stderr
    header, *rest = done.stdout.splitlines()
    assert header.startswith("app/model.safetensors:1:1: FL403 [large-file-shipped]")
    # No excerpt of a binary file: the next lines are the notes, not a gutter with its bytes.
    assert rest[0].startswith("  = note:") or rest[0].startswith(" = note:"), rest[:3]
    assert "MemoryError" not in done.stderr


@pytest_lsp.fixture(config=ClientServerConfig(server_command=LIMITED_SERVER), scope="module")
async def limited_client(
    lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[None]:
    root = tmp_path_factory.mktemp("weights").resolve()
    lsp_client.flash_session = await initialize(lsp_client, root, "neovim", None)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def limited(limited_client: LanguageClient) -> Session:
    return limited_client.flash_session  # type: ignore[attr-defined,no-any-return]


@pytest.mark.asyncio(loop_scope="module")
async def test_server_places_fl403_on_4gb_of_weights_within_2gb(limited: Session) -> None:
    root = limited.new_app({"worker.py": WORKER})
    weights = sparse(root / "checkpoints" / "model.safetensors", 4 * GB)
    limited.open(root / "worker.py")
    items = await limited.diagnostics(
        limited.uri(weights), lambda found: any(item.code == "FL403" for item in found)
    )
    [fl403] = [item for item in items if item.code == "FL403"]
    zero = (fl403.range.start.line, fl403.range.start.character)
    assert zero == (0, 0) and fl403.range.end == fl403.range.start
