"""rules/endpoint_arguments.py, how the FL5xx rules read Endpoint(...) and legacy resources:
the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full, load_app, write_app

from flash_ls.rules.endpoint_arguments import contexts, member_text

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], *prefixes: str) -> list[str]:
    found = check(root, files)
    return [line for d in found if d.code.startswith(prefixes) for line in full(d)]


# Legacy resources: a CPU resource without instanceIds (the default instance), with them, a GPU
# resource (no FL515), one with **OPTS (its instances are not known); camelCase idleTimeout; a
# python_version known only at run time.
LEGACY = (
    "from runpod_flash import remote, CpuLiveServerless, LiveServerless, PodTemplate\n"
    "\n"
    "OPTS = {}\n"
    'a = CpuLiveServerless(name="a", template=PodTemplate(containerDiskInGb=50), idleTimeout=0)\n'
    'b = CpuLiveServerless(name="b", instanceIds=["cpu3c-2-4"], template=PodTemplate(containerDiskInGb=50))\n'
    'c = LiveServerless(name="c", template=PodTemplate(containerDiskInGb=50), python_version=pick())\n'
    'd = CpuLiveServerless(name="d", **OPTS, template=PodTemplate(containerDiskInGb=50))\n'
    "\n"
    "@remote(a)\n"
    "async def fa(): ...\n"
    "\n"
    "@remote(b)\n"
    "async def fb(): ...\n"
    "\n"
    "@remote(c)\n"
    "async def fc(): ...\n"
    "\n"
    "@remote(d)\n"
    "async def fd(): ...\n"
)


def test_legacy_resources_instances_and_camel_case_fields(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": LEGACY}, "FL5", "FL903") == [
        "worker.py:4:32-4:74 FL509 info: flash deploy ignores template= of endpoint 'a'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:4:71-4:73 FL515 error: container disk 50 GB of endpoint 'a' exceeds 20 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU instances",
        "note: the maximum for cpu3g-2-8 is 20 GB: use at most 20 or a larger instance type",
        "fix (safe=False): Use 20 GB",
        "  edit worker.py:4:71-4:73 '20'",
        "worker.py:4:88-4:89 FL505 error: idleTimeout=0 of endpoint 'a' is outside 1..3600 seconds",
        "note: flash build fails: idleTimeout must be between 1 and 3600 seconds",
        "worker.py:5:59-5:101 FL509 info: flash deploy ignores template= of endpoint 'b'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:5:98-5:100 FL515 error: container disk 50 GB of endpoint 'b' exceeds 20 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU instances",
        "note: the maximum for cpu3c-2-4 is 20 GB: use at most 20 or a larger instance type",
        "fix (safe=False): Use 20 GB",
        "  edit worker.py:5:98-5:100 '20'",
        "worker.py:6:29-6:71 FL509 info: flash deploy ignores template= of endpoint 'c'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:6:88-6:94 FL903 hint: python_version= is only known at run time (`pick()`)",
        "note: flash-ls cannot check python_version= of endpoint 'c'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:7:32-7:38 FL903 hint: arguments in `**OPTS` are only known at run time",
        "note: flash-ls cannot check them on endpoint 'd'",
        "note: pass them as keywords",
        "worker.py:7:40-7:82 FL509 info: flash deploy ignores template= of endpoint 'd'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
    ]


# CPU instances as a value and a member, unknown ones (no FL515: the limit is not known), and
# datacenters FL507 cannot name (FL506 reports them).
CPU = (
    "from runpod_flash import Endpoint, CpuInstanceType, DataCenter, PodTemplate\n"
    "\n"
    '@Endpoint(name="a", cpu=["cpu3c-1-2", CpuInstanceType.CPU3C_2_4], template=PodTemplate(containerDiskInGb=50))\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", cpu="zzz", template=PodTemplate(containerDiskInGb=50), datacenter="MOON-1")\n'
    "async def b(): ...\n"
    "\n"
    '@Endpoint(name="c", cpu=CpuInstanceType.NOPE, template=PodTemplate(containerDiskInGb=50), datacenter=DataCenter.NOWHERE)\n'
    "async def c(): ...\n"
    "\n"
    '@Endpoint(name="d", cpu=CpuInstanceType.CPU3C_2_4, template=PodTemplate(containerDiskInGb=50))\n'
    "async def d(): ...\n"
)


def test_cpu_instances_and_unknown_datacenters(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": CPU}, "FL5") == [
        "worker.py:3:66-3:108 FL509 info: flash deploy ignores template= of endpoint 'a'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:3:105-3:107 FL515 error: container disk 50 GB of endpoint 'a' exceeds 10 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU instances",
        "note: the maximum for cpu3c-1-2, cpu3c-2-4 is 10 GB: use at most 10 or a larger instance type",
        "fix (safe=False): Use 10 GB",
        "  edit worker.py:3:105-3:107 '10'",
        "worker.py:6:24-6:29 FL503 error: 'zzz' is not a CpuInstanceType of endpoint 'b'",
        "note: flash build fails with ValueError: 'zzz' is not a valid CpuInstanceType",
        "note: valid: cpu3g-1-4, cpu3g-2-8, cpu3g-4-16, cpu3g-8-32, cpu3c-1-2, cpu3c-2-4, cpu3c-4-8, cpu3c-8-16, cpu5c-1-2, cpu5c-2-4, cpu5c-4-8, cpu5c-8-16",
        "worker.py:6:31-6:73 FL509 info: flash deploy ignores template= of endpoint 'b'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:6:86-6:94 FL506 error: unknown datacenter 'MOON-1' on endpoint 'b'",
        "note: flash build fails: Unknown datacenter 'MOON-1'",
        "note: valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "note: did you mean 'US-MO-1'?",
        "worker.py:9:24-9:44 FL503 error: unknown CpuInstanceType.NOPE on endpoint 'c'",
        "note: flash build fails with AttributeError: NOPE",
        "worker.py:9:46-9:88 FL509 info: flash deploy ignores template= of endpoint 'c'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:9:101-9:119 FL506 error: unknown DataCenter.NOWHERE on endpoint 'c'",
        "note: flash build fails with AttributeError: NOWHERE",
        "note: valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "worker.py:12:51-12:93 FL509 info: flash deploy ignores template= of endpoint 'd'",
        "note: the deployed endpoint gets the default template (container disk 64 GB on GPU, the instance maximum on CPU)",
        "note: it only takes effect in flash dev / live mode",
        "worker.py:12:90-12:92 FL515 error: container disk 50 GB of endpoint 'd' exceeds 20 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU instances",
        "note: the maximum for cpu3c-2-4 is 20 GB: use at most 20 or a larger instance type",
        "fix (safe=False): Use 20 GB",
        "  edit worker.py:12:90-12:92 '20'",
    ]


# How a fix spells an enum: through `import runpod_flash as rf` when the class is not imported
# (the guarded import does not count, nor `import os`); a member spelled through the module; a
# single-quoted string keeps its quotes, also in a constant of the same file (reported there);
# a value of exactly 30 characters is shown whole, 31 are cut.
REFS = (
    "from typing import TYPE_CHECKING\n"
    "import os\n"
    "import runpod_flash as rf\n"
    "from runpod_flash import Endpoint\n"
    "A = 1\n"
    "GPU = 'NVIDIA_L4'\n"
    "if TYPE_CHECKING:\n"
    "    from runpod_flash import GpuGroup\n"
    "\n"
    '@Endpoint(name="a", gpu="ADA_24")\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", gpu=rf.GpuType.NVIDIA_A100_80GB_PCIE)\n'
    "async def b(): ...\n"
    "\n"
    "@Endpoint(name=\"c\", gpu=['NVIDIA_L4', GPU])\n"
    "async def c(): ...\n"
    "\n"
    '@Endpoint(name="d", gpu=123456789012345678901234567890)\n'
    "async def d(): ...\n"
    "\n"
    '@Endpoint(name="e", gpu=1234567890123456789012345678901)\n'
    "async def e(): ...\n"
)


def test_enum_references_quotes_and_shortened_values(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": REFS}, "FL502") == [
        "worker.py:6:6-6:17 FL502 error: 'NVIDIA_L4' is not a GpuGroup/GpuType value of endpoint 'c'",
        "note: strings in gpu=[...] are matched exactly by value",
        "note: use 'NVIDIA L4'",
        "fix (safe=True): Use 'NVIDIA L4'",
        "  edit worker.py:6:6-6:17 \"'NVIDIA L4'\"",
        "worker.py:10:24-10:32 FL502 error: gpu='ADA_24' of endpoint 'a' is a bare string",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got str",
        "note: use GpuGroup.ADA_24",
        "fix (safe=True): Use rf.GpuGroup.ADA_24",
        "  edit worker.py:10:24-10:32 'rf.GpuGroup.ADA_24'",
        "worker.py:13:24-13:56 FL502 error: unknown GpuType.NVIDIA_A100_80GB_PCIE on endpoint 'b'",
        "note: flash build fails with AttributeError: NVIDIA_A100_80GB_PCIE",
        "note: use GpuType.NVIDIA_A100_80GB_PCIe",
        "fix (safe=True): Use GpuType.NVIDIA_A100_80GB_PCIe",
        "  edit worker.py:13:24-13:56 'rf.GpuType.NVIDIA_A100_80GB_PCIe'",
        "worker.py:16:25-16:36 FL502 error: 'NVIDIA_L4' is not a GpuGroup/GpuType value of endpoint 'c'",
        "note: strings in gpu=[...] are matched exactly by value",
        "note: use 'NVIDIA L4'",
        "fix (safe=True): Use 'NVIDIA L4'",
        "  edit worker.py:16:25-16:36 \"'NVIDIA L4'\"",
        "worker.py:19:24-19:54 FL502 error: gpu=123456789012345678901234567890 of endpoint 'd' is not a GPU",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got int",
        "worker.py:22:24-22:55 FL502 error: gpu=123456789012345678901234567... of endpoint 'e' is not a GPU",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got int",
    ]


# Tuples: from another file (named in a note, no fix), a set in parentheses (no fix), inner
# parentheses first or last, blanks inside the parentheses; a tuple whose first element is
# parenthesised keeps its own parentheses in messages. A long value from another file is cut
# at 40 characters.
TUPLES = (
    "from runpod_flash import Endpoint, GpuGroup\n"
    "from consts import GPUS, LONG\n"
    "\n"
    '@Endpoint(name="a", gpu=GPUS)\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", gpu=({GpuGroup.ADA_24}))\n'
    "async def b(): ...\n"
    "\n"
    '@Endpoint(name="c", gpu=(GpuGroup.ADA_24, (GpuGroup.AMPERE_24)))\n'
    "async def c(): ...\n"
    "\n"
    '@Endpoint(name="d", gpu=((GpuGroup.ADA_24), (GpuGroup.AMPERE_24)))\n'
    "async def d(): ...\n"
    "\n"
    '@Endpoint(name="e", gpu=( GpuGroup.ADA_24, ))\n'
    "async def e(): ...\n"
    "\n"
    '@Endpoint(name="f", workers=((0, 1), 3, 4))\n'
    "async def f(): ...\n"
    "\n"
    '@Endpoint(name="g", workers=("(", 1, ")"))\n'
    "async def g(): ...\n"
    "\n"
    '@Endpoint(name="h", gpu=[LONG])\n'
    "async def h(): ...\n"
)
CONSTS = (
    "from runpod_flash import GpuGroup\n"
    "\n"
    "GPUS = (GpuGroup.ADA_24,)\n"
    'LONG = "NVIDIA GeForce RTX 4090 or so, maybe!!!"\n'
)


def test_tuples_to_lists_and_values_from_other_files(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"worker.py": TUPLES, "consts.py": CONSTS}
    assert findings(tmp_path, files, "FL50") == [
        "worker.py:4:24-4:28 FL502 error: gpu= of endpoint 'a' is a tuple, not a list",
        "note: the value is (GpuGroup.ADA_24,) in consts.py",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got tuple",
        "note: use a list",
        "worker.py:7:25-7:42 FL502 error: gpu= of endpoint 'b' is a set, not a list",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got set",
        "note: use a list",
        "worker.py:10:25-10:62 FL502 error: gpu= of endpoint 'c' is a tuple, not a list",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got tuple",
        "note: use a list",
        "fix (safe=True): Use a list",
        "  edit worker.py:10:24-10:63 '[GpuGroup.ADA_24, (GpuGroup.AMPERE_24)]'",
        "worker.py:13:25-13:64 FL502 error: gpu= of endpoint 'd' is a tuple, not a list",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got tuple",
        "note: use a list",
        "fix (safe=True): Use a list",
        "  edit worker.py:13:24-13:65 '[(GpuGroup.ADA_24), (GpuGroup.AMPERE_24)]'",
        "worker.py:16:26-16:42 FL502 error: gpu= of endpoint 'e' is a tuple, not a list",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got tuple",
        "note: use a list",
        "fix (safe=True): Use a list",
        "  edit worker.py:16:24-16:44 '[GpuGroup.ADA_24,]'",
        "worker.py:19:29-19:41 FL504 error: workers=((0, 1), 3, 4) of endpoint 'f' is malformed",
        "note: flash build fails with ValueError: workers must be an int or (min, max) tuple, got tuple: ((0, 1), 3, 4)",
        "note: use workers=(min, max), e.g. (0, 3)",
        'worker.py:22:29-22:40 FL504 error: workers=("(", 1, ")") of endpoint \'g\' is malformed',
        'note: flash build fails with ValueError: workers must be an int or (min, max) tuple, got tuple: ("(", 1, ")")',
        "note: use workers=(min, max), e.g. (0, 3)",
        "worker.py:25:25-25:29 FL502 error: 'NVIDIA GeForce RTX 4090 or... is not a GpuGroup/GpuType value of endpoint 'h'",
        'note: the value is "NVIDIA GeForce RTX 4090 or so, maybe... in consts.py',
        "note: pydantic rejects it and flash build fails",
        "note: did you mean 'NVIDIA GeForce RTX 4090'?",
    ]


# FL903: a value inside a structured call (PodTemplate(env=...), NetworkVolume(name=...)), the
# enum class itself (known), names bound at run time or by another library, an attribute of a
# member, a computed name.
RUNTIME = (
    "from runpod_flash import Endpoint, GpuGroup, NetworkVolume, PodTemplate\n"
    "from mylib import thing\n"
    "\n"
    '@Endpoint(name="a", gpu=GpuGroup, template=PodTemplate(env={"A": make()}))\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", gpu=runtime_name, volume=NetworkVolume(name=make()))\n'
    "async def b(): ...\n"
    "\n"
    '@Endpoint(name="c", gpu=thing)\n'
    "async def c(): ...\n"
    "\n"
    '@Endpoint(name="d", gpu=GpuGroup.ADA_24.value)\n'
    "async def d(): ...\n"
    "\n"
    "@Endpoint(name=make_name())\n"
    "async def e(): ...\n"
)


def test_fl903_finds_the_unknown_part(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": RUNTIME}, "FL502", "FL903") == [
        "worker.py:4:24-4:32 FL502 error: gpu=GpuGroup of endpoint 'a' is the enum itself",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list",
        "note: pick a member, e.g. GpuGroup.ANY",
        "worker.py:4:65-4:71 FL903 hint: template= is only known at run time (`make()`)",
        "note: flash-ls cannot check template= of endpoint 'a'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:7:24-7:36 FL903 hint: gpu= is only known at run time (`runtime_name`)",
        "note: flash-ls cannot check gpu= of endpoint 'b'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:7:64-7:70 FL903 hint: volume= is only known at run time (`make()`)",
        "note: flash-ls cannot check volume= of endpoint 'b'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:10:24-10:29 FL903 hint: gpu= is only known at run time (`thing`)",
        "note: flash-ls cannot check gpu= of endpoint 'c'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:13:24-13:45 FL903 hint: gpu= is only known at run time (`GpuGroup.ADA_24.value`)",
        "note: flash-ls cannot check gpu= of endpoint 'd'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:16:15-16:26 FL903 hint: name= is only known at run time (`make_name()`)",
        "note: flash-ls cannot check name= of the endpoint of 'e'",
        "note: use a literal or a module-level constant to have it checked",
    ]


# workers entries that are floats: int() truncates 3.5 to 3 (then min is above max), and an
# infinity (1e999) cannot be int()-ed.
FLOATS = (
    "from runpod_flash import Endpoint\n"
    "\n"
    '@Endpoint(name="a", workers=(3.5, 1))\n'
    "async def a(): ...\n"
    "\n"
    '@Endpoint(name="b", workers=(0, 1e999))\n'
    "async def b(): ...\n"
)


def test_fl504_float_entries_are_truncated_and_infinity_is_not_a_number(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": FLOATS}, "FL504") == [
        "worker.py:3:29-3:35 FL504 error: workers=(3, 1) of endpoint 'a' has min above max",
        "note: flash build fails with ValueError: workers min (3) cannot exceed max (1)",
        "note: write workers=(1, 3) if you meant that range",
        "worker.py:6:32-6:37 FL504 error: workers entry 1e999 of endpoint 'b' is not a number",
        "note: the SDK calls int() on it and flash build fails",
        "note: use workers=(min, max) with integers",
    ]


# A CPU endpoint's datacenters FL507 cannot name (an unknown string, an unknown member) are
# skipped, the known one outside EU-RO-1 is reported; a legacy CPU resource whose instanceIds
# are enum members has its disk limit checked.
CPU_PLACES = (
    "from runpod_flash import remote, Endpoint, CpuInstanceType, CpuLiveServerless, DataCenter, PodTemplate\n"
    "\n"
    'a = CpuLiveServerless(name="a", instanceIds=[CpuInstanceType.CPU3C_1_2], template=PodTemplate(containerDiskInGb=50))\n'
    "\n"
    "@remote(a)\n"
    "async def fa(): ...\n"
    "\n"
    '@Endpoint(name="b", cpu="cpu3c-1-2", datacenter=["MOON-1", DataCenter.NOWHERE, DataCenter.US_CA_2])\n'
    "async def b(): ...\n"
)


def test_cpu_datacenters_fl507_cannot_name_and_legacy_instance_members(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": CPU_PLACES}, "FL507", "FL515") == [
        "worker.py:3:112-3:114 FL515 error: container disk 50 GB of endpoint 'a' exceeds 10 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU instances",
        "note: the maximum for cpu3c-1-2 is 10 GB: use at most 10 or a larger instance type",
        "fix (safe=False): Use 10 GB",
        "  edit worker.py:3:112-3:114 '10'",
        "worker.py:8:79-8:97 FL507 error: endpoint 'b' runs on CPU, which is not available in US-CA-2",
        "note: flash build fails: CPU endpoints are not available in: US-CA-2",
        "note: supported CPU data centers: EU-RO-1; use DataCenter.EU_RO_1 or leave datacenter= out",
    ]


# FL903: a name given positionally, python_version= of a legacy resource read from another
# module, a remote() whose config is imported (no resource call to read: nothing reported, no
# crash); a volume mapping and a structured call nested in another are all static (nothing).
RUNTIME_MORE = (
    "import sys\n"
    "from runpod_flash import remote, Endpoint, LiveServerless, NetworkVolume, PodTemplate\n"
    "from configs import shared\n"
    "\n"
    'g = LiveServerless(name="g", python_version=sys.version)\n'
    "\n"
    "@remote(g)\n"
    "async def fg(): ...\n"
    "\n"
    "@remote(shared)\n"
    "async def fs(): ...\n"
    "\n"
    "@Endpoint(make_name())\n"
    "async def e(): ...\n"
    "\n"
    '@Endpoint(name="v", volume={"/data": NetworkVolume(name="v")})\n'
    "async def v(): ...\n"
    "\n"
    '@Endpoint(name="t", template=PodTemplate(name="t", env=[PodTemplate(name="u")]))\n'
    "async def t(): ...\n"
)


def test_fl903_positional_name_remote_configs_and_nested_structured_calls(
    tmp_path: Path,
) -> None:
    assert findings(tmp_path, {"worker.py": RUNTIME_MORE}, "FL903") == [
        "worker.py:5:44-5:55 FL903 hint: python_version= is only known at run time (`sys.version`)",
        "note: flash-ls cannot check python_version= of endpoint 'g'",
        "note: use a literal or a module-level constant to have it checked",
        "worker.py:13:10-13:21 FL903 hint: name= is only known at run time (`make_name()`)",
        "note: flash-ls cannot check name= of the endpoint of 'e'",
        "note: use a literal or a module-level constant to have it checked",
    ]


# App API resources (enums of `runpod`): rc2's messages show a value holding an enum member as
# written, not as a Python repr (a list, a mapping's value or key); the members of a list, also
# of a constant in another file, are the app API's own.
APP_API = (
    "import runpod\n"
    "from runpod import DataCenter\n"
    "from consts import DCS\n"
    "\n"
    'app = runpod.App("shop")\n'
    "\n"
    '@app.queue(name="d1", datacenter=[DataCenter.EU_RO_1, "MOON-1", DataCenter.NOPE])\n'
    "def d1(): ...\n"
    "\n"
    '@app.queue(name="d2", datacenter=DCS)\n'
    "def d2(): ...\n"
    "\n"
    '@app.queue(name="w1", workers={"a": DataCenter.EU_RO_1})\n'
    "def w1(): ...\n"
    "\n"
    '@app.queue(name="w2", workers={DataCenter.EU_RO_1: 1})\n'
    "def w2(): ...\n"
)
APP_API_CONSTS = "from runpod import DataCenter\n\nDCS = [DataCenter.NOPE]\n"


def test_app_api_values_as_written_and_members_of_runpod(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"main.py": APP_API, "consts.py": APP_API_CONSTS}
    assert findings(tmp_path, files, "FL504", "FL506") == [
        "main.py:7:54-7:62 FL506 error: unknown datacenter 'MOON-1' on resource 'd1'",
        'note: The SDK raises when the decorator runs: InvalidResourceError: invalid datacenter: [DataCenter.EU_RO_1, "MOON-1", DataCenter.NOPE]',
        "note: Its cause: unknown datacenter 'MOON-1'. valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "note: Did you mean 'US-MO-1'?",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "main.py:7:64-7:79 FL506 error: unknown DataCenter.NOPE on resource 'd1'",
        "note: The module fails to import with AttributeError: NOPE",
        "note: Valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "main.py:10:33-10:36 FL506 error: unknown DataCenter.NOPE on resource 'd2'",
        "note: the value is DataCenter.NOPE in consts.py",
        "note: The module fails to import with AttributeError: NOPE",
        "note: Valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "main.py:13:30-13:55 FL504 error: workers={\"a\": DataCenter.EU_RO_1} of resource 'w1' is malformed",
        'note: The SDK raises when the decorator runs: InvalidResourceError: workers must be an int or (min, max) tuple, got {"a": DataCenter.EU_RO_1}',
        "note: Use workers=max or workers=(min, max), e.g. (0, 3)",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
        "main.py:16:30-16:53 FL504 error: workers={DataCenter.EU_RO_1: 1} of resource 'w2' is malformed",
        "note: The SDK raises when the decorator runs: InvalidResourceError: workers must be an int or (min, max) tuple, got {DataCenter.EU_RO_1: 1}",
        "note: Use workers=max or workers=(min, max), e.g. (0, 3)",
        "note: Deploying the file fails; a directory deploy skips it and its resources",
    ]


# A string constant behind more aliases than flash-ls follows in one step: reported at the alias
# reached, whose fix quotes with '"' (the name has no quote to keep). A tuple whose ")" is on
# another line than its last element gets no fix.
CHAIN = "".join(f"G{i} = G{i - 1}\n" for i in range(1, 21))  # G1 = G0 ... G20 = G19
ALIASES = (
    "from runpod_flash import Endpoint, GpuGroup\n"
    "\n"
    'G0 = "NVIDIA_L4"\n'
    f"{CHAIN}"
    "\n"
    '@Endpoint(name="a", gpu=[G20])\n'
    "async def a(): ...\n"
    "\n"
    "@Endpoint(\n"
    '    name="b",\n'
    "    gpu=(GpuGroup.ADA_24,\n"
    "         GpuGroup.AMPERE_24,\n"
    "    ),\n"
    ")\n"
    "async def b(): ...\n"
)


def test_fl502_value_behind_a_long_alias_chain_and_a_multi_line_tuple(tmp_path: Path) -> None:
    assert findings(tmp_path, {"worker.py": ALIASES}, "FL502") == [
        "worker.py:7:5-7:7 FL502 error: 'NVIDIA_L4' is not a GpuGroup/GpuType value of endpoint 'a'",
        "note: strings in gpu=[...] are matched exactly by value",
        "note: use 'NVIDIA L4'",
        "fix (safe=True): Use 'NVIDIA L4'",
        "  edit worker.py:7:5-7:7 '\"NVIDIA L4\"'",
        "worker.py:30:9-31:28 FL502 error: gpu= of endpoint 'b' is a tuple, not a list",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, got tuple",
        "note: use a list",
    ]


# member_text keeps the enum as written, or spells it as it is given (no rule gives it yet).
def test_member_text_with_and_without_an_enum_reference(tmp_path: Path) -> None:
    text = (
        "from runpod_flash import Endpoint, GpuType\n"
        "\n"
        '@Endpoint(name="a", gpu=GpuType.NVIDIA_L44)\n'
        "async def a(): ...\n"
    )
    [ctx] = contexts(load_app(write_app(tmp_path, {"worker.py": text})))
    node = ctx.node("gpu")
    assert node is not None
    assert member_text(node, "NVIDIA_L4") == "GpuType.NVIDIA_L4"
    assert member_text(node, "NVIDIA_L4", "rf.GpuType") == "rf.GpuType.NVIDIA_L4"


def test_a_name_in_a_file_whose_path_holds_a_colon_is_the_file_s_own(tmp_path: Path) -> None:
    # `Name` in `runpod_flash:z.py` is qualified as `runpod_flash:z:Name`: split at the first
    # colon it read as the SDK's `z:Name` and FL903 stayed quiet (a mutant found it).
    source = 'from runpod_flash import Endpoint\n\n@Endpoint(name="a", gpu=Name)\ndef a(): ...\n'
    assert findings(tmp_path, {"runpod_flash:z.py": source}, "FL903") == [
        "runpod_flash:z.py:3:24-3:28 FL903 hint: gpu= is only known at run time (`Name`)",
        "note: flash-ls cannot check gpu= of endpoint 'a'",
        "note: use a literal or a module-level constant to have it checked",
    ]
