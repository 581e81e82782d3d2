"""What the SDK turns one ``Endpoint(...)`` into at build time: resource class and deployment config.

``flash build`` instantiates the endpoint's resource class (always a ``Live*`` class, section 1.4)
and copies its validated fields into the manifest (``ManifestBuilder._extract_config_properties``,
section 4.2). This module computes the same fields from source, in the same order, with the same
defaults, normalisations and environment overrides, so the manifest matches key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flash_ls import platform
from flash_ls.build.errors import BuildError
from flash_ls.build.values import MISSING, Arguments, SdkCall, enum_member, known_value, sdk_calls
from flash_ls.parse.facts import Expr
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointDecl

# PodTemplate fields the manifest keeps, in emission order, with their defaults.
_TEMPLATE_FIELDS: tuple[tuple[str, object], ...] = (
    ("containerDiskInGb", platform.DEFAULT_GPU_CONTAINER_DISK_GB),
    ("dockerArgs", ""),
    ("startScript", ""),
    ("advancedStart", False),
    ("containerRegistryAuthId", ""),
)


@dataclass(frozen=True)
class ResourceSpec:
    """One endpoint's resource as the manifest describes it."""

    resource_type: str
    image_type: str
    is_cpu: bool
    max_concurrency: int
    config: dict[str, Any]  # deployment config keys, in manifest order
    declared_python_version: str | None = None  # legacy resources only


def strip_flashboot_suffix(name: str, flashboot: bool) -> str:
    """The SDK drops trailing ``-fb`` suffixes from resource names when flashboot is on."""
    if flashboot:
        while name.endswith(platform.FLASHBOOT_NAME_SUFFIX):
            name = name[: -len(platform.FLASHBOOT_NAME_SUFFIX)]
    return name


def endpoint_spec(
    app: App, endpoint: Endpoint, *, is_lb: bool, environ: Mapping[str, str]
) -> ResourceSpec:
    """The resource an endpoint builds (QB when ``is_lb`` is False)."""
    decl = endpoint.decl
    if decl.form is DeclForm.REMOTE:
        return _legacy_spec(app, endpoint, environ)
    args = Arguments(app, decl)
    is_cpu = args.get("cpu", None) is not None
    resource_class = platform.live_resource_class(is_lb, is_cpu)
    image_type = resource_class.image_type
    resource_type = resource_class.name
    max_concurrency = _int(
        args.get("max_concurrency", platform.DEFAULT_MAX_CONCURRENCY), args, "max_concurrency"
    )
    config: dict[str, Any] = {}

    image = args.get("image", None)
    if image is not None and not isinstance(image, str):
        raise BuildError(f"{args.where()}: `image` must be a string")
    config["imageName"] = image or platform.image_name(
        image_type, platform.DEFAULT_PYTHON_VERSION, environ
    )
    instances: list[str] = []
    if is_cpu:
        instances = _cpu_instances(args.get("cpu"), args, "cpu")
    else:
        groups, types = _gpu_selection(args)
        gpu_ids = platform.gpu_ids_string(groups, types)
        if gpu_ids:
            config["gpuIds"] = gpu_ids
    if instances:
        config["instanceIds"] = instances
    workers_min, workers_max = _workers(args)
    config["workersMin"] = workers_min
    config["workersMax"] = workers_max
    config["idleTimeout"] = _int(
        args.get("idle_timeout", platform.DEFAULT_IDLE_TIMEOUT), args, "idle_timeout"
    )
    config["scalerType"] = _scaler_type(args, is_lb)
    config["scalerValue"] = _int(
        args.get("scaler_value", platform.DEFAULT_SCALER_VALUE), args, "scaler_value"
    )
    datacenters = _datacenters(args.get("datacenter", None), args)
    if not datacenters and not is_cpu and args.get("id", None) is None:
        datacenters = [dc.value for dc in platform.DATACENTERS]
    locations = _locations(datacenters, environ)
    if locations:
        config["locations"] = locations
    if not is_cpu:
        config["minCudaVersion"] = _cuda(args)
    env = args.get("env", None)
    if env is not None:
        config["env"] = _env(env, args)
    volume_expr = args.expr("volume")
    if volume_expr is not None:
        volumes = sdk_calls(app, decl.file, volume_expr, "NetworkVolume", "`volume`")
        if volumes:
            config["networkVolumes"] = [_network_volume(app, v) for v in volumes]
    config["template"] = _template(app, decl, args.expr("template"), instances)
    return ResourceSpec(resource_type, image_type, is_cpu, max_concurrency, config)


def _int(value: object, args: Arguments, name: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise BuildError(f"{args.where()}: `{name}` must be an integer, got {value!r}")


def _workers(args: Arguments) -> tuple[int, int]:
    value = args.get("workers", None)
    if value is None:
        return platform.DEFAULT_WORKERS
    if isinstance(value, int):
        low, high = platform.DEFAULT_WORKERS_MIN, int(value)
    elif (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) for v in value)
    ):
        low, high = int(value[0]), int(value[1])
    else:
        raise BuildError(
            f"{args.where()}: `workers` must be an int or a (min, max) pair, got {value!r}"
        )
    if low < 0 or high < 0 or low > high:
        raise BuildError(f"{args.where()}: `workers` ({low}, {high}) is not a valid range")
    return low, high


def _gpu_selection(args: Arguments) -> tuple[list[str], list[str]]:
    """GpuGroup and GpuType member names selected by ``gpu=`` (default ``GpuGroup.ANY``)."""
    value = args.get("gpu", None)
    if value is None:
        return [platform.GPU_ANY], []
    if isinstance(value, list):
        return _gpu_members(value, args, "gpu")
    if enum_member(value, "GpuGroup") is not None or enum_member(value, "GpuType") is not None:
        return _gpu_members([value], args, "gpu")
    raise BuildError(
        f"{args.where()}: `gpu` must be a GpuGroup, a GpuType or a list of them, got {value!r}"
    )


def _gpu_members(items: list[object], args: Arguments, name: str) -> tuple[list[str], list[str]]:
    """Split GPU enum members or values (``"ADA_24"``, ``"NVIDIA L4"``) into groups and types."""
    groups: list[str] = []
    types: list[str] = []
    for item in items:
        group = enum_member(item, "GpuGroup")
        model = enum_member(item, "GpuType")
        if group is not None and group in platform.GPU_GROUPS_BY_MEMBER:
            groups.append(group)
        elif model is not None and model in platform.GPU_TYPES_BY_MEMBER:
            types.append(model)
        elif isinstance(item, str) and item in platform.GPU_GROUPS_BY_VALUE:
            groups.append(platform.GPU_GROUPS_BY_VALUE[item].member)
        elif isinstance(item, str) and item in platform.GPU_TYPES_BY_VALUE:
            types.append(platform.GPU_TYPES_BY_VALUE[item].member)
        else:
            raise BuildError(
                f"{args.where()}: `{name}` contains {item!r}, which is not a GPU pool or type"
            )
    return groups, types


def _cpu_instances(value: object, args: Arguments, name: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        member = enum_member(item, "CpuInstanceType")
        if member is not None and member in platform.CPU_INSTANCES_BY_MEMBER:
            found.append(platform.CPU_INSTANCES_BY_MEMBER[member].value)
        elif isinstance(item, str) and item in platform.CPU_INSTANCES_BY_VALUE:
            found.append(item)
        else:
            raise BuildError(
                f"{args.where()}: `{name}` contains {item!r}, which is not a CPU instance type"
            )
    return found


def _datacenters(value: object, args: Arguments) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items:
        member = enum_member(item, "DataCenter")
        if member is not None and member in platform.DATACENTERS_BY_MEMBER:
            found.append(platform.DATACENTERS_BY_MEMBER[member].value)
            continue
        if isinstance(item, str):
            normalised = platform.normalize_datacenter(item)
            if normalised in platform.DATACENTERS_BY_VALUE:
                found.append(normalised)
                continue
        raise BuildError(f"{args.where()}: unknown datacenter {item!r}")
    return found


def _locations(datacenters: list[str], environ: Mapping[str, str]) -> str | None:
    """``sync_input_fields``: env overrides first, then the datacenter list (section 1.2)."""
    if environ.get(platform.DEFAULT_LOCATIONS_ENV):
        return environ[platform.DEFAULT_LOCATIONS_ENV]
    if environ.get(platform.DEFAULT_DATACENTER_ENV):
        value = environ[platform.DEFAULT_DATACENTER_ENV]
        return value  # DataCenter(value).value is value itself, and the raw string otherwise
    if datacenters:
        return ",".join(datacenters)
    return None


def _scaler_type(args: Arguments, is_lb: bool) -> str:
    value = args.get("scaler_type", None)
    if value is None:
        return platform.DEFAULT_SCALER_TYPE_LB if is_lb else platform.DEFAULT_SCALER_TYPE_QB
    member = enum_member(value, "ServerlessScalerType")
    if member is not None and member in platform.SCALER_TYPES_BY_MEMBER:
        return platform.SCALER_TYPES_BY_MEMBER[member].value
    if isinstance(value, str) and value in platform.SCALER_TYPES_BY_MEMBER:
        return value
    raise BuildError(f"{args.where()}: `scaler_type` {value!r} is not a ServerlessScalerType")


def _cuda(args: Arguments) -> str:
    value = args.get("min_cuda_version", None)
    if value is None:  # an explicit None also falls back to the resource default
        return platform.DEFAULT_MIN_CUDA_VERSION
    member = enum_member(value, "CudaVersion")
    if member is not None and member in platform.CUDA_VERSIONS_BY_MEMBER:
        return platform.CUDA_VERSIONS_BY_MEMBER[member].value
    if isinstance(value, str) and value in platform.CUDA_VERSIONS_BY_VALUE:
        return value
    raise BuildError(f"{args.where()}: `min_cuda_version` {value!r} is not a CudaVersion")


def _env(value: object, args: Arguments) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise BuildError(f"{args.where()}: `env` must be a dict of strings to strings")
    return dict(value)


def _network_volume(app: App, volume: SdkCall) -> dict[str, Any]:
    """``_serialize_network_volume``: name, id, size, dataCenterId when not None."""

    def value(name: str) -> object:
        expr = volume.keywords.get(name)
        if expr is None:
            return MISSING
        return known_value(app, volume.source, expr, f"NetworkVolume `{name}`")

    out: dict[str, Any] = {}
    name = value("name")
    if isinstance(name, str):
        out["name"] = name
    volume_id = value("id")
    if isinstance(volume_id, str):
        out["id"] = volume_id
    size = value("size")
    out["size"] = (
        size
        if isinstance(size, int) and not isinstance(size, bool)
        else platform.DEFAULT_VOLUME_SIZE_GB
    )
    datacenter = value("dataCenterId")
    if datacenter is MISSING or datacenter is None:
        datacenter = value("datacenter")
    if datacenter is MISSING or datacenter is None:
        out["dataCenterId"] = platform.NETWORK_VOLUME_DEFAULT_DATACENTER
    else:
        member = enum_member(datacenter, "DataCenter")
        if member is not None and member in platform.DATACENTERS_BY_MEMBER:
            out["dataCenterId"] = platform.DATACENTERS_BY_MEMBER[member].value
        elif isinstance(datacenter, str) and datacenter in platform.DATACENTERS_BY_VALUE:
            out["dataCenterId"] = datacenter
        else:
            raise BuildError(
                f"{volume.source.rel}: unknown NetworkVolume datacenter {datacenter!r}"
            )
    return out


def _template(
    app: App, decl: EndpointDecl, expr: Expr | None, instances: list[str]
) -> dict[str, Any]:
    """The manifest ``template``: PodTemplate fields, with CPU disks auto-sized (section 5.3)."""
    given: dict[str, object] = {}
    calls = sdk_calls(app, decl.file, expr, "PodTemplate", "`template`", many=False) if expr else []
    for call in calls:
        for name, value_expr in call.keywords.items():
            given[name] = known_value(app, call.source, value_expr, f"PodTemplate `{name}`")
    template: dict[str, Any] = {}
    for name, default in _TEMPLATE_FIELDS:
        value = given.get(name)
        template[name] = default if value is None else value
    if instances and template["containerDiskInGb"] == platform.DEFAULT_GPU_CONTAINER_DISK_GB:
        template["containerDiskInGb"] = platform.cpu_max_disk_gb(instances)
    return template


# -- legacy remote(LiveServerless(...)) -----------------------------------------------------------


def _legacy_spec(app: App, endpoint: Endpoint, environ: Mapping[str, str]) -> ResourceSpec:
    """A legacy resource config: its own class, camelCase fields and class defaults."""
    decl = endpoint.decl
    resource_class = endpoint.resource_class
    if resource_class is None:
        raise BuildError(
            f"{decl.file.rel}:{decl.call.span.start_line + 1}: remote() needs a resource config "
            f"written as a call of a {platform.SDK_MODULE} resource class (LiveServerless(...), ...)"
        )
    is_lb, is_cpu = resource_class.load_balanced, resource_class.cpu
    live = resource_class.live
    args = Arguments(app, decl)
    get = args.resource_get
    image_type = resource_class.image_type
    python_version = get("python_version", None)
    if python_version is not None and python_version not in platform.SUPPORTED_PYTHON_VERSIONS:
        raise BuildError(f"{args.where()}: python_version {python_version!r} is not supported")
    config: dict[str, Any] = {}
    image = get("imageName", None)
    if not image and live:
        image = platform.image_name(
            image_type, str(python_version or platform.DEFAULT_PYTHON_VERSION), environ
        )
    if image:
        config["imageName"] = image
    if python_version:
        config["python_version"] = python_version
    template_id = get("templateId", None)
    if template_id:
        config["templateId"] = template_id
    instances: list[str] = []
    if is_cpu:
        raw = get("instanceIds", [platform.DEFAULT_LEGACY_CPU_INSTANCE])
        instances = _cpu_instances(raw, args, "instanceIds")
    else:
        gpus = get("gpus", [platform.GPU_ANY_VALUE])
        gpu_ids = get("gpuIds", "")
        if gpu_ids:
            config["gpuIds"] = gpu_ids
        elif isinstance(gpus, list) and gpus:
            groups, types = _gpu_members(gpus, args, "gpus")
            config["gpuIds"] = platform.gpu_ids_string(groups, types)
    if instances:
        config["instanceIds"] = instances
    config["workersMin"] = _int(get("workersMin", platform.DEFAULT_WORKERS_MIN), args, "workersMin")
    config["workersMax"] = _int(get("workersMax", platform.DEFAULT_WORKERS_MAX), args, "workersMax")
    config["idleTimeout"] = _int(
        get("idleTimeout", platform.DEFAULT_IDLE_TIMEOUT), args, "idleTimeout"
    )
    scaler = get("scalerType", None)
    default_scaler = platform.DEFAULT_SCALER_TYPE_LB if is_lb else platform.DEFAULT_SCALER_TYPE_QB
    member = enum_member(scaler, "ServerlessScalerType")
    config["scalerType"] = member or (scaler if isinstance(scaler, str) else default_scaler)
    config["scalerValue"] = _int(
        get("scalerValue", platform.DEFAULT_SCALER_VALUE), args, "scalerValue"
    )
    locations = get("locations", None)
    datacenters = _datacenters(get("datacenter", None), args)
    env_locations = _locations(datacenters, environ)
    if environ.get(platform.DEFAULT_LOCATIONS_ENV) or not locations:
        locations = env_locations
    if locations:
        config["locations"] = locations
    if not is_cpu:
        cuda = get("minCudaVersion", None)
        cuda_member = enum_member(cuda, "CudaVersion")
        if cuda_member is not None:
            cuda = platform.CUDA_VERSIONS_BY_MEMBER[cuda_member].value
        config["minCudaVersion"] = cuda or platform.DEFAULT_MIN_CUDA_VERSION
    env = get("env", None)
    if env is not None:
        config["env"] = _env(env, args)
    volumes: list[SdkCall] = []
    for field in ("networkVolumes", "networkVolume"):
        call = decl.resource_call
        kw = call.keyword(field) if call is not None else None
        if kw is not None:
            volumes.extend(sdk_calls(app, decl.file, kw.value, "NetworkVolume", f"`{field}`"))
    if volumes:
        config["networkVolumes"] = [_network_volume(app, v) for v in volumes]
    elif get("networkVolumeId", None):
        config["networkVolumeId"] = get("networkVolumeId")
    template = decl.resource_call.keyword("template") if decl.resource_call else None
    if not template_id or template is not None:
        config["template"] = _template(app, decl, template.value if template else None, instances)
    return ResourceSpec(
        resource_class.name,
        image_type,
        is_cpu,
        platform.DEFAULT_MAX_CONCURRENCY,  # remote() has no max_concurrency
        config,
        declared_python_version=str(python_version) if python_version else None,
    )
