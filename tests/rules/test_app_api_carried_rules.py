"""The FL1xx-FL6xx rules whose meaning carries over to the app API of ``runpod`` (runpod 2.0's
``@app.queue/api/task``): the same codes, reporting on app API resources with the app API's own
sets and rc2's own messages (runpod-app-api.md 1.5-1.7, 5.3, 7.1, 10.3-10.6).

Each case is a small app written inline and pins the finding a user sees (code, message, span,
notes, fix), with a valid value beside it that gets none. Where rc2 itself decides (a value it
rejects when the decorator runs), each decorator is also run by runpod 2.0.0rc2 in a subprocess
(offline, a throwaway HOME): flash-ls reports exactly the declarations rc2 rejects, and quotes
rc2's own message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from apps import check, full, load_app, needs_rc2, only, write_app

from flash_ls import platform
from flash_ls.diagnostic import Diagnostic
from flash_ls.fixes.apply import apply_fixes
from flash_ls.rules.engine import check_app
from flash_ls.rules.registry import all_rules

# Runs each module text in a fresh namespace (what importing the module does) and reports the
# exception it raises, if any: the decorators validate when they run.
_RUN = r"""
import json, sys

import runpod

out = []
for index, text in enumerate(json.load(sys.stdin)):
    try:
        exec(compile(text, f"module_{index}.py", "exec"), {"__name__": f"module_{index}"})
    except Exception as exc:
        out.append(f"{type(exc).__name__}: {exc}")
    else:
        out.append(None)
print(json.dumps(out))
"""


def rc2_errors(tmp_path: Path, modules: list[str]) -> list[str | None]:
    """What runpod 2.0.0rc2 raises importing each module (None: it imports)."""
    home = tmp_path / "rc2-home"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", _RUN],
        cwd=home,
        env=env,
        input=json.dumps(modules),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


HEAD = 'import runpod\nfrom runpod import CpuInstanceType, DataCenter\n\napp = runpod.App("shop")\n'


def module(decorator: str, target: str = "def work(): ...") -> str:
    """An app-API module with one resource: ``decorator`` on ``target``."""
    return f"{HEAD}\n@{decorator}\n{target}\n"


def findings(tmp_path: Path, text: str, code: str) -> list[Diagnostic]:
    root = tmp_path / "app"
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    return only(check(root, {"main.py": text}), code)


def sdk_message(diagnostic: Diagnostic) -> str:
    """rc2's error, as the finding quotes it."""
    prefix = "note: The SDK raises when the decorator runs: "
    quoted = [n for n in full(diagnostic) if n.startswith(prefix)]
    assert quoted, full(diagnostic)
    return quoted[0].removeprefix(prefix)


def apply(root: Path, diagnostic: Diagnostic) -> str:
    assert diagnostic.fix is not None
    path = root / "main.py"
    fixed = apply_fixes({path: path.read_text()}, [diagnostic.fix])[path]
    path.write_text(fixed)
    return fixed


def check_against_rc2(tmp_path: Path, code: str, bad: list[str], good: list[str]) -> None:
    """Every ``bad`` decorator gets exactly one ``code`` finding quoting what rc2 raises; every
    ``good`` one gets none and imports under rc2."""
    modules = [module(d) for d in bad + good]
    errors = rc2_errors(tmp_path, modules)
    for decorator, text, error in zip(bad + good, modules, errors, strict=True):
        found = findings(tmp_path, text, code)
        if decorator in good:
            assert found == [], (decorator, [full(f) for f in found])
            assert error is None, (decorator, error)
        else:
            assert len(found) == 1, (decorator, [full(f) for f in found])
            assert error is not None, decorator
            assert sdk_message(found[0]) == error, decorator


# -- the engine -------------------------------------------------------------------------------------

# The rules that also report on app API resources; the others keep to runpod_flash endpoints.
CARRIED = {"FL106", "FL301", "FL303", "FL304", "FL306", "FL401", "FL402", "FL403", "FL404"}
CARRIED |= {"FL501", "FL503", "FL504", "FL506", "FL508", "FL510", "FL513", "FL514"}
CARRIED |= {"FL601", "FL602"}


def test_the_carried_rules_are_marked() -> None:
    assert {r.code for r in all_rules() if r.app_api} == CARRIED


def test_app_api_only_project_runs_the_carried_rules_and_no_other(tmp_path: Path) -> None:
    text = (
        HEAD
        + "import pandas\n\nHELPER = 1\n"
        + '\n@app.queue(name="bad", workers=0, idle_timeout=7200, execution_timeout_ms=-1)\n'
        + "def bad():\n    return HELPER\n"
    )
    root = write_app(tmp_path, {"main.py": text})
    app = load_app(root)
    assert not app.uses_flash and app.uses_app_api
    # FL504 and FL301 carry over; FL505 (rc2 does not check idle_timeout), FL302 (the whole
    # module ships) and FL707 do not fire here: bad has a name.
    assert sorted(d.code for d in check_app(app)) == ["FL301", "FL504"]


def test_mixed_project_each_sdk_with_its_own_facts(tmp_path: Path) -> None:
    files = {
        "flash_worker.py": "from runpod_flash import Endpoint\n"
        '\n@Endpoint(name="flashy", workers=(3, 1))\nasync def flashy(): ...\n',
        "app_worker.py": module('app.queue(name="appy", workers=(3, 1))'),
    }
    found = only(check(tmp_path, files), "FL504")
    assert [(d.path.name, d.message) for d in found] == [
        ("app_worker.py", "workers=(3, 1) of resource 'appy' has min above max"),
        ("flash_worker.py", "workers=(3, 1) of endpoint 'flashy' has min above max"),
    ]
    assert found[0].notes[0] == (
        "The SDK raises when the decorator runs: InvalidResourceError: workers min (3) cannot "
        "exceed max (1)"
    )
    assert found[1].notes[0] == (
        "flash build fails with ValueError: workers min (3) cannot exceed max (1)"
    )


def test_runpod_flash_keywords_stay_flash_facts(tmp_path: Path) -> None:
    """runpod_flash's own checks never read app API resources: a bare GPU string is FL706's."""
    text = module('app.queue(name="worker", gpu="L4", idle_timeout=0)')
    diagnostics = check(tmp_path, {"main.py": text})
    assert [d.code for d in diagnostics if not d.code.startswith("FL7")] == []


# -- FL501 gpu-and-cpu ----------------------------------------------------------------------------

SKIPPED = "note: Deploying the file fails; a directory deploy skips it and its resources"


def test_fl501_gpu_and_cpu(tmp_path: Path) -> None:
    text = module('app.queue(name="mixed", gpu="L4", cpu="cpu3c-1-2")')
    [finding] = findings(tmp_path, text, "FL501")
    assert full(finding) == [
        "main.py:6:35-6:50 FL501 error: resource 'mixed' sets both gpu= and cpu=",
        "note: The SDK raises when the decorator runs: InvalidResourceError: resource 'mixed': "
        "gpu and cpu are mutually exclusive",
        "note: Keep gpu= for a GPU resource or cpu= for a CPU resource (neither: any GPU)",
        SKIPPED,
        "related main.py:6:25-6:33: gpu= given here",
    ]


@needs_rc2
def test_fl501_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL501",
        bad=[
            'app.queue(name="a1", gpu="L4", cpu="cpu3c-1-2")',
            # ``gpu=[]`` is not None once normalised: still both.
            'app.api(name="a2", cpu=["cpu3c-1-2"], gpu=[])',
            # The name in rc2's message is the derived one.
            "app.task(gpu=runpod.GpuType.NVIDIA_L4, cpu=CpuInstanceType.CPU3C_1_2)",
        ],
        good=[
            'app.queue(name="g1", gpu="L4")',
            'app.queue(name="g2", cpu="cpu3c-1-2", gpu=None)',
            'app.task(name="g3")',
        ],
    )


# -- FL503 unknown-cpu-instance -------------------------------------------------------------------


def test_fl503_wrong_case_is_fixed(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", cpu="CPU3C-1-2")')
    [finding] = findings(tmp_path, text, "FL503")
    assert full(finding) == [
        "main.py:6:27-6:38 FL503 error: 'CPU3C-1-2' is not a CPU instance type of resource 'etl'",
        "note: The SDK accepts any string here and the deploy sends it to the API as is, but it "
        "is none of the 12 CpuInstanceType values",
        "note: Instance ids are lower case with dashes: use 'cpu3c-1-2'",
        "fix (safe=True): Use 'cpu3c-1-2'",
        "  edit main.py:6:27-6:38 '\"cpu3c-1-2\"'",
    ]
    assert 'cpu="cpu3c-1-2"' in apply(tmp_path / "app", finding)
    assert only(check(tmp_path / "app"), "FL503") == []


def test_fl503_unknown_member_and_empty_list(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", cpu=CpuInstanceType.CPU3C_1_3)')
    [finding] = findings(tmp_path, text, "FL503")
    assert full(finding) == [
        "main.py:6:27-6:52 FL503 error: unknown CpuInstanceType.CPU3C_1_3 on resource 'etl'",
        "note: The module fails to import with AttributeError: CPU3C_1_3",
        "note: Did you mean CpuInstanceType.CPU3C_1_2?",
        SKIPPED,
        "fix (safe=False): Use CpuInstanceType.CPU3C_1_2",
        "  edit main.py:6:27-6:52 'CpuInstanceType.CPU3C_1_2'",
    ]
    [finding] = findings(tmp_path, module('app.queue(name="etl", cpu=[])'), "FL503")
    assert full(finding) == [
        "main.py:6:27-6:29 FL503 error: cpu=[] of resource 'etl' selects no CPU instance type",
        "note: The SDK raises when the decorator runs: InvalidResourceError: cpu must contain "
        "non-empty instance ids",
        'note: List one, e.g. cpu="cpu3g-1-4"',
        SKIPPED,
    ]


def test_fl503_unknown_instance_id_is_accepted_by_rc2_but_reported(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", cpu=["cpu3c-1-2", "cpu3c-1-3"])')
    [finding] = findings(tmp_path, text, "FL503")
    assert finding.message == "'cpu3c-1-3' is not a CPU instance type of resource 'etl'"
    assert (finding.span.start_col, finding.span.end_col) == (41, 52)
    assert finding.notes[1] == "Did you mean 'cpu3c-1-2'?"
    assert finding.fix is not None and not finding.fix.safe
    [finding] = findings(tmp_path, module('app.queue(name="etl", cpu="large")'), "FL503")
    assert finding.notes[0].endswith("; ids have the form <flavor>-<vcpus>-<memory GB>")


@needs_rc2
def test_fl503_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL503",
        bad=[
            'app.queue(name="c1", cpu=("cpu3c-1-2",))',
            'app.queue(name="c2", cpu=[])',
            'app.queue(name="c3", cpu="")',
            'app.queue(name="c4", cpu=["cpu3c-1-2", "  "])',
            'app.queue(name="c5", cpu=4)',
            'app.queue(name="c6", cpu=["cpu3c-1-2", 4])',
        ],
        good=[
            'app.queue(name="g1", cpu="cpu3c-1-2")',
            'app.api(name="g2", cpu=[CpuInstanceType.CPU5C_2_4, "cpu3g-8-32"])',
            'app.task(name="g3", cpu=CpuInstanceType.CPU3G_1_4)',
            'app.queue(name="g4", cpu=None)',
        ],
    )


# -- FL504 invalid-workers ------------------------------------------------------------------------


def test_fl504_no_worker(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.queue(name="etl", workers=0)'), "FL504")
    assert full(finding) == [
        "main.py:6:31-6:32 FL504 error: workers=0 of resource 'etl' allows no worker",
        "note: workers=0 means (0, 0)",
        "note: The SDK raises when the decorator runs: InvalidResourceError: invalid worker "
        "range (0, 0)",
        "note: Use a maximum of at least 1",
        SKIPPED,
    ]


@needs_rc2
def test_fl504_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL504",
        bad=[
            'app.queue(name="w1", workers=0)',
            'app.queue(name="w2", workers=-2)',
            'app.queue(name="w3", workers=(3, 1))',
            'app.api(name="w4", workers=[-1, 2])',
            'app.queue(name="w5", workers=(0, 0))',
            'app.queue(name="w6", workers=(1, 2, 3))',
            'app.queue(name="w7", workers=2.5)',
            'app.queue(name="w8", workers="3")',
        ],
        good=[
            'app.queue(name="g1", workers=1)',
            'app.queue(name="g2", workers=(0, 3))',
            'app.api(name="g3", workers=[2, 2])',
            'app.queue(name="g4", workers=("1", 4.0))',
            'app.queue(name="g5", workers=None)',
        ],
    )


def test_fl504_entry_that_is_not_a_number(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.queue(name="etl", workers=(0, "x"))'), "FL504")
    assert full(finding) == [
        "main.py:6:35-6:38 FL504 error: workers entry \"x\" of resource 'etl' is not a number",
        "note: The SDK raises when the decorator runs: int() of it fails",
        SKIPPED,
    ]


# -- FL506 unknown-datacenter ---------------------------------------------------------------------


def test_fl506_unknown_string_quotes_both_errors(tmp_path: Path) -> None:
    text = module('app.api(name="web", datacenter=["eu_ro_1", "mars-1"])')
    [finding] = findings(tmp_path, text, "FL506")
    assert full(finding) == [
        "main.py:6:44-6:52 FL506 error: unknown datacenter 'mars-1' on resource 'web'",
        "note: The SDK raises when the decorator runs: InvalidResourceError: invalid "
        "datacenter: ['eu_ro_1', 'mars-1']",
        "note: Its cause: unknown datacenter 'mars-1'. valid datacenters: US-CA-2, US-IL-1, "
        "US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        SKIPPED,
    ]


def test_fl506_removed_member(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", datacenter=DataCenter.US_GA_2)')
    [finding] = findings(tmp_path, text, "FL506")
    assert full(finding) == [
        "main.py:6:34-6:52 FL506 error: removed DataCenter.US_GA_2 on resource 'etl'",
        "note: The module fails to import with AttributeError: US_GA_2",
        "note: Pick a current datacenter: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, "
        "US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        SKIPPED,
    ]


@needs_rc2
def test_fl506_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL506",
        bad=[
            'app.queue(name="d1", datacenter="mars-1")',
            'app.queue(name="d2", datacenter=["EU-RO-1", "US-GA-2"])',
            'app.queue(name="d3", datacenter=3)',
            'app.queue(name="d4", datacenter=[3])',
        ],
        good=[
            'app.queue(name="g1", datacenter="eu_ro_1")',
            'app.queue(name="g2", datacenter=[DataCenter.EUR_NO_1, " us-ca-2 "])',
            'app.task(name="g3", datacenter=("EU-CZ-1",))',
        ],
    )
    errors = rc2_errors(tmp_path, [module('app.queue(name="d5", datacenter=DataCenter.US_GA_2)')])
    assert errors == ["AttributeError: US_GA_2"]


# -- FL508 invalid-max-concurrency ----------------------------------------------------------------


def test_fl508_below_one(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.queue(name="etl", max_concurrency=0)'), "FL508")
    assert full(finding) == [
        "main.py:6:39-6:40 FL508 error: max_concurrency=0 of resource 'etl' is below 1",
        "note: The SDK raises when the decorator runs: InvalidResourceError: resource 'etl': "
        "max_concurrency must be >= 1, got 0",
        "note: Use 1 (one job at a time) or more",
        SKIPPED,
    ]


@needs_rc2
def test_fl508_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL508",
        bad=['app.queue(name="m1", max_concurrency=0)', "app.queue(max_concurrency=-3)"],
        # Above 1 on a sync function is fine for rc2 (runpod_flash's handler awaited it).
        good=['app.queue(name="g1", max_concurrency=4)', 'app.queue(name="g2", max_concurrency=1)'],
    )
    # Not a parameter of @app.api or @app.task: FL514, not FL508.
    text = module('app.api(name="web", max_concurrency=0)')
    assert findings(tmp_path, text, "FL508") == []
    assert [d.message for d in findings(tmp_path, text, "FL514")] == [
        "@app.api() takes no max_concurrency= (resource 'web')"
    ]


# -- FL510 unknown-cuda-version -------------------------------------------------------------------


def test_fl510_close_spelling_is_fixed(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", min_cuda_version="v12.4")')
    [finding] = findings(tmp_path, text, "FL510")
    assert full(finding) == [
        "main.py:6:40-6:47 FL510 error: \"v12.4\" is not a CUDA version of resource 'etl'",
        "note: The SDK raises when the decorator runs: InvalidResourceError: min_cuda_version "
        "must be one of 11.8, 12.0, 12.1, 12.2, 12.3, 12.4, 12.5, 12.6, 12.7, 12.8, 12.9, 13.0, "
        "got 'v12.4'",
        "note: Use '12.4'",
        SKIPPED,
        "fix (safe=True): Use '12.4'",
        "  edit main.py:6:40-6:47 '\"12.4\"'",
    ]
    assert 'min_cuda_version="12.4"' in apply(tmp_path / "app", finding)
    assert only(check(tmp_path / "app"), "FL510") == []


def test_fl510_on_a_cpu_resource(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", cpu="cpu3c-1-2", min_cuda_version="12.4")')
    [finding] = findings(tmp_path, text, "FL510")
    assert full(finding) == [
        "main.py:6:57-6:63 FL510 error: min_cuda_version on CPU resource 'etl' is rejected",
        "note: The SDK raises when the decorator runs: InvalidResourceError: resource 'etl': "
        "min_cuda_version has no effect on cpu resources",
        "note: CPU workers have no CUDA: remove min_cuda_version or use gpu=",
        SKIPPED,
        "related main.py:6:23-6:38: cpu= given here",
    ]


@needs_rc2
def test_fl510_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL510",
        bad=[
            'app.queue(name="u1", min_cuda_version="12.10")',
            'app.queue(name="u2", min_cuda_version=12)',
            'app.task(name="u3", min_cuda_version="V12_4")',
            'app.queue(name="u4", cpu="cpu3c-1-2", min_cuda_version="12.4")',
        ],
        good=[
            'app.queue(name="g1", min_cuda_version="12.4")',
            # ``str()`` is applied: a float that prints as a version passes (runpod_flash's
            # CudaVersion rejected it).
            'app.queue(name="g2", min_cuda_version=12.4)',
            'app.api(name="g3", min_cuda_version=" 13.0 ")',
            'app.queue(name="g4", cpu="cpu3c-1-2", min_cuda_version=None)',
        ],
    )


# -- FL514 unknown-endpoint-argument --------------------------------------------------------------


def test_fl514_another_kinds_keyword(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.task(name="etl", model="a/b")'), "FL514")
    assert full(finding) == [
        "main.py:6:22-6:27 FL514 error: @app.task() takes no model= (resource 'etl')",
        "note: The SDK raises when the decorator runs: TypeError: App.task() got an unexpected "
        "keyword argument 'model'",
        SKIPPED,
        "note: Only @app.queue() and @app.api() take it: remove it",
    ]


def test_fl514_misspelled_keyword_is_renamed(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.queue(name="etl", idleTimeout=5)'), "FL514")
    assert full(finding) == [
        "main.py:6:23-6:34 FL514 error: unknown @app.queue() argument 'idleTimeout' on 'etl'",
        "note: The SDK raises when the decorator runs: TypeError: App.queue() got an unexpected "
        "keyword argument 'idleTimeout'",
        SKIPPED,
        "note: Did you mean 'idle_timeout'?",
        "fix (safe=True): Rename to idle_timeout=",
        "  edit main.py:6:23-6:34 'idle_timeout'",
    ]
    assert "idle_timeout=5" in apply(tmp_path / "app", finding)
    assert only(check(tmp_path / "app"), "FL514") == []
    # A keyword of another kind is suggested, never renamed to.
    [finding] = findings(tmp_path, module('app.task(name="etl", idle_timout=3)'), "FL514")
    assert finding.notes[-1] == "Did you mean 'idle_timeout'? @app.task() does not take it either"
    assert finding.fix is None


def test_fl514_runpod_flash_keyword_gets_the_app_api_way(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module('app.queue(name="etl", volume=None)'), "FL514")
    assert finding.message == "unknown @app.queue() argument 'volume' on 'etl'"
    assert finding.notes[-1] == (
        f"{platform.SDK_MODULE}'s Endpoint takes it; use "
        'mounts={"/runpod-volume": NetworkVolume(...)}'
    )


@needs_rc2
def test_fl514_as_rc2_decides(tmp_path: Path) -> None:
    check_against_rc2(
        tmp_path,
        "FL514",
        bad=[
            'app.queue(name="k1", volume=None)',
            'app.queue(name="k2", python_version="3.11")',
            'app.api(name="k3", max_concurrency=2)',
            'app.task(name="k4", workers=1)',
            'app.task(name="k5", scaler_type="QUEUE_DELAY")',
            'app.queue(name="k6", idleTimeout=5)',
        ],
        good=[
            'app.queue(name="g1", max_concurrency=2, model="a/b", flashboot=False)',
            'app.api(name="g2", scaler_value=2, execution_timeout_ms=10, idle_timeout=5)',
            'app.task(name="g3", gpu_count=2, container_disk_gb=20, env={"A": "1"})',
        ],
    )


# -- FL301 top-level-import -----------------------------------------------------------------------

_DEV_NOTE = (
    "note: rp flash dev and tasks run the whole module on a worker that installs only the called "
    "resource's dependencies (requirements.txt is not read)"
)


def test_fl301_module_import_a_resource_of_the_module_lacks(tmp_path: Path) -> None:
    text = (
        'import pandas\nimport runpod\n\napp = runpod.App("shop")\n'
        '\n@app.queue(name="embed", gpu="L4", dependencies=["pandas"])\ndef embed(): ...\n'
        '\n@app.queue(name="tokenize", cpu="cpu3c-1-2")\ndef tokenize(): ...\n'
    )
    [finding] = findings(tmp_path, text, "FL301")
    assert full(finding) == [
        "main.py:1:0-1:13 FL301 warning: module-level 'pandas' not in dependencies of 'tokenize'",
        f"{_DEV_NOTE}: importing this module fails on the workers of resource 'tokenize'",
        "note: Deployed workers have it (requirements.txt or the App's dependencies)",
        'note: Add "pandas" to the dependencies of every resource of main.py, or import it '
        "inside the functions that use it",
        "related main.py:9:1-9:44: resource 'tokenize' lacks it",
    ]


def test_fl301_not_declared_anywhere(tmp_path: Path) -> None:
    text = (
        'import pandas\nimport runpod\n\napp = runpod.App("shop")\n'
        '\n@app.queue(name="embed", gpu="L4")\ndef embed(): ...\n'
    )
    [finding] = findings(tmp_path, text, "FL301")
    assert finding.notes[1] == (
        "It is not in requirements.txt or the dependencies of App 'shop' either: deployed "
        "workers fail too"
    )


def test_fl301_what_needs_no_declaration(tmp_path: Path) -> None:
    text = (
        "import json\nimport numpy as np\nimport requests\nimport torch\nimport helpers\n"
        "from typing import TYPE_CHECKING\nimport runpod\n"
        "if TYPE_CHECKING:\n    import pandas\n"
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        '\napp = runpod.App("shop")\n'
        # numpy declared, requests vendored by the runtime, torch on a builtin GPU image.
        '\n@app.queue(name="embed", gpu="L4", dependencies=["numpy>=2"])\ndef embed(): ...\n'
        '\n@app.api(name="web", dependencies=["numpy"])\ndef web(): ...\n'
        # A custom image may have anything; unknown dependencies are FL903's business.
        '\n@app.queue(name="custom", image="me/img:1", cpu="cpu3c-1-2")\ndef custom(): ...\n'
        '\n@app.queue(name="computed", dependencies=load())\ndef computed(): ...\n'
    )
    root = tmp_path / "app"
    files = {"main.py": text, "helpers.py": "X = 1\n"}
    assert only(check(root, files), "FL301") == []


# -- FL303 undeclared-dependency ------------------------------------------------------------------


def test_fl303_import_in_a_resource_body(tmp_path: Path) -> None:
    root = tmp_path / "app"
    text = module(
        'app.queue(name="resize", cpu="cpu3c-1-2", dependencies=["numpy"])',
        "def resize():\n    from PIL import Image\n    import numpy\n    import requests\n"
        "    return Image\n",
    )
    diagnostics = check(root, {"main.py": text, "requirements.txt": "pillow\n"})
    [finding] = only(diagnostics, "FL303")
    assert full(finding) == [
        "main.py:8:4-8:25 FL303 warning: 'PIL' is not a dependency of 'resize'",
        f"{_DEV_NOTE}: importing 'PIL' (distribution 'pillow') fails there",
        "note: Deployed workers have it (requirements.txt or the App's dependencies)",
        'note: Add "pillow" to dependencies=[...]',
        'fix (safe=True): Add "pillow" to dependencies',
        "  edit main.py:6:64-6:64 ', \"pillow\"'",
    ]
    assert 'dependencies=["numpy", "pillow"]' in apply(root, finding)
    assert only(check(root), "FL303") == []


def test_fl303_torch_only_on_builtin_gpu_images_and_tasks_own_dependencies(
    tmp_path: Path,
) -> None:
    text = module(
        'app.task(name="train", gpu="L4")',
        "def train():\n    import torch\n    import yaml\n"
        '\n@app.queue(name="cpu-embed", cpu="cpu3c-1-2")\ndef cpu_embed():\n    import torch\n',
    )
    root = tmp_path / "app"
    diagnostics = only(check(root, {"main.py": text, "requirements.txt": "pyyaml\n"}), "FL303")
    assert [(d.span.start_line + 1, d.message) for d in diagnostics] == [
        (9, "'yaml' is not a dependency of 'train'"),
        (13, "'torch' is not a dependency of 'cpu-embed'"),
    ]
    assert diagnostics[0].notes[1] == "A task installs only its own dependencies, deployed or not"
    assert full(diagnostics[0])[-2:] == [
        'fix (safe=True): Add dependencies=["pyyaml"]',
        "  edit main.py:6:32-6:32 ', dependencies=[\"pyyaml\"]'",
    ]


# -- FL304 dependencies-not-collected -------------------------------------------------------------


def test_fl304_bare_string_is_iterated(tmp_path: Path) -> None:
    root = tmp_path / "app"
    text = module('app.queue(name="etl", cpu="cpu3c-1-2", dependencies="pandas")')
    [finding] = findings(tmp_path, text, "FL304")
    assert full(finding) == [
        "main.py:6:53-6:61 FL304 warning: dependencies of resource 'etl' is a string, not a list",
        "note: The SDK does not check its type and iterates it character by character: pip is "
        "asked for 'p', 'a', 'n', 'd' and more",
        'note: Write dependencies=["pandas"]',
        'fix (safe=True): Use ["pandas"]',
        "  edit main.py:6:53-6:61 '[\"pandas\"]'",
    ]
    assert 'dependencies=["pandas"]' in apply(root, finding)
    assert only(check(root), "FL304") == []


def test_fl304_entries_and_system_dependencies(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", dependencies=["numpy", 3], system_dependencies="gcc")')
    assert [d.message for d in findings(tmp_path, text, "FL304")] == [
        "dependencies entry 3 of resource 'etl' is not a string",
        "system_dependencies of resource 'etl' is a string, not a list",
    ]


def test_fl304_computed_lists_are_collected_by_rc2(tmp_path: Path) -> None:
    """rc2 imports the module: a constant, a tuple or a computed list is what it is (runpod_flash
    read only a literal list in the call)."""
    text = (
        HEAD
        + 'DEPS = ["pandas"]\n\n@app.queue(name="a", dependencies=DEPS)\ndef a(): ...\n'
        + '\n@app.queue(name="b", dependencies=("scipy",))\ndef b(): ...\n'
        + '\n@app.queue(name="c", dependencies=DEPS + ["x"])\ndef c(): ...\n'
    )
    assert findings(tmp_path, text, "FL304") == []


# -- FL306 invalid-dependency ---------------------------------------------------------------------


def test_fl306_invalid_requirement(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", dependencies=["numpy>=", "pillow", "torch @ https://x"])')
    [finding] = findings(tmp_path, text, "FL306")
    assert full(finding) == [
        "main.py:6:37-6:46 FL306 error: dependency 'numpy>=' of resource 'etl' is not valid "
        "PEP 508",
        "note: pip rejects it (Expected semicolon (after name with no version specifier) or "
        "end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails "
        "installing them",
        'note: Write a requirement such as "package>=1.0"',
    ]


# -- FL403 large-file-shipped ---------------------------------------------------------------------

_PACK = r"""
import json, sys, tarfile
from pathlib import Path

from runpod.apps.deploy import package_project

root, out = Path(sys.argv[1]), Path(sys.argv[2])
package_project(root, {}, output=out)
with tarfile.open(out) as tar:
    print(json.dumps(sorted(m.name for m in tar.getmembers() if m.isfile())))
"""

TREE = {
    "main.py": module('app.queue(name="etl", cpu="cpu3c-1-2")'),
    "requirements.txt": "numpy\n",
    ".gitignore": "data/\n*.log\n!keep.log\n",
    ".runpodignore": "!tests/\nscratch.py\n",
    "tests/test_main.py": "",
    "test_top.py": "",
    "lib/helper_test.py": "",
    "lib/util.py": "",
    "lib/.gitignore": "local.bin\n",
    "lib/local.bin": "x",
    "lib/sub/local.bin": "x",
    "other/local.bin": "x",
    "data/big.bin": "x",
    "debug.log": "",
    "keep.log": "",
    "scratch.py": "",
    ".env": "A=1",
    "secrets/id_rsa": "",
    "env/lib.py": "",
    "pkg/env/x.py": "",
    "build/out.txt": "",
    "models/weights.bin": "x",
}


@needs_rc2
def test_shipped_files_are_rc2s(tmp_path: Path) -> None:
    from flash_ls.project.sizes.app_api_files import app_api_shipped_files

    root = write_app(tmp_path / "app", TREE)
    (root / "linked.py").symlink_to(root / "main.py")
    out = tmp_path / "artifact.tar.gz"
    done = subprocess.run(
        [sys.executable, "-c", _PACK, str(root), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    packed = [n for n in json.loads(done.stdout) if n != "runpod_manifest.json"]
    ours = [f.rel for f in app_api_shipped_files(load_app(root))]
    assert ours == packed
    # The rules the tree exercises, spelled out.
    assert "tests/test_main.py" in ours and "keep.log" in ours and "build/out.txt" in ours
    for left_out in ("test_top.py", "lib/local.bin", "data/big.bin", ".env", "scratch.py"):
        assert left_out not in ours
    assert "other/local.bin" in ours and "lib/sub/local.bin" not in ours


def test_fl403_large_file_with_rc2s_ignore_rules(tmp_path: Path) -> None:
    from apps import sparse

    root = write_app(tmp_path / "app", {"main.py": module('app.queue(name="etl")')})
    sparse(root / "models" / "weights.bin", 80 * platform.BYTES_PER_MB)
    sparse(root / "tests" / "fixture.bin", 80 * platform.BYTES_PER_MB)  # a default ignore
    [finding] = only(check(root), "FL403")
    assert full(finding) == [
        "weights.bin:1:0-1:0 FL403 warning: models/weights.bin is 80.0 MB and is shipped",
        "note: rp flash deploy packs it into the artifact of every App, which counts against "
        "the 1500 MB limit, and uploads it on every deploy (threshold 50 MB)",
        "note: add it to .runpodignore and download it at run time or read it from a network "
        "volume",
        "fix (safe=False): Add /models/weights.bin to .runpodignore",
        "  edit .runpodignore:1:0-1:0 '/models/weights.bin\\n'",
    ]
    fix = finding.fix
    assert fix is not None
    for edit in fix.edits:
        edit.path.write_text(edit.new_text)
    assert only(check(root), "FL403") == []


# -- FL401 / FL402 artifact size ------------------------------------------------------------------


def test_fl401_per_app_artifact_with_rc2s_files(tmp_path: Path) -> None:
    from apps import sparse

    root = write_app(tmp_path / "app", {"main.py": module('app.queue(name="etl", gpu="L4")')})
    sparse(root / "weights" / "model.bin", 1600 * platform.BYTES_PER_MB)
    sparse(root / "tests" / "data.bin", 1600 * platform.BYTES_PER_MB)  # not shipped by rc2
    [finding] = only(check(root), "FL401")
    assert full(finding) == [
        "model.bin:1:0-1:0 FL401 error: App 'shop' artifact: about 1.6 GB, above the 1500 MB limit",
        "note: rp flash deploy fails once it has vendored everything: the artifact limit is "
        "1500 MB",
        "note: 1.6 GB is weights/model.bin",
        "note: keep large files out of the artifact (.gitignore or .runpodignore): download them "
        "at run time or use a network volume",
        f"note: estimated for {finding.notes[-1].split('for ', 1)[1]}",
        "related model.bin:1:0-1:0: weights/model.bin: 1.6 GB",
        "related main.py:1:0-1:0: main.py: 137 bytes",
        "related pyproject.toml:1:0-1:0: pyproject.toml: 23 bytes",
    ]
    assert [d.code for d in check(root) if d.code.startswith("FL40")] == ["FL401", "FL403"]


def test_fl402_near_the_limit_offline_says_at_least(tmp_path: Path) -> None:
    from apps import sparse

    root = write_app(
        tmp_path / "app",
        {
            "pyproject.toml": "[tool.flash-ls]\noffline = true\n",
            "main.py": module('app.queue(name="etl", dependencies=["numpy"])'),
        },
    )
    sparse(root / "weights.bin", 1300 * platform.BYTES_PER_MB)
    [finding] = only(check(root), "FL402")
    assert finding.message == "App 'shop' artifact: at least 1.3 GB, 87% of the 1500 MB limit"
    assert "offline and no cached resolution: dependency sizes are not counted" in finding.notes
    assert only(check(root), "FL401") == []


def test_what_the_artifact_vendors(tmp_path: Path) -> None:
    from flash_ls.project.sizes.app_api_estimate import artifacts

    text = (
        HEAD
        + '\n@app.queue(name="a", gpu="L4", dependencies=["torch==2.3", "Pillow", "numpy"])\n'
        + "def a(): ...\n"
        + '\n@app.api(name="b", gpu="H100", dependencies=["numpy==2.0", "pillow>=10"])\n'
        + "def b(): ...\n"
    )
    root = write_app(
        tmp_path / "gpu", {"main.py": text, "requirements.txt": "numpy==1.26\n-r other.txt\n"}
    )
    [artifact] = artifacts(load_app(root))
    assert artifact.auto_exclude
    assert artifact.excluded == ("torch",)
    # The runtime first, then requirements.txt and the dependencies, the first pin winning.
    assert artifact.requirements == (
        *platform.APP_VENDORED_RUNTIME,
        *platform.APP_VENDORED_API_RUNTIME,
        "numpy==1.26",
        "Pillow",
    )
    cpu = text + '\n@app.task(name="c", cpu="cpu3c-1-2")\ndef c(): ...\n'
    root = write_app(tmp_path / "cpu", {"main.py": cpu})
    [artifact] = artifacts(load_app(root))
    assert not artifact.auto_exclude and artifact.excluded == ()
    assert "torch==2.3" in artifact.requirements


# -- FL404 shipped-code-ignored -------------------------------------------------------------------


def test_fl404_resource_and_imports_the_artifact_leaves_out(tmp_path: Path) -> None:
    files = {
        ".gitignore": "lib/\n",
        "main.py": "import helpers_test\nimport shared\n"
        + module('app.queue(name="etl")', "def etl():\n    from lib import util\n"),
        "helpers_test.py": "X = 1\n",
        "shared.py": "import tools_test\n",
        "tools_test.py": "",
        "lib/util.py": "",
        "tests/worker.py": "from main import app\n"
        '\n@app.queue(name="in-tests", cpu="cpu3c-1-2")\ndef in_tests(): ...\n',
    }
    found = only(check(tmp_path / "app", files), "FL404")
    assert [full(d)[0] for d in found] == [
        "main.py:1:0-1:19 FL404 error: imports helpers_test.py, which the artifact leaves out",
        "main.py:10:4-10:24 FL404 error: imports lib/util.py, which the artifact leaves out",
        "shared.py:1:0-1:17 FL404 error: imports tools_test.py, which the artifact leaves out",
        "worker.py:3:1-3:44 FL404 error: resource 'in-tests' is in a file the artifact leaves out",
    ]
    assert full(found[1])[1:] == [
        "note: lib/util.py is left out by .gitignore",
        "note: discovery imports it locally, but the deployed workers fail with "
        "ModuleNotFoundError",
        "note: move the module out of the ignored path, or re-include it in .runpodignore "
        "(!pattern)",
        "related util.py:1:0-1:0: lib/util.py is not in the artifact",
    ]
    assert full(found[3])[1:] == [
        "note: tests/worker.py is left out by rp flash deploy's default ignores",
        "note: rp flash deploy imports it to discover the resource and deploys its endpoint, but "
        "the workers cannot import the module: every request fails",
        "note: move the file out of the ignored path, or re-include it in .runpodignore (!pattern)",
    ]


def test_fl404_runpodignore_re_includes(tmp_path: Path) -> None:
    files = {
        ".runpodignore": "!tests/\n!*_test.py\n",
        "main.py": "import helpers_test\n" + module('app.queue(name="etl")'),
        "helpers_test.py": "",
        "tests/worker.py": "from main import app\n"
        '\n@app.queue(name="in-tests", cpu="cpu3c-1-2")\ndef in_tests(): ...\n',
    }
    assert only(check(tmp_path / "app", files), "FL404") == []


# -- FL601 gpu-fallback-needs-workers, FL602 model-loaded-per-request ------------------------------


def test_fl601_pools_as_rc2_resolves_them(tmp_path: Path) -> None:
    # rc2's default worker range is (0, 3); a list of device names selects their pools.
    [finding] = findings(tmp_path, module('app.queue(name="etl", gpu=["L4", "A100"])'), "FL601")
    assert full(finding) == [
        "main.py:6:27-6:41 FL601 info: resource 'etl' selects 2 GPU pools but at most 3 workers",
        "note: GPU pools: AMPERE_24, AMPERE_80; workers defaults to (0, 3)",
        "note: the platform only falls back to another GPU type with at least 5 max workers: "
        "the other pools are never used",
        "note: set workers=(0, 5) or more, or select a single pool",
    ]
    quiet = [
        'app.queue(name="a", gpu=["L4", runpod.GpuGroup.ADA_24], workers=5)',
        'app.queue(name="b", gpu=["L4", "NVIDIA RTX A5000"])',  # one pool: AMPERE_24
        'app.queue(name="c", gpu="any")',
        'app.task(name="d", gpu=["L4", "A100"])',  # a pod per call: no workers
        'app.queue(name="e", gpu=["L4", "A100"], workers=0)',  # FL504's
    ]
    for decorator in quiet:
        assert findings(tmp_path, module(decorator), "FL601") == [], decorator


def test_fl602_queue_function_loads_a_model_per_job(tmp_path: Path) -> None:
    body = (
        "def embed(texts: list):\n"
        "    from sentence_transformers import SentenceTransformer\n"
        '    model = SentenceTransformer("all-MiniLM-L6-v2")\n'
        "    return model.encode(texts).tolist()\n"
    )
    text = module('app.queue(name="embed", gpu="L4")', body)
    [finding] = findings(tmp_path, text, "FL602")
    assert full(finding) == [
        "main.py:9:12-9:31 FL602 info: 'embed' loads a model on every request",
        "note: the workers of resource 'embed' call the function for each job, "
        "SentenceTransformer(...) included",
        "note: load it once per worker: at module level (the worker imports the module once) or "
        "in a global cache the function fills on its first call",
    ]
    # A task is a pod per call: loading is part of the call.
    assert findings(tmp_path, module('app.task(name="embed")', body), "FL602") == []


# -- FL106 invalid-endpoint-name ------------------------------------------------------------------

# Imports each module and builds its App's manifest, as rp flash deploy does after vendoring.
_MANIFEST = r"""
import json, sys
from pathlib import Path

import runpod
from runpod.apps.app import get_registered_apps
from runpod.apps.deploy import build_manifest

out = []
for index, text in enumerate(json.load(sys.stdin)):
    before = len(get_registered_apps())
    try:
        exec(compile(text, f"module_{index}.py", "exec"), {"__name__": f"module_{index}"})
        build_manifest(get_registered_apps()[before], Path.cwd())
    except Exception as exc:
        out.append(f"{type(exc).__name__}: {exc}")
    else:
        out.append(None)
print(json.dumps(out))
"""


def test_fl106_short_and_non_string_names(tmp_path: Path) -> None:
    [finding] = findings(tmp_path, module("app.api()", "def ab(): ..."), "FL106")
    assert full(finding) == [
        "main.py:7:4-7:6 FL106 error: resource name 'ab' is too short to deploy",
        "note: rp flash deploy fails after vendoring the dependencies: InvalidResourceError: "
        "resource name 'ab' is too short to deploy; queue and api names must be at least 3 "
        "characters",
        "note: The name comes from the function name",
        "note: Use a name of at least 3 characters (tasks are exempt)",
    ]
    [finding] = findings(tmp_path, module("app.queue(name=5)"), "FL106")
    assert full(finding) == [
        "main.py:6:16-6:17 FL106 error: resource name 5 is not a string",
        "note: The SDK raises when the decorator runs: InvalidResourceError: resource name must "
        "be a non-empty string",
        "note: Give name= a string",
    ]


@needs_rc2
def test_fl106_as_rc2_decides(tmp_path: Path) -> None:
    bad = ['app.queue(name="ab")', 'app.api(name="x")', "app.queue(name=5)"]
    good = ['app.queue(name="abc")', 'app.task(name="t")', 'app.queue(name="")']
    modules = [module(d) for d in bad + good]
    home = tmp_path / "rc2-home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _MANIFEST],
        cwd=home,
        env={"HOME": str(home), "PATH": os.environ.get("PATH", "")},
        input=json.dumps(modules),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    errors = json.loads(done.stdout.splitlines()[-1])
    for decorator, text, error in zip(bad + good, modules, errors, strict=True):
        found = findings(tmp_path, text, "FL106")
        if decorator in good:
            assert found == [] and error is None, (decorator, error)
        else:
            assert len(found) == 1 and error is not None, (decorator, error)
            assert found[0].notes[0].endswith(error), (decorator, error)


# -- FL513 invalid-volume -------------------------------------------------------------------------


def test_fl513_endpoint_mount_path(tmp_path: Path) -> None:
    text = module('app.queue(name="etl", mounts={"/data": runpod.NetworkVolume("models")})')
    [finding] = findings(tmp_path, text, "FL513")
    assert full(finding) == [
        "main.py:6:31-6:38 FL513 error: resource 'etl' must mount one volume at /runpod-volume",
        "note: The SDK raises when the decorator runs: VolumeError: endpoints support one volume "
        "mounted at /runpod-volume",
        "note: Tasks may mount volumes elsewhere; endpoints only there",
        SKIPPED,
    ]


@needs_rc2
def test_fl513_as_rc2_decides(tmp_path: Path) -> None:
    nv, gv = "runpod.NetworkVolume", "runpod.GlobalVolume"
    check_against_rc2(
        tmp_path,
        "FL513",
        bad=[
            f'app.queue(name="v1", mounts={{"/data": {nv}("m")}})',
            f'app.api(name="v2", mounts={{"/runpod-volume": {nv}("m"), "/x": {gv}("g")}})',
            f'app.task(name="v3", mounts={{"/a": {nv}("m"), "/a/b": {gv}("g")}})',
            f'app.task(name="v4", mounts={{"rel": {nv}("m")}})',
            f'app.task(name="v5", mounts={{"/a/../b": {nv}("m")}})',
            'app.task(name="v6", mounts={"/c": "vol"})',
            f'app.task(name="v7", mounts=[{nv}("m")])',
            f'app.task(name="v8", mounts={{"/a": {nv}("m"), "/b": {nv}("n")}})',
            f'app.queue(name="v9", cpu="cpu3c-1-2", mounts={{"/runpod-volume": {gv}("g")}})',
        ],
        good=[
            f'app.queue(name="g1", mounts={{"/runpod-volume": {nv}("m")}})',
            f'app.task(name="g2", mounts={{"/a": {nv}("m"), "/b": {gv}("g")}})',
            'app.api(name="g3", mounts={})',
            'app.task(name="g4", mounts=None)',
            f'app.task(name="g5", cpu="cpu3c-1-2", mounts={{"/data/": {nv}("m")}})',
        ],
    )


def test_rules_that_do_not_carry_over_stay_quiet(tmp_path: Path) -> None:
    """What runpod_flash rejects but the app API accepts (or never does) is not reported."""
    text = (
        HEAD
        + "import os\nHELPER = os.getenv('X')\n"
        # FL305: torch is vendored for a CPU resource; FL507: CPU in another datacenter;
        # FL505: idle_timeout is not validated; FL512: env values are str()-ed; FL302: the
        # whole module ships, HELPER included.
        + '\n@app.queue(name="cpu-torch", cpu="cpu3c-1-2", dependencies=["torch"],\n'
        + '    datacenter="US-CA-2", idle_timeout=7200, env={"N": 3})\n'
        + "def cpu_torch():\n    import torch\n    return HELPER\n"
        # FL511: QUEUE_DELAY on an api resource; FL509: flashboot=False is applied by rc2.
        + '\n@app.api(name="web-api", scaler_type="QUEUE_DELAY", flashboot=False,\n'
        + "    container_disk_gb=500, gpu_count=2)\n"
        + "def web_api():\n    from fastapi import FastAPI\n    return FastAPI()\n"
    )
    root = write_app(tmp_path / "app", {"main.py": text, "pkg/__init__.py": "X = 1\n"})
    codes = {d.code for d in check(root)}
    quiet = {"FL302", "FL305", "FL307", "FL505", "FL507", "FL509", "FL511", "FL512", "FL515"}
    assert codes & quiet == set(), codes
    assert codes == {"FL708"}, codes  # torch is vendored for 'cpu-torch'
