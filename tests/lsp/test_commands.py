"""Commands (JSON in and out), work-done progress, errors that leave the server serving."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsp_session import Session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

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
        "flash.env.list",
        "flash.env.use",
        "flash.env.create",
        "flash.env.delete",
        "flash.app.list",
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
    try:
        result = await _execute(session, "flash.manifest.preview", {"uri": uri, "endpoint": "api"})
    except JsonRpcException as error:
        assert "not available yet: build engine" in error.message
        pytest.skip("the build engine is not there yet")
    assert result["endpoint"] == "api"
    assert result["manifest"]["resources"]["api"]["resource_type"] == "CpuLiveLoadBalancer"
    assert result["entry"]["routes"] == {"POST /run": "run"}
    assert result["entry"]["functions"] == ["run"]


async def test_manifest_preview_of_a_broken_app_is_a_clear_error(session: Session) -> None:
    root = session.new_app({"main.py": LB})  # FL101/FL102-style problems block the manifest?
    uri = session.uri(root / "main.py")
    try:
        result = await _execute(session, "flash.manifest.preview", {"uri": uri})
    except JsonRpcException as error:
        assert error.code == -32803 and error.message
    else:
        assert "resources" in result["manifest"]


async def test_build_reports_progress_and_returns_the_result(session: Session) -> None:
    root = session.new_app({"main.py": LB.split("@Endpoint(name=")[0]})
    token = "build-token"
    session.client.progress_reports.setdefault(token, [])
    try:
        result = await _execute(
            session, "flash.build", {"uri": session.uri(root / "main.py")}, token=token
        )
    except JsonRpcException as error:
        assert "not available yet: build engine (issue: build)" in error.message
        pytest.skip("the build engine is not there yet")
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
    assert (
        "unknown no_such_option" in raised.value.message
        or "not available yet" in raised.value.message
    )
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.build", {"uri": uri})
    error = raised.value
    if "not available yet" in error.message:
        return
    assert error.code == -32803 and "block the build" in error.message
    assert isinstance(error.data, dict) and {d["code"] for d in error.data["diagnostics"]} >= {
        "FL102"
    }


@pytest.mark.parametrize(
    "command",
    [
        "flash.deploy",
        "flash.env.list",
        "flash.env.use",
        "flash.env.create",
        "flash.env.delete",
        "flash.app.list",
    ],
)
async def test_deploy_commands_are_not_available_yet(session: Session, command: str) -> None:
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, command, {"name": "dev"})
    assert raised.value.code == -32803
    assert raised.value.message == f"{command}: not available yet: deploy engine (issue: deploy)"


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
