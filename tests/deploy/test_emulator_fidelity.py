"""The emulator is faithful: the official Flash CLI (runpod-flash 1.21.0) deploys through it.

Each test runs the real ``flash`` as a subprocess pointed at the emulator (its own URL
variables, a throwaway HOME, pip on a local wheelhouse, a guard that refuses any non-local
connection) and checks the emulator's call log and final state against what the CLI must have
done (docs/emulator.md; flash-platform.md sections 4.6 and 7).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from official_cli import OfficialCli, Run, official_cli

from tests.runpod_api import (
    CREATE_VOLUME,
    HEALTH,
    LB_PLATFORM_ENV,
    LIST_VOLUMES,
    REDACTED,
    UPLOAD,
    RunpodEmulator,
)

APP = "mixed_workers"
ENDPOINTS = (
    "mixed-cpu-postprocess",
    "mixed-cpu-preprocess",
    "mixed-gpu-inference",
    "mixed-pipeline",
)

# What `flash deploy --env staging` of a new app calls, in order (cli/commands/deploy.py,
# core/resources/app.py, cli/utils/deployment.py). The endpoints are saved in parallel.
FIRST_DEPLOY = [
    "getFlashAppByName",  # FlashApp.from_name: "app not found"
    "getFlashAppByName",  # FlashApp.get_or_create asks again
    "createFlashApp",
    "getFlashAppByName",  # create_environment hydrates the new app by name
    "createFlashEnvironment",
    "PrepareArtifactUpload",
    UPLOAD,
    "FinalizeArtifactUpload",
    "getFlashEnvironmentByName",  # deploy_from_uploaded_build
    "getFlashEnvironmentByName",  # deploy_build_to_environment resolves the name again
    "deployBuildToEnvironment",
    "getFlashBuild",  # the "state" manifest: the build just uploaded
    *["saveEndpoint"] * len(ENDPOINTS),
    "updateFlashBuildManifest",
]
# The same deploy again, nothing changed: every tracked endpoint is checked (queue-based ones
# through the data plane's /health, the load balancer through getEndpoint), none is re-saved.
REDEPLOY_PREFIX = [
    "getFlashAppByName",
    "getFlashAppByName",
    "listFlashEnvironments",
    "PrepareArtifactUpload",
    UPLOAD,
    "FinalizeArtifactUpload",
    "getFlashEnvironmentByName",
    "getFlashEnvironmentByName",
    "deployBuildToEnvironment",
    "getFlashBuild",
]
REDEPLOY_CHECKS = Counter({HEALTH: 3, "getEndpoint": 1})

# saveEndpoint input keys (flash-platform.md 4.6, verified payloads).
GPU_KEYS = {
    "allowedCudaVersions",
    "executionTimeoutMs",
    "flashBootType",
    "flashEnvironmentId",
    "gpuCount",
    "gpuIds",
    "idleTimeout",
    "locations",
    "minCudaVersion",
    "name",
    "scalerType",
    "scalerValue",
    "template",
    "type",
    "workersMax",
    "workersMin",
    "workersPFBTarget",
}
CPU_KEYS = GPU_KEYS - {
    "gpuIds",
    "gpuCount",
    "allowedCudaVersions",
    "minCudaVersion",
    "locations",
} | {"instanceIds"}
TEMPLATE_KEYS = {
    "advancedStart",
    "config",
    "containerDiskInGb",
    "containerRegistryAuthId",
    "dockerArgs",
    "env",
    "imageName",
    "name",
    "ports",
    "startScript",
}
TEMPLATE_NAME = re.compile(r"^(?P<cls>\w+)_[0-9a-f]{32}__PodTemplate_[0-9a-f]{32}$")


def saved_inputs(run: Run) -> dict[str, dict[str, Any]]:
    """The saveEndpoint inputs a run sent (redacted), by endpoint name."""
    inputs = [c.variables["input"] for c in run.calls if c.operation == "saveEndpoint"]
    return {i["name"]: i for i in inputs}


def read_manifest(project: Path) -> dict[str, Any]:
    return json.loads((project / ".flash" / "flash_manifest.json").read_text())


@dataclass
class Lifecycle:
    """An app's life through the official CLI, recorded step by step on one emulator."""

    api: RunpodEmulator
    cli: OfficialCli
    first: Run
    first_state: dict[str, Any]
    first_secrets: dict[str, Any]  # the first state, not redacted
    first_manifest: dict[str, Any]
    tarball_sha256: str
    redeploy: Run
    redeploy_state: dict[str, Any]
    env_create: Run
    env_list: Run
    env_get: Run
    app_list: Run
    app_get: Run
    env_delete: Run
    env_delete_state: dict[str, Any]
    app_delete: Run
    final_state: dict[str, Any]


@pytest.fixture(scope="module")
def lifecycle(
    tmp_path_factory: pytest.TempPathFactory, deploy_wheelhouse: Path
) -> Iterator[Lifecycle]:
    with RunpodEmulator() as api:
        cli = official_cli(api, APP, tmp_path_factory.mktemp("lifecycle"), deploy_wheelhouse)
        first = cli.run("deploy", "--env", "staging", "--no-deps").check()
        first_state = api.snapshot()
        first_secrets = api.snapshot(redacted=False)
        first_manifest = read_manifest(cli.project)
        tarball = (cli.project / ".flash" / "artifact.tar.gz").read_bytes()
        redeploy = cli.run("deploy", "--env", "staging", "--no-deps").check()
        redeploy_state = api.snapshot()
        env_create = cli.run("env", "create", "dev").check()
        env_list = cli.run("env", "list").check()
        env_get = cli.run("env", "get", "staging").check()
        app_list = cli.run("app", "list").check()
        app_get = cli.run("app", "get", APP).check()
        env_delete = cli.run("env", "delete", "staging", input="y\n").check()
        env_delete_state = api.snapshot()
        app_delete = cli.run("app", "delete", APP).check()
        yield Lifecycle(
            api,
            cli,
            first,
            first_state,
            first_secrets,
            first_manifest,
            hashlib.sha256(tarball).hexdigest(),
            redeploy,
            redeploy_state,
            env_create,
            env_list,
            env_get,
            app_list,
            app_get,
            env_delete,
            env_delete_state,
            app_delete,
            api.snapshot(),
        )


def test_first_deploy_calls_every_operation_in_order(lifecycle: Lifecycle) -> None:
    run = lifecycle.first
    assert run.operations() == FIRST_DEPLOY
    assert all(c.status == 200 and c.authorized for c in run.calls)
    not_found = run.calls[0]
    assert not_found.errors == ["Flash app not found"]  # the words the client matches on
    assert [c.errors for c in run.calls[1:] if c.errors] == [["Flash app not found"]]
    prepare, upload = run.calls[5], run.calls[6]
    assert prepare.variables["input"]["flashAppId"] == lifecycle.first_state["apps"][APP]["id"]
    assert prepare.variables["input"]["tarballSize"] == upload.variables["contentLength"]
    assert upload.variables["contentType"] == "application/gzip"


def test_first_deploy_state(lifecycle: Lifecycle) -> None:
    state = lifecycle.first_state
    assert list(state["apps"]) == [APP]
    app = state["apps"][APP]
    assert list(app["environments"]) == ["staging"]
    env = app["environments"]["staging"]
    (build,) = app["builds"]
    assert env["state"] == "DEPLOYED"
    assert env["activeBuildId"] == build["id"]
    assert sorted(env["endpoints"]) == list(ENDPOINTS)
    assert env["networkVolumes"] == []
    # The build is the artifact the CLI built, as uploaded, finalized with the manifest, which
    # updateFlashBuildManifest then replaced with the deployed one (endpoint ids, aiKeys).
    stored = state["objects"][build["objectKey"]]
    assert stored["sha256"] == lifecycle.tarball_sha256
    assert stored["contentType"] == "application/gzip"
    manifest = build["manifest"]
    assert manifest["resources_endpoints"] == lifecycle.first_manifest["resources_endpoints"]
    for name in ENDPOINTS:
        assert manifest["resources"][name]["endpoint_id"] == env["endpoints"][name]["id"]
        assert manifest["resources"][name]["aiKey"] == REDACTED
    (raw_build,) = lifecycle.first_secrets["apps"][APP]["builds"]
    raw_endpoints = lifecycle.first_secrets["endpoints"]
    for name in ENDPOINTS:
        resource = raw_build["manifest"]["resources"][name]
        assert resource["aiKey"] == raw_endpoints[resource["endpoint_id"]]["aiKey"]
        assert resource["aiKey"].startswith("aik_")


def test_every_endpoint_is_saved_with_the_deploy_payload(lifecycle: Lifecycle) -> None:
    inputs = saved_inputs(lifecycle.first)
    manifest = lifecycle.first_manifest
    env = lifecycle.first_state["apps"][APP]["environments"]["staging"]
    assert sorted(inputs) == list(ENDPOINTS)
    for name, payload in inputs.items():
        resource = manifest["resources"][name]
        cpu = not resource.get("gpuIds")
        assert set(payload) == (CPU_KEYS if cpu else GPU_KEYS), name
        assert set(payload["template"]) == TEMPLATE_KEYS, name
        assert payload["flashEnvironmentId"] == env["id"]
        assert payload["flashBootType"] == "FLASHBOOT"
        assert payload["executionTimeoutMs"] == 0
        assert payload["template"]["imageName"] == resource["imageName"]
        for key in ("workersMin", "workersMax", "scalerType", "scalerValue"):
            assert payload[key] == resource[key], (name, key)
        match = TEMPLATE_NAME.match(payload["template"]["name"])
        assert match, payload["template"]["name"]
        assert match["cls"] == resource["resource_type"]  # CpuLiveServerless, LiveServerless, ...
        template_env = {e["key"]: e["value"] for e in payload["template"]["env"]}
        assert template_env["FLASH_RESOURCE_NAME"] == name
        assert template_env["FLASH_APP"] == APP
        assert template_env["FLASH_ENV"] == "staging"
        assert template_env["_FLASH_SOURCE_FINGERPRINT"] == manifest["source_fingerprint"]
        # 1.21 injects the local key into every endpoint, not only those making remote calls:
        # _check_makes_remote_calls looks for flash_manifest.json in the project root, finds
        # none (it is in .flash/) and assumes True.
        assert template_env["RUNPOD_API_KEY"] == REDACTED
    gpu = inputs["mixed-gpu-inference"]
    assert (gpu["type"], gpu["gpuIds"], gpu["gpuCount"], gpu["workersMax"]) == (
        "QB",
        "ADA_24",
        1,
        3,
    )
    assert gpu["template"]["containerDiskInGb"] == 64
    pre = inputs["mixed-cpu-preprocess"]
    assert (pre["type"], pre["instanceIds"], pre["idleTimeout"]) == ("QB", ["cpu3g-2-8"], 3)
    assert pre["template"]["containerDiskInGb"] == 20  # cpu3g-2-8: 10 GB per vCPU
    lb = inputs["mixed-pipeline"]
    assert (lb["type"], lb["scalerType"], lb["instanceIds"]) == (
        "LB",
        "REQUEST_COUNT",
        ["cpu3c-1-2"],
    )
    lb_env = {e["key"]: e["value"] for e in lb["template"]["env"]}
    assert lb_env["FLASH_ENDPOINT_TYPE"] == "lb"
    assert lb_env["FLASH_ENVIRONMENT_ID"] == env["id"]
    # The key really is the local one (the call log and snapshots redact it).
    for endpoint in lifecycle.first_secrets["endpoints"].values():
        raw_env = {e["key"]: e["value"] for e in endpoint["template"]["env"]}
        assert raw_env["RUNPOD_API_KEY"] == lifecycle.api.api_key


def test_saved_fields_are_what_was_sent(lifecycle: Lifecycle) -> None:
    """The emulator stores saveEndpoint's input as sent; the template becomes a templateId."""
    inputs = saved_inputs(lifecycle.first)
    endpoints = lifecycle.first_state["apps"][APP]["environments"]["staging"]["endpoints"]
    for name, payload in inputs.items():
        saved = endpoints[name]
        sent = {k: v for k, v in payload.items() if k != "template"}
        assert {k: saved[k] for k in sent} == sent
        assert re.fullmatch(r"[a-z0-9]{14}", saved["id"])
        assert saved["version"] == 0
        template = saved["template"]
        assert template["id"] == saved["templateId"]
        for key in TEMPLATE_KEYS:
            if key != "env":
                assert template[key] == payload["template"][key], (name, key)
        extra = [e for e in template["env"] if e not in payload["template"]["env"]]
        platform_env = [{"key": k, "value": v} for k, v in LB_PLATFORM_ENV]
        assert extra == (platform_env if payload["type"] == "LB" else [])


def test_manifest_is_written_back_with_endpoint_ids(lifecycle: Lifecycle) -> None:
    manifest = lifecycle.first_manifest
    api = lifecycle.api
    port = api.url.rsplit(":", 1)[1]
    endpoints = lifecycle.first_state["apps"][APP]["environments"]["staging"]["endpoints"]
    for name in ENDPOINTS:
        endpoint_id = endpoints[name]["id"]
        assert manifest["resources"][name]["endpoint_id"] == endpoint_id
        assert "aiKey" not in manifest["resources"][name]  # written to disk without keys
        expected = (
            f"https://{endpoint_id}.127.0.0.1:{port}"
            if manifest["resources"][name]["is_load_balanced"]
            else f"{api.url}/v2/{endpoint_id}"
        )
        assert manifest["resources_endpoints"][name] == expected
    assert (
        f"{api.url}/v2/{endpoints['mixed-gpu-inference']['id']}/runsync" in lifecycle.first.output
    )


def test_unchanged_redeploy_resaves_nothing(lifecycle: Lifecycle) -> None:
    run = lifecycle.redeploy
    operations = run.operations()
    assert operations[: len(REDEPLOY_PREFIX)] == REDEPLOY_PREFIX
    assert Counter(operations[len(REDEPLOY_PREFIX) : -1]) == REDEPLOY_CHECKS
    assert operations[-1] == "updateFlashBuildManifest"
    assert run.operations().count("saveEndpoint") == 0  # 0 of 4 re-saved
    before = lifecycle.first_state["apps"][APP]
    after = lifecycle.redeploy_state["apps"][APP]
    assert len(after["builds"]) == 2
    assert after["environments"]["staging"]["activeBuildId"] == after["builds"][1]["id"]
    assert (
        after["environments"]["staging"]["endpoints"]
        == before["environments"]["staging"]["endpoints"]
    )
    assert lifecycle.redeploy_state["endpoints"] == lifecycle.first_state["endpoints"]


def test_env_and_app_commands(lifecycle: Lifecycle) -> None:
    endpoints = lifecycle.redeploy_state["apps"][APP]["environments"]["staging"]["endpoints"]
    assert lifecycle.env_create.operations() == [
        "getFlashAppByName",
        "getFlashAppByName",
        "createFlashEnvironment",
    ]
    assert "created environment dev" in lifecycle.env_create.output

    assert lifecycle.env_list.operations() == [
        "getFlashAppByName",
        "getFlashAppByName",
        "listFlashEnvironments",
    ]
    assert re.search(r"staging\s+\S+", lifecycle.env_list.output)
    assert re.search(r"dev\s+-", lifecycle.env_list.output)  # no active build yet

    assert lifecycle.env_get.operations() == [
        "getFlashAppByName",
        "getFlashAppByName",
        "getFlashEnvironmentByName",
    ]
    for name, endpoint in endpoints.items():
        assert re.search(rf"{name}\s+{endpoint['id']}", lifecycle.env_get.output)

    assert lifecycle.app_list.operations() == ["getFlashApps"]
    assert re.search(rf"{APP}\s+2 envs\s+2 builds", lifecycle.app_list.output)

    operations = lifecycle.app_get.operations()
    assert operations[:2] == ["getFlashAppByName", "getFlashAppByName"]
    assert sorted(operations[2:]) == ["listFlashBuilds", "listFlashEnvironments"]  # in parallel
    assert "2 builds" in lifecycle.app_get.output


def test_env_delete_undeploys_its_endpoints(lifecycle: Lifecycle) -> None:
    run = lifecycle.env_delete
    operations = run.operations()
    assert operations.count("deleteEndpoint") == len(ENDPOINTS)
    assert operations[-2:] == ["getFlashEnvironmentByName", "deleteFlashEnvironment"]
    deleted = sorted(c.variables["id"] for c in run.calls if c.operation == "deleteEndpoint")
    endpoints = lifecycle.redeploy_state["apps"][APP]["environments"]["staging"]["endpoints"]
    assert deleted == sorted(e["id"] for e in endpoints.values())
    state = lifecycle.env_delete_state
    assert list(state["apps"][APP]["environments"]) == ["dev"]
    assert state["endpoints"] == {}


def test_app_delete(lifecycle: Lifecycle) -> None:
    assert lifecycle.app_delete.operations() == [
        "getFlashAppByName",
        "getFlashAppByName",
        "listFlashEnvironments",
        "getFlashEnvironment",  # dev: no endpoints to delete
        "getFlashAppByName",
        "deleteFlashApp",
    ]
    assert lifecycle.final_state["apps"] == {}


def test_nothing_left_the_machine(lifecycle: Lifecycle) -> None:
    assert lifecycle.cli.network_attempts() == []
    # Every call reached the emulator with the account's key.
    runs = [lifecycle.first, lifecycle.redeploy, lifecycle.env_list, lifecycle.app_delete]
    assert all(c.authorized for run in runs for c in run.calls)


def test_network_volume_deploy_and_redeploy(
    runpod_api: RunpodEmulator, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    cli = official_cli(runpod_api, "network_volume", tmp_path, deploy_wheelhouse)
    first = cli.run("deploy", "--env", "staging").check()
    # The volume is looked up by (name, data center) before it is created, once per endpoint.
    rest = [(c.operation, c.variables) for c in first.calls if c.kind == "rest"]
    assert rest == [
        (LIST_VOLUMES, None),
        (CREATE_VOLUME, {"dataCenterId": "EU-RO-1", "name": "flash-nv-models", "size": 50}),
        (LIST_VOLUMES, None),
    ]
    state = runpod_api.snapshot(normalize=True)
    assert list(state["networkVolumes"].values()) == [
        {
            "id": "<volume:flash-nv-models@EU-RO-1>",
            "name": "flash-nv-models",
            "size": 50,
            "dataCenterId": "EU-RO-1",
        }
    ]
    env = state["apps"]["network_volume"]["environments"]["staging"]
    assert [v["name"] for v in env["networkVolumes"]] == ["flash-nv-models"]
    for endpoint in env["endpoints"].values():
        assert endpoint["networkVolumeId"] == "<volume:flash-nv-models@EU-RO-1>"
        assert endpoint["locations"] == "EU-RO-1"
    image_gen = {e["key"]: e["value"] for e in env["endpoints"]["nv-image-gen"]["template"]["env"]}
    assert (image_gen["MODEL_PATH"], image_gen["HF_HOME"]) == (
        "/runpod-volume/models",
        "/runpod-volume/hf",
    )

    # Unchanged redeploy: the CPU load balancer with a volume is re-saved every time (1 of 2):
    # its config hash includes the volume, which the tracked copy has with an id and the
    # manifest without. The update names the endpoint and its template, then echoes the live
    # template env back (keeping the platform's PORT/PORT_HEALTH).
    redeploy = cli.run("deploy", "--env", "staging").check()
    assert redeploy.operations().count(CREATE_VOLUME) == 0
    (update,) = [c.variables["input"] for c in redeploy.calls if c.operation == "saveEndpoint"]
    assert update["name"] == "nv-files"
    assert runpod_api.normalize(update["id"]) == "<endpoint:nv-files>"
    assert runpod_api.normalize(update["templateId"]) == "<template:nv-files>"
    assert "template" not in update
    operations = redeploy.operations()
    assert operations[operations.index("saveEndpoint") :][:3] == [
        "saveEndpoint",
        "getTemplate",
        "saveTemplate",
    ]
    (template,) = [c.variables["input"] for c in redeploy.calls if c.operation == "saveTemplate"]
    assert {"key": "PORT", "value": "80"} in template["env"]
    assert template["volumeInGb"] == 0
    after = runpod_api.snapshot(normalize=True)
    assert after["endpoints"] == state["endpoints"]
    assert cli.network_attempts() == []


def test_login_saves_the_approved_key(
    runpod_api: RunpodEmulator, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    runpod_api.auto_approve_login = True
    cli = official_cli(runpod_api, None, tmp_path, deploy_wheelhouse)
    run = cli.run("login", "--no-open", "--timeout", "60", api_key="").check()
    assert run.operations() == ["createFlashAuthRequest", "flashAuthRequestStatus"]
    assert not any(c.authorized for c in run.calls)  # the login flow has no key yet
    assert f"{runpod_api.url}/console/flash/login?request=" in run.output.replace("\n", "")
    config = (cli.home / ".runpod" / "config.toml").read_text()
    assert f'api_key = "{runpod_api.api_key}"' in config
    # The saved key is what the next command sends.
    listed = cli.run("app", "list", api_key="").check()
    assert [(c.operation, c.authorized) for c in listed.calls] == [("getFlashApps", True)]
    assert cli.network_attempts() == []


def test_a_wrong_key_is_a_401_the_client_does_not_retry(
    runpod_api: RunpodEmulator, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    cli = official_cli(runpod_api, None, tmp_path, deploy_wheelhouse)
    run = cli.run("app", "list", api_key="rpa_WRONG")
    assert run.returncode != 0
    assert [(c.operation, c.status, c.authorized) for c in run.calls] == [
        ("getFlashApps", 401, False)
    ]
    assert "401" in run.output


def test_faults_meet_the_clients_retry_rules(
    runpod_api: RunpodEmulator, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    cli = official_cli(runpod_api, "hello_world", tmp_path, deploy_wheelhouse)
    # Queries are retried on 5xx and on transient GraphQL error messages...
    runpod_api.fail("getFlashApps", "http503")
    runpod_api.fail("getFlashApps", "graphql_error", message="Service temporarily unavailable")
    run = cli.run("app", "list").check()
    assert [(c.operation, c.status, c.fault) for c in run.calls] == [
        ("getFlashApps", 503, "http503"),
        ("getFlashApps", 200, "graphql_error"),
        ("getFlashApps", 200, None),
    ]
    # ...mutations never, and a 429 is not retried either (only 5xx and transient messages).
    runpod_api.fail("createFlashEnvironment", "http500")
    run = cli.run("env", "create", "dev", "--app", "faulty")
    assert run.returncode != 0
    assert run.operations().count("createFlashEnvironment") == 1
    runpod_api.fail("getFlashApps", "http429", retry_after=1)
    run = cli.run("app", "list")
    assert run.returncode != 0 and "429" in run.output
    assert [(c.operation, c.status) for c in run.calls] == [("getFlashApps", 429)]
    # A connection reset during the artifact PUT is retried (after a 2 s backoff).
    runpod_api.fail(UPLOAD, "reset")
    run = cli.run("deploy", "--env", "staging").check()
    uploads = [(c.status, c.fault) for c in run.calls if c.operation == UPLOAD]
    assert uploads == [(None, "reset"), (200, None)]
    # An HTTP error from storage is not retried: the deploy fails before finalizing.
    runpod_api.fail(UPLOAD, "http503")
    run = cli.run("deploy", "--env", "staging")
    assert run.returncode != 0 and "503" in run.output
    assert run.operations()[-2:] == ["PrepareArtifactUpload", UPLOAD]
    assert cli.network_attempts() == []
