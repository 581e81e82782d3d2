"""The files `flash build` ships: root .gitignore + built-in patterns, official walk semantics."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flash_ls.project.ignore import BUILTIN_PATTERNS, IgnoreRules, iter_shipped_files


def make_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def shipped(root: Path, rules: IgnoreRules | None = None) -> list[str]:
    rules = rules or IgnoreRules.load(root)
    return sorted(path.relative_to(root).as_posix() for path in iter_shipped_files(root, rules))


def test_builtin_patterns_in_official_order() -> None:
    assert BUILTIN_PATTERNS[:6] == (
        ".build/",
        ".flash/",
        ".runpod/",
        "*.tar.gz",
        ".git/",
        ".gitignore",
    )
    assert BUILTIN_PATTERNS[-3:] == ("docs/", "*.md", "!README.md")
    assert len(BUILTIN_PATTERNS) == 26


def test_typical_app(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {
            "main.py": "",
            "workers/gpu.py": "",
            "load_test.py": "",
            "test_api.py": "",
            "tests/x.py": "",
            "docs/guide.txt": "",
            "README.md": "",
            "NOTES.md": "",
            ".flashignore": "tests/\n",
            ".gitignore": "# comment\n\nlib/\n",
            "lib/helpers.py": "",
            ".env": "KEY=1",
            ".venv/bin/python": "",
            "__pycache__/main.cpython-311.pyc": "",
            ".flash/flash_manifest.json": "{}",
            "artifact.tar.gz": "",
            "requirements.txt": "",
            "pyproject.toml": "",
        },
    )
    assert shipped(tmp_path) == [
        ".flashignore",
        "README.md",
        "main.py",
        "pyproject.toml",
        "requirements.txt",
        "workers/gpu.py",
    ]


def test_is_ignored_and_matching_pattern(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("  lib/  \n# lib64/\nwheels\n")
    rules = IgnoreRules.load(tmp_path)
    assert rules.gitignore_patterns == ("lib/", "wheels")
    assert rules.is_ignored("load_test.py")
    assert rules.is_ignored("tests/x.py")
    assert rules.is_ignored("tests", is_dir=True)
    assert not rules.is_ignored("README.md")
    assert rules.is_ignored("NOTES.md")
    assert not rules.is_ignored(".flashignore")
    assert not rules.is_ignored("lib64/a.py")
    assert rules.matching_pattern("tests/x.py") == "tests/"
    assert rules.matching_pattern("pkg/load_test.py") == "*_test.py"
    assert rules.matching_pattern("lib/helpers.py") == ".gitignore: lib/"
    assert rules.matching_pattern("wheels/x.whl") == ".gitignore: wheels"
    assert rules.matching_pattern("main.py") is None
    assert rules.matching_pattern("README.md") is None


def test_root_gitignore_lib_is_not_shipped(tmp_path: Path) -> None:
    make_tree(
        tmp_path, {".gitignore": "lib/\n", "lib/util.py": "", "app/lib/deep.py": "", "main.py": ""}
    )
    assert shipped(tmp_path) == ["main.py"]


def test_nested_gitignore_is_not_honoured(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        {"main.py": "", "pkg/.gitignore": "secret.py\n", "pkg/secret.py": "", "pkg/mod.py": ""},
    )
    # The nested .gitignore itself matches the built-in ".gitignore" pattern.
    assert shipped(tmp_path) == ["main.py", "pkg/mod.py", "pkg/secret.py"]


def test_gitignore_negation_reincludes(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "*.json\n!keep.json\n", "a.json": "", "keep.json": ""})
    assert shipped(tmp_path) == ["keep.json"]


def test_readme_reincluded_directly_under_directory_only_pattern(tmp_path: Path) -> None:
    # The build tests "docs" (no slash), which "docs/" does not match, so it enters docs/ and the
    # final "!README.md" wins for docs/README.md; "docs/sub" does match, so deeper files are skipped.
    make_tree(
        tmp_path,
        {"docs/README.md": "", "docs/guide.md": "", "docs/sub/README.md": "", "main.py": ""},
    )
    assert shipped(tmp_path) == ["docs/README.md", "main.py"]
    rules = IgnoreRules.load(tmp_path)
    assert not rules.is_ignored("docs/README.md")
    assert rules.is_ignored("docs/sub/README.md")
    assert rules.matching_pattern("docs/sub/README.md") == "docs/"


def test_bare_directory_pattern_skips_whole_directory(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "vendor\n", "vendor/README.md": "", "main.py": ""})
    assert shipped(tmp_path) == ["main.py"]
    assert IgnoreRules.load(tmp_path).is_ignored("vendor/README.md")


def test_invalid_gitignore_line_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("!\nlib/\n")
    rules = IgnoreRules.load(tmp_path)
    assert rules.invalid_patterns == ("!",)
    assert rules.matching_pattern("lib/x.py") == ".gitignore: lib/"


def test_unreadable_gitignore_gives_builtins_only(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_bytes(b"\xff\xfe lib/\n")
    rules = IgnoreRules.load(tmp_path)
    assert rules.gitignore_patterns == ()
    assert rules.patterns == BUILTIN_PATTERNS


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    make_tree(tmp_path, {"main.py": "", "pkg/mod.py": ""})
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path)
    (tmp_path / "pkg" / "self").symlink_to(tmp_path / "pkg")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "knot").symlink_to(tmp_path / "knot")
    assert shipped(tmp_path) == ["main.py", "pkg/mod.py"]


def test_symlink_inside_app_is_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, {"shared/util.py": ""})
    (tmp_path / "alias").symlink_to(tmp_path / "shared")
    (tmp_path / "link.py").symlink_to(tmp_path / "shared" / "util.py")
    assert shipped(tmp_path) == ["alias/util.py", "link.py", "shared/util.py"]


def test_symlink_outside_app_is_not_yielded(tmp_path: Path) -> None:
    app, outside = tmp_path / "app", tmp_path / "outside"
    make_tree(app, {"main.py": ""})
    make_tree(outside, {"secret.py": "", "data/x.bin": ""})
    (app / "escape.py").symlink_to(outside / "secret.py")
    (app / "escape_dir").symlink_to(outside / "data")
    assert shipped(app) == ["main.py"]


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root"
)
def test_unreadable_directory_is_skipped(tmp_path: Path) -> None:
    make_tree(tmp_path, {"main.py": "", "locked/x.py": ""})
    (tmp_path / "locked").chmod(0)
    try:
        assert shipped(tmp_path) == ["main.py"]
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_directory_failing_to_list_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"main.py": "", "locked/x.py": ""})
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert shipped(tmp_path) == ["main.py"]


def _official_ignore_module() -> ModuleType:
    """runpod_flash/cli/utils/ignore.py from an installed runpod-flash, without importing the SDK."""
    spec = importlib.util.find_spec("runpod_flash")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("runpod-flash is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "cli" / "utils" / "ignore.py"
    module_spec = importlib.util.spec_from_file_location("_official_flash_ignore", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_same_files_as_official_build(tmp_path: Path) -> None:
    official = _official_ignore_module()
    make_tree(
        tmp_path,
        {
            ".gitignore": "lib/\n*.log\n!keep.log\nvendor\n/top.txt\n",
            "main.py": "",
            "a.log": "",
            "keep.log": "",
            "top.txt": "",
            "sub/top.txt": "",
            "lib/x.py": "",
            "vendor/README.md": "",
            "docs/README.md": "",
            "docs/a/README.md": "",
            "tests/README.md": "",
            "tests/conftest.py": "",
            "pkg/load_test.py": "",
            "pkg/test_x.py": "",
            "pkg/mod.py": "",
            "pkg/NOTES.md": "",
            "pkg/README.md": "",
            "x.egg-info/PKG-INFO": "",
            ".venv/README.md": "",
            ".env.local": "",
            "env.py": "",
        },
    )
    spec = official.load_ignore_patterns(tmp_path)
    expected = sorted(
        p.relative_to(tmp_path).as_posix() for p in official.get_file_tree(tmp_path, spec)
    )
    assert shipped(tmp_path) == expected


_PATTERNS = st.sampled_from(
    [
        "lib/",
        "lib",
        "*.bin",
        "!keep.bin",
        "data/**",
        "**/cache",
        "/top.py",
        "a/*/c",
        "build",
        "!build/",
        "*.py[cod]",
        "[Tt]emp*",
        "docs/**/*.md",
        "!docs/README.md",
        "x?y",
        "\\#hash",
        "name\\ with",
        "**",
        "!**/*.py",
        "sub/dir/",
    ]
)
_PARTS = st.sampled_from(
    [
        "lib",
        "a",
        "b",
        "c",
        "data",
        "cache",
        "build",
        "docs",
        "keep.bin",
        "w.bin",
        "top.py",
        "x.py",
        "README.md",
        "n.md",
        "xzy",
        "Temp1",
        "#hash",
        "tests",
        "test_a.py",
        "z_test.py",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PATTERNS, max_size=6), st.lists(st.lists(_PARTS, min_size=1, max_size=5)))
def test_fast_matching_agrees_with_pathspec_alone(
    patterns: list[str], paths: list[list[str]]
) -> None:
    # The one-regex prefilter and the per-directory memo only skip work: with them removed,
    # every path must get the same answer and the same excluding pattern.
    fast = IgnoreRules(tuple(patterns))
    plain = IgnoreRules(tuple(patterns))
    object.__setattr__(plain, "_any", None)
    for parts in paths:
        rel = "/".join(parts)
        for is_dir in (False, True):
            assert fast.matching_pattern(rel, is_dir) == plain.matching_pattern(rel, is_dir)
        assert fast.skips_dir(rel) == plain.skips_dir(rel)
