"""The endpoint tree (``flash.endpoints``) of apps written with the app API of ``runpod``
(``runpod.App``, ``@app.queue/api/task``), through the real server: each resource with its name,
kind, SDK, App, hardware, declaration and routes; a project using both SDKs lists both; a request
for an app API resource (``flash.endpoint.request``, which flash-ls builds for runpod_flash
endpoints only) is a one-line error, never a URL taken from runpod_flash's deploy state.
"""

from __future__ import annotations

import asyncio
import inspect
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_session import PROFILES, SERVER_COMMAND, Session, initialize
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from flash_ls import platform
from flash_ls.deploy import state

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 60.0  # a runpod_flash request's first look with jedi, on a loaded machine
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "app_api"

MAIN = textwrap.dedent(
    """
    import runpod
    from runpod import App

    app = App("demo")


    @app.queue(name="transcribe", gpu="H100")
    async def transcribe(audio_url: str) -> dict:
        return {"url": audio_url}


    @app.api(cpu="cpu5c-2-4")
    class Inference:
        @runpod.init
        def setup(self) -> None:
            self.ready = True

        @runpod.post("/generate")
        async def generate(self, body: dict) -> dict:
            return body

        @runpod.get("/status")
        def status(self) -> dict:
            return {"ok": self.ready}


    @app.task(name="finetune", gpu="B200", gpu_count=2)
    def finetune(steps: int) -> None:
        print(steps)
    """
).lstrip("\n")
LINES = MAIN.split("\n")


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND),
    scope="module",
    params=PROFILES,
)
async def lsp_client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    changed: list[list[str]] = []

    @lsp_client.feature("flash/endpointsChanged")
    def endpoints_changed(params: Any) -> None:
        changed.append(list(params.roots))

    root = request.getfixturevalue("workspace_root")
    lsp_client.flash_session = await initialize(lsp_client, root, request.param)  # type: ignore[attr-defined]
    lsp_client.flash_session.endpoints_changed = changed  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def demo(session: Session) -> dict[str, Any]:
    """An app API app whose ``.flash/`` records a runpod_flash endpoint deployed to ``staging``
    under one of its resources' names: that state is not the resource's."""
    root = session.new_app({"main.py": MAIN}, "demo")
    state.record_endpoint(
        root,
        "env-staging",
        root.name,
        "staging",
        "transcribe",
        state.DeployedEndpoint(id="abc123", digest="d", url="https://api.runpod.ai/v2/abc123"),
    )
    state.write_active_environment(root, root.name, "staging")
    return {"root": root, "main": session.open(root / "main.py")}


@pytest.fixture(scope="module")
def mixed(session: Session) -> dict[str, Any]:
    """``fixtures/app_api/mixed_sdks``: a runpod_flash endpoint, an App with a queue resource and
    a legacy serverless worker (no App)."""
    source = FIXTURES / "mixed_sdks"
    files = {path.name: path.read_text() for path in sorted(source.glob("*.py"))}
    root = session.new_app(files, "mixed")
    return {"root": root, "uri": session.uri(root / "app_api.py")}


async def _execute(session: Session, command: str, args: dict[str, Any]) -> Any:
    return await asyncio.wait_for(
        session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[args])
        ),
        TIMEOUT,
    )


async def _until(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _tree(session: Session, root: Path, uri: str | None = None) -> dict[str, Any]:
    result = await _execute(session, "flash.endpoints", {"uri": uri} if uri else {})
    [app] = [app for app in result["apps"] if app["root"] == root.as_uri()]
    return app


def _line(needle: str, text: list[str] = LINES) -> int:
    return next(number for number, line in enumerate(text) if needle in line)


def _range(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {
        "start": {"line": start[0], "character": start[1]},
        "end": {"line": end[0], "character": end[1]},
    }


def _statement(first: str, last: str, text: list[str] = LINES) -> dict[str, Any]:
    """From column 0 of the line of ``first`` to the end of the line of ``last`` (ASCII: the same
    in every position encoding)."""
    end = _line(last, text)
    return _range((_line(first, text), 0), (end, len(text[end])))


def _decorator(needle: str) -> dict[str, Any]:
    """A route marker's decorator, without its ``@``."""
    line = _line(needle)
    return _range((line, LINES[line].index("@") + 1), (line, len(LINES[line])))


async def test_the_tree_lists_each_resource_with_its_app(
    session: Session, demo: dict[str, Any]
) -> None:
    app = await _tree(session, demo["root"])
    # The app's environment is flash-ls's (runpod_flash's ``.flash/``), as for any app.
    assert (app["name"], app["environment"]) == (demo["root"].name, "staging")
    uri = demo["main"]
    queue, api, task = app["endpoints"]
    assert queue == {
        "name": "transcribe",
        "label": "transcribe",
        "sdk": platform.APP_API_MODULE,
        "app": "demo",
        "kind": "queue",
        "kindLabel": "queue-based",
        "hardware": "GPU H100",
        # The decorated function, its decorator included.
        "location": {"uri": uri, "range": _statement("@app.queue", 'return {"url"')},
        # Never the runpod_flash endpoint of that name that .flash/ records.
        "deployed": None,
        "routes": [],
    }
    assert api == {
        "name": "Inference",  # no name=: the class's name
        "label": "Inference",
        "sdk": platform.APP_API_MODULE,
        "app": "demo",
        "kind": "load-balanced",
        "kindLabel": "load-balanced",
        "hardware": "CPU cpu5c-2-4 (2 vCPU, 4 GB)",
        "location": {"uri": uri, "range": _statement("@app.api", '"ok": self.ready')},
        "deployed": None,
        # The class's routes, each served by its method (the @runpod.init hook is no route).
        "routes": [
            {
                "method": "POST",
                "path": "/generate",
                "function": "generate",
                "location": {"uri": uri, "range": _decorator("@runpod.post")},
            },
            {
                "method": "GET",
                "path": "/status",
                "function": "status",
                "location": {"uri": uri, "range": _decorator("@runpod.get")},
            },
        ],
    }
    assert task == {
        "name": "finetune",
        "label": "finetune",
        "sdk": platform.APP_API_MODULE,
        "app": "demo",
        "kind": "task",
        "kindLabel": "task",
        "hardware": "GPU B200",
        "location": {"uri": uri, "range": _statement("@app.task", "print(steps)")},
        "deployed": None,
        "routes": [],
    }
    # Asked about the app by one of its files: the same entry.
    assert await _tree(session, demo["root"], uri) == app


async def test_an_app_api_app_notifies_its_tree(session: Session, demo: dict[str, Any]) -> None:
    """Not a Flash app (no runpod_flash), its checks still send ``flash/endpointsChanged``: a
    client's view refreshes when a resource is added."""
    changed: list[list[str]] = session.endpoints_changed  # type: ignore[attr-defined]
    root_uri = demo["root"].as_uri()
    await session.diagnostics(demo["main"])
    await _tree(session, demo["root"])  # the client has this tree: the next one differs
    before = len(changed)
    added = MAIN + '\n\n@app.queue(name="extra", cpu="cpu3c-2-4")\ndef extra(n: int) -> int:\n'
    session.change(demo["main"], added + "    return n\n")
    await _until(
        lambda: any(root_uri in roots for roots in changed[before:]), "the tree with 'extra'"
    )
    app = await _tree(session, demo["root"])
    assert [e["name"] for e in app["endpoints"]] == ["transcribe", "Inference", "finetune", "extra"]
    assert app["endpoints"][-1]["hardware"] == "CPU cpu3c-2-4 (2 vCPU, 4 GB)"
    session.change(demo["main"], MAIN)
    await session.diagnostics(demo["main"])


async def test_a_request_for_a_resource_is_a_one_line_error(
    session: Session, demo: dict[str, Any]
) -> None:
    sdk = f"{platform.APP_API_MODULE}.{platform.APP_CLASS}"
    for args in (
        {"endpoint": "transcribe"},  # not the runpod_flash URL .flash/ records for the name
        {"endpoint": "Inference"},
        {"endpoint": "Inference", "route": "POST /generate"},
        {"endpoint": "finetune"},
    ):
        with pytest.raises(JsonRpcException) as raised:
            await _execute(session, "flash.endpoint.request", {"uri": demo["main"], **args})
        message = (
            f"'{args['endpoint']}' is a resource of {sdk} 'demo': flash-ls builds requests "
            f"for {platform.SDK_MODULE} endpoints only"
        )
        assert (raised.value.code, raised.value.message) == (-32803, message)
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.endpoint.request", {"uri": demo["main"], "endpoint": "x"})
    assert raised.value.message == f"No endpoint 'x' in {demo['root'].name}"


async def test_a_project_using_both_sdks_lists_both(
    session: Session, mixed: dict[str, Any]
) -> None:
    app = await _tree(session, mixed["root"])
    flash, resource = app["endpoints"]  # the legacy serverless worker declares nothing
    flash_lines = (FIXTURES / "mixed_sdks" / "flash_worker.py").read_text().split("\n")
    assert flash == {
        "name": "flash-worker",
        "label": "flash-worker",
        "sdk": platform.SDK_MODULE,  # no `app`: runpod_flash endpoints have none
        "kind": "queue",
        "kindLabel": "queue-based",
        "hardware": "GPU ADA_24",
        "location": {
            "uri": mixed["uri"].replace("app_api.py", "flash_worker.py"),
            "range": _statement("@Endpoint", "return x", flash_lines),
        },
        "deployed": None,
        "routes": [],
    }
    app_lines = (FIXTURES / "mixed_sdks" / "app_api.py").read_text().split("\n")
    assert resource == {
        "name": "app_work",  # derived from the function
        "label": "app_work",
        "sdk": platform.APP_API_MODULE,
        "app": "mixed-app",
        "kind": "queue",
        "kindLabel": "queue-based",
        "hardware": "GPU ADA_24",
        "location": {"uri": mixed["uri"], "range": _statement("@app.queue", "return x", app_lines)},
        "deployed": None,
        "routes": [],
    }
    # The runpod_flash endpoint is still called (not deployed: the placeholder id); the
    # resource is not.
    found = await _execute(
        session, "flash.endpoint.request", {"uri": mixed["uri"], "endpoint": "flash-worker"}
    )
    assert (found["endpoint"], found["deployed"], found["method"]) == (
        "flash-worker",
        False,
        "POST",
    )
    assert found["url"].endswith("/<endpoint-id>/runsync")
    with pytest.raises(JsonRpcException) as raised:
        await _execute(
            session, "flash.endpoint.request", {"uri": mixed["uri"], "endpoint": "app_work"}
        )
    assert raised.value.message.startswith("'app_work' is a resource of ")
    assert "\n" not in raised.value.message
