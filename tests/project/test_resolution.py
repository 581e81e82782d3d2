"""The install set, resolved by pip as the build resolves it, against a real index on 127.0.0.1.

Every resolution here is a real pip run (about a second) against tests/package_index.py; they
share one index and one cache directory, so a requirement set is resolved once per module.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps import load_app, write_app
from package_index import Dist, PackageIndex, pip_install
from resolving import online

from flash_ls.platform import ARCHIVE_RATIO
from flash_ls.project import sizes
from flash_ls.project.sizes import SizeEstimate, estimate_artifact, native_platform, resolution

NATIVE_LINUX = native_platform() == "linux-x86_64" and sys.platform == "linux"
DISTS = [
    Dist(
        "fake-transformers",
        "1.0",
        requires=[
            "fake-torch>=2",
            "tokenizer-lib",
            'linux-only; sys_platform == "linux"',
            'windows-only; sys_platform == "win32"',
        ],
        payload=200_000,
    ),
    # The nvidia case in miniature: the build strips torch/, and what torch needs still ships.
    Dist("fake-torch", "2.0", requires=["fake-cuda-lib"], payload=400_000, top_level="torch"),
    Dist("fake-cuda-lib", "12.0", payload=600_000, top_level="nvidia"),
    Dist("tokenizer-lib", "0.5", payload=100_000),
    Dist("tokenizer-lib", "0.6", tags=["cp313-cp313-manylinux_2_28_x86_64"]),  # no 3.12 wheel
    Dist("linux-only", "1.0"),
    Dist("windows-only", "1.0"),
    Dist("source-only", "1.0", sdist_only=True),
    Dist("lonely-a", "1.0"),
    Dist("lonely-b", "1.0"),
    Dist("lonely-c", "1.0"),
]


@pytest.fixture(scope="module")
def index() -> Iterator[PackageIndex]:
    with PackageIndex(DISTS) as running:
        yield running


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sizes-cache")


@pytest.fixture(autouse=True)
def resolving(index: PackageIndex, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    online(monkeypatch, index, cache)
    yield
    sizes.clear_caches()


def app_with(root: Path, deps: list[str], config: str = "") -> Path:
    files: dict[str, str | bytes] = {
        "worker.py": f"""
            from runpod_flash import Endpoint, GpuGroup

            @Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24, dependencies={deps!r})
            async def embed(text: str): ...
            """
    }
    if config:
        files["pyproject.toml"] = f'[project]\nname = "app"\n\n[tool.flash-ls]\n{config}\n'
    return write_app(root, files)


def estimate_of(root: Path) -> SizeEstimate:
    return estimate_artifact(load_app(root))


def by_name(estimate: SizeEstimate) -> dict[str, sizes.DependencySize]:
    return {dep.name: dep for dep in estimate.deps}


def test_the_install_set_is_the_one_pip_itself_resolves(
    index: PackageIndex, tmp_path: Path
) -> None:
    estimate = estimate_of(app_with(tmp_path / "app", ["fake-transformers"]))
    own = pip_install(
        index, ["fake-transformers"], target=tmp_path / "t", report=tmp_path / "r.json"
    ).check()
    assert {d.name: d.version for d in estimate.deps} == own.installed
    assert estimate.complete and estimate.problems == []
    deps = by_name(estimate)
    # Transitive dependencies, and the older release pip falls back to (0.6 has no cp312 wheel).
    assert deps["tokenizer-lib"].version == "0.5"
    assert deps["fake-cuda-lib"].chain == ("fake-transformers", "fake-torch")
    assert deps["tokenizer-lib"].chain == ("fake-transformers",)
    assert deps["fake-transformers"].chain == ()
    # pip evaluates markers for this machine: Linux.
    assert ("linux-only" in deps) == NATIVE_LINUX and "windows-only" not in deps


def test_wheel_sizes_come_from_the_index(index: PackageIndex, tmp_path: Path) -> None:
    estimate = estimate_of(app_with(tmp_path / "app", ["fake-transformers"]))
    for dep in estimate.deps:
        if dep.name != "fake-torch":  # stripped in part: the next test
            # The archive part of a wheel: its size times the measured wheel-to-archive ratio.
            expected = round(index.wheel(dep.name, dep.version or "").size * ARCHIVE_RATIO)
            assert dep.bytes == expected, dep.name


def test_the_build_strips_torch_but_its_dependencies_ship(
    index: PackageIndex, tmp_path: Path
) -> None:
    estimate = estimate_of(app_with(tmp_path / "app", ["fake-transformers"]))
    torch, cuda = by_name(estimate)["fake-torch"], by_name(estimate)["fake-cuda-lib"]
    assert torch.stripped == ("torch",) and "torch" in estimate.excluded
    # Only its dist-info is left (named fake_torch-2.0, not like an excluded package).
    assert 0 < (torch.bytes or 0) < 5_000
    cuda_wheel = index.wheel("fake-cuda-lib", "12.0").size
    assert cuda.bytes == round(cuda_wheel * ARCHIVE_RATIO) and cuda.stripped == ()
    [group] = [g for g in estimate.groups() if g.label == "fake-cuda-lib"]
    assert group.sentence().endswith(
        "is fake-cuda-lib pulled in by fake-torch via fake-transformers"
    )


def test_an_exclusion_of_a_top_level_name_needs_no_new_resolution(
    index: PackageIndex, tmp_path: Path
) -> None:
    estimate_of(app_with(tmp_path / "a", ["fake-transformers"]))
    index.clear_requests()
    excluded = estimate_of(
        app_with(tmp_path / "b", ["fake-transformers"], 'exclude-packages = ["nvidia"]')
    )
    assert list(index.requests) == []  # the same requirements: the cached resolution
    cuda = by_name(excluded)["fake-cuda-lib"]
    assert cuda.stripped == ("nvidia",) and (cuda.bytes or 0) < 5_000
    assert excluded.excluded == ["torch", "nvidia"]


@pytest.mark.parametrize(
    ("size_platform", "present", "absent"),
    [("macos-arm64", None, "linux-only"), ("windows-amd64", "windows-only", "linux-only")],
)
def test_markers_follow_the_size_platform(
    tmp_path: Path, size_platform: str, present: str | None, absent: str
) -> None:
    root = app_with(tmp_path / "app", ["fake-transformers"], f'size-platform = "{size_platform}"')
    estimate = estimate_of(root)
    assert estimate.platform == size_platform
    names = set(by_name(estimate))
    assert absent not in names and (present is None or present in names)
    assert {"fake-transformers", "fake-torch", "fake-cuda-lib"} <= names


@pytest.mark.skipif(not NATIVE_LINUX, reason="the native platform is Linux x86_64 here")
def test_the_workers_platform_on_this_machine_is_resolved_natively(tmp_path: Path) -> None:
    root = app_with(tmp_path / "app", ["fake-transformers"], 'size-platform = "linux-x86_64"')
    estimate = estimate_of(root)
    assert estimate.platform == "linux-x86_64 (this machine)"
    assert "linux-only" in by_name(estimate)


def test_a_source_only_package_cannot_be_installed(index: PackageIndex, tmp_path: Path) -> None:
    estimate = estimate_of(app_with(tmp_path / "app", ["fake-transformers", "source-only"]))
    [problem] = estimate.problems
    assert problem.kind == resolution.NO_WHEEL and problem.package == "source-only"
    assert "flash build will fail to install it" in problem.message
    assert estimate.deps == [] and not estimate.complete and estimate.settled
    own = pip_install(index, ["fake-transformers", "source-only"], target=tmp_path / "t")
    assert own.returncode != 0  # pip's own verdict, with the build's flags


def test_requirements_are_filtered_as_the_build_filters_them(tmp_path: Path) -> None:
    # "torch" is not on this index: pip would fail on it, but the build drops it before pip.
    kept = estimate_of(app_with(tmp_path / "a", ["torch>=2", "fake-transformers"]))
    assert kept.problems == [] and "fake-torch" in by_name(kept)
    # The build's split misses "~": torch~=2.0 goes to pip, which cannot find it.
    gap = estimate_of(app_with(tmp_path / "b", ["torch~=2.0", "fake-transformers"]))
    assert [(p.kind, p.package) for p in gap.problems] == [(resolution.NO_WHEEL, "torch~=2.0")]


def test_offline_uses_the_cache_only(
    index: PackageIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = app_with(tmp_path / "app", ["fake-transformers"])
    online_estimate = estimate_of(root)
    sizes.clear_caches()  # a new process
    monkeypatch.setenv("FLASH_LS_OFFLINE", "1")
    index.clear_requests()
    offline_estimate = estimate_of(root)
    assert list(index.requests) == []
    assert offline_estimate.deps == online_estimate.deps and offline_estimate.complete
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cold"))
    sizes.clear_caches()
    cold = estimate_of(root)
    assert [p.kind for p in cold.problems] == [resolution.OFFLINE] and cold.deps == []


def test_apps_with_the_same_requirements_share_one_pip_run(
    index: PackageIndex, tmp_path: Path
) -> None:
    roots = [app_with(tmp_path / f"app{n}", ["linux-only", "lonely-a"]) for n in range(3)]
    index.clear_requests()
    apps = [sizes.start_size_lookups(load_app(root)) for root in roots]
    estimates = [estimate_artifact(app) for app in apps]
    assert all(
        e.complete and {d.name for d in e.deps} == {"linux-only", "lonely-a"} for e in estimates
    )
    assert index.requests.paths().count("/simple/lonely-a/") == 1


def test_at_most_two_pip_processes_run_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, peak, lock = [0], [0], threading.Lock()
    real = resolution.run_pip

    def counted(request: resolution.ResolveRequest) -> resolution.Resolution:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(request)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(resolution, "run_pip", counted)
    roots = [app_with(tmp_path / name, [name]) for name in ("lonely-b", "lonely-c", "source-only")]
    apps = [sizes.start_size_lookups(load_app(root)) for root in roots]
    finished = [estimate_artifact(app) for app in apps]  # waits for the three runs
    assert [e.complete for e in finished] == [True, True, False]  # source-only: no wheel
    assert 1 <= peak[0] <= resolution.PIP_PROCESSES


def test_the_language_server_never_waits(tmp_path: Path) -> None:
    landed = threading.Event()
    stop = sizes.on_landed(landed.set)
    sizes.set_background(True)
    try:
        root = app_with(tmp_path / "app", ["windows-only"])
        first = estimate_of(root)  # returns before pip ran (it waits a second in the background)
        assert first.provisional and [p.kind for p in first.problems] == [resolution.PENDING]
        assert landed.wait(60)
        later = estimate_of(root)
        assert later.complete and [d.name for d in later.deps] == ["windows-only"]
    finally:
        sizes.set_background(False)
        stop()


def test_a_resolution_that_times_out_is_not_cached(tmp_path: Path) -> None:
    root = app_with(tmp_path / "app", ["lonely-a", "lonely-b"], "size-timeout = 0.01")
    timed_out = estimate_of(root)
    assert [p.kind for p in timed_out.problems] == [resolution.TIMEOUT]
    assert "within 0.01 s" in timed_out.problems[0].message and not timed_out.settled
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert estimate_of(root).complete


def test_an_interpreter_without_pip_is_named(tmp_path: Path) -> None:
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "app" / ".venv")
    estimate = estimate_of(app_with(tmp_path / "app", ["lonely-a"]))
    [problem] = estimate.problems
    assert (problem.kind, problem.message) == (
        resolution.NO_PIP,
        "pip is not installed in the app's .venv",
    )
    assert "the app's .venv" in estimate.describe()[1]


def test_index_options_in_requirements_txt_reach_pip(
    index: PackageIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")  # refuses connections
    root = app_with(tmp_path / "app", ["lonely-c"])
    (root / "requirements.txt").write_text(f"--index-url {index.simple_url}/\nlonely-a\n")
    estimate = estimate_of(root)
    assert estimate.complete and {d.name for d in estimate.deps} == {"lonely-a", "lonely-c"}
    assert os.environ["PIP_INDEX_URL"].startswith("http://127.0.0.1:9/")


def test_an_unreachable_index_is_noted_and_not_asked_again_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")  # refuses connections
    monkeypatch.setenv("PIP_RETRIES", "1")
    runs = count_pip_runs(monkeypatch)
    root = app_with(tmp_path / "app", ["lonely-b"])
    estimate = estimate_of(root)
    assert [p.kind for p in estimate.problems] == [resolution.UNREACHABLE] and runs == [1]
    assert not estimate.settled  # the next check may know more: never replayed
    assert [p.kind for p in estimate_of(root).problems] == [resolution.UNREACHABLE]
    assert runs == [1]  # a failure of the moment is retried after a minute, not per check


def test_requirements_edited_while_typing_are_not_resolved(
    index: PackageIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cache"))  # nothing resolved yet
    runs = count_pip_runs(monkeypatch)
    landed = threading.Event()
    stop = sizes.on_landed(landed.set)
    sizes.set_background(True)
    try:
        root = app_with(tmp_path / "app", ["lonely"])
        assert estimate_of(root).provisional
        (root / "worker.py").write_text(
            (root / "worker.py").read_text().replace("lonely", "lonely-c")
        )
        assert estimate_of(root).provisional
        assert landed.wait(60)
        landed.clear()
        deadline = time.monotonic() + 60
        while not (done := estimate_of(root)).complete and time.monotonic() < deadline:
            landed.wait(1)
        assert [d.name for d in done.deps] == ["lonely-c"]
        assert runs == [1]  # "lonely" was abandoned before pip ran
        assert "/simple/lonely/" not in index.requests.paths()
    finally:
        sizes.set_background(False)
        stop()


def count_pip_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Real pip runs, counted."""
    runs: list[int] = []
    real = resolution.run_pip

    def counted(request: resolution.ResolveRequest) -> resolution.Resolution:
        runs.append(1)
        return real(request)

    monkeypatch.setattr(resolution, "run_pip", counted)
    return runs
