"""The source action "Migrate this file to runpod.App (runpod 2.0)" against the real server.

Two clients: VS Code's capabilities (``disabledSupport``: an app that does not migrate gets the
action disabled, with the reason) and Neovim's (no ``disabledSupport``: it gets no action).
The edit is checked against what ``flash-ls migrate`` writes for the same app.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from cli_imports import flash_ls
from lsp_session import SERVER_COMMAND, Session, initialize
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from flash_ls.server.actions import MIGRATE_KIND, MIGRATE_TITLE

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
_copies = itertools.count()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND),
    scope="module",
    params=("vscode", "neovim"),
)
async def lsp_client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    root = request.getfixturevalue("workspace_root")
    lsp_client.flash_session = await initialize(lsp_client, root, request.param)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def copy_app(parent: Path, name: str) -> Path:
    """A copy of the fixture app ``name`` under ``parent`` (the App takes the folder's name)."""
    root = parent / f"copy{next(_copies)}" / name
    shutil.copytree(FIXTURES / name, root)
    return root


async def migrate_actions(session: Session, uri: str, only: str) -> list[types.CodeAction]:
    result = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(diagnostics=[], only=[only]),
        )
    )
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    return [a for a in actions if a.kind == MIGRATE_KIND]


async def test_a_migrating_app_gets_the_edit_flash_ls_migrate_writes(
    session: Session, tmp_path: Path
) -> None:
    root = copy_app(session.root, "hello_world")
    uri = session.open(root / "gpu_worker.py")
    await session.diagnostics(uri)

    # "Source Action..." asks for every source kind; the action is found by its own kind too.
    for only in ("source", MIGRATE_KIND):
        [action] = await migrate_actions(session, uri, only)
        assert action.title == MIGRATE_TITLE
        assert action.disabled is None
        assert action.edit is not None
    applied = session.apply(action.edit)

    cli_root = copy_app(tmp_path, "hello_world")
    done = flash_ls(cli_root, "migrate")
    assert done.returncode == 0, done.stderr
    assert applied == {uri: (cli_root / "gpu_worker.py").read_text(encoding="utf-8")}
    assert 'app = runpod.App("hello_world")' in applied[uri]
    # The lightbulb does not plan migrations: only a source action request does.
    assert await migrate_actions(session, uri, types.CodeActionKind.QuickFix.value) == []


async def test_an_app_that_does_not_migrate_gets_the_reason(session: Session) -> None:
    root = copy_app(session.root, "load_balancer")
    uri = session.open(root / "gpu_api.py")
    await session.diagnostics(uri)

    actions = await migrate_actions(session, uri, "source")

    if session.profile == "neovim":  # no disabledSupport: nothing is offered
        assert actions == []
        return
    [action] = actions
    assert action.title == MIGRATE_TITLE
    assert action.edit is None
    assert action.disabled == types.CodeActionDisabled(
        reason="line 4: app has endpoints in 2 modules; rc2 keeps one App per name (and 5 more)"
    )


async def test_a_single_file_reason_is_the_files_own(session: Session) -> None:
    root = session.new_app(
        {
            "model.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="model")
            class Model:
                def predict(self): ...
            """
        }
    )
    uri = session.open(root / "model.py")
    await session.diagnostics(uri)

    actions = await migrate_actions(session, uri, MIGRATE_KIND)

    if session.profile == "neovim":
        assert actions == []
        return
    [action] = actions
    assert action.disabled == types.CodeActionDisabled(
        reason="line 3: class as queue resource: rc2 has queue functions only"
    )


async def test_a_file_without_runpod_flash_gets_no_action(session: Session) -> None:
    root = copy_app(session.root, "hello_world")
    (root / "helpers.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    uri = session.open(root / "helpers.py")
    await session.diagnostics(uri)
    assert await migrate_actions(session, uri, "source") == []


async def test_a_reason_in_another_file_of_the_app_is_named_with_its_file(
    session: Session,
) -> None:
    root = session.new_app(
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="worker")
            def work(x: int) -> int:
                return x
            """,
            "settings.py": """
            from runpod_flash import GpuGroup

            GPU = GpuGroup.ADA_24
            """,
        }
    )
    uri = session.open(root / "worker.py")
    await session.diagnostics(uri)

    actions = await migrate_actions(session, uri, "source")

    if session.profile == "neovim":
        assert actions == []
        return
    [action] = actions
    assert action.disabled == types.CodeActionDisabled(
        reason="settings.py:3: runpod_flash.GpuGroup has no app API mapping here"
    )
