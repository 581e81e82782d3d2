"""Commands (JSON in and out), work-done progress, errors that leave the server serving."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_session import SERVER_COMMAND, Session, capabilities
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

LB = """
from runpod_flash import Endpoint

api = Endpoint(name="api", cpu="cpu3c-1-2")

@api.post("/run")
async def run(x: int):
    return x

@Endpoint(name="tts")
async def a(text: str):
    return text

@Endpoint(name="tts")
async def b(text: str):
    return text
"""


A_WORKER = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef a(): ...\n'


async def _execute(
    session: Session, command: str, *arguments: Any, token: str | None = None
) -> Any:
    return await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=command, arguments=list(arguments), work_done_token=token
        )
    )


def _kinds(reports: list[Any]) -> list[str]:
    return [report.kind for report in reports]


async def test_capabilities(session: Session) -> None:
    assert session.init_result is not None
    capabilities = session.init_result.capabilities
    assert capabilities.execute_command_provider is not None
    assert set(capabilities.execute_command_provider.commands) == {
        "flash.check",
        "flash.build",
        "flash.deploy",
        "flash.manifest.preview",
        "flash.manifest.show",
        "flash.env.list",
        "flash.env.use",
        "flash.env.create",
        "flash.env.delete",
        "flash.env.current",
        "flash.app.list",
        "flash.auth.status",
        "flash.endpoints",
        "flash.endpoint.request",
    }
    assert capabilities.position_encoding == ("utf-8" if session.profile == "neovim" else "utf-16")
    assert (capabilities.diagnostic_provider is not None) == session.pull
    assert capabilities.code_action_provider is not None
    assert (
        capabilities.hover_provider
        and capabilities.code_lens_provider
        and capabilities.completion_provider
    )
    assert (
        session.init_result.server_info is not None
        and session.init_result.server_info.name == "flash-ls"
    )


async def test_check_returns_findings_and_reports_progress(session: Session) -> None:
    root = session.new_app({"main.py": LB})
    uri = session.uri(root / "main.py")
    before = set(session.client.progress_reports)
    result = await _execute(session, "flash.check", {"uri": uri})
    assert [app["app"] for app in result["apps"]] == [root.name]
    found = result["apps"][0]["diagnostics"]
    fl101 = next(item for item in found if item["code"] == "FL101")
    assert fl101["path"] == "main.py" and fl101["line"] == 13 and fl101["uri"] == uri
    assert (
        fl101["fix"]["message"] == 'Rename the endpoint to "tts-b"'
        and fl101["fix"]["safe"] is False
    )
    assert result["counts"]["warning"] >= 1
    # Server-created progress: begin, reports, end.
    await asyncio.sleep(0.1)
    new = [
        reports
        for token, reports in session.client.progress_reports.items()
        if token not in before
        and reports
        and getattr(reports[0], "title", None) == "flash-ls: check"
    ]
    assert len(new) == 1, "no work-done progress was created"
    reports = new[0]
    assert _kinds(reports)[0] == "begin" and _kinds(reports)[-1] == "end"
    assert reports[0].cancellable


async def test_check_renders_findings_as_the_cli_json_output_does(session: Session) -> None:
    # One rendering for both: the server adds only each finding's URI (paths are from the root).
    root = session.new_app({"main.py": LB})
    result = await _execute(session, "flash.check", {"path": str(root)})
    served = [
        {key: value for key, value in item.items() if key != "uri"}
        for item in result["apps"][0]["diagnostics"]
    ]
    cli = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "flash_ls", "check", "--output-format", "json", "."),
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "FLASH_LS_CACHE_DIR": str(root.parent / f"{root.name}-cache")},
    )
    printed, _ = await asyncio.wait_for(cli.communicate(), timeout=120)
    assert any(item["fix"] for item in served)
    assert sorted(served, key=json.dumps) == sorted(json.loads(printed), key=json.dumps)


async def test_check_uses_the_client_token(session: Session) -> None:
    root = session.new_app({"main.py": LB})
    token = "client-token-1"
    session.client.progress_reports.setdefault(token, [])
    await _execute(session, "flash.check", {"path": str(root)}, token=token)
    await asyncio.sleep(0.1)
    assert _kinds(session.client.progress_reports[token])[0] == "begin"
    assert _kinds(session.client.progress_reports[token])[-1] == "end"


async def test_check_everything_publishes(session: Session) -> None:
    root = session.new_app({"main.py": LB})
    result = await _execute(session, "flash.check")
    assert root.name in [app["app"] for app in result["apps"]]
    if not session.pull:
        uri = session.uri(root / "main.py")
        assert session.last_published(uri) is not None


async def test_manifest_preview(session: Session) -> None:
    root = session.new_app({"main.py": LB.split("@Endpoint(name=")[0]})
    uri = session.uri(root / "main.py")
    result = await _execute(session, "flash.manifest.preview", {"uri": uri, "endpoint": "api"})
    assert result["endpoint"] == "api"
    assert result["manifest"]["resources"]["api"]["resource_type"] == "CpuLiveLoadBalancer"
    assert result["entry"]["routes"] == {"POST /run": "run"}
    assert result["entry"]["functions"] == ["run"]


TTS = '\n@Endpoint(name="tts")\nasync def speak(text: str):\n    return text\n'


async def _manifest_lens(session: Session, uri: str, endpoint: str) -> types.Command:
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return next(
        lens.command
        for lens in lenses or []
        if lens.command is not None
        and lens.command.title == "Show manifest entry"
        and (lens.command.arguments or [{}])[0].get("endpoint") == endpoint
    )


async def test_show_manifest_entry_opens_a_read_only_manifest(session: Session) -> None:
    text = LB.split("@Endpoint(name=")[0] + TTS
    root = session.new_app({"main.py": text})
    uri = session.open(root / "main.py")
    command = await _manifest_lens(session, uri, "tts")
    before = len(session.client.shown_documents)
    result = await _execute(session, command.command, *(command.arguments or []))
    [shown] = session.client.shown_documents[before:]
    assert result["shown"] and shown.uri == result["uri"] and shown.take_focus
    path = Path(result["path"])
    written = path.read_text()
    assert json.loads(written)["resources"]["tts"]["resource_type"] == "LiveServerless"
    assert shown.selection is not None
    line = written.split("\n")[shown.selection.start.line]
    start, end = shown.selection.start.character, shown.selection.end.character
    assert line.startswith('    "tts": {') and line[start:end] == '"tts"'
    assert not path.stat().st_mode & 0o222  # read-only: a view, not something to edit
    assert root not in path.parents and not (root / ".flash").exists()  # .flash/ is the build's

    # The buffer's text, saved or not, is what is shown.
    session.change(uri, text.replace('name="tts"', 'name="tts", workers=3'))
    again = await _execute(session, command.command, *(command.arguments or []))
    assert again["path"] != result["path"]
    assert json.loads(Path(again["path"]).read_text())["resources"]["tts"]["workersMax"] == 3


async def test_show_manifest_entry_falls_back_to_a_message(session: Session) -> None:
    root = session.new_app({"main.py": A_WORKER})
    uri = session.open(root / "main.py")
    command = await _manifest_lens(session, uri, "worker")
    features = session.client.protocol.fm.features
    original = features[types.WINDOW_SHOW_DOCUMENT]
    features[types.WINDOW_SHOW_DOCUMENT] = lambda params: types.ShowDocumentResult(success=False)
    before = len(session.client.messages)
    try:
        result = await _execute(session, command.command, *(command.arguments or []))
    finally:
        features[types.WINDOW_SHOW_DOCUMENT] = original
    assert not result["shown"] and result["entry"]["functions"] == ["a"]
    assert await _shown(session, before) == [
        (types.MessageType.Info, f"Manifest entry 'worker' (read-only): {result['path']}")
    ]


async def test_manifest_preview_of_an_app_with_warnings_is_what_the_build_writes(
    session: Session,
) -> None:
    # FL101 (a warning): the official build merges the two "tts" functions into one resource.
    root = session.new_app({"main.py": LB})
    uri = session.uri(root / "main.py")
    result = await _execute(session, "flash.manifest.preview", {"uri": uri})
    resources = result["manifest"]["resources"]
    assert sorted(resources) == ["api", "tts"]
    assert [f["name"] for f in resources["tts"]["functions"]] == ["a", "b"]


async def test_manifest_preview_of_a_broken_app_is_a_clear_error(session: Session) -> None:
    # FL102 (an error): the official build fails, and so does the preview, saying why.
    root = session.new_app({"a.py": A_WORKER, "b.py": A_WORKER.replace("def a()", "def b()")})
    uri = session.uri(root / "a.py")
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.manifest.preview", {"uri": uri})
    error = raised.value
    assert error.code == -32803
    assert "endpoint 'worker' is defined in multiple files: a.py, b.py" in error.message


async def test_build_reports_progress_and_returns_the_result(session: Session) -> None:
    root = session.new_app({"main.py": LB.split("@Endpoint(name=")[0]})
    token = "build-token"
    session.client.progress_reports.setdefault(token, [])
    result = await _execute(
        session, "flash.build", {"uri": session.uri(root / "main.py")}, token=token
    )
    assert result["artifact_path"].endswith(".flash/artifact.tar.gz")
    assert (root / ".flash" / "flash_manifest.json").is_file()
    await asyncio.sleep(0.1)
    reports = session.client.progress_reports[token]
    assert _kinds(reports)[0] == "begin" and _kinds(reports)[-1] == "end"
    messages = [getattr(r, "message", None) for r in reports]
    assert "check" in messages and "package" in messages


async def test_build_errors_are_clear(session: Session) -> None:
    root = session.new_app({"a.py": A_WORKER, "b.py": A_WORKER.replace("def a()", "def b()")})
    uri = session.uri(root / "a.py")
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.build", {"uri": uri, "no_such_option": 1})
    assert "unknown no_such_option" in raised.value.message
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.build", {"uri": uri})
    error = raised.value
    assert error.code == -32803 and "block the build" in error.message
    assert isinstance(error.data, dict) and {d["code"] for d in error.data["diagnostics"]} >= {
        "FL102"
    }


async def test_build_of_a_runpod_app_project_is_refused_not_an_empty_artifact(
    session: Session,
) -> None:
    # runpod.App (runpod 2.0) resources are packed by `rp flash deploy`; an empty runpod_flash
    # build (and a deploy of it) would be wrong, so the command says where to go instead.
    source = 'import runpod\n\napp = runpod.App("svc")\n\n\n@app.queue(gpu="H100")\ndef embed(x):\n    return x\n'
    root = session.new_app({"main.py": source})
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.build", {"uri": session.uri(root / "main.py")})
    assert raised.value.code == -32803
    assert raised.value.message.endswith(
        "uses runpod.App: build and deploy it with `rp flash deploy`"
    )
    assert not (root / ".flash").exists()


async def _shown(session: Session, before: int) -> list[tuple[types.MessageType, str]]:
    """The ``window/showMessage`` notifications since ``before``, once the first arrived."""
    for _ in range(100):
        if len(session.client.messages) > before:
            break
        await asyncio.sleep(0.02)
    return [(m.type, m.message) for m in session.client.messages[before:]]


async def test_user_errors_are_one_line_messages_and_error_answers(
    session: Session, capfd: pytest.CaptureFixture[str]
) -> None:
    app = session.new_app({"main.py": LB.split("@Endpoint(name=")[0]})
    uri = session.uri(app / "main.py")
    without_endpoints = session.new_app({"main.py": "from runpod_flash import GpuGroup\n"})
    error, warning = types.MessageType.Error, types.MessageType.Warning
    cases: list[tuple[str, list[Any], types.MessageType]] = [
        ("flash.check", [1, 2], error),
        ("flash.check", [{"uri": 5}], error),
        ("flash.check", [{"path": str(app / "missing")}], error),
        ("flash.check", [{"uri": "untitled:Untitled-9"}], error),  # not open
        ("flash.build", [{"uri": uri, "no_such_option": 1}], error),
        ("flash.manifest.preview", [{"uri": uri, "endpoint": "nope"}], warning),
        ("flash.manifest.show", [{"uri": session.uri(without_endpoints / "main.py")}], warning),
        ("flash.env.use", [{"uri": uri}], error),
        ("flash.deploy", [{"uri": uri, "build": []}], error),
    ]
    capfd.readouterr()
    logged = len(session.client.log_messages)
    for command, arguments, kind in cases:
        before = len(session.client.messages)
        with pytest.raises(JsonRpcException) as raised:
            await _execute(session, command, *arguments)
        assert raised.value.code in (-32602, -32803), command
        assert await _shown(session, before) == [(kind, raised.value.message)], command
        assert "\n" not in raised.value.message
    await asyncio.sleep(0.3)  # the server's stderr is forwarded asynchronously
    assert not [m for m in session.client.log_messages[logged:] if "Traceback" in m.message]
    assert "Traceback" not in capfd.readouterr().err


async def test_bad_arguments_are_an_error_and_the_server_keeps_serving(session: Session) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.check", 1, 2)
    assert "one JSON object" in raised.value.message
    with pytest.raises(JsonRpcException):
        await _execute(session, "flash.check", {"uri": 5})
    root = session.new_app({"main.py": LB})
    uri = session.open(root / "main.py")
    assert "FL101" in await session.codes(uri, lambda c: "FL101" in c)


async def test_indexing_reported_progress_at_startup(session: Session) -> None:
    titles = [
        reports[0].title
        for reports in session.client.progress_reports.values()
        if reports and reports[0].kind == "begin"
    ]
    assert "flash-ls: indexing" in titles


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND), scope="module")
async def plain_client(client: LanguageClient, workspace_root: Path) -> AsyncIterator[None]:
    """A client that cannot open documents for the server (no ``window.showDocument``)."""
    caps = capabilities("neovim")
    assert caps.window is not None
    caps.window.show_document = None
    root = workspace_root / "plain"
    root.mkdir()
    client.flash_session = Session(client, root, "neovim")  # type: ignore[attr-defined]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"debounce_ms": 30},
        )
    )
    yield
    await client.shutdown_session()


async def test_show_manifest_entry_without_show_document_says_where(
    plain_client: LanguageClient,
) -> None:
    session: Session = plain_client.flash_session  # type: ignore[attr-defined]
    root = session.new_app({"main.py": A_WORKER})
    before = len(session.client.messages)
    result = await _execute(
        session, "flash.manifest.show", {"uri": session.uri(root / "main.py"), "endpoint": "worker"}
    )
    assert not result["shown"] and not session.client.shown_documents
    assert json.loads(Path(result["path"]).read_text())["resources"]["worker"]
    assert await _shown(session, before) == [
        (types.MessageType.Info, f"Manifest entry 'worker' (read-only): {result['path']}")
    ]
