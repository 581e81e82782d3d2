"""Start-up discipline of the CLI: an import budget, and the argv fast path reading what typer reads.

``flash-ls manifest`` and ``flash-ls check`` run without typer (``flash_ls_cli.main``). These tests
keep it so: which modules a run imports (not how long it takes: speed figures live in
benchmarks/), and that every command line the fast path accepts means what it means to typer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cli_imports import imported_by, loaded
from typer.testing import CliRunner

from flash_ls import __version__
from flash_ls_cli import build_cmd, building, main, runner, typer_app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"

# Never on either path: the typer front end (typer, click, rich), the fix machinery's CST library,
# the server's stack, a report format nobody asked for (junit's xml), the build's packaging half.
NEVER = (
    "typer",
    "click",
    "rich",
    "libcst",
    "jedi",
    "pygls",
    "lsprotocol",
    "watchfiles",
    "xml.etree",
    "flash_ls.server",
    "flash_ls.build.api",
    "flash_ls.build.tarball",
    "flash_ls_cli.typer_app",
    "flash_ls_cli.build_cmd",
)
# Not needed to print a manifest either: the network client, the install and handler steps, check.
NOT_FOR_MANIFEST = (
    "urllib.request",
    "http.client",
    "flash_ls.build.deps",
    "flash_ls.build.handlers",
    "flash_ls.checking",
)
# Not needed by an app without a `[tool.flash-ls]` table nor a size report, checked or listed
# without overrides: pydantic validates configuration and reads reports, nothing else here.
NOTHING_TO_VALIDATE = (
    "pydantic",
    "flash_ls.project.config_validation",
    "flash_ls.project.size_report",
)


@pytest.fixture
def hello_world(tmp_path: Path) -> Path:
    app = tmp_path / "hello_world"
    shutil.copytree(FIXTURES / "hello_world", app, ignore=shutil.ignore_patterns(".flash"))
    return app


def test_manifest_imports_no_front_end(hello_world: Path) -> None:
    done, modules = imported_by(hello_world, "manifest", ".")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project_name"] == "hello_world"
    assert "flash_ls.build.manifest" in modules  # the listing works
    assert [
        m for m in (*NEVER, *NOT_FOR_MANIFEST, *NOTHING_TO_VALIDATE) if loaded(modules, m)
    ] == []


def test_check_text_imports_no_front_end(hello_world: Path) -> None:
    done, modules = imported_by(hello_world, "check", ".", "--no-color")

    assert done.returncode == 0, done.stderr
    assert "All checks passed!" in done.stdout
    assert "flash_ls.checking" in modules
    assert [m for m in (*NEVER, *NOTHING_TO_VALIDATE) if loaded(modules, m)] == []


def has_config_table(app: Path) -> bool:
    pyproject = app / "pyproject.toml"
    return pyproject.is_file() and "flash-ls" in pyproject.read_text()


PLAIN_FIXTURES = sorted(
    app.name for app in FIXTURES.iterdir() if app.is_dir() and not has_config_table(app)
)


@pytest.mark.parametrize("command", ["manifest", "check"])
@pytest.mark.parametrize("name", PLAIN_FIXTURES)
def test_apps_without_a_config_table_do_not_load_pydantic(
    tmp_path: Path, name: str, command: str
) -> None:
    app = tmp_path / name
    shutil.copytree(FIXTURES / name, app, ignore=shutil.ignore_patterns(".flash"))
    extra = ("--no-color", "--no-cache") if command == "check" else ()

    done, modules = imported_by(app, command, ".", *extra)

    assert done.returncode in (0, 1), done.stderr  # 1: the fixture's findings (demo)
    assert "flash_ls.project.config" in modules
    assert [m for m in NOTHING_TO_VALIDATE if loaded(modules, m)] == []


def test_a_config_table_loads_the_validation(hello_world: Path) -> None:
    pyproject = hello_world / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.flash-ls]\nlarge-file-mb = 10\n")

    done, modules = imported_by(hello_world, "check", ".", "--no-color", "--no-cache")

    assert done.returncode == 0, done.stderr
    assert "flash_ls.project.config_validation" in modules


def test_a_second_check_of_an_unchanged_app_replays_without_the_engine(tmp_path: Path) -> None:
    # The warm path: nothing changed, so the findings come from the results cache; neither the
    # parser nor a rule is imported, and the report is the same, byte for byte.
    app = tmp_path / "app"
    app.mkdir()
    (app / "worker.py").write_text(
        "import numpy\nfrom runpod_flash import Endpoint\n\n"
        '@Endpoint(name="worker")\n'
        "async def work() -> list:\n    return numpy.zeros(1).tolist()\n"
    )
    past = time.time() - 60  # files written "just now" are never trusted (racy timestamps)
    for path in (app, app / "worker.py"):
        os.utime(path, (past, past))

    first, cold = imported_by(app, "check", ".", "--no-color", "--fail-on", "never")
    second, warm = imported_by(app, "check", ".", "--no-color", "--fail-on", "never")

    assert first.returncode == second.returncode == 0, first.stderr
    assert "FL301" in first.stdout and second.stdout == first.stdout
    engine = (
        "flash_ls.rules.families",
        "flash_ls.rules.engine",
        "flash_ls.parse",
        "flash_ls.project.workspace",
        "pydantic",
    )
    assert [m for m in engine[:-1] if not loaded(cold, m)] == []
    assert [m for m in engine if loaded(warm, m)] == []


def test_findings_print_without_rich(tmp_path: Path) -> None:
    # A finding blocks the manifest: the plain-text report needs no rich either.
    app = tmp_path / "app"
    app.mkdir()
    (app / "worker.py").write_text(
        "from runpod_flash import Endpoint\n\n"
        '@Endpoint(name="team/worker")\n'
        "async def work() -> None: ...\n"
    )

    done, modules = imported_by(app, "manifest", ".")

    assert done.returncode == 1
    assert "FL106" in done.stderr
    assert [m for m in NEVER if loaded(modules, m)] == []


# -- the fast path reads argv as typer does -------------------------------------------------------


class Recorder:
    """Stands in for a runner function: records its arguments, returns exit status 0."""

    def __init__(self, function: Any) -> None:
        import inspect

        self.signature = inspect.signature(function)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> int:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        self.calls.append(dict(bound.arguments))
        return 0


def _normalise(arguments: dict[str, Any]) -> dict[str, Any]:
    # Both front ends give the runner lists (or None) for the repeated options and paths.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in arguments.items()}


@pytest.mark.parametrize(
    "argv",
    [
        ["manifest"],
        ["manifest", "app"],
        ["manifest", "some/app/"],
        ["manifest", "app", "--python-version", "3.11"],
        ["manifest", "--python-version=3.13", "app"],
        ["check"],
        ["check", "a", "b/c.py"],
        ["check", "--output-format", "json", "app"],
        ["check", "-f", "sarif", "--fail-on=warning", "app"],
        ["check", "--select", "FL1", "--select", "FL3,FL5", "--ignore=FL102", "app"],
        ["check", "--fix", "--diff", "--no-cache", "--watch", "app"],
        ["check", "--fix", "--unsafe-fixes", "app"],
        ["check", "--color", "-v"],
        ["check", "--no-color", "--verbose", "--python", "venv/bin/python"],
        ["check", "--python=/usr/bin/python3", "x.py"],
        ["check", "--offline", "--size-platform", "linux-x86_64", "--size-timeout=30", "app"],
        ["check", "--size-timeout", "2.5"],
        ["check", "-f", "nonsense", "--fail-on", "bogus", "--select", "nope"],
        ["build"],
        ["build", "app"],
        ["build", "--no-deps", "app"],
        ["build", "app", "-o", "x.tar.gz", "--exclude", "torch,numpy", "--exclude=scipy"],
        ["build", "--output=a.tgz", "--python-version", "3.11"],
    ],
)
def test_fast_path_reads_what_typer_reads(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = {"manifest": "run_manifest", "build": "run_build"}.get(argv[0], "run_check")
    home = building if target == "run_build" else runner
    fast, slow = Recorder(getattr(home, target)), Recorder(getattr(home, target))
    monkeypatch.setattr(home, target, fast)
    monkeypatch.setattr(build_cmd if target != "run_check" else typer_app, target, slow)

    command = main.fast_command(argv)
    assert command is not None
    assert command() == 0
    done = CliRunner().invoke(typer_app.app, argv)

    assert done.exit_code == 0, done.output
    assert len(fast.calls) == len(slow.calls) == 1
    assert _normalise(fast.calls[0]) == _normalise(slow.calls[0])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--version", "check"],
        ["--help"],
        ["rules"],
        ["build", "a", "b"],
        ["build", "--no-deps=yes"],
        ["build", "-o"],
        ["build", "--help"],
        ["manifest", "--help"],
        ["manifest", "a", "b"],
        ["manifest", "-x"],
        ["manifest", "--python-version"],
        ["manifest", "--python-version", "3.11", "--python-version", "3.12"],
        ["manifest", "--python-version", "-1"],
        ["manifest", ""],
        ["manifest", "-"],
        ["manifest", "--", "app"],
        ["check", "-h"],
        ["check", "-vf", "json"],
        ["check", "-fjson"],
        ["check", "-f=json"],
        ["check", "--fix=yes"],
        ["check", "--color", "--no-color"],
        ["check", "--select"],
        ["check", "--select="],
        ["check", "--out", "json"],
        ["check", "--size-timeout", "soon"],
        ["check", "--offline=yes"],
    ],
)
def test_fast_path_leaves_the_rest_to_typer(argv: list[str]) -> None:
    assert main.fast_command(argv) is None


def test_version_as_typer_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    command = main.fast_command(["--version"])
    assert command is not None
    assert command() == 0
    done = CliRunner().invoke(typer_app.app, ["--version"])

    assert done.exit_code == 0
    assert capsys.readouterr().out == done.stdout == f"flash-ls {__version__}\n"


def test_completion_requests_go_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_FLASH_LS_COMPLETE", "bash_complete")

    assert main.fast_command(["check"]) is None


def test_usage_errors_come_from_typer(hello_world: Path) -> None:
    env = {**os.environ, "FLASH_LS_CACHE_DIR": str(hello_world.parent / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "flash_ls", "manifest", ".", "extra"],
        cwd=hello_world,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )

    assert done.returncode == 2
    assert "unexpected extra argument" in done.stderr.lower()


def test_main_app_is_the_typer_app() -> None:
    assert main.app is typer_app.app
