"""FL4xx: size budgets and the build's file selection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from apps import check, codes, only, sparse, where, write_app

from flash_ls.diagnostic import Fix, Severity
from flash_ls.fixes.apply import apply_edits
from flash_ls.platform import BYTES_PER_MB
from flash_ls.project import sizes
from flash_ls.project.sizes import (
    ReportDistribution,
    SizeReport,
    native_platform,
    write_size_report,
)
from flash_ls.span import Span

MB = BYTES_PER_MB


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    sizes.clear_caches()
    yield
    sizes.clear_caches()


def built_with(
    root: Path, requirements: list[str], dists: dict[str, tuple[int, list[str]]]
) -> None:
    """A size report of a build from exactly ``requirements`` that installed ``dists`` (name ->
    installed bytes, Requires-Dist): the estimate's first source, no pip needed."""
    report = SizeReport(
        generated_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
        python_version="3.12",
        distributions=[
            ReportDistribution(name=name, version="1.0", bytes=size, requires=requires)
            for name, (size, requires) in dists.items()
        ],
        total_bytes=sum(size for size, _ in dists.values()),
        requirements=requirements,
    )
    write_size_report(root, report)


def apply_fix_to_disk(fix: Fix) -> None:
    """Apply a fix's edits to the files (an edit on a missing file creates it)."""
    for edit in fix.edits:
        text = edit.path.read_text() if edit.path.exists() else ""
        edit.path.write_text(apply_edits(text, [edit]))


WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="worker", gpu=GpuGroup.ADA_24, dependencies=["diffusers", "transformers"])
async def generate(prompt: str):
    import diffusers
    return prompt
"""

HELLO = {
    "gpu_worker.py": """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="hello", gpu=GpuGroup.ADA_24, dependencies=["numpy"])
    async def hello(name: str):
        import numpy as np
        return {"greeting": f"hello {name}", "n": int(np.arange(3).sum())}
    """,
    "README.md": "# hello\n",
    ".gitignore": ".venv/\n__pycache__/\n",
    "requirements.txt": "runpod-flash\n",
    "tests/test_gpu_worker.py": "from gpu_worker import hello\n",
}


def test_a_small_normal_app_has_no_size_findings(tmp_path: Path) -> None:
    assert codes(check(tmp_path, HELLO), "FL4") == []


# -- FL401 / FL402 --------------------------------------------------------------------------------


def test_fl401_on_the_dependency_that_contributes_most(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER, "requirements.txt": "pillow\n"})
    built_with(
        tmp_path,
        ["pillow", "diffusers", "transformers"],
        {
            "diffusers": (20 * MB, ["safetensors"]),
            "safetensors": (5 * MB, []),
            "transformers": (900 * MB, ["tokenizers"]),
            "tokenizers": (700 * MB, []),
            "pillow": (12 * MB, []),
        },
    )
    found = only(check(tmp_path), "FL401")
    assert [where(d) for d in found] == [("worker.py", 3)]
    diagnostic = found[0]
    assert diagnostic.severity is Severity.ERROR
    line = (tmp_path / "worker.py").read_text().splitlines()[2]
    span = diagnostic.span
    assert line[span.start_col : span.end_col] == '"transformers"'
    assert diagnostic.message == "artifact would be about 1.6 GB, above the 1500 MB limit"
    assert diagnostic.notes[:3] == (
        "flash build fails: Archive exceeds RunPod limit",
        "900.0 MB is transformers, declared by the app",
        "700.0 MB is tokenizers pulled in by transformers",
    )
    # Only what the app's requirements pull in may be excluded: tokenizers fits the limit.
    assert 'to fit, exclude tokenizers: exclude-packages = ["tokenizers"] in [tool.flash-ls]' in (
        diagnostic.notes
    )
    assert (
        diagnostic.notes[-1]
        == f"estimated for {native_platform()} (this machine), CPython 3.12 wheels"
    )
    assert [r.message for r in diagnostic.related[:3]] == [
        "dependency 'transformers' with the 1 package it pulls in: 1.6 GB",
        "dependency 'diffusers' with the 1 package it pulls in: 25.0 MB",
        "dependency 'pillow': 12.0 MB",
    ]
    assert diagnostic.related[2].path == tmp_path / "requirements.txt"
    assert only(check(tmp_path), "FL402") == []


def test_fl401_on_a_requirements_line(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER, "requirements.txt": "# heavy\ntensorflow>=2.16\n"})
    built_with(
        tmp_path, ["tensorflow>=2.16", "diffusers", "transformers"], {"tensorflow": (1600 * MB, [])}
    )
    found = only(check(tmp_path), "FL401")
    assert [where(d) for d in found] == [("requirements.txt", 2)]
    assert (found[0].span.start_col, found[0].span.end_col) == (0, len("tensorflow>=2.16"))
    # A declared requirement is what the workers run: no exclusion is offered.
    assert "excluding what the dependencies pull in does not fit: drop dependencies" in (
        found[0].notes
    )
    assert found[0].fix is None


def test_fl401_on_the_largest_file_and_excluded_packages_do_not_count(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="w", dependencies=["torch", "torchvision"])
            def w(): ...
            """
        },
    )
    assert codes(check(tmp_path), "FL40") == []  # both dropped before pip: nothing to resolve
    sparse(tmp_path / "checkpoints" / "model.safetensors", 1200 * MB)
    sparse(tmp_path / "checkpoints" / "vae.safetensors", 400 * MB)
    found = check(tmp_path)
    fl401 = only(found, "FL401")
    assert [where(d) for d in fl401] == [("model.safetensors", 1)]
    assert fl401[0].span == Span(0, 0, 0, 0)
    assert fl401[0].message == "artifact would be about 1.6 GB, above the 1500 MB limit"
    assert "1.6 GB are checkpoints/ with 2 files" in fl401[0].notes
    assert any(note.startswith("keep large files out of the app") for note in fl401[0].notes)
    assert fl401[0].fix is None
    # Each big file is also FL403.
    assert sorted(where(d) for d in only(found, "FL403")) == [
        ("model.safetensors", 1),
        ("vae.safetensors", 1),
    ]


def test_fl402_near_the_limit_and_configurable_budget(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    built_with(
        tmp_path,
        ["diffusers", "transformers"],
        {"diffusers": (1300 * MB, []), "transformers": (10 * MB, [])},
    )
    found = check(tmp_path)
    assert codes(found, "FL40") == ["FL402"]
    near = only(found, "FL402")[0]
    assert near.severity is Severity.WARNING
    assert near.message == "artifact would be about 1.3 GB, 87% of the 1500 MB limit"
    assert "1.3 GB is diffusers, declared by the app" in near.notes

    (tmp_path / "pyproject.toml").write_text("[tool.flash-ls]\nsize-warn-ratio = 0.9\n")
    assert codes(check(tmp_path), "FL40") == []

    (tmp_path / "pyproject.toml").write_text("[tool.flash-ls]\nsize-budget-mb = 1000\n")
    over = only(check(tmp_path), "FL401")
    assert len(over) == 1
    assert "above the 1000 MB budget" in over[0].message
    assert not any("flash build fails" in note for note in over[0].notes)


def test_unknown_sizes_are_never_guessed(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})  # offline, nothing cached: dependencies unknown
    assert codes(check(tmp_path), "FL40") == []
    sparse(tmp_path / "blob.bin", 1600 * MB)
    over = only(check(tmp_path), "FL401")
    assert over[0].message == "artifact would be at least 1.6 GB, above the 1500 MB limit"
    assert "offline and no cached resolution: dependency sizes are not counted" in over[0].notes


def test_fl401_follows_an_edit_without_estimating_the_dependencies_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flash_ls.project.workspace import Workspace
    from flash_ls.rules.engine import check_app

    write_app(tmp_path, {"worker.py": WORKER, "requirements.txt": "pillow\n"})
    dists = {"diffusers": (20 * MB, []), "transformers": (1600 * MB, []), "pillow": (12 * MB, [])}
    built_with(tmp_path, ["pillow", "diffusers", "transformers"], dists)
    workspace = Workspace([tmp_path])
    [before] = only(check_app(workspace.app(tmp_path)), "FL401")
    assert where(before) == ("worker.py", 3)
    made: list[int] = []
    make = sizes.estimate._make_part

    def counting(*args: object) -> object:
        made.append(1)
        return make(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sizes.estimate, "_make_part", counting)
    text = (tmp_path / "worker.py").read_text()
    workspace.update(tmp_path / "worker.py", "# edited\n\n" + text)
    [after] = only(check_app(workspace.app(tmp_path)), "FL401")
    assert made == []  # same dependencies, same report: the estimate is reused
    assert where(after) == ("worker.py", 5)
    assert (after.span.start_col, after.span.end_col) == (
        before.span.start_col,
        before.span.end_col,
    )
    assert after.message == before.message

    (tmp_path / "requirements.txt").write_text("pillow\nscipy\n")
    workspace.invalidate(tmp_path / "requirements.txt")
    assert only(check_app(workspace.app(tmp_path)), "FL401") == []  # the report is stale now
    assert made == [1]


# -- FL403 -----------------------------------------------------------------------------------------


def test_fl403_large_file_and_the_gitignore_fix(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER, ".gitignore": ".venv/\n*.log"})
    sparse(tmp_path / "models" / "weights [v2].bin", 60 * MB)
    sparse(tmp_path / "models" / "small.bin", 10 * MB)
    found = only(check(tmp_path), "FL403")
    assert [where(d) for d in found] == [("weights [v2].bin", 1)]
    assert found[0].message == "models/weights [v2].bin is 60.0 MB and is shipped"
    assert any("add it to .gitignore" in note for note in found[0].notes)
    fix = found[0].fix
    assert fix is not None and not fix.safe
    apply_fix_to_disk(fix)
    assert (tmp_path / ".gitignore").read_text() == ".venv/\n*.log\n/models/weights \\[v2\\].bin\n"
    assert only(check(tmp_path), "FL403") == []


def test_fl403_fix_creates_gitignore_and_threshold_is_configurable(tmp_path: Path) -> None:
    write_app(
        tmp_path, {"worker.py": WORKER, "pyproject.toml": "[tool.flash-ls]\nlarge-file-mb = 5\n"}
    )
    sparse(tmp_path / "data.parquet", 6 * MB)
    found = only(check(tmp_path), "FL403")
    assert [where(d) for d in found] == [("data.parquet", 1)]
    assert found[0].fix is not None
    (edit,) = found[0].fix.edits
    assert edit.path == tmp_path / ".gitignore" and not edit.path.exists()
    assert (edit.span, edit.new_text) == (Span(0, 0, 0, 0), "/data.parquet\n")


def test_fl403_not_for_ignored_files_and_no_fix_when_gitignore_cannot_exclude(
    tmp_path: Path,
) -> None:
    write_app(tmp_path, {"worker.py": WORKER, ".gitignore": "*.ckpt\n"})
    sparse(tmp_path / "model.ckpt", 80 * MB)
    sparse(tmp_path / "docs" / "video.mp4", 80 * MB)
    assert only(check(tmp_path), "FL403") == []
    sparse(tmp_path / "README.md", 80 * MB)  # the built-in !README.md re-includes it
    found = only(check(tmp_path), "FL403")
    assert [where(d) for d in found] == [("README.md", 1)]
    assert found[0].fix is None


# -- FL404 -----------------------------------------------------------------------------------------


def test_fl404_shipped_code_imports_an_ignored_module(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            ".gitignore": "lib/\n",
            "lib/preprocess.py": "def clean(x):\n    return x\n",
            "lib/unused.py": "",
            "load_test.py": "def hammer(): ...\n",
            "worker.py": """
            from runpod_flash import Endpoint
            from lib.preprocess import clean

            @Endpoint(name="worker", cpu="cpu3c-1-2")
            def work(x):
                import load_test
                return clean(x)
            """,
        },
    )
    errors = only(found, "FL404")
    assert [where(d) for d in errors] == [("worker.py", 2), ("worker.py", 6)]
    assert all(d.severity is Severity.ERROR for d in errors)
    assert errors[0].message == "shipped code imports lib/preprocess.py, which the build ignores"
    assert errors[0].notes == (
        "lib/preprocess.py is excluded by `lib/` in .gitignore",
        "flash build fails: Shipped code imports local modules that the build ignore rules exclude",
        "remove the pattern from .gitignore or move the module out of the ignored path",
    )
    assert errors[0].related[0].path == tmp_path / "lib" / "preprocess.py"
    assert "load_test.py is excluded by the built-in ignore pattern `*_test.py`" in errors[1].notes
    assert "rename or move the module out of the ignored path" in errors[1].notes


def test_fl404_follows_ignored_modules_that_import_more(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            ".gitignore": "vendor/\n",
            "vendor/__init__.py": "",
            "vendor/a.py": "from . import b\n",
            "vendor/b.py": "",
            "worker.py": """
            from runpod_flash import Endpoint
            import vendor.a

            @Endpoint(name="worker", cpu="cpu3c-1-2")
            def work(): ...
            """,
        },
    )
    errors = only(found, "FL404")
    assert [where(d) for d in errors] == [("a.py", 1), ("worker.py", 2)]
    assert "vendor/__init__.py" in errors[1].message and "vendor/a.py" in errors[1].message
    assert errors[0].message == "vendor/a.py imports vendor/b.py, which the build ignores"
    assert errors[0].notes[0] == "vendor/a.py is not shipped either, but shipped code imports it"


def test_fl404_endpoint_in_an_ignored_file(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            "common.py": """
            from runpod_flash import Endpoint

            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.get("/health")
            def health(): ...
            """,
            "tests/worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="gpu-worker")
            def infer(): ...
            """,
            "build/routes.py": """
            from common import api

            @api.post("/run")
            def run(): ...
            """,
            "tests/test_common.py": """
            import pytest

            @pytest.fixture
            def client(): ...
            """,
        },
    )
    warnings = only(found, "FL404")
    assert [where(d) for d in warnings] == [("routes.py", 3), ("worker.py", 3)]
    assert all(d.severity is Severity.WARNING for d in warnings)
    assert warnings[0].message == "'run' is in build/routes.py, which the build ignores"
    assert warnings[0].notes == (
        "build/routes.py is excluded by the built-in ignore pattern `build/`",
        "flash build never sees it: endpoint 'api' is not deployed with it",
        "move the file out of the ignored path",
    )
    assert "flash build never sees it: endpoint 'gpu-worker' is not deployed with it" in (
        warnings[1].notes
    )
    assert "tests/worker.py is excluded by the built-in ignore pattern `tests/`" in (
        warnings[1].notes
    )


def test_fl404_not_for_tests_that_import_shipped_code(tmp_path: Path) -> None:
    assert only(check(tmp_path, HELLO), "FL404") == []


# -- FL405 -----------------------------------------------------------------------------------------


def test_fl405_flashignore_and_the_move_fix(tmp_path: Path) -> None:
    found = only(
        check(
            tmp_path,
            {
                "worker.py": WORKER,
                ".gitignore": "*.log\n",
                ".flashignore": "# old ignore file\n__pycache__/\n*.log\ndata/\n*.ckpt\n",
            },
        ),
        "FL405",
    )
    assert [where(d) for d in found] == [(".flashignore", 1)]
    assert found[0].span == Span(0, 0, 0, len("# old ignore file"))
    assert found[0].message == ".flashignore is not read by flash build"
    assert ".flashignore is itself shipped in the artifact" in found[0].notes
    assert "move its patterns (data/, *.ckpt) to .gitignore and delete it" in found[0].notes
    fix = found[0].fix
    assert fix is not None and not fix.safe
    apply_fix_to_disk(fix)
    assert (
        tmp_path / ".gitignore"
    ).read_text() == "*.log\n# moved from .flashignore\ndata/\n*.ckpt\n"
    # Still reported until the file is deleted, now without anything left to move.
    again = only(check(tmp_path), "FL405")
    assert again[0].fix is None
    assert "its patterns are built in or already in .gitignore: delete it" in again[0].notes
    (tmp_path / ".flashignore").unlink()
    assert only(check(tmp_path), "FL405") == []
