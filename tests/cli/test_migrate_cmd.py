"""`flash-ls migrate` as a user runs it: a real subprocess, its exit codes, output and writes.

rc2's discovery and build of what it writes are ``tests/fixes/test_migrate_examples.py``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from apps import LATIN1_TORCH_WORKER, load_app, write_app
from cli_imports import flash_ls

from flash_ls.fixes import migrate
from flash_ls.fixes.migrate import AppMigration, migrate_app
from flash_ls.project.app import App
from flash_ls_cli import migrate_cmd
from tests.fixes.test_migrate_examples import NOT_MIGRATING

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<reason>.+)$")


def copy_app(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (the test's cache directory aside) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache-for-test" not in p.parts
    }


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_app("hello_world", tmp_path)
    before = snapshot(root)
    done = flash_ls(tmp_path, "migrate", "hello_world", "--diff")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "--- a/hello_world/gpu_worker.py\n+++ b/hello_world/gpu_worker.py\n@@ "
    )
    assert "-from runpod_flash import Endpoint, GpuType\n+import runpod\n" in done.stdout
    assert '+app = runpod.App("hello_world")\n' in done.stdout
    assert "+@runpod.local_entrypoint\n" in done.stdout
    assert snapshot(root) == before


def test_migrate_writes_exactly_the_plan(tmp_path: Path) -> None:
    root = copy_app("hello_world", tmp_path)
    [planned] = migrate_app(load_app(root)).changed_files
    assert planned.text is not None
    pyproject = (root / "pyproject.toml").read_bytes()

    done = flash_ls(root, "migrate")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert 'migrated 1 file to runpod.App("hello_world")' in done.stderr
    # runpod-flash is still listed: a note, not an edit of the project file.
    assert "pyproject.toml:" in done.stderr and "note: pyproject.toml still lists" in done.stderr
    assert (root / "gpu_worker.py").read_text(encoding="utf-8") == planned.text
    assert (root / "pyproject.toml").read_bytes() == pyproject
    assert not list(root.glob(".gpu_worker.py.*"))  # no temporary file left behind

    again = flash_ls(root, "migrate")  # the app uses runpod.App now
    assert again.returncode == 0, again.stderr
    assert "nothing to migrate" in again.stderr


def test_migrate_keeps_the_declared_encoding(tmp_path: Path) -> None:
    root = write_app(tmp_path / "latin", {"worker.py": LATIN1_TORCH_WORKER.encode("latin-1")})

    done = flash_ls(root, "migrate")

    assert done.returncode == 0, done.stderr
    data = (root / "worker.py").read_bytes()
    assert data.startswith(b"# -*- coding: latin-1 -*-\n# Pr\xe9paration")
    text = data.decode("latin-1")
    assert '@app.queue(name="caf\xe9", gpu="ADA_24", workers=1)' in text
    assert "runpod_flash" not in text


def test_an_app_that_does_not_migrate_exits_1_with_located_reasons(tmp_path: Path) -> None:
    root = copy_app("load_balancer", tmp_path)
    before = snapshot(root)

    done = flash_ls(tmp_path, "migrate", "load_balancer")

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    matches = [LOCATED.match(line) for line in lines]
    assert all(matches), lines
    found = [
        (m["file"].removeprefix("load_balancer/"), int(m["line"]), m["reason"])
        for m in matches
        if m is not None
    ]
    assert found == NOT_MIGRATING["load_balancer"]
    assert "does not migrate (6 reasons); nothing was written" in done.stderr
    assert snapshot(root) == before


def test_a_path_that_is_no_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text("from runpod_flash import Endpoint\n")

    done = flash_ls(tmp_path, "migrate", "worker.py")
    assert done.returncode == 2
    assert "flash-ls: worker.py is not a directory: migrate takes an app directory" in done.stderr

    missing = flash_ls(tmp_path, "migrate", "nowhere")
    assert missing.returncode == 2
    assert "flash-ls: nowhere does not exist" in missing.stderr


def test_a_directory_without_flash_code_has_nothing_to_migrate(tmp_path: Path) -> None:
    root = write_app(tmp_path / "plain", {"main.py": "print('hello')\n"})
    before = snapshot(root)

    done = flash_ls(tmp_path, "migrate", "plain")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "flash-ls: nothing to migrate in plain" in done.stderr
    assert snapshot(root) == before


def test_nothing_is_written_when_a_target_is_not_writable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In process: the check runs before any write (root may write anything, so access is faked).
    root = copy_app("hello_world", tmp_path)
    before = snapshot(root)
    target = (root / "gpu_worker.py").resolve()
    real_access = os.access
    monkeypatch.setattr(
        migrate_cmd.os, "access", lambda p, mode: Path(p) != target and real_access(p, mode)
    )
    monkeypatch.chdir(tmp_path)

    assert migrate_cmd.run_migrate(Path("hello_world")) == 1

    out, err = capsys.readouterr()
    assert out == "hello_world/gpu_worker.py: is not writable\n"
    assert "nothing was written" in err
    assert snapshot(root) == before


def test_nothing_is_written_when_a_file_changed_after_planning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_app("hello_world", tmp_path)
    worker = root / "gpu_worker.py"
    real = migrate.migrate_app

    def edited_meanwhile(app: App) -> AppMigration:  # someone saves the file meanwhile
        found = real(app)
        worker.write_text(worker.read_text() + "# edited\n")
        return found

    monkeypatch.setattr(migrate, "migrate_app", edited_meanwhile)
    monkeypatch.chdir(tmp_path)

    assert migrate_cmd.run_migrate(Path("hello_world")) == 1

    out, _ = capsys.readouterr()
    assert out == (
        "hello_world/gpu_worker.py: changed since it was read; run the migration again\n"
    )
    assert worker.read_text().endswith("# edited\n")
    assert "runpod_flash" in worker.read_text()
