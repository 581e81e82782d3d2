"""What a deploy sends for each endpoint (flash-platform.md 4.6), computed from a manifest entry.

Reproduces ``runtime/resource_provisioner.py::create_resource_from_manifest`` and the resource
classes it builds (``LiveServerless``, ``CpuLiveServerless``, ``LiveLoadBalancer``,
``CpuLiveLoadBalancer``): their defaults, the environment variables injected into the template,
the CPU disk sizing, the volume ids and the template name ``<Class>_<md5>__PodTemplate_<md5>``,
whose digests hash the same JSON the SDK's ``resource_id`` hashes. The manifest's ``template``
is not sent, as the official deploy does not send it.

One deliberate difference: ``RUNPOD_API_KEY`` (and ``FLASH_ENVIRONMENT_ID``) go only into
endpoints with ``makes_remote_calls``; runpod-flash 1.21 adds the key to every endpoint because
it looks for the manifest in the wrong directory (docs/compatibility.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flash_ls import platform

Payload = dict[str, Any]
VolumeKey = tuple[str, str]  # (name, data center id)

UNKNOWN_ENVIRONMENT_ID = "<new environment>"
UNKNOWN_VOLUME_ID = "<new volume>"

# Input fields the template update may carry (ServerlessResource._build_template_update_payload).
TEMPLATE_UPDATE_FIELDS = ("name", "imageName", "containerDiskInGb", "dockerArgs", "env", "readme")


class PayloadError(ValueError):
    """A manifest entry that cannot be turned into an endpoint."""


@dataclass(frozen=True)
class DeployContext:
    """Where the endpoints go: names and ids injected into every endpoint."""

    app_name: str
    environment_name: str
    environment_id: str | None
    api_key: str | None = None
    test_deployment: bool = False  # FLASH_IS_TEST_DEPLOYMENT=true: names get a tmp- prefix


def resource_class(resource: Mapping[str, Any]) -> str:
    """The SDK class that deploys ``resource`` (``Endpoint`` entries resolved like the SDK)."""
    kind = str(resource.get("resource_type") or "ServerlessResource")
    if kind == "Endpoint":
        lb = bool(resource.get("is_load_balanced"))
        gpu = bool(resource.get("gpuIds"))
        return platform.live_resource_class(lb, not gpu).name
    return kind


def volume_specs(resource: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The network volumes of a manifest entry, as the SDK's ``NetworkVolume`` models dump
    them: ``id`` (when given), ``dataCenterId``, ``name``, ``size``; a single ``networkVolume``
    becomes a list of one, as the model normalises it."""
    raw = resource.get("networkVolumes")
    if raw is None and isinstance(resource.get("networkVolume"), Mapping):
        raw = [resource["networkVolume"]]
    volumes = []
    for item in raw or []:
        if not isinstance(item, Mapping):
            raise PayloadError(f"a network volume is not an object: {item!r}")
        spec: dict[str, Any] = {}
        if item.get("id") is not None:
            spec["id"] = str(item["id"])  # the model's first field (BaseResource.id)
        spec["dataCenterId"] = str(
            item.get("dataCenterId")
            or item.get("datacenter")
            or platform.NETWORK_VOLUME_DEFAULT_DATACENTER
        )
        if item.get("name") is not None:
            spec["name"] = str(item["name"])
        size = item.get("size")
        spec["size"] = int(size) if size is not None else platform.DEFAULT_VOLUME_SIZE_GB
        if "id" not in spec and "name" not in spec:
            raise PayloadError("a network volume needs a name or an id")
        volumes.append(spec)
    return volumes


def endpoint_env(name: str, resource: Mapping[str, Any], context: DeployContext) -> dict[str, str]:
    """The endpoint's environment: the manifest's ``env`` (with the source fingerprint), then
    what ``create_resource_from_manifest`` injects."""
    env = {str(k): str(v) for k, v in (resource.get("env") or {}).items()}
    env[platform.RESOURCE_NAME_ENV] = name
    if context.app_name:
        env[platform.APP_NAME_ENV] = context.app_name
    if context.environment_name:
        env[platform.ENVIRONMENT_ENV] = context.environment_name
    if resource.get("is_load_balanced"):
        env[platform.ENDPOINT_TYPE_ENV] = platform.LB_ENDPOINT_TYPE
        if "main_file" in resource:
            env[platform.MAIN_FILE_ENV] = str(resource["main_file"])
        if "app_variable" in resource:
            env[platform.APP_VARIABLE_ENV] = str(resource["app_variable"])
    if resource.get("makes_remote_calls"):
        if platform.API_KEY_ENV not in env and context.api_key:
            env[platform.API_KEY_ENV] = context.api_key
        if context.environment_id:
            env[platform.ENVIRONMENT_ID_ENV] = context.environment_id
    return env


def endpoint_payload(
    name: str,
    resource: Mapping[str, Any],
    context: DeployContext,
    volume_ids: Mapping[VolumeKey, str] | None = None,
) -> Payload:
    """The ``saveEndpoint`` input that creates the endpoint for manifest entry ``name``.

    ``volume_ids`` maps a volume's (name, data center) to its id; a volume missing there gets a
    placeholder id (a dry run before the volume exists). Raises ``PayloadError``.
    """
    cls = resource_class(resource)
    traits = platform.RESOURCE_CLASSES.get(cls)
    if traits is None or not traits.deployable:
        raise PayloadError(
            f"{name}: resource type {cls} cannot be deployed (flash deploy refuses it too)"
        )
    cpu = traits.cpu
    lb = traits.load_balanced
    env = endpoint_env(name, resource, context)
    python_version = str(resource.get("target_python_version") or platform.DEFAULT_PYTHON_VERSION)
    image = str(resource.get("imageName") or "")
    if not image and traits.live and not resource.get("templateId"):
        image = platform.image_name(traits.image_type, python_version)
    volumes = volume_specs(resource)
    network_volume_id = resource.get("networkVolumeId")
    if network_volume_id is None and volumes and "id" in volumes[0]:
        network_volume_id = volumes[0]["id"]  # a volume given by id counts as created

    prefix = platform.TEST_DEPLOYMENT_PREFIX
    endpoint_name = (
        prefix + name if context.test_deployment and not name.startswith(prefix) else name
    )
    suffix = platform.FLASHBOOT_NAME_SUFFIX
    while endpoint_name.endswith(suffix):  # flashboot: the SDK drops the old suffix
        endpoint_name = endpoint_name[: -len(suffix)]

    fields: dict[str, Any] = {
        "executionTimeoutMs": platform.DEFAULT_EXECUTION_TIMEOUT_MS,
        "gpuCount": 0 if cpu else platform.DEFAULT_GPU_COUNT,
        "idleTimeout": int(resource.get("idleTimeout", platform.DEFAULT_IDLE_TIMEOUT)),
        "minCudaVersion": (
            None
            if cpu
            else str(resource.get("minCudaVersion") or platform.DEFAULT_MIN_CUDA_VERSION)
        ),
        "instanceIds": _instances(resource, cpu),
        "locations": resource.get("locations") or None,
        "name": endpoint_name,
        "networkVolumeId": network_volume_id,
        "flashEnvironmentId": context.environment_id,
        "scalerType": str(
            resource.get("scalerType")
            or (platform.DEFAULT_SCALER_TYPE_LB if lb else platform.DEFAULT_SCALER_TYPE_QB)
        ),
        "scalerValue": int(resource.get("scalerValue", platform.DEFAULT_SCALER_VALUE)),
        "templateId": None if image else resource.get("templateId"),
        "type": "LB" if lb else "QB",
        "workersMax": int(resource.get("workersMax", platform.DEFAULT_WORKERS_MAX)),
        "workersMin": int(resource.get("workersMin", platform.DEFAULT_WORKERS_MIN)),
        "workersPFBTarget": 0,
        "allowedCudaVersions": "",
        "gpuIds": "" if cpu else _gpu_ids(resource),
    }
    hashed = {
        "env": env,
        "networkVolumes": volumes or None,
        "python_version": python_version,
        **{
            key: fields[key]
            for key in (
                "executionTimeoutMs",
                "gpuCount",
                "minCudaVersion",
                "locations",
                "name",
                "networkVolumeId",
                "scalerType",
                "scalerValue",
                "type",
                "workersMax",
                "workersMin",
                "workersPFBTarget",
                "allowedCudaVersions",
                "gpuIds",
            )
        },
    }
    resource_id = _resource_id(cls, hashed)

    payload: Payload = {}
    order = (
        "executionTimeoutMs",
        "gpuCount",
        "idleTimeout",
        "minCudaVersion",
        "instanceIds",
        "locations",
        "name",
        "networkVolumeId",
        "flashEnvironmentId",
        "scalerType",
        "scalerValue",
        "templateId",
        "type",
        "workersMax",
        "workersMin",
        "workersPFBTarget",
        "allowedCudaVersions",
        "gpuIds",
    )
    for key in order:
        if cpu and key in ("gpuCount", "minCudaVersion", "allowedCudaVersions", "gpuIds"):
            continue  # CPU classes keep GPU fields out of the payload (_input_only)
        if fields[key] is not None:
            payload[key] = fields[key]
    if fields["templateId"] is None:
        payload["template"] = _template(
            resource_id, image, env, fields["instanceIds"] if cpu else None
        )
    payload["flashBootType"] = "FLASHBOOT"
    _apply_volume_ids(payload, network_volume_id, volumes, volume_ids or {})
    return payload


def update_payload(create: Payload, endpoint_id: str, template_id: str | None) -> Payload:
    """The ``saveEndpoint`` input that updates an existing endpoint: the create payload
    without its template, with the endpoint's id and its template's id (``ServerlessResource.update``)."""
    payload = {k: copy.deepcopy(v) for k, v in create.items() if k != "template"}
    payload["id"] = endpoint_id
    if template_id:
        payload["templateId"] = template_id
    return payload


def template_update(
    create: Payload,
    template_id: str,
    live_env: list[dict[str, str]],
    previous_env_keys: set[str],
) -> Payload:
    """The ``saveTemplate`` input that brings an endpoint's template up to date.

    The env is the new one plus what the platform injected (``PORT``, ``PORT_HEALTH`` ...): a
    live variable is kept unless the new env has it or the previous deploy set it (then the user
    removed it), as ``_preserve_platform_env`` does.
    """
    template = create.get("template") or {}
    env = [dict(e) for e in template.get("env") or []]
    present = {e["key"] for e in env}
    for entry in live_env:
        key = entry.get("key") or ""
        if key and key not in present and key not in previous_env_keys:
            env.append({"key": key, "value": entry.get("value") or ""})
            present.add(key)
    payload = {k: copy.deepcopy(template[k]) for k in TEMPLATE_UPDATE_FIELDS if k in template}
    payload["env"] = env
    payload["volumeInGb"] = 0
    payload["id"] = template_id
    return payload


def template_env(payload: Payload) -> dict[str, str]:
    """The environment a payload's template sets, as a dict."""
    env = (payload.get("template") or {}).get("env") or []
    return {e["key"]: e.get("value") or "" for e in env}


def env_keys(payload: Payload) -> set[str]:
    """The environment variable names a payload's template sets."""
    return {e["key"] for e in (payload.get("template") or {}).get("env") or []}


def payload_digest(payload: Payload) -> str:
    """A stable digest of a payload (what ``.flash/`` records; the key is not recoverable)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _instances(resource: Mapping[str, Any], cpu: bool) -> list[str] | None:
    given = resource.get("instanceIds")
    if given:
        return [str(i) for i in given]
    return [platform.DEFAULT_LEGACY_CPU_INSTANCE] if cpu else None


def _gpu_ids(resource: Mapping[str, Any]) -> str:
    given = str(resource.get("gpuIds") or "")
    if not given:
        return platform.gpu_ids_string([platform.GPU_ANY], [])
    tokens = {token.strip() for token in given.split(",") if token.strip()}
    return ",".join(sorted(tokens, key=lambda t: (t.startswith("-"), t.lstrip("-").lower())))


def _template(
    resource_id: str, image: str, env: Mapping[str, str], cpu_instances: list[str] | None
) -> dict[str, Any]:
    kv = [{"key": k, "value": v} for k, v in env.items()]
    template: dict[str, Any] = {
        "advancedStart": False,
        "config": {},
        "containerDiskInGb": platform.DEFAULT_GPU_CONTAINER_DISK_GB,
        "containerRegistryAuthId": "",
        "dockerArgs": "",
        "env": kv,
        "imageName": image,
        "name": resource_id,
        "ports": "",
        "startScript": "",
    }
    # PodTemplate's resource_id is taken at construction, before the CPU disk is sized.
    template["name"] = f"{resource_id}__{_resource_id('PodTemplate', template)}"
    if cpu_instances:
        template["containerDiskInGb"] = platform.cpu_max_disk_gb(cpu_instances)
    return template


def _resource_id(cls: str, fields: Mapping[str, Any]) -> str:
    """``BaseResource.resource_id``: md5 of the class name and the fields' compact JSON, in
    model field order, None values left out (pydantic's ``model_dump_json(exclude_none=True)``)."""
    kept = {k: v for k, v in fields.items() if v is not None}
    text = json.dumps(kept, separators=(",", ":"), ensure_ascii=False)
    return f"{cls}_{hashlib.md5(f'{cls}:{text}'.encode()).hexdigest()}"


def _apply_volume_ids(
    payload: Payload,
    network_volume_id: str | None,
    volumes: list[dict[str, Any]],
    volume_ids: Mapping[VolumeKey, str],
) -> None:
    """``_ensure_network_volume_deployed`` + ``_inject_multi_volume_payload``."""
    deployed: list[str] = [network_volume_id] if network_volume_id else []
    for volume in volumes:
        found = volume.get("id") or volume_ids.get(
            (str(volume.get("name")), volume["dataCenterId"]), UNKNOWN_VOLUME_ID
        )
        if found not in deployed:
            deployed.append(found)
    if not deployed:
        return
    if len(deployed) > 1:
        payload.pop("networkVolumeId", None)
        payload["networkVolumeIds"] = [{"networkVolumeId": v} for v in deployed]
        return
    if "networkVolumeId" not in payload:
        # Keep the SDK's key order: networkVolumeId sits right after name.
        items = list(payload.items())
        at = next(i for i, (k, _) in enumerate(items) if k == "name") + 1
        items.insert(at, ("networkVolumeId", deployed[0]))
        payload.clear()
        payload.update(items)
