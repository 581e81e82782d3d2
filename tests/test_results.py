"""Replaying `flash-ls check` results of apps where nothing changed (the CLI's warm path)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from apps import write_app

from flash_ls import checking
from flash_ls.checking import CheckResult, check_paths
from flash_ls.project.cache import FactsCache
from flash_ls.results import ResultCache

WORKER = """
    import numpy
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="worker", gpu=GpuGroup.ADA_24)
    async def work(x: int) -> dict:
        return {"x": numpy.array([x]).tolist()}
"""


def age(root: Path, seconds: float = 60.0) -> None:
    """Make every file and directory under ``root`` look ``seconds`` old (not racy)."""
    past = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


def run(root: Path, cache: Path, **kwargs: object) -> CheckResult:
    return check_paths(
        [root],
        cache=FactsCache(cache),
        results=ResultCache(cache),
        cwd=root,
        **kwargs,  # type: ignore[arg-type]
    )


def shown(result: CheckResult) -> list[tuple[str, str, int, str]]:
    return [(d.code, d.path.name, d.span.start_line, d.message) for d in result.diagnostics]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = write_app(tmp_path / "app", {"worker.py": WORKER, "data/notes.txt": "hello\n"})
    age(root)
    return root


def test_an_unchanged_app_is_replayed_with_the_same_findings(app: Path, tmp_path: Path) -> None:
    first = run(app, tmp_path / "cache")
    assert [a.root for a in first.apps] == [app.resolve()]
    assert "FL301" in [d.code for d in first.diagnostics]
    second = run(app, tmp_path / "cache")
    assert second.apps == []  # nothing was loaded or checked
    assert shown(second) == shown(first)
    fix = next(d.fix for d in second.diagnostics if d.code == "FL301")
    first_fix = next(d.fix for d in first.diagnostics if d.code == "FL301")
    assert fix is not None and first_fix is not None
    assert (fix.message, fix.safe) == (first_fix.message, first_fix.safe)


@pytest.mark.parametrize(
    "change",
    [
        "edit a file",
        "add a module",
        "delete a module",
        "grow a data file",
        "add a .gitignore",
        "add a size report",
    ],
)
def test_any_change_under_the_app_is_checked_again(app: Path, tmp_path: Path, change: str) -> None:
    run(app, tmp_path / "cache")
    if change == "edit a file":
        (app / "worker.py").write_text(WORKER.replace("import numpy", "import numpy  # np"))
    elif change == "add a module":
        (app / "data" / "extra.py").write_text("import torch\n")
    elif change == "delete a module":
        (app / "worker.py").unlink()
    elif change == "grow a data file":
        (app / "data" / "notes.txt").write_text("hello\n" * 100)
    elif change == "add a .gitignore":
        (app / ".gitignore").write_text("data/\n")
    else:
        (app / ".flash").mkdir()
        (app / ".flash" / "size-report.json").write_text("{}")
    age(app)
    again = run(app, tmp_path / "cache")
    assert [a.root for a in again.apps] == [app.resolve()]


def test_a_replaced_file_with_the_same_size_and_mtime_is_checked_again(
    app: Path, tmp_path: Path
) -> None:
    # Rewriting through a new file (what editors and git do) changes the inode even when size and
    # modification time are put back.
    run(app, tmp_path / "cache")
    worker = app / "worker.py"
    stat = worker.stat()
    replacement = app / "worker.tmp"
    replacement.write_text(worker.read_text().replace("x: int", "y: int").replace("[x]", "[y]"))
    os.replace(replacement, worker)
    os.utime(worker, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.utime(app, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert worker.stat().st_size == stat.st_size
    again = run(app, tmp_path / "cache")
    assert [a.root for a in again.apps] == [app.resolve()]


def test_a_file_written_just_now_is_never_trusted(app: Path, tmp_path: Path) -> None:
    (app / "worker.py").write_text(WORKER)  # racy: modified within the timestamp window
    run(app, tmp_path / "cache")
    again = run(app, tmp_path / "cache")
    assert [a.root for a in again.apps] == [app.resolve()]  # nothing was stored to replay


def test_other_options_or_environment_are_checked_again(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(app, tmp_path / "cache")
    narrowed = run(app, tmp_path / "cache", select=["FL1"])
    assert narrowed.apps and "FL301" not in [d.code for d in narrowed.diagnostics]
    monkeypatch.setenv("FLASH_ENV", "staging")
    assert run(app, tmp_path / "cache").apps


def test_fix_edits_are_stored_only_when_a_run_needs_them(app: Path, tmp_path: Path) -> None:
    run(app, tmp_path / "cache")
    with_edits = run(app, tmp_path / "cache", need_edits=True)
    assert with_edits.apps  # stored without edits: not good enough for JSON output
    replayed = run(app, tmp_path / "cache", need_edits=True)
    assert replayed.apps == []
    fix = next(d.fix for d in replayed.diagnostics if d.code == "FL301")
    first = next(d.fix for d in with_edits.diagnostics if d.code == "FL301")
    assert fix is not None and first is not None
    assert fix.edits and fix.edits == first.edits
    assert run(app, tmp_path / "cache").apps == []  # and plain runs replay them too


def test_results_of_a_flash_app_expire(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checking, "INDEX_REPLAY_SECONDS", -1.0)  # stored already expired
    run(app, tmp_path / "cache")
    assert run(app, tmp_path / "cache").apps


def test_a_configured_interpreter_is_never_replayed(app: Path, tmp_path: Path) -> None:
    (app / "pyproject.toml").write_text('[project]\nname = "app"\n[tool.flash-ls]\npython = "x"\n')
    age(app)
    run(app, tmp_path / "cache")
    assert run(app, tmp_path / "cache").apps  # its pip and pip configuration live elsewhere


def test_sizes_of_the_moment_are_not_replayed(app: Path, tmp_path: Path) -> None:
    # Offline (as every test runs) with no cached resolution: the next check may know the sizes.
    (app / "requirements.txt").write_text("requests==2.31.0\n")
    age(app)
    run(app, tmp_path / "cache")
    assert run(app, tmp_path / "cache").apps
    # Only torch, which the build drops before pip: nothing to resolve, so it is replayed.
    (app / "requirements.txt").write_text("torch\n")
    age(app)
    run(app, tmp_path / "cache")
    assert run(app, tmp_path / "cache").apps == []


def test_one_cache_object_used_for_two_checks_sees_an_edit_between_them(
    app: Path, tmp_path: Path
) -> None:
    results = ResultCache(tmp_path / "cache")
    check_paths([app], cache=FactsCache(tmp_path / "cache"), results=results, cwd=app)
    (app / "worker.py").write_text(WORKER.replace("import numpy", "import numpy  # np"))
    age(app)
    again = check_paths([app], cache=FactsCache(tmp_path / "cache"), results=results, cwd=app)
    assert again.apps


def test_a_cache_directory_inside_the_app_does_not_defeat_the_replay(app: Path) -> None:
    cache = app / ".cache" / "flash-ls"
    run(app, cache)  # creates the cache folders: the app's tree changed once
    age(app)
    assert run(app, cache).apps  # stored, although this run writes into the app's tree
    assert run(app, cache).apps == []


def test_a_damaged_results_file_is_a_miss(app: Path, tmp_path: Path) -> None:
    run(app, tmp_path / "cache")
    for pack in (tmp_path / "cache").rglob("results.pack"):
        pack.write_bytes(b"not a pickle")
    again = run(app, tmp_path / "cache")
    assert again.apps and "FL301" in [d.code for d in again.diagnostics]
