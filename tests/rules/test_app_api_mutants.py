"""FL701, FL702, FL703, FL704, FL707 (rules/app_api.py): the cases mutation testing found
unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
test_app_api_rules.py compares with runpod 2.0 but pins most findings by their first line;
these pin them whole and need nothing but flash-ls. See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], prefix: str) -> list[str]:
    return [line for d in check(root, files) if d.code.startswith(prefix) for line in full(d)]


HEAD = 'import runpod\n\napp = runpod.App("shop")\n'
MAIN = (
    'from runpod import App\n\napp = App("flat")\n\n'
    '@app.queue(name="in_main", cpu="cpu3c-1-2")\ndef in_main(): ...\n'
)
WORKERS = 'from main import app\n\n@app.queue(name="in_workers", cpu="cpu3c-1-2")\ndef in_workers(): ...\n'
LOST = (
    "note: Resources dropped by discovery are neither built nor deployed, and deploy deletes "
    "their existing endpoints (reconcile matches by name)"
)


def lost(where: str, home: str, importer: str, module: str) -> list[str]:
    return [
        f"{where} FL701 error: resource 'in_workers' is lost: its App is created twice",
        f"note: {home} is not in a package: discovery imports it under a private module name, "
        f'and {importer} imports it again as `{module}`, so App("flat") runs twice. Discovery '
        f"keeps the App created first ({home}'s own) and drops the resources of the other",
        LOST,
        f"note: Declare the resource in {home}, or make the directory a package (__init__.py), "
        "import the App relatively and deploy the parent directory",
        "related main.py:3:10-3:16: App 'flat' kept by discovery",
    ]


# workers.py reaches main.py through x_helper.py, which sorts after main.py (its first import is
# guarded); a_first.py, which sorts first, imports main only under TYPE_CHECKING (nothing at run
# time), and a/build/gen.py, which discovery skips, sorts first too.
def test_fl701_flat_layout_through_a_helper(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": MAIN,
        "workers.py": WORKERS.replace("from main", "from x_helper"),
        "x_helper.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os\n"
        "from main import app\n",
        "a_first.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from main import app\n",
        "a/build/gen.py": "import main\n",
    }
    assert findings(tmp_path, files, "FL701") == lost(
        "workers.py:3:1-3:46", "main.py", "workers.py", "main"
    )


def test_fl701_flat_layout_with_a_plain_import(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": MAIN,
        "workers.py": 'import main\n\n@main.app.queue(name="in_workers", cpu="cpu3c-1-2")\n'
        "def in_workers(): ...\n",
    }
    assert findings(tmp_path, files, "FL701") == lost(
        "workers.py:3:1-3:51", "main.py", "workers.py", "main"
    )


# The App's folder is a package (the root, or a nested folder imported absolutely): nothing is
# lost. The same nested folder without its __init__.py is a flat layout.
def test_fl701_packages_at_the_root_and_nested(tmp_path: Path) -> None:
    root = {"__init__.py": "", "main.py": MAIN, "workers.py": WORKERS}
    assert findings(tmp_path / "root", root, "FL701") == []
    nested: dict[str, str | bytes] = {
        "proj/sub/main.py": MAIN,
        "proj/sub/workers.py": WORKERS.replace("from main", "from proj.sub.main"),
    }
    package = {**nested, "proj/sub/__init__.py": ""}
    assert findings(tmp_path / "package", package, "FL701") == []
    assert findings(tmp_path / "flat", nested, "FL701") == lost(
        "workers.py:3:1-3:46", "proj/sub/main.py", "proj/sub/workers.py", "proj.sub.main"
    )


# An App whose name is only known at run time is named by its variable.
def test_fl702_app_of_a_computed_name(tmp_path: Path) -> None:
    source = (
        "import runpod\n\napp = runpod.App(make_name())\n\n"
        '@app.queue(cpu="cpu3c-1-2")\ndef same(): ...\n\n'
        '@app.task(name="same")\ndef other(): ...\n'
    )
    assert findings(tmp_path, {"main.py": source}, "FL702") == [
        "main.py:8:15-8:21 FL702 error: resource name 'same' is already used in App app",
        "note: The SDK raises when this decorator runs: duplicate resource name 'same' in app "
        "'app'",
        "note: Deploying main.py fails; a directory deploy skips the whole file with a warning, "
        "and deploy deletes the endpoints of its resources",
        "note: Give it another name=: queue, api and task resources of one App share one namespace",
        "related main.py:6:4-6:8: 'same' is first declared here",
    ]


# Uncalled; positional with keywords (two: "arguments"); one positional string; an unexpected
# keyword; `**` (the SDK's message depends on it); a positional string next to name= (no fix);
# two positional strings (no fix).
FL703_APP = HEAD + (
    "\n@app.queue\ndef bare(): ...\n"
    '\n@app.api("web", cpu="cpu3c-1-2", gpu="L4")\ndef web(): ...\n'
    '\n@app.queue("one")\ndef one(): ...\n'
    '\n@app.task("t", bogus=1)\ndef t(): ...\n'
    "\n@app.queue(*ARGS)\ndef starred(): ...\n"
    '\n@app.queue("x", **OPTS)\ndef spread(): ...\n'
    '\n@app.queue("named", name="n2")\ndef named(): ...\n'
    '\n@app.queue("a", "b")\ndef two(): ...\n'
)


def test_fl703_messages_and_fixes(tmp_path: Path) -> None:
    raises = "note: The SDK raises when the module is imported: "
    keywords = "note: Pass every setting by keyword; the resource name is name="
    assert findings(tmp_path, {"main.py": FL703_APP}, "FL703") == [
        "main.py:5:1-5:10 FL703 error: @app.queue must be called: @app.queue()",
        raises + "TypeError: App.queue() takes 1 positional argument but 2 were given",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "fix (safe=True): Call it: @app.queue()",
        "  edit main.py:5:10-5:10 '()'",
        "main.py:8:9-8:14 FL703 error: @app.api() takes keyword arguments only",
        raises + "TypeError: App.api() takes 1 positional argument but 2 positional arguments "
        "(and 2 keyword-only arguments) were given",
        keywords,
        'fix (safe=False): Pass it as name="web"',
        "  edit main.py:8:9-8:14 'name=\"web\"'",
        "main.py:11:11-11:16 FL703 error: @app.queue() takes keyword arguments only",
        raises + "TypeError: App.queue() takes 1 positional argument but 2 were given",
        keywords,
        'fix (safe=False): Pass it as name="one"',
        "  edit main.py:11:11-11:16 'name=\"one\"'",
        "main.py:14:10-14:13 FL703 error: @app.task() takes keyword arguments only",
        raises + "TypeError: App.task() got an unexpected keyword argument 'bogus'",
        keywords,
        'fix (safe=False): Pass it as name="t"',
        "  edit main.py:14:10-14:13 'name=\"t\"'",
        "main.py:20:11-20:14 FL703 error: @app.queue() takes keyword arguments only",
        raises + "a TypeError",
        keywords,
        'fix (safe=False): Pass it as name="x"',
        "  edit main.py:20:11-20:14 'name=\"x\"'",
        "main.py:23:11-23:18 FL703 error: @app.queue() takes keyword arguments only",
        raises + "TypeError: App.queue() takes 1 positional argument but 2 positional arguments "
        "(and 1 keyword-only argument) were given",
        keywords,
        "main.py:26:11-26:19 FL703 error: @app.queue() takes keyword arguments only",
        raises + "TypeError: App.queue() takes 1 positional argument but 3 were given",
        keywords,
    ]


# Not for a name given (first). The name the fix adds: non-ASCII as written; into empty parentheses (also with a space), not
# across a comment; in place of name=None; before the first keyword.
FL707_APP = HEAD + (
    '\n@app.queue(name="given")\ndef given(): ...\n'
    "\n@app.queue()\ndef café(): ...\n"
    "\n@app.queue( )\ndef spaced(): ...\n"
    "\n@app.queue(  # a comment\n)\ndef commented(): ...\n"
    '\n@app.api(name=None, cpu="cpu3c-1-2")\nclass Web: ...\n'
    '\n@app.queue(cpu="cpu3c-1-2")\ndef kw(): ...\n'
)


def test_fl707_fixes(tmp_path: Path) -> None:
    def renames(kind: str, name: str) -> list[str]:
        return [
            f"note: Renaming the {kind} renames the resource: the next deploy deletes endpoint "
            f"'{name}' and creates a new one",
            f'note: Set name="{name}" to keep the endpoint when the code is renamed',
        ]

    assert findings(tmp_path, {"main.py": FL707_APP}, "FL707") == [
        "main.py:9:4-9:8 FL707 hint: resource name 'café' comes from the function name",
        *renames("function", "café"),
        'fix (safe=True): Add name="café"',
        "  edit main.py:8:10-8:12 '(name=\"café\")'",
        "main.py:12:4-12:10 FL707 hint: resource name 'spaced' comes from the function name",
        *renames("function", "spaced"),
        'fix (safe=True): Add name="spaced"',
        "  edit main.py:11:10-11:13 '(name=\"spaced\")'",
        "main.py:16:4-16:13 FL707 hint: resource name 'commented' comes from the function name",
        *renames("function", "commented"),
        "main.py:19:6-19:9 FL707 hint: resource name 'Web' comes from the class name",
        *renames("class", "Web"),
        'fix (safe=True): Add name="Web"',
        "  edit main.py:18:14-18:18 '\"Web\"'",
        "main.py:22:4-22:6 FL707 hint: resource name 'kw' comes from the function name",
        *renames("function", "kw"),
        'fix (safe=True): Add name="kw"',
        "  edit main.py:21:11-21:11 'name=\"kw\", '",
    ]


# Discovery imports files by path parts ("a" before "a-b.py"), not by the path's text; Apps and
# resources whose names are only known at run time, or empty, are not compared.
def test_fl701_import_order_by_path_parts_and_unknown_names(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "a-b.py": 'import runpod\n\nfirst = runpod.App("shop")\n\n'
        '@first.queue(name="one", cpu="cpu3c-1-2")\ndef one(): ...\n',
        "a/x.py": 'import runpod\n\nsecond = runpod.App("shop")\n\n'
        '@second.queue(name="two", cpu="cpu3c-1-2")\ndef two(): ...\n',
        "c.py": "import runpod\n\nc1 = runpod.App(pick())\nc2 = runpod.App(pick())\n"
        'e1 = runpod.App("")\ne2 = runpod.App("")\n\n'
        '@c1.queue(name=pick(), cpu="cpu3c-1-2")\ndef p1(): ...\n\n'
        '@c1.queue(name=pick(), cpu="cpu3c-1-2")\ndef p2(): ...\n',
    }
    assert findings(tmp_path, files, "FL70") == [
        "a-b.py:3:19-3:25 FL701 error: app name 'shop' is already used; discovery drops this App",
        "note: Discovery keeps one App per name, the first it imports (a/x.py), and silently "
        "drops the others with their resources (here: 'one')",
        LOST,
        "note: Give each App its own name, or declare the resources on one App object",
        "related x.py:3:20-3:26: App 'shop' kept by discovery",
    ]


# The App method is the last part of the decorator's name.
def test_fl703_decorator_through_a_module(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": MAIN,
        "workers.py": "import main\n\n@main.app.queue\ndef in_workers(): ...\n",
    }
    assert findings(tmp_path, files, "FL703") == [
        "workers.py:3:1-3:15 FL703 error: @main.app.queue must be called: @main.app.queue()",
        "note: The SDK raises when the module is imported: TypeError: App.queue() takes 1 "
        "positional argument but 2 were given",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "fix (safe=True): Call it: @main.app.queue()",
        "  edit workers.py:3:15-3:15 '()'",
    ]


# Several Apps: 'early' loses nothing (its importer a1.py runs before m1.py), 'pkgapp' is in a
# package; a_guarded.py declares a resource on 'flat' but imports main only under TYPE_CHECKING
# (not an importer at run time). Only workers.py's resource on 'flat' is lost.
def test_fl701_only_the_lost_resources_of_each_app(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": MAIN,
        "workers.py": WORKERS,
        "a_guarded.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        '    from main import app\n\n@app.queue(name="g", cpu="cpu3c-1-2")\ndef g(): ...\n',
        "a_a_pkg/__init__.py": "",
        "a_a_pkg/main.py": MAIN.replace('"flat"', '"pkgapp"'),
        "a_a_pkg/workers.py": WORKERS.replace("from main", "from a_a_pkg.main"),
        "m1.py": MAIN.replace('"flat"', '"early"'),
        "a1.py": WORKERS.replace("from main", "from m1").replace("in_workers", "in_a1"),
    }
    assert findings(tmp_path, files, "FL701") == lost(
        "workers.py:3:1-3:46", "main.py", "workers.py", "main"
    )


# Whether an importer runs first is decided by path parts: a/c.py runs before a/m.py (and
# before a-b.py); a_first.py imports the module lib.main by its plain name first.
def test_fl701_importers_that_run_first(tmp_path: Path) -> None:
    deep: dict[str, str | bytes] = {
        "a/m.py": MAIN.replace('"flat"', '"deep"'),
        "a/c.py": "from a.m import app\n",
        "a-b.py": WORKERS.replace("from main", "from a.m"),
    }
    assert findings(tmp_path / "deep", deep, "FL701") == []
    module: dict[str, str | bytes] = {
        "lib/main.py": MAIN,
        "workers.py": WORKERS.replace("from main", "from lib.main"),
        "a_first.py": "from lib import main\n",
    }
    assert findings(tmp_path / "module", module, "FL701") == []


# Names used once (an App 'solo', a resource 'alone') come before the duplicates; two resources
# are dropped with their App; a derived name says where it comes from (function or class).
def test_fl701_fl702_groups_of_one_and_derived_names(tmp_path: Path) -> None:
    source = (
        'import runpod\n\nsolo = runpod.App("solo")\napp = runpod.App("shop")\n'
        'other = runpod.App("shop")\n\n'
        '@app.queue(name="alone", cpu="cpu3c-1-2")\ndef alone(): ...\n\n'
        '@app.task(name="same")\ndef first(): ...\n\n'
        "@app.queue()\ndef same(): ...\n\n"
        '@other.task(name="Web")\ndef web_task(): ...\n\n'
        '@other.api(cpu="cpu3c-1-2")\nclass Web: ...\n'
    )
    sdk = "note: The SDK raises when this decorator runs: duplicate resource name "
    deploying = (
        "note: Deploying main.py fails; a directory deploy skips the whole file with a warning, "
        "and deploy deletes the endpoints of its resources"
    )
    namespace = (
        "note: Give it another name=: queue, api and task resources of one App share one namespace"
    )

    def renames(kind: str, name: str) -> list[str]:
        return [
            f"note: Renaming the {kind} renames the resource: the next deploy deletes endpoint "
            f"'{name}' and creates a new one",
            f'note: Set name="{name}" to keep the endpoint when the code is renamed',
        ]

    assert findings(tmp_path, {"main.py": source}, "FL70") == [
        "main.py:5:19-5:25 FL701 error: app name 'shop' is already used; discovery drops this App",
        "note: Discovery keeps one App per name, the first it imports (main.py), and silently "
        "drops the others with their resources (here: 'Web', 'Web')",
        LOST,
        "note: Give each App its own name, or declare the resources on one App object",
        "related main.py:4:17-4:23: App 'shop' kept by discovery",
        "main.py:14:4-14:8 FL702 error: resource name 'same' is already used in App 'shop'",
        sdk + "'same' in app 'shop' (the name comes from the function name)",
        deploying,
        namespace,
        "related main.py:10:15-10:21: 'same' is first declared here",
        "main.py:14:4-14:8 FL707 hint: resource name 'same' comes from the function name",
        *renames("function", "same"),
        'fix (safe=True): Add name="same"',
        "  edit main.py:13:10-13:12 '(name=\"same\")'",
        "main.py:20:6-20:9 FL702 error: resource name 'Web' is already used in App 'shop'",
        sdk + "'Web' in app 'shop' (the name comes from the class name)",
        deploying,
        namespace,
        "related main.py:16:17-16:22: 'Web' is first declared here",
        "main.py:20:6-20:9 FL707 hint: resource name 'Web' comes from the class name",
        *renames("class", "Web"),
        'fix (safe=True): Add name="Web"',
        "  edit main.py:19:11-19:11 'name=\"Web\", '",
    ]


# Nested resource declarations: not in a file discovery skips (build/), and after other calls
# (print, a queue() of the standard library's queue module) in the same body; also through a
# module (main.app.task).
def test_fl704_nested_declarations(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": 'from runpod import App\n\napp = App("flat")\n',
        "build/x.py": "from main import app\n\ndef make():\n"
        '    @app.queue(name="b", cpu="cpu3c-1-2")\n    def b(): ...\n',
        "workers.py": "import queue\nimport main\nfrom main import app\n\ndef make():\n"
        '    print("x")\n    queue.Queue()\n    q = queue.queue(1)\n'
        '    @app.queue(name="n", cpu="cpu3c-1-2")\n    def n(): ...\n\n'
        '    @main.app.task(name="t")\n    def t(): ...\n',
    }
    not_found = (
        "note: A deployed worker imports the module and looks for the handle among its "
        "module-level names; it never finds this one, so the resource deploys but every request "
        "fails"
    )
    registered = (
        "note: A resource declared in a function is also registered only when the function "
        "runs, so discovery may never see it"
    )
    assert findings(tmp_path, files, "FL704") == [
        "workers.py:9:5-9:41 FL704 warning: resource declared inside function 'make'",
        not_found,
        registered,
        "note: Declare it at module level: @app.queue(...) on a top-level function or class",
        "workers.py:12:5-12:28 FL704 warning: resource declared inside function 'make'",
        not_found,
        registered,
        "note: Declare it at module level: @main.app.task(...) on a top-level function or class",
    ]
