"""FL901, FL902, FL903 (rules/analysis.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], code: str) -> list[str]:
    return [line for d in check(root, files) if d.code == code for line in full(d)]


def test_fl901_unreadable_files_are_not_called_syntax_errors(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "latin.py": b"x = '\xe9t\xe9'\n",
        "nul.py": b"import os\x00\n",
        "worker.py": "from runpod_flash import Endpoint\n",
    }
    assert findings(tmp_path, files, "FL901") == [
        "latin.py:1:0-1:0 FL901 error: file is not valid UTF-8 (byte 5); flash build cannot "
        "import it",
        "nul.py:1:0-1:0 FL901 error: file contains NUL bytes; it is not Python source",
        "note: flash build imports every file and fails on this one",
    ]


# A resource bound at module level and used only through an import (remote() sees a name bound
# by an import: no resource call of its own), one inline in remote(), one never used, one in a
# file the build does not ship; calls that are no legacy resource: a class of the app that
# happens to be named LiveServerless, a call of a call, an Endpoint of the SDK.
LEGACY_APP: dict[str, str | bytes] = {
    "config.py": (
        "from runpod_flash import LiveServerless, CpuLiveServerless\n"
        'gpu_config = LiveServerless(name="gpu", python_version="3.12")\n'
        'spare = CpuLiveServerless(name="spare", python_version="3.13")\n'
    ),
    "worker.py": (
        "from runpod_flash import LiveServerless, remote\n"
        "from config import gpu_config\n"
        "\n"
        "@remote(gpu_config)\n"
        "async def gpu_work(x: int): return x\n"
        "\n"
        '@remote(LiveServerless(name="cpu", python_version="3.11"))\n'
        "async def cpu_work(x: int): return x\n"
    ),
    "tests/test_config.py": (
        "from runpod_flash import LiveServerless\n"
        't = LiveServerless(name="t", python_version="3.9")\n'
    ),
    "other.py": (
        "import runpod_flash\n"
        "\n"
        "class LiveServerless:\n"
        "    def __init__(self, **kw): ...\n"
        "\n"
        "def factory(): return LiveServerless\n"
        "\n"
        'local = LiveServerless(python_version="3.8")\n'
        'made = factory()(python_version="3.7")\n'
        'ep = runpod_flash.Endpoint(name="ep", python_version="3.6")\n'
    ),
}


def test_fl902_module_level_resources_of_every_shipped_file(tmp_path: Path) -> None:
    different = "FL902 error: resources declare different python versions: '3.11', '3.12', '3.13'"
    notes = [
        "note: flash build fails: Flash apps require one python_version across all resources",
        "note: declare the same version on every resource, or drop python_version and use "
        "`flash build --python-version`",
    ]
    assert findings(tmp_path, LEGACY_APP, "FL902") == [
        f"config.py:2:55-2:61 {different}",
        *notes,
        'related worker.py:7:50-7:56: python_version "3.11" here',
        'related config.py:3:55-3:61: python_version "3.13" here',
        f"config.py:3:55-3:61 {different}",
        *notes,
        'related worker.py:7:50-7:56: python_version "3.11" here',
        'related config.py:2:55-2:61: python_version "3.12" here',
        f"worker.py:7:50-7:56 {different}",
        *notes,
        'related config.py:2:55-2:61: python_version "3.12" here',
        'related config.py:3:55-3:61: python_version "3.13" here',
    ]


# Resources without python_version, with a value only known at run time, or None come before
# the ones to report (nothing ends the search early); a constant is read in the resource's file;
# a float that is no supported version gets no fix, and the default version as its example.
VERSIONS = (
    "from runpod_flash import LiveServerless\n"
    "\n"
    'PY = "3.9"\n'
    'a = LiveServerless(name="a")\n'
    'b = LiveServerless(name="b", python_version=pick())\n'
    'c = LiveServerless(name="c", python_version=None)\n'
    'd = LiveServerless(name="d", python_version=PY)\n'
    'f = LiveServerless(name="f", python_version=3.9)\n'
)


def test_fl902_skips_unset_unknown_and_none_and_quotes_only_supported_floats(
    tmp_path: Path,
) -> None:
    assert findings(tmp_path, {"worker.py": VERSIONS}, "FL902") == [
        "worker.py:7:44-7:46 FL902 error: python_version '3.9' is not supported",
        "note: flash build fails: Python 3.9 is not supported",
        "note: supported versions: 3.10, 3.11, 3.12, 3.13",
        "worker.py:8:44-8:47 FL902 error: python_version=3.9 is a float, not a string",
        'note: write the version as a string, e.g. "3.12" (supported: 3.10, 3.11, 3.12, 3.13)',
    ]


def test_fl902_an_int_version_reads_an_int(tmp_path: Path) -> None:
    source = "from runpod_flash import LiveServerless\na = LiveServerless(python_version=3)\n"
    assert findings(tmp_path, {"worker.py": source}, "FL902")[0] == (
        "worker.py:2:34-2:35 FL902 error: python_version=3 is an int, not a string"
    )


# NAME, a run-time value in the endpoints' own file, is reported once, at its value, and shown as
# that value; the later unknown arguments of the second endpoint are still reported. GPU, from
# another file, is reported at (and shown as) the name in the call. A resource with `*ARGS` and
# `**OPTS` shared by two remote() functions is reported once.
def test_fl903_shared_values_once_and_shown_where_reported(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "settings.py": "GPU = pick_gpu()\n",
        "worker.py": (
            "from runpod_flash import Endpoint, GpuGroup\n"
            "from settings import GPU\n"
            "\n"
            "NAME = make_name()\n"
            "\n"
            "@Endpoint(name=NAME, gpu=pick_a())\n"
            "async def a(x: int): return x\n"
            "\n"
            "@Endpoint(name=NAME, gpu=pick_b())\n"
            "async def b(x: int): return x\n"
            "\n"
            '@Endpoint(name="c", gpu=GPU)\n'
            "async def c(x: int): return x\n"
        ),
        "legacy.py": (
            "from runpod_flash import LiveServerless, remote\n"
            "\n"
            "config = LiveServerless(*ARGS, **OPTS)\n"
            "\n"
            "@remote(config)\n"
            "async def one(x: int): return x\n"
            "\n"
            "@remote(config)\n"
            "async def two(x: int): return x\n"
        ),
    }
    fix_it = "note: use a literal or a module-level constant to have it checked"
    assert findings(tmp_path, files, "FL903") == [
        "legacy.py:3:9-3:23 FL903 hint: positional arguments unpacked with `*` are only known "
        "at run time",
        "note: flash-ls cannot check them on endpoint 'one'",
        "legacy.py:3:31-3:37 FL903 hint: arguments in `**OPTS` are only known at run time",
        "note: flash-ls cannot check them on endpoint 'one'",
        "note: pass them as keywords",
        "worker.py:4:7-4:18 FL903 hint: name= is only known at run time (`make_name()`)",
        "note: flash-ls cannot check name= of the endpoint of 'a'",
        fix_it,
        "worker.py:6:25-6:33 FL903 hint: gpu= is only known at run time (`pick_a()`)",
        "note: flash-ls cannot check gpu= of the endpoint of 'a'",
        fix_it,
        "worker.py:9:25-9:33 FL903 hint: gpu= is only known at run time (`pick_b()`)",
        "note: flash-ls cannot check gpu= of the endpoint of 'b'",
        fix_it,
        "worker.py:12:24-12:27 FL903 hint: gpu= is only known at run time (`GPU`)",
        "note: flash-ls cannot check gpu= of endpoint 'c'",
        fix_it,
    ]
