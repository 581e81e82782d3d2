"""FL503, FL504, FL506, FL510, FL513, FL514 on app API resources (rules/app_api_values.py): the
cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
Every project here fails under runpod 2.0.0rc2 as the notes say, except the CPU instance ids
rc2 accepts (it takes any non-empty string). See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], prefix: str) -> list[str]:
    return [line for d in check(root, files) if d.code.startswith(prefix) for line in full(d)]


HEAD = (
    "import os\nimport runpod\n"
    "from runpod import CpuInstanceType, DataCenter, GlobalVolume, NetworkVolume\n\n"
    'app = runpod.App("shop")\n'
)
RAISES = "note: The SDK raises when the decorator runs: "
SKIPPED = "note: Deploying the file fails; a directory deploy skips it and its resources"
ACCEPTED = (
    "note: The SDK accepts any string here and the deploy sends it to the API as is, but it is "
    "none of the 12 CpuInstanceType values"
)
CPU_VALUES = (
    "cpu3g-1-4, cpu3g-2-8, cpu3g-4-16, cpu3g-8-32, cpu3c-1-2, cpu3c-2-4, cpu3c-4-8, cpu3c-8-16, "
    "cpu5c-1-2, cpu5c-2-4, cpu5c-4-8, cpu5c-8-16"
)
CUDA = "11.8, 12.0, 12.1, 12.2, 12.3, 12.4, 12.5, 12.6, 12.7, 12.8, 12.9, 13.0"
NOT_ABSOLUTE = f"{RAISES}VolumeError: mount paths must be absolute paths without '..'"
NOT_VOLUME = [
    f"{RAISES}VolumeError: mounts require NetworkVolume or GlobalVolume references",
    'note: Use NetworkVolume("name") or GlobalVolume("name")',
    SKIPPED,
]
TWO_NETWORK = [
    f"{RAISES}VolumeError: resources support at most one network volume",
    SKIPPED,
]

# (the decorator of `def work(): ...` at line 7 of main.py, the code, its findings)
CASES: list[tuple[str, str, list[str]]] = [
    # cpu=: an enum member of another enum; a misspelt id, with and without a guess
    (
        'app.queue(name="work", cpu=DataCenter.EU_RO_1)',
        "FL503",
        [
            "main.py:7:28-7:46 FL503 error: DataCenter.EU_RO_1 of resource 'work' is not a CPU "
            "instance type",
            "note: cpu= takes CpuInstanceType members or instance id strings",
        ],
    ),
    (
        'app.queue(name="work", cpu="cpu3c_1_2")',
        "FL503",
        [
            "main.py:7:28-7:39 FL503 error: 'cpu3c_1_2' is not a CPU instance type of resource "
            "'work'",
            ACCEPTED,
            "note: Instance ids are lower case with dashes: use 'cpu3c-1-2'",
            "fix (safe=True): Use 'cpu3c-1-2'",
            "  edit main.py:7:28-7:39 '\"cpu3c-1-2\"'",
        ],
    ),
    (
        'app.queue(name="work", cpu="cpu3c-64-128")',
        "FL503",
        [
            "main.py:7:28-7:42 FL503 error: 'cpu3c-64-128' is not a CPU instance type of resource "
            "'work'",
            ACCEPTED,
            "note: Did you mean 'cpu3c-4-8'?",
            "fix (safe=False): Use 'cpu3c-4-8'",
            "  edit main.py:7:28-7:42 '\"cpu3c-4-8\"'",
        ],
    ),
    (
        'app.queue(name="work", cpu="zzzzzzzzzzzzzzz")',
        "FL503",
        [
            "main.py:7:28-7:45 FL503 error: 'zzzzzzzzzzzzzzz' is not a CPU instance type of "
            "resource 'work'",
            f"{ACCEPTED}; ids have the form <flavor>-<vcpus>-<memory GB>",
            f"note: Valid: {CPU_VALUES}",
        ],
    ),
    (
        'app.queue(name="work", cpu=CpuInstanceType.cpu3c_1_2)',
        "FL503",
        [
            "main.py:7:28-7:53 FL503 error: unknown CpuInstanceType.cpu3c_1_2 on resource 'work'",
            "note: The module fails to import with AttributeError: cpu3c_1_2",
            "note: Use CpuInstanceType.CPU3C_1_2",
            SKIPPED,
            "fix (safe=True): Use CpuInstanceType.CPU3C_1_2",
            "  edit main.py:7:28-7:53 'CpuInstanceType.CPU3C_1_2'",
        ],
    ),
    (
        'app.queue(name="work", cpu=CpuInstanceType.ZZZZZZZZZZZZZ)',
        "FL503",
        [
            "main.py:7:28-7:57 FL503 error: unknown CpuInstanceType.ZZZZZZZZZZZZZ on resource "
            "'work'",
            "note: The module fails to import with AttributeError: ZZZZZZZZZZZZZ",
            SKIPPED,
        ],
    ),
    # cpu= neither a string nor a list
    (
        'app.queue(name="work", cpu=("cpu3c-1-2",))',
        "FL503",
        [
            "main.py:7:29-7:41 FL503 error: cpu=(\"cpu3c-1-2\",) of resource 'work' is not a "
            "string or list",
            f"{RAISES}InvalidResourceError: cpu must be an instance id string or list, got tuple",
            SKIPPED,
            "fix (safe=True): Use a list",
            "  edit main.py:7:28-7:42 '[\"cpu3c-1-2\",]'",
        ],
    ),
    (
        'app.queue(name="work", cpu={"cpu3c-1-2"})',
        "FL503",
        [
            "main.py:7:28-7:41 FL503 error: cpu={\"cpu3c-1-2\"} of resource 'work' is not a "
            "string or list",
            f"{RAISES}InvalidResourceError: cpu must be an instance id string or list, got set",
            SKIPPED,
        ],
    ),
    # workers=: a set (shown as written), a string (shown as its repr), a bad range
    (
        'app.queue(name="work", workers={1, 2})',
        "FL504",
        [
            "main.py:7:32-7:38 FL504 error: workers={1, 2} of resource 'work' is malformed",
            f"{RAISES}InvalidResourceError: workers must be an int or (min, max) tuple, got {{1, 2}}",
            "note: Use workers=max or workers=(min, max), e.g. (0, 3)",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", workers="3")',
        "FL504",
        [
            "main.py:7:32-7:35 FL504 error: workers=\"3\" of resource 'work' is malformed",
            f"{RAISES}InvalidResourceError: workers must be an int or (min, max) tuple, got '3'",
            "note: Use workers=max or workers=(min, max), e.g. (0, 3)",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", workers=(-1, 3))',
        "FL504",
        [
            "main.py:7:33-7:38 FL504 error: workers=(-1, 3) of resource 'work' is an invalid range",
            f"{RAISES}InvalidResourceError: invalid worker range (-1, 3)",
            "note: min must be at least 0 and max at least 1",
            SKIPPED,
        ],
    ),
    # datacenter=: a number, alone and in a list; a bad entry after one known only at run time;
    # a misspelt member, certain and not
    (
        'app.queue(name="work", datacenter=5)',
        "FL506",
        [
            "main.py:7:35-7:36 FL506 error: 5 of resource 'work' is not a datacenter",
            f"{RAISES}InvalidResourceError: invalid datacenter: 5",
            "note: Use a DataCenter member or a list of them",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", datacenter=[5])',
        "FL506",
        [
            "main.py:7:36-7:37 FL506 error: 5 of resource 'work' is not a datacenter",
            f"{RAISES}InvalidResourceError: invalid datacenter: [5]",
            "note: Use a DataCenter member or its value, e.g. 'EU-RO-1'",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", datacenter=[os.environ["DC"], "XX"])',
        "FL506",
        [
            "main.py:7:54-7:58 FL506 error: unknown datacenter 'XX' on resource 'work'",
            f'{RAISES}InvalidResourceError: invalid datacenter: [os.environ["DC"], "XX"]',
            "note: Its cause: unknown datacenter 'XX'. valid datacenters: US-CA-2, US-IL-1, "
            "US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", datacenter=DataCenter.eu_ro_1)',
        "FL506",
        [
            "main.py:7:35-7:53 FL506 error: unknown DataCenter.eu_ro_1 on resource 'work'",
            "note: The module fails to import with AttributeError: eu_ro_1",
            "note: Use DataCenter.EU_RO_1",
            SKIPPED,
            "fix (safe=True): Use DataCenter.EU_RO_1",
            "  edit main.py:7:35-7:53 'DataCenter.EU_RO_1'",
        ],
    ),
    (
        'app.queue(name="work", datacenter=DataCenter.EU_RO_7)',
        "FL506",
        [
            "main.py:7:35-7:53 FL506 error: unknown DataCenter.EU_RO_7 on resource 'work'",
            "note: The module fails to import with AttributeError: EU_RO_7",
            "note: Did you mean DataCenter.EU_RO_1?",
            SKIPPED,
            "fix (safe=False): Use DataCenter.EU_RO_1",
            "  edit main.py:7:35-7:53 'DataCenter.EU_RO_1'",
        ],
    ),
    # min_cuda_version=: a number spelt like 12.8 without its dot is no string to fix; a list
    # holding an enum member is shown as written
    (
        'app.queue(name="work", min_cuda_version=128)',
        "FL510",
        [
            "main.py:7:41-7:44 FL510 error: 128 is not a CUDA version of resource 'work'",
            f"{RAISES}InvalidResourceError: min_cuda_version must be one of {CUDA}, got 128",
            f"note: Valid: {CUDA}",
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", min_cuda_version=[DataCenter.EU_RO_1])',
        "FL510",
        [
            "main.py:7:41-7:61 FL510 error: [DataCenter.EU_RO_1] is not a CUDA version of "
            "resource 'work'",
            f"{RAISES}InvalidResourceError: min_cuda_version must be one of {CUDA}, "
            "got [DataCenter.EU_RO_1]",
            f"note: Valid: {CUDA}",
            SKIPPED,
        ],
    ),
    # another kind's keyword; a misspelling of a keyword also given (no rename to it)
    (
        'app.api(name="work", max_concurrency=2)',
        "FL514",
        [
            "main.py:7:22-7:37 FL514 error: @app.api() takes no max_concurrency= (resource 'work')",
            f"{RAISES}TypeError: App.api() got an unexpected keyword argument 'max_concurrency'",
            SKIPPED,
            "note: Only @app.queue() takes it: remove it",
        ],
    ),
    (
        'app.queue(name="work", workers=1, worker=2)',
        "FL514",
        [
            "main.py:7:35-7:41 FL514 error: unknown @app.queue() argument 'worker' on 'work'",
            f"{RAISES}TypeError: App.queue() got an unexpected keyword argument 'worker'",
            SKIPPED,
            "note: Did you mean 'workers'?",
        ],
    ),
    # mounts=: what validate_mounts rejects of the volumes
    (
        'app.task(name="work", mounts={"/a": NetworkVolume("a"), "/b": NetworkVolume("b")})',
        "FL513",
        ["main.py:7:57-7:61 FL513 error: resource 'work' mounts 2 network volumes", *TWO_NETWORK],
    ),
    (
        'app.task(name="work", mounts={"/a": runpod.apps.volume.NetworkVolume("a"), '
        '"/b": runpod.apps.volume.NetworkVolume("b")})',
        "FL513",
        ["main.py:7:76-7:80 FL513 error: resource 'work' mounts 2 network volumes", *TWO_NETWORK],
    ),
    (
        'app.task(name="work", cpu="cpu3c-1-2", mounts={"/a": GlobalVolume("a")})',
        "FL513",
        [
            "main.py:7:48-7:52 FL513 error: global volume on CPU resource 'work'",
            f"{RAISES}VolumeError: global volumes require gpu compute",
            SKIPPED,
        ],
    ),
    # mounts=: paths rc2's _mount_path rejects
    (
        'app.queue(name="work", mounts={"//runpod-volume": NetworkVolume("a")})',
        "FL513",
        [
            "main.py:7:32-7:49 FL513 error: mount path \"//runpod-volume\" of resource 'work' is "
            "not absolute",
            NOT_ABSOLUTE,
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", mounts={"/runpod-volume\\0": NetworkVolume("a")})',
        "FL513",
        [
            "main.py:7:32-7:50 FL513 error: mount path \"/runpod-volume\\0\" of resource 'work' "
            "is not absolute",
            NOT_ABSOLUTE,
            SKIPPED,
        ],
    ),
    # mounts=: no mapping, known and not; entries after one not known or already reported
    ('app.queue(name="work", mounts=os.environ.get("M"))', "FL513", []),
    (
        'app.queue(name="work", mounts=["/x"])',
        "FL513",
        [
            "main.py:7:31-7:37 FL513 error: mounts=[\"/x\"] of resource 'work' is not a mapping",
            f"{RAISES}VolumeError: mounts must map absolute paths to volume objects",
            'note: Use mounts={"/runpod-volume": NetworkVolume("...")}',
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", mounts={**dict(), "/runpod-volume": 5})',
        "FL513",
        [
            "main.py:7:60-7:61 FL513 error: mount /runpod-volume of resource 'work' is not a "
            "volume",
            *NOT_VOLUME,
        ],
    ),
    (
        'app.queue(name="work", mounts={os.environ["P"]: NetworkVolume("a"), '
        '"rel": NetworkVolume("b")})',
        "FL513",
        [
            "main.py:7:69-7:74 FL513 error: mount path \"rel\" of resource 'work' is not absolute",
            NOT_ABSOLUTE,
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", mounts={"rel": NetworkVolume("a"), "rel2": NetworkVolume("b")})',
        "FL513",
        [
            "main.py:7:32-7:37 FL513 error: mount path \"rel\" of resource 'work' is not absolute",
            NOT_ABSOLUTE,
            SKIPPED,
            "main.py:7:59-7:65 FL513 error: mount path \"rel2\" of resource 'work' is not absolute",
            NOT_ABSOLUTE,
            SKIPPED,
        ],
    ),
    (
        'app.queue(name="work", mounts={"/runpod-volume": 5, "/b": [6]})',
        "FL513",
        [
            "main.py:7:50-7:51 FL513 error: mount /runpod-volume of resource 'work' is not a "
            "volume",
            *NOT_VOLUME,
            "main.py:7:59-7:62 FL513 error: mount /b of resource 'work' is not a volume",
            *NOT_VOLUME,
        ],
    ),
    (
        'app.queue(name="work", mounts={"/runpod-volume": NetworkVolume("a"), '
        '"/runpod-volume/": NetworkVolume("b"), "rel": NetworkVolume("c")})',
        "FL513",
        [
            "main.py:7:70-7:87 FL513 error: mount path /runpod-volume of resource 'work' is "
            "given twice",
            f"{RAISES}VolumeError: duplicate mount path '/runpod-volume'",
            SKIPPED,
            "main.py:7:109-7:114 FL513 error: mount path \"rel\" of resource 'work' is not "
            "absolute",
            NOT_ABSOLUTE,
            SKIPPED,
        ],
    ),
    # overlapping paths, and still the endpoint's one-volume rule
    (
        'app.queue(name="work", mounts={"/a": NetworkVolume("a"), "/a/b": GlobalVolume("b")})',
        "FL513",
        [
            "main.py:7:32-7:36 FL513 error: resource 'work' must mount one volume at "
            "/runpod-volume",
            f"{RAISES}VolumeError: endpoints support one volume mounted at /runpod-volume",
            "note: Tasks may mount volumes elsewhere; endpoints only there",
            SKIPPED,
            "main.py:7:58-7:64 FL513 error: mount paths /a and /a/b of resource 'work' overlap",
            f"{RAISES}VolumeError: mount paths must not overlap",
            SKIPPED,
            "related main.py:7:32-7:36: /a mounted here",
        ],
    ),
]


@pytest.mark.parametrize(("decorator", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_app_api_values(tmp_path: Path, decorator: str, code: str, expected: list[str]) -> None:
    files: dict[str, str | bytes] = {"main.py": f"{HEAD}\n@{decorator}\ndef work(): ...\n"}
    assert findings(tmp_path, files, code) == expected


# The decorator's kind is the last part of its dotted name (`@main.app.api`, not `app.api`).
def test_fl514_decorator_through_a_module(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": 'import runpod\n\napp = runpod.App("shop")\n',
        "jobs.py": 'import main\n\n@main.app.api(name="work", max_concurrency=2)\ndef x(): ...\n',
    }
    assert findings(tmp_path, files, "FL514") == [
        "jobs.py:3:27-3:42 FL514 error: @app.api() takes no max_concurrency= (resource 'work')",
        f"{RAISES}TypeError: App.api() got an unexpected keyword argument 'max_concurrency'",
        SKIPPED,
        "note: Only @app.queue() takes it: remove it",
    ]


def test_max_concurrency_false_is_below_one_as_rc2_says(tmp_path: Path) -> None:
    # rc2 compares a bool like an int: `max_concurrency=False` raises (a mutant found that
    # flash-ls skipped bools).
    source = HEAD + '\n@app.queue(name="x", cpu="cpu3c-1-2", max_concurrency=False)\ndef x(): ...\n'
    assert findings(tmp_path, {"main.py": source}, "FL508") == [
        "main.py:7:54-7:59 FL508 error: max_concurrency=False of resource 'x' is below 1",
        f"{RAISES}InvalidResourceError: resource 'x': max_concurrency must be >= 1, got False",
        "note: Use 1 (one job at a time) or more",
        SKIPPED,
    ]


def test_a_decorator_written_with_a_space_after_the_dot_is_the_same_method(
    tmp_path: Path,
) -> None:
    # `@app. api(...)` is `app.api` to Python: FL514 reads the name, not the text (a mutant
    # found it taken for @app.queue()).
    source = HEAD + '\n@app. api(name="x", cpu="cpu3c-1-2", max_concurrency=2)\nclass X: ...\n'
    assert findings(tmp_path, {"main.py": source}, "FL514") == [
        "main.py:7:37-7:52 FL514 error: @app.api() takes no max_concurrency= (resource 'x')",
        f"{RAISES}TypeError: App.api() got an unexpected keyword argument 'max_concurrency'",
        SKIPPED,
        "note: Only @app.queue() takes it: remove it",
    ]
