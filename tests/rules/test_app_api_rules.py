"""FL7xx: the checks of the app API of ``runpod`` (runpod 2.0's ``runpod.App``).

Each case is a small app written inline. Where the SDK itself decides (discovery keeps one App
per name, a duplicate resource name raises, a bare ``@app.queue`` fails, GPU strings resolve or
raise, a reserved or duplicate route raises), the same app is also given to runpod 2.0.0rc2 in a
subprocess (offline, a throwaway HOME, the app directory as working directory) and flash-ls must
report exactly what rc2 does, with rc2's own messages in the notes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from apps import check, full, load_app, needs_rc2, only, write_app

from flash_ls import platform
from flash_ls.diagnostic import Diagnostic, Severity
from flash_ls.fixes.apply import apply_fixes
from flash_ls.rules.engine import check_app
from flash_ls.rules.registry import lookup

_RC2 = r"""
import json, logging, sys
from pathlib import Path

warnings = []


class Collect(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())


logging.getLogger("runpod").addHandler(Collect())
logging.getLogger("runpod").setLevel(logging.WARNING)

from runpod.apps.discovery import discover_apps
from runpod.apps.errors import InvalidResourceError
from runpod.apps.gpu import resolve_gpu_string

request = json.load(sys.stdin)
root = Path.cwd().resolve()
out = {"gpu": {}, "discovered": None, "error": None, "warnings": warnings}
for text in request.get("gpu", []):
    try:
        out["gpu"][text] = resolve_gpu_string(text)
    except InvalidResourceError as exc:
        out["gpu"][text] = str(exc)
target = request.get("target")
if target is not None:
    try:
        apps = discover_apps(root / target)
    except Exception as exc:
        cause = exc.__cause__
        out["error"] = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
    else:
        out["discovered"] = {
            app.name: {
                name: {
                    "kind": handle.spec.kind.value,
                    "gpu": handle.spec.gpu,
                    "image": handle.spec.image,
                    "routes": [[r.method, r.path, r.handler_name] for r in handle.spec.routes],
                    "auto_exclude": bool(handle.spec.gpu and not handle.spec.image),
                }
                for name, handle in app.resources.items()
            }
            for app in apps
        }
print(json.dumps(out))
"""


def rc2(root: Path, target: str | None = ".", gpu: list[str] | None = None) -> dict:
    """Run rc2's discovery on ``root/target`` (and resolve ``gpu`` strings) in a subprocess."""
    home = root.parent / f"{root.name}-home"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "RUNPOD_FLASH_SILENCE_DEPRECATION": "1",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RC2],
            cwd=root,
            env=env,
            input=json.dumps({"target": target, "gpu": gpu or []}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        for stray in (".runpod", "__pycache__"):
            for path in root.rglob(stray):
                shutil.rmtree(path, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def apply(fixes: list) -> None:
    """Apply the fixes to the files on disk."""
    paths = {e.path for fix in fixes for e in fix.edits}
    texts = {path: path.read_text(encoding="utf-8") for path in paths}
    for path, text in apply_fixes(texts, fixes).items():
        path.write_text(text, encoding="utf-8")


def fl7(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code.startswith("FL7")]


HEAD = 'import runpod\n\napp = runpod.App("shop")\n'


# -- the engine: app-API-only projects are checked, runpod_flash ones as before ----------------


def test_app_api_only_projects_get_only_the_app_api_rules(tmp_path: Path) -> None:
    root = write_app(
        tmp_path,
        {
            "main.py": HEAD + "\n@app.queue\ndef embed(text: str): ...\n",
            # A syntax error and a big file would be FL901/FL403 in a Flash app.
            "broken.py": "def broken(:\n",
        },
    )
    app = load_app(root)
    assert not app.uses_flash and app.uses_app_api and app.uses_sdk
    assert {d.code for d in check(root)} == {"FL703"}


def test_flash_apps_do_not_build_the_app_api_reader(tmp_path: Path) -> None:
    root = write_app(
        tmp_path,
        {"worker.py": "from runpod_flash import Endpoint\n\n@Endpoint(name='w')\ndef w(): ...\n"},
    )
    app = load_app(root)
    assert app.uses_sdk and not app.uses_app_api
    assert fl7(check_app(app)) == []
    assert app._app_api is None


def test_projects_without_either_sdk_are_not_checked(tmp_path: Path) -> None:
    root = write_app(tmp_path, {"main.py": "import runpod\n\nrunpod.serverless.start({})\n"})
    assert not load_app(root).uses_sdk
    assert check(root) == []


# -- FL701 duplicate-app-name -------------------------------------------------------------------


@needs_rc2
def test_fl701_second_app_of_a_name_is_dropped(tmp_path: Path) -> None:
    files = {
        "a_main.py": HEAD + '\n@app.queue(name="kept", cpu="cpu3c-1-2")\ndef kept(): ...\n',
        "b_more.py": 'from runpod import App\n\nother = App("shop")\n\n'
        '@other.queue(name="dropped", cpu="cpu3c-1-2")\ndef dropped(): ...\n',
    }
    [finding] = only(check(tmp_path, files), "FL701")
    assert full(finding) == [
        "b_more.py:3:12-3:18 FL701 error: app name 'shop' is already used; discovery drops "
        "this App",
        "note: Discovery keeps one App per name, the first it imports (a_main.py), and silently "
        "drops the others with their resources (here: 'dropped')",
        "note: Resources dropped by discovery are neither built nor deployed, and deploy deletes "
        "their existing endpoints (reconcile matches by name)",
        "note: Give each App its own name, or declare the resources on one App object",
        "related a_main.py:3:17-3:23: App 'shop' kept by discovery",
    ]
    assert rc2(tmp_path)["discovered"] == {
        "shop": {
            "kept": {
                "kind": "queue",
                "gpu": None,
                "image": None,
                "routes": [],
                "auto_exclude": False,
            }
        }
    }


FLAT = {
    "main.py": 'from runpod import App\n\napp = App("flat")\n\n'
    '@app.queue(name="in_main", cpu="cpu3c-1-2")\ndef in_main(): ...\n',
    "workers.py": "from main import app\n\n"
    '@app.queue(name="in_workers", cpu="cpu3c-1-2")\ndef in_workers(): ...\n',
}


@needs_rc2
def test_fl701_flat_layout_loses_the_importers_resources(tmp_path: Path) -> None:
    [finding] = only(check(tmp_path, FLAT), "FL701")
    assert full(finding)[0] == (
        "workers.py:3:1-3:46 FL701 error: resource 'in_workers' is lost: its App is created twice"
    )
    assert finding.related[0].path.name == "main.py"
    assert "imports it again as `main`" in finding.notes[0]
    # rc2: the App of main.py is kept, workers.py's resource is gone.
    assert sorted(rc2(tmp_path)["discovered"]["flat"]) == ["in_main"]


@needs_rc2
def test_fl701_flat_layout_is_fine_when_the_importer_runs_first(tmp_path: Path) -> None:
    files = {"main.py": FLAT["main.py"], "a_workers.py": FLAT["workers.py"]}
    assert only(check(tmp_path, files), "FL701") == []
    # rc2: ``a_workers.py`` imports ``main`` first; that App has both resources and is kept.
    assert sorted(rc2(tmp_path)["discovered"]["flat"]) == ["in_main", "in_workers"]


@needs_rc2
def test_fl701_package_layout_is_fine(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/main.py": FLAT["main.py"],
        "proj/workers.py": FLAT["workers.py"].replace("from main", "from .main"),
    }
    assert only(check(tmp_path, files), "FL701") == []
    assert sorted(rc2(tmp_path)["discovered"]["flat"]) == ["in_main", "in_workers"]


# -- FL702 duplicate-resource-name --------------------------------------------------------------


@needs_rc2
def test_fl702_queue_and_task_share_one_namespace(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD + '\n@app.queue(cpu="cpu3c-1-2")\ndef same(): ...\n'
        '\n@app.task(name="same")\ndef other(): ...\n'
    }
    [finding] = only(check(tmp_path, files), "FL702")
    assert full(finding) == [
        "main.py:8:15-8:21 FL702 error: resource name 'same' is already used in App 'shop'",
        "note: The SDK raises when this decorator runs: duplicate resource name 'same' in app "
        "'shop'",
        "note: Deploying main.py fails; a directory deploy skips the whole file with a warning, "
        "and deploy deletes the endpoints of its resources",
        "note: Give it another name=: queue, api and task resources of one App share one namespace",
        "related main.py:6:4-6:8: 'same' is first declared here",
    ]
    found = rc2(tmp_path, "main.py")
    assert found["error"] == "InvalidResourceError: duplicate resource name 'same' in app 'shop'"
    assert found["error"].split(": ", 1)[1] in finding.notes[0]


@needs_rc2
def test_fl702_two_apps_may_reuse_a_resource_name(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD + 'other = runpod.App("other")\n'
        '\n@app.queue(cpu="cpu3c-1-2")\ndef same(): ...\n'
        '\n@other.queue(name="same", cpu="cpu3c-1-2")\ndef again(): ...\n'
    }
    assert only(check(tmp_path, files), "FL702") == []
    assert rc2(tmp_path, "main.py")["error"] is None


# -- FL703 resource-decorator-call ----------------------------------------------------------------


@needs_rc2
def test_fl703_uncalled_decorator(tmp_path: Path) -> None:
    files = {"main.py": HEAD + "\n@app.queue\ndef embed(text: str): ...\n"}
    [finding] = only(check(tmp_path, files), "FL703")
    assert full(finding) == [
        "main.py:5:1-5:10 FL703 error: @app.queue must be called: @app.queue()",
        "note: The SDK raises when the module is imported: TypeError: App.queue() takes 1 "
        "positional argument but 2 were given",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "fix (safe=True): Call it: @app.queue()",
        "  edit main.py:5:10-5:10 '()'",
    ]
    found = rc2(tmp_path, "main.py")
    assert found["error"] == "TypeError: App.queue() takes 1 positional argument but 2 were given"
    assert finding.notes[0].endswith(found["error"])
    apply([finding.fix])
    assert only(check(tmp_path), "FL703") == []
    assert rc2(tmp_path, "main.py")["error"] is None


@needs_rc2
def test_fl703_positional_argument(tmp_path: Path) -> None:
    files = {"main.py": HEAD + '\n@app.api("web", cpu="cpu3c-1-2")\ndef web(): ...\n'}
    [finding] = only(check(tmp_path, files), "FL703")
    assert full(finding) == [
        "main.py:5:9-5:14 FL703 error: @app.api() takes keyword arguments only",
        "note: The SDK raises when the module is imported: TypeError: App.api() takes 1 "
        "positional argument but 2 positional arguments (and 1 keyword-only argument) were given",
        "note: Pass every setting by keyword; the resource name is name=",
        'fix (safe=False): Pass it as name="web"',
        "  edit main.py:5:9-5:14 'name=\"web\"'",
    ]
    error = rc2(tmp_path, "main.py")["error"]
    assert error is not None and finding.notes[0].endswith(error)
    apply([finding.fix])
    assert only(check(tmp_path), "FL703") == []
    assert rc2(tmp_path, "main.py")["discovered"]["shop"]["web"]["kind"] == "api"


# -- FL704 handle-not-module-global ---------------------------------------------------------------


@needs_rc2
def test_fl704_rebound_handle(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD + '\n@app.queue(name="small", cpu="cpu3c-1-2")\ndef embed(): ...\n'
        '\n@app.queue(name="large", gpu="H100")\ndef embed(): ...\n'
    }
    [finding] = only(check(tmp_path, files), "FL704")
    assert full(finding) == [
        "main.py:6:4-6:9 FL704 warning: 'embed' is bound again on line 9; workers miss 'small'",
        "note: A deployed worker imports the module and looks for the handle among its "
        "module-level names; it never finds this one, so the resource deploys but every "
        "request fails",
        "note: Give the function a name no other statement binds",
        "related main.py:9:4-9:9: 'embed' is rebound here",
    ]
    # rc2 discovers (and would build and deploy) both: nothing fails before the worker.
    assert sorted(rc2(tmp_path, "main.py")["discovered"]["shop"]) == ["large", "small"]


def test_fl704_resource_declared_in_a_function(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD + "\n\ndef make():\n"
        '    @app.queue(name="inner", cpu="cpu3c-1-2")\n    def inner(): ...\n\n    return inner\n'
        "\n\ndef local_app():\n"
        '    app = runpod.App("local")\n\n    @app.queue(cpu="cpu3c-1-2")\n    def f(): ...\n'
    }
    files["workers.py"] = (
        "from main import app\n\n\nclass Holder:\n    @app.task()\n    def job(self): ...\n"
    )
    finding, in_class = only(check(tmp_path, files), "FL704")
    assert full(finding)[0] == (
        "main.py:7:5-7:45 FL704 warning: resource declared inside function 'make'"
    )
    assert full(in_class)[0] == (
        "workers.py:5:5-5:15 FL704 warning: resource declared inside class 'Holder'"
    )
    assert finding.notes[-1] == (
        "Declare it at module level: @app.queue(...) on a top-level function or class"
    )


# -- FL705 route-parameters-not-passed --------------------------------------------------------


ROUTES = HEAD + (
    '\n@app.api(name="items", cpu="cpu3c-1-2")\nclass Items:\n'
    '    @runpod.get("/items/{item_id}")\n    def get_item(self, item_id: str): ...\n\n'
    '    @runpod.get("/search?q=x")\n    def search(self, body=None): ...\n\n'
    '    @runpod.post("/add")\n    def add(self, body: dict): ...\n\n'
    '    @runpod.post("/merge")\n    def merge(self, body: dict, other: dict): ...\n'
)


@needs_rc2
def test_fl705_path_query_and_handler_arguments(tmp_path: Path) -> None:
    findings = only(check(tmp_path, {"main.py": ROUTES}), "FL705")
    assert [(full(d)[0]) for d in findings] == [
        "main.py:7:16-7:34 FL705 warning: path parameter {item_id} never reaches 'get_item'",
        "main.py:8:8-8:16 FL705 error: GET handler 'get_item' requires an argument; GET passes "
        "none",
        "main.py:10:16-10:29 FL705 warning: query string in route path of 'search'",
        "main.py:17:8-17:13 FL705 error: handler 'merge' requires 2 arguments; it gets 1",
    ]
    # rc2 accepts all of it at decoration: the failures come from the worker runtime.
    routes = rc2(tmp_path, "main.py")["discovered"]["shop"]["items"]["routes"]
    assert sorted(routes) == [
        ["GET", "/items/{item_id}", "get_item"],
        ["GET", "/search?q=x", "search"],
        ["POST", "/add", "add"],
        ["POST", "/merge", "merge"],
    ]


# -- FL706 gpu-string -----------------------------------------------------------------------------

GPU_STRINGS = [
    "4090",
    "RTX 4090",
    "RTX_4090",
    "nvidia_geforce_rtx_4090",
    "H100",
    " H100 ",
    "h100",
    "A100",
    "A40",
    "L4",
    "RTX 6000",
    "PRO 6000",
    "GeForce",
    "NVIDIA",
    "",
    "any",
    " ANY ",
    "ada_24",
    "NVIDIA_B200",
    "NVIDIA_H100_PCIe",
    "NVIDIA_A100_80GB_PCIE",
    "nvidia a40",
    "rtx4090",
    "L40",
    "AMPERE",
    "TPU",
    "GpuType.NVIDIA_L4",
    "A100X",
]


@needs_rc2
def test_gpu_resolution_is_rc2s(tmp_path: Path) -> None:
    expected = rc2(tmp_path, None, gpu=GPU_STRINGS)["gpu"]
    for text in GPU_STRINGS:
        match = platform.app_resolve_gpu_string(text)
        want = expected[text]
        if isinstance(want, str):
            assert match is None, text
            assert platform.app_unknown_gpu_message(text) == want
        else:
            assert match is not None and list(match.values) == want, text


@needs_rc2
def test_fl706_unknown_ambiguous_and_mistyped_gpus(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD
        + '\n@app.queue(name="unknown", gpu="A100X")\ndef unknown(): ...\n'
        + '\n@app.queue(name="fragment", gpu=["H100", "A40"])\ndef fragment(): ...\n'
        + '\n@app.task(name="everything", gpu="")\ndef everything(): ...\n'
        + '\n@app.queue(name="typed", gpu=("H100",))\ndef typed(): ...\n'
        + '\n@app.queue(name="exact", gpu=[runpod.GpuType.NVIDIA_A40, "AMPERE_48", "any"])\n'
        + "def exact(): ...\n"
    }
    findings = only(check(tmp_path, files), "FL706")
    assert [full(d)[0] for d in findings] == [
        "main.py:5:31-5:38 FL706 error: unknown gpu 'A100X'",
        "main.py:8:41-8:46 FL706 warning: gpu 'A40' matches 2 GPUs in 2 pools",
        "main.py:11:33-11:35 FL706 warning: gpu '' matches every GPU",
        "main.py:14:30-14:37 FL706 error: gpu must be a GpuGroup, GpuType, or string, got tuple",
    ]
    unknown, fragment, everything, typed = findings
    assert unknown.notes == (
        "The SDK raises when the decorator runs: " + platform.app_unknown_gpu_message("A100X"),
    )
    assert fragment.notes[:2] == (
        "The SDK matches it as a fragment of device names: NVIDIA RTX A4000, NVIDIA A40",
        "The endpoint admits the pools AMPERE_16, AMPERE_48",
    )
    assert everything.notes == (
        "The SDK matches it as a fragment of all 22 device names",
        "The task may run on any of these devices",
        'Say "any" if any GPU will do',
    )
    # rc2 raises the first and last at decoration, with the messages in the notes.
    for name, finding in (("unknown", unknown), ("typed", typed)):
        source = files["main.py"].split('\n@app.queue(name="fragment"')[0]
        if name == "typed":
            source = HEAD + '\n@app.queue(name="typed", gpu=("H100",))\ndef typed(): ...\n'
        write_app(tmp_path / name, {"main.py": source})
        error = rc2(tmp_path / name, "main.py")["error"]
        assert error is not None and error.startswith("InvalidResourceError: ")
        sdk_message = error.removeprefix("InvalidResourceError: ")
        assert sdk_message == finding.message or finding.notes[0].endswith(sdk_message)


def test_fl706_suggests_a_close_gpu(tmp_path: Path) -> None:
    files = {"main.py": HEAD + '\n@app.queue(name="typo", gpu="rtx4090")\ndef typo(): ...\n'}
    [finding] = only(check(tmp_path, files), "FL706")
    assert finding.message == "unknown gpu 'rtx4090'"
    assert finding.notes[1] == "Did you mean 'RTX 4090'?"


# -- FL707 derived-resource-name -----------------------------------------------------------------


@needs_rc2
def test_fl707_hint_and_its_fix_keep_the_name(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD
        + "\n@app.queue()\ndef plain(): ...\n"
        + '\n@app.api(cpu="cpu3c-1-2")\nclass Inference:\n'
        + '    @runpod.post("/run")\n    def run(self, body: dict): ...\n'
        + '\n@app.queue(name="", cpu="cpu3c-1-2")\ndef empty(): ...\n'
        + '\n@app.queue(name="named")\ndef named(): ...\n'
        + "\n@app.task()\ndef a_task(): ...\n"
    }
    findings = only(check(tmp_path, files), "FL707")
    assert [full(d)[0] for d in findings] == [
        "main.py:6:4-6:9 FL707 hint: resource name 'plain' comes from the function name",
        "main.py:9:6-9:15 FL707 hint: resource name 'Inference' comes from the class name",
        "main.py:14:4-14:9 FL707 hint: resource name 'empty' comes from the function name",
    ]
    assert [
        [f"{e.span.start_line}:{e.span.start_col}", e.new_text]
        for d in findings
        for e in d.fix.edits
    ] == [
        ["4:10", '(name="plain")'],
        ["7:9", 'name="Inference", '],
        ["12:16", '"empty"'],
    ]
    assert all(d.fix.safe for d in findings)
    assert findings[0].notes == (
        "Renaming the function renames the resource: the next deploy deletes endpoint 'plain' "
        "and creates a new one",
        'Set name="plain" to keep the endpoint when the code is renamed',
    )
    before = rc2(tmp_path, "main.py")["discovered"]
    apply([d.fix for d in findings])
    assert only(check(tmp_path), "FL707") == []
    assert rc2(tmp_path, "main.py")["discovered"] == before


# -- FL708 torch-not-excluded --------------------------------------------------------------------


@needs_rc2
def test_fl708_torch_with_a_cpu_resource(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "numpy\ntorch==2.3\n",
        "main.py": HEAD
        + '\n@app.queue(name="embed", gpu="L4", dependencies=["torchaudio"])\ndef embed(): ...\n'
        + '\n@app.queue(name="tokenize", cpu="cpu3c-1-2")\ndef tokenize(): ...\n',
    }
    findings = only(check(tmp_path, files), "FL708")
    assert [full(d)[0] for d in findings] == [
        "main.py:5:49-5:61 FL708 warning: torchaudio is bundled into App 'shop': 'tokenize' "
        "has no gpu=",
        "requirements.txt:2:0-2:10 FL708 warning: torch is bundled into App 'shop': 'tokenize' "
        "has no gpu=",
    ]
    assert full(findings[0])[-1] == "related main.py:8:1-8:44: 'tokenize' has no gpu="
    specs = rc2(tmp_path, "main.py")["discovered"]["shop"]
    assert not all(spec["auto_exclude"] for spec in specs.values())


@needs_rc2
def test_fl708_quiet_when_every_resource_has_a_gpu(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "torch\n",
        "main.py": HEAD
        + '\n@app.queue(name="embed", gpu="L4")\ndef embed(): ...\n'
        + '\n@app.task(name="train", gpu="H100", image="")\ndef train(): ...\n',
    }
    assert only(check(tmp_path, files), "FL708") == []
    specs = rc2(tmp_path, "main.py")["discovered"]["shop"]
    assert all(spec["auto_exclude"] for spec in specs.values())


def test_fl708_custom_image(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD
        + '\n@app.queue(name="embed", gpu="L4", image="me/img:1", dependencies=["torch"])\n'
        + "def embed(): ...\n",
    }
    [finding] = only(check(tmp_path, files), "FL708")
    assert finding.message == "torch is bundled into App 'shop': 'embed' sets image="


# -- FL709 invalid-app-route, FL710 shadowed-app-route --------------------------------------------


@needs_rc2
@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('@runpod.get("/ping")', "path '/ping' is reserved by the worker runtime"),
        ('@runpod.post("/_runpod/sync")', "path '/_runpod/sync' is reserved by the worker runtime"),
        ('@runpod.get("items")', "path must start with '/', got: 'items'"),
        ("@runpod.get", '@runpod.get must be called with a path: @runpod.get("/...")'),
    ],
)
def test_fl709_marker_errors(tmp_path: Path, marker: str, message: str) -> None:
    files = {
        "main.py": HEAD
        + '\n@app.api(name="svc", cpu="cpu3c-1-2")\nclass Svc:\n'
        + f"    {marker}\n    def handler(self): ...\n"
        + '\n    @runpod.get("/ok")\n    def ok(self): ...\n'
    }
    [finding] = only(check(tmp_path, files), "FL709")
    assert finding.message == message
    error = rc2(tmp_path, "main.py")["error"]
    assert error is not None and error.startswith("ValueError: ")
    sdk = error.removeprefix("ValueError: ")
    if marker == "@runpod.get":
        assert sdk.startswith("path must start with '/', got: <function")
    else:
        assert sdk == message or finding.notes[0].endswith(f"{sdk}")


@needs_rc2
def test_fl709_duplicate_route(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD
        + '\n@app.api(name="svc", cpu="cpu3c-1-2")\nclass H:\n'
        + '    @runpod.get("/a")\n    def two(self): ...\n\n'
        + '    @runpod.get("/a")\n    def one(self): ...\n\n'
        + '    @runpod.post("/a")\n    def three(self, body=None): ...\n'
    }
    [finding] = only(check(tmp_path, files), "FL709")
    assert full(finding) == [
        "main.py:7:16-7:20 FL709 error: duplicate route GET /a on H",
        "note: The SDK raises when the module is imported: duplicate route GET /a on H: 'one' "
        "and 'two'",
        "related main.py:10:16-10:20: 'one' serves it",
    ]
    error = rc2(tmp_path, "main.py")["error"]
    assert error == "InvalidResourceError: duplicate route GET /a on H: 'one' and 'two'"


@needs_rc2
def test_fl710_alphabetical_mount_order_shadows(tmp_path: Path) -> None:
    files = {
        "main.py": HEAD
        + '\n@app.api(name="items", cpu="cpu3c-1-2")\nclass Items:\n'
        + '    @runpod.get("/items/special")\n    def special(self): ...\n\n'
        + '    @runpod.get("/items/{item_id}")\n    def get_item(self): ...\n\n'
        + '    @runpod.get("/items/all")\n    def a_all(self): ...\n'
    }
    [finding] = only(check(tmp_path, files), "FL710")
    assert full(finding) == [
        "main.py:7:16-7:32 FL710 warning: route GET /items/special is shadowed by GET "
        "/items/{item_id}",
        "note: The runtime mounts routes in alphabetical order of handler names, and the first "
        "match wins: 'get_item' sorts before 'special'",
        "note: Rename the handlers so that this one sorts first, or change the paths",
        "related main.py:10:16-10:34: 'get_item' is mounted first and matches it",
    ]
    # rc2 lists the routes (the runtime mounts them) alphabetically by handler name.
    routes = rc2(tmp_path, "main.py")["discovered"]["shop"]["items"]["routes"]
    assert [r[2] for r in routes] == ["a_all", "get_item", "special"]


# -- docs ------------------------------------------------------------------------------------------


def test_every_app_api_rule_is_documented() -> None:
    for code in [f"FL70{n}" for n in range(1, 10)] + ["FL710"]:
        found = lookup(code)
        assert found is not None, code
        for heading in ("## What it does", "## Why is this bad", "## Example", "## Fix"):
            assert heading in found.doc, (code, heading)


def test_severity_overrides_still_win(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.flash-ls]\nseverity = { FL707 = "warning" }\n',
        "main.py": HEAD + "\n@app.queue()\ndef plain(): ...\n",
    }
    [finding] = only(check(tmp_path, files), "FL707")
    assert finding.severity is Severity.WARNING
