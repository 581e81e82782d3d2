"""Runpod Flash platform facts, as data.

This module is the single place where facts about the Flash SDK (``runpod_flash``) and the
``flash`` CLI live: enum members and values, ``Endpoint`` keyword arguments and their defaults,
limits, reserved routes, image names, the environment variables the CLI reads and the workers
get, the app's state files, the ``gpuIds`` algorithm, the build's pip flags and package/import-name
knowledge. It imports nothing of flash_ls; every other module imports these facts instead of
spelling them (``tests/test_layers.py`` checks it). Source: ``docs`` flash-platform.md
(runpod-flash 1.19.0 snapshot / 1.21.0 wheel); section numbers in comments refer to that document.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypeVar

_T = TypeVar("_T")


def _by_member(items: Iterable[_T], key: str) -> Mapping[str, _T]:
    """Read-only index of ``items`` by attribute ``key``."""
    return MappingProxyType({getattr(item, key): item for item in items})


# ---------------------------------------------------------------------------------------------
# SDK import surface (section 1.1)
# ---------------------------------------------------------------------------------------------

SDK_MODULE: Final = "runpod_flash"
SDK_DISTRIBUTION: Final = "runpod-flash"

# Order of ``runpod_flash.__all__``.
SDK_EXPORTS: Final[tuple[str, ...]] = (
    "Endpoint",
    "EndpointJob",
    "remote",
    "CPU_DATACENTERS",
    "CpuInstanceType",
    "CpuLiveLoadBalancer",
    "CpuLiveServerless",
    "CpuLoadBalancerSlsResource",
    "CpuServerlessEndpoint",
    "CudaVersion",
    "DataCenter",
    "GpuGroup",
    "GpuType",
    "LiveLoadBalancer",
    "LiveServerless",
    "LoadBalancerSlsResource",
    "NetworkVolume",
    "PodTemplate",
    "ResourceManager",
    "ServerlessEndpoint",
    "ServerlessScalerType",
    "ServerlessType",
    "FlashApp",
    "DEFAULT_WORKERS_MIN",
    "DEFAULT_WORKERS_MAX",
)
SDK_EXPORT_SET: Final[frozenset[str]] = frozenset(SDK_EXPORTS)


def is_sdk_module(module: str) -> bool:
    """Whether ``module`` is the SDK or one of its submodules."""
    return module == SDK_MODULE or module.startswith(SDK_MODULE + ".")


@dataclass(frozen=True, slots=True)
class ResourceClass:
    """One resource class of the SDK: what an endpoint deploys as (sections 1.4 and 4.6).

    ``flash build`` writes the ``Live*`` classes for ``Endpoint(...)``; the legacy ``remote()``
    API takes any of them as its resource config. ``deployable``: ``flash deploy`` accepts a
    manifest entry of this class (the live classes and ``LoadBalancerSlsResource``).
    """

    name: str
    load_balanced: bool
    cpu: bool
    live: bool
    deployable: bool

    @property
    def image_type(self) -> str:
        """The runtime image family: ``gpu``, ``cpu``, ``lb`` or ``lb-cpu``."""
        return IMAGE_TYPE_BY_KIND[(self.load_balanced, self.cpu)]


# The one table of resource classes; every trait of a class is read from here.
RESOURCE_CLASSES: Final[Mapping[str, ResourceClass]] = MappingProxyType(
    {
        rc.name: rc
        for rc in (
            ResourceClass("LiveServerless", False, False, True, True),
            ResourceClass("CpuLiveServerless", False, True, True, True),
            ResourceClass("LiveLoadBalancer", True, False, True, True),
            ResourceClass("CpuLiveLoadBalancer", True, True, True, True),
            ResourceClass("ServerlessEndpoint", False, False, False, False),
            ResourceClass("CpuServerlessEndpoint", False, True, False, False),
            ResourceClass("LoadBalancerSlsResource", True, False, False, True),
            ResourceClass("CpuLoadBalancerSlsResource", True, True, False, False),
        )
    }
)


def live_resource_class(load_balanced: bool, cpu: bool) -> ResourceClass:
    """The class ``flash build`` writes for an ``Endpoint(...)`` of this kind."""
    return next(
        rc
        for rc in RESOURCE_CLASSES.values()
        if rc.live and rc.load_balanced == load_balanced and rc.cpu == cpu
    )


# Accessing any of these emits DeprecationWarning("Use runpod_flash.Endpoint instead").
LEGACY_RESOURCE_CLASSES: Final[frozenset[str]] = frozenset(RESOURCE_CLASSES)
DEPRECATED_EXPORTS: Final[frozenset[str]] = LEGACY_RESOURCE_CLASSES | {"remote"}
DEPRECATION_MESSAGE: Final = "Use runpod_flash.Endpoint instead"

# ---------------------------------------------------------------------------------------------
# Enumerations (section 2)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnumMember:
    """One member of a plain SDK enum (``DataCenter``, ``CudaVersion``, ...)."""

    member: str
    value: str
    doc: str = ""


@dataclass(frozen=True, slots=True)
class GpuPool:
    """A ``GpuGroup`` member: a pool id the API understands, and the GPUs it contains."""

    member: str
    value: str
    gpus: tuple[str, ...]

    @property
    def description(self) -> str:
        """Human-readable list of the GPUs in the pool (the SDK's docstring)."""
        return ", ".join(self.gpus) if self.gpus else "Any GPU: expands to every pool"


@dataclass(frozen=True, slots=True)
class GpuModel:
    """A ``GpuType`` member; ``pool`` is the ``GpuGroup`` member name (None for ``ANY``)."""

    member: str
    value: str
    pool: str | None


@dataclass(frozen=True, slots=True)
class CpuInstance:
    """A ``CpuInstanceType`` member (value format ``cpu{gen}-{vCPU}-{RAM GB}``)."""

    member: str
    value: str
    vcpu: int
    ram_gb: int
    max_disk_gb: int
    generation: str

    @property
    def description(self) -> str:
        """One-line summary for completion and hover."""
        kind = CPU_GENERATION_KIND[self.generation]
        return f"{kind}: {self.vcpu} vCPU, {self.ram_gb} GB RAM, max container disk {self.max_disk_gb} GB"


# --- GpuGroup (2.1) --------------------------------------------------------------------------

GPU_ANY: Final = "ANY"
GPU_ANY_VALUE: Final = "any"

# Enum definition order; ``gpus`` is the full list of GPUs in each pool (for descriptions).
GPU_GROUPS: Final[tuple[GpuPool, ...]] = (
    GpuPool("ANY", "any", ()),
    GpuPool("ADA_24", "ADA_24", ("NVIDIA GeForce RTX 4090",)),
    GpuPool("ADA_32_PRO", "ADA_32_PRO", ("NVIDIA GeForce RTX 5090",)),
    GpuPool(
        "ADA_48_PRO",
        "ADA_48_PRO",
        ("NVIDIA RTX 6000 Ada Generation", "NVIDIA L40", "NVIDIA L40S"),
    ),
    GpuPool(
        "ADA_80_PRO",
        "ADA_80_PRO",
        ("NVIDIA H100 PCIe", "NVIDIA H100 80GB HBM3", "NVIDIA H100 NVL"),
    ),
    GpuPool(
        "AMPERE_16",
        "AMPERE_16",
        (
            "NVIDIA RTX A4000",
            "NVIDIA RTX A4500",
            "NVIDIA RTX 4000 Ada Generation",
            "NVIDIA RTX 2000 Ada Generation",
        ),
    ),
    GpuPool(
        "AMPERE_24",
        "AMPERE_24",
        ("NVIDIA RTX A5000", "NVIDIA L4", "NVIDIA GeForce RTX 3090"),
    ),
    GpuPool("AMPERE_48", "AMPERE_48", ("NVIDIA A40", "NVIDIA RTX A6000")),
    GpuPool("AMPERE_80", "AMPERE_80", ("NVIDIA A100 80GB PCIe", "NVIDIA A100-SXM4-80GB")),
    GpuPool("HOPPER_141", "HOPPER_141", ("NVIDIA H200",)),
    GpuPool(
        "BLACKWELL_96",
        "BLACKWELL_96",
        (
            "NVIDIA RTX PRO 6000 Blackwell Server Edition",
            "NVIDIA RTX PRO 6000 Blackwell Workstation Edition",
            "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
        ),
    ),
    GpuPool("BLACKWELL_180", "BLACKWELL_180", ("NVIDIA B200",)),
)
GPU_GROUPS_BY_MEMBER: Final[Mapping[str, GpuPool]] = _by_member(GPU_GROUPS, "member")
GPU_GROUPS_BY_VALUE: Final[Mapping[str, GpuPool]] = _by_member(GPU_GROUPS, "value")

# ``GpuGroup.all()``: [AMPERE_48] + every non-ANY group (AMPERE_48 twice; gpuIds dedupes it).
GPU_GROUP_ALL: Final[tuple[str, ...]] = (
    "AMPERE_48",
    *(g.member for g in GPU_GROUPS if g.member != GPU_ANY),
)

# --- GpuType (2.2) ---------------------------------------------------------------------------

# Enum definition order; ``pool`` follows the SDK's POOLS_TO_TYPES.
GPU_TYPES: Final[tuple[GpuModel, ...]] = (
    GpuModel("ANY", "any", None),
    GpuModel("NVIDIA_GEFORCE_RTX_4090", "NVIDIA GeForce RTX 4090", "ADA_24"),
    GpuModel("NVIDIA_GEFORCE_RTX_5090", "NVIDIA GeForce RTX 5090", "ADA_32_PRO"),
    GpuModel("NVIDIA_RTX_6000_ADA_GENERATION", "NVIDIA RTX 6000 Ada Generation", "ADA_48_PRO"),
    GpuModel(
        "NVIDIA_RTX_PRO_6000_BLACKWELL_SERVER_EDITION",
        "NVIDIA RTX PRO 6000 Blackwell Server Edition",
        "BLACKWELL_96",
    ),
    GpuModel(
        "NVIDIA_RTX_PRO_6000_BLACKWELL_WORKSTATION_EDITION",
        "NVIDIA RTX PRO 6000 Blackwell Workstation Edition",
        "BLACKWELL_96",
    ),
    GpuModel(
        "NVIDIA_RTX_PRO_6000_BLACKWELL_MAX_Q_WORKSTATION_EDITION",
        "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
        "BLACKWELL_96",
    ),
    GpuModel("NVIDIA_H100_80GB_HBM3", "NVIDIA H100 80GB HBM3", "ADA_80_PRO"),
    GpuModel("NVIDIA_RTX_A4000", "NVIDIA RTX A4000", "AMPERE_16"),
    GpuModel("NVIDIA_RTX_A4500", "NVIDIA RTX A4500", "AMPERE_16"),
    GpuModel("NVIDIA_RTX_4000_ADA_GENERATION", "NVIDIA RTX 4000 Ada Generation", "AMPERE_16"),
    GpuModel("NVIDIA_RTX_2000_ADA_GENERATION", "NVIDIA RTX 2000 Ada Generation", "AMPERE_16"),
    GpuModel("NVIDIA_RTX_A5000", "NVIDIA RTX A5000", "AMPERE_24"),
    GpuModel("NVIDIA_L4", "NVIDIA L4", "AMPERE_24"),
    GpuModel("NVIDIA_GEFORCE_RTX_3090", "NVIDIA GeForce RTX 3090", "AMPERE_24"),
    GpuModel("NVIDIA_A40", "NVIDIA A40", "AMPERE_48"),
    GpuModel("NVIDIA_RTX_A6000", "NVIDIA RTX A6000", "AMPERE_48"),
    # The SDK really spells this member with a lower-case "e".
    GpuModel("NVIDIA_A100_80GB_PCIe", "NVIDIA A100 80GB PCIe", "AMPERE_80"),
    GpuModel("NVIDIA_A100_SXM4_80GB", "NVIDIA A100-SXM4-80GB", "AMPERE_80"),
    GpuModel("NVIDIA_H200", "NVIDIA H200", "HOPPER_141"),
    GpuModel("NVIDIA_B200", "NVIDIA B200", "BLACKWELL_180"),
)
GPU_TYPES_BY_MEMBER: Final[Mapping[str, GpuModel]] = _by_member(GPU_TYPES, "member")
GPU_TYPES_BY_VALUE: Final[Mapping[str, GpuModel]] = _by_member(GPU_TYPES, "value")

# SDK ``POOLS_TO_TYPES``: pool member -> GpuType members it lists. It is narrower than the pool
# descriptions (ADA_48_PRO lists only RTX 6000 Ada, ADA_80_PRO only H100 80GB HBM3), which
# decides the negations in ``gpuIds``.
POOLS_TO_TYPES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        pool.member: tuple(t.member for t in GPU_TYPES if t.pool == pool.member)
        for pool in GPU_GROUPS
        if pool.member != GPU_ANY
    }
)
# GpuType member -> pool member (inverse of POOLS_TO_TYPES).
TYPE_TO_POOL: Final[Mapping[str, str]] = MappingProxyType(
    {t.member: t.pool for t in GPU_TYPES if t.pool is not None}
)

# --- CpuInstanceType (2.3, 5.3) --------------------------------------------------------------

CPU_GENERATION_KIND: Final[Mapping[str, str]] = MappingProxyType(
    {"3g": "General purpose", "3c": "Compute optimised", "5c": "Compute optimised (gen 5)"}
)
CPU_RAM_GB_PER_VCPU: Final[Mapping[str, int]] = MappingProxyType({"3g": 4, "3c": 2, "5c": 2})
# ``calculate_max_disk_size``: 10 GB per vCPU, 15 for cpu5c.
CPU_DISK_GB_PER_VCPU: Final[Mapping[str, int]] = MappingProxyType({"3g": 10, "3c": 10, "5c": 15})
CPU_VCPU_SIZES: Final[tuple[int, ...]] = (1, 2, 4, 8)


def _cpu_instance(generation: str, vcpu: int) -> CpuInstance:
    ram = vcpu * CPU_RAM_GB_PER_VCPU[generation]
    return CpuInstance(
        member=f"CPU{generation.upper()}_{vcpu}_{ram}",
        value=f"cpu{generation}-{vcpu}-{ram}",
        vcpu=vcpu,
        ram_gb=ram,
        max_disk_gb=vcpu * CPU_DISK_GB_PER_VCPU[generation],
        generation=generation,
    )


CPU_INSTANCES: Final[tuple[CpuInstance, ...]] = tuple(
    _cpu_instance(gen, vcpu) for gen in CPU_GENERATION_KIND for vcpu in CPU_VCPU_SIZES
)
CPU_INSTANCES_BY_MEMBER: Final[Mapping[str, CpuInstance]] = _by_member(CPU_INSTANCES, "member")
CPU_INSTANCES_BY_VALUE: Final[Mapping[str, CpuInstance]] = _by_member(CPU_INSTANCES, "value")
# Legacy CpuServerlessEndpoint / CpuLoadBalancerSlsResource default ``instanceIds``.
DEFAULT_LEGACY_CPU_INSTANCE: Final = "cpu3g-2-8"

# --- DataCenter (2.4) ------------------------------------------------------------------------

DATACENTERS: Final[tuple[EnumMember, ...]] = tuple(
    EnumMember(value.replace("-", "_"), value)
    for value in (
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
    )
)
DATACENTERS_BY_MEMBER: Final[Mapping[str, EnumMember]] = _by_member(DATACENTERS, "member")
DATACENTERS_BY_VALUE: Final[Mapping[str, EnumMember]] = _by_member(DATACENTERS, "value")
CPU_DATACENTERS: Final[frozenset[str]] = frozenset({"EU-RO-1"})
# Removed by commit 107a2d13 but still used in docs and examples; member -> old value.
REMOVED_DATACENTERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "US_GA_2": "US-GA-2",
        "US_GA_1": "US-GA-1",
        "US_MD_1": "US-MD-1",
        "US_NC_1": "US-NC-1",
        "EUR_IS_1": "EUR-IS-1",
    }
)
_REMOVED_DATACENTER_VALUES: Final[frozenset[str]] = frozenset(REMOVED_DATACENTERS.values())
NETWORK_VOLUME_DEFAULT_DATACENTER: Final = "EU-RO-1"


def normalize_datacenter(text: str) -> str:
    """Normalise a datacenter string the way ``DataCenter.from_string`` does (strip, upper, _->-)."""
    return text.strip().upper().replace("_", "-")


def datacenter_from_string(text: str) -> EnumMember | None:
    """The ``DataCenter`` a string (value or member name, any case) resolves to, or None."""
    return DATACENTERS_BY_VALUE.get(normalize_datacenter(text))


def is_removed_datacenter(text: str) -> bool:
    """True if ``text`` (member name or value, any case) names a datacenter the SDK removed."""
    return normalize_datacenter(text) in _REMOVED_DATACENTER_VALUES


# --- Other enums (2.5) -----------------------------------------------------------------------

CUDA_VERSIONS: Final[tuple[EnumMember, ...]] = tuple(
    EnumMember("V" + value.replace(".", "_"), value)
    for value in ("11.8", *(f"12.{minor}" for minor in range(10)), "13.0")
)
CUDA_VERSIONS_BY_MEMBER: Final[Mapping[str, EnumMember]] = _by_member(CUDA_VERSIONS, "member")
CUDA_VERSIONS_BY_VALUE: Final[Mapping[str, EnumMember]] = _by_member(CUDA_VERSIONS, "value")
DEFAULT_MIN_CUDA_VERSION: Final = "12.8"

SCALER_TYPES: Final[tuple[EnumMember, ...]] = (
    EnumMember("QUEUE_DELAY", "QUEUE_DELAY", "Scale on how long requests wait in the queue."),
    EnumMember("REQUEST_COUNT", "REQUEST_COUNT", "Scale on the number of in-flight requests."),
)
SCALER_TYPES_BY_MEMBER: Final[Mapping[str, EnumMember]] = _by_member(SCALER_TYPES, "member")
# ``scaler_type=None`` resolves by endpoint kind: LB needs REQUEST_COUNT (QUEUE_DELAY fails at deploy).
DEFAULT_SCALER_TYPE_QB: Final = "QUEUE_DELAY"
DEFAULT_SCALER_TYPE_LB: Final = "REQUEST_COUNT"

SERVERLESS_TYPES: Final[tuple[EnumMember, ...]] = (
    EnumMember("QB", "QB", "Queue-based"),
    EnumMember("LB", "LB", "Load-balanced"),
)

SUPPORTED_PYTHON_VERSIONS: Final[tuple[str, ...]] = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON_VERSION: Final = "3.12"

# SDK enum class name -> member names / values, for generic "unknown member" checks.
ENUM_MEMBERS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "GpuGroup": frozenset(GPU_GROUPS_BY_MEMBER),
        "GpuType": frozenset(GPU_TYPES_BY_MEMBER),
        "CpuInstanceType": frozenset(CPU_INSTANCES_BY_MEMBER),
        "DataCenter": frozenset(DATACENTERS_BY_MEMBER),
        "CudaVersion": frozenset(CUDA_VERSIONS_BY_MEMBER),
        "ServerlessScalerType": frozenset(m.member for m in SCALER_TYPES),
        "ServerlessType": frozenset(m.member for m in SERVERLESS_TYPES),
    }
)
ENUM_VALUES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "GpuGroup": frozenset(GPU_GROUPS_BY_VALUE),
        "GpuType": frozenset(GPU_TYPES_BY_VALUE),
        "CpuInstanceType": frozenset(CPU_INSTANCES_BY_VALUE),
        "DataCenter": frozenset(DATACENTERS_BY_VALUE),
        "CudaVersion": frozenset(CUDA_VERSIONS_BY_VALUE),
        "ServerlessScalerType": frozenset(m.value for m in SCALER_TYPES),
        "ServerlessType": frozenset(m.value for m in SERVERLESS_TYPES),
    }
)

# ---------------------------------------------------------------------------------------------
# gpuIds and CPU disk (2.1, 2.3)
# ---------------------------------------------------------------------------------------------


def _resolve(token: str, by_member: Mapping[str, _T], by_value: Mapping[str, _T], kind: str) -> _T:
    found = by_member.get(token) or by_value.get(token)
    if found is None:
        raise ValueError(f"unknown {kind}: {token!r}")
    return found


def gpu_ids_string(groups: Iterable[str], types: Iterable[str]) -> str:
    """The ``gpuIds`` string the SDK sends for ``gpu=`` (``GpuGroup.to_gpu_ids_str`` + normalise).

    ``groups`` are ``GpuGroup`` and ``types`` ``GpuType`` members, each given by member name or
    value. ``ANY`` in either expands the whole selection to ``GpuGroup.all()``. An explicit type
    selects its pool and negates (``-<value>``) the pool's other types, unless that pool was also
    selected as a group. Output: positives, then negations, each sorted case-insensitively.
    Raises ValueError for an unknown member.
    """
    pools = [_resolve(g, GPU_GROUPS_BY_MEMBER, GPU_GROUPS_BY_VALUE, "GpuGroup") for g in groups]
    models = [_resolve(t, GPU_TYPES_BY_MEMBER, GPU_TYPES_BY_VALUE, "GpuType") for t in types]
    group_ids = {p.member for p in pools}
    explicit = {m.member for m in models}
    # The pydantic validator replaces the whole list when ANY appears anywhere.
    if GPU_ANY in group_ids or GPU_ANY in explicit:
        group_ids, explicit = set(GPU_GROUP_ALL), set()
    type_pools = {TYPE_TO_POOL[m] for m in explicit if m in TYPE_TO_POOL}
    positives = {GPU_GROUPS_BY_MEMBER[p].value for p in group_ids | type_pools}
    negations = {
        "-" + GPU_TYPES_BY_MEMBER[other].value
        for pool in type_pools - group_ids
        for other in POOLS_TO_TYPES[pool]
        if other not in explicit
    }
    return ",".join([*sorted(positives, key=str.lower), *sorted(negations, key=str.lower)])


def cpu_max_disk_gb(instances: Iterable[str]) -> int:
    """Maximum container disk (GB) for a CPU endpoint: the minimum over its instance types.

    Instances are ``CpuInstanceType`` values (``cpu3c-1-2``) or member names (``CPU3C_1_2``).
    Raises ValueError for an empty list or an unknown instance.
    """
    sizes = [
        _resolve(i, CPU_INSTANCES_BY_MEMBER, CPU_INSTANCES_BY_VALUE, "CpuInstanceType").max_disk_gb
        for i in instances
    ]
    if not sizes:
        raise ValueError("no CPU instance types given")
    return min(sizes)


# ---------------------------------------------------------------------------------------------
# Endpoint / remote / NetworkVolume / PodTemplate parameters (1.2, 1.7, 5.1)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    """A keyword argument of an SDK callable: name, type text, default (source text) and doc."""

    name: str
    annotation: str
    default: str
    doc: str


# ``Endpoint.__init__`` in signature order; only ``name`` may be positional.
ENDPOINT_PARAMS: Final[tuple[Param, ...]] = (
    Param(
        "name",
        "str | None",
        "None",
        "Endpoint name; the only positional parameter. It becomes the deployed resource name and "
        "the generated handler file name (`handler_<name>.py`), so it must be unique in the app "
        "and usable as a file name. For a queue-based decorator `None` falls back to the function "
        "or class name; load-balanced routes and `image=` require a name. A trailing `-fb` is "
        "silently stripped when flashboot is on.",
    ),
    Param(
        "id",
        "str | None",
        "None",
        "ID of an already-deployed endpoint. Puts the Endpoint in client mode: nothing is "
        "provisioned and `.run()`, `.runsync()`, `.get()`, `.post()` ... call that endpoint. "
        "Mutually exclusive with `image`; a client cannot be used as a decorator.",
    ),
    Param(
        "gpu",
        "GpuGroup | GpuType | list[GpuGroup | GpuType] | None",
        "None",
        "GPU pools (`GpuGroup`) and/or models (`GpuType`): one enum member or a list. A bare "
        "string is rejected and `gpu=[]` selects nothing. An explicit `GpuType` selects its pool "
        "and excludes the pool's other models. When neither `gpu` nor `cpu` is given the "
        "endpoint uses `GpuGroup.ANY` (every pool). Mutually exclusive with `cpu`.",
    ),
    Param(
        "cpu",
        "str | CpuInstanceType | list[str | CpuInstanceType] | None",
        "None",
        'CPU instance type(s): a `CpuInstanceType`, its exact value (e.g. `"cpu3c-1-2"`, '
        "case-sensitive) or a list. Makes this a CPU endpoint: CPU images have no torch, only "
        "EU-RO-1 is available, and the container disk is capped at 10 GB per vCPU (15 GB for "
        "cpu5c), the minimum over the list. Mutually exclusive with `gpu`.",
    ),
    Param(
        "workers",
        "int | tuple[int, int] | None",
        "None",
        "Worker scaling bounds: an int `n` means `(0, n)`, or give a `(min, max)` tuple. The "
        "default is `(0, 1)`. min must be >= 0 and <= max; there is no upper bound. The "
        "platform only falls back to another GPU type on supply when max workers >= 5.",
    ),
    Param(
        "idle_timeout",
        "int",
        "60",
        "Seconds a worker stays up with no work before it is scaled down. Must be between 1 "
        "and 3600. Default 60.",
    ),
    Param(
        "dependencies",
        "list[str] | None",
        "None",
        "pip requirement strings for this endpoint. `flash build` only collects them when they "
        "are a list literal of string constants written directly in `Endpoint(...)`; the "
        "dependencies of all endpoints are merged into one artifact. torch, torchvision, "
        "torchaudio and triton are always excluded from the artifact (GPU images ship them).",
    ),
    Param(
        "system_dependencies",
        "list[str] | None",
        "None",
        "apt packages to install on the worker. Only applied on the live path (`flash dev` or "
        "scripts): they are not written to the manifest and `flash build`/`flash deploy` do not "
        "install them.",
    ),
    Param(
        "accelerate_downloads",
        "bool",
        "True",
        "Use accelerated downloads for dependencies on live workers. Live path only: not in the "
        "manifest and ignored by `flash deploy`.",
    ),
    Param(
        "volume",
        "NetworkVolume | list[NetworkVolume] | None",
        "None",
        "Network volume(s) to attach. At most one volume per datacenter, each volume's "
        "datacenter must be in the endpoint's `datacenter` list, and an empty list is rejected.",
    ),
    Param(
        "datacenter",
        "DataCenter | str | list[DataCenter | str] | None",
        "None",
        "Datacenter(s) to deploy to: `DataCenter` members or their values (strings are "
        "upper-cased and `_` becomes `-`). GPU endpoints default to all 11 datacenters; CPU "
        "endpoints are only available in EU-RO-1. US_GA_1/2, US_MD_1, US_NC_1 and EUR_IS_1 were "
        "removed from the SDK.",
    ),
    Param(
        "env",
        "dict[str, str] | None",
        "None",
        "Environment variables for the workers; values must be strings. This is the only way "
        "to pass environment variables to deployed workers: `.env` is not shipped.",
    ),
    Param(
        "gpu_count",
        "int",
        "1",
        "GPUs per worker. Not validated, and dropped by `flash deploy` (deployed endpoints get "
        "1); only applies in `flash dev`/live mode.",
    ),
    Param(
        "execution_timeout_ms",
        "int",
        "0",
        "Job execution timeout in milliseconds; 0 means no limit. Not in the manifest and "
        "dropped by `flash deploy`; only applies in live mode.",
    ),
    Param(
        "flashboot",
        "bool",
        "True",
        "FlashBoot fast cold starts. Not in the manifest: `flash deploy` always enables it, so "
        "`flashboot=False` only applies in live mode.",
    ),
    Param(
        "image",
        "str | None",
        "None",
        "A Docker image to deploy as-is; the Endpoint then acts as a client for it (`.run()`, "
        "`.runsync()`, `.post()` ...). Requires `name` (or `id`), is mutually exclusive with "
        "`id`, and cannot be used as a decorator.",
    ),
    Param(
        "scaler_type",
        "ServerlessScalerType | None",
        "None",
        "Autoscaling strategy: `QUEUE_DELAY` or `REQUEST_COUNT`. Defaults to `REQUEST_COUNT` "
        "for load-balanced endpoints and `QUEUE_DELAY` otherwise; `QUEUE_DELAY` on a "
        "load-balanced endpoint fails at deploy.",
    ),
    Param(
        "scaler_value",
        "int",
        "4",
        "Threshold for `scaler_type` (queue delay in seconds, or requests per worker). "
        "Default 4. Not validated.",
    ),
    Param(
        "template",
        "PodTemplate | None",
        "None",
        "`PodTemplate` overrides (container disk, docker args, start script ...). The container "
        "disk defaults to 64 GB; for CPU endpoints a disk above the instance maximum is "
        "rejected. Ignored by `flash deploy`: only applies in live mode.",
    ),
    Param(
        "min_cuda_version",
        "CudaVersion | str | None",
        "CudaVersion.V12_8",
        'Minimum CUDA version for GPU workers: a `CudaVersion` or its value (e.g. `"12.8"`). '
        "Default 12.8. Ignored for CPU endpoints.",
    ),
    Param(
        "max_concurrency",
        "int",
        "1",
        "Jobs one worker runs concurrently (queue-based endpoints). Must be >= 1; above 100 the "
        "SDK warns about capacity. Removed with a warning on load-balanced endpoints. Above 1 "
        "the function must be `async def`: the deployed handler breaks on sync functions.",
    ),
)
ENDPOINT_PARAMS_BY_NAME: Final[Mapping[str, Param]] = _by_member(ENDPOINT_PARAMS, "name")
ENDPOINT_KEYWORDS: Final[frozenset[str]] = frozenset(ENDPOINT_PARAMS_BY_NAME)
ENDPOINT_POSITIONAL: Final[tuple[str, ...]] = ("name",)

# Keywords ``flash deploy`` does not apply (section 4.6): they only work in live mode (FL509).
DEPLOY_IGNORED_KEYWORDS: Final[frozenset[str]] = frozenset(
    {
        "gpu_count",
        "execution_timeout_ms",
        "flashboot",
        "template",
        "system_dependencies",
        "accelerate_downloads",
    }
)
# Keywords that are only "ignored" for one literal value (deploy forces flashboot=True).
DEPLOY_IGNORED_ONLY_FOR_VALUE: Final[Mapping[str, object]] = MappingProxyType({"flashboot": False})

# Legacy ``remote(resource_config, ...)`` keywords; unknown ones raise TypeError (section 1.7).
REMOTE_PARAMS: Final[tuple[Param, ...]] = (
    Param(
        "resource_config",
        "ServerlessResource",
        "",
        "The legacy resource object (`LiveServerless(...)` ...) to run the function on.",
    ),
    Param("dependencies", "list[str] | None", "None", "pip requirement strings."),
    Param("system_dependencies", "list[str] | None", "None", "apt packages (live path only)."),
    Param("accelerate_downloads", "bool", "True", "Accelerated dependency downloads (live only)."),
    Param("local", "bool", "False", "Run locally: returns the original object unchanged."),
    Param(
        "method",
        "str | None",
        "None",
        "HTTP method for a load-balanced resource; not upper-cased, unlike `Endpoint`.",
    ),
    Param(
        "path", "str | None", "None", "Route path for a load-balanced resource; starts with `/`."
    ),
    Param("_internal", "bool", "False", "Internal: suppresses the DeprecationWarning."),
)
REMOTE_PARAMS_BY_NAME: Final[Mapping[str, Param]] = _by_member(REMOTE_PARAMS, "name")
REMOTE_KEYWORDS: Final[frozenset[str]] = frozenset(REMOTE_PARAMS_BY_NAME)

# ``NetworkVolume`` fields (extra fields are forbidden; needs ``name`` or ``id``).
NETWORK_VOLUME_PARAMS: Final[tuple[Param, ...]] = (
    Param("name", "str | None", "None", "Volume name; must not be blank. Name or id is required."),
    Param("id", "str | None", "None", "ID of an existing volume. Name or id is required."),
    Param("size", "int | None", "100", "Size in GB, 10..4096. Default 100."),
    Param(
        "datacenter",
        "DataCenter | None",
        "None",
        "Datacenter of the volume (alias of `dataCenterId`); must be in the endpoint's list.",
    ),
    Param("dataCenterId", "DataCenter", "DataCenter.EU_RO_1", "Datacenter of the volume."),
)
NETWORK_VOLUME_PARAMS_BY_NAME: Final[Mapping[str, Param]] = _by_member(
    NETWORK_VOLUME_PARAMS, "name"
)
NETWORK_VOLUME_KEYWORDS: Final[frozenset[str]] = frozenset(NETWORK_VOLUME_PARAMS_BY_NAME)

# ``PodTemplate`` fields and defaults (core/resources/template.py).
POD_TEMPLATE_PARAMS: Final[tuple[Param, ...]] = (
    Param("advancedStart", "bool", "False", ""),
    Param("config", "dict", "{}", ""),
    Param("containerDiskInGb", "int", "64", "Container disk in GB; CPU max is per instance."),
    Param("containerRegistryAuthId", "str", '""', ""),
    Param("dockerArgs", "str", '""', ""),
    Param("env", "list", "[]", ""),
    Param("imageName", "str", '""', ""),
    Param("name", "str", '""', ""),
    Param("ports", "str", '""', ""),
    Param("startScript", "str", '""', ""),
)
POD_TEMPLATE_KEYWORDS: Final[frozenset[str]] = frozenset(p.name for p in POD_TEMPLATE_PARAMS)


@dataclass(frozen=True, slots=True)
class EnumArgument:
    """A keyword argument whose values are SDK enum members, and what else it accepts."""

    enums: tuple[str, ...]
    strings: bool  # the members' values as strings (``cpu="cpu3c-1-2"``)
    lists: bool  # a list of members (``gpu=[GpuGroup.ADA_24, GpuType.NVIDIA_L4]``)


# SDK callable -> keyword -> the enum members it takes (sections 1.2, 2, 5.1).
ENUM_ARGUMENTS: Final[Mapping[str, Mapping[str, EnumArgument]]] = MappingProxyType(
    {
        "Endpoint": MappingProxyType(
            {
                # A bare string raises ("gpu must be a GpuGroup, GpuType, or list").
                "gpu": EnumArgument(("GpuGroup", "GpuType"), strings=False, lists=True),
                "cpu": EnumArgument(("CpuInstanceType",), strings=True, lists=True),
                "datacenter": EnumArgument(("DataCenter",), strings=True, lists=True),
                "scaler_type": EnumArgument(("ServerlessScalerType",), strings=False, lists=False),
                "min_cuda_version": EnumArgument(("CudaVersion",), strings=True, lists=False),
            }
        ),
        "NetworkVolume": MappingProxyType(
            {
                "datacenter": EnumArgument(("DataCenter",), strings=True, lists=False),
                "dataCenterId": EnumArgument(("DataCenter",), strings=True, lists=False),
            }
        ),
    }
)

# ---------------------------------------------------------------------------------------------
# Limits (sections 1.2, 1.3, 5)
# ---------------------------------------------------------------------------------------------

BYTES_PER_MB: Final = 1024 * 1024  # the build measures MB as 1024**2 bytes
MAX_TARBALL_SIZE_MB: Final = 1500
DEFAULT_SIZE_WARN_RATIO: Final = 0.8
DEFAULT_LARGE_FILE_MB: Final = 50

IDLE_TIMEOUT_MIN: Final = 1
IDLE_TIMEOUT_MAX: Final = 3600
# Defaults of ``Endpoint``'s arguments, as its parameter table above gives them.
DEFAULT_IDLE_TIMEOUT: Final = int(ENDPOINT_PARAMS_BY_NAME["idle_timeout"].default)

DEFAULT_WORKERS_MIN: Final = 0
DEFAULT_WORKERS_MAX: Final = 1
DEFAULT_WORKERS: Final[tuple[int, int]] = (DEFAULT_WORKERS_MIN, DEFAULT_WORKERS_MAX)
# The platform only switches GPU types on supply at this many max workers (FL601).
GPU_FALLBACK_MIN_WORKERS: Final = 5

DEFAULT_SCALER_VALUE: Final = int(ENDPOINT_PARAMS_BY_NAME["scaler_value"].default)
DEFAULT_GPU_COUNT: Final = int(ENDPOINT_PARAMS_BY_NAME["gpu_count"].default)
DEFAULT_EXECUTION_TIMEOUT_MS: Final = int(ENDPOINT_PARAMS_BY_NAME["execution_timeout_ms"].default)
DEFAULT_ACCELERATE_DOWNLOADS: Final = (
    ENDPOINT_PARAMS_BY_NAME["accelerate_downloads"].default == "True"
)
DEFAULT_MAX_CONCURRENCY: Final = int(ENDPOINT_PARAMS_BY_NAME["max_concurrency"].default)
MAX_CONCURRENCY_MIN: Final = 1
MAX_CONCURRENCY_WARN_ABOVE: Final = 100

# PodTemplate.containerDiskInGb default; GPU endpoints always get it on deploy.
DEFAULT_GPU_CONTAINER_DISK_GB: Final = int(
    next(p.default for p in POD_TEMPLATE_PARAMS if p.name == "containerDiskInGb")
)

VOLUME_SIZE_MIN_GB: Final = 10
VOLUME_SIZE_MAX_GB: Final = 4096
DEFAULT_VOLUME_SIZE_GB: Final = int(NETWORK_VOLUME_PARAMS_BY_NAME["size"].default)

# Routes the load-balanced worker serves itself: the health check the load balancer polls
# (``GET``, answered by the generated handler) and the internal code-execution route.
HEALTH_CHECK_PATH: Final = "/ping"
EXECUTE_PATH: Final = "/execute"
# In the order the official build's error message lists them ("Reserved paths: /execute, /ping").
RESERVED_ROUTE_PATHS_LISTED: Final[tuple[str, ...]] = (EXECUTE_PATH, HEALTH_CHECK_PATH)
RESERVED_ROUTE_PATHS: Final[frozenset[str]] = frozenset(RESERVED_ROUTE_PATHS_LISTED)
# Route decorator / client method names on Endpoint (the SDK upper-cases them).
HTTP_METHODS: Final[tuple[str, ...]] = ("get", "post", "put", "delete", "patch")
# Queue-based client calls available on ``Endpoint(id=...)`` / ``Endpoint(image=...)``.
QB_CLIENT_METHODS: Final[tuple[str, ...]] = ("run", "runsync", "cancel")

# Live-path inline local-module payload cap (stubs/local_modules.py).
MAX_INLINE_MODULE_BYTES: Final = 8 * 1024 * 1024
# Names ending in this are silently stripped when flashboot is on.
FLASHBOOT_NAME_SUFFIX: Final = "-fb"
# ``FLASH_IS_TEST_DEPLOYMENT=true`` deploys every endpoint under this prefix (section 7.6).
TEST_DEPLOYMENT_PREFIX: Final = "tmp-"

# ---------------------------------------------------------------------------------------------
# Environment variables (sections 1.2, 4.6, 7.5, 7.6)
# ---------------------------------------------------------------------------------------------

# Read by the official CLI (and flash-ls) on the machine that builds or deploys.
API_KEY_ENV: Final = "RUNPOD_API_KEY"  # also injected into endpoints that make remote calls
ENVIRONMENT_ENV: Final = "FLASH_ENV"  # the target environment; on a worker, the one it runs in
TEST_DEPLOYMENT_ENV: Final = "FLASH_IS_TEST_DEPLOYMENT"  # "true": TEST_DEPLOYMENT_PREFIX
# Override every resource's ``locations``; baked into the manifest at build time (1.2).
DEFAULT_LOCATIONS_ENV: Final = "RUNPOD_DEFAULT_LOCATIONS"
DEFAULT_DATACENTER_ENV: Final = "RUNPOD_DEFAULT_DATACENTER"

# Set in the workers' environment by ``flash deploy`` (4.6, 4.7, 7.6).
RESOURCE_NAME_ENV: Final = "FLASH_RESOURCE_NAME"  # the resource config's ``remote()`` reads it
APP_NAME_ENV: Final = "FLASH_APP"
ENDPOINT_TYPE_ENV: Final = "FLASH_ENDPOINT_TYPE"
LB_ENDPOINT_TYPE: Final = "lb"  # its value on load-balanced endpoints
MAIN_FILE_ENV: Final = "FLASH_MAIN_FILE"
APP_VARIABLE_ENV: Final = "FLASH_APP_VARIABLE"
ENVIRONMENT_ID_ENV: Final = "FLASH_ENVIRONMENT_ID"
SOURCE_FINGERPRINT_ENV: Final = "_FLASH_SOURCE_FINGERPRINT"

# ---------------------------------------------------------------------------------------------
# Files (sections 4, 4.5, 7.7)
# ---------------------------------------------------------------------------------------------

# The app's build and deploy state; never shipped.
PROJECT_DIR: Final = ".flash"
# The manifest, in PROJECT_DIR and at the archive's root.
MANIFEST_FILE: Final = "flash_manifest.json"
# The archive ``flash build`` writes into PROJECT_DIR unless ``--output`` names another.
DEFAULT_ARCHIVE_NAME: Final = "artifact.tar.gz"
# Generated into the bundled SDK: which functions each resource runs (``remote()`` reads it).
RESOURCE_CONFIG_PATH: Final = f"{SDK_MODULE}/runtime/_flash_resource_config.py"
# The bundled SDK module the generated load-balanced handlers build their FastAPI app with.
LB_HANDLER_MODULE: Final = f"{SDK_MODULE}.runtime.lb_handler"


def handler_file(resource: str) -> str:
    """The worker entry point the build generates for a resource, at the archive's root (4.5)."""
    return f"handler_{resource}.py"


# Characters a resource name cannot hold: the build writes ``handler_<name>.py`` (a separator
# would put it outside the archive's root; the rest are not file names on some system).
_UNSAFE_NAME_CHARACTERS = re.compile(r'[/\\<>:"|?*\x00-\x1f]')


def unsafe_name_characters(name: str) -> list[str]:
    """The characters of ``name`` that cannot be in a handler file's name, sorted, once each."""
    return sorted(set(_UNSAFE_NAME_CHARACTERS.findall(name)))


# ---------------------------------------------------------------------------------------------
# Images and resource classes (sections 1.4, 4.3)
# ---------------------------------------------------------------------------------------------

IMAGE_REPOS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "gpu": "runpod/flash",
        "cpu": "runpod/flash-cpu",
        "lb": "runpod/flash-lb",
        "lb-cpu": "runpod/flash-lb-cpu",
    }
)
# Env vars that replace the whole image name (and skip Python version validation).
IMAGE_OVERRIDE_ENV: Final[Mapping[str, str]] = MappingProxyType(
    {
        "gpu": "FLASH_GPU_IMAGE",
        "cpu": "FLASH_CPU_IMAGE",
        "lb": "FLASH_LB_IMAGE",
        "lb-cpu": "FLASH_CPU_LB_IMAGE",
    }
)
IMAGE_TAG_ENV: Final = "FLASH_IMAGE_TAG"
DEFAULT_IMAGE_TAG: Final = "latest"

# (is_load_balanced, is_cpu) -> image type.
IMAGE_TYPE_BY_KIND: Final[Mapping[tuple[bool, bool], str]] = MappingProxyType(
    {(False, False): "gpu", (False, True): "cpu", (True, False): "lb", (True, True): "lb-cpu"}
)
# (is_load_balanced, is_cpu) -> resource class `flash build` writes (always the Live* classes).
LIVE_RESOURCE_CLASS_BY_KIND: Final[Mapping[tuple[bool, bool], str]] = MappingProxyType(
    {(lb, cpu): live_resource_class(lb, cpu).name for lb in (False, True) for cpu in (False, True)}
)
IMAGE_TYPE_BY_RESOURCE_CLASS: Final[Mapping[str, str]] = MappingProxyType(
    {rc.name: rc.image_type for rc in RESOURCE_CLASSES.values() if rc.live}
)


def image_name(
    image_type: str,
    python_version: str = DEFAULT_PYTHON_VERSION,
    env: Mapping[str, str] | None = None,
) -> str:
    """The Flash runtime image for ``image_type`` (``gpu``, ``cpu``, ``lb``, ``lb-cpu``).

    Implements ``get_image_name``: a non-empty whole-name override (``FLASH_GPU_IMAGE`` ...)
    wins; otherwise ``{repo}:py{python_version}-{FLASH_IMAGE_TAG or "latest"}``. ``env`` is the
    environment to read (pass ``os.environ`` explicitly; None means empty). Raises ValueError
    for an unknown image type or an unsupported Python version.
    """
    env = env or {}
    if image_type not in IMAGE_REPOS:
        raise ValueError(f"unknown image type {image_type!r}; expected one of {list(IMAGE_REPOS)}")
    override = env.get(IMAGE_OVERRIDE_ENV[image_type])
    if override:
        return override
    if python_version not in SUPPORTED_PYTHON_VERSIONS:
        raise ValueError(
            f"Python {python_version} is not supported. "
            f"Supported versions: {', '.join(SUPPORTED_PYTHON_VERSIONS)}"
        )
    tag = env.get(IMAGE_TAG_ENV) or DEFAULT_IMAGE_TAG
    return f"{IMAGE_REPOS[image_type]}:py{python_version}-{tag}"


# ---------------------------------------------------------------------------------------------
# Packages (sections 3.5, 5.2, 6.3)
# ---------------------------------------------------------------------------------------------

# Always dropped from the artifact, for every endpoint type including CPU.
SIZE_PROHIBITIVE_PACKAGES: Final[frozenset[str]] = frozenset(
    {"torch", "torchvision", "torchaudio", "triton"}
)
TORCH_FAMILY: Final[frozenset[str]] = SIZE_PROHIBITIVE_PACKAGES
GPU_BASE_IMAGE_PACKAGES: Final[frozenset[str]] = SIZE_PROHIBITIVE_PACKAGES | {"numpy"}
CPU_BASE_IMAGE_PACKAGES: Final[frozenset[str]] = frozenset()
# Image type -> distributions preinstalled in that image (GPU images are runpod/pytorch based).
BASE_IMAGE_PACKAGES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "gpu": GPU_BASE_IMAGE_PACKAGES,
        "lb": GPU_BASE_IMAGE_PACKAGES,
        "cpu": CPU_BASE_IMAGE_PACKAGES,
        "lb-cpu": CPU_BASE_IMAGE_PACKAGES,
    }
)

# ``extract_package_name`` splits only on these, so ``torch~=2.0`` / ``torch @ url`` slip through.
SDK_REQUIREMENT_SPLIT_CHARS: Final = "<>=![;"
_SDK_REQUIREMENT_SPLIT = re.compile("[" + re.escape(SDK_REQUIREMENT_SPLIT_CHARS) + "]")
_PEP503_SEPARATORS = re.compile(r"[-_.]+")


def sdk_requirement_name(requirement: str) -> str:
    """The package name the SDK's pre-pip exclusion filter sees for a requirement string."""
    return _SDK_REQUIREMENT_SPLIT.split(requirement, maxsplit=1)[0].strip().lower()


@functools.lru_cache(maxsize=4096)  # called for every import and requirement on every check
def normalize_distribution(name: str) -> str:
    """PEP 503 normalised distribution name: lower-case, runs of ``-_.`` become ``-``."""
    return _PEP503_SEPARATORS.sub("-", name).lower()


def tarball_name(name: str) -> str:
    """How the build's tarball filter normalises a top-level entry or an excluded package name
    before comparing them (``_normalize_package_name``: lower-case, ``-`` becomes ``_``)."""
    return name.lower().replace("-", "_")


# ---------------------------------------------------------------------------------------------
# The dependency install (sections 5.2, 9)
# ---------------------------------------------------------------------------------------------

# `flash build`'s ``pip install --platform`` values (pip expands manylinux2014 to 2010 and 1).
PIP_PLATFORMS: Final[tuple[str, ...]] = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)
PIP_IMPLEMENTATION: Final = "cp"
# How messages name the platform of those wheels.
PIP_PLATFORM_LABEL: Final = "manylinux x86_64"
# What the build falls back to without pip: ``uv pip install --python-platform``.
UV_PLATFORM: Final = "x86_64-unknown-linux-gnu"

# pip evaluates environment markers (``sys_platform == "linux"``) against the machine that runs
# it, wheel tags aside (section 9): the same app built on macOS ships no nvidia-* wheels. The size
# estimate resolves for the machine it runs on, or for one of these (``size-platform``): the
# marker values pip sees instead of its own (the interpreter's Python version is kept, as in the
# build). ``platform_release``/``platform_version`` are emptied: they name a kernel build.
SIZE_PLATFORMS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        name: MappingProxyType(
            {
                "sys_platform": sys_platform,
                "platform_system": system,
                "platform_machine": machine,
                "os_name": os_name,
                "platform_release": "",
                "platform_version": "",
                "implementation_name": "cpython",
                "platform_python_implementation": "CPython",
            }
        )
        for name, sys_platform, system, machine, os_name in (
            ("linux-x86_64", "linux", "Linux", "x86_64", "posix"),
            ("linux-aarch64", "linux", "Linux", "aarch64", "posix"),
            ("macos-arm64", "darwin", "Darwin", "arm64", "posix"),
            ("macos-x86_64", "darwin", "Darwin", "x86_64", "posix"),
            ("windows-amd64", "win32", "Windows", "AMD64", "nt"),
        )
    }
)
# What the workers run and CI usually builds on.
WORKER_PLATFORM: Final = "linux-x86_64"

ARCHIVE_RATIO: Final = 0.98
"""Archive bytes of the dependency part of an artifact per byte of the wheels it came from.

Wheels are zip archives and the artifact a gzipped tarball of their unpacked files, so the
dependency part of the archive is about as large as the wheels it unpacks. Measured on real
``flash build`` runs (runpod-flash 1.21.0, 2026-12-04; archive bytes minus the 0.2 MB of an app
without dependencies, over the wheels pip chose): requests + pydantic 0.956, pandas + numpy +
scipy + matplotlib 0.973, sentence-transformers (2,016 MB of wheels after the torch family is
stripped, an archive of 2007.2 MB) 0.996. ``benchmarks/sizes.py`` repeats the measurement.
"""

# Distributions whose names match a glob are shown as one group in size findings, with a label.
PACKAGE_FAMILIES: Final[Mapping[str, str]] = MappingProxyType({"nvidia-*": "CUDA wheels"})


# Import name (top-level or dotted) -> PyPI distribution, where they differ.
IMPORT_TO_DISTRIBUTION: Final[Mapping[str, str]] = MappingProxyType(
    {
        "PIL": "pillow",
        "cv2": "opencv-python",
        "sklearn": "scikit-learn",
        "yaml": "pyyaml",
        "bs4": "beautifulsoup4",
        "skimage": "scikit-image",
        "attr": "attrs",
        "dateutil": "python-dateutil",
        "dotenv": "python-dotenv",
        "jwt": "pyjwt",
        "google.protobuf": "protobuf",
        "Crypto": "pycryptodome",
        "Cryptodome": "pycryptodomex",
        "magic": "python-magic",
        "docx": "python-docx",
        "pptx": "python-pptx",
        "fitz": "pymupdf",
        "serial": "pyserial",
        "usb": "pyusb",
        "git": "gitpython",
        "OpenSSL": "pyopenssl",
        "jose": "python-jose",
        "multipart": "python-multipart",
        "sentence_transformers": "sentence-transformers",
        "huggingface_hub": "huggingface-hub",
        "faiss": "faiss-cpu",
        "MySQLdb": "mysqlclient",
        # Only the -binary distribution ships wheels, and the build installs wheels only.
        "psycopg2": "psycopg2-binary",
        "zmq": "pyzmq",
        "nacl": "pynacl",
        "gi": "pygobject",
        "wx": "wxpython",
        "googleapiclient": "google-api-python-client",
        "google.auth": "google-auth",
        "google.cloud.storage": "google-cloud-storage",
        "google.cloud.bigquery": "google-cloud-bigquery",
        "google.generativeai": "google-generativeai",
        "google.genai": "google-genai",
        "vertexai": "google-cloud-aiplatform",
        "azure.storage.blob": "azure-storage-blob",
        "azure.identity": "azure-identity",
        "grpc": "grpcio",
        "grpc_tools": "grpcio-tools",
        "OpenGL": "pyopengl",
        "pkg_resources": "setuptools",
        "dns": "dnspython",
        "ldap": "python-ldap",
        "telegram": "python-telegram-bot",
        "discord": "discord.py",
        "slugify": "python-slugify",
        "socks": "pysocks",
        "websocket": "websocket-client",
        "kafka": "kafka-python",
        "snappy": "python-snappy",
        "llama_cpp": "llama-cpp-python",
        "mpl_toolkits": "matplotlib",
        "pylab": "matplotlib",
        "Bio": "biopython",
        "cairo": "pycairo",
        "whisper": "openai-whisper",
        "speech_recognition": "SpeechRecognition",
        "absl": "absl-py",
        "tree": "dm-tree",
        "bson": "pymongo",
        "gridfs": "pymongo",
        "pynvml": "nvidia-ml-py",
        "ffmpeg": "ffmpeg-python",
        "open_clip": "open-clip-torch",
        "osgeo": "gdal",
        "pdfminer": "pdfminer.six",
        "barcode": "python-barcode",
        "github": "pygithub",
        "gitlab": "python-gitlab",
        "cpuinfo": "py-cpuinfo",
        "argon2": "argon2-cffi",
        "paho.mqtt": "paho-mqtt",
        "RPi": "RPi.GPIO",
        "pywt": "pywavelets",
        "umap": "umap-learn",
        "ot": "pot",
        "paddle": "paddlepaddle",
        "MeCab": "mecab-python3",
        "newspaper": "newspaper3k",
        "snowflake.connector": "snowflake-connector-python",
        "cassandra": "cassandra-driver",
        "skopt": "scikit-optimize",
        "imblearn": "imbalanced-learn",
        "hydra": "hydra-core",
        "capnp": "pycapnp",
        "weaviate": "weaviate-client",
        "IPython": "ipython",
    }
)
# Distributions that provide an import name without being its canonical distribution.
DISTRIBUTION_EXTRA_IMPORTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "opencv-python-headless": ("cv2",),
        "opencv-contrib-python": ("cv2",),
        "opencv-contrib-python-headless": ("cv2",),
        "faiss-gpu": ("faiss",),
        "pillow-simd": ("PIL",),
        "pymupdf": ("pymupdf",),
        "pymongo": ("pymongo",),
        "matplotlib": ("matplotlib",),
        "setuptools": ("setuptools",),
        "attrs": ("attrs",),
    }
)


@functools.lru_cache(maxsize=4096)
def distribution_for_import(module: str) -> str:
    """The PyPI distribution that provides import name ``module`` (top-level or dotted).

    The longest known dotted prefix wins (``google.cloud.storage.blob`` -> google-cloud-storage);
    otherwise the top-level name with ``_`` replaced by ``-``, without the underscores around a
    private name (``_speedups`` -> speedups: a distribution name starts and ends with a letter or
    digit).
    """
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = IMPORT_TO_DISTRIBUTION.get(".".join(parts[:end]))
        if found is not None:
            return found
    return (parts[0].strip("_") or parts[0]).replace("_", "-")


def _reverse_import_map() -> Mapping[str, tuple[str, ...]]:
    reverse: dict[str, list[str]] = {}
    for module, dist in IMPORT_TO_DISTRIBUTION.items():
        reverse.setdefault(normalize_distribution(dist), []).append(module)
    for dist, modules in DISTRIBUTION_EXTRA_IMPORTS.items():
        bucket = reverse.setdefault(normalize_distribution(dist), [])
        bucket.extend(m for m in modules if m not in bucket)
    return MappingProxyType({dist: tuple(mods) for dist, mods in reverse.items()})


# Normalised distribution -> import names it provides (known cases only).
DISTRIBUTION_TO_IMPORTS: Final[Mapping[str, tuple[str, ...]]] = _reverse_import_map()


def import_names_for_distribution(dist: str) -> tuple[str, ...]:
    """Import names a distribution provides: known ones, else the normalised name with ``_``.

    ``dist`` may be any spelling (``PyYAML``, ``python_dateutil``); dotted import names such as
    ``google.protobuf`` are returned as written.
    """
    key = normalize_distribution(dist)
    return DISTRIBUTION_TO_IMPORTS.get(key) or (key.replace("-", "_"),)


# Stdlib modules that ``sys.stdlib_module_names`` of some supported interpreter lacks (removed in
# 3.12/3.13 or added in 3.11), so the answer does not depend on the Python running flash-ls.
EXTRA_STDLIB_MODULES: Final[frozenset[str]] = frozenset(
    {
        "__future__",
        "tomllib",
        "distutils",
        "imp",
        "asynchat",
        "asyncore",
        "smtpd",
        "aifc",
        "audioop",
        "cgi",
        "cgitb",
        "chunk",
        "crypt",
        "imghdr",
        "mailcap",
        "msilib",
        "nis",
        "nntplib",
        "ossaudiodev",
        "pipes",
        "sndhdr",
        "spwd",
        "sunau",
        "telnetlib",
        "uu",
        "xdrlib",
        "lib2to3",
    }
)


def is_stdlib(module: str) -> bool:
    """True if ``module`` (top-level or dotted) is part of the Python standard library."""
    top = module.split(".", 1)[0]
    return top in sys.stdlib_module_names or top in EXTRA_STDLIB_MODULES


# ---------------------------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------------------------

SUGGESTION_CUTOFF: Final = 0.6


def closest(name: str, candidates: Iterable[str], cutoff: float = SUGGESTION_CUTOFF) -> str | None:
    """The candidate most similar to ``name`` (case-insensitive difflib ratio), or None.

    Used for "did you mean" hints; an exact case-insensitive match is returned as is.
    """
    import difflib  # only for hints: not loaded at start-up

    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    matches = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=cutoff)
    return by_folded[matches[0]] if matches else None


# =============================================================================================
# The app API of the ``runpod`` package (runpod 2.0: ``runpod.App``, ``@app.queue``/``api``/
# ``task``, route markers on ``@app.api`` classes). A second SDK surface beside ``runpod_flash``,
# read by ``project/app_api_reader.py``. Source: runpod-app-api.md (runpod 2.0.0rc2 wheel);
# section numbers in this part refer to that document, file names to ``runpod/apps/``.
# =============================================================================================

APP_API_MODULE: Final = "runpod"
APP_API_DISTRIBUTION: Final = "runpod"
APP_API_VERSION: Final = "2.0.0rc2"  # the release these facts were read from

# The class whose instances are the apps (``App(name, *, env="default")``, section 1.2).
APP_CLASS: Final = "App"
APP_DEFAULT_ENV: Final = "default"

# ``@app.<decorator>(...)`` -> the resource kind it declares (spec.py ``ResourceKind``).
APP_RESOURCE_KIND_QUEUE: Final = "queue"
APP_RESOURCE_KIND_API: Final = "api"
APP_RESOURCE_KIND_TASK: Final = "task"
APP_RESOURCE_DECORATORS: Final[tuple[str, ...]] = (
    APP_RESOURCE_KIND_QUEUE,
    APP_RESOURCE_KIND_API,
    APP_RESOURCE_KIND_TASK,
)

# Route markers on the methods of an ``@app.api`` class (markers.py); the SDK upper-cases them.
APP_ROUTE_MARKERS: Final[tuple[str, ...]] = ("get", "post", "put", "delete", "patch")
# ``@runpod.init``: the worker-startup hook of an ``@app.api`` class (bare, never called).
APP_INIT_MARKER: Final = "init"
# Decorators under which a marker still reaches the method ``inspect.getmembers`` returns
# (markers above them stamp the wrapper, which the SDK never sees: section 2.3).
APP_METHOD_WRAPPERS: Final[frozenset[str]] = frozenset({"staticmethod", "classmethod"})
# A method under this is no callable member: its markers are never collected.
APP_METHOD_NOT_CALLABLE: Final[frozenset[str]] = frozenset({"property"})

# Paths the worker runtime serves itself (markers.py ``RESERVED_PATHS``; exact match), in the
# order of the SDK's error message (sorted).
APP_SYNC_PATH: Final = "/_runpod/sync"
APP_RESERVED_ROUTE_PATHS_LISTED: Final[tuple[str, ...]] = tuple(
    sorted((APP_SYNC_PATH, EXECUTE_PATH, HEALTH_CHECK_PATH))
)
APP_RESERVED_ROUTE_PATHS: Final[frozenset[str]] = frozenset(APP_RESERVED_ROUTE_PATHS_LISTED)

# Public module -> the app API names it exports (section 1.1): ``runpod`` resolves them lazily,
# ``runpod.apps`` re-exports most, and each lives in one submodule.
_APP_MARKER_NAMES: Final = (*APP_ROUTE_MARKERS, APP_INIT_MARKER)
_APP_ENUMS: Final = ("GpuGroup", "GpuType", "CpuInstanceType", "DataCenter")
APP_API_EXPORTS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        APP_API_MODULE: frozenset((APP_CLASS, *_APP_MARKER_NAMES, *_APP_ENUMS)),
        f"{APP_API_MODULE}.apps": frozenset((APP_CLASS, *_APP_MARKER_NAMES, "DataCenter")),
        f"{APP_API_MODULE}.apps.app": frozenset((APP_CLASS,)),
        f"{APP_API_MODULE}.apps.markers": frozenset(_APP_MARKER_NAMES),
        f"{APP_API_MODULE}.apps.gpu": frozenset(("GpuGroup", "GpuType", "CpuInstanceType")),
        f"{APP_API_MODULE}.apps.datacenter": frozenset(("DataCenter",)),
    }
)


def is_app_api_module(module: str) -> bool:
    """Whether ``module`` is ``runpod`` or one of its submodules (never ``runpod_flash``)."""
    return module == APP_API_MODULE or module.startswith(APP_API_MODULE + ".")


def is_app_api_export(module: str, name: str) -> bool:
    """Whether ``module:name`` is the app API's ``name`` (``runpod:App``, ``runpod.apps:post``)."""
    return name in APP_API_EXPORTS.get(module, frozenset())


# Keyword parameters of the decorators, in signature order (app.py; section 1.3). All are
# keyword-only: a positional argument or another keyword is a TypeError at decoration.
_APP_COMMON_HEAD: Final = ("name", "gpu", "cpu", "gpu_count")
_APP_SCALING: Final = ("workers", "idle_timeout")
_APP_CONTAINER: Final = (
    "dependencies",
    "system_dependencies",
    "mounts",
    "env",
    "datacenter",
    "image",
    "registry_auth",
)
_APP_TAIL: Final = ("min_cuda_version", "accelerate_downloads", "container_disk_gb")
_APP_ENDPOINT_TUNING: Final = ("flashboot", "scaler_type", "scaler_value")
APP_RESOURCE_PARAMETERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        APP_RESOURCE_KIND_QUEUE: (
            *_APP_COMMON_HEAD,
            *_APP_SCALING,
            *_APP_CONTAINER,
            "model",
            "max_concurrency",
            "execution_timeout_ms",
            *_APP_ENDPOINT_TUNING,
            *_APP_TAIL,
        ),
        APP_RESOURCE_KIND_API: (
            *_APP_COMMON_HEAD,
            *_APP_SCALING,
            *_APP_CONTAINER,
            "model",
            "execution_timeout_ms",
            *_APP_ENDPOINT_TUNING,
            *_APP_TAIL,
        ),
        APP_RESOURCE_KIND_TASK: (
            *_APP_COMMON_HEAD,
            "dependencies",
            "system_dependencies",
            "mounts",
            "env",
            "image",
            "registry_auth",
            "datacenter",
            *_APP_TAIL,
        ),
    }
)

# Queue and api resource names shorter than this fail the build (deploy.py; tasks exempt, 3.1).
APP_MIN_RESOURCE_NAME_LENGTH: Final = 3

# Directories discovery never imports from (discovery.py ``_SKIP_DIRS``, section 4.1); every
# other ``*.py`` under the target is imported, tests and other virtualenvs included.
APP_DISCOVERY_SKIPPED_DIRS: Final[frozenset[str]] = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".runpod",
        PROJECT_DIR,
        "build",
        "dist",
    }
)

# GPU values (gpu.py; section 1.6). ``GpuGroup.all()`` (the pools, in enum order) and rc2's
# ``GpuType`` members but ``ANY`` in enum order, each with its pool (``POOLS_TO_TYPES``). rc2's
# ``GpuType`` adds the H100 PCIe and NVL editions to runpod_flash's (``GPU_TYPES``).
APP_GPU_ANY: Final = "any"
APP_GPU_POOLS: Final[tuple[str, ...]] = (
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
)
APP_GPU_TYPES: Final[tuple[GpuModel, ...]] = (
    *(t for t in GPU_TYPES[1:8]),
    GpuModel("NVIDIA_H100_PCIe", "NVIDIA H100 PCIe", "ADA_80_PRO"),
    GpuModel("NVIDIA_H100_NVL", "NVIDIA H100 NVL", "ADA_80_PRO"),
    *(t for t in GPU_TYPES[8:]),
)
APP_GPU_POOL_OF_DEVICE: Final[Mapping[str, str]] = MappingProxyType(
    {t.value: t.pool for t in APP_GPU_TYPES if t.pool is not None}
)


@dataclass(frozen=True, slots=True)
class AppGpuMatch:
    """What ``resolve_gpu_string`` makes of a string: the values it returns and the rule that
    matched (``any``, ``pool``, ``device``, ``fragment``)."""

    values: tuple[str, ...]
    rule: str

    @property
    def pools(self) -> tuple[str, ...]:
        """The pools an endpoint selects with it (``gpu_ids_value``), in order, once each."""
        found = [APP_GPU_POOL_OF_DEVICE.get(v, v) for v in self.values]
        return tuple(dict.fromkeys(found))


def app_resolve_gpu_string(value: str) -> AppGpuMatch | None:
    """rc2's ``resolve_gpu_string`` (gpu.py:165-208), step for step; None where it raises."""
    text = value.strip()
    if text.lower() == APP_GPU_ANY:
        return AppGpuMatch((APP_GPU_ANY,), "any")
    upper = text.upper()
    for pool in APP_GPU_POOLS:
        if pool.upper() == upper:
            return AppGpuMatch((pool,), "pool")
    for gpu in APP_GPU_TYPES:
        if gpu.value.upper() == upper or gpu.member == upper:
            return AppGpuMatch((gpu.value,), "device")
    fragment = upper.replace("_", " ")
    matches = tuple(g.value for g in APP_GPU_TYPES if fragment in g.value.upper())
    return AppGpuMatch(matches, "fragment") if matches else None


def app_unknown_gpu_message(value: str) -> str:
    """The ``InvalidResourceError`` rc2 raises for a GPU string it cannot resolve."""
    pools = ", ".join(APP_GPU_POOLS)
    devices = ", ".join(t.value for t in APP_GPU_TYPES)
    return (
        f"unknown gpu '{value}'. use a pool id ({pools}), a device "
        f"name ({devices}), or a fragment like '4090' or 'H100'"
    )


# Packages the build leaves out of the artifact only when every resource of the App has a truthy
# ``gpu`` and no ``image`` (build.py ``SIZE_PROHIBITIVE_PACKAGES``, ``auto_exclude``; 5.4).
APP_SIZE_PROHIBITIVE_PACKAGES: Final[frozenset[str]] = frozenset(SIZE_PROHIBITIVE_PACKAGES)
_APP_REQUIREMENT_NAME: Final = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def app_requirement_name(requirement: str) -> str:
    """The distribution name rc2's build keys a requirement by (build.py ``requirement_name``)."""
    match = _APP_REQUIREMENT_NAME.match(requirement)
    return (match.group(1) if match else requirement).lower().replace("_", "-")


# The decorators' parameters as hover and completion word them (section 1.3): the type and
# default of rc2's signatures and what each does. Which kinds take which: APP_RESOURCE_PARAMETERS.
APP_RESOURCE_PARAMS: Final[tuple[Param, ...]] = (
    Param(
        "name",
        "Optional[str]",
        "None",
        "The resource name, which is the deployed endpoint's name. When falsy (absent, `None`, "
        "`\"\"`) the function's or class's `__name__` (`name or fn.__name__`), so renaming the "
        "function renames the endpoint: deploy deletes the old one and creates a new one. "
        "Unique per App across queue, api and task.",
    ),
    Param(
        "gpu",
        "GpuGroup | GpuType | str | List[...]",
        "None",
        "GPU pools or devices. A string is `any`, a pool id (`AMPERE_24`), a device name "
        "(`NVIDIA L4`) or a fragment of device names (`4090`, `H100`); anything else raises at "
        "decoration. Endpoints select by pool, so one device admits its whole pool. Exclusive "
        "with `cpu`; with neither, the resource runs on any GPU.",
    ),
    Param(
        "cpu",
        "str | List[str]",
        "None",
        "CPU instance types, `{generation}{type}-{vCPU}-{RAM GB}` (`cpu3c-2-4`). Any non-empty "
        "string is accepted. Exclusive with `gpu`. `cpu5*` types default to EU-RO-1 only.",
    ),
    Param("gpu_count", "int", "1", "GPUs per worker, at least 1."),
    Param(
        "workers",
        "int | (min, max) | None",
        "None",
        "The worker range: `n` means `(0, n)`, the default is `(0, 3)`; max at least 1, min at "
        "most max. Not for tasks.",
    ),
    Param(
        "idle_timeout",
        "int",
        "60",
        "Seconds an idle worker stays up (not validated by the SDK). Not for tasks.",
    ),
    Param(
        "dependencies",
        "Optional[List[str]]",
        "None",
        "pip requirements. Deploy merges every resource's with `requirements.txt` (the first "
        "pin of a package wins); dev and tasks install only this resource's, per request. A "
        "bare string is iterated character by character.",
    ),
    Param(
        "system_dependencies",
        "Optional[List[str]]",
        "None",
        "apt packages, installed at cold start (deploy) or per request (dev, tasks).",
    ),
    Param(
        "mounts",
        "Mapping[str, Volume]",
        "None",
        "Volumes by absolute mount path (`NetworkVolume`, `GlobalVolume`). Queue and api "
        "resources take one volume, at `/runpod-volume`.",
    ),
    Param(
        "env",
        "Dict[str, Any]",
        "None",
        "Environment variables of the workers; values are `str()`-ed, a `Secret` becomes a "
        "secret reference.",
    ),
    Param(
        "datacenter",
        "str | List[str | DataCenter]",
        "None",
        "Datacenters (`EU-RO-1`), normalised by stripping, upper-casing and `_` -> `-`. GPU "
        "endpoints without one may run in every datacenter.",
    ),
    Param(
        "image",
        "Optional[str]",
        "None",
        "A custom image (the runtime is pip-installed at start). Turns off the automatic "
        "exclusion of torch from the artifact.",
    ),
    Param(
        "registry_auth",
        "Optional[str]",
        "None",
        "The registry credential (name or id) for `image`, resolved when provisioning.",
    ),
    Param(
        "model",
        "Model | str",
        "None",
        'A Hugging Face model: `Model(...)` or `"owner/name[:revision]"`. Not for tasks.',
    ),
    Param(
        "max_concurrency",
        "int",
        "1",
        "Jobs one worker runs at once, at least 1 (queue resources only).",
    ),
    Param("execution_timeout_ms", "int", "0", "Execution timeout in milliseconds, at least 0."),
    Param("flashboot", "bool", "True", "FlashBoot: faster cold starts."),
    Param(
        "scaler_type",
        "Optional[str]",
        "None",
        "`QUEUE_DELAY` or `REQUEST_COUNT` (any case); by default `QUEUE_DELAY` for queue and "
        "`REQUEST_COUNT` for api resources.",
    ),
    Param("scaler_value", "int", "4", "The scaler's threshold, at least 1."),
    Param(
        "min_cuda_version",
        "Optional[str]",
        "None",
        "The lowest CUDA version of the hosts (`12.4`). Rejected with `cpu`.",
    ),
    Param("accelerate_downloads", "bool", "True", "Accelerated downloads."),
    Param(
        "container_disk_gb",
        "Optional[int]",
        "None",
        "Container disk in GB, at least 1; by default 10 (CPU) or 30 (GPU).",
    ),
)
APP_RESOURCE_PARAMS_BY_NAME: Final[Mapping[str, Param]] = _by_member(APP_RESOURCE_PARAMS, "name")
# ``workers=None`` -> (0, 3); ``idle_timeout`` defaults to 60 s (spec.py; section 1.3).
APP_DEFAULT_WORKERS: Final[tuple[int, int]] = (0, 3)
APP_DEFAULT_IDLE_TIMEOUT: Final = int(APP_RESOURCE_PARAMS_BY_NAME["idle_timeout"].default)
# Keywords that also take a list of values (the others take one).
APP_LIST_ARGUMENTS: Final[frozenset[str]] = frozenset({"gpu", "cpu", "datacenter"})
# rc2's ``CpuInstanceType`` and ``DataCenter`` are runpod_flash's (sections 1.6, 1.7), and so are
# the CUDA versions ``min_cuda_version`` takes and the scaler types.
APP_CPU_INSTANCES: Final[tuple[CpuInstance, ...]] = CPU_INSTANCES
APP_DATACENTERS: Final[tuple[EnumMember, ...]] = DATACENTERS
APP_CUDA_VERSIONS: Final[tuple[str, ...]] = tuple(c.value for c in CUDA_VERSIONS)
APP_SCALER_TYPES: Final[tuple[EnumMember, ...]] = SCALER_TYPES
# Instance types of this generation prefix default to this datacenter only (datacenter.py).
APP_CPU5_PREFIX: Final = "cpu5"
APP_CPU5_DATACENTER: Final = "EU-RO-1"
# Pool -> its devices (rc2's ``POOLS_TO_TYPES``), in enum order.
APP_GPU_POOL_DEVICES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {pool: tuple(t.value for t in APP_GPU_TYPES if t.pool == pool) for pool in APP_GPU_POOLS}
)

# What ``ResourceSpec.validate`` (spec.py:194-268) and the decorators' signatures (app.py)
# reject when the decorator runs, with rc2's exact messages (section 1.5); the FL5xx rules that
# carry over to the app API quote them. ``InvalidResourceError`` unless said otherwise.
APP_RESOURCE_ERROR: Final = "InvalidResourceError"
# ``workers``: an int ``n`` means ``(APP_WORKERS_DEFAULT_MIN, n)``; a 2-tuple or 2-list is
# ``int()``-ed; then min >= 0, max >= 1 and min <= max (spec.py ``normalize_workers``).
APP_WORKERS_DEFAULT_MIN: Final = APP_DEFAULT_WORKERS[0]
APP_WORKERS_MIN_LOW: Final = 0
APP_WORKERS_MIN_HIGH: Final = 1
# ``max_concurrency`` (queue resources only) is at least this.
APP_MAX_CONCURRENCY_MIN: Final = 1
# The format rc2's REST translation checks CPU instance ids against (never at decoration).
APP_CPU_INSTANCE_FORMAT: Final = re.compile(r"^([^-\s]+)-([1-9][0-9]*)-([1-9][0-9]*)$")
APP_CPU_EMPTY_MESSAGE: Final = "cpu must contain non-empty instance ids"


def app_unexpected_keyword_message(kind: str, keyword: str) -> str:
    """The ``TypeError`` of ``app.<kind>(keyword=...)`` for a parameter it does not have."""
    return f"App.{kind}() got an unexpected keyword argument '{keyword}'"


def app_gpu_and_cpu_message(name: str) -> str:
    return f"resource '{name}': gpu and cpu are mutually exclusive"


def app_cpu_type_message(type_name: str) -> str:
    return f"cpu must be an instance id string or list, got {type_name}"


def app_workers_shape_message(shown: str) -> str:
    """``shown`` is the value's ``repr``."""
    return f"workers must be an int or (min, max) tuple, got {shown}"


def app_worker_range_message(low: int, high: int) -> str:
    return f"invalid worker range ({low}, {high})"


def app_workers_order_message(low: int, high: int) -> str:
    return f"workers min ({low}) cannot exceed max ({high})"


def app_max_concurrency_message(name: str, value: int) -> str:
    return f"resource '{name}': max_concurrency must be >= 1, got {value}"


def app_cuda_version(value: object) -> str:
    """What ``normalize_cuda_version`` compares: ``str(value).strip()`` (a float 12.4 passes)."""
    return str(value).strip()


def app_cuda_version_message(shown: str) -> str:
    """``shown`` is the value's ``repr``."""
    return f"min_cuda_version must be one of {', '.join(sorted(APP_CUDA_VERSIONS))}, got {shown}"


def app_cuda_on_cpu_message(name: str) -> str:
    return f"resource '{name}': min_cuda_version has no effect on cpu resources"


def app_datacenter_message(shown: str) -> str:
    """``shown`` is the ``repr`` of the whole ``datacenter=`` value."""
    return f"invalid datacenter: {shown}"


def app_unknown_datacenter_message(value: str) -> str:
    """The cause ``DataCenter.from_string`` raises for an unknown string."""
    valid = ", ".join(d.value for d in APP_DATACENTERS)
    return f"unknown datacenter '{value}'. valid datacenters: {valid}"


# runpod_flash ``Endpoint`` keywords the decorators do not take (a TypeError), with what the app
# API has instead (sections 1.3, 8).
APP_FLASH_KEYWORD_HINTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "volume": 'use mounts={"/runpod-volume": NetworkVolume(...)}',
        "python_version": "the app API has none: use rp flash deploy --python-version",
        "template": "the app API has no templates: use image=, container_disk_gb=, env=",
        "id": "for an endpoint deployed elsewhere use runpod.Queue/Api(app=..., id=...)",
        "secrets": "put Secret(...) values in env=",
    }
)

# Distributions every deployed App's artifact vendors (build.py:42-55, section 5.3), the two an
# App with an api resource adds, and the hard requirements pip installs with requests and
# fastapi; the worker images provide them in dev and for tasks too (section 10.4).
APP_RUNTIME_REQUIREMENTS: Final[tuple[str, ...]] = (
    "aiohttp",
    "aiohttp-retry",
    "backoff",
    "cloudpickle",
    "py-cpuinfo",
    "requests",
    "tomli",
    "tomlkit",
    "tqdm-loggable",
    "certifi",
    "charset-normalizer",
    "idna",
    "urllib3",
)
APP_API_RUNTIME_REQUIREMENTS: Final[tuple[str, ...]] = (
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
)

# What ``rp flash deploy`` packs of the project tree (deploy.py ``package_project``, section
# 5.6): gitignore syntax, the defaults first, then each directory's ``.gitignore`` (scoped to its
# directory), then the root's ``.runpodignore``; the last pattern that decides wins, but nothing
# re-includes a protected path; symlinks never ship.
APP_IGNORE_FILE: Final = ".runpodignore"
APP_GITIGNORE_FILE: Final = ".gitignore"
APP_DEFAULT_IGNORES: Final[tuple[str, ...]] = (
    ".venv/",
    "venv/",
    "env/",
    "__pycache__/",
    "*.pyc",
    "node_modules/",
    ".DS_Store",
    "*.tar.gz",
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
)
APP_PROTECTED_IGNORES: Final[tuple[str, ...]] = (
    ".git",
    ".runpod",
    PROJECT_DIR,
    "/env",
    "/runpod_manifest.json",
    ".env",
    ".env.*",
    "*.env",
    "*.env.*",
    "*.pem",
    "*.key",
    "id_rsa",
    "id_rsa.*",
    "id_dsa",
    "id_dsa.*",
    "id_ecdsa",
    "id_ecdsa.*",
    "id_ed25519",
    "id_ed25519.*",
    ".ssh",
    ".aws",
    ".azure",
    ".kube",
    ".docker/config.json",
    "**/.docker/config.json",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".boto",
    "service-account*.json",
    "service_account*.json",
)
# The artifact limit, on the compressed tarball (build.py ``MAX_ARTIFACT_MB``; 1024**2 bytes).
APP_MAX_ARTIFACT_MB: Final = 1500

# ``rp flash deploy --python-version``: the versions the worker images exist for, and the one the
# build falls back to when the local interpreter is none of them (images.py, rp_cli/main.py; 5.5).
APP_PYTHON_VERSIONS: Final[tuple[str, ...]] = ("3.10", "3.11", "3.12", "3.13", "3.14")
APP_DEFAULT_PYTHON_VERSION: Final = "3.12"
# The requirements every artifact vendors (build.py ``RUNTIME_REQUIREMENTS``), and those an App
# with an api resource adds (``API_RUNTIME_REQUIREMENTS``), as handed to pip (section 5.3).
APP_VENDORED_RUNTIME: Final[tuple[str, ...]] = (
    "aiohttp[speedups]",
    "aiohttp-retry",
    "backoff",
    "cloudpickle",
    "py-cpuinfo",
    "requests",
    "tomli",
    "tomlkit",
    "tqdm-loggable",
)
APP_VENDORED_API_RUNTIME: Final[tuple[str, ...]] = ("fastapi[standard]", "uvicorn>=0.30")


def app_short_name_message(name: str) -> str:
    """What ``build_manifest`` raises for a queue or api resource name that is too short."""
    return (
        f"resource name '{name}' is too short to deploy; queue and api names must be at least "
        f"{APP_MIN_RESOURCE_NAME_LENGTH} characters"
    )


APP_NAME_TYPE_MESSAGE: Final = "resource name must be a non-empty string"

# ``mounts=`` (volume.py; sections 1.3, 1.5, 10.6.6): path -> a volume of one of these classes
# (kind -> class). Queue and api resources take one volume, at the endpoint mount path; a
# ``GlobalVolume`` needs GPU compute. rc2 raises ``VolumeError`` with these messages.
APP_VOLUME_ERROR: Final = "VolumeError"
APP_VOLUME_CLASSES: Final[Mapping[str, str]] = MappingProxyType(
    {"network": "NetworkVolume", "global": "GlobalVolume"}
)
APP_ENDPOINT_MOUNT_PATH: Final = "/runpod-volume"
APP_MOUNTS_TYPE_MESSAGE: Final = "mounts must map absolute paths to volume objects"
APP_MOUNT_PATH_MESSAGE: Final = "mount paths must be absolute paths without '..'"
APP_MOUNT_VOLUME_MESSAGE: Final = "mounts require NetworkVolume or GlobalVolume references"
APP_MOUNT_OVERLAP_MESSAGE: Final = "mount paths must not overlap"
APP_ENDPOINT_MOUNT_MESSAGE: Final = (
    f"endpoints support one volume mounted at {APP_ENDPOINT_MOUNT_PATH}"
)
APP_GLOBAL_VOLUME_CPU_MESSAGE: Final = "global volumes require gpu compute"


def app_duplicate_mount_message(path: str) -> str:
    return f"duplicate mount path {path!r}"


def app_volume_count_message(kind: str) -> str:
    return f"resources support at most one {kind} volume"
