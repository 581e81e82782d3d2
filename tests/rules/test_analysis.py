"""FL9xx: syntax errors, the app's Python version, values only known at run time."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, codes, only, where

from flash_ls.diagnostic import Severity
from flash_ls.fixes.apply import apply_edits

BAD_GPU = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="worker", gpu=GpuGroup.ADA_25)
async def work(x: int): return x
"""


pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


# ---------------------------------------------------------------------------------------------
# FL901


def test_fl901_syntax_error_in_one_file_other_files_still_checked(tmp_path: Path) -> None:
    files = {
        "broken.py": """
        from runpod_flash import Endpoint

        @Endpoint(name="broken")
        def broken(x:
            return x
        """,
        "worker.py": BAD_GPU,
    }
    found = check(tmp_path, files)
    errors = only(found, "FL901")
    assert [d.path.name for d in errors] == ["broken.py"]
    assert errors[0].span.start_line + 1 in (4, 5)
    assert "syntax error" in errors[0].message and errors[0].severity is Severity.ERROR
    assert errors[0].notes == ("flash build imports every file and fails on this one",)
    assert [where(d) for d in only(found, "FL502")] == [("worker.py", 3)]


def test_fl901_error_in_a_file_that_does_not_mention_flash(tmp_path: Path) -> None:
    # Files that cannot involve Flash get only their imports and constants parsed: a syntax error
    # there is FL901; one inside a function body of such a file is not analysed.
    files = {
        "helpers.py": "from os import (path,\nLIMIT = 1\n",
        "other.py": "def helper(:\n    return 1\n",
        "worker.py": BAD_GPU,
    }
    found = check(tmp_path, files)
    assert [where(d)[0] for d in only(found, "FL901")] == ["helpers.py"]
    assert only(found, "FL502")


def test_fl901_rest_of_the_broken_file_is_still_checked(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        x = (1,

        @Endpoint(name="worker", gpu=GpuGroup.ADA_25)
        async def work(x: int): return x
        """
    }
    found = check(tmp_path, files)
    assert [d.path.name for d in only(found, "FL901")] == ["worker.py"]
    assert [where(d) for d in only(found, "FL502")] == [("worker.py", 5)]


def test_fl901_one_finding_per_broken_statement(tmp_path: Path) -> None:
    files = {
        "worker.py": "from runpod_flash import Endpoint\n\ndef a(:\n    pass\n\ndef b(:\n    pass\n"
    }
    found = only(check(tmp_path, files), "FL901")
    assert [where(d) for d in found] == [("worker.py", 3), ("worker.py", 6)]


def test_fl901_unreadable_files(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "latin.py": b"x = '\xe9t\xe9'\n",
        "nul.py": b"import os\x00\n",
        "worker.py": BAD_GPU,
    }
    found = check(tmp_path, files)
    errors = {d.path.name: d.message for d in only(found, "FL901")}
    assert set(errors) == {"latin.py", "nul.py"}
    assert "UTF-8" in errors["latin.py"] and "NUL" in errors["nul.py"]
    assert only(found, "FL502")


def test_fl901_ignored_file_is_reported_but_marked(tmp_path: Path) -> None:
    files = {"tests/test_worker.py": "import os,\nX = 1\n", "worker.py": BAD_GPU}
    found = only(check(tmp_path, files), "FL901")
    assert [d.path.name for d in found] == ["test_worker.py"]
    assert found[0].message.startswith("syntax error: ")
    assert found[0].notes == ("flash build ignores this file, but flash-ls cannot check it",)


def test_fl901_valid_app_has_none(tmp_path: Path) -> None:
    files = {"worker.py": BAD_GPU.replace("ADA_25", "ADA_24"), "util.py": "X = 1\n"}
    assert codes(check(tmp_path, files), "FL9") == []


# ---------------------------------------------------------------------------------------------
# FL902

LEGACY_GPU = """
from runpod_flash import LiveServerless, remote

gpu_config = LiveServerless(name="gpu", python_version="{version}")

@remote(gpu_config)
async def gpu_work(x: int): return x
"""
LEGACY_CPU = """
from runpod_flash import CpuLiveServerless, remote

@remote(CpuLiveServerless(name="cpu", python_version="{version}"))
async def cpu_work(x: int): return x
"""


def test_fl902_conflicting_versions_across_files(tmp_path: Path) -> None:
    files = {
        "gpu.py": LEGACY_GPU.format(version="3.11"),
        "cpu.py": LEGACY_CPU.format(version="3.12"),
    }
    found = only(check(tmp_path, files), "FL902")
    assert sorted(where(d) for d in found) == [("cpu.py", 3), ("gpu.py", 3)]
    assert all(
        d.message == "resources declare different python versions: '3.11', '3.12'" for d in found
    )
    assert all("--python-version" in d.notes[1] for d in found)
    assert all(d.related for d in found)


def test_fl902_same_version_everywhere_is_fine(tmp_path: Path) -> None:
    files = {
        "gpu.py": LEGACY_GPU.format(version="3.11"),
        "cpu.py": LEGACY_CPU.format(version="3.11"),
    }
    assert only(check(tmp_path, files), "FL902") == []


def test_fl902_unsupported_version(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"gpu.py": LEGACY_GPU.format(version="3.9")}), "FL902")
    assert [where(d) for d in found] == [("gpu.py", 3)]
    assert found[0].message == "python_version '3.9' is not supported"
    assert found[0].notes == (
        "flash build fails: Python 3.9 is not supported",
        "supported versions: 3.10, 3.11, 3.12, 3.13",
    )


def test_fl902_float_version_gets_quoted(tmp_path: Path) -> None:
    files = {"gpu.py": LEGACY_GPU.format(version="3.11").replace('"3.11"', "3.11")}
    found = only(check(tmp_path, files), "FL902")
    assert [where(d) for d in found] == [("gpu.py", 3)]
    fix = found[0].fix
    assert fix is not None and fix.safe
    path = tmp_path / "gpu.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert 'python_version="3.11"' in path.read_text()
    assert only(check(tmp_path), "FL902") == []


# ---------------------------------------------------------------------------------------------
# FL903


def test_fl903_runtime_name_and_gpu(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        @Endpoint(name=make_name("worker"), gpu=pick_gpu())
        async def work(x: int): return x
        """
    }
    found = check(tmp_path, files)
    hints = only(found, "FL903")
    assert [where(d) for d in hints] == [("worker.py", 3), ("worker.py", 3)]
    assert all(d.severity is Severity.HINT for d in hints)
    assert hints[0].message == 'name= is only known at run time (`make_name("worker")`)'
    assert hints[1].message == "gpu= is only known at run time (`pick_gpu()`)"
    assert hints[1].notes[0] == "flash-ls cannot check gpu= of the endpoint of 'work'"
    assert codes(found, "FL5") == [] and codes(found, "FL1") == []


def test_fl903_points_at_the_unknown_part_once_per_argument(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="w", gpu=[GpuGroup.ADA_24, extra(), more()])
        async def work(x: int): return x
        """
    }
    hints = only(check(tmp_path, files), "FL903")
    assert len(hints) == 1
    line = (tmp_path / "worker.py").read_text().splitlines()[hints[0].span.start_line]
    assert line[hints[0].span.start_col : hints[0].span.end_col] == "extra()"


def test_fl903_kwargs_spread(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        OPTIONS = load()

        @Endpoint(name="w", **OPTIONS)
        async def work(x: int): return x
        """
    }
    hints = only(check(tmp_path, files), "FL903")
    assert [where(d) for d in hints] == [("worker.py", 5)]
    assert hints[0].message == "arguments in `**OPTIONS` are only known at run time"


def test_fl903_constants_in_other_files_are_known(tmp_path: Path) -> None:
    files = {
        "settings.py": """
        from runpod_flash import DataCenter, GpuGroup

        NAME = "worker"
        GPU = GpuGroup.ADA_24
        WORKERS = (0, 3)
        DCS = [DataCenter.EU_RO_1]
        """,
        "worker.py": """
        from runpod_flash import Endpoint
        from settings import DCS, GPU, NAME, WORKERS

        @Endpoint(name=NAME, gpu=GPU, workers=WORKERS, datacenter=DCS, idle_timeout=300)
        async def work(x: int): return x
        """,
    }
    found = check(tmp_path, files)
    assert codes(found, "FL9") == [] and codes(found, "FL5") == []


def test_fl903_f_string_name(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        PREFIX = "team"

        @Endpoint(name=f"{PREFIX}-worker")
        async def work(x: int): return x
        """
    }
    hints = only(check(tmp_path, files), "FL903")
    assert [where(d) for d in hints] == [("worker.py", 5)] and "PREFIX" in hints[0].message
