"""What the curl examples send: values from parameters (literal defaults, annotations), classes of
the app or of the app's virtualenv filled in field by field, path and query parameters.

The class lookups use jedi with a generous budget (a cold jedi on a loaded machine); the budget
itself is tested with none at all.
"""

from __future__ import annotations

import json
import shlex
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest
from apps import load_app, write_app

from flash_ls.build.manifest import build_manifest
from flash_ls.deploy import examples
from flash_ls.project import annotations
from flash_ls.project.annotations import Examples
from flash_ls.project.app import App

BUDGET = 60.0
MODELS = """
from enum import Enum

from pydantic import BaseModel, Field


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Base(BaseModel):
    id: int


class Address(Base):
    city: str = "Paris"
    zip_code: str = Field(alias="zip")
    _secret: str = "hidden"


class Node(BaseModel):
    name: str
    color: Color
    child: "Node | None" = None
    address: Address | None = None
    tags: list[str] = Field(default_factory=list)
"""
WORKER = """
from runpod_flash import Endpoint
from tinypkg import Sampling, Size

from models import Node


@Endpoint(name="worker")
async def run(node: Node, sampling: Sampling, size: "Size", nodes: list[Node], n: int = 3):
    return {}
"""
API = """
from runpod_flash import Endpoint

api = Endpoint(name="api", cpu="cpu3c-1-2")


@api.get("/items/{item_id}")
async def read(item_id: int, q: str = "it's", tags: list[str] = ["a", "b"], full: bool = False):
    return {}


@api.delete("/items/{item_id}")
async def remove(item_id: int, reason: str):
    return {}


@api.put("/items/{item_id}")
async def update(item_id: int, name: str, price: float = 2.5):
    return {}
"""
TINYPKG = """
from dataclasses import dataclass, field
from typing import ClassVar, TypedDict


class Sampling(TypedDict):
    temperature: float
    stop: list[str]


@dataclass
class Size:
    kind: ClassVar[str] = "size"
    width: int
    height: int = 512
    labels: dict = field(default_factory=dict)
"""
NODE = {
    "name": "text",
    "color": "red",
    "child": {},  # a Node inside a Node: not expanded again
    "address": {"id": 1, "city": "Paris", "zip": "text"},
    "tags": [],
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    """An app with its own .venv holding ``tinypkg`` (a package flash-ls's Python lacks)."""
    root = write_app(
        tmp_path_factory.mktemp("examples") / "shop",
        {"models.py": MODELS, "worker.py": WORKER, "api.py": API},
    )
    venv.create(root / ".venv", with_pip=False, symlinks=sys.platform != "win32")
    purelib = sysconfig.get_path(
        "purelib", vars={"base": str(root / ".venv"), "platbase": str(root / ".venv")}
    )
    write_app(Path(purelib) / "tinypkg", {"__init__.py": TINYPKG, "pyproject.toml": ""})
    return load_app(root)


def _resource(app: App, name: str) -> Any:
    return build_manifest(app)["resources"][name]


def test_queue_input_fills_classes_of_the_app_and_its_venv(app: App) -> None:
    values = examples.examples_for(app, budget=BUDGET)
    call = examples.queue_call(app, _resource(app, "worker"), "https://x/v2/id", examples=values)
    assert (call.method, call.url) == ("POST", "https://x/v2/id/runsync")
    assert call.body == {
        "input": {
            "node": NODE,
            "sampling": {"temperature": 1.0, "stop": []},
            "size": {"width": 1, "height": 512, "labels": {}},
            "nodes": [NODE],
            "n": 3,
        }
    }
    assert call.curl.endswith(f"-d '{json.dumps(call.body)}'")


def test_without_time_classes_are_empty_objects(app: App) -> None:
    values = examples.examples_for(app, budget=0)
    call = examples.queue_call(app, _resource(app, "worker"), "https://x/v2/id", examples=values)
    assert call.body == {
        "input": {"node": {}, "sampling": {}, "size": {}, "nodes": [], "n": 3},
    }


def test_routes_fill_the_path_the_query_or_the_body(app: App) -> None:
    calls = examples.route_calls(app, _resource(app, "api"), "https://id.api.runpod.ai")
    by_route = {call.route: call for call in calls}
    read = by_route["GET /items/{item_id}"]
    assert read.url == ("https://id.api.runpod.ai/items/1?q=it%27s&tags=a&tags=b&full=false")
    assert read.body is None
    assert shlex.split(read.curl.replace("\\\n", " "))[:4] == ["curl", "-X", "GET", read.url]
    remove = by_route["DELETE /items/{item_id}"]
    assert remove.url == "https://id.api.runpod.ai/items/1?reason=text"
    update = by_route["PUT /items/{item_id}"]
    assert (update.url, update.body) == (
        "https://id.api.runpod.ai/items/1",
        {"name": "text", "price": 2.5},
    )
    only = examples.route_calls(
        app, _resource(app, "api"), "https://id", only="DELETE /items/{item_id}"
    )
    assert [call.route for call in only] == ["DELETE /items/{item_id}"]


def test_a_placeholder_url_is_quoted_for_the_shell(app: App) -> None:
    call = examples.queue_call(app, _resource(app, "worker"), "https://api.runpod.ai/v2/<id>")
    assert call.curl.startswith("curl -X POST 'https://api.runpod.ai/v2/<id>/runsync' \\\n")


def test_a_python_jedi_cannot_use_falls_back_to_flash_ls_own(app: App, tmp_path: Path) -> None:
    texts = {source.path: source.text for source in app.files.values()}
    values = Examples(app.root, tmp_path / "no-such-python", texts, budget=BUDGET)
    call = examples.queue_call(app, _resource(app, "worker"), "https://x", examples=values)
    # The app's own classes still; tinypkg is only in the app's .venv.
    assert call.body["input"]["node"] == NODE
    assert call.body["input"]["sampling"] == {}


def test_a_jedi_failure_is_today_s_value_not_an_error(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("jedi broke")

    monkeypatch.setattr(annotations, "_goto_class", broken)
    call = examples.queue_call(app, _resource(app, "worker"), "https://x")
    assert call.body["input"]["node"] == {} and call.body["input"]["n"] == 3
