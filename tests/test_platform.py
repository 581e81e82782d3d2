"""Facts in flash_ls.platform, checked against flash-platform.md (runpod-flash 1.19/1.21)."""

from __future__ import annotations

import pytest

from flash_ls import platform as p

# --- gpuIds (section 2.1, all four verified examples verbatim) -------------------------------


def test_gpu_ids_any_expands_to_all_groups() -> None:
    assert p.gpu_ids_string(["ANY"], []) == (
        "ADA_24,ADA_32_PRO,ADA_48_PRO,ADA_80_PRO,AMPERE_16,AMPERE_24,AMPERE_48,AMPERE_80,"
        "BLACKWELL_180,BLACKWELL_96,HOPPER_141"
    )


def test_gpu_ids_types_and_group() -> None:
    # [RTX_A4000, L4, AMPERE_80]
    assert p.gpu_ids_string(["AMPERE_80"], ["NVIDIA_RTX_A4000", "NVIDIA_L4"]) == (
        "AMPERE_16,AMPERE_24,AMPERE_80,-NVIDIA GeForce RTX 3090,"
        "-NVIDIA RTX 2000 Ada Generation,-NVIDIA RTX 4000 Ada Generation,"
        "-NVIDIA RTX A4500,-NVIDIA RTX A5000"
    )


def test_gpu_ids_single_type_pool_has_no_negation() -> None:
    assert p.gpu_ids_string([], ["NVIDIA_GEFORCE_RTX_4090"]) == "ADA_24"
    # Values are accepted as well as member names.
    assert p.gpu_ids_string([], ["NVIDIA GeForce RTX 4090"]) == "ADA_24"


def test_gpu_ids_h200_b200() -> None:
    assert p.gpu_ids_string([], ["NVIDIA_H200", "NVIDIA_B200"]) == "BLACKWELL_180,HOPPER_141"


def test_gpu_ids_type_any_and_mixed_any() -> None:
    everything = p.gpu_ids_string(["ANY"], [])
    assert p.gpu_ids_string([], ["ANY"]) == everything
    # ANY anywhere replaces the whole selection (pydantic validator), so no negations.
    assert p.gpu_ids_string(["ADA_24"], ["NVIDIA_L4", "ANY"]) == everything
    assert p.gpu_ids_string(["any"], []) == everything


def test_gpu_ids_edge_cases() -> None:
    assert p.gpu_ids_string([], []) == ""
    # A pool also selected as a group gets no negations.
    assert p.gpu_ids_string(["AMPERE_16"], ["NVIDIA_RTX_A4000"]) == "AMPERE_16"
    # Duplicates collapse.
    assert p.gpu_ids_string(["ADA_24", "ADA_24"], ["NVIDIA_GEFORCE_RTX_4090"]) == "ADA_24"
    # ADA_80_PRO only lists H100 80GB HBM3 in POOLS_TO_TYPES: no negation of H100 PCIe/NVL.
    assert p.gpu_ids_string([], ["NVIDIA_H100_80GB_HBM3"]) == "ADA_80_PRO"
    assert p.gpu_ids_string([], ["NVIDIA_A100_80GB_PCIe"]) == "AMPERE_80,-NVIDIA A100-SXM4-80GB"
    with pytest.raises(ValueError, match="GpuType"):
        p.gpu_ids_string([], ["NVIDIA_GEFORCE_RTX_490"])
    with pytest.raises(ValueError, match="GpuGroup"):
        p.gpu_ids_string(["ADA_25"], [])


# --- GPU enums -------------------------------------------------------------------------------


def test_gpu_groups() -> None:
    assert [g.member for g in p.GPU_GROUPS] == [
        "ANY",
        "ADA_24",
        "ADA_32_PRO",
        "ADA_48_PRO",
        "ADA_80_PRO",
        "AMPERE_16",
        "AMPERE_24",
        "AMPERE_48",
        "AMPERE_80",
        "HOPPER_141",
        "BLACKWELL_96",
        "BLACKWELL_180",
    ]
    assert p.GPU_GROUPS_BY_MEMBER["ANY"].value == "any"
    assert p.GPU_GROUPS_BY_VALUE["ADA_24"].description == "NVIDIA GeForce RTX 4090"
    assert "NVIDIA L40S" in p.GPU_GROUPS_BY_MEMBER["ADA_48_PRO"].description
    assert "NVIDIA H100 NVL" in p.GPU_GROUPS_BY_MEMBER["ADA_80_PRO"].gpus
    assert p.GPU_GROUP_ALL[0] == "AMPERE_48"
    assert p.GPU_GROUP_ALL.count("AMPERE_48") == 2
    assert "ANY" not in p.GPU_GROUP_ALL


def test_gpu_types() -> None:
    assert len(p.GPU_TYPES) == 21
    assert p.GPU_TYPES_BY_MEMBER["NVIDIA_A100_80GB_PCIe"].value == "NVIDIA A100 80GB PCIe"
    assert "NVIDIA_A100_80GB_PCIE" not in p.GPU_TYPES_BY_MEMBER
    assert p.GPU_TYPES_BY_VALUE["NVIDIA A100-SXM4-80GB"].member == "NVIDIA_A100_SXM4_80GB"
    assert p.GPU_TYPES_BY_MEMBER["NVIDIA_L4"].pool == "AMPERE_24"
    assert p.GPU_TYPES_BY_MEMBER["ANY"].pool is None
    assert p.TYPE_TO_POOL["NVIDIA_RTX_PRO_6000_BLACKWELL_MAX_Q_WORKSTATION_EDITION"] == (
        "BLACKWELL_96"
    )


def test_pools_to_types() -> None:
    assert p.POOLS_TO_TYPES["ADA_48_PRO"] == ("NVIDIA_RTX_6000_ADA_GENERATION",)
    assert p.POOLS_TO_TYPES["ADA_80_PRO"] == ("NVIDIA_H100_80GB_HBM3",)
    assert p.POOLS_TO_TYPES["AMPERE_16"] == (
        "NVIDIA_RTX_A4000",
        "NVIDIA_RTX_A4500",
        "NVIDIA_RTX_4000_ADA_GENERATION",
        "NVIDIA_RTX_2000_ADA_GENERATION",
    )
    assert "ANY" not in p.POOLS_TO_TYPES
    # Every concrete GPU type is in exactly one pool.
    listed = [t for types in p.POOLS_TO_TYPES.values() for t in types]
    assert sorted(listed) == sorted(t.member for t in p.GPU_TYPES if t.member != "ANY")


# --- CPU -------------------------------------------------------------------------------------


def test_cpu_instances() -> None:
    assert [c.value for c in p.CPU_INSTANCES] == [
        "cpu3g-1-4",
        "cpu3g-2-8",
        "cpu3g-4-16",
        "cpu3g-8-32",
        "cpu3c-1-2",
        "cpu3c-2-4",
        "cpu3c-4-8",
        "cpu3c-8-16",
        "cpu5c-1-2",
        "cpu5c-2-4",
        "cpu5c-4-8",
        "cpu5c-8-16",
    ]
    inst = p.CPU_INSTANCES_BY_MEMBER["CPU3G_1_4"]
    assert (inst.value, inst.vcpu, inst.ram_gb, inst.max_disk_gb, inst.generation) == (
        "cpu3g-1-4",
        1,
        4,
        10,
        "3g",
    )
    assert p.CPU_INSTANCES_BY_VALUE["cpu5c-8-16"].max_disk_gb == 120
    assert p.CPU_INSTANCES_BY_VALUE["cpu3g-8-32"].max_disk_gb == 80
    # Case-sensitive: the SDK rejects these spellings.
    assert "CPU3C-1-2" not in p.CPU_INSTANCES_BY_VALUE
    assert "cpu3c_1_2" not in p.CPU_INSTANCES_BY_VALUE


def test_cpu_max_disk() -> None:
    assert p.cpu_max_disk_gb(["cpu3c-1-2"]) == 10
    assert p.cpu_max_disk_gb(["cpu3g-2-8"]) == 20
    assert p.cpu_max_disk_gb(["cpu5c-2-4"]) == 30
    assert p.cpu_max_disk_gb(["cpu5c-8-16", "cpu3g-4-16"]) == 40
    assert p.cpu_max_disk_gb(["CPU5C_4_8"]) == 60
    with pytest.raises(ValueError):
        p.cpu_max_disk_gb([])
    with pytest.raises(ValueError):
        p.cpu_max_disk_gb(["cpu9x-1-1"])


# --- Datacenters and other enums -------------------------------------------------------------


def test_datacenters() -> None:
    assert [d.value for d in p.DATACENTERS] == [
        "US-CA-2",
        "US-IL-1",
        "US-KS-2",
        "US-MO-1",
        "US-MO-2",
        "US-NC-2",
        "US-NE-1",
        "US-WA-1",
        "EU-CZ-1",
        "EU-RO-1",
        "EUR-NO-1",
    ]
    assert p.DATACENTERS_BY_MEMBER["EUR_NO_1"].value == "EUR-NO-1"
    assert {"EU-RO-1"} == p.CPU_DATACENTERS
    assert set(p.REMOVED_DATACENTERS) == {"US_GA_2", "US_GA_1", "US_MD_1", "US_NC_1", "EUR_IS_1"}
    assert not set(p.REMOVED_DATACENTERS) & set(p.DATACENTERS_BY_MEMBER)
    assert p.is_removed_datacenter("US_GA_2")
    assert p.is_removed_datacenter("us-md-1")
    assert not p.is_removed_datacenter("EU-RO-1")
    found = p.datacenter_from_string(" eu_ro_1 ")
    assert found is not None
    assert found.value == "EU-RO-1"
    assert p.datacenter_from_string("US-GA-2") is None
    assert p.NETWORK_VOLUME_DEFAULT_DATACENTER == "EU-RO-1"


def test_cuda_scaler_python() -> None:
    assert [c.value for c in p.CUDA_VERSIONS] == [
        "11.8",
        "12.0",
        "12.1",
        "12.2",
        "12.3",
        "12.4",
        "12.5",
        "12.6",
        "12.7",
        "12.8",
        "12.9",
        "13.0",
    ]
    assert p.CUDA_VERSIONS_BY_MEMBER["V13_0"].value == "13.0"
    assert p.CUDA_VERSIONS_BY_VALUE["11.8"].member == "V11_8"
    assert "12.10" not in p.CUDA_VERSIONS_BY_VALUE
    assert p.DEFAULT_MIN_CUDA_VERSION in p.CUDA_VERSIONS_BY_VALUE
    assert [s.member for s in p.SCALER_TYPES] == ["QUEUE_DELAY", "REQUEST_COUNT"]
    assert p.SUPPORTED_PYTHON_VERSIONS == ("3.10", "3.11", "3.12", "3.13")
    assert p.DEFAULT_PYTHON_VERSION == "3.12"
    assert p.ENUM_MEMBERS["GpuType"] == frozenset(p.GPU_TYPES_BY_MEMBER)
    assert "cpu3c-1-2" in p.ENUM_VALUES["CpuInstanceType"]
    assert "US_GA_2" not in p.ENUM_MEMBERS["DataCenter"]


# --- Endpoint / remote / NetworkVolume parameters --------------------------------------------


def test_endpoint_keywords() -> None:
    assert [param.name for param in p.ENDPOINT_PARAMS] == [
        "name",
        "id",
        "gpu",
        "cpu",
        "workers",
        "idle_timeout",
        "dependencies",
        "system_dependencies",
        "accelerate_downloads",
        "volume",
        "datacenter",
        "env",
        "gpu_count",
        "execution_timeout_ms",
        "flashboot",
        "image",
        "scaler_type",
        "scaler_value",
        "template",
        "min_cuda_version",
        "max_concurrency",
    ]
    assert all(param.doc for param in p.ENDPOINT_PARAMS)
    assert "python_version" not in p.ENDPOINT_KEYWORDS
    assert p.ENDPOINT_PARAMS_BY_NAME["idle_timeout"].default == "60"
    assert p.ENDPOINT_PARAMS_BY_NAME["flashboot"].default == "True"
    assert p.ENDPOINT_POSITIONAL == ("name",)
    assert {
        "gpu_count",
        "execution_timeout_ms",
        "flashboot",
        "template",
        "system_dependencies",
        "accelerate_downloads",
    } == p.DEPLOY_IGNORED_KEYWORDS
    assert p.DEPLOY_IGNORED_KEYWORDS <= p.ENDPOINT_KEYWORDS
    assert p.DEPLOY_IGNORED_ONLY_FOR_VALUE == {"flashboot": False}


def test_remote_and_volume_keywords() -> None:
    assert {
        "resource_config",
        "dependencies",
        "system_dependencies",
        "accelerate_downloads",
        "local",
        "method",
        "path",
    } <= p.REMOTE_KEYWORDS
    assert {"name", "id", "size", "datacenter", "dataCenterId"} == p.NETWORK_VOLUME_KEYWORDS
    assert p.NETWORK_VOLUME_PARAMS_BY_NAME["size"].default == "100"
    assert "containerDiskInGb" in p.POD_TEMPLATE_KEYWORDS


# --- Limits ----------------------------------------------------------------------------------


def test_limits() -> None:
    assert p.MAX_TARBALL_SIZE_MB == 1500
    assert p.BYTES_PER_MB == 1048576
    assert p.DEFAULT_SIZE_WARN_RATIO == 0.8
    assert p.DEFAULT_LARGE_FILE_MB == 50
    assert (p.IDLE_TIMEOUT_MIN, p.IDLE_TIMEOUT_MAX, p.DEFAULT_IDLE_TIMEOUT) == (1, 3600, 60)
    assert p.DEFAULT_WORKERS == (0, 1)
    assert p.DEFAULT_SCALER_VALUE == 4
    assert p.DEFAULT_GPU_CONTAINER_DISK_GB == 64
    assert (p.VOLUME_SIZE_MIN_GB, p.VOLUME_SIZE_MAX_GB, p.DEFAULT_VOLUME_SIZE_GB) == (10, 4096, 100)
    assert {"/ping", "/execute"} == p.RESERVED_ROUTE_PATHS
    assert p.HTTP_METHODS == ("get", "post", "put", "delete", "patch")
    assert p.MAX_INLINE_MODULE_BYTES == 8 * 1024 * 1024
    assert p.MAX_CONCURRENCY_MIN == 1
    assert p.MAX_CONCURRENCY_WARN_ABOVE == 100
    assert p.GPU_FALLBACK_MIN_WORKERS == 5


# --- Images ----------------------------------------------------------------------------------


def test_image_names_default() -> None:
    assert p.image_name("gpu", "3.12", {}) == "runpod/flash:py3.12-latest"
    assert p.image_name("cpu", "3.12", {}) == "runpod/flash-cpu:py3.12-latest"
    assert p.image_name("lb", "3.12", {}) == "runpod/flash-lb:py3.12-latest"
    assert p.image_name("lb-cpu", "3.12", {}) == "runpod/flash-lb-cpu:py3.12-latest"
    assert p.image_name("gpu") == "runpod/flash:py3.12-latest"


def test_image_names_env() -> None:
    assert p.image_name("gpu", "3.11", {"FLASH_IMAGE_TAG": "1.2.3"}) == "runpod/flash:py3.11-1.2.3"
    env = {"FLASH_CPU_LB_IMAGE": "me/custom:1", "FLASH_IMAGE_TAG": "dev"}
    assert p.image_name("lb-cpu", "3.12", env) == "me/custom:1"
    # Overrides skip version validation.
    assert p.image_name("gpu", "2.7", {"FLASH_GPU_IMAGE": "x/y:z"}) == "x/y:z"
    assert p.image_name("lb", "3.13", env) == "runpod/flash-lb:py3.13-dev"
    with pytest.raises(ValueError, match=r"Python 3\.9 is not supported"):
        p.image_name("gpu", "3.9", {})
    with pytest.raises(ValueError):
        p.image_name("tpu", "3.12", {})


def test_resource_kinds() -> None:
    assert p.LIVE_RESOURCE_CLASS_BY_KIND[(True, True)] == "CpuLiveLoadBalancer"
    assert p.IMAGE_TYPE_BY_RESOURCE_CLASS["CpuLiveServerless"] == "cpu"
    assert p.IMAGE_TYPE_BY_RESOURCE_CLASS["LiveLoadBalancer"] == "lb"


# --- Packages --------------------------------------------------------------------------------


def test_package_sets() -> None:
    assert {"torch", "torchvision", "torchaudio", "triton"} == p.SIZE_PROHIBITIVE_PACKAGES
    assert p.BASE_IMAGE_PACKAGES["gpu"] == {"torch", "torchvision", "torchaudio", "triton", "numpy"}
    assert p.BASE_IMAGE_PACKAGES["cpu"] == frozenset()
    assert p.BASE_IMAGE_PACKAGES["lb-cpu"] == frozenset()


def test_sdk_requirement_name() -> None:
    assert p.sdk_requirement_name("Torch>=2.0") == "torch"
    assert p.sdk_requirement_name("torchvision[extra]; python_version>'3'") == "torchvision"
    # The SDK's gap: ~ and @ are not split characters.
    assert p.sdk_requirement_name("torch~=2.0") == "torch~"
    assert p.sdk_requirement_name("torch @ https://x") == "torch @ https://x"


def test_normalize_distribution() -> None:
    assert p.normalize_distribution("Foo__Bar.baz") == "foo-bar-baz"
    assert p.normalize_distribution("PyYAML") == "pyyaml"
    assert p.normalize_distribution("ruamel.yaml") == "ruamel-yaml"


def test_distribution_for_import() -> None:
    assert p.distribution_for_import("PIL") == "pillow"
    assert p.distribution_for_import("cv2") == "opencv-python"
    assert p.distribution_for_import("sklearn") == "scikit-learn"
    assert p.distribution_for_import("yaml") == "pyyaml"
    assert p.distribution_for_import("google.protobuf") == "protobuf"
    assert p.distribution_for_import("google.protobuf.json_format") == "protobuf"
    assert p.distribution_for_import("google.cloud.storage.blob") == "google-cloud-storage"
    assert p.distribution_for_import("faiss") == "faiss-cpu"
    assert p.distribution_for_import("typing_extensions") == "typing-extensions"
    assert p.distribution_for_import("requests") == "requests"
    assert p.distribution_for_import("PIL.Image") == "pillow"
    # A private module's guess is still a valid distribution name (it was "-pre").
    assert p.distribution_for_import("_pre") == "pre"
    assert p.distribution_for_import("__odd_name__.x") == "odd-name"


def test_import_names_for_distribution() -> None:
    assert p.import_names_for_distribution("PyYAML") == ("yaml",)
    assert p.import_names_for_distribution("pillow") == ("PIL",)
    assert "cv2" in p.import_names_for_distribution("opencv-python-headless")
    assert set(p.import_names_for_distribution("pymongo")) == {"bson", "gridfs", "pymongo"}
    assert p.import_names_for_distribution("protobuf") == ("google.protobuf",)
    assert p.import_names_for_distribution("typing-extensions") == ("typing_extensions",)
    assert p.import_names_for_distribution("python_dateutil") == ("dateutil",)
    # Round trip for every known mapping.
    for module, dist in p.IMPORT_TO_DISTRIBUTION.items():
        assert module in p.import_names_for_distribution(dist)


def test_is_stdlib() -> None:
    assert p.is_stdlib("os")
    assert p.is_stdlib("os.path")
    assert p.is_stdlib("__future__")
    assert p.is_stdlib("logging")
    assert p.is_stdlib("tomllib")
    assert p.is_stdlib("distutils")  # removed in 3.12, still stdlib for a 3.10 app
    assert not p.is_stdlib("torch")
    assert not p.is_stdlib("runpod_flash")
    assert not p.is_stdlib("yaml")


# --- Suggestions and SDK surface -------------------------------------------------------------


def test_closest() -> None:
    assert p.closest("NVIDIA_GEFORCE_RTX_490", p.GPU_TYPES_BY_MEMBER) == "NVIDIA_GEFORCE_RTX_4090"
    assert p.closest("ADA24", p.GPU_GROUPS_BY_MEMBER) == "ADA_24"
    assert p.closest("idle_timout", p.ENDPOINT_KEYWORDS) == "idle_timeout"
    assert p.closest("dependecies", p.ENDPOINT_KEYWORDS) == "dependencies"
    assert p.closest("cpu3c-1-3", p.CPU_INSTANCES_BY_VALUE) in {"cpu3c-1-2", "cpu5c-1-2"}
    assert p.closest("CPU3C-1-2", p.CPU_INSTANCES_BY_VALUE) == "cpu3c-1-2"
    assert p.closest("nvidia_a100_80gb_pcie", p.GPU_TYPES_BY_MEMBER) == "NVIDIA_A100_80GB_PCIe"
    assert p.closest("zzzzzz", p.ENDPOINT_KEYWORDS) is None
    assert p.closest("anything", []) is None


def test_sdk_surface() -> None:
    assert p.SDK_MODULE == "runpod_flash"
    assert len(p.SDK_EXPORTS) == 25
    assert {"Endpoint", "GpuGroup", "NetworkVolume", "DEFAULT_WORKERS_MAX"} <= p.SDK_EXPORT_SET
    assert len(p.LEGACY_RESOURCE_CLASSES) == 8
    assert p.LEGACY_RESOURCE_CLASSES <= p.SDK_EXPORT_SET
    assert p.LEGACY_RESOURCE_CLASSES | {"remote"} == p.DEPRECATED_EXPORTS
    assert "Endpoint" not in p.DEPRECATED_EXPORTS
    assert set(p.ENUM_MEMBERS) <= p.SDK_EXPORT_SET
