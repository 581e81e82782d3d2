"""`flash-ls check` / `flash-ls manifest` as subprocesses on apps Python reads as the build does:
PEP 263 coding declarations, `from runpod_flash import *`, package re-exports (FL307) and routes
registered outside the declaring module (FL109)."""

from __future__ import annotations

import json
from pathlib import Path

from apps import LATIN1_TORCH_WORKER, LATIN1_TORCH_WORKER_FIXED, write_app
from cli_imports import flash_ls

STAR = """
from runpod_flash import *

api = Endpoint(name="api", cpu=CpuInstanceType.CPU3C_1_2, workers=(1, 2))


@api.post("/run")
async def run(x: int):
    return x
"""


def findings(cwd: Path, *args: str) -> list[dict[str, object]]:
    result = flash_ls(cwd, "check", "--output-format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    items: list[dict[str, object]] = json.loads(result.stdout)
    return items


def test_check_reads_a_latin1_file_and_fix_writes_it_back_in_latin1(tmp_path: Path) -> None:
    write_app(tmp_path / "app", {"worker.py": LATIN1_TORCH_WORKER.encode("latin-1")})
    found = findings(tmp_path, "app")
    assert [(f["code"], f["line"]) for f in found] == [("FL301", 3), ("FL302", 9)]  # not FL901
    result = flash_ls(tmp_path, "check", "--fix", "--select", "FL301", "app")
    assert result.returncode == 0, result.stdout + result.stderr
    expected = LATIN1_TORCH_WORKER_FIXED.encode("latin-1")
    assert (tmp_path / "app" / "worker.py").read_bytes() == expected


def test_manifest_lists_the_endpoints_of_a_star_import(tmp_path: Path) -> None:
    write_app(tmp_path / "app", {"worker.py": STAR})
    assert findings(tmp_path, "app") == []
    result = flash_ls(tmp_path, "manifest", "app")
    assert result.returncode == 0, result.stderr
    api = json.loads(result.stdout)["resources"]["api"]
    assert api["resource_type"] == "CpuLiveLoadBalancer"
    assert (api["instanceIds"], api["workersMin"], api["workersMax"]) == (["cpu3c-1-2"], 1, 2)
    assert [f["http_path"] for f in api["functions"]] == ["/run"]


def test_check_reports_a_package_reexport_with_its_fix(tmp_path: Path) -> None:
    write_app(
        tmp_path / "app",
        {
            "service/__init__.py": "from .api import api\n",
            "service/api.py": STAR.replace("\n@api.post", "\n@api.get").replace(
                '"/run"', '"/ping2"'
            ),
            "routes.py": 'from service import api\n\n\n@api.post("/echo")\ndef echo(): ...\n',
        },
    )
    fl307 = [f for f in findings(tmp_path, "app") if f["code"] == "FL307"]
    assert [(f["path"], f["line"], f["column"]) for f in fl307] == [("app/routes.py", 1, 21)]
    fix = fl307[0]["fix"]
    assert isinstance(fix, dict)
    assert fix["message"] == "Import from the defining module: `from service.api import api`"
    assert fix["edits"] == [
        {
            "path": "app/routes.py",
            "line": 1,
            "column": 6,
            "end_line": 1,
            "end_column": 13,
            "new_text": "service.api",
        }
    ]
    assert flash_ls(tmp_path, "check", "--fix", "--select", "FL307", "app").returncode == 0
    assert (tmp_path / "app" / "routes.py").read_text().startswith("from service.api import api\n")


def test_check_reports_routes_outside_the_declaring_module(tmp_path: Path) -> None:
    write_app(
        tmp_path / "app",
        {
            "common.py": STAR.split("\n\n@api")[0] + "\n",
            "routes.py": 'from common import api\n\n\n@api.post("/run")\ndef run(): ...\n',
        },
    )
    result = flash_ls(tmp_path, "check", "app")
    assert result.returncode == 1
    assert "app/routes.py:1:20: FL109 [routes-outside-declaring-module] routes of endpoint " in (
        result.stdout
    )
    assert "= note: common.py declares it; flash build succeeds but writes" in result.stdout
    assert "1 more fix available with --unsafe-fixes." in result.stdout
    fixed = flash_ls(tmp_path, "check", "--fix", "--unsafe-fixes", "app")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "api = Endpoint(" in (tmp_path / "app" / "routes.py").read_text()
    assert "api = Endpoint(" not in (tmp_path / "app" / "common.py").read_text()
