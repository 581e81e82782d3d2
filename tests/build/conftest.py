"""Shared fixtures of the build tests: a local wheelhouse, official builds, flash-ls builds.

The official `flash build --no-deps` runs once per app for the whole session (one process, its own
CLI entry point, see official_driver.py), in temp copies (it imports the app and writes ``.flash/``),
offline: pip only sees the wheelhouse.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # buildkit.py, wheels.py

from buildkit import (
    BUILD_ENV,
    OFFICIAL_ENV,
    PARITY_APPS,
    RUNS,
    OfficialBuild,
    OurBuild,
    build,
    materialise,
    speedups,
)
from wheels import make_wheel


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny wheels for offline installs: what the fixture apps and the dependency tests need."""
    house = tmp_path_factory.mktemp("wheelhouse")
    make_wheel(house, "diffusers", "0.30.0", requires=("huggingface-hub>=0.20",))
    make_wheel(house, "huggingface-hub", "0.24.0")
    # Official builds of apps listing runpod-flash pip-install it; any wheel of that name will do.
    make_wheel(
        house, "runpod-flash", "1.21.0", modules={"runpod_flash/__init__.py": "STUB = True\n"}
    )
    make_wheel(house, "tinyreq", "2.1.0", requires=("tinydep",))
    make_wheel(house, "tinydep", "0.3.0")
    make_wheel(house, "tinyml", "1.0.0", requires=("torch", "tinydep"))
    make_wheel(house, "torch", "2.4.0", payload_bytes=64 * 1024)
    make_wheel(
        house,
        "opencv-python-tiny",
        "4.0.0",
        modules={"cv2tiny/__init__.py": "X = 1\n", "cv2tiny/data.txt": "data\n"},
    )
    make_wheel(house, "bigpkg", "1.0.0", payload_bytes=256 * 1024)
    return house


@pytest.fixture(scope="session")
def offline_pip(wheelhouse: Path) -> Iterator[dict[str, str]]:
    """pip settings (environment) that install from the wheelhouse only, for the whole session."""
    settings = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_CACHE_DIR": "1"}
    saved = {k: os.environ.get(k) for k in [*settings, *BUILD_ENV]}
    for key in BUILD_ENV:
        os.environ.pop(key, None)
    os.environ.update(settings)
    yield settings
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def official(
    tmp_path_factory: pytest.TempPathFactory, offline_pip: dict[str, str]
) -> dict[str, OfficialBuild]:
    """Every run built once by the official `flash build --no-deps` (its own CLI entry point)."""
    if importlib.util.find_spec("runpod_flash") is None:
        pytest.skip("runpod-flash (the official CLI) is not installed: pip install -e .[test]")
    base = tmp_path_factory.mktemp("official")
    roots = {}
    plan = []
    for key, run in RUNS.items():
        root = materialise(run, base / key.replace("@", "-"))
        roots[key] = root
        args = ["build", "--no-deps"]
        if run.python_version:
            args += ["--python-version", run.python_version]
        plan.append({"root": str(root), "env": run.env, "args": args})
    plan_file = base / "plan.json"
    plan_file.write_text(json.dumps(plan))
    env = {k: v for k, v in os.environ.items() if k not in BUILD_ENV}
    env.update(OFFICIAL_ENV)
    env.update(offline_pip)
    env["HOME"] = str(base)  # nothing from the real home directory
    env["PYTHONPATH"] = speedups(base)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "official_driver.py"), str(plan_file)],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    built = {}
    for key, result in zip(RUNS, results, strict=True):
        manifest_path = roots[key] / ".flash" / "flash_manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
        built[key] = OfficialBuild(roots[key], result["returncode"], result["output"], manifest)
    return built


@pytest.fixture(scope="session")
def ours(
    tmp_path_factory: pytest.TempPathFactory, offline_pip: dict[str, str]
) -> dict[str, OurBuild]:
    """The fixture apps and the edge app built by flash-ls (``--no-deps``, as the official runs)."""
    base = tmp_path_factory.mktemp("ours")
    built = {}
    for name in (*PARITY_APPS, "edge"):
        run = RUNS[name]
        root = materialise(run, base)
        built[name] = OurBuild(root, build(root, environ=run.env))
    return built
