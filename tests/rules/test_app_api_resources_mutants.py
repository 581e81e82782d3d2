"""FL705 to FL710 (rules/app_api_resources.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
test_app_api_rules.py compares with runpod 2.0 but pins most findings by their first line;
these pin them whole and need nothing but flash-ls. See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

from flash_ls import platform

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


HEAD = 'import runpod\n\napp = runpod.App("shop")\n'

# Two path parameters, a query string, a handler that needs two arguments, two routes whose
# paths do not start with "/" (each reported, and no duplicate of each other: only valid paths
# are mounted). A CPU resource turns the torch exclusion off: dependencies read through a
# constant, after values that are no string; none read from a list with a starred part.
SHOP = (
    HEAD
    + 'TORCH = "torch"\n'
    + 'EXTRA = ["triton"]\n'
    + "\n"
    + '@app.api(name="items", cpu="cpu3c-1-2")\n'
    + "class Items:\n"
    + '    @runpod.get("/items/{shop}/{item_id:int}")\n'
    + "    def get_item(self): ...\n"
    + "\n"
    + '    @runpod.get("/search?q=x")\n'
    + "    def search(self, body=None): ...\n"
    + "\n"
    + '    @runpod.post("/merge")\n'
    + "    def merge(self, body: dict, other: dict): ...\n"
    + "\n"
    + '    @runpod.get("items")\n'
    + "    def one(self): ...\n"
    + "\n"
    + '    @runpod.get("items")\n'
    + "    def two(self): ...\n"
    + "\n"
    + '@app.queue(name="embed", gpu="L4", dependencies=[1, pick(), TORCH, "torchvision"])\n'
    + "def embed(): ...\n"
    + "\n"
    + '@app.queue(name="more", gpu="L4", dependencies=["torchaudio", *EXTRA])\n'
    + "def more(): ...\n"
)


def test_fl705_fl708_fl709_routes_and_dependencies(tmp_path: Path) -> None:
    found = [
        line
        for d in check(tmp_path, {"main.py": SHOP})
        if d.code.startswith("FL70")
        for line in full(d)
    ]
    bundled = (
        "note: The build leaves torch, torchvision, torchaudio and triton out of the artifact "
        "only when every resource of the App has gpu= and no image="
    )
    assert found == [
        "main.py:9:16-9:45 FL705 warning: path parameter {shop}, {item_id} never reaches "
        "'get_item'",
        "note: The runtime calls route handlers with the JSON body or with nothing; path "
        "parameters are not passed",
        "note: Send the value in the body of a POST, or serve the app from an ASGI factory "
        "(@app.api on a function returning a FastAPI app)",
        "main.py:12:16-12:29 FL705 warning: query string in route path of 'search'",
        "note: The runtime passes handlers only the JSON body; query parameters never reach "
        "them, and a path with '?' matches no request path",
        "note: Drop the query from the path and send the values in the body",
        "main.py:16:8-16:13 FL705 error: handler 'merge' requires 2 arguments; it gets 1",
        "note: The runtime calls a handler with the JSON body or with nothing",
        "note: Every request fails with a TypeError (HTTP 500)",
        "note: Use (self) or (self, body), with a default for body if it may be absent",
        "main.py:18:16-18:23 FL709 error: path must start with '/', got: 'items'",
        "note: The SDK raises ValueError when the module is imported",
        "main.py:21:16-21:23 FL709 error: path must start with '/', got: 'items'",
        "note: The SDK raises ValueError when the module is imported",
        "main.py:24:60-24:65 FL708 warning: torch is bundled into App 'shop': 'items' has no gpu=",
        bundled,
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude torch (the workers must then provide it)",
        "related main.py:7:1-7:39: 'items' has no gpu=",
        "main.py:24:67-24:80 FL708 warning: torchvision is bundled into App 'shop': 'items' has "
        "no gpu=",
        bundled,
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude torchvision (the workers must then provide it)",
        "related main.py:7:1-7:39: 'items' has no gpu=",
    ]


def test_fl708_an_empty_gpu_list_is_no_gpu(tmp_path: Path) -> None:
    source = (
        'import runpod\n\nlab = runpod.App("lab")\n\n'
        '@lab.queue(name="train", gpu=[], dependencies=["torch"])\ndef train(): ...\n'
    )
    found = [
        line for d in check(tmp_path, {"lab.py": source}) if d.code == "FL708" for line in full(d)
    ]
    assert found == [
        "lab.py:5:47-5:54 FL708 warning: torch is bundled into App 'lab': 'train' has no gpu=",
        "note: The build leaves torch, torchvision, torchaudio and triton out of the artifact "
        "only when every resource of the App has gpu= and no image=",
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude torch (the workers must then provide it)",
        "related lab.py:5:1-5:56: 'train' has no gpu=",
    ]


# A GPU list with a GpuGroup and a value only known at run time (both passed over), a tuple in
# it, an unknown string and a fragment: each entry is checked, none ends the search early.
def test_fl706_every_entry_of_a_gpu_list(tmp_path: Path) -> None:
    source = (
        HEAD
        + '\n@app.queue(name="mixed", gpu=[runpod.GpuGroup.AMPERE_48, pick(), ("H100",), "A100X", '
        + '"A40"])\ndef mixed(): ...\n'
    )
    found = [
        line for d in check(tmp_path, {"main.py": source}) if d.code == "FL706" for line in full(d)
    ]
    assert found == [
        "main.py:5:66-5:73 FL706 error: gpu must be a GpuGroup, GpuType, or string, got tuple",
        "note: The SDK raises InvalidResourceError when the decorator runs",
        "main.py:5:76-5:83 FL706 error: unknown gpu 'A100X'",
        "note: The SDK raises when the decorator runs: "
        + platform.app_unknown_gpu_message("A100X"),
        "main.py:5:85-5:90 FL706 warning: gpu 'A40' matches 2 GPUs in 2 pools",
        "note: The SDK matches it as a fragment of device names: NVIDIA RTX A4000, NVIDIA A40",
        "note: The endpoint admits the pools AMPERE_16, AMPERE_48",
        "note: Name one device or pool exactly, or list the ones meant",
    ]


# An App whose resources all have a GPU (nothing to say) before one with a CPU resource.
def test_fl708_each_app_on_its_own(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "a.py": 'import runpod\n\ngpus = runpod.App("gpus")\n\n'
        '@gpus.queue(name="g", gpu="L4", dependencies=["torch"])\ndef g(): ...\n',
        "b.py": 'import runpod\n\ncpus = runpod.App("cpus")\n\n'
        '@cpus.queue(name="c", cpu="cpu3c-1-2", dependencies=["triton"])\ndef c(): ...\n',
    }
    found = [line for d in check(tmp_path, files) if d.code == "FL708" for line in full(d)]
    assert found == [
        "b.py:5:53-5:61 FL708 warning: triton is bundled into App 'cpus': 'c' has no gpu=",
        "note: The build leaves torch, torchvision, torchaudio and triton out of the artifact "
        "only when every resource of the App has gpu= and no image=",
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude triton (the workers must then provide it)",
        "related b.py:5:1-5:63: 'c' has no gpu=",
    ]


# A marker without a call and one with a path only known at run time come before a reserved
# path: each is looked at, none ends the search early.
def test_fl709_every_route_of_the_class(tmp_path: Path) -> None:
    source = (
        HEAD
        + 'PATH = "/" + "x"\n\n@app.api(name="svc", cpu="cpu3c-1-2")\nclass Svc:\n'
        + "    @runpod.get\n    def bare(self): ...\n\n"
        + "    @runpod.get(PATH)\n    def computed(self): ...\n\n"
        + '    @runpod.get("/ping")\n    def ping(self): ...\n'
    )
    found = [
        line for d in check(tmp_path, {"main.py": source}) if d.code == "FL709" for line in full(d)
    ]
    assert found == [
        'main.py:8:5-8:15 FL709 error: @runpod.get must be called with a path: @runpod.get("/...")',
        "note: The SDK raises when the module is imported: path must start with '/', got: "
        "<function ...>",
        "main.py:14:16-14:23 FL709 error: path '/ping' is reserved by the worker runtime",
        "note: The SDK raises when the module is imported: path '/ping' is reserved by the worker "
        "runtime (reserved: /_runpod/sync, /execute, /ping)",
    ]


# One route shadows two later ones (both reported), not a route of another method.
def test_fl710_every_shadowed_route_and_only_of_the_same_method(tmp_path: Path) -> None:
    source = (
        HEAD
        + '\n@app.api(name="items", cpu="cpu3c-1-2")\nclass Items:\n'
        + '    @runpod.get("/items/{item_id}")\n    def a_item(self): ...\n\n'
        + '    @runpod.post("/items/new")\n    def b_new(self, body=None): ...\n\n'
        + '    @runpod.get("/items/all")\n    def c_all(self): ...\n\n'
        + '    @runpod.get("/items/top")\n    def d_top(self): ...\n'
    )
    found = [
        line for d in check(tmp_path, {"main.py": source}) if d.code == "FL710" for line in full(d)
    ]
    rename = "note: Rename the handlers so that this one sorts first, or change the paths"
    assert found == [
        "main.py:13:16-13:28 FL710 warning: route GET /items/all is shadowed by GET "
        "/items/{item_id}",
        "note: The runtime mounts routes in alphabetical order of handler names, and the first "
        "match wins: 'a_item' sorts before 'c_all'",
        rename,
        "related main.py:7:16-7:34: 'a_item' is mounted first and matches it",
        "main.py:16:16-16:28 FL710 warning: route GET /items/top is shadowed by GET "
        "/items/{item_id}",
        "note: The runtime mounts routes in alphabetical order of handler names, and the first "
        "match wins: 'a_item' sorts before 'd_top'",
        rename,
        "related main.py:7:16-7:34: 'a_item' is mounted first and matches it",
    ]


# requirements.txt's torch is reported once, for the first App that bundles it; the second App
# still gets its own dependency reported.
def test_fl708_a_requirement_once_across_apps(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "requirements.txt": "torch\n",
        "a.py": 'import runpod\n\nfirst = runpod.App("first")\n\n'
        '@first.queue(name="f", cpu="cpu3c-1-2")\ndef f(): ...\n',
        "b.py": 'import runpod\n\nsecond = runpod.App("second")\n\n'
        '@second.queue(name="s", cpu="cpu3c-1-2", dependencies=["triton"])\ndef s(): ...\n',
    }
    found = [line for d in check(tmp_path, files) if d.code == "FL708" for line in full(d)]
    bundled = (
        "note: The build leaves torch, torchvision, torchaudio and triton out of the artifact "
        "only when every resource of the App has gpu= and no image="
    )
    assert found == [
        "b.py:5:55-5:63 FL708 warning: triton is bundled into App 'second': 's' has no gpu=",
        bundled,
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude triton (the workers must then provide it)",
        "related b.py:5:1-5:65: 's' has no gpu=",
        "requirements.txt:1:0-1:5 FL708 warning: torch is bundled into App 'first': 'f' has no "
        "gpu=",
        bundled,
        "note: Give every resource gpu=, move the others to another App, or deploy with "
        "--exclude torch (the workers must then provide it)",
        "related a.py:5:1-5:39: 'f' has no gpu=",
    ]
