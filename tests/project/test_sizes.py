"""The artifact size estimate without pip: shipped files, declared dependencies, the size report,
the build's exclusions, what dominates and which exclusions fit. (pip's resolution against a real
index: test_resolution.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from apps import load_app, sparse, write_app

from flash_ls.platform import BYTES_PER_MB
from flash_ls.project import sizes
from flash_ls.project.sizes import (
    SOURCE_REPORT,
    DependencySize,
    Exclusions,
    ReportDistribution,
    ReportFile,
    SizeEstimate,
    SizeReport,
    cached_estimate,
    declared_dependencies,
    estimate_artifact,
    format_size,
    load_size_report,
    native_platform,
    shipped_files,
    write_size_report,
)
from flash_ls.project.sizes.index import WheelInfo, install_top

MB = BYTES_PER_MB


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    sizes.clear_caches()
    yield
    sizes.clear_caches()


WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="worker", gpu=GpuGroup.ADA_24, dependencies=["transformers", "pillow"])
async def run(prompt: str):
    import transformers
    return prompt
"""


# -- shipped files ------------------------------------------------------------------------------


def test_shipped_files_follow_the_ignore_rules_and_use_stat_sizes(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "worker.py": WORKER,
            "README.md": "# app\n",
            "NOTES.md": "notes\n",
            "tests/test_worker.py": "",
            ".gitignore": "data/\n",
            "data/train.csv": "a,b\n",
        },
    )
    sparse(tmp_path / "models" / "weights.bin", 60 * MB)
    files = {f.rel: f.bytes for f in shipped_files(load_app(tmp_path))}
    assert set(files) == {"README.md", "models/weights.bin", "pyproject.toml", "worker.py"}
    assert files["models/weights.bin"] == 60 * MB
    assert files["worker.py"] == (tmp_path / "worker.py").stat().st_size


def test_shipped_files_see_new_files_and_editor_buffers(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    assert [f.rel for f in shipped_files(load_app(tmp_path))] == ["pyproject.toml", "worker.py"]
    sparse(tmp_path / "big.bin", 2 * MB)
    app = load_app(tmp_path)
    assert [f.rel for f in shipped_files(app)] == ["big.bin", "pyproject.toml", "worker.py"]

    from flash_ls.project.workspace import Workspace

    workspace = Workspace([tmp_path])
    workspace.update(tmp_path / "worker.py", "x = 1\n")
    workspace.update(tmp_path / "unsaved.py", "y = 2\n")
    by_rel = {f.rel: f.bytes for f in shipped_files(workspace.app(tmp_path))}
    assert by_rel["worker.py"] == 6 and by_rel["unsaved.py"] == 6


# -- declared dependencies ----------------------------------------------------------------------


def test_declared_dependencies_as_the_build_collects_them(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "requirements.txt": "# pinned\nnumpy==1.26.4\n-r other.txt\nnot valid!!\n",
            "worker.py": WORKER,
            "more.py": """
            from runpod_flash import Endpoint
            from runpod_flash import Endpoint as EP

            DEPS = ["scipy"]
            api = Endpoint(name="api", cpu="cpu3c-1-2", dependencies=["fastapi>=0.110", 42])
            aliased = EP(name="b", dependencies=["not-collected-alias"])
            annotated: Endpoint = Endpoint(name="c", dependencies=["not-collected-annotated"])
            by_name = Endpoint(name="d", dependencies=DEPS)
            as_tuple = Endpoint(name="e", dependencies=("not-collected-tuple",))

            @api.get("/x")
            def x(): ...
            """,
            "tests/ignored.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="t", dependencies=["not-shipped"])
            def t(): ...
            """,
        },
    )
    found = declared_dependencies(load_app(tmp_path))
    assert [d.raw for d in found] == [
        "numpy==1.26.4",
        "not valid!!",
        "fastapi>=0.110",
        "transformers",
        "pillow",
    ]
    assert [d.name for d in found] == ["numpy", None, "fastapi", "transformers", "pillow"]
    fastapi = found[2]
    assert fastapi.path == tmp_path / "more.py"
    assert (fastapi.span.start_line, fastapi.span.start_col) == (4, 58)
    assert found[0].path == tmp_path / "requirements.txt" and found[0].span.start_line == 1


# -- the size report ----------------------------------------------------------------------------


def report(
    distributions: list[ReportDistribution],
    requirements: list[str] | None,
    **fields: object,
) -> SizeReport:
    values: dict[str, object] = {
        "generated_at": datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc),
        "python_version": "3.12",
        "files": [ReportFile(path="worker.py", bytes=300)],
        "distributions": distributions,
        "total_bytes": sum(d.bytes for d in distributions if not d.excluded) + 300,
        "requirements": requirements,
    }
    return SizeReport.model_validate({**values, **fields})


def test_size_report_schema_round_trips(tmp_path: Path) -> None:
    written = report(
        [ReportDistribution(name="Pillow", version="10.3.0", bytes=12 * MB, requires=[])],
        ["pillow"],
    )
    path = write_size_report(tmp_path, written)
    assert path == tmp_path / ".flash" / "size-report.json"
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["generated_at"] == "2026-03-01T12:00:00Z"
    assert data["distributions"][0] == {
        "name": "Pillow",
        "version": "10.3.0",
        "bytes": 12 * MB,
        "excluded": False,
        "requires": [],
        "tops": None,
    }
    assert (data["exclusions"], data["platform"]) == ([], None)
    assert load_size_report(tmp_path) == (written, None)


def test_invalid_size_report_is_ignored_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / ".flash").mkdir()
    (tmp_path / ".flash" / "size-report.json").write_text('{"version": 2}')
    found, problem = load_size_report(tmp_path)
    assert found is None
    assert problem == ".flash/size-report.json is not a valid size report (4 problems); rebuild"


def test_unreadable_size_report_is_ignored_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / ".flash" / "size-report.json").mkdir(parents=True)
    assert load_size_report(tmp_path) == (
        None,
        ".flash/size-report.json cannot be read: Is a directory",
    )


def test_report_models_are_imported_on_first_use() -> None:
    from flash_ls.project import size_report

    assert sizes.SizeReport is size_report.SizeReport
    assert sizes.ReportFile is size_report.ReportFile
    assert sizes.ReportDistribution is size_report.ReportDistribution
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        sizes.Nope  # type: ignore[attr-defined]  # noqa: B018


SIZE_IMPORTS = """
import sys
from pathlib import Path
from flash_ls.project.sizes import load_size_report
before = "pydantic" in sys.modules
report, problem = load_size_report(Path(sys.argv[1]))
print(before, "pydantic" in sys.modules, report is not None, problem)
"""


@pytest.mark.parametrize("with_report", [False, True])
def test_pydantic_only_with_a_size_report(tmp_path: Path, with_report: bool) -> None:
    if with_report:
        write_size_report(tmp_path, report([], ["pillow"]))
    args = [sys.executable, "-c", SIZE_IMPORTS, str(tmp_path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", str(with_report), str(with_report), "None"]


# -- estimates from a current size report -------------------------------------------------------


def test_a_current_report_counts_every_installed_distribution(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [
        ReportDistribution(
            name="transformers", version="4.40.0", bytes=40 * MB, requires=["tokenizers", "numpy"]
        ),
        ReportDistribution(name="tokenizers", version="0.19.1", bytes=10 * MB, requires=[]),
        ReportDistribution(name="numpy", version="1.26.4", bytes=60 * MB, requires=[]),
        ReportDistribution(name="pillow", version="10.3.0", bytes=12 * MB),
        ReportDistribution(name="triton", version="3.0.0", bytes=900 * MB, excluded=True),
        ReportDistribution(name="orphan", version="1.0", bytes=1 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"]))
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.source == SOURCE_REPORT
    assert estimate.deps_bytes == (40 + 10 + 60 + 12 + 1) * MB  # no archive size: uncompressed
    assert estimate.total_bytes == estimate.deps_bytes + estimate.files_bytes
    assert estimate.excluded == ["triton"]
    assert estimate.complete and estimate.settled
    transformers = estimate.contribution_for("transformers")
    assert transformers is not None
    assert (transformers.bytes, transformers.dependencies) == (110 * MB, 2)
    orphan = next(d for d in estimate.deps if d.name == "orphan")
    assert orphan.chain == () and orphan.root == "orphan"
    numpy = next(d for d in estimate.deps if d.name == "numpy")
    assert numpy.chain == ("transformers",)


def test_the_report_scales_installed_sizes_by_its_own_compression(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [
        ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB),
        ReportDistribution(name="pillow", version="10.3.0", bytes=20 * MB),
    ]
    built = report(dists, ["transformers", "pillow"], archive_bytes=(60 * MB + 300) // 2)
    write_size_report(tmp_path, built)
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 30 * MB


@pytest.mark.parametrize(
    ("fields", "current"),
    [
        ({}, False),  # built from other requirements
        ({"exclusions": ["pillow"]}, True),  # with exclusions the app no longer has
        ({"python_version": "3.11"}, True),
        ({"platform": "macos-arm64"}, True),
    ],
    ids=["requirements", "exclusions", "python", "platform"],
)
def test_a_report_of_another_build_is_not_used(
    tmp_path: Path, fields: dict[str, object], current: bool
) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB)]
    requirements = ["transformers", "pillow"] if current else ["transformers", "diffusers"]
    write_size_report(tmp_path, report(dists, requirements, **fields))
    estimate = estimate_artifact(load_app(tmp_path))
    # The tests run offline with empty caches: nothing else knows the dependencies.
    assert estimate.source == sizes.SOURCE_PIP and estimate.deps == []
    assert [p.kind for p in estimate.problems] == ["offline"]
    assert not estimate.complete and not estimate.settled


def test_a_report_of_this_machine_matches_its_platform(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB)]
    write_size_report(
        tmp_path, report(dists, ["transformers", "pillow"], platform=native_platform())
    )
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 40 * MB


def test_a_report_strips_top_level_names_of_distributions_it_keeps(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "worker.py": WORKER,
            "pyproject.toml": '[project]\nname = "app"\n[tool.flash-ls]\nexclude-packages = ["nvidia"]\n',
        },
    )
    info = "nvidia_cudnn_cu12-9.5.1.dist-info"
    dists = [
        ReportDistribution(
            name="nvidia-cudnn-cu12",
            version="9.5.1",
            bytes=600 * MB,
            tops={"nvidia": 600 * MB - 16_384, info: 16_384},
        ),
        ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"], exclusions=["nvidia"]))
    estimate = estimate_artifact(load_app(tmp_path))
    cudnn = next(d for d in estimate.deps if d.name == "nvidia-cudnn-cu12")
    assert (cudnn.bytes, cudnn.stripped) == (16_384, ("nvidia",))
    assert estimate.deps_bytes == 40 * MB + 16_384 and estimate.excluded == ["nvidia"]


def test_describe_lists_the_breakdown(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    sparse(tmp_path / "weights.bin", 70 * MB)
    dists = [
        ReportDistribution(
            name="transformers", version="4.40.0", bytes=40 * MB, requires=["tokenizers"]
        ),
        ReportDistribution(name="tokenizers", version="0.19", bytes=10 * MB),
        ReportDistribution(name="pillow", version="10.3.0", bytes=12 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"]))
    lines = estimate_artifact(load_app(tmp_path)).describe(1500)
    assert lines[0] == "Estimated artifact: about 132.0 MB (compressed) of the 1500 MB limit"
    assert lines[1].startswith(f"- for {native_platform()} (this machine), CPython 3.12 wheels")
    text = "\n".join(lines)
    assert "dependencies: 62.0 MB in 3 distributions (from the last build's size report)" in text
    assert "  - 40.0 MB is transformers, declared by the app" in text
    assert "  - 10.0 MB is tokenizers pulled in by transformers" in text
    assert "  - weights.bin: 70.0 MB" in text


def test_offline_with_nothing_cached_says_so(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    estimate = estimate_artifact(load_app(tmp_path))
    assert [(p.kind, p.message) for p in estimate.problems] == [
        ("offline", "offline, and no cached resolution")
    ]
    assert "- incomplete: offline, and no cached resolution" in estimate.describe()
    assert not estimate.provisional


def test_nothing_to_resolve_is_complete(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER.replace('"transformers", "pillow"', '"torch"')})
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.complete and estimate.deps == [] and estimate.excluded == ["torch"]


# -- what the build strips ----------------------------------------------------------------------


def test_exclusions_strip_like_the_build_does() -> None:
    exclusions = Exclusions(("Opencv-Python", "nvidia"))
    assert exclusions.names >= {"torch", "torchvision", "torchaudio", "triton", "nvidia"}
    # Top-level entries: lower case, "-" as "_"; dist-info by the name before the version.
    assert exclusions.strips("torch") and exclusions.strips("nvidia")
    assert exclusions.strips("opencv_python") and exclusions.strips("OpenCV_Python")
    assert exclusions.strips("torch-2.7.1.dist-info")
    assert exclusions.strips("opencv_python-4.10.0.84.dist-info")
    assert not exclusions.strips("torchgen") and not exclusions.strips("functorch")
    assert not exclusions.strips("cv2")  # the build matches names, not what a wheel installs
    assert not exclusions.strips("nvidia_cudnn_cu12-9.1.0.dist-info")
    assert not exclusions.strips("torch.py")  # nor single modules


def test_requirements_are_dropped_before_pip_as_the_build_splits_them(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "requirements.txt": "torch>=2.2\nTorchAudio[extra]\ntorch~=2.0\ntorch @ https://x/t.whl\n",
            "worker.py": WORKER,
        },
    )
    from flash_ls.project.sizes.resolution import requirements_for_pip

    declared = declared_dependencies(load_app(tmp_path))
    kept = requirements_for_pip([*declared, *declared], Exclusions(("pillow",)))
    assert kept == ("torch~=2.0", "torch @ https://x/t.whl", "transformers")


def test_wheel_members_land_where_pip_target_puts_them() -> None:
    assert install_top("nvidia/cudnn/lib/libcudnn.so.9") == "nvidia"
    assert install_top("six.py") == "six.py"
    assert install_top("torch-2.7.1.dist-info/RECORD") == "torch-2.7.1.dist-info"
    assert install_top("pkg-1.0.data/purelib/pkg/x.py") == "pkg"
    assert install_top("pkg-1.0.data/scripts/tool") == "bin"
    assert install_top("pkg-1.0.data/headers/x.h") == "include"
    assert install_top("pkg-1.0.data/data/share/man/x.1") == "share"
    assert install_top("nvidia/") is None
    info = WheelInfo(1000, (("torch", 600), ("torchgen", 200), ("torch-2.0.dist-info", 200)))
    assert info.shipped_bytes(["torch", "torch-2.0.dist-info"]) == 200
    assert info.shipped_bytes([]) == 1000
    assert WheelInfo(1000, None).shipped_bytes(["torch"]) == 1000


# -- what dominates, what fits ------------------------------------------------------------------


def dep(
    name: str, size: int, chain: tuple[str, ...] = (), top: str | None = None
) -> DependencySize:
    return DependencySize(name, name, "1.0", size, chain, ((top or name.replace("-", "_"), size),))


NVIDIA_APP = [
    dep("sentence-transformers", 1 * MB),
    dep("transformers", 10 * MB, ("sentence-transformers",)),
    dep("scipy", 35 * MB, ("sentence-transformers", "scikit-learn")),
    dep("nvidia-cudnn-cu12", 570 * MB, ("sentence-transformers", "torch"), "nvidia"),
    dep("nvidia-cublas-cu12", 390 * MB, ("sentence-transformers", "torch"), "nvidia"),
    dep("nvidia-nccl-cu12", 600 * MB, ("sentence-transformers", "torch"), "nvidia"),
    dep("nvidia-cusparselt-cu12", 150 * MB, ("sentence-transformers", "torch"), "cusparselt"),
]


def test_families_are_one_line_with_their_chain() -> None:
    estimate = SizeEstimate(files_bytes=0, deps=list(NVIDIA_APP))
    first, second = estimate.groups()[:2]
    assert first.sentence() == (
        "1.7 GB are nvidia-* CUDA wheels pulled in by torch via sentence-transformers"
    )
    assert (
        second.sentence() == "35.0 MB is scipy pulled in by scikit-learn via sentence-transformers"
    )
    assert (
        estimate.groups()[-1].sentence() == "1.0 MB is sentence-transformers, declared by the app"
    )


def test_exclusions_to_fit_take_the_largest_top_level_names_first() -> None:
    estimate = SizeEstimate(files_bytes=0, deps=list(NVIDIA_APP))
    assert estimate.exclusions_to_fit(1500 * MB) == ["nvidia"]
    assert estimate.exclusions_to_fit(100 * MB) == ["nvidia", "cusparselt"]
    assert estimate.exclusions_to_fit(2000 * MB) == []
    # What the app declares itself is never offered: it is what the workers run.
    assert estimate.exclusions_to_fit(MB // 2) is None


def test_format_size() -> None:
    assert [format_size(n) for n in (12, 2048, 3 * MB // 2, 2 * 1024 * MB)] == [
        "12 bytes",
        "2 KB",
        "1.5 MB",
        "2.0 GB",
    ]


# -- memoised estimates -------------------------------------------------------------------------


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(owner, name)

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


CURRENT_REPORT = [
    ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB),
    ReportDistribution(name="pillow", version="10.3.0", bytes=12 * MB),
]


def test_an_unchanged_app_is_not_estimated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    write_size_report(tmp_path, report(CURRENT_REPORT, ["transformers", "pillow"]))
    made = count_calls(monkeypatch, sizes.estimate, "_make_part")
    first = estimate_artifact(load_app(tmp_path))
    assert first.deps_bytes == 52 * MB and made == [1]
    # A new App (an edit elsewhere, a new check) with the same inputs: not made again.
    assert estimate_artifact(load_app(tmp_path)) == first and made == [1]
    # The same App object: the very same estimate.
    app = load_app(tmp_path)
    assert cached_estimate(app) is cached_estimate(app)
    assert made == [1]


def test_an_edit_moving_the_dependencies_keeps_the_estimate_but_moves_its_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flash_ls.project.workspace import Workspace

    write_app(tmp_path, {"worker.py": WORKER})
    write_size_report(tmp_path, report(CURRENT_REPORT, ["transformers", "pillow"]))
    workspace = Workspace([tmp_path])
    before = cached_estimate(workspace.app(tmp_path))
    made = count_calls(monkeypatch, sizes.estimate, "_make_part")
    edited = "# a comment\n\n" + (tmp_path / "worker.py").read_text()
    workspace.update(tmp_path / "worker.py", edited)
    after = cached_estimate(workspace.app(tmp_path))
    assert made == []
    assert after.deps_bytes == before.deps_bytes == 52 * MB
    assert after.files_bytes == before.files_bytes + len("# a comment\n\n")
    lines = [c.declared.span.start_line for c in after.contributions]
    assert lines == [c.declared.span.start_line + 2 for c in before.contributions]


def test_changed_inputs_change_the_estimate(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    write_size_report(tmp_path, report(CURRENT_REPORT, ["transformers", "pillow"]))
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 52 * MB

    # The report.
    dists = [*CURRENT_REPORT[:1], ReportDistribution(name="pillow", version="11", bytes=13 * MB)]
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"]))
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 53 * MB

    # The requirements (the report no longer matches; offline, nothing else knows them).
    (tmp_path / "requirements.txt").write_text("numpy\n")
    assert estimate_artifact(load_app(tmp_path)).deps == []

    # The exclusions: numpy is dropped before pip, the report matches again.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n[tool.flash-ls]\nexclude-packages = ["numpy"]\n'
    )
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"], exclusions=["numpy"]))
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.deps_bytes == 53 * MB and estimate.excluded == ["numpy"]

    # The target Python.
    (tmp_path / "worker.py").write_text(
        WORKER.replace("gpu=GpuGroup.ADA_24", 'gpu=GpuGroup.ADA_24, python_version="3.11"')
    )
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.python_version == "3.11" and estimate.deps == []
    assert any("CPython 3.11" in line for line in estimate.describe())


def test_the_listing_of_an_app_is_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    app = load_app(tmp_path)
    first = shipped_files(app)
    checks = count_calls(monkeypatch, sizes.shipped, "_still_valid")
    assert shipped_files(app) == first
    assert estimate_artifact(app).files == first
    assert checks == []
    first.clear()  # callers get their own list
    assert shipped_files(app) != []
