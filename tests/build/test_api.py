"""The engine API the CLI and the server share, and the ``manifest``/``build`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from apps import load_app, write_app
from buildkit import build
from typer.testing import CliRunner

from flash_ls.build.api import BuildError, BuildOptions, BuildResult, build_app
from flash_ls.build.manifest import build_manifest
from flash_ls.progress import Cancelled, SilentProgress
from flash_ls.project.workspace import Workspace
from flash_ls_cli.build_cmd import register

WORKER = """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
    async def infer(prompt: str) -> dict:
        return {"prompt": prompt}
    """


@pytest.fixture(autouse=True)
def _offline(offline_pip: dict[str, str]) -> None:
    """No network for the builds of these tests."""


def test_progress_reports_each_step(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    progress = SilentProgress()

    result = build_app(load_app(root), BuildOptions(), progress)

    assert progress.steps == ["check", "discover", "install", "package"]
    assert BuildResult.model_validate_json(result.model_dump_json()) == result
    assert result.duration_s > 0


def test_error_findings_block_the_build(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {"worker.py": WORKER.replace('name="gpu-worker"', 'name="team/gpu-worker"')},
    )

    with pytest.raises(BuildError) as raised:
        build(root)

    assert raised.value.message == "1 error in app blocks the build"
    assert [d.code for d in raised.value.diagnostics] == ["FL106"]
    assert not (root / ".flash").exists()


def test_cancelled_before_anything_is_written(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    progress = SilentProgress()
    progress.cancel()

    with pytest.raises(Cancelled):
        build_app(load_app(root), BuildOptions(), progress)

    assert not (root / ".flash").exists()


def test_unsaved_editor_text_is_not_built(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    workspace = Workspace([root])
    workspace.update(root / "worker.py", (root / "worker.py").read_text() + "\n# typing...\n")

    with pytest.raises(BuildError, match=r"save worker\.py first"):
        build_app(workspace.app(root), BuildOptions(), SilentProgress())


def test_values_only_known_at_run_time_are_reported(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {
            "worker.py": """
                import os

                from runpod_flash import Endpoint

                @Endpoint(name="worker", workers=int(os.environ.get("MAX", "3")))
                async def work() -> None: ...
                """
        },
    )

    with pytest.raises(BuildError) as raised:
        build_manifest(load_app(root))

    assert raised.value.message.startswith("worker.py:5: `workers` is `int(os.environ.get(")
    assert "without running your code" in raised.value.message


def test_python_version_override(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    app = load_app(root)

    manifest = build_manifest(app, python_version="3.11", environ={})

    assert manifest["python_version"] == "3.11"
    assert manifest["resources"]["gpu-worker"]["target_python_version"] == "3.11"
    assert manifest["resources"]["gpu-worker"]["imageName"] == "runpod/flash:py3.12-latest"
    with pytest.raises(BuildError, match=r"Python 3\.9 is not supported"):
        build_manifest(app, python_version="3.9")


def test_no_python_files(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"README.md": "# nothing\n"})

    with pytest.raises(BuildError, match="No Python files found"):
        build(root)


def test_engine_does_not_import_front_ends() -> None:
    code = (
        "import sys, flash_ls.build.api, flash_ls.build.manifest;"
        "from flash_ls.rules.registry import all_rules; all_rules();"
        "print([m for m in ('typer', 'pygls', 'lsprotocol', 'rich') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


# -- CLI ------------------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None: ...

    register(app)
    return app


def test_manifest_command_prints_the_manifest(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})

    done = CliRunner().invoke(_cli(), ["manifest", str(root), "--python-version", "3.11"])

    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    expected = build_manifest(load_app(root), python_version="3.11")
    assert list(printed) == list(expected)
    assert printed["resources"] == expected["resources"]
    assert not (root / ".flash").exists()


def test_build_command_writes_the_outputs(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})

    done = CliRunner().invoke(
        _cli(), ["build", str(root), "--no-deps", "-o", "out.tar.gz", "--exclude", "numpy,scipy"]
    )

    assert done.exit_code == 0, done.output
    assert "built app" in done.stdout
    assert (root / ".flash" / "out.tar.gz").is_file()
    assert "No packages matched exclusions: numpy, scipy" in done.stderr


def test_build_command_prints_blocking_findings(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {"worker.py": WORKER.replace('name="gpu-worker"', 'name="team/gpu-worker"')},
    )

    for command in ("build", "manifest"):
        done = CliRunner().invoke(_cli(), [command, str(root)])

        assert done.exit_code == 1
        assert "worker.py:3:" in done.stderr and "FL106" in done.stderr
    assert not (root / ".flash").exists()
