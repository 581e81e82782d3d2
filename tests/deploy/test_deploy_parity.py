"""The same app deployed by the official CLI and by flash-ls, each to a fresh emulator, ends in
the same state: apps, environments, endpoints and every field saved on them (templates
included), and the manifest the build carries. docs/compatibility.md lists what differs on
purpose; the one visible here: the API key goes only into endpoints that make remote calls.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from deploy_runner import flash_ls_runner
from official_cli import FLASH, official_cli

from tests.runpod_api import RunpodEmulator

CHANGED_IMAGE = {"FLASH_GPU_IMAGE": "example/gpu:2"}


def comparable(api: RunpodEmulator, official: bool) -> dict[str, Any]:
    """Apps, environments and endpoints with their saved fields and templates; the key the
    official CLI puts into every endpoint is dropped from those that make no remote calls."""
    snapshot = api.snapshot(normalize=True)
    apps: dict[str, Any] = {}
    for name, app in snapshot["apps"].items():
        active = {b["id"]: b for b in app["builds"]}
        envs = {}
        for env_name, env in app["environments"].items():
            manifest = active[env["activeBuildId"]]["manifest"]
            endpoints = {}
            for endpoint_name, endpoint in env["endpoints"].items():
                remote = manifest["resources"][endpoint_name]["makes_remote_calls"]
                template = dict(endpoint["template"])
                if official and not remote:
                    template["env"] = [e for e in template["env"] if e["key"] != "RUNPOD_API_KEY"]
                endpoints[endpoint_name] = {**endpoint, "template": template}
            envs[env_name] = {
                "state": env["state"],
                "endpoints": endpoints,
                "networkVolumes": env["networkVolumes"],
                "manifest": {
                    "resources": {
                        n: {k: v for k, v in r.items() if k not in ("file_path",)}
                        for n, r in manifest["resources"].items()
                    },
                    "resources_endpoints": manifest.get("resources_endpoints"),
                },
            }
        apps[name] = envs
    text = json.dumps({"apps": apps, "networkVolumes": snapshot["networkVolumes"]})
    return json.loads(re.sub(r"127\.0\.0\.1:\d+", "<emulator>", text))


@pytest.mark.parametrize("app", ["mixed_workers", "network_volume", "class_worker"])
def test_same_end_state_as_the_official_cli(
    app: str, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    with RunpodEmulator() as theirs, RunpodEmulator() as ours:
        flash = official_cli(theirs, app, tmp_path / "official", deploy_wheelhouse)
        mine = flash_ls_runner(ours, app, tmp_path / "flash-ls", deploy_wheelhouse)
        flash.run("deploy", "--env", "staging").check()
        mine.run("deploy", "--env", "staging").check()
        assert comparable(ours, official=False) == comparable(theirs, official=True)

        # An update: the GPU image changes (official: from its resources.pkl; flash-ls: from
        # the API), and both end in the same state again.
        done = subprocess.run(
            [str(FLASH), "deploy", "--env", "staging"],
            cwd=flash.project,
            env={**flash.env(), **CHANGED_IMAGE},
            input="",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        mine.run("deploy", "--env", "staging", env=CHANGED_IMAGE).check()
        assert comparable(ours, official=False) == comparable(theirs, official=True)
        assert flash.network_attempts() == [] and mine.network_attempts() == []
