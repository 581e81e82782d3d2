"""The benchmark harness at its smallest size, once, so it cannot rot (issue 5).

Runs every target (E1, A1, P1-P7) on workspace S with one repetition and a handful of edits, against
the real CLI and server; the figures themselves are not asserted (that is RESULTS.md's job),
only that every target was measured: met or MISSED. "not measurable yet: <reason>" (a server that
does not start or answer, a CLI that exits with an error, a peer tool missing from the test
extra) fails the test, with the reason.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import generate, run

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("E1", "A1", "P1", "P2", "P3", "P3r", "P4", "P5", "P6", "P7")


def unmeasured(report: str, targets: tuple[str, ...] = TARGETS) -> dict[str, str]:
    """The verdict rows of ``targets`` that ended as neither met nor MISSED (a row missing from
    the report counts too)."""
    lines = report.splitlines()
    rows = {t: next((row for row in lines if row.startswith(f"| {t} |")), "") for t in targets}
    return {t: row for t, row in rows.items() if not row.rstrip(" |").endswith(("met", "MISSED"))}


def hello_fixtures(root: Path) -> Path:
    fixtures = root / "fixtures"
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
    return fixtures


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
    out = tmp_path / "RESULTS.md"
    argv = [
        "--size", "S", "--repeat", "1", "--edits", "3", "--only", "E1,A1,P1,P2,P3,P4,P5,P6,P7",
        "--fixtures", str(hello_fixtures(tmp_path)), "--workdir", str(tmp_path / "work"),
        "--out", str(out),
    ]  # fmt: skip
    assert run.main(argv) == 0
    report = out.read_text()
    assert "## Targets" in report and "## Run" in report
    assert unmeasured(report) == {}
    assert run.NOTES_BEGIN in report and run.NOTES_END in report


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for memory figures")
def test_a_server_that_cannot_start_fails_the_smoke_test(tmp_path: Path) -> None:
    # The harness itself records such a target as "not measurable yet" (and exits 0): the
    # smoke test above must not take that for a pass.
    out = tmp_path / "RESULTS.md"
    server = f"{sys.executable} -c 'raise SystemExit(3)'"
    argv = [
        "--size", "S", "--repeat", "1", "--edits", "3", "--only", "P6",
        "--fixtures", str(hello_fixtures(tmp_path)), "--workdir", str(tmp_path / "work"),
        "--out", str(out), "--server", server,
    ]  # fmt: skip
    assert run.main(argv) == 0
    [(target, row)] = unmeasured(out.read_text(), ("P6",)).items()
    assert target == "P6" and "not measurable yet: " in row, row
