"""The endpoint tree (``flash.endpoints``), the request that calls an endpoint
(``flash.endpoint.request``: body from annotations, classes filled in field by field), the Copy
curl lens, the request in hover, ``code_lens = false`` and ``flash/endpointsChanged``.

The server runs with a package of its own on its PYTHONPATH (a ``TypedDict`` and a dataclass, as
an installed package) and a Runpod key it must never show.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import json
import os
import shlex
import shutil
import tempfile
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

from flash_ls.deploy import state
from flash_ls.server.settings import parse_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

TIMEOUT = 60.0  # jedi's first look at a package on a loaded machine
SECRET = "rpa_THISKEYMUSTNEVERSHOWUP0000000000000000"
SITE = Path(tempfile.mkdtemp(prefix="flash-ls-lsp-site-"))
atexit.register(shutil.rmtree, SITE, ignore_errors=True)
(SITE / "tinypkg").mkdir()
(SITE / "tinypkg" / "__init__.py").write_text(
    textwrap.dedent(
        """
        from dataclasses import dataclass
        from typing import TypedDict


        class Sampling(TypedDict):
            temperature: float
            stop: list[str]


        @dataclass
        class Size:
            width: int
            height: int = 512
        """
    )
)
SERVER_ENV = {
    **{
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RUNPOD_") and k not in ("FLASH_ENV", "PYTHONPATH")
    },
    "PYTHONPATH": str(SITE),
    "RUNPOD_API_KEY": SECRET,
}

MODELS = """
from pydantic import BaseModel, Field


class Address(BaseModel):
    city: str = "Paris"
    zip: str


class Order(BaseModel):
    item: str
    quantity: int = Field(2, ge=1)
    address: Address
    notes: list[str] = []
    parent: "Order | None" = None
"""
WORKER = """
from runpod_flash import Endpoint, GpuGroup
from tinypkg import Sampling, Size

from models import Order


@Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
async def generate(prompt: str, order: Order, sampling: Sampling, size: Size, steps: int = 4):
    return {"image": prompt}
"""
API = """
from runpod_flash import CpuInstanceType, Endpoint

from models import Order

api = Endpoint(name="api", cpu=CpuInstanceType.CPU3C_2_4, env={"GREETING": "héllo😀"})


@api.get("/items/{item_id}")
async def get_item(item_id: int, q: str = "tea", limit: int = 10):
    return {"id": item_id}


@api.post("/orders")
async def create_order(order: Order, priority: bool = False):
    return {"ok": True}
"""
ORDER = {
    "item": "text",
    "quantity": 2,
    "address": {"city": "Paris", "zip": "text"},
    "notes": [],
    "parent": {},  # an Order inside an Order: not expanded again
}
QUEUE_INPUT = {
    "prompt": "text",
    "order": ORDER,
    "sampling": {"temperature": 1.0, "stop": []},
    "size": {"width": 1, "height": 512},
    "steps": 4,
}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, server_env=SERVER_ENV),
    scope="module",
    params=PROFILES,
)
async def lsp_client(
    lsp_client: LanguageClient, request: pytest.FixtureRequest
) -> AsyncIterator[None]:
    changed: list[Any] = []

    refreshes: list[None] = []

    @lsp_client.feature("flash/endpointsChanged")
    def endpoints_changed(params: Any) -> None:
        changed.append(list(params.roots))

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params: None) -> None:
        refreshes.append(params)

    root = request.getfixturevalue("workspace_root")
    lsp_client.flash_session = await initialize(lsp_client, root, request.param)  # type: ignore[attr-defined]
    lsp_client.flash_session.endpoints_changed = changed  # type: ignore[attr-defined]
    lsp_client.flash_session.lens_refreshes = refreshes  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def shop(session: Session) -> dict[str, Any]:
    """An app with a queue endpoint and a load-balanced one, its queue endpoint deployed to
    ``staging`` (the active environment) as a deploy records it in ``.flash/``."""
    root = session.new_app({"models.py": MODELS, "worker.py": WORKER, "api.py": API}, "shop")
    env_id = "env-staging"
    state.record_endpoint(
        root,
        env_id,
        root.name,
        "staging",
        "gpu-worker",
        state.DeployedEndpoint(id="abc123", digest="d", url="https://api.runpod.ai/v2/abc123"),
    )
    state.write_active_environment(root, root.name, "staging")
    return {
        "root": root,
        "worker": session.open(root / "worker.py"),
        "api": session.open(root / "api.py"),
    }


async def _execute(session: Session, command: str, args: dict[str, Any]) -> Any:
    return await asyncio.wait_for(
        session.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[args])
        ),
        TIMEOUT,
    )


async def _until(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """``check()``'s first true value (``check`` may return an awaitable)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _request(
    session: Session, args: dict[str, Any], filled: Callable[[Any], bool] = lambda _: True
) -> dict[str, Any]:
    """The request, asked again until ``filled`` holds: a cold jedi may miss the first budget."""

    async def ask() -> Any:
        found = await _execute(session, "flash.endpoint.request", args)
        return found if filled(found) else None

    result: dict[str, Any] = await _until(ask, f"the request {args}")
    return result


def _units(text: str, profile: str) -> int:
    return len(text.encode("utf-8")) if profile == "neovim" else len(text.encode("utf-16-le")) // 2


def _range(start: tuple[int, int], end: tuple[int, int]) -> dict[str, Any]:
    return {
        "start": {"line": start[0], "character": start[1]},
        "end": {"line": end[0], "character": end[1]},
    }


async def test_the_endpoint_tree(session: Session, shop: dict[str, Any]) -> None:
    root: Path = shop["root"]
    result = await _execute(session, "flash.endpoints", {})
    [app] = [app for app in result["apps"] if app["root"] == root.as_uri()]
    assert app["name"] == root.name
    assert app["environment"] == "staging"
    assert app["environmentSource"] == "active (flash-ls env use)"
    by_name = {endpoint["name"]: endpoint for endpoint in app["endpoints"]}
    assert set(by_name) == {"gpu-worker", "api"}

    worker = by_name["gpu-worker"]
    assert worker["label"] == "gpu-worker"
    assert (worker["kind"], worker["kindLabel"]) == ("queue", "queue-based")
    assert worker["hardware"] == "GPU ADA_24"
    # The decorated function, decorator included (lines 6 to 8 of worker.py).
    body = WORKER.lstrip("\n").split("\n")
    assert worker["location"] == {
        "uri": shop["worker"],
        "range": _range((6, 0), (8, _units(body[8], session.profile))),
    }
    assert worker["routes"] == []
    deployed = worker["deployed"]
    assert deployed["environment"] == "staging" and deployed["endpointId"] == "abc123"
    assert deployed["url"] == "https://api.runpod.ai/v2/abc123"
    assert isinstance(deployed["deployedAt"], float)

    api = by_name["api"]
    assert (api["kind"], api["hardware"]) == ("load-balanced", "CPU cpu3c-2-4 (2 vCPU, 4 GB)")
    assert api["deployed"] is None
    lines = API.lstrip("\n").split("\n")
    # The statement `api = Endpoint(...)`: its end counted in the client's position encoding.
    assert api["location"] == {
        "uri": shop["api"],
        "range": _range((4, 0), (4, _units(lines[4], session.profile))),
    }
    assert api["routes"] == [
        {
            "method": "GET",
            "path": "/items/{item_id}",
            "function": "get_item",
            "location": {"uri": shop["api"], "range": _range((7, 1), (7, len(lines[7])))},
        },
        {
            "method": "POST",
            "path": "/orders",
            "function": "create_order",
            "location": {"uri": shop["api"], "range": _range((12, 1), (12, len(lines[12])))},
        },
    ]


async def test_queue_request_fills_classes_field_by_field(
    session: Session, shop: dict[str, Any]
) -> None:
    found = await _request(
        session,
        {"uri": shop["worker"], "endpoint": "gpu-worker"},
        lambda found: found["body"]["input"]["sampling"] != {},
    )
    url = "https://api.runpod.ai/v2/abc123/runsync"
    assert {k: found[k] for k in ("endpoint", "environment", "deployed", "method", "url")} == {
        "endpoint": "gpu-worker",
        "environment": "staging",
        "deployed": True,
        "method": "POST",
        "url": url,
    }
    # A pydantic model of the app's models.py; a TypedDict and a dataclass of an installed package.
    assert found["body"] == {"input": QUEUE_INPUT}
    words = shlex.split(found["curl"].replace("\\\n", " "))
    assert words[:4] == ["curl", "-X", "POST", url]
    assert "Authorization: Bearer $RUNPOD_API_KEY" in words
    assert SECRET not in found["curl"]


async def test_get_route_puts_parameters_in_the_path_and_query(
    session: Session, shop: dict[str, Any]
) -> None:
    args = {"uri": shop["api"], "endpoint": "api", "route": "GET /items/{item_id}"}
    found = await _execute(session, "flash.endpoint.request", args)
    url = "https://<endpoint-id>.api.runpod.ai/items/1?q=tea&limit=10"
    assert found == {
        "endpoint": "api",
        "route": "GET /items/{item_id}",
        "environment": "staging",
        "deployed": False,
        "method": "GET",
        "url": url,
        "body": None,
        "curl": f"curl -X GET '{url}' \\\n  -H \"Authorization: Bearer $RUNPOD_API_KEY\"",
    }
    # Without a route: the endpoint's first.
    first = await _execute(
        session, "flash.endpoint.request", {"uri": shop["api"], "endpoint": "api"}
    )
    assert first == found


async def test_post_route_sends_a_json_body(session: Session, shop: dict[str, Any]) -> None:
    found = await _request(
        session,
        {"uri": shop["api"], "endpoint": "api", "route": "post /orders"},
        lambda found: found["body"]["order"] != {},
    )
    assert (found["method"], found["url"]) == ("POST", "https://<endpoint-id>.api.runpod.ai/orders")
    assert found["body"] == {"order": ORDER, "priority": False}
    assert found["curl"].endswith("-d '" + json.dumps(found["body"]) + "'")


async def test_requests_that_cannot_be_made(session: Session, shop: dict[str, Any]) -> None:
    for args, message in (
        ({"endpoint": "nope"}, f"No endpoint 'nope' in {shop['root'].name}"),
        ({"endpoint": "api", "route": "PUT /x"}, "'api' has no route PUT /x"),
        (
            {"endpoint": "gpu-worker", "route": "GET /"},
            "'gpu-worker' is queue-based: it has no routes",
        ),
    ):
        with pytest.raises(JsonRpcException) as raised:
            await _execute(session, "flash.endpoint.request", {"uri": shop["api"], **args})
        assert (raised.value.code, raised.value.message) == (-32803, message)
    with pytest.raises(JsonRpcException) as raised:
        await _execute(session, "flash.endpoint.request", {"uri": shop["api"]})
    assert raised.value.code == -32602


async def _lenses(session: Session, uri: str) -> list[tuple[int, str, str, list[Any]]]:
    result = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return [
        (
            lens.range.start.line,
            lens.command.title,
            lens.command.command,
            list(lens.command.arguments or []),
        )
        for lens in result or []
        if lens.command
    ]


async def test_copy_curl_lenses(session: Session, shop: dict[str, Any]) -> None:
    worker = [lens for lens in await _lenses(session, shop["worker"]) if lens[1] == "Copy curl"]
    assert worker == [
        (
            6,
            "Copy curl",
            "flash.endpoint.request",
            [{"uri": shop["worker"], "endpoint": "gpu-worker"}],
        )
    ]
    api = [lens for lens in await _lenses(session, shop["api"]) if lens[1] == "Copy curl"]
    assert api == [
        (
            line,
            "Copy curl",
            "flash.endpoint.request",
            [{"uri": shop["api"], "endpoint": "api", "route": route}],
        )
        for line, route in ((7, "GET /items/{item_id}"), (12, "POST /orders"))
    ]
    # What a plain client does with the lens: run its command.
    found = await _execute(session, api[1][2], api[1][3][0])
    assert found["route"] == "POST /orders" and found["method"] == "POST"


async def test_code_lens_false_gives_no_lenses(session: Session, shop: dict[str, Any]) -> None:
    assert parse_settings({"code-lens": False}).code_lens is False
    assert parse_settings({"codeLens": "no"}).problems == [
        "flash-ls settings: `code_lens` must be true or false, not 'no'"
    ]

    async def lenses() -> list[Any]:
        return await _lenses(session, shop["worker"])

    refreshes: list[None] = session.lens_refreshes  # type: ignore[attr-defined]
    assert await lenses()
    before = len(refreshes)
    try:
        await _reconfigure(session, {"codeLens": False})
        await _until(lambda: _none(lenses()), "no lenses")
    finally:
        await _reconfigure(session, {})
    assert await _until(lenses, "the lenses again")
    if session.profile != "neovim":  # VS Code is told to ask again (Neovim cannot be)
        await _until(lambda: len(refreshes) >= before + 2, "workspace/codeLens/refresh")


async def _none(lenses: Any) -> bool:
    return not await lenses


async def _reconfigure(session: Session, settings: dict[str, Any]) -> None:
    session.client.set_configuration(settings, section="flash-ls")
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"flash-ls": settings})
    )
    await asyncio.sleep(0.05)


async def _hover_text(session: Session, uri: str, line: int, character: int) -> str:
    result = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_hover_shows_the_request_not_the_key(session: Session, shop: dict[str, Any]) -> None:
    async def hover() -> str | None:
        text = await _hover_text(session, shop["worker"], 7, 12)
        return text if '"sampling": {"temperature"' in text else None

    text = await _until(hover, "the hover with the request")
    url = "https://api.runpod.ai/v2/abc123/runsync"
    assert "**Request in `staging`**" in text
    assert f"`POST {url}`" in text
    assert f"```sh\ncurl -X POST {url} \\\n" in text
    assert "$RUNPOD_API_KEY" in text and SECRET not in text
    # On a route: that route's request, with a placeholder while it is not deployed.
    route = await _hover_text(session, shop["api"], 8, 12)
    assert "(not deployed in `staging`: `<endpoint-id>` stands in)" in route
    assert "`GET https://<endpoint-id>.api.runpod.ai/items/1?q=tea&limit=10`" in route


SMALL = """
from runpod_flash import Endpoint


@Endpoint(name="small")
async def small(text: str):
    return text


def helper():
    return 1
"""
EXTRA = """

@Endpoint(name="extra")
async def extra(n: int):
    return n
"""


async def test_endpoints_changed_only_when_the_tree_changes(session: Session) -> None:
    changed: list[list[str]] = session.endpoints_changed  # type: ignore[attr-defined]
    root = session.new_app({"main.py": SMALL}, "notify")
    uri = session.open(root / "main.py")
    root_uri = root.as_uri()

    async def notified(after: int) -> bool:
        return any(root_uri in roots for roots in changed[after:])

    await _until(lambda: notified(0), "flash/endpointsChanged for a new app")
    await session.diagnostics(uri)
    before = len(changed)
    # A change outside every endpoint (the helper's body): the tree is the same.
    session.change(uri, session.texts[uri].replace("return 1", "return 2"))
    await session.diagnostics(uri)
    await asyncio.sleep(0.5)
    assert not await notified(before)
    session.change(uri, session.texts[uri] + EXTRA)
    await _until(lambda: notified(before), "flash/endpointsChanged for the new endpoint")
    tree = await _execute(session, "flash.endpoints", {"uri": uri})
    [app] = tree["apps"]
    assert [e["name"] for e in app["endpoints"]] == ["small", "extra"]
