"""FL401 end to end: sentence-transformers in miniature on a local index, resolved by pip.

``sentence-transformers`` pulls in ``torch``, and torch its ``nvidia-*`` CUDA wheels, which
install into one ``nvidia/`` directory. The build strips torch and triton, not what they need,
so the CUDA wheels ship and the artifact exceeds the budget (2 MB here, the payloads are small).
The finding names them and the chain that pulled them in, its fix writes the exclusion that
fits, and ``flash-ls build`` then leaves them out. ``flash-ls check`` runs as a subprocess,
offline or not, against the module's index and cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps import check, only, write_app
from package_index import Dist, PackageIndex, hermetic_pip_env
from resolving import online, pip_env

from flash_ls.diagnostic import Diagnostic
from flash_ls.fixes.apply import apply_edits
from flash_ls.project import sizes
from flash_ls.project.sizes import format_size

DISTS = [
    Dist("sentence-transformers", "3.0.1", requires=["transformers", "torch"], payload=50_000),
    Dist("transformers", "4.40.0", requires=["tokenizers"], payload=150_000),
    Dist("tokenizers", "0.19.1", payload=50_000),
    Dist(
        "torch",
        "2.7.1",
        requires=["nvidia-cudnn-cu12", "nvidia-cublas-cu12", "nvidia-cusparselt-cu12", "triton"],
        payload=1_000_000,
    ),
    Dist("triton", "3.3.1", payload=300_000),
    Dist("nvidia-cudnn-cu12", "9.5.1.17", payload=1_200_000, top_level="nvidia/cudnn"),
    Dist("nvidia-cublas-cu12", "12.6.4.1", payload=800_000, top_level="nvidia/cublas"),
    Dist("nvidia-cusparselt-cu12", "0.6.3", payload=300_000, top_level="cusparselt"),
]
WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24, dependencies=["sentence-transformers"])
async def embed(text: str):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer("all-MiniLM-L6-v2").encode(text).tolist()
"""
PYPROJECT = '[project]\nname = "app"\n\n[tool.flash-ls]\nsize-budget-mb = 2\n'


@pytest.fixture(scope="module")
def index() -> Iterator[PackageIndex]:
    with PackageIndex(DISTS) as running:
        yield running


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sizes-cache")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "app", {"worker.py": WORKER, "pyproject.toml": PYPROJECT})


def flash_ls(
    cwd: Path, *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``flash-ls *args`` in ``cwd`` with exactly ``env`` (no pip configuration of this machine)."""
    return subprocess.run(
        [sys.executable, "-m", "flash_ls", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fl401(root: Path) -> Diagnostic:
    [found] = only(check(root), "FL401")
    return found


def test_fl401_names_the_cuda_wheels_their_chain_and_the_exclusion_that_fits(
    app: Path, index: PackageIndex, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    online(monkeypatch, index, cache)
    finding = fl401(app)
    line = (app / "worker.py").read_text().splitlines()[finding.span.start_line]
    assert line[finding.span.start_col : finding.span.end_col] == '"sentence-transformers"'
    cuda = sum(
        index.wheel(name, version).size
        for name, version in [
            ("nvidia-cudnn-cu12", "9.5.1.17"),
            ("nvidia-cublas-cu12", "12.6.4.1"),
            ("nvidia-cusparselt-cu12", "0.6.3"),
        ]
    )
    assert finding.message.startswith("artifact would be about 2.")
    assert finding.message.endswith(" MB, above the 2 MB budget")
    assert finding.notes[:5] == (
        f"{format_size(cuda)} are nvidia-* CUDA wheels pulled in by torch via sentence-transformers",
        'to fit, exclude nvidia: exclude-packages = ["nvidia"] in [tool.flash-ls]',
        "with the official CLI: flash build --exclude nvidia (and flash deploy)",
        "torch in the GPU image brings its own CUDA libraries; check that nvidia is not needed "
        "at run time",
        "estimated for linux-x86_64 (this machine), CPython 3.12 wheels",
    )
    assert finding.fix is not None and not finding.fix.safe
    assert finding.fix.message == "Exclude nvidia from the artifact (exclude-packages)"
    [edit] = finding.fix.edits
    pyproject = app / "pyproject.toml"
    pyproject.write_text(apply_edits(pyproject.read_text(), [edit]))
    assert 'exclude-packages = ["nvidia"]\nsize-budget-mb = 2\n' in pyproject.read_text()
    sizes.clear_caches()
    assert only(check(app), "FL401") == [] and only(check(app), "FL402") == []


def test_check_fix_writes_the_exclusion_and_the_build_leaves_it_out(
    app: Path, index: PackageIndex, cache: Path
) -> None:
    env = pip_env(index, cache)
    before = flash_ls(app, "check", "--no-color", env=env)
    assert before.returncode == 1 and "FL401" in before.stdout, before.stderr
    fixed = flash_ls(app, "check", "--fix", "--unsafe-fixes", "--no-color", env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Fixed 1 problem." in fixed.stderr
    assert 'exclude-packages = ["nvidia"]' in (app / "pyproject.toml").read_text()

    built = flash_ls(app, "build", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    with tarfile.open(app / ".flash" / "artifact.tar.gz") as archive:
        tops = {name.removeprefix("./").split("/", 1)[0] for name in archive.getnames()}
    assert {"nvidia", "torch", "triton"}.isdisjoint(tops)
    assert {"cusparselt", "transformers", "tokenizers", "sentence_transformers"} <= tops
    assert "No packages matched exclusions" not in built.stderr  # nvidia/ matched


def test_offline_gives_the_same_finding_from_the_cache_and_says_when_it_cannot(
    app: Path, index: PackageIndex, cache: Path, tmp_path: Path
) -> None:
    env = pip_env(index, cache)
    online_run = flash_ls(app, "check", "--no-color", "--no-cache", env=env)
    index.clear_requests()
    offline_run = flash_ls(app, "check", "--no-color", "--no-cache", "--offline", env=env)
    assert list(index.requests) == []
    assert offline_run.stdout == online_run.stdout and "FL401" in offline_run.stdout

    cold = {**env, "FLASH_LS_CACHE_DIR": str(tmp_path / "cold")}
    cold_run = flash_ls(app, "check", "--no-color", "--offline", env=cold)
    assert cold_run.returncode == 0 and "FL401" not in cold_run.stdout
    assert cold_run.stderr == (
        "flash-ls: note: app: dependency sizes not counted: offline, and no cached resolution\n"
    )


def test_a_cold_resolution_says_the_check_waits_for_pip(
    app: Path, index: PackageIndex, tmp_path: Path
) -> None:
    env = pip_env(index, tmp_path / "cold")
    done = flash_ls(app, "check", "--no-color", "--size-platform", "macos-arm64", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        "flash-ls: resolving the dependencies of app with pip, for macos-arm64; once a day "
        "(--offline skips it)\n"
    )
    assert "estimated for macos-arm64, CPython 3.12 wheels" in done.stdout


@pytest.mark.skipif(
    os.environ.get("FLASH_LS_REAL_INDEX") != "1",
    reason="resolves sentence-transformers from PyPI (a minute); set FLASH_LS_REAL_INDEX=1",
)
def test_sentence_transformers_from_the_real_index(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    env = hermetic_pip_env()
    env.pop("FLASH_LS_OFFLINE", None)
    env["FLASH_LS_CACHE_DIR"] = str(tmp_path / "cache")
    env["PIP_INDEX_URL"] = "https://pypi.org/simple/"
    done = flash_ls(
        root, "check", "--no-color", "--size-platform", "linux-x86_64", env=env, timeout=400
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FL401" in done.stdout and "GB, above the 1500 MB limit" in done.stdout
    assert "are nvidia-* CUDA wheels pulled in by torch via sentence-transformers" in done.stdout
    assert "flash build --exclude nvidia" in done.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--size-platform", "mac"],
            "flash-ls: --size-platform must be linux-x86_64, linux-aarch64, macos-arm64, "
            "macos-x86_64, windows-amd64\n",
        ),
        (["--size-timeout", "0"], "flash-ls: --size-timeout must be greater than 0, not 0.0\n"),
    ],
)
def test_bad_size_options_are_usage_errors(app: Path, option: list[str], message: str) -> None:
    done = flash_ls(app, "check", *option, env=dict(os.environ))
    assert (done.returncode, done.stderr, done.stdout) == (2, message, "")
