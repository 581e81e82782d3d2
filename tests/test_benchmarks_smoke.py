"""The benchmark harness at its smallest size, once, so it cannot rot (issue 5).

Runs every target (P1-P7) on workspace S with one repetition and a handful of edits, against
the real CLI and server; the figures themselves are not asserted (that is RESULTS.md's job),
only that every target ends as met, MISSED or "not measurable yet: <reason>".
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import generate, run

ROOT = Path(__file__).resolve().parent.parent


def test_generator_is_deterministic_and_sized() -> None:
    files, meta = generate.build_files("S", seed=7)
    again, _ = generate.build_files("S", seed=7)
    assert files == again
    py = {rel: text for rel, text in files.items() if rel.endswith(".py")}
    assert len(py) == 5
    assert sum("runpod_flash" in text for text in py.values()) == 4
    service = next(text for rel, text in py.items() if rel.endswith("service.py"))
    assert service.count("\n") == 1000
    for text in py.values():
        ast.parse(text)
    edit = meta["edit"]
    assert isinstance(edit, generate.EditSite)
    assert service.split("\n")[edit.line][edit.start : edit.end] == "25"


def test_medium_workspace_counts() -> None:
    files, _ = generate.build_files("M")
    py = [text for rel, text in files.items() if rel.endswith(".py")]
    assert len(py) == generate.SIZES["M"].total_files
    assert sum("runpod_flash" in text for text in py) == generate.SIZES["M"].flash_files


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for memory figures")
def test_harness_runs_every_target_at_size_s(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    app = fixtures / "hello"
    app.mkdir(parents=True)
    (app / "pyproject.toml").write_text(
        '[project]\nname = "hello"\ndependencies = ["runpod-flash"]\n'
    )
    (app / "gpu_worker.py").write_text(
        textwrap.dedent(
            """
            from runpod_flash import Endpoint, GpuType


            @Endpoint(name="hello-gpu", gpu=GpuType.NVIDIA_GEFORCE_RTX_4090)
            async def hello(input_data: dict) -> dict:
                return {"message": input_data.get("message", "hi")}
            """
        ).lstrip()
    )
    out = tmp_path / "RESULTS.md"
    argv = [
        "--size", "S", "--repeat", "1", "--edits", "3", "--only", "P1,P2,P3,P4,P5,P6,P7",
        "--fixtures", str(fixtures), "--workdir", str(tmp_path / "work"), "--out", str(out),
    ]  # fmt: skip
    assert run.main(argv) == 0
    report = out.read_text()
    assert "## Targets" in report and "## Run" in report
    for target in ("P1", "P2", "P3", "P3r", "P4", "P5", "P6", "P7"):
        row = next(line for line in report.splitlines() if line.startswith(f"| {target} |"))
        assert row.rstrip(" |").endswith(("met", "MISSED")) or "not measurable yet: " in row, row
    assert run.NOTES_BEGIN in report and run.NOTES_END in report
