"""App roots: nearest marker directory, never above the boundary; discovery of several apps."""

from __future__ import annotations

from pathlib import Path

import pytest

from flash_ls.project.roots import app_root_for, discover_apps


def make_tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")


def test_nearest_marker_wins(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "pyproject.toml",
            "apps/one/requirements.txt",
            "apps/one/workers/gpu.py",
            "apps/two/.flash/",
            "apps/two/main.py",
            "scripts/tool.py",
        ],
    )
    assert app_root_for(tmp_path / "apps/one/workers/gpu.py", tmp_path) == tmp_path / "apps/one"
    assert app_root_for(tmp_path / "apps/two/main.py", tmp_path) == tmp_path / "apps/two"
    assert app_root_for(tmp_path / "scripts/tool.py", tmp_path) == tmp_path


def test_no_marker_falls_back_to_boundary(tmp_path: Path) -> None:
    make_tree(tmp_path, ["outer/pyproject.toml", "outer/ws/pkg/mod.py"])
    boundary = tmp_path / "outer/ws"
    # The marker above the workspace folder is not used.
    assert app_root_for(boundary / "pkg/mod.py", boundary) == boundary


def test_directory_and_unsaved_paths(tmp_path: Path) -> None:
    make_tree(tmp_path, ["app/pyproject.toml", "app/pkg/"])
    assert app_root_for(tmp_path / "app", tmp_path) == tmp_path / "app"
    assert app_root_for(tmp_path / "app/pkg/new_file.py", tmp_path) == tmp_path / "app"


def test_path_outside_boundary_uses_its_own_directory(tmp_path: Path) -> None:
    make_tree(tmp_path, ["ws/main.py", "elsewhere/pyproject.toml", "elsewhere/sub/x.py"])
    assert (
        app_root_for(tmp_path / "elsewhere/sub/x.py", tmp_path / "ws") == tmp_path / "elsewhere/sub"
    )


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path, ["app/requirements.txt", "app/main.py"])
    monkeypatch.chdir(tmp_path)
    assert app_root_for(Path("app/main.py"), Path(".")) == tmp_path / "app"


def test_discover_one_app_per_subfolder(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "hello/pyproject.toml",
            "hello/gpu_worker.py",
            "cpu/requirements.txt",
            "cpu/worker.py",
            "cpu/nested/.flash/",
            "cpu/nested/inner.py",
            "README.md",
        ],
    )
    assert discover_apps(tmp_path) == [
        tmp_path / "cpu",
        tmp_path / "cpu/nested",
        tmp_path / "hello",
    ]


def test_discover_includes_boundary_with_loose_python(tmp_path: Path) -> None:
    make_tree(tmp_path, ["app/pyproject.toml", "app/main.py", "tools/script.py"])
    assert discover_apps(tmp_path) == [tmp_path, tmp_path / "app"]


def test_discover_boundary_with_marker(tmp_path: Path) -> None:
    make_tree(tmp_path, ["pyproject.toml", "main.py"])
    assert discover_apps(tmp_path) == [tmp_path]


def test_discover_nothing(tmp_path: Path) -> None:
    make_tree(tmp_path, ["notes.txt"])
    assert discover_apps(tmp_path) == []
    assert discover_apps(tmp_path / "notes.txt") == []


def test_discover_skips_tool_and_env_directories(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "app/pyproject.toml",
            ".venv/lib/python3.11/site-packages/pkg/pyproject.toml",
            "node_modules/x/requirements.txt",
            ".git/pyproject.toml",
            ".tox/py311/pyproject.toml",
            "myenv/pyvenv.cfg",
            "myenv/src/dep/pyproject.toml",
            "app/.flash/.build/pyproject.toml",
            "__pycache__/x.py",
        ],
    )
    assert discover_apps(tmp_path) == [tmp_path / "app"]


def test_discover_survives_symlink_loops(tmp_path: Path) -> None:
    make_tree(tmp_path, ["app/pyproject.toml", "app/main.py"])
    (tmp_path / "app" / "loop").symlink_to(tmp_path)
    (tmp_path / "again").symlink_to(tmp_path / "app")
    (tmp_path / "knot").symlink_to(tmp_path / "knot")
    assert discover_apps(tmp_path) == [tmp_path / "app"]


def test_discover_does_not_follow_links_outside(tmp_path: Path) -> None:
    make_tree(tmp_path, ["ws/app/pyproject.toml", "outside/other/pyproject.toml"])
    (tmp_path / "ws" / "ext").symlink_to(tmp_path / "outside")
    assert discover_apps(tmp_path / "ws") == [tmp_path / "ws/app"]
