"""The shipped-file listing: the same files as the build's walk, cached on disk across processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flash_ls.project import sizes
from flash_ls.project.cache import FactsCache
from flash_ls.project.ignore import iter_shipped_files
from flash_ls.project.workspace import Workspace

OLD_NS = 1_600_000_000 * 10**9  # 2020: far outside the racy window


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cache"))
    sizes.clear_caches()


def _tree(root: Path) -> Path:
    app = root / "app"
    for rel, text in {
        "pyproject.toml": '[project]\nname = "a"\n',
        ".gitignore": "data/\n*.log\n!keep.log\n",
        "main.py": "import os\n",
        "pkg/__init__.py": "",
        "pkg/deep/mod.py": "X = 1\n",
        "pkg/deep/notes.log": "x",
        "pkg/deep/keep.log": "kept",
        "data/big.bin": "0" * 100,
        "empty/sub/.keep": "",
        "tests/test_x.py": "",
    }.items():
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _age(app)
    return app


def _age(app: Path) -> None:
    for directory, _, _ in os.walk(app):
        os.utime(directory, ns=(OLD_NS, OLD_NS))


def _app(root: Path) -> object:
    return Workspace([root], cache=FactsCache()).app(root)


def _reference(app: object) -> list[str]:
    return sorted(
        p.relative_to(app.root).as_posix() for p in iter_shipped_files(app.root, app.ignore)
    )  # type: ignore[attr-defined]


def test_listing_matches_the_build_walk_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    app = _app(root)
    first = sizes.shipped_files(app)  # type: ignore[arg-type]
    assert [f.rel for f in first] == _reference(app)
    assert list((tmp_path / "cache").rglob("walks/*.pickle"))
    sizes.clear_caches()

    def no_walk(app: object) -> None:
        raise AssertionError("walked although nothing changed")

    monkeypatch.setattr(sizes.shipped, "_list_shipped", no_walk)
    assert sizes.shipped_files(_app(root)) == first  # type: ignore[arg-type]


def test_new_file_in_a_deep_or_empty_directory_is_seen(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    sizes.shipped_files(_app(root))  # type: ignore[arg-type]
    (root / "empty" / "sub" / "new.py").write_text("")
    sizes.clear_caches()
    app = _app(root)
    rels = [f.rel for f in sizes.shipped_files(app)]  # type: ignore[arg-type]
    assert "empty/sub/new.py" in rels
    assert rels == _reference(app)


def test_file_rewritten_in_place_reports_its_new_size(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    sizes.shipped_files(_app(root))  # type: ignore[arg-type]
    (root / "pkg" / "deep" / "keep.log").write_text("kept and longer")
    _age(root)
    sizes.clear_caches()
    by_rel = {f.rel: f.bytes for f in sizes.shipped_files(_app(root))}  # type: ignore[arg-type]
    assert by_rel["pkg/deep/keep.log"] == len("kept and longer")


def test_symlinked_tree_uses_the_reference_walk(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "linked").symlink_to(root / "pkg")
    (root / "outside").symlink_to(tmp_path)
    app = _app(root)
    assert [f.rel for f in sizes.shipped_files(app)] == _reference(app)  # type: ignore[arg-type]
    assert not list((tmp_path / "cache").rglob("walks/*.pickle"))
