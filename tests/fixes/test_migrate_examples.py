"""The migration proved on the fixture apps: rc2's own discovery (and build) of what it writes.

Every app under ``fixtures/apps`` is planned. An app that migrates is copied to a temporary
directory of the same name (the App takes the directory's name), migrated, and imported by rc2's
discovery offline in a subprocess (a throwaway HOME, the copy as working directory, as
``tests/project/test_app_api_reader.py`` runs it): each discovered resource must be the Flash
endpoint flash-ls read before the migration, with the same name, kind, routes, workers and idle
timeout, and the same hardware once rc2 normalises both the migrated string and the original
runpod_flash enum member. Then ``rp flash deploy --build-only`` must build it (skipped when pip
cannot reach the package index: rc2 vendors its runtime requirements). An app that does not
migrate must give exactly the reasons listed here (``docs/migration.md`` has the same table).
Synthetic single-file apps cover the mappings no fixture reaches whole (an ``@app.api`` class, a
network volume).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from apps import load_app, needs_rc2, write_app

from flash_ls import platform
from flash_ls.fixes.migrate import migrate_app
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
_STRAY = frozenset({platform.PROJECT_DIR, ".runpod", "__pycache__"})
_MULTI = "app has endpoints in {} modules; rc2 keeps one App per name"

# (file, 1-based line, reason) of every app that does not migrate.
NOT_MIGRATING: dict[str, list[tuple[str, int, str]]] = {
    "async_concurrency": [
        ("embedder.py", 4, _MULTI.format(2)),
        ("resizer.py", 6, _MULTI.format(2)),
    ],
    "class_worker": [
        ("sentiment.py", 5, _MULTI.format(2)),
        ("sentiment.py", 5, "class as queue resource: rc2 has queue functions only"),
        ("text_tools.py", 4, _MULTI.format(2)),
        ("text_tools.py", 7, "class as queue resource: rc2 has queue functions only"),
    ],
    "demo": [
        ("cpu_worker.py", 6, _MULTI.format(3)),
        ("cpu_worker.py", 6, "cpu='CPU3C_1_2' is not a value runpod_flash accepts"),
        ("gpu_worker.py", 8, _MULTI.format(3)),
        ("gpu_worker.py", 15, "'generate_speech' is imported by pipeline.py; handles differ"),
        ("gpu_worker.py", 27, "resource name 'tts' is used twice; rc2 rejects it"),
        ("pipeline.py", 5, _MULTI.format(3)),
        ("pipeline.py", 13, "route path /ping is reserved by the rc2 runtime"),
        ("pipeline.py", 18, "route path does not start with '/'"),
    ],
    "load_balancer": [
        ("cpu_api.py", 4, _MULTI.format(2)),
        ("cpu_api.py", 13, "handler parameters: rc2 passes a route only its JSON body"),
        ("cpu_api.py", 19, "handler parameters: rc2 passes a route only its JSON body"),
        ("gpu_api.py", 4, _MULTI.format(2)),
        ("gpu_api.py", 8, "handler parameters: rc2 passes a route only its JSON body"),
        ("gpu_api.py", 23, "path parameters: rc2 passes routes only the body"),
    ],
    "mixed_workers": [
        ("cpu_worker.py", 5, _MULTI.format(3)),
        ("cpu_worker.py", 6, "'preprocess_text' is imported by pipeline.py; handles differ"),
        ("cpu_worker.py", 20, "'postprocess_results' is imported by pipeline.py; handles differ"),
        ("gpu_worker.py", 5, _MULTI.format(3)),
        ("gpu_worker.py", 6, "'gpu_inference' is imported by pipeline.py; handles differ"),
        ("pipeline.py", 4, _MULTI.format(3)),
        ("pipeline.py", 8, "handler parameters: rc2 passes a route only its JSON body"),
    ],
    "network_volume": [
        ("workers/files.py", 4, _MULTI.format(2)),
        ("workers/files.py", 20, "path parameters: rc2 passes routes only the body"),
        ("workers/files.py", 25, "path parameters: rc2 passes routes only the body"),
        ("workers/gpu.py", 13, _MULTI.format(2)),
        ("workers/gpu.py", 13, "class as queue resource: rc2 has queue functions only"),
        ("workers/gpu.py", 19, "template= has no app API equivalent"),
    ],
}
MIGRATING = sorted(set(FIXTURE_NAMES) - set(NOT_MIGRATING))

# Single-file apps for the mappings no fixture app reaches whole.
SYNTHETIC: dict[str, dict[str, str]] = {
    "synthetic_api": {
        "api.py": """
        # A load-balanced API on a network volume.
        from runpod_flash import CpuInstanceType, DataCenter, Endpoint, NetworkVolume

        volume = NetworkVolume(name="synthetic-vol", size=20, datacenter=DataCenter.EU_RO_1)

        api = Endpoint(
            name="synthetic-api",
            cpu=CpuInstanceType.CPU3C_2_4,
            workers=(1, 2),
            volume=volume,
            idle_timeout=30,
        )


        @api.get("/health")
        async def health() -> dict:
            return {"ok": True}


        @api.post("/reset")
        def reset() -> dict:
            return {"reset": True}
        """,
    },
    "synthetic_queue": {
        "worker.py": """
        from runpod_flash import CudaVersion, Endpoint, GpuGroup, GpuType

        embedder = Endpoint(
            name="synthetic-embed",
            gpu=[GpuType.NVIDIA_L4, GpuGroup.AMPERE_80],
            min_cuda_version=CudaVersion.V12_4,
            dependencies=["numpy"],
        )


        @embedder
        async def embed(texts: list) -> dict:
            return {"n": len(texts)}


        @Endpoint(name="synthetic-any")
        async def anything() -> dict:
            return await embed(["a"])


        if __name__ == "__main__":
            import asyncio

            print(asyncio.run(anything()))
        """,
    },
}

_DISCOVER = r"""
import json, sys
from pathlib import Path

import runpod
from runpod.apps.discovery import discover_apps
from runpod.apps.spec import normalize_cpu, normalize_gpu


def raw(value):
    if isinstance(value, dict):
        return getattr(getattr(runpod, value["enum"]), value["member"])
    if isinstance(value, list):
        return [raw(item) for item in value]
    return value


hardware = [
    {"gpus": normalize_gpu(raw(item["gpu"])), "instanceIds": normalize_cpu(raw(item["cpu"]))}
    for item in json.load(sys.stdin)
]
apps = {
    app.name: {name: handle.spec.to_manifest() for name, handle in app.resources.items()}
    for app in discover_apps(Path.cwd())
}
print(json.dumps({"apps": apps, "hardware": hardware}))
"""


def _isolated_env(home: Path) -> dict[str, str]:
    home.mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "RUNPOD_FLASH_SILENCE_DEPRECATION": "1",
    }


def _clean(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.name in _STRAY:
            shutil.rmtree(path, ignore_errors=True)


def _as_json(value: object) -> object:
    if isinstance(value, EnumValue):
        return {"enum": value.enum, "member": value.member}
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    assert not isinstance(value, Unknown), value.text
    return value


def flash_view(app: App) -> tuple[dict[str, dict[str, object]], list[object]]:
    """The Flash endpoints as flash-ls reads them, in rc2's manifest words."""
    resources: dict[str, dict[str, object]] = {}
    hardware: list[object] = []
    for endpoint in app.endpoints:
        workers = endpoint.value("workers")
        if workers is None:
            workers = (0, 1)  # runpod_flash's default
        elif isinstance(workers, int):
            workers = (0, workers)
        assert isinstance(workers, (list, tuple))
        idle = endpoint.value("idle_timeout")
        entry: dict[str, object] = {
            "kind": "queue" if endpoint.kind is EndpointKind.QUEUE else "api",
            "workersMin": workers[0],
            "workersMax": workers[1],
            "idleTimeout": platform.DEFAULT_IDLE_TIMEOUT if idle is None else idle,
            "routes": sorted([r.method.upper(), r.path, r.handler_name] for r in endpoint.routes),
        }
        dependencies = endpoint.value("dependencies")
        if dependencies:
            entry["dependencies"] = dependencies
        resources[str(endpoint.name)] = entry
        hardware.append(
            {"gpu": _as_json(endpoint.value("gpu")), "cpu": _as_json(endpoint.value("cpu"))}
        )
    return resources, hardware


def discover(root: Path, scratch: Path, hardware: list[object]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _DISCOVER],
        cwd=root,
        env=_isolated_env(scratch / "home"),
        input=json.dumps(hardware),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _clean(root)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(result, dict)
    return result


def migrate_copy(source: Path | None, files: dict[str, str] | None, scratch: Path) -> Path:
    """A migrated copy under ``scratch`` with the app's directory name."""
    if source is not None:
        root = scratch / "apps" / source.name
        shutil.copytree(source, root, ignore=shutil.ignore_patterns(*_STRAY))
    else:
        assert files is not None
        root = write_app(scratch / "apps" / scratch.name, files)
    return root


def check_discovery(root: Path, scratch: Path) -> dict[str, object]:
    """Migrate ``root`` in place and compare rc2's discovery with the Flash endpoints."""
    app = load_app(root)
    expected, hardware = flash_view(app)
    plan = migrate_app(app)
    assert plan.migrates, plan.reasons()
    for migration in plan.changed_files:
        assert migration.text is not None
        migration.path.write_text(migration.text)
    found = discover(root, scratch, hardware)
    apps = found["apps"]
    assert isinstance(apps, dict) and list(apps) == [root.name]
    discovered = apps[root.name]
    normalized = found["hardware"]
    assert isinstance(normalized, list)
    for entry, hw in zip(expected.values(), normalized, strict=True):
        entry.update({k: v for k, v in hw.items() if v is not None})
    assert set(discovered) == set(expected)
    for name, entry in expected.items():
        spec = discovered[name]
        spec["routes"] = sorted(
            [r["method"], r["path"], r["handler"]] for r in spec.get("routes", [])
        )
        assert {k: spec.get(k) for k in entry} == entry, name
    return discovered


def build(root: Path, scratch: Path) -> dict[str, object]:
    """``rp flash deploy --build-only`` in ``root``; the manifest of the artifact it writes."""
    rp = Path(sys.executable).with_name("rp")
    requirements = root / "requirements.txt"
    if requirements.exists():  # the migration's note: runpod-flash is no dependency any more
        lines = requirements.read_text().splitlines()
        kept = [line for line in lines if platform.SDK_DISTRIBUTION not in line]
        requirements.write_text("".join(f"{line}\n" for line in kept))
    done = subprocess.run(
        [str(rp), "flash", "deploy", "--build-only"],
        cwd=root,
        env=_isolated_env(scratch / "home"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    _clean(root)
    output = done.stdout + done.stderr
    if done.returncode != 0 and "vendoring failed" in output:
        pytest.skip(f"rc2's build needs the package index: {output[-300:]}")
    assert done.returncode == 0, output
    [artifact] = root.glob("*-artifact.tar.gz")
    with tarfile.open(artifact) as tar:
        member = tar.extractfile("runpod_manifest.json")
        assert member is not None
        manifest = json.load(member)
    assert isinstance(manifest, dict)
    return manifest


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NOT_MIGRATING))
def test_fixture_apps_that_do_not_migrate(name: str) -> None:
    plan = migrate_app(load_app(FIXTURES / name))
    assert not plan.migrates
    assert all(f.text is None for f in plan.files if f.reasons)
    found = [(f.rel, r.span.start_line + 1, r.message) for f, r in plan.reasons()]
    assert found == NOT_MIGRATING[name]


def test_every_fixture_app_is_accounted_for() -> None:
    assert MIGRATING == ["cpu_worker", "hello_world"]


@needs_rc2
@pytest.mark.parametrize("name", MIGRATING)
def test_fixture_app_migrates_and_rc2_discovers_it(name: str, tmp_path: Path) -> None:
    root = migrate_copy(FIXTURES / name, None, tmp_path)
    check_discovery(root, tmp_path)


@needs_rc2
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_app_migrates_and_rc2_discovers_it(name: str, tmp_path: Path) -> None:
    scratch = tmp_path / name
    scratch.mkdir()
    root = migrate_copy(None, SYNTHETIC[name], scratch)
    discovered = check_discovery(root, scratch)
    if name == "synthetic_api":
        assert discovered["synthetic-api"]["mounts"] == [
            {"kind": "network", "reference": "synthetic-vol", "path": "/runpod-volume"}
        ]
    else:
        assert discovered["synthetic-embed"]["minCudaVersion"] == "12.4"


@needs_rc2
@pytest.mark.parametrize("name", MIGRATING)
def test_fixture_app_builds_with_rc2(name: str, tmp_path: Path) -> None:
    root = migrate_copy(FIXTURES / name, None, tmp_path)
    check_discovery(root, tmp_path)
    manifest = build(root, tmp_path)
    assert manifest["app"] == name
    expected = {str(e.name) for e in load_app(FIXTURES / name).endpoints}
    resources = manifest["resources"]
    assert isinstance(resources, list)
    assert {r["name"] for r in resources} == expected
    assert all(r["kind"] == "queue" for r in resources)


def test_migration_doc_lists_every_fixture_app() -> None:
    """docs/migration.md's table of the fixture apps says what NOT_MIGRATING says."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "migration.md").read_text("utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].strip("`") in FIXTURE_NAMES:
            rows[cells[0].strip("`")] = cells[1:]
    assert sorted(rows) == FIXTURE_NAMES
    for name, (migrates, details) in rows.items():
        if name in NOT_MIGRATING:
            assert migrates == "no", name
            expected = [f"{file}:{line}: {reason}" for file, line, reason in NOT_MIGRATING[name]]
            assert details.split("<br>") == expected, name
        else:
            assert migrates == "yes", name
            for endpoint in load_app(FIXTURES / name).endpoints:
                assert f"`{endpoint.name}`" in details, (name, endpoint.name)
