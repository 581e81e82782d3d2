"""The saveEndpoint payloads flash-ls sends are the official ones, field for field.

Each manifest entry (from the fixture apps, plus variants: user env, several volumes, a volume
given by id, a -fb name, test deployments, legacy keys) goes through the official
``create_resource_from_manifest`` and the resource classes (runpod-flash 1.21, in the venv) and
through ``flash_ls.deploy.payloads``; the payloads must be equal, template name included. The
one deliberate difference: the official CLI adds the API key to every endpoint's template.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from flash_ls.build.manifest import build_manifest
from flash_ls.deploy.payloads import (
    DeployContext,
    PayloadError,
    endpoint_payload,
    template_update,
    update_payload,
)
from flash_ls.deploy.plan import changed_fields
from flash_ls.project.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
APPS = [
    "mixed_workers",
    "hello_world",
    "network_volume",
    "load_balancer",
    "class_worker",
    "cpu_worker",
    "async_concurrency",
]
KEY = "rpa_PAYLOADTEST00000000000000000000000000000000"


def manifest_of(app: str) -> dict[str, Any]:
    root = FIXTURES / app
    loaded = Workspace([root]).app(root)
    return build_manifest(loaded)


def official_payload(
    name: str, resource: dict[str, Any], context: DeployContext, volume_id: str = "vol-1"
) -> dict[str, Any]:
    from runpod_flash.runtime.resource_provisioner import create_resource_from_manifest

    with mock.patch.dict(os.environ, {"RUNPOD_API_KEY": KEY}):
        built = create_resource_from_manifest(
            name,
            copy.deepcopy(resource),
            flash_environment_id=context.environment_id,
            flash_app_name=context.app_name,
            flash_env_name=context.environment_name,
        )
    # _ensure_network_volume_deployed, with every named volume existing as volume_id
    ids: list[str] = [built.networkVolumeId] if built.networkVolumeId else []
    for volume in built.networkVolumes or []:
        found = volume.id or f"{volume_id}-{volume.name}"
        if found not in ids:
            ids.append(found)
    built._deployed_volume_ids = ids
    if ids and not built.networkVolumeId:
        built.networkVolumeId = ids[0]
    payload = built.model_dump(exclude=built._payload_exclude(), exclude_none=True, mode="json")
    built._inject_multi_volume_payload(payload)
    return payload


def our_payload(
    name: str, resource: dict[str, Any], context: DeployContext, volume_id: str = "vol-1"
) -> dict[str, Any]:
    volumes = resource.get("networkVolumes") or (
        [resource["networkVolume"]] if resource.get("networkVolume") else []
    )
    known = {
        (v["name"], v.get("dataCenterId", "EU-RO-1")): f"{volume_id}-{v['name']}"
        for v in volumes
        if v.get("name")
    }
    return endpoint_payload(name, resource, context, known)


def comparable(payload: dict[str, Any], remote: bool) -> str:
    """The payload as JSON; the key the official CLI adds to every template dropped where
    flash-ls does not send it (endpoints that make no remote calls)."""
    payload = copy.deepcopy(payload)
    template = payload.get("template")
    if template and not remote:
        template["env"] = [e for e in template["env"] if e["key"] != "RUNPOD_API_KEY"]
    return json.dumps(payload)


def with_fingerprint(resource: dict[str, Any]) -> dict[str, Any]:
    resource = copy.deepcopy(resource)
    resource.setdefault("env", {})["_FLASH_SOURCE_FINGERPRINT"] = "f" * 64
    return resource


CONTEXT = DeployContext("myapp", "staging", "env-123", KEY)
CASES = [
    (app, name, resource)
    for app in APPS
    for name, resource in manifest_of(app)["resources"].items()
]


@pytest.mark.parametrize(("app", "name", "resource"), CASES, ids=[f"{a}:{n}" for a, n, _ in CASES])
def test_fixture_payloads_match_the_official_classes(
    app: str, name: str, resource: dict[str, Any]
) -> None:
    resource = with_fingerprint(resource)
    remote = bool(resource.get("makes_remote_calls"))
    ours = our_payload(name, resource, CONTEXT)
    assert json.dumps(ours) == comparable(official_payload(name, resource, CONTEXT), remote)


def _gpu() -> dict[str, Any]:
    return with_fingerprint(manifest_of("hello_world")["resources"]["hello-world-gpu"])


def _cpu_lb() -> dict[str, Any]:
    return with_fingerprint(manifest_of("mixed_workers")["resources"]["mixed-pipeline"])


VARIANTS = {
    "user env first": lambda r: {**r, "env": {"HF_HOME": "/v", "Z": "1", **r["env"]}},
    "user env sets FLASH_APP": lambda r: {**r, "env": {"FLASH_APP": "mine", **r["env"]}},
    "user sets RUNPOD_API_KEY": lambda r: {
        **r,
        "makes_remote_calls": True,
        "env": {"RUNPOD_API_KEY": "own", **r["env"]},
    },
    "remote calls": lambda r: {**r, "makes_remote_calls": True},
    "fb suffix": lambda r: r,
    "two volumes": lambda r: {
        **r,
        "locations": "EU-RO-1,US-KS-2",
        "networkVolumes": [
            {"name": "a", "size": 20, "dataCenterId": "EU-RO-1"},
            {"name": "b", "dataCenterId": "US-KS-2"},
        ],
    },
    "volume by id": lambda r: {
        **r,
        "networkVolumes": [{"id": "vol-given", "dataCenterId": "EU-RO-1"}],
    },
    "single networkVolume": lambda r: {**r, "networkVolume": {"name": "one", "size": 30}},
    "networkVolumeId": lambda r: {**r, "networkVolumeId": "nv-legacy"},
    "Endpoint type": lambda r: {**r, "resource_type": "Endpoint"},
    "no gpuIds": lambda r: {k: v for k, v in r.items() if k != "gpuIds"},
    "legacy main_file": lambda r: {
        **r,
        "is_load_balanced": True,
        "main_file": "main.py",
        "app_variable": "app",
    },
    "non-ascii env": lambda r: {**r, "env": {"GREETING": "grüß dich — ✓", **r["env"]}},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("base", ["gpu", "cpu-lb"])
def test_variants_match_the_official_classes(base: str, variant: str) -> None:
    resource = VARIANTS[variant](_gpu() if base == "gpu" else _cpu_lb())
    name = "worker-fb-fb" if variant == "fb suffix" else "worker"
    remote = bool(resource.get("makes_remote_calls"))
    ours = our_payload(name, resource, CONTEXT)
    assert json.dumps(ours) == comparable(official_payload(name, resource, CONTEXT), remote)


def test_test_deployments_get_a_tmp_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASH_IS_TEST_DEPLOYMENT", "true")
    resource = _gpu()
    context = DeployContext("myapp", "staging", "env-123", KEY, test_deployment=True)
    ours = our_payload("worker", resource, context)
    assert ours["name"] == "tmp-worker"
    assert json.dumps(ours) == comparable(official_payload("worker", resource, context), False)


def test_an_unknown_resource_type_is_refused() -> None:
    with pytest.raises(PayloadError, match="cannot be deployed"):
        endpoint_payload("x", {"resource_type": "ServerlessEndpoint"}, CONTEXT)


def test_update_and_template_payloads() -> None:
    create = our_payload("worker", _cpu_lb(), CONTEXT)
    update = update_payload(create, "ep-1", "tpl-1")
    assert "template" not in update
    assert (update["id"], update["templateId"]) == ("ep-1", "tpl-1")
    live = [
        *create["template"]["env"],
        {"key": "PORT", "value": "80"},
        {"key": "OLD", "value": "1"},
    ]
    saved = template_update(create, "tpl-1", live, previous_env_keys={"OLD"})
    assert {"key": "PORT", "value": "80"} in saved["env"]  # injected by the platform: kept
    assert all(e["key"] != "OLD" for e in saved["env"])  # removed by the user: gone
    assert (saved["id"], saved["volumeInGb"]) == ("tpl-1", 0)
    assert set(saved) == {
        "name",
        "imageName",
        "containerDiskInGb",
        "dockerArgs",
        "env",
        "volumeInGb",
        "id",
    }


def test_changed_fields_name_fields_never_values() -> None:
    before = our_payload("worker", _gpu(), CONTEXT)
    changed = copy.deepcopy(_gpu())
    changed["workersMax"] = 5
    changed["env"] = {"SECRET_TOKEN": "hunter2", **changed["env"]}
    changed["env"]["_FLASH_SOURCE_FINGERPRINT"] = "0" * 64
    after = our_payload("worker", changed, CONTEXT)
    fields = changed_fields(before, after)
    assert fields == ["source", "env.SECRET_TOKEN", "workersMax"]
    assert "hunter2" not in " ".join(fields)
