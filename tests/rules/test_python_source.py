"""Files as Python reads them: PEP 263 coding declarations and ``from runpod_flash import *``."""

from __future__ import annotations

from pathlib import Path

from apps import (
    LATIN1_TORCH_WORKER,
    LATIN1_TORCH_WORKER_FIXED,
    check,
    codes,
    load_app,
    only,
    where,
    write_app,
)

from flash_ls.build.manifest import build_manifest
from flash_ls.checking import fix_paths

LATIN1_WORKER = (
    "# -*- coding: latin-1 -*-\n"
    '"""Caf\xe9 workers: d\xe9j\xe0 vu."""\n'
    "from runpod_flash import Endpoint\n"
    "\n"
    'GREETING = "cr\xe8me br\xfbl\xe9e"\n'
    "\n"
    '@Endpoint(name="caf\xe9/menu")\n'
    "def menu(): ...\n"
).encode("latin-1")


def test_a_coding_declaration_is_honoured(tmp_path: Path) -> None:
    found = check(tmp_path, {"worker.py": LATIN1_WORKER})
    assert codes(found, "FL9") == []  # read as Latin-1, as the build's import reads it
    fl106 = only(found, "FL106")
    assert [(where(d), d.span.start_col, d.span.end_col) for d in fl106] == [
        (("worker.py", 7), 15, 26)  # columns count characters, not Latin-1 or UTF-8 bytes
    ]
    assert fl106[0].message == "endpoint name 'caf\xe9/menu' contains '/'"


def test_undecodable_bytes_and_unknown_encodings_are_fl901(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "worker.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef w(): ...\n',
        "undeclared.py": b"x = '\xe9t\xe9'\n",
        "klingon.py": b"# coding: klingon\nx = 1\n",
        "ascii.py": b"# coding: ascii\nx = '\xe9'\n",
        "bom.py": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    }
    found = only(check(tmp_path, files), "FL901")
    assert [(d.path.name, d.message) for d in found] == [
        ("ascii.py", "file is not valid ascii (byte 21); flash build cannot import it"),
        ("bom.py", "coding declaration contradicts the UTF-8 BOM; flash build cannot import it"),
        ("klingon.py", "unknown source encoding 'klingon'; flash build cannot import it"),
        ("undeclared.py", "file is not valid UTF-8 (byte 5); flash build cannot import it"),
    ]


def test_fix_writes_a_latin1_file_back_in_latin1(tmp_path: Path) -> None:
    path = tmp_path / "worker.py"
    check(tmp_path, {"worker.py": LATIN1_TORCH_WORKER.encode("latin-1")})
    result = fix_paths([tmp_path], write=True, select=["FL301"])
    assert result.fixed == 1
    # byte-exact apart from the move
    assert path.read_bytes() == LATIN1_TORCH_WORKER_FIXED.encode("latin-1")
    assert only(check(tmp_path), "FL301") == []


STAR = """
from runpod_flash import *

api = Endpoint(name="api", cpu=CpuInstanceType.CPU3C_1_2)


@api.post("/run")
async def run(x: int):
    return x


@Endpoint(name="tts", gpu=GpuGroup.ADA_24, datacenter=DataCenter.EU_RO_1)
async def generate_speech(text: str):
    return text


@Endpoint(name="tts", gpu=GpuGroup.NOT_A_GPU)
async def get_voices():
    return []
"""


def test_star_import_of_the_sdk_makes_its_names_known(tmp_path: Path) -> None:
    found = check(tmp_path, {"worker.py": STAR})
    assert [where(d) for d in only(found, "FL101")] == [("worker.py", 16)]
    assert [where(d) for d in only(found, "FL502")] == [("worker.py", 16)]
    assert only(found, "FL105") == []  # `api` is an Endpoint with a route


def test_star_import_endpoints_are_in_the_manifest(tmp_path: Path) -> None:
    valid = STAR.replace('"tts", gpu=GpuGroup.NOT_A_GPU', '"voices", gpu=GpuGroup.AMPERE_24')
    write_app(tmp_path, {"worker.py": valid})
    resources = build_manifest(load_app(tmp_path))["resources"]
    assert sorted(resources) == ["api", "tts", "voices"]
    assert resources["api"]["resource_type"] == "CpuLiveLoadBalancer"
    assert resources["api"]["instanceIds"] == ["cpu3c-1-2"]
    assert resources["tts"]["functions"][0]["name"] == "generate_speech"


def test_star_import_does_not_win_over_a_later_binding_or_under_type_checking(
    tmp_path: Path,
) -> None:
    files = {
        "rebound.py": """
        from runpod_flash import *
        from mylib import Endpoint

        api = Endpoint(name="not-flash")
        """,
        "guarded.py": """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from runpod_flash import *

        api = Endpoint(name="not-flash-either")
        """,
    }
    assert only(check(tmp_path, files), "FL105") == []  # neither `api` is an SDK Endpoint
