"""FL4xx: size budgets and the build's file selection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from apps import check, codes, full, load_app, only, sparse, where, write_app

from flash_ls.diagnostic import Fix, Severity
from flash_ls.fixes.apply import apply_edits
from flash_ls.platform import BYTES_PER_MB
from flash_ls.project import sizes
from flash_ls.project.sizes import (
    ReportDistribution,
    SizeEstimate,
    SizeReport,
    native_platform,
    write_size_report,
)
from flash_ls.project.sizes.estimate import DependencySize
from flash_ls.project.sizes.resolution import NO_WHEEL, OFFLINE, PENDING, TIMEOUT, Problem
from flash_ls.rules.budgets import _incomplete_notes
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


EMBEDDER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="embed", gpu=GpuGroup.ADA_24, dependencies=["sentence-transformers"])
async def embed(text: str):
    return text
"""


def embedder(root: Path, budget_mb: int, cudnn_mb: int) -> None:
    """sentence-transformers with what it pulls in: torch's CUDA wheels, numpy (in GPU images),
    tokenizers (in no image)."""
    pyproject = f'[project]\nname = "app"\n\n[tool.flash-ls]\nsize-budget-mb = {budget_mb}\n'
    write_app(root, {"worker.py": EMBEDDER, "pyproject.toml": pyproject})
    built_with(
        root,
        ["sentence-transformers"],
        {
            "sentence-transformers": (10 * MB, ["torch", "numpy", "tokenizers"]),
            "torch": (1 * MB, ["nvidia-cudnn-cu12", "nvidia-cublas-cu12"]),
            "nvidia-cudnn-cu12": (cudnn_mb * MB, []),
            "nvidia-cublas-cu12": (100 * MB, []),
            "numpy": (50 * MB, []),
            "tokenizers": (30 * MB, []),
        },
    )


def test_fl401_exclusions_say_what_the_image_must_provide(tmp_path: Path) -> None:
    embedder(tmp_path, budget_mb=15, cudnn_mb=900)
    [found] = only(check(tmp_path), "FL401")
    names = "nvidia_cudnn_cu12, nvidia_cublas_cu12, numpy, tokenizers"
    flags = names.replace(", ", ",")
    assert found.notes[1:-1] == (
        f'to fit, exclude {names}: exclude-packages = ["nvidia_cudnn_cu12", '
        '"nvidia_cublas_cu12", "numpy", "tokenizers"] in [tool.flash-ls]',
        f"with the official CLI: flash build --exclude {flags} (and flash deploy)",
        "torch in the GPU image brings its own CUDA libraries; check that nvidia_cudnn_cu12, "
        "nvidia_cublas_cu12 are not needed at run time",
        "GPU images provide numpy; CPU images do not",
        "excluded packages must come from the image at run time: tokenizers",
    )
    fix = found.fix
    assert fix is not None and fix.safe is False
    assert fix.message == f"Exclude {names} from the artifact (exclude-packages)"
    apply_fix_to_disk(fix)
    assert only(check(tmp_path), "FL401") == []  # 11 MB: sentence-transformers and torch


def test_fl401_cautions_name_every_package(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "app"\n\n[tool.flash-ls]\nsize-budget-mb = 10.5\n'
    write_app(tmp_path, {"worker.py": EMBEDDER, "pyproject.toml": pyproject})
    built_with(
        tmp_path,
        ["sentence-transformers"],
        {
            "sentence-transformers": (10 * MB, ["torch", "numpy", "tokenizers", "regex"]),
            "torch": (1 * MB, []),
            "numpy": (50 * MB, []),
            "tokenizers": (30 * MB, []),
            "regex": (20 * MB, []),
        },
    )
    [found] = only(check(tmp_path), "FL401")
    assert "GPU images provide numpy, torch; CPU images do not" in found.notes
    assert (
        "excluded packages must come from the image at run time: tokenizers, regex" in found.notes
    )


def test_fl401_one_excluded_cuda_wheel(tmp_path: Path) -> None:
    embedder(tmp_path, budget_mb=1000, cudnn_mb=900)
    [found] = only(check(tmp_path), "FL401")
    assert found.notes[1:-1] == (
        'to fit, exclude nvidia_cudnn_cu12: exclude-packages = ["nvidia_cudnn_cu12"] in '
        "[tool.flash-ls]",
        "with the official CLI: flash build --exclude nvidia_cudnn_cu12 (and flash deploy)",
        "torch in the GPU image brings its own CUDA libraries; check that nvidia_cudnn_cu12 is "
        "not needed at run time",
    )


@pytest.mark.parametrize(
    "table",
    ["flash-ls = { size-budget-mb = 15 }\n", "flash-ls.size-budget-mb = 15\n"],
    ids=["inline", "dotted"],
)
def test_fl401_advice_without_a_fix_when_exclude_packages_cannot_be_written(
    tmp_path: Path, table: str
) -> None:
    # [tool.flash-ls] as an inline table or dotted keys has no line to add exclude-packages to:
    # the notes still say what to exclude, but no fix is offered.
    embedder(tmp_path, budget_mb=15, cudnn_mb=900)
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "app"\n\n[tool]\n{table}')
    sizes.clear_caches()
    [found] = only(check(tmp_path), "FL401")
    assert found.message == "artifact would be about 1.1 GB, above the 15 MB budget"
    names = "nvidia_cudnn_cu12, nvidia_cublas_cu12, numpy, tokenizers"
    assert found.notes[1:3] == (
        f'to fit, exclude {names}: exclude-packages = ["nvidia_cudnn_cu12", '
        '"nvidia_cublas_cu12", "numpy", "tokenizers"] in [tool.flash-ls]',
        f"with the official CLI: flash build --exclude {names.replace(', ', ',')} "
        "(and flash deploy)",
    )
    assert found.fix is None


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


def test_an_artifact_of_exactly_the_budget_is_near_it_and_one_byte_more_is_over(
    tmp_path: Path,
) -> None:
    # The build fails only above the limit (`size_mb > MAX_TARBALL_SIZE_MB`): at exactly 1500 MB
    # it succeeds, so that is FL402 (100% of the limit), and one byte more is FL401.
    worker = "from runpod_flash import Endpoint\n\n@Endpoint()\ndef w(): ...\n"
    write_app(tmp_path, {"worker.py": worker})
    code = sizes.cached_estimate(load_app(tmp_path)).total_bytes
    assert 0 < code < MB
    sparse(tmp_path / "weights.bin", 1500 * MB - code)
    sizes.clear_caches()
    assert sizes.cached_estimate(load_app(tmp_path)).total_bytes == 1500 * MB
    found = check(tmp_path)
    assert only(found, "FL401") == []
    assert only(found, "FL402")[0].message == (
        "artifact would be about 1.5 GB, 100% of the 1500 MB limit"
    )
    # Over a smaller budget, the same artifact is FL401, but the build does not fail. (The
    # pyproject.toml ships: the weights shrink by what it grows.)
    pyproject = tmp_path / "pyproject.toml"
    plain = pyproject.read_text()
    smaller = plain + "[tool.flash-ls]\nsize-budget-mb = 1000\n"
    pyproject.write_text(smaller)
    sparse(tmp_path / "weights.bin", 1500 * MB - code - (len(smaller) - len(plain)))
    sizes.clear_caches()
    assert sizes.cached_estimate(load_app(tmp_path)).total_bytes == 1500 * MB
    [over] = only(check(tmp_path), "FL401")
    assert "above the 1000 MB budget" in over.message
    assert not any("flash build fails" in note for note in over.notes)
    pyproject.write_text(plain)

    # 80% of the budget exactly (size-warn-ratio) is not near yet.
    sparse(tmp_path / "weights.bin", 1200 * MB - code)
    sizes.clear_caches()
    assert codes(check(tmp_path), "FL40") == ["FL403"]

    sparse(tmp_path / "weights.bin", 1500 * MB - code + 1)
    sizes.clear_caches()
    found = check(tmp_path)
    assert only(found, "FL402") == []
    [over] = only(found, "FL401")
    assert over.message == "artifact would be about 1.5 GB, above the 1500 MB limit"
    assert "flash build fails: Archive exceeds RunPod limit" in over.notes


@pytest.mark.parametrize(("second_mb", "named"), [(160, True), (152, False)])
def test_fl401_names_a_second_part_from_a_tenth_of_the_artifact(
    tmp_path: Path, second_mb: int, named: bool
) -> None:
    worker = "from runpod_flash import Endpoint\n\n@Endpoint()\ndef w(): ...\n"
    write_app(tmp_path, {"worker.py": worker})
    code = sizes.cached_estimate(load_app(tmp_path)).total_bytes
    sparse(tmp_path / "b.bin", second_mb * MB)
    sparse(tmp_path / "a.bin", 1600 * MB - second_mb * MB - code)  # 1600 MB in all
    sizes.clear_caches()
    [found] = only(check(tmp_path), "FL401")
    second = f"{second_mb:.1f} MB is b.bin"
    assert found.notes[1] == f"{(1600 - second_mb) / 1024:.1f} GB is a.bin"
    assert (second in found.notes) is named  # 160 MB is a tenth of 1600 MB; 152 MB is less


def test_fl401_related_lists_what_has_bytes(tmp_path: Path) -> None:
    # Nested folders are one group (their top folder); a 1-byte file counts, an empty one not;
    # and a dependency that adds nothing is left out, wherever it is declared.
    write_app(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="w", dependencies=["nothing", "tiny"])
            def w(): ...
            """
        },
    )
    built_with(tmp_path, ["nothing", "tiny"], {"nothing": (0, []), "tiny": (1 * MB, [])})
    sparse(tmp_path / "models" / "v1" / "a.bin", 1000 * MB)
    sparse(tmp_path / "models" / "v2" / "b.bin", 600 * MB)
    [found] = only(check(tmp_path), "FL401")
    labels = [r.message.rsplit(":", 1)[0] for r in found.related]
    assert labels[:2] == ["models/ with 2 files", "dependency 'tiny'"]
    assert not any("nothing" in label for label in labels)


def test_fl401_related_files_of_one_byte_but_not_empty_ones(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": "from runpod_flash import Endpoint\n"})
    sparse(tmp_path / "a.bin", 1600 * MB)
    sparse(tmp_path / "one.txt", 1)
    sparse(tmp_path / "empty.txt", 0)
    [found] = only(check(tmp_path), "FL401")
    labels = [r.message.rsplit(":", 1)[0] for r in found.related]
    assert labels == ["a.bin", "worker.py", "pyproject.toml", "one.txt"]


def test_fl401_related_lists_a_dependency_of_one_byte(tmp_path: Path) -> None:
    # A dependency counts from its first byte, as a file does (one that adds nothing does not).
    write_app(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="w", dependencies=["heavy", "tiny", "nothing"])
            def w(): ...
            """
        },
    )
    built_with(
        tmp_path,
        ["heavy", "tiny", "nothing"],
        {"heavy": (1600 * MB, []), "tiny": (1, []), "nothing": (0, [])},
    )
    [found] = only(check(tmp_path), "FL401")
    assert [r.message.rsplit(":", 1)[0] for r in found.related] == [
        "dependency 'heavy'",
        "worker.py",
        "pyproject.toml",
        "dependency 'tiny'",
    ]
    tiny = found.related[3]
    assert tiny.message == "dependency 'tiny': 1 bytes"
    line = (tmp_path / "worker.py").read_text().splitlines()[2]
    assert line[tiny.span.start_col : tiny.span.end_col] == '"tiny"'


def test_incomplete_estimates_say_why_in_the_finding() -> None:
    # Each problem of the resolution, and wheels of unknown size, is a note of FL401/FL402.
    problems = [
        Problem(PENDING, "resolving"),
        Problem(OFFLINE, "offline"),
        Problem(NO_WHEEL, "no wheel of pkg for linux-x86_64: its size is not counted", "pkg"),
        Problem(TIMEOUT, "pip timed out after 120 s"),
    ]
    unknown = [DependencySize(n, n, "1.0", None) for n in ("a", "b")]
    assert _incomplete_notes(SizeEstimate(0, unknown, problems=problems)) == [
        "dependencies still being resolved (pip): their sizes are not counted",
        "offline and no cached resolution: dependency sizes are not counted",
        "no wheel of pkg for linux-x86_64: its size is not counted",
        "dependency sizes not counted: pip timed out after 120 s",
    ]
    # Unknown wheels are named only when nothing else is wrong (a problem explains them).
    assert _incomplete_notes(SizeEstimate(0, unknown)) == [
        "the size of 2 wheels is unknown (flash-ls check --verbose lists them)"
    ]
    assert _incomplete_notes(SizeEstimate(0, unknown[:1])) == [
        "the size of 1 wheel is unknown (flash-ls check --verbose lists them)"
    ]
    assert _incomplete_notes(SizeEstimate(0, [])) == []


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
    dists: dict[str, tuple[int, list[str]]] = {
        "diffusers": (20 * MB, []),
        "transformers": (1600 * MB, []),
        "pillow": (12 * MB, []),
    }
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


@pytest.mark.parametrize(
    ("gitignore", "appended"),
    [
        ("", "/model.bin\n"),  # an empty file: no blank line first
        (".venv/\r\n*.log\r\n", "/model.bin\r\n"),  # its line endings
        ("a\nbbb\ncc", "\n/model.bin\n"),  # after the last line, which has no newline
    ],
)
def test_fl403_fix_appends_to_the_gitignore_as_written(
    tmp_path: Path, gitignore: str, appended: str
) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    (tmp_path / ".gitignore").write_bytes(gitignore.encode())
    sparse(tmp_path / "model.bin", 60 * MB)
    [found] = only(check(tmp_path), "FL403")
    assert found.fix is not None and found.fix.message == "Add /model.bin to .gitignore"
    [edit] = found.fix.edits
    lines = gitignore.split("\n")
    assert edit.span == Span(len(lines) - 1, len(lines[-1]), len(lines) - 1, len(lines[-1]))
    assert edit.new_text == appended
    (tmp_path / ".gitignore").write_bytes(apply_edits(gitignore, [edit]).encode())
    assert only(check(tmp_path), "FL403") == []


def test_fl403_above_the_threshold_only(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    sparse(tmp_path / "at.bin", 50 * MB)  # large-file-mb = 50: not above it
    sparse(tmp_path / "above.bin", 50 * MB + 1)
    assert [where(d) for d in only(check(tmp_path), "FL403")] == [("above.bin", 1)]


def test_fl403_no_fix_for_a_name_ending_in_a_space(tmp_path: Path) -> None:
    # The build strips every .gitignore line: `/model.bin\ ` would lose its escaped space and
    # match nothing.
    write_app(tmp_path, {"worker.py": WORKER})
    sparse(tmp_path / "model.bin ", 60 * MB)
    [found] = only(check(tmp_path), "FL403")
    assert found.message == "model.bin  is 60.0 MB and is shipped" and found.fix is None


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


def test_fl404_one_import_of_two_ignored_modules(tmp_path: Path) -> None:
    files = {
        ".gitignore": "lib/\n",
        "lib/a.py": "",
        "lib/b.py": "",
        "worker.py": "from runpod_flash import Endpoint\nfrom lib import a, b\n",
    }
    [found] = only(check(tmp_path, files), "FL404")
    assert found.message == "shipped code imports lib/a.py, lib/b.py, which the build ignores"
    assert [r.path.name for r in found.related] == ["a.py", "b.py"]


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


def test_fl404_relative_import_at_the_app_root(tmp_path: Path) -> None:
    # `from . import x` in a file at the root names the root module x (no package to prefix).
    found = check(
        tmp_path,
        {
            ".gitignore": "helper.py\n",
            "helper.py": "def clean(x):\n    return x\n",
            "shared.py": "",
            "worker.py": """
            from runpod_flash import Endpoint
            from . import helper, shared

            @Endpoint(name="worker", cpu="cpu3c-1-2")
            def work(x):
                return helper.clean(x)
            """,
        },
    )
    [error] = only(found, "FL404")
    assert full(error) == [
        "worker.py:2:0-2:28 FL404 error: shipped code imports helper.py, which the build ignores",
        "note: helper.py is excluded by `helper.py` in .gitignore",
        "note: flash build fails: Shipped code imports local modules that the build ignore rules "
        "exclude",
        "note: remove the pattern from .gitignore or move the module out of the ignored path",
        "related helper.py:1:0-1:0: helper.py is excluded from the build",
    ]


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


def test_fl404_ignored_endpoints_whatever_comes_first(tmp_path: Path) -> None:
    # An unused Endpoint first, a route at home before one in an ignored file, a name known
    # only at run time, a .gitignore pattern: each ignored endpoint is still reported.
    found = check(
        tmp_path,
        {
            ".gitignore": "lib/\n",
            "a.py": 'from runpod_flash import Endpoint\nunused = Endpoint(name="u")\n',
            "common.py": """
            from runpod_flash import Endpoint

            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.get("/health")
            def health(): ...
            """,
            "tests/routes.py": 'from common import api\n\n@api.post("/run")\ndef run(): ...\n',
            "tests/named.py": """
            from runpod_flash import Endpoint
            from naming import make_name

            @Endpoint(name=make_name())
            def named(): ...
            """,
            "lib/worker.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef w(): ...\n',
        },
    )
    by_file = {d.path.name: d for d in only(found, "FL404")}
    assert sorted(by_file) == ["named.py", "routes.py", "worker.py"]
    assert (
        by_file["named.py"].notes[1]
        == "flash build never sees it: its endpoint is not deployed with it"
    )
    assert by_file["worker.py"].notes == (
        "lib/worker.py is excluded by `lib/` in .gitignore",
        "flash build never sees it: endpoint 'w' is not deployed with it",
        "remove the pattern from .gitignore or move the file out of the ignored path",
    )


def test_fl404_an_app_whose_only_endpoint_file_is_ignored(tmp_path: Path) -> None:
    files = {
        "main.py": "print('hi')\n",
        "tests/worker.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef w(): ...\n',
    }
    assert [where(d) for d in only(check(tmp_path, files), "FL404")] == [("worker.py", 3)]


def test_fl404_imports_among_ignored_files_only_when_shipped_code_reaches_them(
    tmp_path: Path,
) -> None:
    files = {
        ".gitignore": "lib/\n",
        "a.py": "from runpod_flash import Endpoint\nimport lib.helpers\n",
        "b.py": "import lib.helpers\n",
        "lib/helpers.py": "import lib.other\n",
        "lib/other.py": "",
        "tests/test_a.py": "import tests.helper\n",  # ignored code importing ignored code
        "tests/helper.py": "",
    }
    found = only(check(tmp_path, files), "FL404")
    assert [where(d) for d in found] == [("a.py", 2), ("b.py", 1), ("helpers.py", 1)]
    assert found[2].message == "lib/helpers.py imports lib/other.py, which the build ignores"


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


@pytest.mark.parametrize("content", [b"", b"\xff\xfe data/\n"])
def test_fl405_empty_or_undecodable_flashignore(tmp_path: Path, content: bytes) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    (tmp_path / ".flashignore").write_bytes(content)
    [found] = only(check(tmp_path), "FL405")
    assert found.span == Span(0, 0, 0, 0) and found.fix is None
    assert found.notes[-1] == "its patterns are built in or already in .gitignore: delete it"
