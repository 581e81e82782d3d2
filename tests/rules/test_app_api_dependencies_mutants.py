"""FL301, FL303, FL304, FL306 on app API resources (rules/app_api_dependencies.py): the cases
mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
The SDK checks none of this: the notes say where runpod 2.0.0rc2's build, dev session or task
fails. See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], prefix: str = "FL30") -> list[str]:
    return [line for d in check(root, files) if d.code.startswith(prefix) for line in full(d)]


HEAD = 'import os\nimport runpod\nfrom runpod import GpuType\n\napp = runpod.App("shop")\n'

# (main.py, its FL30x findings)
CASES = [
    # a bare string through a constant (no fix), 4 distinct characters
    pytest.param(
        HEAD
        + 'DEPS = "abcd"\n\n@app.queue(name="work", cpu="cpu3c-1-2", dependencies=DEPS)\ndef work(): ...\n',
        [
            "main.py:8:54-8:58 FL304 warning: dependencies of resource 'work' is a string, not a list",
            "note: The SDK does not check its type and iterates it character by character: pip is asked for 'a', 'b', 'c', 'd'",
            "note: Write dependencies=[DEPS]",
        ],
        id="bare-string-named",
    ),
    # system_dependencies alone as a bare string: apt
    pytest.param(
        HEAD
        + '\n@app.queue(name="work", cpu="cpu3c-1-2", system_dependencies="curl")\ndef work(): ...\n',
        [
            "main.py:7:61-7:67 FL304 warning: system_dependencies of resource 'work' is a string, not a list",
            "note: The SDK does not check its type and iterates it character by character: apt is asked for 'c', 'u', 'r', 'l'",
            'note: Write system_dependencies=["curl"]',
            'fix (safe=True): Use ["curl"]',
            "  edit main.py:7:61-7:67 '[\"curl\"]'",
        ],
        id="bare-system-dependencies",
    ),
    # entries that are not strings: a constant, an enum member, a long number; system_dependencies
    pytest.param(
        HEAD
        + 'V = 1\n\n@app.queue(name="work", cpu="cpu3c-1-2", dependencies=[V, GpuType.NVIDIA_L4, 1234567890123456789012], system_dependencies=[2])\ndef work(): ...\n',
        [
            "main.py:8:55-8:56 FL304 warning: dependencies entry V of resource 'work' is not a string",
            "note: The SDK does not check its type; rp flash deploy fails reading it as a requirement (TypeError)",
            "note: Write each entry of dependencies as a string",
            "main.py:8:58-8:75 FL304 warning: dependencies entry GpuType.NVIDIA_L4 of resource 'work' is not a string",
            "note: The SDK does not check its type; rp flash deploy fails reading it as a requirement (TypeError)",
            "note: Write each entry of dependencies as a string",
            "main.py:8:77-8:99 FL304 warning: dependencies entry 12345678901234567890 of resource 'work' is not a string",
            "note: The SDK does not check its type; rp flash deploy fails reading it as a requirement (TypeError)",
            "note: Write each entry of dependencies as a string",
            "main.py:8:123-8:124 FL304 warning: system_dependencies entry 2 of resource 'work' is not a string",
            "note: The SDK does not check its type; the worker is asked to install it as is",
            "note: Write each entry of system_dependencies as a string",
        ],
        id="non-strings",
    ),
    # a list through a constant is not looked into
    pytest.param(
        HEAD
        + 'DEPS = [1]\n\n@app.queue(name="work", cpu="cpu3c-1-2", dependencies=DEPS)\ndef work(): ...\n',
        [],
        id="named-list",
    ),
    # invalid requirements after an unknown and a valid one; a constant, whitespace, lengths 23, 24, 25
    pytest.param(
        HEAD
        + 'BAD = "numpy>>1"\n\n@app.queue(name="work", cpu="cpu3c-1-2", dependencies=[os.environ["X"], "numpy", BAD, "numpy >> 1", "   ", "abcdefghijklmnopqrstuv!", "abcdefghijklmnopqrstuvw!", "abcdefghijklmnopqrstuvwx!"])\ndef work(): ...\n',
        [
            "main.py:8:81-8:84 FL306 error: dependency 'numpy>>1' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (Expected semicolon (after name with no version specifier) or end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
            "main.py:8:86-8:98 FL306 error: dependency 'numpy >> 1' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (Expected semicolon (after name with no version specifier) or end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
            "main.py:8:100-8:105 FL306 error: dependency '' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (empty requirement): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
            "main.py:8:107-8:132 FL306 error: dependency 'abcdefghijklmnopqrstuv!' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (Expected semicolon (after name with no version specifier) or end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
            "main.py:8:134-8:160 FL306 error: dependency 'abcdefghijklmnopqrstuvw!' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (Expected semicolon (after name with no version specifier) or end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
            "main.py:8:162-8:189 FL306 error: dependency 'abcdefghijklmnopqrstu...' of resource 'work' is not valid PEP 508",
            "note: pip rejects it (Expected semicolon (after name with no version specifier) or end): rp flash deploy fails vendoring the dependencies, and rp flash dev fails installing them",
            'note: Write a requirement such as "package>=1.0"',
        ],
        id="invalid",
    ),
    # two undeclared imports: one fix adds both
    pytest.param(
        HEAD
        + '\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import numpy\n    import pandas\n',
        [
            "main.py:9:4-9:16 FL303 warning: 'numpy' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'numpy' fails there",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "numpy" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["numpy", "pandas"]',
            '  edit main.py:7:39-7:39 \', dependencies=["numpy", "pandas"]\'',
            "main.py:10:4-10:17 FL303 warning: 'pandas' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'pandas' fails there",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "pandas" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["numpy", "pandas"]',
            '  edit main.py:7:39-7:39 \', dependencies=["numpy", "pandas"]\'',
        ],
        id="two-lacking",
    ),
    # stdlib and runtime modules before a third-party one in one statement; the same distribution twice
    pytest.param(
        HEAD
        + '\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import os, requests, numpy.linalg\n    import numpy.fft\n',
        [
            "main.py:9:4-9:37 FL303 warning: 'numpy' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'numpy' fails there",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "numpy" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["numpy"]',
            "  edit main.py:7:39-7:39 ', dependencies=[\"numpy\"]'",
        ],
        id="body-imports",
    ),
    # the dependencies of another App do not deploy with this one
    pytest.param(
        HEAD
        + 'lab = runpod.App("lab")\n\n@lab.queue(name="train", cpu="cpu3c-1-2", dependencies=["numpy"])\ndef train(): ...\n\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import numpy\n',
        [
            "main.py:13:4-13:16 FL303 warning: 'numpy' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'numpy' fails there",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "numpy" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["numpy"]',
            "  edit main.py:11:39-11:39 ', dependencies=[\"numpy\"]'",
        ],
        id="two-apps",
    ),
    # an App with an api resource deploys fastapi for its queue too
    pytest.param(
        HEAD
        + '\n@app.api(name="web", cpu="cpu3c-1-2")\ndef web(): ...\n\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import fastapi\n',
        [
            "main.py:12:4-12:18 FL303 warning: 'fastapi' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'fastapi' fails there",
            "note: Deployed workers have it (requirements.txt or the App's dependencies)",
            'note: Add "fastapi" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["fastapi"]',
            "  edit main.py:10:39-10:39 ', dependencies=[\"fastapi\"]'",
        ],
        id="api-app",
    ),
    # an App of queue resources only does not
    pytest.param(
        HEAD + '\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import fastapi\n',
        [
            "main.py:9:4-9:18 FL303 warning: 'fastapi' is not a dependency of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing 'fastapi' fails there",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "fastapi" to dependencies=[...]',
            'fix (safe=True): Add dependencies=["fastapi"]',
            "  edit main.py:7:39-7:39 ', dependencies=[\"fastapi\"]'",
        ],
        id="queue-app",
    ),
    # an uncalled decorator (FL703) is not checked
    pytest.param(
        HEAD + "\n@app.queue\ndef work():\n    import numpy\n",
        [],
        id="uncalled",
    ),
    # keywords spread from a dict may hold the dependencies: not checked
    pytest.param(
        HEAD
        + 'OPTS = {"cpu": "cpu3c-1-2"}\n\n@app.queue(name="work", **OPTS)\ndef work():\n    import numpy\n',
        [],
        id="spread",
    ),
    # stdlib, a second numpy and a runtime module among module-level imports; a task first
    pytest.param(
        HEAD.replace("import os\n", "import os, numpy.linalg, numpy.fft, requests, pandas\n")
        + '\n@app.task(name="job", cpu="cpu3c-1-2")\ndef job(): ...\n\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work(): ...\n',
        [
            "main.py:1:0-1:52 FL301 warning: module-level 'numpy' not in dependencies of 2 resources",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing this module fails on the workers of resource 'job'",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "numpy" to the dependencies of every resource of main.py, or import it inside the functions that use it',
            "related main.py:7:1-7:38: resource 'job' lacks it",
            "related main.py:10:1-10:40: resource 'work' lacks it",
            "main.py:1:0-1:52 FL301 warning: module-level 'pandas' not in dependencies of 2 resources",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing this module fails on the workers of resource 'job'",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "pandas" to the dependencies of every resource of main.py, or import it inside the functions that use it',
            "related main.py:7:1-7:38: resource 'job' lacks it",
            "related main.py:10:1-10:40: resource 'work' lacks it",
        ],
        id="module-level",
    ),
    # an optional import before a required one
    pytest.param(
        "try:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        + HEAD.replace("import os\n", "import numpy\n")
        + '\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    ...\n',
        [
            "main.py:5:0-5:12 FL301 warning: module-level 'numpy' not in dependencies of 'work'",
            "note: rp flash dev and tasks run the whole module on a worker that installs only the called resource's dependencies (requirements.txt is not read): importing this module fails on the workers of resource 'work'",
            "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed workers fail too",
            'note: Add "numpy" to the dependencies of every resource of main.py, or import it inside the functions that use it',
            "related main.py:11:1-11:40: resource 'work' lacks it",
        ],
        id="guarded-first",
    ),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_app_api_dependencies(tmp_path: Path, source: str, expected: list[str]) -> None:
    assert findings(tmp_path, {"main.py": source}) == expected


def test_requirements_txt_options_install_nothing(tmp_path: Path) -> None:
    """rc2's build drops the lines of requirements.txt that start with `-` (runpod-app-api.md
    5.3): `--pre` names no distribution that deployed workers have. The private module's
    distribution is guessed without its underscore (it read '-pre')."""
    source = HEAD + '\n@app.queue(name="work", cpu="cpu3c-1-2")\ndef work():\n    import _pre\n'
    assert findings(tmp_path, {"requirements.txt": "--pre\n", "main.py": source}) == [
        "main.py:9:4-9:15 FL303 warning: '_pre' is not a dependency of 'work'",
        "note: rp flash dev and tasks run the whole module on a worker that installs only the "
        "called resource's dependencies (requirements.txt is not read): importing '_pre' "
        "(distribution 'pre') fails there",
        "note: It is not in requirements.txt or the dependencies of App 'shop' either: deployed "
        "workers fail too",
        'note: Add "pre" to dependencies=[...]',
        'fix (safe=True): Add dependencies=["pre"]',
        "  edit main.py:7:39-7:39 ', dependencies=[\"pre\"]'",
    ]
