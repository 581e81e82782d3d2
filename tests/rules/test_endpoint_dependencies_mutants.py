"""FL303-FL306 (rules/endpoint_dependencies.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

from flash_ls.fixes.apply import apply_edits

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, source: str, prefix: str = "FL30") -> list[str]:
    """Every line of every finding whose code starts with ``prefix`` in worker.py."""
    found = check(root, {"worker.py": source})
    return [line for d in found if d.code.startswith(prefix) for line in full(d)]


# Every shape of dependencies= FL304 tells apart, and an alias whose fix goes through the module
# (`Endpoint` is another library's name here; `rf` is bound after other names). The value of
# endpoint g starts on the next line (blanks after the `=`), h's `=` is on the next line, i's
# keyword is followed by another one.
SHAPES = (
    "from os import path\n"
    "from mylib import Endpoint\n"
    "X = 1\n"
    "import runpod_flash as rf\n"
    'VERY_LONG_DEPENDENCY_LIST = ["numpy"]\n'
    'NUMPY = "numpy"\n'
    'XDEPS = ("numpy",)\n'
    "EP = rf.Endpoint\n"
    "\n"
    '@EP(name="a", dependencies=["numpy"])\n'
    "def a(): ...\n"
    "\n"
    '@rf.Endpoint(name="b", dependencies=VERY_LONG_DEPENDENCY_LIST)\n'
    "def b(): ...\n"
    "\n"
    '@rf.Endpoint(name="c", dependencies={"numpy"})\n'
    "def c(): ...\n"
    "\n"
    '@rf.Endpoint(name="d", dependencies=[NUMPY, "pandas"])\n'
    "def d(): ...\n"
    "\n"
    '@rf.Endpoint(name="e", dependencies=get_deps())\n'
    "def e(): ...\n"
    "\n"
    '@rf.Endpoint(name="f", dependencies= XDEPS)\n'
    "def f(): ...\n"
    "\n"
    '@rf.Endpoint(name="g", dependencies=   \n'
    '    ("numpy", "pandas"))\n'
    "def g(): ...\n"
    "\n"
    '@rf.Endpoint(name="h", dependencies\n'
    '    =("numpy",))\n'
    "def h(): ...\n"
    "\n"
    '@rf.Endpoint(dependencies=("numpy",), name="i")\n'
    "def i(): ...\n"
)


def test_fl304_every_shape_of_dependencies(tmp_path: Path) -> None:
    assert findings(tmp_path, SHAPES, "FL304") == [
        "worker.py:10:1-10:3 FL304 warning: endpoint 'a' is declared through 'EP(...)'",
        "note: flash build only collects dependencies from calls spelled Endpoint(...) or <module>.Endpoint(...), so its dependencies are never installed",
        "note: call Endpoint directly",
        "fix (safe=True): Call rf.Endpoint(...) directly",
        "  edit worker.py:10:1-10:3 'rf.Endpoint'",
        "worker.py:13:36-13:61 FL304 warning: dependencies of 'b' are the variable 'VERY_LONG_DEP...'",
        "note: flash build only collects a list of string literals written in the call, so 'numpy' is never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        "  edit worker.py:13:36-13:61 '[\"numpy\"]'",
        "worker.py:16:36-16:45 FL304 warning: dependencies of 'c' are a set",
        "note: flash build only collects a list of string literals written in the call, so 'numpy' is never installed",
        "note: write the list inline",
        "worker.py:19:36-19:53 FL304 warning: dependencies of 'd' are a non-literal list",
        "note: flash build only collects a list of string literals written in the call, so 'numpy', 'pandas' are never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        '  edit worker.py:19:36-19:53 \'["numpy", "pandas"]\'',
        "worker.py:22:36-22:46 FL304 warning: dependencies of 'e' are a computed value",
        "note: flash build only collects a list of string literals written in the call, so these packages are never installed",
        "note: write the list inline",
        "worker.py:25:37-25:42 FL304 warning: dependencies of 'f' are the variable 'XDEPS'",
        "note: flash build only collects a list of string literals written in the call, so 'numpy' is never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        "  edit worker.py:25:37-25:42 '[\"numpy\"]'",
        "worker.py:29:5-29:22 FL304 warning: dependencies of 'g' are a tuple",
        "note: flash build only collects a list of string literals written in the call, so 'numpy', 'pandas' are never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        '  edit worker.py:28:39-29:23 \'["numpy", "pandas"]\'',
        "worker.py:33:6-33:14 FL304 warning: dependencies of 'h' are a tuple",
        "note: flash build only collects a list of string literals written in the call, so 'numpy' is never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        "  edit worker.py:33:6-33:14 '[\"numpy\"]'",
        "worker.py:36:27-36:35 FL304 warning: dependencies of 'i' are a tuple",
        "note: flash build only collects a list of string literals written in the call, so 'numpy' is never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        "  edit worker.py:36:26-36:36 '[\"numpy\"]'",
    ]


# Clients, endpoints whose dependencies are not known or empty, remote() spelled three ways, and
# one CPU endpoint with a bit of everything: a non-literal entry first, a requirement with a URL,
# a distribution that provides `cv2` under another name, the same package imported twice.
MIXED = (
    "from runpod_flash import Endpoint, remote, LiveServerless\n"
    "from runpod_flash import remote as rm\n"
    "import runpod_flash\n"
    'X = "numpy"\n'
    "OPTIONS = {}\n"
    'client = Endpoint(id="abc", dependencies=X)\n'
    "\n"
    "@client\n"
    "def via_client():\n"
    "    import pandas\n"
    "    return pandas\n"
    "\n"
    '@Endpoint(name="a", **OPTIONS)\n'
    "def a():\n"
    "    import pandas\n"
    "    return pandas\n"
    "\n"
    '@Endpoint(name="n", dependencies=[])\n'
    "def n(): ...\n"
    "\n"
    '@Endpoint(name="b", cpu="cpu3c-1-2", dependencies=[X, "torch", "Pillow @ https://example.com/pillow.whl", "opencv-python-headless", "a-very-long-invalid-dep>="])\n'
    "def b():\n"
    "    import torch\n"
    "    import torch.nn\n"
    "    import pandas\n"
    "    import pandas.io\n"
    "    import PIL.Image\n"
    "    import cv2.data\n"
    "    return torch, pandas\n"
    "\n"
    '@remote(LiveServerless(name="c"), dependencies=X)\n'
    "async def c(): ...\n"
    "\n"
    '@runpod_flash.remote(LiveServerless(name="d"), dependencies=X)\n'
    "async def d(): ...\n"
    "\n"
    '@rm(LiveServerless(name="e"), dependencies=["numpy"])\n'
    "async def e(): ...\n"
)


def test_fl303_to_fl306_over_clients_remote_and_a_cpu_endpoint(tmp_path: Path) -> None:
    assert findings(tmp_path, MIXED) == [
        "worker.py:21:50-21:160 FL304 warning: dependencies of 'b' are a non-literal list",
        "note: flash build only collects a list of string literals written in the call, so 'numpy', 'torch', 'Pillow @ https://example.com/pillow.whl', 'opencv-python-headless', 'a-very-long-invalid-dep>=' are never installed",
        "note: write the list inline",
        "fix (safe=True): Write the dependencies as a list literal",
        '  edit worker.py:21:50-21:160 \'["numpy", "torch", "Pillow @ https://example.com/pillow.whl", "opencv-python-headless", "a-very-long-invalid-dep>="]\'',
        "worker.py:21:54-21:61 FL305 warning: 'torch' is declared for CPU endpoint 'b'",
        "note: flash build always excludes torch, torchvision, torchaudio and triton and CPU images do not have them, so it is never installed",
        "note: run this endpoint on a GPU (gpu=...) or drop the dependency",
        "worker.py:21:132-21:159 FL306 error: dependency \"a-very-long-invalid-... of 'b' is not valid PEP 508",
        "note: pip rejects it (Expected semicolon (after name with no version specifier) or end) and flash build fails",
        'note: write a requirement such as "package>=1.0"',
        "worker.py:23:4-23:16 FL305 warning: 'torch' is imported on CPU endpoint 'b'",
        "note: CPU images have no torch and flash build never bundles it, so the import in endpoint function 'b' fails on the worker",
        "note: run this endpoint on a GPU (gpu=...)",
        "worker.py:25:4-25:17 FL303 warning: 'pandas' is not a dependency of endpoint 'b'",
        "note: 'pandas' is not in the endpoint's dependencies, in requirements.txt or in the CPU base image, so importing it fails on the workers of endpoint function 'b'",
        'note: add "pandas" to dependencies=[...]',
        'fix (safe=True): Add "pandas" to dependencies',
        "  edit worker.py:21:159-21:159 ', \"pandas\"'",
        "worker.py:31:47-31:48 FL304 warning: dependencies of 'c' are the variable 'X'",
        "note: flash build only collects a list of string literals written in the call, so these packages are never installed",
        "note: write the list inline",
        "worker.py:34:60-34:61 FL304 warning: dependencies of 'd' are the variable 'X'",
        "note: flash build only collects a list of string literals written in the call, so these packages are never installed",
        "note: write the list inline",
        "worker.py:37:1-37:3 FL304 warning: endpoint 'e' is declared through 'rm(...)'",
        "note: flash build only collects dependencies from calls spelled remote(...) or <module>.remote(...), so its dependencies are never installed",
        "note: call remote directly",
        "fix (safe=True): Call remote(...) directly",
        "  edit worker.py:37:1-37:3 'remote'",
    ]


def test_fl306_a_dependency_of_24_characters_is_shown_whole(tmp_path: Path) -> None:
    source = (
        "from runpod_flash import Endpoint\n"
        '\n@Endpoint(name="v", dependencies=["abcdefghijklmnopqrst>="])\ndef v(): ...\n'
    )
    assert findings(tmp_path, source, "FL306")[0] == (
        "worker.py:3:34-3:58 FL306 error: dependency \"abcdefghijklmnopqrst>=\" of 'v' is not valid "
        "PEP 508"
    )


ANNOTATED = (
    "from runpod_flash import Endpoint\n"
    "from typing import Annotated\n"
    "\n"
    'a: Endpoint = (Endpoint(name="a", dependencies=["numpy"]))\n'
    "\n"
    '@a.post("/a")\n'
    "async def ra(): ...\n"
    "\n"
    'b: Annotated[Endpoint, "x=y"] = Endpoint(name="b", dependencies=["numpy"])\n'
    "\n"
    '@b.post("/b")\n'
    "async def rb(): ...\n"
    "\n"
    "c:Endpoint=\\\n"
    '           Endpoint(name="c", dependencies=["numpy"])\n'
    "\n"
    '@c.post("/c")\n'
    "async def rc(): ...\n"
)


def test_fl304_annotation_fix_only_on_one_line_without_brackets(tmp_path: Path) -> None:
    # a: in parentheses, no fix; b: an `=` inside the annotation, fixed; c: the call on the next
    # line, no fix.
    found = findings(tmp_path, ANNOTATED, "FL304")
    assert found == [
        "worker.py:4:0-4:1 FL304 warning: endpoint 'a' is assigned with an annotation",
        "note: flash build only collects dependencies from plain assignments ('a = Endpoint(...)'), so its dependencies are never installed",
        "note: remove the annotation",
        "worker.py:9:0-9:1 FL304 warning: endpoint 'b' is assigned with an annotation",
        "note: flash build only collects dependencies from plain assignments ('b = Endpoint(...)'), so its dependencies are never installed",
        "note: remove the annotation",
        "fix (safe=True): Remove the annotation",
        "  edit worker.py:9:1-9:32 ' = '",
        "worker.py:14:0-14:1 FL304 warning: endpoint 'c' is assigned with an annotation",
        "note: flash build only collects dependencies from plain assignments ('c = Endpoint(...)'), so its dependencies are never installed",
        "note: remove the annotation",
    ]


def test_fl304_annotation_holding_an_equals_sign_is_removed_whole(tmp_path: Path) -> None:
    found = [d for d in check(tmp_path, {"worker.py": ANNOTATED}) if d.code == "FL304"]
    fix = found[1].fix
    assert fix is not None
    path = tmp_path / "worker.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert 'b = Endpoint(name="b", dependencies=["numpy"])' in path.read_text()
    assert [d.span.start_line for d in check(tmp_path) if d.code == "FL304"] == [3, 13]


def test_fl303_not_for_a_function_a_client_decorates(tmp_path: Path) -> None:
    # A client (Endpoint(id=...)) calls an endpoint deployed elsewhere: nothing is installed here.
    source = (
        "from runpod_flash import Endpoint\n"
        'client = Endpoint(id="abc")\n'
        "\n@client\ndef remote_call():\n    import pandas\n    return pandas\n"
    )
    assert findings(tmp_path, source, "FL303") == []
