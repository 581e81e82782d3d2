"""FL501-FL503, FL510, FL515 (rules/hardware.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`), so a changed word, a
dropped note or a fix that is offered when it should not be (or the reverse) fails it. See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

HEADER = (
    "from runpod_flash import (Endpoint, GpuGroup, GpuType, CpuInstanceType, DataCenter, "
    "CudaVersion, NetworkVolume, PodTemplate, ServerlessScalerType)\n"
)


pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, source: str, prefix: str = "FL5") -> list[str]:
    """Every line of every finding whose code starts with ``prefix`` in worker.py."""
    found = check(root, {"worker.py": source})
    return [line for d in found if d.code.startswith(prefix) for line in full(d)]


def one(args: str) -> str:
    """worker.py with one endpoint; the decorator is on line 3."""
    return f"{HEADER}\n@Endpoint({args})\nasync def work(x: int):\n    return x\n"


# ---------------------------------------------------------------------------------------------
# FL501


def test_fl501_every_endpoint_is_checked_and_the_later_keyword_is_reported(
    tmp_path: Path,
) -> None:
    source = (
        "from runpod_flash import Endpoint, GpuGroup\n"
        '\n@Endpoint(name="a", gpu=GpuGroup.ADA_24)\ndef a(): ...\n'
        '\n@Endpoint(name="b", gpu=pick(), cpu="cpu3c-1-2")\ndef b(): ...\n'
        '\n@Endpoint(name="c", cpu="cpu3c-1-2", gpu=GpuGroup.ADA_24)\ndef c(): ...\n'
    )
    assert findings(tmp_path, source, "FL501") == [
        "worker.py:9:37-9:56 FL501 error: endpoint 'c' sets both gpu= and cpu=",
        "note: flash build fails with ValueError: gpu and cpu are mutually exclusive",
        "note: keep gpu= for a GPU endpoint or cpu= for a CPU endpoint",
        "related worker.py:9:20-9:35: cpu= given here",
    ]


# ---------------------------------------------------------------------------------------------
# FL502


def test_fl502_any_in_another_case_is_gpugroup_any(tmp_path: Path) -> None:
    # "Any" spells GpuGroup.ANY and GpuType.ANY alike: the group is the one offered.
    assert findings(tmp_path, one('name="w", gpu="Any"')) == [
        "worker.py:3:24-3:29 FL502 error: gpu='Any' of endpoint 'w' is a bare string",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, "
        "got str",
        "note: use GpuGroup.ANY",
        "fix (safe=True): Use GpuGroup.ANY",
        "  edit worker.py:3:24-3:29 'GpuGroup.ANY'",
    ]


def test_fl502_any_in_a_list_in_another_spelling(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", gpu=["a-n-y"]')) == [
        "worker.py:3:25-3:32 FL502 error: 'a-n-y' is not a GpuGroup/GpuType value of endpoint 'w'",
        "note: strings in gpu=[...] are matched exactly by value",
        "note: use 'any'",
        "fix (safe=True): Use 'any'",
        "  edit worker.py:3:25-3:32 '\"any\"'",
    ]


def test_fl502_bare_string_typo_gets_a_hint_but_no_fix(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", gpu="ADA_42"')) == [
        "worker.py:3:24-3:32 FL502 error: gpu='ADA_42' of endpoint 'w' is a bare string",
        "note: flash build fails with ValueError: gpu must be a GpuGroup, GpuType, or list, "
        "got str",
        "note: use a GpuGroup or GpuType member (did you mean 'ADA_24'?)",
    ]


def test_fl502_list_string_typo_gets_an_unsafe_fix(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", gpu=["NVIDIA L5"]')) == [
        "worker.py:3:25-3:36 FL502 error: 'NVIDIA L5' is not a GpuGroup/GpuType value of "
        "endpoint 'w'",
        "note: pydantic rejects it and flash build fails",
        "note: did you mean 'NVIDIA L4'?",
        "fix (safe=False): Use 'NVIDIA L4'",
        "  edit worker.py:3:25-3:36 '\"NVIDIA L4\"'",
    ]


def test_fl502_other_enum_member_in_a_list_has_no_type_error_note(tmp_path: Path) -> None:
    # Inside a list the list is fine: only the entry is wrong (no "got DataCenter").
    assert findings(tmp_path, one('name="w", gpu=[DataCenter.EU_RO_1]')) == [
        "worker.py:3:25-3:43 FL502 error: DataCenter.EU_RO_1 of endpoint 'w' is not a GPU",
        "note: gpu= takes GpuGroup or GpuType members",
    ]


def test_fl502_gputype_member_that_is_a_group(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", gpu=GpuType.ADA_24')) == [
        "worker.py:3:24-3:38 FL502 error: unknown GpuType.ADA_24 on endpoint 'w'",
        "note: flash build fails with AttributeError: ADA_24",
        "note: it is a GpuGroup: use GpuGroup.ADA_24",
        "fix (safe=True): Use GpuGroup.ADA_24",
        "  edit worker.py:3:24-3:38 'GpuGroup.ADA_24'",
    ]


def test_fl502_a_close_member_of_the_other_enum_is_not_offered_as_certain(
    tmp_path: Path,
) -> None:
    # NVIDIA_L5 is close to GpuType.NVIDIA_L4 but not a spelling of it.
    assert findings(tmp_path, one('name="w", gpu=GpuGroup.NVIDIA_L5')) == [
        "worker.py:3:24-3:42 FL502 error: unknown GpuGroup.NVIDIA_L5 on endpoint 'w'",
        "note: flash build fails with AttributeError: NVIDIA_L5",
        "note: see the GpuGroup members for the available GPUs",
    ]


def test_fl502_member_in_another_case_is_replaced_safely(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", gpu=GpuType.NVIDIA_A100_80GB_PCIE')) == [
        "worker.py:3:24-3:53 FL502 error: unknown GpuType.NVIDIA_A100_80GB_PCIE on endpoint 'w'",
        "note: flash build fails with AttributeError: NVIDIA_A100_80GB_PCIE",
        "note: use GpuType.NVIDIA_A100_80GB_PCIe",
        "fix (safe=True): Use GpuType.NVIDIA_A100_80GB_PCIe",
        "  edit worker.py:3:24-3:53 'GpuType.NVIDIA_A100_80GB_PCIe'",
    ]


def test_fl502_no_fix_to_the_other_enum_when_it_is_not_imported(tmp_path: Path) -> None:
    source = (
        "from runpod_flash import Endpoint, GpuGroup\n"
        '\n@Endpoint(name="a", gpu=GpuGroup.NVIDIA_L4)\ndef a(): ...\n'
    )
    assert findings(tmp_path, source) == [
        "worker.py:3:24-3:42 FL502 error: unknown GpuGroup.NVIDIA_L4 on endpoint 'a'",
        "note: flash build fails with AttributeError: NVIDIA_L4",
        "note: it is a GpuType: use GpuType.NVIDIA_L4",
    ]


# ---------------------------------------------------------------------------------------------
# FL503


def test_fl503_string_like_no_instance_lists_the_valid_values(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", cpu="zzz"')) == [
        "worker.py:3:24-3:29 FL503 error: 'zzz' is not a CpuInstanceType of endpoint 'w'",
        "note: flash build fails with ValueError: 'zzz' is not a valid CpuInstanceType",
        "note: valid: cpu3g-1-4, cpu3g-2-8, cpu3g-4-16, cpu3g-8-32, cpu3c-1-2, cpu3c-2-4, "
        "cpu3c-4-8, cpu3c-8-16, cpu5c-1-2, cpu5c-2-4, cpu5c-4-8, cpu5c-8-16",
    ]


def test_fl503_member_like_no_instance_has_no_fix(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", cpu=CpuInstanceType.ZZZZZZZZZ')) == [
        "worker.py:3:24-3:49 FL503 error: unknown CpuInstanceType.ZZZZZZZZZ on endpoint 'w'",
        "note: flash build fails with AttributeError: ZZZZZZZZZ",
    ]


def test_fl503_list_entries_of_other_types_are_shown_as_written(tmp_path: Path) -> None:
    source = (
        "from runpod_flash import Endpoint, DataCenter as DC\n"
        '\n@Endpoint(name="w", cpu=[3, 0x10, DC.EU_RO_1])\ndef w(): ...\n'
    )
    use = 'note: use a CpuInstanceType member or its value, e.g. "cpu3c-1-2"'
    assert findings(tmp_path, source) == [
        "worker.py:3:25-3:26 FL503 error: 3 is not a CpuInstanceType of endpoint 'w'",
        use,
        "worker.py:3:28-3:32 FL503 error: 0x10 is not a CpuInstanceType of endpoint 'w'",
        use,
        "worker.py:3:34-3:44 FL503 error: DataCenter.EU_RO_1 is not a CpuInstanceType of "
        "endpoint 'w'",
        use,
    ]


def test_fl503_other_enum_member_alone(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", cpu=DataCenter.EU_RO_1')) == [
        "worker.py:3:24-3:42 FL503 error: DataCenter.EU_RO_1 is not a CpuInstanceType of "
        "endpoint 'w'",
        'note: use a CpuInstanceType member or its value, e.g. "cpu3c-1-2"',
    ]


# ---------------------------------------------------------------------------------------------
# FL510


def test_fl510_member_in_another_case_is_replaced_safely(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", min_cuda_version=CudaVersion.v12_8')) == [
        "worker.py:3:37-3:54 FL510 error: unknown CudaVersion.v12_8 on endpoint 'w'",
        "note: flash build fails with AttributeError: v12_8",
        "note: use CudaVersion.V12_8",
        "fix (safe=True): Use CudaVersion.V12_8",
        "  edit worker.py:3:37-3:54 'CudaVersion.V12_8'",
    ]


def test_fl510_float_that_is_no_version_is_not_quoted(tmp_path: Path) -> None:
    assert findings(tmp_path, one('name="w", min_cuda_version=12.10')) == [
        "worker.py:3:37-3:42 FL510 error: 12.10 is not a CudaVersion of endpoint 'w'",
        "note: flash build fails: 12.10 is not a valid CudaVersion",
        "note: use a CudaVersion member or one of: 11.8, 12.0, 12.1, 12.2, 12.3, 12.4, 12.5, "
        "12.6, 12.7, 12.8, 12.9, 13.0",
    ]


# ---------------------------------------------------------------------------------------------
# FL515


def test_fl515_every_cpu_endpoint_is_checked_against_its_smallest_instance(
    tmp_path: Path,
) -> None:
    source = (
        "from runpod_flash import Endpoint, PodTemplate\n"
        "tpl = make_template()\n"
        '\n@Endpoint(name="a", cpu="cpu3c-1-2", template=tpl)\ndef a(): ...\n'
        '\n@Endpoint(name="b", cpu="cpu3c-1-2", template=PodTemplate())\ndef b(): ...\n'
        '\n@Endpoint(name="c", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb="50"))\n'
        "def c(): ...\n"
        '\n@Endpoint(name="d", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=10))\n'
        "def d(): ...\n"
        '\n@Endpoint(name="e", cpu=["cpu3c-1-2", "cpu3c-2-4"], '
        "template=PodTemplate(containerDiskInGb=50))\ndef e(): ...\n"
    )
    assert findings(tmp_path, source, "FL515") == [
        "worker.py:16:91-16:93 FL515 error: container disk 50 GB of endpoint 'e' exceeds 10 GB",
        "note: flash build fails: Container disk size 50GB exceeds the maximum allowed for CPU "
        "instances",
        "note: the maximum for cpu3c-1-2, cpu3c-2-4 is 10 GB: use at most 10 or a larger "
        "instance type",
        "fix (safe=False): Use 10 GB",
        "  edit worker.py:16:91-16:93 '10'",
    ]
