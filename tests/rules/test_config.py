"""FL5xx: configuration values of Endpoint(...) and legacy remote() resources."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, codes, only, where

from flash_ls.diagnostic import Diagnostic, Severity
from flash_ls.fixes.apply import apply_edits

HEADER = (
    "from runpod_flash import (Endpoint, GpuGroup, GpuType, CpuInstanceType, DataCenter, "
    "CudaVersion, NetworkVolume, PodTemplate, ServerlessScalerType)\n"
)
ASYNC = "async def work(x: int):\n    return x\n"


pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def one(args: str, body: str = ASYNC, header: str = HEADER) -> dict[str, str | bytes]:
    """worker.py with one decorated endpoint; the decorator is on line 3."""
    return {"worker.py": f"{header}\n@Endpoint({args})\n{body}"}


def fl5(found: list[Diagnostic]) -> list[str]:
    return codes(found, "FL5")


def apply_fix(diagnostic: Diagnostic) -> None:
    assert diagnostic.fix is not None
    for path in {e.path for e in diagnostic.fix.edits}:
        edits = [e for e in diagnostic.fix.edits if e.path == path]
        path.write_text(apply_edits(path.read_text(), edits))


def noted(diagnostic: Diagnostic) -> str:
    """The notes of a finding, one per line (the why and the what-to-do)."""
    return "\n".join(diagnostic.notes)


def column(diagnostic: Diagnostic) -> str:
    """The source text a finding covers (single-line findings)."""
    line = diagnostic.path.read_text().splitlines()[diagnostic.span.start_line]
    return line[diagnostic.span.start_col : diagnostic.span.end_col]


# ---------------------------------------------------------------------------------------------
# Realistic apps (flash-examples patterns): nothing fires.

MIXED_WORKERS = {
    "cpu_worker.py": """
    from runpod_flash import Endpoint

    @Endpoint(name="03_cpu_preprocess", cpu="cpu3g-2-8", idle_timeout=3)
    def preprocess(text: str) -> dict:
        return {"text": text.strip()}

    @Endpoint(name="03_cpu_postprocess", cpu="cpu3g-2-8", idle_timeout=3)
    def postprocess(result: dict) -> dict:
        return result
    """,
    "gpu_worker.py": """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="03_gpu_inference", gpu=GpuGroup.ADA_24, workers=(0, 3))
    async def gpu_inference(payload: dict) -> dict:
        import torch
        return {"cuda": torch.cuda.is_available()}
    """,
    "pipeline.py": """
    from runpod_flash import Endpoint

    pipeline = Endpoint(name="03_pipeline", cpu="cpu3c-1-2")

    @pipeline.post("/classify")
    async def classify(text: str) -> dict:
        from cpu_worker import preprocess
        from gpu_worker import gpu_inference
        return await gpu_inference(await preprocess(text))
    """,
}

AUTOSCALING = {
    "gpu_worker.py": """
    from runpod_flash import Endpoint, GpuGroup, ServerlessScalerType

    @Endpoint(
        name="scale-to-zero",
        gpu=GpuGroup.ADA_24,
        workers=(0, 3),
        idle_timeout=300,
        scaler_type=ServerlessScalerType.QUEUE_DELAY,
        scaler_value=4,
    )
    async def scale_to_zero(x: int) -> int:
        return x

    @Endpoint(
        name="burst",
        gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24, "AMPERE_48", "NVIDIA L4"],
        workers=(0, 10),
        scaler_type=ServerlessScalerType.REQUEST_COUNT,
        scaler_value=1,
        max_concurrency=8,
        min_cuda_version=CudaVersion.V12_8,
    )
    async def burst(x: int) -> int:
        return x
    """.replace("ServerlessScalerType\n", "ServerlessScalerType, CudaVersion\n"),
    "cpu_worker.py": """
    from runpod_flash import Endpoint, CpuInstanceType, DataCenter

    @Endpoint(name="cpu-fast", cpu=CpuInstanceType.CPU3C_1_2, idle_timeout=1, workers=[1, 10])
    def fast(x: int) -> int:
        return x

    @Endpoint(
        name="cpu-steady",
        cpu=["cpu5c-2-4", CpuInstanceType.CPU5C_4_8],
        idle_timeout=30,
        workers=(1, 10),
        datacenter="eu_ro_1",
        env={"MODE": "steady"},
    )
    def steady(x: int) -> int:
        return x
    """,
}

NETWORK_VOLUMES = {
    "gpu_worker.py": """
    import logging

    from runpod_flash import DataCenter, Endpoint, GpuType, NetworkVolume

    logger = logging.getLogger(__name__)
    MODEL_PATH = "/runpod-volume/models"

    volume = NetworkVolume(name="flash-05-volume", size=50, datacenter=DataCenter.EU_RO_1)

    @Endpoint(
        name="05_01_gpu_worker",
        gpu=GpuType.NVIDIA_GEFORCE_RTX_5090,
        volume=volume,
        datacenter=DataCenter.EU_RO_1,
        env={"HF_HOME": MODEL_PATH},
        dependencies=["diffusers", "transformers", "accelerate"],
    )
    class SimpleSD:
        def __init__(self):
            self.ready = True

        async def generate_image(self, prompt: str) -> dict:
            return {"prompt": prompt}
    """,
    "cpu_worker.py": """
    from runpod_flash import DataCenter, Endpoint, NetworkVolume

    volume = NetworkVolume(name="flash-05-volume", size=50, datacenter=DataCenter.EU_RO_1)

    api = Endpoint(name="05_01_cpu_worker", cpu="cpu3c-1-2", datacenter=DataCenter.EU_RO_1, volume=volume)

    @api.get("/images/{file_name}")
    async def get_image(file_name: str) -> dict:
        return {"file": file_name}
    """,
}

SHARED_VOLUME = {
    "storage.py": """
    from runpod_flash import DataCenter, NetworkVolume

    shared = NetworkVolume(name="shared-models", size=50, datacenter=DataCenter.EU_RO_1)
    """,
    "a.py": """
    from runpod_flash import DataCenter, Endpoint, GpuGroup
    from storage import shared

    @Endpoint(name="a", gpu=GpuGroup.ADA_24, volume=shared, datacenter=DataCenter.EU_RO_1)
    async def a(x: int): return x
    """,
    "b.py": """
    from runpod_flash import Endpoint, GpuGroup
    from storage import shared

    @Endpoint(name="b", gpu=GpuGroup.AMPERE_80, volume=[shared])
    async def b(x: int): return x
    """,
}


@pytest.mark.parametrize(
    "files",
    [MIXED_WORKERS, AUTOSCALING, NETWORK_VOLUMES, SHARED_VOLUME],
    ids=["mixed-workers", "autoscaling", "network-volumes", "shared-volume"],
)
def test_realistic_apps_have_no_config_findings(
    tmp_path: Path, files: dict[str, str | bytes]
) -> None:
    found = check(tmp_path, files)
    assert codes(found, "FL5") == []
    assert codes(found, "FL9") == []


# ---------------------------------------------------------------------------------------------
# FL501


def test_fl501_gpu_and_cpu(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", gpu=GpuGroup.ADA_24, cpu="cpu3c-1-2"')), "FL501")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert column(found[0]) == 'cpu="cpu3c-1-2"'
    assert found[0].message == "endpoint 'w' sets both gpu= and cpu="
    assert "mutually exclusive" in noted(found[0])


def test_fl501_gpu_none_with_cpu_is_fine(tmp_path: Path) -> None:
    assert fl5(check(tmp_path, one('name="w", gpu=None, cpu="cpu3c-1-2"'))) == []


# ---------------------------------------------------------------------------------------------
# FL502


def test_fl502_unknown_member_suggests_closest(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="sd", gpu=GpuType.NVIDIA_GEFORCE_RTX_4900')), "FL502")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].message == "unknown GpuType.NVIDIA_GEFORCE_RTX_4900 on endpoint 'sd'"
    assert "did you mean GpuType.NVIDIA_GEFORCE_RTX_4090?" in found[0].notes
    assert found[0].fix is not None and not found[0].fix.safe


def test_fl502_case_typo_has_a_safe_fix(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="a100", gpu=GpuType.NVIDIA_A100_80GB_PCIE')), "FL502")
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert "GpuType.NVIDIA_A100_80GB_PCIe" in (tmp_path / "worker.py").read_text()
    assert only(check(tmp_path), "FL502") == []


def test_fl502_group_member_that_is_a_type(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="l4", gpu=GpuGroup.NVIDIA_L4')), "FL502")
    assert "GpuGroup.NVIDIA_L4" in found[0].message
    assert "it is a GpuType: use GpuType.NVIDIA_L4" in found[0].notes
    apply_fix(found[0])
    assert only(check(tmp_path), "FL502") == []


def test_fl502_bare_string_fix_uses_the_enum(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="llm", gpu="ADA_24"')), "FL502")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].message == "gpu='ADA_24' of endpoint 'llm' is a bare string"
    assert "got str" in noted(found[0]) and "use GpuGroup.ADA_24" in found[0].notes
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert "gpu=GpuGroup.ADA_24" in (tmp_path / "worker.py").read_text()
    assert fl5(check(tmp_path)) == []


def test_fl502_bare_string_fix_without_enum_import_uses_a_list(tmp_path: Path) -> None:
    files = one('name="llm", gpu="NVIDIA L4"', header="from runpod_flash import Endpoint\n")
    found = only(check(tmp_path, files), "FL502")
    apply_fix(found[0])
    assert 'gpu=["NVIDIA L4"]' in (tmp_path / "worker.py").read_text()
    assert fl5(check(tmp_path)) == []


def test_fl502_list_strings_are_checked_by_value(tmp_path: Path) -> None:
    files = one('name="x", gpu=[GpuGroup.ADA_24, "ADA_48_PRO", "NVIDIA_L4", "H100"]')
    found = only(check(tmp_path, files), "FL502")
    assert [column(d) for d in found] == ['"NVIDIA_L4"', '"H100"']
    assert found[0].message == "'NVIDIA_L4' is not a GpuGroup/GpuType value of endpoint 'x'"
    assert "use 'NVIDIA L4'" in found[0].notes
    assert found[0].fix is not None and found[0].fix.safe
    assert "'H100'" in found[1].message


def test_fl502_empty_list_and_tuple(tmp_path: Path) -> None:
    files = {
        "worker.py": HEADER
        + '\n@Endpoint(name="none", gpu=[])\n'
        + ASYNC
        + '\n@Endpoint(name="tuple", gpu=(GpuGroup.ADA_24,))\nasync def other(): ...\n'
    }
    found = only(check(tmp_path, files), "FL502")
    assert [where(d) for d in found] == [("worker.py", 3), ("worker.py", 7)]
    assert found[0].message == "gpu=[] of endpoint 'none' selects no GPU"
    assert found[1].message == "gpu= of endpoint 'tuple' is a tuple, not a list"
    assert "got tuple" in noted(found[1])
    apply_fix(found[1])
    assert "gpu=[GpuGroup.ADA_24,]" in (tmp_path / "worker.py").read_text()


def test_fl502_constant_from_another_file(tmp_path: Path) -> None:
    files = {
        "consts.py": "from runpod_flash import GpuGroup\n\nGPUS = [GpuGroup.ADA_24, GpuGroup.ADA_25]\n",
        "worker.py": "from runpod_flash import Endpoint\nfrom consts import GPUS\n\n"
        '@Endpoint(name="w", gpu=GPUS)\nasync def w(): ...\n',
    }
    found = check(tmp_path, files)
    fl502 = only(found, "FL502")
    assert [where(d) for d in fl502] == [("worker.py", 4)]
    assert fl502[0].message == "unknown GpuGroup.ADA_25 on endpoint 'w'"
    assert fl502[0].notes[0] == "the value is GpuGroup.ADA_25 in consts.py"
    assert only(found, "FL903") == []


def test_fl502_enum_class_instead_of_member(tmp_path: Path) -> None:
    found = check(tmp_path, one('name="w", gpu=GpuGroup'))
    assert [where(d) for d in only(found, "FL502")] == [("worker.py", 3)]
    assert "pick a member, e.g. GpuGroup.ANY" in only(found, "FL502")[0].notes
    assert only(found, "FL903") == []


def test_fl502_silent_on_unknown(tmp_path: Path) -> None:
    found = check(tmp_path, one('name="w", gpu=pick_gpu()'))
    assert only(found, "FL502") == []
    assert [where(d) for d in only(found, "FL903")] == [("worker.py", 3)]


# ---------------------------------------------------------------------------------------------
# FL503


def test_fl503_wrong_case_and_separator_has_a_safe_fix(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="etl", cpu="CPU3C_1_2"')), "FL503")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].message == "'CPU3C_1_2' is not a CpuInstanceType of endpoint 'etl'"
    assert "values are exact and case-sensitive; use 'cpu3c-1-2'" in found[0].notes
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert 'cpu="cpu3c-1-2"' in (tmp_path / "worker.py").read_text()
    assert fl5(check(tmp_path)) == []


def test_fl503_unknown_member_and_list_element(tmp_path: Path) -> None:
    files = one('name="etl", cpu=["cpu3g-2-8", CpuInstanceType.CPU3C_1_3, "cpu9x-1-1"]')
    found = only(check(tmp_path, files), "FL503")
    assert [column(d) for d in found] == ["CpuInstanceType.CPU3C_1_3", '"cpu9x-1-1"']
    assert found[0].message == "unknown CpuInstanceType.CPU3C_1_3 on endpoint 'etl'"
    assert "'cpu9x-1-1'" in found[1].message


def test_fl503_empty_list_and_wrong_type(tmp_path: Path) -> None:
    files = {
        "worker.py": HEADER
        + '\n@Endpoint(name="a", cpu=[])\n'
        + ASYNC
        + '\n@Endpoint(name="b", cpu=3)\nasync def other(): ...\n'
    }
    found = only(check(tmp_path, files), "FL503")
    assert [where(d) for d in found] == [("worker.py", 3), ("worker.py", 7)]
    assert found[0].message == "cpu=[] of endpoint 'a' selects no CPU instance type"
    assert found[1].message == "cpu=3 is not a CpuInstanceType of endpoint 'b'"
    assert "got int" in noted(found[1])


def test_fl503_valid_values_are_fine(tmp_path: Path) -> None:
    files = one('name="etl", cpu=["cpu3c-1-2", CpuInstanceType.CPU5C_8_16]')
    assert fl5(check(tmp_path, files)) == []


# ---------------------------------------------------------------------------------------------
# FL504


@pytest.mark.parametrize(
    ("workers", "covered", "message", "phrase"),
    [
        ("(3, 1)", "3, 1", "workers=(3, 1) of endpoint 'w' has min above max", "min (3) cannot"),
        ("-1", "-1", "workers=-1 of endpoint 'w' is negative", "negative: (0, -1)"),
        ("(0, -2)", "-2", "workers=(0, -2) of endpoint 'w' has a negative count", "(0, -2)"),
        (
            "(1, 2, 3)",
            "1, 2, 3",
            "workers=(1, 2, 3) of endpoint 'w' is malformed",
            "got tuple: (1, 2, 3)",
        ),
        ('"3"', '"3"', "workers=\"3\" of endpoint 'w' is malformed", "got str"),
        ("2.5", "2.5", "workers=2.5 of endpoint 'w' is malformed", "got float"),
        (
            '(0, "many")',
            '"many"',
            "workers entry \"many\" of endpoint 'w' is not a number",
            "int()",
        ),
    ],
)
def test_fl504_invalid_workers(
    tmp_path: Path, workers: str, covered: str, message: str, phrase: str
) -> None:
    found = only(check(tmp_path, one(f'name="w", workers={workers}')), "FL504")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert column(found[0]) == covered
    assert found[0].message == message and phrase in noted(found[0])


@pytest.mark.parametrize("workers", ["(0, 3)", "5", "[1, 4]", "(1, 10)", "None", '("0", "2")'])
def test_fl504_valid_workers(tmp_path: Path, workers: str) -> None:
    assert only(check(tmp_path, one(f'name="w", workers={workers}')), "FL504") == []


# ---------------------------------------------------------------------------------------------
# FL505


@pytest.mark.parametrize("value", ["0", "7200", '"soon"', "1.5"])
def test_fl505_invalid_idle_timeout(tmp_path: Path, value: str) -> None:
    found = only(check(tmp_path, one(f'name="w", idle_timeout={value}')), "FL505")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert value in found[0].message


@pytest.mark.parametrize("value", ["1", "300", "3600", '"5"'])
def test_fl505_valid_idle_timeout(tmp_path: Path, value: str) -> None:
    assert only(check(tmp_path, one(f'name="w", idle_timeout={value}')), "FL505") == []


# ---------------------------------------------------------------------------------------------
# FL506


def test_fl506_removed_member(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", datacenter=DataCenter.US_GA_2')), "FL506")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert "US_GA_2" in found[0].message and "removed" in found[0].message


def test_fl506_strings_are_normalised_then_checked(tmp_path: Path) -> None:
    files = one('name="w", datacenter=["eu_ro_1", " us-ca-2 ", "us_ga_1", "MOON-1"]')
    found = only(check(tmp_path, files), "FL506")
    assert [column(d) for d in found] == ['"us_ga_1"', '"MOON-1"']
    assert found[0].message == "removed datacenter 'us_ga_1' on endpoint 'w'"
    assert found[1].message == "unknown datacenter 'MOON-1' on endpoint 'w'"
    assert found[1].notes[0] == "flash build fails: Unknown datacenter 'MOON-1'"
    assert found[1].notes[1].startswith("valid datacenters: ")


def test_fl506_member_case_typo_fix(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", datacenter=DataCenter.eu_ro_1')), "FL506")
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert fl5(check(tmp_path)) == []


def test_fl506_volume_datacenter(tmp_path: Path) -> None:
    files = {
        "worker.py": HEADER
        + '\nvol = NetworkVolume(name="v", datacenter=DataCenter.US_MD_1)\n\n'
        + '@Endpoint(name="w", volume=vol)\n'
        + ASYNC
    }
    found = only(check(tmp_path, files), "FL506")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert "US_MD_1" in found[0].message


# ---------------------------------------------------------------------------------------------
# FL507


def test_fl507_cpu_outside_eu_ro_1(tmp_path: Path) -> None:
    files = one('name="etl", cpu="cpu3c-1-2", datacenter=[DataCenter.EU_RO_1, DataCenter.US_CA_2]')
    found = only(check(tmp_path, files), "FL507")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert column(found[0]) == "DataCenter.US_CA_2"
    assert found[0].message == "endpoint 'etl' runs on CPU, which is not available in US-CA-2"
    assert "CPU endpoints are not available in: US-CA-2" in noted(found[0])


@pytest.mark.parametrize(
    "args",
    [
        'name="etl", cpu="cpu3c-1-2", datacenter=DataCenter.EU_RO_1',
        'name="etl", cpu="cpu3c-1-2"',
        'name="gpu", gpu=GpuGroup.ADA_24, datacenter=DataCenter.US_CA_2',
    ],
)
def test_fl507_fine(tmp_path: Path, args: str) -> None:
    assert only(check(tmp_path, one(args)), "FL507") == []


def test_fl507_legacy_cpu_resource(tmp_path: Path) -> None:
    files = {
        "legacy.py": """
        from runpod_flash import CpuLiveServerless, DataCenter, remote

        config = CpuLiveServerless(name="legacy-cpu", datacenter=DataCenter.US_KS_2)

        @remote(config)
        async def work(x: int): return x
        """
    }
    found = only(check(tmp_path, files), "FL507")
    assert [where(d) for d in found] == [("legacy.py", 3)]
    assert "'legacy-cpu'" in found[0].message


# ---------------------------------------------------------------------------------------------
# FL508


def test_fl508_below_one(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", max_concurrency=0')), "FL508")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].message == "max_concurrency=0 of endpoint 'w' is below 1"
    assert "max_concurrency must be >= 1, got 0" in noted(found[0])


def test_fl508_sync_function_above_one(tmp_path: Path) -> None:
    files = one('name="w", max_concurrency=4', body="def work(x: int):\n    return x\n")
    found = only(check(tmp_path, files), "FL508")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].severity is Severity.ERROR
    assert found[0].message == "max_concurrency=4 on sync function 'work' of 'w'"
    assert "TypeError" in found[0].notes[0]
    assert found[0].notes[1] == "make it `async def work` or remove max_concurrency"
    assert found[0].fix is not None and not found[0].fix.safe
    apply_fix(found[0])
    assert "async def work(x: int):" in (tmp_path / "worker.py").read_text()
    assert only(check(tmp_path), "FL508") == []


def test_fl508_class_mixing_sync_and_async(tmp_path: Path) -> None:
    body = (
        "class Model:\n"
        "    def __init__(self):\n        self.m = 1\n"
        "    async def generate(self, p: str):\n        return p\n"
        "    def info(self):\n        return {}\n"
    )
    found = only(check(tmp_path, one('name="m", max_concurrency=2', body=body)), "FL508")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert "'Model'" in found[0].message
    assert "sync 'info' fails with TypeError: make it async def" in found[0].notes
    assert found[0].message == "max_concurrency=2 on mixed class 'Model' of 'm'"


def test_fl508_async_function_and_sync_only_class_are_fine(tmp_path: Path) -> None:
    body = (
        ASYNC
        + "\n@Endpoint(name='c', max_concurrency=3)\nclass C:\n    def run(self):\n        return 1\n"
    )
    assert only(check(tmp_path, one('name="w", max_concurrency=10', body=body)), "FL508") == []


def test_fl508_on_load_balanced_is_a_warning(tmp_path: Path) -> None:
    files = {
        "api.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2", max_concurrency=8)

        @api.post("/run")
        async def run(x: int): return x
        """
    }
    found = only(check(tmp_path, files), "FL508")
    assert [where(d) for d in found] == [("api.py", 3)]
    assert found[0].severity is Severity.WARNING
    assert found[0].message == "max_concurrency=8 is ignored on load-balanced endpoint 'api'"


# ---------------------------------------------------------------------------------------------
# FL509


def test_fl509_settings_ignored_on_deploy(tmp_path: Path) -> None:
    args = (
        'name="w", gpu=GpuGroup.ADA_24, gpu_count=2, execution_timeout_ms=5000, flashboot=False, '
        'template=PodTemplate(dockerArgs="--x"), system_dependencies=["ffmpeg"], accelerate_downloads=False'
    )
    found = only(check(tmp_path, one(args)), "FL509")
    assert all(d.severity is Severity.INFO for d in found)
    assert sorted(column(d).split("=")[0] for d in found) == [
        "accelerate_downloads",
        "execution_timeout_ms",
        "flashboot",
        "gpu_count",
        "system_dependencies",
        "template",
    ]
    assert all("flash deploy" in d.message for d in found)


def test_fl509_defaults_are_not_reported(tmp_path: Path) -> None:
    args = (
        'name="w", gpu_count=1, flashboot=True, system_dependencies=[], accelerate_downloads=True'
    )
    assert only(check(tmp_path, one(args)), "FL509") == []


# ---------------------------------------------------------------------------------------------
# FL510


def test_fl510_unknown_string(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", min_cuda_version="12.10"')), "FL510")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert found[0].message == "'12.10' is not a CudaVersion of endpoint 'w'"
    assert "'12.10' is not a valid CudaVersion" in noted(found[0])


def test_fl510_float_gets_quoted(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", min_cuda_version=12.8')), "FL510")
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert 'min_cuda_version="12.8"' in (tmp_path / "worker.py").read_text()
    assert fl5(check(tmp_path)) == []


def test_fl510_unknown_member(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", min_cuda_version=CudaVersion.V12_10')), "FL510")
    assert "V12_10" in found[0].message


@pytest.mark.parametrize("value", ['"12.8"', '"11.8"', '"13.0"', "CudaVersion.V12_9", "None"])
def test_fl510_known_versions(tmp_path: Path, value: str) -> None:
    assert only(check(tmp_path, one(f'name="w", min_cuda_version={value}')), "FL510") == []


# ---------------------------------------------------------------------------------------------
# FL511

LB = """
from runpod_flash import Endpoint, ServerlessScalerType

api = Endpoint(name="api", scaler_type=ServerlessScalerType.{scaler})

@api.post("/run")
async def run(x: int): return x
"""


def test_fl511_queue_delay_on_lb(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"api.py": LB.format(scaler="QUEUE_DELAY")}), "FL511")
    assert [where(d) for d in found] == [("api.py", 3)]
    assert "QUEUE_DELAY" in found[0].message and "'api'" in found[0].message
    assert found[0].fix is not None and not found[0].fix.safe
    apply_fix(found[0])
    assert only(check(tmp_path), "FL511") == []


def test_fl511_request_count_on_lb_and_queue_delay_on_qb_are_fine(tmp_path: Path) -> None:
    files = {
        "api.py": LB.format(scaler="REQUEST_COUNT"),
        "worker.py": HEADER
        + '\n@Endpoint(name="q", scaler_type=ServerlessScalerType.QUEUE_DELAY)\n'
        + ASYNC,
    }
    assert only(check(tmp_path, files), "FL511") == []


# ---------------------------------------------------------------------------------------------
# FL512


def test_fl512_non_string_env_values(tmp_path: Path) -> None:
    found = only(
        check(tmp_path, one('name="w", env={"BATCH": 8, "DEBUG": True, "MODE": "x"}')), "FL512"
    )
    assert [column(d) for d in found] == ["8", "True"]
    assert found[0].message == "env['BATCH'] of endpoint 'w' is an int, not a string"
    assert 'use "8"' in found[0].notes
    assert found[0].fix is not None and found[0].fix.safe
    assert found[1].fix is not None and not found[1].fix.safe
    apply_fix(found[0])
    assert '"BATCH": "8"' in (tmp_path / "worker.py").read_text()


def test_fl512_env_constant_and_runtime_values(tmp_path: Path) -> None:
    files = {
        "worker.py": "import os\n" + HEADER + 'ENV = {"HF_HOME": "/models"}\n\n'
        '@Endpoint(name="a", env=ENV)\nasync def a(): ...\n\n'
        '@Endpoint(name="b", env={"TOKEN": os.environ["TOKEN"]})\nasync def b(): ...\n'
    }
    found = check(tmp_path, files)
    assert only(found, "FL512") == []
    assert [where(d) for d in only(found, "FL903")] == [("worker.py", 8)]


def test_fl512_env_not_a_dict(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", env=["A=1"]')), "FL512")
    assert [where(d) for d in found] == [("worker.py", 3)] and "not a dict" in found[0].message


# ---------------------------------------------------------------------------------------------
# FL513


def test_fl513_empty_list_and_tuple(tmp_path: Path) -> None:
    files = {
        "worker.py": HEADER
        + '\nvol = NetworkVolume(name="v")\n\n@Endpoint(name="a", volume=[])\n'
        + ASYNC
        + '\n@Endpoint(name="b", volume=(vol,))\nasync def b(): ...\n'
    }
    found = only(check(tmp_path, files), "FL513")
    assert [where(d) for d in found] == [("worker.py", 5), ("worker.py", 9)]
    assert found[0].message == "volume=[] of endpoint 'a' is empty"
    assert "volume list must not be empty" in noted(found[0])
    assert "got tuple" in noted(found[1])


def test_fl513_two_volumes_in_one_datacenter_and_outside_the_endpoint(tmp_path: Path) -> None:
    files = {
        "worker.py": HEADER
        + '\na = NetworkVolume(name="a")\n'
        + 'b = NetworkVolume(name="b", datacenter=DataCenter.EU_RO_1)\n'
        + 'c = NetworkVolume(name="c", datacenter=DataCenter.US_CA_2)\n\n'
        + '@Endpoint(name="w", gpu=GpuGroup.ADA_24, datacenter=DataCenter.EU_RO_1, volume=[a, b, c])\n'
        + ASYNC
    }
    found = only(check(tmp_path, files), "FL513")
    assert [(where(d), column(d)) for d in found] == [
        (("worker.py", 7), "b"),
        (("worker.py", 7), "c"),
    ]
    assert found[0].message == "second volume in EU-RO-1 on endpoint 'w'"
    assert "Multiple volumes in datacenter EU-RO-1 ('a' and 'b')" in noted(found[0])
    assert found[1].message == "volume 'c' in US-CA-2 is outside endpoint 'w'"
    assert "Network volume datacenter (US-CA-2) is not in the endpoint's datacenter list" in noted(
        found[1]
    )


def test_fl513_gpu_endpoint_without_datacenter_accepts_any_volume_datacenter(
    tmp_path: Path,
) -> None:
    files = {
        "worker.py": HEADER
        + '\nvol = NetworkVolume(name="v", datacenter=DataCenter.US_CA_2)\n\n'
        + '@Endpoint(name="w", gpu=GpuGroup.ADA_24, volume=vol)\n'
        + ASYNC
    }
    assert only(check(tmp_path, files), "FL513") == []


def test_fl513_volume_fields_reported_once_where_the_volume_is_written(tmp_path: Path) -> None:
    files = {
        "storage.py": "from runpod_flash import NetworkVolume\n\n"
        'big = NetworkVolume(name="big", size=5000)\nnameless = NetworkVolume(size=20)\n',
        "a.py": "from runpod_flash import Endpoint\nfrom storage import big, nameless\n\n"
        '@Endpoint(name="a", volume=big)\nasync def a(): ...\n\n'
        '@Endpoint(name="a2", volume=nameless)\nasync def a2(): ...\n',
        "b.py": "from runpod_flash import Endpoint\nfrom storage import big\n\n"
        '@Endpoint(name="b", volume=[big])\nasync def b(): ...\n',
    }
    found = only(check(tmp_path, files), "FL513")
    assert sorted(where(d) for d in found) == [("storage.py", 3), ("storage.py", 4)]
    assert "size=5000" in found[0].message
    assert "name" in found[1].message


def test_fl513_cpu_volume_outside_datacenter_via_other_file(tmp_path: Path) -> None:
    files = {
        "storage.py": "from runpod_flash import DataCenter, NetworkVolume\n\n"
        'vol = NetworkVolume(name="v", datacenter=DataCenter.US_CA_2)\n',
        "api.py": "from runpod_flash import DataCenter, Endpoint\nfrom storage import vol\n\n"
        'api = Endpoint(name="files", cpu="cpu3c-1-2", datacenter=DataCenter.EU_RO_1, volume=vol)\n\n'
        '@api.get("/f")\nasync def f(): ...\n',
    }
    found = only(check(tmp_path, files), "FL513")
    assert [where(d) for d in found] == [("api.py", 4)]
    assert "US-CA-2" in found[0].message and "'files'" in found[0].message


# ---------------------------------------------------------------------------------------------
# FL514


def test_fl514_typo_suggests_closest(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", idle_timout=120')), "FL514")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert column(found[0]) == "idle_timout"
    assert found[0].message == "unknown Endpoint argument 'idle_timout' on endpoint 'w'"
    assert "did you mean 'idle_timeout'?" in found[0].notes
    assert found[0].fix is not None and not found[0].fix.safe


def test_fl514_camel_case_has_a_safe_fix(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('name="w", idleTimeout=120')), "FL514")
    assert found[0].fix is not None and found[0].fix.safe
    apply_fix(found[0])
    assert "idle_timeout=120" in (tmp_path / "worker.py").read_text()
    assert fl5(check(tmp_path)) == []


def test_fl514_python_version_and_positional(tmp_path: Path) -> None:
    found = only(check(tmp_path, one('"w", "extra", python_version="3.11"')), "FL514")
    assert [column(d) for d in found] == ['"extra"', "python_version"]
    assert "--python-version" in noted(found[1])


def test_fl514_remote_uses_its_own_keywords(tmp_path: Path) -> None:
    files = {
        "legacy.py": """
        from runpod_flash import LiveServerless, remote

        config = LiveServerless(name="legacy", workersMax=3)

        @remote(config, dependencies=["numpy"], depends=["pandas"])
        async def work(x: int): return x
        """
    }
    found = only(check(tmp_path, files), "FL514")
    assert [where(d) for d in found] == [("legacy.py", 5)]
    assert found[0].message == "unknown remote() argument 'depends' on endpoint 'legacy'"
    assert "did you mean 'dependencies'?" in found[0].notes


# ---------------------------------------------------------------------------------------------
# FL515


def test_fl515_cpu_disk_above_instance_maximum(tmp_path: Path) -> None:
    files = one('name="etl", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=50)')
    found = only(check(tmp_path, files), "FL515")
    assert [where(d) for d in found] == [("worker.py", 3)]
    assert column(found[0]) == "50"
    assert found[0].message == "container disk 50 GB of endpoint 'etl' exceeds 10 GB"
    assert "Container disk size 50GB exceeds" in noted(found[0])


def test_fl515_minimum_over_instances(tmp_path: Path) -> None:
    files = one(
        'name="etl", cpu=["cpu5c-4-8", "cpu3c-2-4"], template=PodTemplate(containerDiskInGb=40)'
    )
    found = only(check(tmp_path, files), "FL515")
    assert "20 GB" in found[0].message


@pytest.mark.parametrize(
    "args",
    [
        'name="etl", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=10)',
        'name="etl", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=64)',
        'name="gpu", gpu=GpuGroup.ADA_24, template=PodTemplate(containerDiskInGb=200)',
    ],
)
def test_fl515_fine(tmp_path: Path, args: str) -> None:
    assert only(check(tmp_path, one(args)), "FL515") == []


# ---------------------------------------------------------------------------------------------
# Unknown values: FL903 only.


def test_runtime_values_only_give_fl903(tmp_path: Path) -> None:
    args = (
        "name=make_name(), gpu=pick(), workers=scale(), idle_timeout=int(T), datacenter=where(), "
        "env=load_env(), max_concurrency=n(), min_cuda_version=cuda(), volume=vol(), cpu=None"
    )
    found = check(tmp_path, one(args))
    assert fl5(found) == []
    assert len(only(found, "FL903")) == 9
