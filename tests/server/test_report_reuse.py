"""A check reuses the LSP form of the findings its previous check converted (issue 13), and what
it publishes is exactly what converting every finding anew gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from flash_ls.project.workspace import Workspace
from flash_ls.rules.registry import is_known_selector
from flash_ls.server.convert import result_id
from flash_ls.server.diagnostics_manager import AppReport, build_report
from flash_ls.server.engine_thread import Documents, Engine
from flash_ls.server.positions import path_to_uri

WORKER = """\
import torch
from runpod_flash import Endpoint, GpuGroup

# Données: café, naïve, 🚀 (UTF-16 columns differ from code points after here)


@Endpoint(name="wörker", gpu=GpuGroup.ADA_24)
async def infer(data: dict) -> dict:
    return {{"v": torch.__version__, "n": "{note}"}}


@Endpoint(name="wörker", gpu=GpuGroup.ADA_24)
async def again(data: dict) -> dict:
    return data
"""
OTHER = """\
from runpod_flash import Endpoint

api = Endpoint(name="wörker")


@api.post("/x")
async def x(data: dict) -> dict:
    return data
"""
EDITS = [
    lambda text: "\n" + text,  # every line moves down
    lambda text: text.replace("# Données", "# 🚀🚀 Données"),  # a comment line, not a finding's
    lambda text: text.replace('name="wörker", gpu', 'name="wörker",  gpu', 1),  # a finding's line
    lambda text: text.replace("ADA_24)\nasync def again", "ADA_24)\n\nasync def again"),
    lambda text: text.replace("import torch\n", ""),
    lambda text: text + "\n# the end 🚀\n",
    lambda text: text.rstrip("\n"),
]


def _published(report: AppReport) -> dict[Path, tuple[str, list[str]]]:
    return {
        path: (file_report.result_id, file_report.keys)
        for path, file_report in report.files.items()
    }


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
def test_reused_findings_equal_converted_ones(tmp_path: Path, encoding: str) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (root / "worker.py").write_text(WORKER.format(note="é"))
    (root / "other.py").write_text(OTHER)
    workspace = Workspace([root], known_selector=is_known_selector)
    engine = Engine(workspace, Documents())
    rng = random.Random(3)
    kept = 0
    try:
        previous = build_report(engine, root, 0, encoding, path_to_uri)
        text = (root / "worker.py").read_text()
        for step in range(1, 25):
            text = rng.choice(EDITS)(text)
            workspace.update(root / "worker.py", text)
            reused = build_report(engine, root, step, encoding, path_to_uri, None, previous)
            fresh = build_report(engine, root, step, encoding, path_to_uri)
            assert _published(reused) == _published(fresh), step
            for path, file_report in reused.files.items():
                assert result_id(file_report.items) == fresh.files[path].result_id
                earlier = previous.files[path].items if path in previous.files else []
                before = {id(item) for item in earlier}
                kept += sum(id(item) in before for item in file_report.items)
            previous = reused
        assert kept  # some findings were not converted again
    finally:
        engine.close()
