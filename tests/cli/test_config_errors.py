"""A broken `[tool.flash-ls]` is a usage error: exit 2, `path:line: message` on stderr, no report."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import write_app
from cli_imports import flash_ls

WORKER = """
import numpy
from runpod_flash import Endpoint

@Endpoint(name="worker")
async def work() -> list:
    return numpy.zeros(1).tolist()
"""

BAD_VALUES = """[project]
name = "app"

[tool.flash-ls]
ignore = "FL302"
severity = { FL301 = "fatal" }
"""


def app_with(tmp_path: Path, pyproject: str) -> Path:
    write_app(tmp_path / "app", {"worker.py": WORKER, "pyproject.toml": pyproject})
    return tmp_path


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_check_exits_2_with_each_problem_on_its_line(tmp_path: Path, output_format: str) -> None:
    done = flash_ls(app_with(tmp_path, BAD_VALUES), "check", "app", "-f", output_format)

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "app/pyproject.toml:5: `ignore` must be an array, not a string",
        "app/pyproject.toml:6: `severity.FL301` must be error, warning, info or hint, not 'fatal'",
    ]
    assert done.stdout == ""  # no findings computed with a configuration that was not applied


def test_a_second_run_replayed_from_the_cache_fails_the_same_way(tmp_path: Path) -> None:
    root = app_with(tmp_path, BAD_VALUES)
    first, second = flash_ls(root, "check", "app"), flash_ls(root, "check", "app")

    assert first.returncode == second.returncode == 2
    assert second.stderr == first.stderr


def test_malformed_toml_is_reported_on_its_line(tmp_path: Path) -> None:
    broken = '[project]\nname = "app"\n\n[tool.flash-ls]\nselect = ["FL1"\nignore = []\n'
    done = flash_ls(app_with(tmp_path, broken), "check", "app")

    assert done.returncode == 2
    assert done.stderr == "app/pyproject.toml:6: invalid TOML: unclosed array\n"


def test_unknown_rules_and_keys(tmp_path: Path) -> None:
    text = '[tool.flash-ls]\nselect = ["FL3", "FL999"]\nsize-budget = 10\n'
    done = flash_ls(app_with(tmp_path, text), "check", "app")

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "app/pyproject.toml:2: unknown rule `FL999` in `select`; see `flash-ls rules`",
        "app/pyproject.toml:3: unknown key `size-budget` in [tool.flash-ls]; "
        "did you mean `size-budget-mb`?",
    ]


def test_fix_writes_nothing_under_a_broken_configuration(tmp_path: Path) -> None:
    root = app_with(tmp_path, BAD_VALUES)
    before = (root / "app" / "worker.py").read_text()

    done = flash_ls(root, "check", "--fix", "app")

    assert done.returncode == 2
    assert (root / "app" / "worker.py").read_text() == before  # FL301's fix was not applied


@pytest.mark.parametrize("command", ["manifest", "build"])
def test_manifest_and_build_stop_the_same_way(tmp_path: Path, command: str) -> None:
    root = app_with(tmp_path, BAD_VALUES)

    done = flash_ls(root / "app", command, ".")

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "pyproject.toml:5: `ignore` must be an array, not a string",
        "pyproject.toml:6: `severity.FL301` must be error, warning, info or hint, not 'fatal'",
    ]
    assert not (root / "app" / ".flash").exists()


def test_a_valid_table_still_applies(tmp_path: Path) -> None:
    fixed = BAD_VALUES.replace('"FL302"', '["FL302"]').replace('"fatal"', '"error"')
    done = flash_ls(app_with(tmp_path, fixed), "check", "app", "--no-color")

    assert done.returncode == 1, done.stderr  # FL301 raised to an error by the table
    assert "FL301" in done.stdout and done.stderr == ""


def test_a_folder_that_is_not_a_flash_app_is_not_judged(tmp_path: Path) -> None:
    app_with(tmp_path, '[project]\nname = "app"\n')
    write_app(tmp_path / "tools", {"lint.py": "print('hi')\n", "pyproject.toml": "[tool.x\n"})

    done = flash_ls(tmp_path, "check", ".", "--no-color")

    assert done.returncode == 0, done.stderr  # not a usage error
    assert "FL301" in done.stdout and done.stderr == ""  # the app next to it is checked
