"""FL509, FL512 (rules/worker_environment.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


# FL509: not for an endpoint no function uses nor for a client (id=), and a setting at its
# default (accelerate_downloads=True) does not hide the next one. FL512: env=None is fine, a
# string is no dict, a spread (**BASE) is skipped, keys of other types (only an int is quoted),
# a non-string value under a non-string key, None and a float as values.
SOURCE = (
    "from runpod_flash import Endpoint, GpuGroup\n"
    "\n"
    'BASE = {"X": "1"}\n'
    'unused = Endpoint(name="unused", gpu_count=2, env=["A=1"])\n'
    'client = Endpoint(id="abc", gpu_count=2)\n'
    "\n"
    '@Endpoint(name="a", gpu=GpuGroup.ADA_24, accelerate_downloads=True, gpu_count=2, env=None)\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", env="A=1")\n'
    "async def b(): ...\n"
    "\n"
    '@Endpoint(name="c", env={**BASE, 1.5: "x", True: "y", 1: 2, "N": None, "F": 0.5})\n'
    "async def c(): ...\n"
)


def test_fl509_and_fl512_skips_defaults_keys_and_values(tmp_path: Path) -> None:
    found = [
        line
        for d in check(tmp_path, {"worker.py": SOURCE})
        if d.code.startswith("FL5")
        for line in full(d)
    ]
    assert found == [
        "worker.py:4:50-4:57 FL512 error: env=[\"A=1\"] of endpoint 'unused' is a list, not a dict",
        'note: use env={"NAME": "value"}',
        "worker.py:7:68-7:79 FL509 info: flash deploy ignores gpu_count= of endpoint 'a'",
        "note: the deployed endpoint gets 1 GPU per worker",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:10:24-10:29 FL512 error: env=\"A=1\" of endpoint 'b' is a str, not a dict",
        'note: use env={"NAME": "value"}',
        "worker.py:13:33-13:36 FL512 error: env key 1.5 of endpoint 'c' is a float, not a string",
        "note: environment variable names must be strings",
        "worker.py:13:43-13:47 FL512 error: env key True of endpoint 'c' is a bool, not a string",
        "note: environment variable names must be strings",
        "worker.py:13:54-13:55 FL512 error: env key 1 of endpoint 'c' is an int, not a string",
        "note: environment variable names must be strings",
        "fix (safe=True): Quote the name",
        "  edit worker.py:13:54-13:55 '\"1\"'",
        "worker.py:13:57-13:58 FL512 error: env['1'] of endpoint 'c' is an int, not a string",
        "note: environment values must be strings (pydantic string_type error)",
        'note: use "2"',
        'fix (safe=True): Use "2"',
        "  edit worker.py:13:57-13:58 '\"2\"'",
        "worker.py:13:65-13:69 FL512 error: env['N'] of endpoint 'c' is a NoneType, not a string",
        "note: environment values must be strings (pydantic string_type error)",
        "worker.py:13:76-13:79 FL512 error: env['F'] of endpoint 'c' is a float, not a string",
        "note: environment values must be strings (pydantic string_type error)",
        'note: use "0.5"',
        'fix (safe=True): Use "0.5"',
        "  edit worker.py:13:76-13:79 '\"0.5\"'",
    ]
