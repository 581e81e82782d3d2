"""The app API reader: ``runpod.App`` apps read statically, checked against rc2's own discovery.

The fixture apps under ``fixtures/app_api/`` are read by flash-ls and imported by runpod
2.0.0rc2's discovery (``runpod.apps.discovery.discover_apps``, offline, in a subprocess with the
fixture as its working directory and a throwaway HOME); both must list the same resources with
the same names, kinds, hardware and routes, but where the SDK is known to lose resources
(section 4.3 of the facts: the flat multi-file layout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from apps import load_app, needs_rc2, write_app

from flash_ls import platform
from flash_ls.parse import parse_file
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "app_api"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())

# (app, resource) that rc2's discovery drops although the code declares them (section 4.3).
LOST_BY_DISCOVERY = {"flat_split": {("flat-app", "in_workers")}}


def by_name(app: App) -> dict[str, Endpoint]:
    return {str(e.name): e for e in app.app_api_endpoints}


def owner(endpoint: Endpoint) -> str:
    """The name of the App a resource is declared on."""
    assert endpoint.app_decl is not None
    return str(endpoint.app_decl.name)


# -- the reader on its own -------------------------------------------------------------------


def test_basic_app_kinds_hardware_routes_and_names() -> None:
    app = load_app(FIXTURES / "basic")
    [decl] = app.app_declarations
    assert (decl.name, decl.variable, decl.file.rel) == ("basic-app", "app", "main.py")
    assert (
        decl.file.lines()[decl.name_span.start_line][
            decl.name_span.start_col : decl.name_span.end_col
        ]
        == '"basic-app"'
    )
    found = by_name(app)
    assert {n: e.kind for n, e in found.items()} == {
        "transcribe": EndpointKind.QUEUE,
        "cpu-worker": EndpointKind.QUEUE,
        "Inference": EndpointKind.LOAD_BALANCED,
        "fastweb": EndpointKind.LOAD_BALANCED,
        "finetune": EndpointKind.TASK,
    }
    assert all(e.sdk == platform.APP_API_MODULE and e.app_decl is decl for e in found.values())
    assert all(e.decl.form is DeclForm.RESOURCE for e in found.values())
    assert found["transcribe"].value("gpu") == EnumValue("GpuType", "NVIDIA_GEFORCE_RTX_4090")
    assert found["transcribe"].value("dependencies") == ["numpy"]
    assert found["cpu-worker"].value("workers") == (0, 2)
    assert found["cpu-worker"].is_cpu is True and found["finetune"].is_cpu is False
    assert found["finetune"].value("gpu_count") == 2
    inference = found["Inference"]
    assert [(r.method, r.path, r.handler_name) for r in inference.routes] == [
        ("post", "/generate", "generate"),
        ("get", "/health2", "health"),
    ]
    assert all(r.definition.name == "Inference" for r in inference.routes)
    assert [hook.handler.name for hook in inference.inits] == ["setup"]
    assert inference.asgi_factory is None
    factory = found["fastweb"].asgi_factory
    assert factory is not None and factory.definition.name == "web"
    # The model's runpod_flash traits stay out of the app API's way.
    assert all(e.resource_class is None and not e.decl.is_client for e in found.values())
    # App.endpoints stays what the Flash rules and the build read.
    assert app.endpoints == []
    assert app.all_endpoints == app.app_api_endpoints


def test_derived_names_follow_name_or_dunder_name() -> None:
    found = load_app(FIXTURES / "derived_names").app_api_endpoints
    assert [(e.name, e.derived_name, e.argument("name") is not None) for e in found] == [
        ("no_name", "no_name", False),
        ("none_name", "none_name", True),
        ("empty_name", "empty_name", True),
        ("task_fn", "task_fn", False),
        ("InferenceService", "InferenceService", False),
        ("asgi_factory", "asgi_factory", False),
    ]


def test_name_computed_at_run_time_is_unknown(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            import runpod
            app = runpod.App(make_name())

            @app.queue(name=resource_name())
            def fn(): ...
            """
        },
    )
    app = load_app(tmp_path)
    assert app.app_declarations[0].name == Unknown("make_name()")
    assert app.app_api_endpoints[0].name == Unknown("resource_name()")


def test_every_import_spelling_resolves() -> None:
    app = load_app(FIXTURES / "aliases")
    assert [(d.name, d.variable) for d in app.app_declarations] == [
        ("alias-app", "app"),
        ("apps-module-app", "other"),
        ("alias-of-alias-app", "from_alias"),
    ]
    found = by_name(app)
    assert set(found) == {"by_alias", "enum_list", "aliased-api", "dotted_enum", "late"}
    assert found["by_alias"].value("gpu") == "L4"  # a module-level constant
    assert found["by_alias"].app_decl is app.app_declarations[0]
    assert found["enum_list"].value("gpu") == [
        EnumValue("GpuGroup", "AMPERE_48"),
        EnumValue("GpuType", "NVIDIA_A40"),
    ]
    assert found["dotted_enum"].value("gpu") == EnumValue("GpuType", "NVIDIA_B200")
    api = found["aliased-api"]
    assert [(r.method, r.path) for r in api.routes] == [("get", "/items"), ("put", "/items")]
    # The span of the method names the marker as written (``GET`` for ``get``).
    route = api.routes[0]
    assert (
        route.file.lines()[route.method_span.start_line][
            route.method_span.start_col : route.method_span.end_col
        ]
        == "GET"
    )
    assert [hook.handler.name for hook in api.inits] == ["boot"]


def test_other_libraries_app_task_is_not_a_resource() -> None:
    app = load_app(FIXTURES / "aliases")
    assert all(e.decl.file.rel == "main.py" for e in app.app_api_endpoints)


def test_several_apps_in_one_project() -> None:
    app = load_app(FIXTURES / "two_apps")
    assert [(d.name, d.file.rel) for d in app.app_declarations] == [
        ("first-app", "main.py"),
        ("second-app", "main.py"),
        ("third-app", "third.py"),
    ]
    env = app.app_declarations[1].argument("env")
    assert env is not None and env.value == "staging"
    owners = [(e.name, owner(e)) for e in app.app_api_endpoints]
    assert owners == [
        ("embed", "first-app"),
        ("embed", "second-app"),
        ("report", "third-app"),
    ]


def test_route_markers_the_sdk_collects() -> None:
    app = load_app(FIXTURES / "route_markers")
    service = by_name(app)["Service"]
    assert sorted((r.method, r.path, r.handler_name) for r in service.routes) == [
        ("delete", "/items", "a_delete"),
        ("get", "/class-inner", "class_inner"),
        ("get", "/outer", "stacked"),
        ("get", "/second", "twice"),
        ("get", "/static-inner", "static_inner"),
        ("patch", "/items", "z_patch"),
    ]
    assert sorted(str(r.path) for r in service.uncollected_routes) == [
        "/first",
        "/inner",
        "/property",
        "/static-outer",
    ]
    stray = [(source.rel, definition.name) for source, definition, _ in app.app_api.stray_markers]
    assert stray == [("main.py", "stray_init"), ("main.py", "queue_with_init")]


def test_uncalled_decorators_and_markers_are_recorded(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            import runpod
            app = runpod.App("x")

            @app.queue
            def bare(): ...

            @app.api
            class Web:
                @runpod.get
                def index(self): ...
            """
        },
    )
    found = by_name(load_app(tmp_path))
    assert [(e.decl.called, e.kind) for e in found.values()] == [
        (False, EndpointKind.QUEUE),
        (False, EndpointKind.LOAD_BALANCED),
    ]
    [route] = found["Web"].routes
    assert route.call is None and route.path is None and route.method == "get"


def test_rebinding_the_app_variable(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            from runpod import App
            app = App("one")

            @app.queue()
            def on_one(): ...

            app = App("two")

            @app.queue()
            def on_two(): ...
            """
        },
    )
    app = load_app(tmp_path)
    assert [d.name for d in app.app_declarations] == ["one", "two"]
    owners = [(e.name, owner(e)) for e in app.app_api_endpoints]
    assert owners == [("on_one", "one"), ("on_two", "two")]


def test_multi_file_apps_resolve_across_modules() -> None:
    package = by_name(load_app(FIXTURES / "package_split"))
    assert {n: e.decl.file.rel for n, e in package.items()} == {
        "in_main": "proj/main.py",
        "in-workers": "proj/workers.py",
        "package-api": "proj/workers.py",
    }
    assert {owner(e) for e in package.values()} == {"package-app"}
    flat = by_name(load_app(FIXTURES / "flat_split"))
    assert flat["in_workers"].app_decl is flat["in_main"].app_decl


def test_both_readers_in_one_project() -> None:
    app = load_app(FIXTURES / "mixed_sdks")
    assert [(e.sdk, e.key) for e in app.all_endpoints] == [
        (platform.APP_API_MODULE, "app_work"),
        (platform.SDK_MODULE, "flash-worker"),
    ]
    assert [e.key for e in app.endpoints] == ["flash-worker"]
    assert [d.name for d in app.app_declarations] == ["mixed-app"]


def test_files_discovery_skips_are_not_read(tmp_path: Path) -> None:
    declaration = 'import runpod\napp = runpod.App("{}")\n'
    write_app(
        tmp_path,
        {
            "main.py": declaration.format("kept"),
            "build/generated.py": declaration.format("skipped"),
            "tests/test_app.py": declaration.format("imported-too"),
        },
    )
    assert [d.name for d in load_app(tmp_path).app_declarations] == ["kept", "imported-too"]


def test_prefilter_reads_app_api_files_fully_and_legacy_workers_lightly() -> None:
    app_api = parse_file('import runpod\napp = runpod.App("a")\n\n@app.queue()\ndef f(): ...\n')
    assert app_api.fully_parsed and app_api.mentions_app_api and not app_api.mentions_flash
    legacy = parse_file(
        textwrap.dedent(
            """
            import runpod

            def handler(job): ...

            runpod.serverless.start({"handler": handler})
            """
        )
    )
    assert not legacy.fully_parsed and not legacy.mentions_app_api
    flash = parse_file("import runpod_flash\nApp = 1\n")
    assert not flash.mentions_app_api
    # Not a Flash app: no Flash rule reports on a project that only uses the app API.
    assert not load_app(FIXTURES / "basic").uses_flash


# -- against rc2's discovery -----------------------------------------------------------------

_DISCOVER = r"""
import inspect, json, sys
from pathlib import Path

import runpod
from runpod.apps.discovery import discover_apps
from runpod.apps.spec import normalize_cpu, normalize_gpu

root = Path.cwd().resolve()


def raw(value):
    if isinstance(value, dict):
        return getattr(getattr(runpod, value["enum"]), value["member"])
    if isinstance(value, list):
        return [raw(item) for item in value]
    return value


def rel(path):
    return Path(path).resolve().relative_to(root).as_posix()


hardware = [
    {"gpu": normalize_gpu(raw(item["gpu"])), "cpu": normalize_cpu(raw(item["cpu"]))}
    for item in json.load(sys.stdin)
]
apps = []
for app in discover_apps(root):
    resources = {}
    for name, handle in app.resources.items():
        spec, fn = handle.spec, handle.__wrapped__
        resources[name] = {
            "kind": spec.kind.value,
            "gpu": spec.gpu,
            "cpu": spec.cpu,
            "routes": sorted([r.method, r.path, r.handler_name] for r in spec.routes),
            "asgi_factory": spec.asgi_factory,
            "qualname": fn.__qualname__,
            "file": rel(inspect.getsourcefile(fn)),
        }
    apps.append({"name": app.name, "file": rel(app._source_file), "resources": resources})
print(json.dumps({"apps": apps, "hardware": hardware}))
"""

_KIND_NAMES = {
    EndpointKind.QUEUE: platform.APP_RESOURCE_KIND_QUEUE,
    EndpointKind.LOAD_BALANCED: platform.APP_RESOURCE_KIND_API,
    EndpointKind.TASK: platform.APP_RESOURCE_KIND_TASK,
}


def _as_json(value: object) -> object:
    """A static value as the subprocess rebuilds it (enum members by name)."""
    if isinstance(value, EnumValue):
        return {"enum": value.enum, "member": value.member}
    if isinstance(value, (list, tuple)):
        return [_as_json(item) for item in value]
    assert not isinstance(value, Unknown), f"the fixture should be static: {value.text}"
    return value


def discover(root: Path, scratch: Path, hardware: list[object]) -> dict[str, object]:
    """Run rc2's discovery on ``root`` in a subprocess that touches nothing of this machine."""
    home = scratch / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "RUNPOD_FLASH_SILENCE_DEPRECATION": "1",
    }
    before = {p for p in root.rglob("*") if p.name in _STRAY}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _DISCOVER],
            cwd=root,
            env=env,
            input=json.dumps(hardware),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        for path in sorted(root.rglob("*"), reverse=True):
            if path.name in _STRAY and path not in before:
                shutil.rmtree(path, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


_STRAY = frozenset({platform.PROJECT_DIR, ".runpod", "__pycache__"})


def _reader_view(app: App) -> tuple[dict[tuple[str, str], dict[str, object]], list[object]]:
    resources: dict[tuple[str, str], dict[str, object]] = {}
    hardware: list[object] = []
    for endpoint in app.app_api_endpoints:
        assert endpoint.app_decl is not None
        key = (str(endpoint.app_decl.name), str(endpoint.name))
        assert key not in resources, f"duplicate resource {key}"
        factory = endpoint.asgi_factory
        resources[key] = {
            "kind": _KIND_NAMES[endpoint.kind],
            "routes": sorted([r.method.upper(), r.path, r.handler_name] for r in endpoint.routes),
            "asgi_factory": factory.definition.name if factory is not None else None,
            "qualname": endpoint.targets[0].definition.name,
            "file": endpoint.targets[0].file.rel,
        }
        hardware.append(
            {"gpu": _as_json(endpoint.value("gpu")), "cpu": _as_json(endpoint.value("cpu"))}
        )
    return resources, hardware


@needs_rc2
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_reader_agrees_with_rc2_discovery(name: str, tmp_path: Path) -> None:
    root = FIXTURES / name
    app = load_app(root)
    expected, hardware = _reader_view(app)
    found = discover(root, tmp_path, hardware)
    # The reader's gpu=/cpu= values as the SDK normalises them ("H100" -> three devices).
    normalized_hardware = found["hardware"]
    assert isinstance(normalized_hardware, list)
    for key, normalized in zip(list(expected), normalized_hardware, strict=True):
        expected[key].update(normalized)
    apps = found["apps"]
    assert isinstance(apps, list)
    discovered = {
        (entry["name"], resource): spec
        for entry in apps
        for resource, spec in entry["resources"].items()
    }
    lost = LOST_BY_DISCOVERY.get(name, set())
    assert lost <= set(expected) and not lost & set(discovered)
    assert discovered == {k: v for k, v in expected.items() if k not in lost}
    # The same Apps, found in the same files (discovery keeps the first of one name).
    firsts: dict[str, str] = {}
    for decl in app.app_declarations:
        firsts.setdefault(str(decl.name), decl.file.rel)
    assert {entry["name"]: entry["file"] for entry in apps} == firsts


_FACTS = r"""
import importlib, inspect, json

import runpod
from runpod.apps.discovery import _SKIP_DIRS
from runpod.apps.markers import RESERVED_PATHS, _VALID_METHODS

print(json.dumps({
    "version": runpod.__version__,
    "parameters": {
        kind: [n for n in inspect.signature(getattr(runpod.App, kind)).parameters if n != "self"]
        for kind in ("queue", "api", "task")
    },
    "reserved": sorted(RESERVED_PATHS),
    "methods": sorted(_VALID_METHODS),
    "skipped": sorted(_SKIP_DIRS),
    "missing": [
        f"{module}:{name}"
        for module, names in json.loads(input()).items()
        for name in names
        if not hasattr(importlib.import_module(module), name)
    ],
}))
"""


@needs_rc2
def test_platform_facts_match_rc2(tmp_path: Path) -> None:
    exports = {module: sorted(names) for module, names in platform.APP_API_EXPORTS.items()}
    done = subprocess.run(
        [sys.executable, "-c", _FACTS],
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"},
        input=json.dumps(exports),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["version"] == platform.APP_API_VERSION
    assert {k: tuple(v) for k, v in facts["parameters"].items()} == dict(
        platform.APP_RESOURCE_PARAMETERS
    )
    assert tuple(facts["reserved"]) == platform.APP_RESERVED_ROUTE_PATHS_LISTED
    assert facts["methods"] == sorted(m.upper() for m in platform.APP_ROUTE_MARKERS)
    assert frozenset(facts["skipped"]) == platform.APP_DISCOVERY_SKIPPED_DIRS
    assert facts["missing"] == []
