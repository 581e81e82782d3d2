"""The real `flash-ls check` process on a broken app: every output format, the contract's exit
statuses (0 or 1 for findings, never 2: the app is only badly written), never a traceback, valid
output, the same output when the next run replays it from the cache; `--diff` and `--fix` too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from apps import LATIN1_TORCH_WORKER
from fuzz.harness import (
    SIZE_RULES,
    Defect,
    age,
    compiles,
    source_text,
    validate_github,
    validate_json,
    validate_junit,
    validate_positions,
    validate_sarif,
    validate_text,
)
from fuzz.mutate import FIXTURE_APPS, make_case

from flash_ls_cli.output import FORMATS

DEMO = FIXTURE_APPS / "demo"
GPU_WORKER = (DEMO / "gpu_worker.py").read_bytes()


def broken_app(root: Path) -> dict[str, bytes]:
    """The demo app with the files of every kind of trouble beside it; the added files."""
    shutil.copytree(DEMO, root)
    files = {
        "cr_only.py": GPU_WORKER.replace(b"\n", b"\r"),
        "mixed_ends.py": GPU_WORKER.replace(b"\n", b"\r\n", 5).replace(b"\n\n", b"\n\r"),
        "form_feeds.py": GPU_WORKER.replace(b"\n\n\n", b"\n\x0c\n\n").replace(b"tts", b"ff"),
        "latin1.py": LATIN1_TORCH_WORKER.encode("latin-1"),
        "bom.py": b"\xef\xbb\xbf" + GPU_WORKER.replace(b"tts", b"bom"),
        "nul.py": GPU_WORKER[:100] + b"\x00" + GPU_WORKER[100:],
        "not_utf8.py": GPU_WORKER.replace(b"Text", b"T\xe9xt"),
        "deep.py": b"from runpod_flash import Endpoint\nx = " + b"(" * 10_000 + b"\n",
        "truncated.py": GPU_WORKER[: len(GPU_WORKER) // 2],
    }
    for seed in range(4):
        files[f"mutant{seed}.py"] = make_case(DEMO / "cpu_worker.py", seed).data
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    age(root)
    return files


def flash_ls(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    ignore = ["--ignore", ",".join(SIZE_RULES)] if args[0] == "check" else []
    return subprocess.run(
        [sys.executable, "-m", "flash_ls", *args, *ignore],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLASH_LS_CACHE_DIR": str(cwd / "cache")},
    )


def clean(run: subprocess.CompletedProcess[str], what: str) -> None:
    if run.returncode not in (0, 1) or "Traceback" in run.stderr or "internal error" in run.stderr:
        raise Defect(f"{what}: exit status {run.returncode}; stderr: {run.stderr[-2000:]}")


def test_every_output_format_of_the_real_process(tmp_path: Path) -> None:
    files = broken_app(tmp_path / "app")
    runs = {fmt: flash_ls(tmp_path, "check", "--output-format", fmt, "app") for fmt in FORMATS}
    for fmt, run in runs.items():
        clean(run, fmt)
    assert {run.returncode for run in runs.values()} == {1}  # errors: FL901 at least
    findings = validate_json(runs["json"].stdout)
    count = len(findings)
    assert {"FL901", "FL101", "FL301"} <= {item["code"] for item in findings}
    validate_text(runs["text"].stdout, count, no_app=False)
    validate_github(runs["github"].stdout, count)
    validate_sarif(runs["sarif"].stdout, count)
    validate_junit(runs["junit"].stdout, count)
    validate_positions(findings, {f"app/{rel}": source_text(data) for rel, data in files.items()})
    # The next runs replay the stored results: the same report, byte for byte.
    for fmt in ("json", "text"):
        again = flash_ls(tmp_path, "check", "--output-format", fmt, "app")
        assert (again.returncode, again.stdout) == (runs[fmt].returncode, runs[fmt].stdout)


@pytest.mark.parametrize("mode", ["--diff", "--fix"])
def test_fixing_the_broken_app(tmp_path: Path, mode: str) -> None:
    files = broken_app(tmp_path / "app")
    before = {rel: (tmp_path / "app" / rel).read_bytes() for rel in [*files, "gpu_worker.py"]}
    run = flash_ls(tmp_path, "check", mode, "--unsafe-fixes", "app")
    clean(run, mode)
    assert "fixes were still changing files" not in run.stderr
    for rel, data in before.items():
        after = (tmp_path / "app" / rel).read_bytes()
        if mode == "--diff":
            assert after == data, f"--diff wrote {rel}"
            continue
        old, new = source_text(data), source_text(after)
        if old is not None and compiles(old):
            assert new is not None and compiles(new), f"--fix broke {rel}:\n{new}"
    again = flash_ls(tmp_path, "check", "--output-format", "json", "app")
    clean(again, "check after " + mode)
    json.loads(again.stdout)
