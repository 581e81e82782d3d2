"""``flash-ls deploy`` against the emulator: what it saves, what it leaves alone, where it goes.

Each test runs the real CLI as a subprocess (throwaway HOME, RUNPOD_API_KEY and the URL
variables pointing at the emulator, a guard refusing non-local connections) and reads the
emulator's call log and state.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from deploy_runner import MUTATIONS, FlashLs, flash_ls_runner

from tests.runpod_api import REDACTED, UPLOAD, RunpodEmulator

APP = "mixed_workers"
ENDPOINTS = [
    "mixed-cpu-postprocess",
    "mixed-cpu-preprocess",
    "mixed-gpu-inference",
    "mixed-pipeline",
]
EXTRA = """from runpod_flash import CpuInstanceType, Endpoint


@Endpoint(name="mixed-extra", cpu=CpuInstanceType.CPU3C_1_2)
async def extra(count: int = 3, label: str = "x") -> dict:
    return {"count": count, "label": label}
"""


@pytest.fixture
def cli(runpod_api: RunpodEmulator, tmp_path: Path) -> FlashLs:
    return flash_ls_runner(runpod_api, APP, tmp_path)


def saved(run_calls: list, operation: str = "saveEndpoint") -> list[str]:
    return [c.variables["input"]["name"] for c in run_calls if c.operation == operation]


def environment(api: RunpodEmulator, env: str = "staging") -> dict:
    return api.snapshot(normalize=True)["apps"][APP]["environments"][env]


def test_first_deploy(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    run = cli.deploy("--env", "staging").check()
    assert run.operations() == [
        "getFlashAppByName",
        "getFlashAppByName",
        "createFlashApp",
        "getFlashEnvironmentByName",
        "createFlashEnvironment",
        "getFlashEnvironmentByName",
        "PrepareArtifactUpload",
        UPLOAD,
        "FinalizeArtifactUpload",
        "deployBuildToEnvironment",
        *["saveEndpoint"] * 4,
        "updateFlashBuildManifest",
    ]
    upload = next(c for c in run.calls if c.operation == UPLOAD)
    assert upload.variables["contentType"] == "application/gzip"
    env = environment(runpod_api)
    assert sorted(env["endpoints"]) == ENDPOINTS
    assert env["state"] == "DEPLOYED"
    # The manifest on disk has the endpoint ids and URLs, never an aiKey.
    manifest = cli.manifest()
    raw = runpod_api.snapshot()["apps"][APP]["environments"]["staging"]["endpoints"]
    for name in ENDPOINTS:
        assert manifest["resources"][name]["endpoint_id"] == raw[name]["id"]
        assert "aiKey" not in manifest["resources"][name]
        assert manifest["resources"][name]["env"]["_FLASH_SOURCE_FINGERPRINT"]
    gpu_id = raw["mixed-gpu-inference"]["id"]
    assert manifest["resources_endpoints"]["mixed-gpu-inference"] == f"{runpod_api.url}/v2/{gpu_id}"
    # The API's copy carries the aiKeys (as the official CLI sends it).
    build = runpod_api.snapshot()["apps"][APP]["builds"][0]
    assert build["manifest"]["resources"]["mixed-pipeline"]["aiKey"] == REDACTED
    # What to call next: the /runsync URL with a body from the parameters, the LB routes.
    assert f"{runpod_api.url}/v2/{gpu_id}/runsync" in run.stdout
    assert """-d '{"input": {"input_data": {}}}'""" in run.stdout
    lb_id = raw["mixed-pipeline"]["id"]
    assert re.search(rf"POST https://{lb_id}\.127\.0\.0\.1:\d+/classify", run.stdout)
    assert re.search(rf"GET https://{lb_id}\.127\.0\.0\.1:\d+/health", run.stdout)
    assert """-d '{"text": "text"}'""" in run.stdout
    assert cli.network_attempts() == []


def test_curl_examples_are_valid_shell_and_json(cli: FlashLs) -> None:
    run = cli.deploy("--env", "staging").check()
    commands = re.findall(r"(curl -X .*?)(?=\n    (?:[A-Z]+ |\S)|\n\n|\Z)", run.stdout, re.S)
    assert commands
    for command in commands:
        words = shlex.split(command.replace("\\\n", " "))
        if "-d" in words:
            json.loads(words[words.index("-d") + 1])


def test_unchanged_redeploy_saves_nothing(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    cli.deploy("--env", "staging").check()
    before = runpod_api.snapshot(normalize=True)
    run = cli.deploy("--env", "staging").check()
    # Nothing changed: no endpoint saved, and the byte-identical artifact is not uploaded again.
    assert run.mutations() == []
    assert "0 created, 0 updated, 4 unchanged" in run.stdout
    assert "kept: artifact unchanged" in run.stdout
    assert runpod_api.snapshot(normalize=True) == before
    app = before["apps"][APP]
    assert app["environments"]["staging"]["activeBuildId"] == "<build:mixed_workers#1>"
    resources = app["builds"][0]["manifest"]["resources"]
    assert {n: r["endpoint_id"] for n, r in resources.items()} == {
        n: f"<endpoint:{n}>" for n in ENDPOINTS
    }


def test_a_changed_artifact_is_uploaded_and_activated(cli: FlashLs) -> None:
    cli.deploy("--env", "staging").check()
    (cli.project / "README.md").write_text("shipped, but no endpoint's config\n")
    run = cli.deploy("--env", "staging").check()
    assert run.mutations()[:4] == [
        "PrepareArtifactUpload",
        "PUT /storage",
        "FinalizeArtifactUpload",
        "deployBuildToEnvironment",
    ]


def test_unchanged_redeploy_from_another_machine_saves_nothing(
    cli: FlashLs, runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    cli.deploy("--env", "staging").check()
    other = flash_ls_runner(runpod_api, APP, tmp_path / "other")
    run = other.deploy("--env", "staging").check()
    assert "saveEndpoint" not in run.operations()
    # The other machine cannot vouch for the active build's artifact: it uploads its own ...
    assert "PUT /storage" in run.mutations()
    # ... and then the first machine's record no longer names the active build: it uploads too.
    again = cli.deploy("--env", "staging").check()
    assert "PUT /storage" in again.mutations() and "saveEndpoint" not in again.operations()
    assert environment(runpod_api)["activeBuildId"] == "<build:mixed_workers#3>"


def test_only_the_changed_endpoint_is_saved(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    cli.deploy("--env", "staging").check()
    gpu_before = runpod_api.endpoint("mixed-gpu-inference")
    run = cli.deploy("--env", "staging", env={"FLASH_GPU_IMAGE": "example/gpu:1"}).check()
    assert saved(run.calls) == ["mixed-gpu-inference"]
    update = next(c.variables["input"] for c in run.calls if c.operation == "saveEndpoint")
    assert update["id"] == gpu_before["id"] and "template" not in update
    assert run.operations()[-4:] == [
        "saveEndpoint",
        "getTemplate",
        "saveTemplate",
        "updateFlashBuildManifest",
    ]
    assert re.search(r"~ mixed-gpu-inference\s+updated\s+template.imageName", run.stdout)
    after = runpod_api.endpoint("mixed-gpu-inference")
    assert after["id"] == gpu_before["id"]
    assert after["template"]["imageName"] == "example/gpu:1"


def test_a_source_change_rolls_every_endpoint(cli: FlashLs) -> None:
    cli.deploy("--env", "staging").check()
    worker = cli.project / "gpu_worker.py"
    worker.write_text(worker.read_text() + "\n# a comment\n")
    run = cli.deploy("--env", "staging").check()
    assert sorted(saved(run.calls)) == ENDPOINTS
    assert re.search(r"~ mixed-pipeline\s+updated\s+source$", run.stdout, re.M)


def test_a_removed_endpoint_is_listed_and_deleted_with_prune(
    cli: FlashLs, runpod_api: RunpodEmulator
) -> None:
    extra = cli.project / "extra.py"
    extra.write_text(EXTRA)
    cli.deploy("--env", "staging").check()
    extra_id = runpod_api.endpoint("mixed-extra")["id"]
    extra.unlink()
    run = cli.deploy("--env", "staging").check()
    assert "deleteEndpoint" not in run.operations()
    assert re.search(r"- mixed-extra\s+not in the code: --prune deletes it", run.stdout)
    assert "mixed-extra" in environment(runpod_api)["endpoints"]
    assert "mixed-extra" not in cli.manifest()["resources_endpoints"]

    pruned = cli.deploy("--env", "staging", "--prune").check()
    deletes = [c.variables["id"] for c in pruned.calls if c.operation == "deleteEndpoint"]
    assert deletes == [extra_id]
    assert "saveEndpoint" not in pruned.operations()
    assert sorted(environment(runpod_api)["endpoints"]) == ENDPOINTS


def test_dry_run_changes_nothing(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    first = cli.deploy("--env", "staging", "--dry-run").check()
    assert first.mutations() == []
    assert runpod_api.snapshot()["apps"] == {}
    assert "dry run: nothing was changed" in first.stdout
    assert re.search(r"\+ mixed-gpu-inference\s+create", first.stdout)

    cli.deploy("--env", "staging").check()
    (cli.project / "extra.py").write_text(EXTRA)
    before = runpod_api.snapshot()
    run = cli.deploy(
        "--env", "staging", "--dry-run", "--prune", env={"FLASH_GPU_IMAGE": "example/gpu:2"}
    ).check()
    assert run.mutations() == []
    assert runpod_api.snapshot() == before
    assert re.search(r"\+ mixed-extra\s+create", run.stdout)
    assert re.search(r"~ mixed-gpu-inference\s+update\s+source, template.imageName", run.stdout)
    assert "1 to create, 4 to update, 0 unchanged" in run.stdout
    assert "artifact unchanged" not in run.stdout

    (cli.project / "extra.py").unlink()
    unchanged = cli.deploy("--env", "staging", "--dry-run").check()
    assert "= artifact unchanged: the active build stays" in unchanged.stdout
    assert "0 to create, 0 to update, 4 unchanged" in unchanged.stdout


def test_a_new_environment_on_env(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    cli.deploy("--env", "staging").check()
    run = cli.deploy("--env", "dev").check()
    assert "createFlashEnvironment" in run.operations()
    assert "createFlashApp" not in run.operations()
    assert sorted(saved(run.calls)) == ENDPOINTS
    envs = runpod_api.snapshot()["apps"][APP]["environments"]
    assert sorted(envs) == ["dev", "staging"]
    dev_env = {
        e["key"]: e["value"]
        for e in runpod_api.snapshot()["endpoints"][
            envs["dev"]["endpoints"]["mixed-pipeline"]["id"]
        ]["template"]["env"]
    }
    assert dev_env["FLASH_ENV"] == "dev"
    assert dev_env["FLASH_ENVIRONMENT_ID"] == envs["dev"]["id"]


def test_several_environments_and_none_chosen_is_a_clear_error(
    cli: FlashLs, runpod_api: RunpodEmulator
) -> None:
    cli.deploy("--env", "staging").check()
    cli.run("env", "create", "dev").check()
    run = cli.deploy()
    assert run.returncode == 1
    assert "several environments (dev, staging)" in run.stderr
    assert "--env NAME or `flash-ls env use NAME`" in run.stderr
    assert run.mutations() == []


def test_env_use_then_deploy_goes_there(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    cli.deploy("--env", "staging").check()
    cli.run("env", "create", "dev").check()
    cli.run("env", "use", "dev").check()
    assert json.loads((cli.project / ".flash" / "environment.json").read_text())["active"] == {
        APP: "dev"
    }
    assert cli.run("env", "current").check().stdout.strip() == "dev"
    run = cli.deploy().check()
    assert "deployed mixed_workers to dev" in run.stdout
    assert sorted(environment(runpod_api, "dev")["endpoints"]) == ENDPOINTS


def test_flash_env_wins_over_the_active_environment(
    cli: FlashLs, runpod_api: RunpodEmulator
) -> None:
    cli.deploy("--env", "staging").check()
    cli.run("env", "create", "dev").check()
    cli.run("env", "use", "dev").check()
    run = cli.deploy(env={"FLASH_ENV": "staging"}).check()
    assert "deployed mixed_workers to staging" in run.stdout
    assert environment(runpod_api, "dev")["endpoints"] == {}
    assert cli.run("env", "current", env={"FLASH_ENV": "qa"}).stdout.strip() == "qa"
    # --env wins over both.
    assert "to dev" in cli.deploy("--env", "dev", env={"FLASH_ENV": "staging"}).check().stdout


def test_production_needs_yes(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    refused = cli.deploy()  # a new app: production, no terminal, no --yes
    assert refused.returncode == 1
    assert "refusing to deploy to production without confirmation: pass --yes" in refused.stderr
    assert refused.mutations() == []
    assert cli.deploy("--dry-run").check().mutations() == []
    run = cli.deploy("--yes").check()
    assert "deployed mixed_workers to production" in run.stdout
    assert sorted(environment(runpod_api, "production")["endpoints"]) == ENDPOINTS
    # The only environment is chosen, and it is still production.
    assert cli.deploy().returncode == 1
    assert cli.deploy("--yes").check().mutations().count("saveEndpoint") == 0


def test_a_missing_key_is_one_line(cli: FlashLs) -> None:
    run = cli.run("deploy", "--no-deps", "--env", "staging", api_key="")
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0
    assert "RUNPOD_API_KEY" in run.stderr
    assert run.calls == []


def test_a_rejected_key_is_one_actionable_message(cli: FlashLs) -> None:
    run = cli.run("deploy", "--no-deps", "--env", "staging", api_key="rpa_WRONGKEY0000000000000")
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "flash-ls: API key from RUNPOD_API_KEY rejected (401): run `flash-ls login`"
    )
    assert "rpa_WRONGKEY" not in run.output
    assert [c.status for c in run.calls] == [401]


def test_the_key_goes_only_to_endpoints_that_make_remote_calls(
    cli: FlashLs, runpod_api: RunpodEmulator
) -> None:
    cli.deploy("--env", "staging").check()
    for endpoint in runpod_api.snapshot(redacted=False)["endpoints"].values():
        env = {e["key"]: e["value"] for e in endpoint["template"]["env"]}
        if endpoint["name"] == "mixed-pipeline":  # makes_remote_calls
            assert env["RUNPOD_API_KEY"] == runpod_api.api_key
            assert "FLASH_ENVIRONMENT_ID" in env
        else:
            assert "RUNPOD_API_KEY" not in env
    text = "\n".join(p.read_text() for p in (cli.project / ".flash").glob("*.json"))
    assert runpod_api.api_key not in text


ROTATED_KEY = "rpa_ROTATED00000000000000000000000000000000000000000"


def _pipeline_key(api: RunpodEmulator) -> str:
    template = api.endpoint("mixed-pipeline")["template"]
    return {e["key"]: e["value"] for e in template["env"]}["RUNPOD_API_KEY"]


@pytest.mark.parametrize("machine", ["this machine", "a fresh clone"])
def test_a_rotated_key_re_saves_the_endpoints_that_hold_it(
    machine: str, cli: FlashLs, runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    cli.deploy("--env", "staging").check()
    runpod_api.account.api_key = ROTATED_KEY  # the old key is revoked
    other = tmp_path / "other"
    deployer = cli if machine == "this machine" else flash_ls_runner(runpod_api, APP, other)
    run = deployer.deploy("--env", "staging").check()
    # Only the endpoint that makes remote calls holds the key: it alone is saved.
    assert saved(run.calls) == ["mixed-pipeline"]
    assert re.search(r"~ mixed-pipeline\s+updated\s+env.RUNPOD_API_KEY$", run.stdout, re.M)
    assert _pipeline_key(runpod_api) == ROTATED_KEY
    # With the new key in place, the next deploy saves nothing again.
    assert saved(deployer.deploy("--env", "staging").check().calls) == []


def test_every_mutation_is_sent_once(cli: FlashLs) -> None:
    run = cli.deploy("--env", "staging").check()
    assert set(run.mutations()) <= MUTATIONS
    assert [c for c in run.calls if c.operation in MUTATIONS and c.status != 200] == []


def test_the_key_never_leaks(tmp_path: Path) -> None:
    from test_no_key_leaks import DISTINCTIVE_KEY, assert_no_key_leaks

    with RunpodEmulator(api_key=DISTINCTIVE_KEY) as api:
        cli = flash_ls_runner(api, APP, tmp_path)
        runs = [cli.deploy("--env", "staging", "--verbose").check()]
        runs.append(cli.deploy("--env", "staging", "--dry-run", "--verbose").check())
        api.fail("saveEndpoint", "http500", message=f"bad token {DISTINCTIVE_KEY}")
        failed = cli.deploy("--env", "dev", "--verbose")
        assert failed.returncode == 1
        runs.append(failed)
        runs.append(cli.run("env", "get", "staging", "-f", "json").check())
        outputs = {
            f"{i} {name}": text
            for i, r in enumerate(runs)
            for name, text in (("stdout", r.stdout), ("stderr", r.stderr))
        }
        assert_no_key_leaks(DISTINCTIVE_KEY, outputs=outputs, directories=[cli.home, cli.project])
        # It did reach the endpoint that makes remote calls.
        pipeline = api.snapshot(redacted=False)["apps"][APP]["environments"]["staging"]
        env = {
            e["key"]: e["value"]
            for e in api.snapshot(redacted=False)["endpoints"][
                pipeline["endpoints"]["mixed-pipeline"]["id"]
            ]["template"]["env"]
        }
        assert env["RUNPOD_API_KEY"] == DISTINCTIVE_KEY
