"""Deploy and environment commands from the editor, against the Runpod API emulator (no network).

The server gets the emulator's URL variables and key through its process environment, as an
editor would pass them; a second server without a key shows what a missing key looks like.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsp_session import SERVER_COMMAND, Session, initialize
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.deploy.deploy_runner import MUTATIONS, FlashLs
from tests.runpod_api import RunpodEmulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 120.0  # a build and a deploy on a loaded 2-core machine
APP = """
from runpod_flash import CpuInstanceType, Endpoint


@Endpoint(name="{name}", cpu=CpuInstanceType.CPU3C_1_2)
async def hello(who: str = "world") -> dict:
    return {{"hello": who}}
"""
NO_KEY = "no Runpod API key: run `flash-ls login` or set RUNPOD_API_KEY"


class Editor:
    """A client session plus what the server asked and announced."""

    def __init__(self, client: LanguageClient, session: Session) -> None:
        self.client = client
        self.session = session
        self.answer = "Cancel"
        self.questions: list[str] = []
        self.environments: list[dict[str, Any]] = []
        self.lens_refreshes = 0
        self.trees_changed: list[list[str]] = []

    def app(self, name: str) -> tuple[Path, str]:
        root = self.session.new_app({"main.py": APP.format(name=f"{name}-hello")}, name=name)
        return root, self.session.open(root / "main.py")

    async def execute(self, command: str, args: dict[str, Any], token: str | None = None) -> Any:
        if token is not None:
            self.client.progress_reports.setdefault(token, [])
        return await asyncio.wait_for(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=[args], work_done_token=token)
            ),
            TIMEOUT,
        )


async def _until(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _start(api: RunpodEmulator, workdir: Path, api_key: str | None = None) -> Editor:
    home = workdir / "home"
    home.mkdir(parents=True)
    root = workdir / "workspace"
    root.mkdir()
    env = FlashLs(api, home, root).env(api_key=api_key)
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    editor = Editor(client, Session(client, root, "vscode"))

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        editor.questions.append(params.message)
        return types.MessageActionItem(title=editor.answer)

    @client.feature("flash/activeEnvironment")
    def active(params: Any) -> None:
        editor.environments.append({"appRoot": params.appRoot, "environment": params.environment})

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params: None) -> None:
        editor.lens_refreshes += 1

    @client.feature("flash/endpointsChanged")
    def endpoints_changed(params: Any) -> None:
        editor.trees_changed.append(list(params.roots))

    editor.session = await initialize(client, root, "vscode")
    return editor


async def _stop(editor: Editor) -> None:
    await editor.client.shutdown_session()
    await editor.client.stop()


@pytest.fixture(scope="module")
def api() -> Any:
    with RunpodEmulator() as emulator:
        yield emulator


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def editor(
    api: RunpodEmulator, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Editor]:
    started = await _start(api, tmp_path_factory.mktemp("deploy-editor"))
    yield started
    await _stop(started)


def _kinds(reports: list[Any]) -> list[str]:
    return [report.kind for report in reports]


async def test_deploy_from_the_editor(editor: Editor, api: RunpodEmulator) -> None:
    root, uri = editor.app("editorapp")
    await _until(
        lambda: {"appRoot": root.as_posix(), "environment": None} in editor.environments,
        "flash/activeEnvironment when the app is opened",
    )
    result = await editor.execute(
        "flash.deploy",
        {"uri": uri, "env": "staging", "build": {"no_deps": True}},
        token="deploy-1",
    )
    assert result["deployed"] and result["environment"] == "staging"
    [endpoint] = result["endpoints"]
    assert endpoint["name"] == "editorapp-hello" and endpoint["action"] == "create"
    assert endpoint["endpoint_id"] in api.snapshot()["endpoints"]
    assert endpoint["url"]

    reports = await _until(
        lambda: (r := editor.client.progress_reports["deploy-1"]) and r[-1].kind == "end" and r,
        "the end of the deploy's progress",
    )
    assert _kinds(reports)[0] == "begin" and "report" in _kinds(reports)

    await _until(
        lambda: {"appRoot": root.as_posix(), "environment": "staging"} in editor.environments,
        "flash/activeEnvironment after the deploy",
    )
    await _until(lambda: editor.lens_refreshes, "workspace/codeLens/refresh")
    lenses = await editor.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert "Deploy" in titles
    assert "Deployed to staging · just now" in titles
    hover = await editor.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=4, character=12),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert f"deployed in `staging`: {endpoint['url']}" in hover.contents.value


async def test_env_use_switches_and_announces(editor: Editor) -> None:
    root, uri = editor.app("envapp")
    created = await editor.execute("flash.env.create", {"uri": uri, "name": "dev"})
    assert created["environment"]["name"] == "dev"
    result = await editor.execute("flash.env.use", {"uri": uri, "name": "dev"})
    assert result["environment"] == "dev"
    await _until(
        lambda: {"appRoot": root.as_posix(), "environment": "dev"} in editor.environments,
        "flash/activeEnvironment after env use",
    )
    saved = json.loads((root / ".flash" / "environment.json").read_text())
    assert saved["active"] == {root.name: "dev"}
    listed = await editor.execute("flash.env.list", {"uri": uri})
    assert listed["active"] == "dev" and [e["name"] for e in listed["environments"]] == ["dev"]
    current = await editor.execute("flash.env.current", {"uri": uri})
    assert current["environment"] == "dev"


async def test_auth_status_checks_the_key_with_the_api(editor: Editor) -> None:
    _, uri = editor.app("authapp")
    status = await editor.execute("flash.auth.status", {"uri": uri})
    assert status["authenticated"] is True and status["status"] == "valid"
    assert status["source"] == "RUNPOD_API_KEY" and status["shadows"] is None


async def test_production_asks_and_cancel_changes_nothing(
    editor: Editor, api: RunpodEmulator
) -> None:
    _, uri = editor.app("prodapp")
    editor.answer = "Cancel"
    before = len(api.calls)
    result = await editor.execute(
        "flash.deploy", {"uri": uri, "env": "production", "build": {"no_deps": True}}
    )
    assert result == {"deployed": False, "cancelled": True, "environment": "production"}
    assert editor.questions[-1].startswith("Deploy to production?")
    assert not [c.operation for c in api.calls[before:] if c.operation in MUTATIONS]


async def test_confirmed_skips_the_question(editor: Editor, api: RunpodEmulator) -> None:
    root, uri = editor.app("confirmedapp")
    asked = len(editor.questions)
    result = await editor.execute(
        "flash.deploy",
        {"uri": uri, "env": "production", "build": {"no_deps": True}, "confirmed": True},
    )
    assert result["deployed"] and result["environment"] == "production"
    [endpoint] = result["endpoints"]
    assert endpoint["endpoint_id"] in api.snapshot()["endpoints"]
    # The endpoint tree follows: deployed to production, and the request goes there.
    await _until(
        lambda: [root.as_uri()] in editor.trees_changed, "flash/endpointsChanged after deploy"
    )
    [app] = (await editor.execute("flash.endpoints", {"uri": uri}))["apps"]
    [tree] = app["endpoints"]
    assert tree["deployed"]["environment"] == "production"
    assert tree["deployed"]["url"] == endpoint["url"]
    assert tree["deployed"]["endpointId"] == endpoint["endpoint_id"]
    request = await editor.execute(
        "flash.endpoint.request", {"uri": uri, "endpoint": "confirmedapp-hello"}
    )
    assert request["deployed"] and request["url"] == f"{endpoint['url']}/runsync"
    assert request["body"] == {"input": {"who": "world"}}

    changes = len(editor.trees_changed)
    deleted = await editor.execute(
        "flash.env.delete", {"uri": uri, "name": "production", "confirmed": True}
    )
    assert deleted == {"deleted": True, "environment": "production", "endpoints": 1}
    assert len(editor.questions) == asked  # neither asked
    await _until(
        lambda: [root.as_uri()] in editor.trees_changed[changes:],
        "flash/endpointsChanged after env delete",
    )
    [app] = (await editor.execute("flash.endpoints", {"uri": uri}))["apps"]
    assert app["endpoints"][0]["deployed"] is None


async def test_cancelling_a_deploy_stops_it(editor: Editor, api: RunpodEmulator) -> None:
    root, uri = editor.app("cancelapp")
    api.fail("saveEndpoint", kind="timeout", seconds=120)
    token = "deploy-cancel"
    saves = api.count("saveEndpoint")
    try:
        running = asyncio.ensure_future(
            editor.execute(
                "flash.deploy",
                {"uri": uri, "env": "staging", "build": {"no_deps": True}},
                token=token,
            )
        )
        await _until(lambda: api.count("saveEndpoint") > saves, "the deploy to reach saveEndpoint")
        editor.client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
        )
        with pytest.raises(JsonRpcException) as raised:
            await running
        assert raised.value.code == -32800
    finally:
        api.clear_faults()
    for path in (root / ".flash").glob("*.json"):
        json.loads(path.read_text())  # every state file is whole


async def test_a_missing_key_is_one_line(
    api: RunpodEmulator, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    keyless = await _start(api, tmp_path, api_key="")
    try:
        _, uri = keyless.app("nokey")
        status = await keyless.execute("flash.auth.status", {"uri": uri})
        assert status == {"authenticated": False, "message": NO_KEY}
        before = len(keyless.client.messages)
        with pytest.raises(JsonRpcException) as raised:
            await keyless.execute("flash.deploy", {"uri": uri, "build": {"no_deps": True}})
        assert raised.value.code == -32803 and raised.value.message == NO_KEY
        shown = await _until(lambda: keyless.client.messages[before:], "the message")
        assert [(m.type, m.message) for m in shown] == [(types.MessageType.Error, NO_KEY)]
        await asyncio.sleep(0.3)  # the server's stderr is forwarded asynchronously
        assert not [m for m in keyless.client.log_messages if "Traceback" in m.message]
        assert "Traceback" not in capfd.readouterr().err
    finally:
        await _stop(keyless)
