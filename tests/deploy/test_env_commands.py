"""``flash-ls env ...``, ``flash-ls app ...`` and ``flash-ls deploy -f json`` against the emulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from deploy_runner import FlashLs, flash_ls_runner

from tests.runpod_api import RunpodEmulator

APP = "hello_world"


@pytest.fixture
def cli(runpod_api: RunpodEmulator, tmp_path: Path) -> FlashLs:
    return flash_ls_runner(runpod_api, APP, tmp_path)


def test_env_create_list_get(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    created = cli.run("env", "create", "dev").check()
    assert "created environment dev in hello_world" in created.stdout
    assert created.mutations() == ["createFlashApp", "createFlashEnvironment"]
    cli.deploy("--env", "staging").check()

    listed = cli.run("env", "list").check()
    assert re.search(r"^  dev\s+-", listed.stdout, re.M)
    assert re.search(r"^  staging\s+[0-9a-f-]{12}", listed.stdout, re.M)
    cli.run("env", "use", "staging").check()
    assert re.search(r"^\* staging", cli.run("env", "list").check().stdout, re.M)

    got = cli.run("env", "get", "staging").check()
    endpoint = runpod_api.endpoint("hello-world-gpu")
    assert f"endpoint  hello-world-gpu  {endpoint['id']}" in got.stdout
    as_json = json.loads(cli.run("env", "get", "staging", "-f", "json").check().stdout)
    assert as_json["endpoints"] == [{"id": endpoint["id"], "name": "hello-world-gpu"}]
    listed_json = cli.run("env", "list", "--output-format", "json").check()
    assert [e["name"] for e in json.loads(listed_json.stdout)] == ["dev", "staging"]


def test_env_create_twice_is_an_error(cli: FlashLs) -> None:
    cli.run("env", "create", "dev").check()
    again = cli.run("env", "create", "dev")
    assert again.returncode == 1
    assert "environment dev already exists in hello_world" in again.stderr


def test_env_get_of_a_missing_environment_lists_the_others(cli: FlashLs) -> None:
    cli.run("env", "create", "dev").check()
    run = cli.run("env", "get", "qa")
    assert run.returncode == 1
    assert "no environment qa in hello_world (it has: dev)" in run.stderr


def test_env_delete_asks_and_deletes_the_endpoints(
    cli: FlashLs, runpod_api: RunpodEmulator
) -> None:
    cli.deploy("--env", "staging").check()
    cli.run("env", "use", "staging").check()
    refused = cli.run("env", "delete", "staging")
    assert refused.returncode == 1
    assert "refusing to delete environment staging without confirmation" in refused.stderr
    assert refused.mutations() == []

    deleted = cli.run("env", "delete", "staging", "--yes").check()
    assert deleted.mutations() == ["deleteEndpoint", "deleteFlashEnvironment"]
    assert "deleted environment staging (1 endpoint(s))" in deleted.stdout
    assert runpod_api.snapshot()["endpoints"] == {}
    assert runpod_api.snapshot()["apps"][APP]["environments"] == {}
    # The active environment is forgotten with it.
    assert json.loads((cli.project / ".flash" / "environment.json").read_text())["active"] == {}


def test_env_delete_from_another_machine_deletes_the_endpoints(
    cli: FlashLs, runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    cli.deploy("--env", "staging").check()
    other = flash_ls_runner(runpod_api, APP, tmp_path / "other")
    other.run("env", "delete", "staging", "--yes").check()
    assert runpod_api.snapshot()["endpoints"] == {}


def test_env_use_needs_an_existing_environment(cli: FlashLs) -> None:
    cli.run("env", "create", "dev").check()
    run = cli.run("env", "use", "qa")
    assert run.returncode == 1
    assert "no environment qa in hello_world" in run.stderr
    assert not (cli.project / ".flash" / "environment.json").exists()


def test_env_current(cli: FlashLs) -> None:
    none = cli.run("env", "current").check()
    assert none.stdout == "" and "no environment chosen" in none.stderr
    assert none.calls == []
    none_json = cli.run("env", "current", "-f", "json").check()
    assert json.loads(none_json.stdout) == {"app": APP, "environment": None, "source": None}
    assert none_json.stderr == ""
    cli.run("env", "create", "dev").check()
    cli.run("env", "use", "dev").check()
    current = cli.run("env", "current").check()
    assert current.stdout.strip() == "dev" and "env use" in current.stderr
    assert current.calls == []
    as_json = cli.run("env", "current", "--output-format", "json").check()
    assert json.loads(as_json.stdout) == {
        "app": APP,
        "environment": "dev",
        "source": "active (flash-ls env use)",
    }
    assert as_json.calls == []


def test_app_commands(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    assert "no apps" in cli.run("app", "list").check().stdout
    created = cli.run("app", "create", "other").check()
    assert "created app other" in created.stdout
    cli.deploy("--env", "staging").check()
    listed = cli.run("app", "list").check()
    assert re.search(r"hello_world\s+1 env\(s\)\s+1 build\(s\)", listed.stdout)
    assert re.search(r"other\s+0 env\(s\)\s+0 build\(s\)", listed.stdout)
    got = cli.run("app", "get").check()  # this directory's app
    assert "environment  staging" in got.stdout
    apps = json.loads(cli.run("app", "list", "-f", "json").check().stdout)
    assert sorted(a["name"] for a in apps) == ["hello_world", "other"]
    app = json.loads(cli.run("app", "get", "--output-format", "json").check().stdout)
    assert app["name"] == APP
    assert [e["name"] for e in app["flash_environments"]] == ["staging"]

    refused = cli.run("app", "delete")
    assert refused.returncode == 1 and refused.mutations() == []
    deleted = cli.run("app", "delete", "--yes").check()
    assert deleted.mutations() == ["deleteEndpoint", "deleteFlashApp"]
    assert list(runpod_api.snapshot()["apps"]) == ["other"]
    assert runpod_api.snapshot()["endpoints"] == {}
    missing = cli.run("app", "get", "nope")
    assert missing.returncode == 1 and "no app named nope" in missing.stderr


def test_app_name_override(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    cli.run("env", "create", "dev", "--app", "renamed").check()
    assert list(runpod_api.snapshot()["apps"]) == ["renamed"]
    run = cli.deploy("--app", "renamed").check()  # its only environment
    assert "deployed renamed to dev" in run.stdout
    endpoint = runpod_api.endpoint("hello-world-gpu")
    env = {e["key"]: e["value"] for e in endpoint["template"]["env"]}
    assert (env["FLASH_APP"], env["FLASH_ENV"]) == ("renamed", "dev")


def test_commands_run_from_a_subdirectory(cli: FlashLs) -> None:
    sub = cli.project / "sub"
    sub.mkdir()
    cli.run("env", "create", "dev", cwd=sub).check()
    assert "dev" in cli.run("env", "list", cwd=sub).check().stdout


def test_deploy_json_is_the_result_on_stdout(cli: FlashLs, runpod_api: RunpodEmulator) -> None:
    # CI reads the endpoint URLs from stdout; the progress stays on stderr for the log.
    planned = cli.deploy("--env", "staging", "--dry-run", "-f", "json").check()
    plan = json.loads(planned.stdout)
    assert (plan["dry_run"], plan["created_environment"]) == (True, True)
    assert [(e["name"], e["action"]) for e in plan["endpoints"]] == [("hello-world-gpu", "create")]
    assert planned.mutations() == []

    run = cli.deploy("--env", "staging", "--output-format", "json").check()

    result = json.loads(run.stdout)
    endpoint = runpod_api.endpoint("hello-world-gpu")
    assert (result["app"], result["environment"], result["dry_run"]) == (APP, "staging", False)
    [deployed] = result["endpoints"]
    assert (deployed["name"], deployed["action"]) == ("hello-world-gpu", "create")
    assert deployed["endpoint_id"] == endpoint["id"]
    assert deployed["url"] and endpoint["id"] in deployed["url"]
    assert [c["method"] for c in deployed["calls"]] == ["POST"]
    assert "flash-ls: " in run.stderr and "✓ deployed" not in run.stdout + run.stderr
    assert runpod_api.api_key not in run.stdout + run.stderr


def test_the_json_flag_is_output_format(cli: FlashLs) -> None:
    for args in (("env", "list"), ("app", "list"), ("deploy",)):
        old = cli.run(*args, "--json")
        assert old.returncode == 2 and "No such option: --json" in old.stderr
        wrong = cli.run(*args, "-f", "yaml")
        assert wrong.returncode == 2
        assert wrong.stderr == (
            "flash-ls: unknown --output-format 'yaml' (choose from text, json)\n"
        )
        assert (old.calls, wrong.calls) == ([], [])
